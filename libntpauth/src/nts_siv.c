/* nts_siv.c - AEAD_AES_SIV_CMAC_256 (RFC 5297) through nettle.
 *
 * NTS uses SIV with exactly two header components, the associated data (the packet up to the
 * Authenticator field) and the nonce (RFC 8915 §5.6), which is nettle's siv_cmac interface.
 * nettle compares the synthetic IV in constant time (memeql_sec). OpenSSL 3.0's AES-SIV is not
 * used: it fails on an empty plaintext, and every NTS request has one. */
#include "nts_internal.h"

#include <string.h>

#include "ntpauth/bytes.h"

void nta_siv_ctx_init(nta_siv_ctx *ctx, const uint8_t key[NTA_NTS_KEY_LEN]) {
  siv_cmac_aes128_set_key(ctx, key);
}

bool nta_siv_ctx_open(const nta_siv_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
                      const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t ct_len,
                      uint8_t *pt) {
  if (!ctx || !nonce || nonce_len < SIV_MIN_NONCE_SIZE || ct_len < SIV_DIGEST_SIZE ||
      (ad_len && !ad))
    return false;
  return siv_cmac_aes128_decrypt_message(ctx, nonce_len, nonce, ad_len, ad,
                                         ct_len - SIV_DIGEST_SIZE, pt, ct) != 0;
}

bool nta_siv_open(const uint8_t key[NTA_NTS_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
                  const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *pt) {
  nta_siv_ctx ctx;
  nta_siv_ctx_init(&ctx, key);
  bool ok = nta_siv_ctx_open(&ctx, nonce, nonce_len, ad, ad_len, ct, ct_len, pt);
  memset(&ctx, 0, sizeof ctx);
  return ok;
}

bool nta_siv_seal(const uint8_t key[NTA_NTS_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
                  const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *ct) {
  if (!key || !nonce || nonce_len < SIV_MIN_NONCE_SIZE || (ad_len && !ad) || (pt_len && !pt))
    return false;
  nta_siv_ctx ctx;
  nta_siv_ctx_init(&ctx, key);
  siv_cmac_aes128_encrypt_message(&ctx, nonce_len, nonce, ad_len, ad, pt_len + SIV_DIGEST_SIZE,
                                  ct, pt);
  memset(&ctx, 0, sizeof ctx);
  return true;
}

static void put_ef(nta_writer *w, uint16_t type, const uint8_t *body, size_t len) {
  size_t padded = (len + 3) & ~(size_t)3;
  nta_wr_u16(w, type);
  nta_wr_u16(w, (uint16_t)(4 + padded));
  if (body) nta_wr_bytes(w, body, len);
  else if (nta_wr_can(w, len)) memset(w->data + w->off, 0, len), w->off += len;
  for (size_t i = len; i < padded; i++) nta_wr_u8(w, 0);
}

size_t nta_nts_build(uint8_t *buf, size_t cap, const uint8_t *uid, size_t uid_len,
                     const uint8_t *cookie, size_t cookie_len, unsigned n_placeholders,
                     const uint8_t key[NTA_NTS_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *pt, size_t pt_len) {
  if (!buf || cap < 48 || uid_len > 1024 || cookie_len > 1024 || nonce_len > 1024 ||
      pt_len > 4096 || nonce_len == 0)
    return 0;
  nta_writer w;
  nta_wr_init(&w, buf, cap);
  w.off = 48;
  put_ef(&w, NTA_EF_NTS_UID, uid, uid_len);
  if (cookie_len) put_ef(&w, NTA_EF_NTS_COOKIE, cookie, cookie_len);
  for (unsigned i = 0; i < n_placeholders; i++) put_ef(&w, NTA_EF_NTS_PLACEHOLDER, NULL, cookie_len);
  size_t ad_len = w.off, npad = (nonce_len + 3) & ~(size_t)3;
  size_t ct_len = pt_len + NTA_NTS_TAG_LEN, cpad = (ct_len + 3) & ~(size_t)3;
  /* chrony pads the nonce to at least 16 bytes and the field to at least 28 (RFC 7822). */
  size_t body = 4 + (npad < 16 ? 16 : npad) + cpad;
  if (body + 4 < 28) body = 24;
  nta_wr_u16(&w, NTA_EF_NTS_AUTH);
  nta_wr_u16(&w, (uint16_t)(4 + body));
  nta_wr_u16(&w, (uint16_t)nonce_len);
  nta_wr_u16(&w, (uint16_t)ct_len);
  size_t nonce_at = w.off, ct_at = w.off + npad;
  if (w.err || !nta_wr_can(&w, body - 4)) return 0;
  memset(buf + w.off, 0, body - 4);
  memcpy(buf + nonce_at, nonce, nonce_len);
  if (!nta_siv_seal(key, nonce, nonce_len, buf, ad_len, pt, pt_len, buf + ct_at)) return 0;
  return w.off + body - 4;
}
