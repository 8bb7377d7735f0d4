/* sg_build.c - NTP message building for the deterministic sample generator. */
#include "sg_build.h"

#include <string.h>

#include "ntpauth/bytes.h"

/* splitmix64: tiny, well distributed, and identical on every platform. */
static uint64_t prng_next(sg_prng *r) {
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void sg_prng_seed(sg_prng *r, uint64_t seed) { r->state = seed; }

void sg_prng_fill(sg_prng *r, uint8_t *out, size_t n) {
  while (n > 0) {
    uint64_t v = prng_next(r);
    for (int i = 0; i < 8 && n > 0; i++, n--) {
      *out++ = (uint8_t)v;
      v >>= 8;
    }
  }
}

size_t sg_put_ef(uint8_t *buf, size_t len, size_t cap, uint16_t type, const uint8_t *body,
                 size_t body_len, size_t min_len) {
  size_t total = (4 + body_len + 3) & ~(size_t)3;
  if (total < min_len)
    total = (min_len + 3) & ~(size_t)3;
  if (len > cap || total > 0xFFFF)
    return 0;
  nta_writer w;
  nta_wr_init(&w, buf + len, cap - len);
  nta_wr_u16(&w, type);
  nta_wr_u16(&w, (uint16_t)total);
  nta_wr_bytes(&w, body, body_len);
  static const uint8_t zeros[4096];
  nta_wr_bytes(&w, zeros, total - 4 - body_len);
  return w.err ? 0 : len + w.off;
}

size_t sg_put_nts_auth(uint8_t *buf, size_t len, size_t cap, sg_prng *r, size_t nonce_len,
                       size_t ciphertext_len) {
  uint8_t body[512];
  size_t nonce_pad = (nonce_len + 3) & ~(size_t)3;
  size_t ct_pad = (ciphertext_len + 3) & ~(size_t)3;
  if (4 + nonce_pad + ct_pad > sizeof body)
    return 0;
  memset(body, 0, sizeof body);
  nta_writer w;
  nta_wr_init(&w, body, sizeof body);
  nta_wr_u16(&w, (uint16_t)nonce_len);
  nta_wr_u16(&w, (uint16_t)ciphertext_len);
  sg_prng_fill(r, body + w.off, nonce_len);
  w.off += nonce_pad;
  sg_prng_fill(r, body + w.off, ciphertext_len);
  w.off += ct_pad;
  return sg_put_ef(buf, len, cap, 0x0404, body, w.off, 0);
}

uint32_t sg_refid_text(const char *text) {
  uint8_t b[4] = { 0 };
  for (size_t i = 0; i < 4 && text[i]; i++)
    b[i] = (uint8_t)text[i];
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

uint32_t sg_refid_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

uint32_t sg_short_from_seconds(double s) {
  return (uint32_t)(s * 65536.0 + 0.5);
}
