/* ntske_tls.c - TLS 1.3 record protection for reading NTS-KE (RFC 8446 §5.2, §7.3).
 *
 * Keys: key = HKDF-Expand-Label(secret, "key", "", key length), iv = HKDF-Expand-Label(secret,
 * "iv", "", 12). Nonce: the iv XOR the 64-bit record sequence number (left-padded). Associated
 * data: the 5-byte record header. The plaintext ends with the real content type and optional
 * zero padding. */
#include "ntpauth/ntske_conn.h"

#include <string.h>

#include <openssl/evp.h>

static const EVP_CIPHER *cipher_for(uint16_t suite, size_t *key_len, size_t *secret_len) {
  switch (suite) {
  case 0x1301: *key_len = 16, *secret_len = 32; return EVP_aes_128_gcm();
  case 0x1302: *key_len = 32, *secret_len = 48; return EVP_aes_256_gcm();
  case 0x1303: *key_len = 32, *secret_len = 32; return EVP_chacha20_poly1305();
  default: return NULL;
  }
}

nta_status nta_tls13_dir_init(nta_tls13_dir *d, uint16_t suite, const uint8_t *secret, size_t len) {
  size_t key_len, secret_len;
  memset(d, 0, sizeof *d);
  if (!cipher_for(suite, &key_len, &secret_len)) return NTA_ERR_UNSUPPORTED;
  if (len != secret_len) return NTA_ERR_ARG;
  d->suite = suite;
  nta_status st = nta_hkdf_expand_label(secret, len, "key", NULL, 0, d->key, key_len);
  if (st == NTA_OK) st = nta_hkdf_expand_label(secret, len, "iv", NULL, 0, d->iv, sizeof d->iv);
  return st;
}

#define TAG_LEN 16

static bool aead_open(const EVP_CIPHER *cipher, const nta_tls13_dir *d, const uint8_t nonce[12],
                      const uint8_t *rec, size_t len, uint8_t *pt) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  if (!c) return false;
  int n = 0, n2 = 0;
  size_t ct_len = len - 5 - TAG_LEN;
  bool ok = EVP_DecryptInit_ex(c, cipher, NULL, NULL, NULL) &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) &&
            EVP_DecryptInit_ex(c, NULL, NULL, d->key, nonce) &&
            EVP_DecryptUpdate(c, NULL, &n, rec, 5) &&
            EVP_DecryptUpdate(c, pt, &n, rec + 5, (int)ct_len) &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)(rec + len - TAG_LEN)) &&
            EVP_DecryptFinal_ex(c, pt + n, &n2) > 0;
  EVP_CIPHER_CTX_free(c);
  return ok;
}

bool nta_tls13_open(nta_tls13_dir *d, const uint8_t *rec, size_t len, uint8_t *pt,
                    size_t *pt_len, uint8_t *inner_type) {
  size_t key_len, secret_len;
  const EVP_CIPHER *cipher = cipher_for(d->suite, &key_len, &secret_len);
  if (!cipher || len < 5 + TAG_LEN + 1 || len - 5 > 16384 + 256) return false;
  uint8_t nonce[12];
  memcpy(nonce, d->iv, 12);
  for (int i = 0; i < 8; i++) nonce[4 + i] ^= (uint8_t)(d->seq >> (56 - 8 * i));
  if (!aead_open(cipher, d, nonce, rec, len, pt)) return false;
  size_t n = len - 5 - TAG_LEN;
  while (n > 0 && pt[n - 1] == 0) n--;   /* zero padding, then the content type */
  if (n == 0) return false;
  *inner_type = pt[n - 1];
  *pt_len = n - 1;
  d->seq++;
  return true;
}
