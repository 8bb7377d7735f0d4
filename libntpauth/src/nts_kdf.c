/* nts_kdf.c - TLS 1.3 key schedule pieces NTS needs: HKDF-Expand-Label and the exporter.
 *
 * Only expansion is needed: the key log already holds the secrets that HKDF-Extract produced.
 * The hash is not written in a key log line; a TLS 1.3 secret is as long as its cipher suite's
 * hash, so 32 bytes means SHA-256 and 48 bytes SHA-384 (chrony with GnuTLS negotiates
 * TLS_AES_256_GCM_SHA384). */
#include "ntpauth/nts.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define HASH_MAX 48
#define LABEL_MAX 255

static const EVP_MD *md_for(size_t secret_len) {
  if (secret_len == 32) return EVP_sha256();
  if (secret_len == 48) return EVP_sha384();
  return NULL;
}

/* HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) | info | i). `info` is at most
 * INFO_MAX bytes (HKDF-Expand-Label's structure). */
#define INFO_MAX (2 + 1 + LABEL_MAX + 1 + 255)
static nta_status hkdf_expand(const EVP_MD *md, const uint8_t *prk, size_t prk_len,
                              const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len) {
  size_t hlen = (size_t)EVP_MD_get_size(md);
  if (out_len > 255 * hlen || info_len > INFO_MAX) return NTA_ERR_ARG;
  uint8_t msg[HASH_MAX + INFO_MAX + 1], t[HASH_MAX];
  size_t t_len = 0, done = 0;
  for (unsigned i = 1; done < out_len; i++) {
    memcpy(msg, t, t_len);
    memcpy(msg + t_len, info, info_len);
    msg[t_len + info_len] = (uint8_t)i;
    unsigned int n = 0;
    if (!HMAC(md, prk, (int)prk_len, msg, t_len + info_len + 1, t, &n)) return NTA_ERR_UNSUPPORTED;
    t_len = n;
    size_t take = out_len - done < t_len ? out_len - done : t_len;
    memcpy(out + done, t, take);
    done += take;
  }
  memset(t, 0, sizeof t);
  memset(msg, 0, sizeof msg);
  return NTA_OK;
}

nta_status nta_hkdf_expand_label(const uint8_t *secret, size_t secret_len, const char *label,
                                 const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len) {
  const EVP_MD *md = md_for(secret_len);
  size_t label_len = label ? strlen(label) : 0;
  if (!md || !secret || !out || out_len > 0xffff || 6 + label_len > LABEL_MAX || ctx_len > 255 ||
      (ctx_len && !ctx))
    return NTA_ERR_ARG;
  /* struct { uint16 length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255>; } */
  uint8_t info[INFO_MAX];
  size_t n = 0;
  info[n++] = (uint8_t)(out_len >> 8);
  info[n++] = (uint8_t)out_len;
  info[n++] = (uint8_t)(6 + label_len);
  memcpy(info + n, "tls13 ", 6);
  n += 6;
  memcpy(info + n, label, label_len);
  n += label_len;
  info[n++] = (uint8_t)ctx_len;
  if (ctx_len) memcpy(info + n, ctx, ctx_len);
  n += ctx_len;
  return hkdf_expand(md, secret, secret_len, info, n, out, out_len);
}

static bool hash_of(const EVP_MD *md, const uint8_t *data, size_t len, uint8_t *out) {
  unsigned int n = 0;
  return EVP_Digest(data, len, out, &n, md, NULL) == 1;
}

/* TLS-Exporter(label, context, length) =
 *   HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context), length)
 * where Derive-Secret(S, l, "") = HKDF-Expand-Label(S, l, Hash(""), Hash.length). */
nta_status nta_tls13_exporter(const uint8_t *secret, size_t secret_len, const char *label,
                              const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len) {
  const EVP_MD *md = md_for(secret_len);
  if (!md || (ctx_len && !ctx)) return NTA_ERR_ARG;
  uint8_t empty_hash[HASH_MAX], ctx_hash[HASH_MAX], derived[HASH_MAX];
  static const uint8_t nothing[1] = {0};
  if (!hash_of(md, nothing, 0, empty_hash) || !hash_of(md, ctx_len ? ctx : nothing, ctx_len, ctx_hash))
    return NTA_ERR_UNSUPPORTED;
  nta_status st = nta_hkdf_expand_label(secret, secret_len, label, empty_hash, secret_len,
                                        derived, secret_len);
  if (st == NTA_OK)
    st = nta_hkdf_expand_label(derived, secret_len, "exporter", ctx_hash, secret_len, out, out_len);
  memset(derived, 0, sizeof derived);
  return st;
}

nta_status nta_nts_derive_keys(const uint8_t *exporter_secret, size_t secret_len, uint16_t aead,
                               uint8_t c2s[NTA_NTS_KEY_LEN], uint8_t s2c[NTA_NTS_KEY_LEN]) {
  if (aead != NTA_NTS_AEAD_AES_SIV_CMAC_256) return NTA_ERR_UNSUPPORTED;
  static const char label[] = "EXPORTER-network-time-security";
  uint8_t ctx[5] = {0x00, 0x00, (uint8_t)(aead >> 8), (uint8_t)aead, 0x00};
  nta_status st = nta_tls13_exporter(exporter_secret, secret_len, label, ctx, sizeof ctx, c2s,
                                     NTA_NTS_KEY_LEN);
  if (st != NTA_OK) return st;
  ctx[4] = 0x01;
  return nta_tls13_exporter(exporter_secret, secret_len, label, ctx, sizeof ctx, s2c,
                            NTA_NTS_KEY_LEN);
}
