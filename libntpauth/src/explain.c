/* explain.c - why a MAC did not verify, when the reason is a common mistake.
 *
 * Only called for a bad MAC, and bounded: at most NTA_EXPLAIN_MAX_KEYS other keys of the keyring
 * are tried (key ID mix-up), then the same secret under each other algorithm whose output fits
 * the digest length (type mismatch), the other reading of the key text (hex digits taken as
 * ASCII, or ASCII hex digits decoded), and the secret with a trailing CR or white space removed
 * or a CR added (CRLF keyfiles: ntpd and ntpsec keep the CR, chrony drops it). That is at most
 * NTA_EXPLAIN_MAX_KEYS + 12 MAC computations per failed packet. */
#include "verify_internal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keyring_internal.h"
#include "mac_internal.h"

typedef struct {
  const uint8_t *buf;
  size_t mac_offset;
  const uint8_t *digest;
  size_t digest_len;
} mac_target;

static bool matches(nta_mac *mac, const mac_target *t) {
  if (!mac || !nta_mac_len_acceptable(mac, t->digest_len)) return false;
  uint8_t out[NTA_MAC_MAX];
  size_t n = nta_mac_compute(mac, t->buf, t->mac_offset, out);
  return n >= t->digest_len && nta_ct_equal(out, t->digest, t->digest_len);
}

static bool try_secret(const char *alg, const uint8_t *secret, size_t len, const mac_target *t) {
  if (len == 0) return false;
  nta_mac *m = nta_mac_create(alg, secret, len, NULL);
  bool ok = matches(m, t);
  nta_mac_destroy(m);
  return ok;
}

static bool other_key(const nta_keyring *kr, const nta_key *key, const mac_target *t,
                      char *why, size_t cap) {
  size_t tried = 0;
  for (size_t i = 0; i < nta_keyring_count(kr) && tried < NTA_EXPLAIN_MAX_KEYS; i++) {
    const nta_key *k = nta_keyring_key_at(kr, i);
    if (k == key || !nta_mac_len_acceptable(nta_key_mac(k), t->digest_len)) continue;
    tried++;
    if (matches(nta_key_mac(k), t)) {
      snprintf(why, cap, "MAC is right for %s: key ID mix-up", nta_key_label(k));
      return true;
    }
  }
  return false;
}

static bool other_type(const nta_key *key, const mac_target *t, char *why, size_t cap) {
  static const char *const algs[] = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512", "AES128CMAC",
                                     "AES256CMAC"};
  for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
    if (strcmp(algs[i], nta_key_alg_name(key)) == 0) continue;
    if (try_secret(algs[i], nta_key_secret(key), nta_key_secret_len(key), t)) {
      snprintf(why, cap, "MAC is right for this secret as %s: type mismatch", algs[i]);
      return true;
    }
  }
  return false;
}

/* The key's bytes as hex text (read as ASCII), or its ASCII hex digits decoded. */
static bool other_encoding(const nta_key *key, const mac_target *t, char *why, size_t cap) {
  const uint8_t *s = nta_key_secret(key);
  size_t n = nta_key_secret_len(key);
  uint8_t alt[KEY_SECRET_MAX];
  bool ok = false;
  for (int upper = 0; upper < 2 && !ok && n * 2 <= sizeof alt; upper++) {
    for (size_t i = 0; i < n; i++)
      snprintf((char *)alt + 2 * i, 3, upper ? "%02X" : "%02x", s[i]);
    ok = try_secret(nta_key_alg_name(key), alt, n * 2, t);
  }
  if (ok) snprintf(why, cap, "MAC is right for the key's hex digits read as ASCII, as chrony "
                   "reads a key without HEX:");
  long m = ok ? -1 : nta_hex_decode((const char *)s, n, alt, sizeof alt);
  if (m > 0 && try_secret(nta_key_alg_name(key), alt, (size_t)m, t)) {
    snprintf(why, cap, "MAC is right for the key's text decoded as hex, as ntpd and ntpsec read "
             "keys over 20 characters");
    ok = true;
  }
  OPENSSL_cleanse(alt, sizeof alt);
  return ok;
}

static bool trailing_space(const nta_key *key, const mac_target *t, char *why, size_t cap) {
  const uint8_t *s = nta_key_secret(key);
  size_t n = nta_key_secret_len(key);
  uint8_t alt[KEY_SECRET_MAX + 1];
  size_t m = n;
  while (m > 0 && (s[m - 1] == '\r' || s[m - 1] == ' ' || s[m - 1] == '\t')) m--;
  if (m < n && try_secret(nta_key_alg_name(key), s, m, t)) {
    snprintf(why, cap, "MAC is right without the key's trailing %s (CRLF keyfile: ntpd and ntpsec "
             "keep the CR, chrony drops it)", s[n - 1] == '\r' ? "CR" : "white space");
    return true;
  }
  if (n >= sizeof alt) return false;
  memcpy(alt, s, n);
  alt[n] = '\r';
  bool ok = try_secret(nta_key_alg_name(key), alt, n + 1, t);
  if (ok) snprintf(why, cap, "MAC is right with a CR after the key (the peer reads a CRLF "
                   "keyfile as ntpd and ntpsec do)");
  OPENSSL_cleanse(alt, sizeof alt);
  return ok;
}

bool nta_explain_bad_mac(const nta_keyring *kr, const nta_key *key, const uint8_t *buf,
                         size_t mac_offset, const uint8_t *digest, size_t digest_len, char *why,
                         size_t cap) {
  mac_target t = {buf, mac_offset, digest, digest_len};
  return other_key(kr, key, &t, why, cap) || other_type(key, &t, why, cap) ||
         other_encoding(key, &t, why, cap) || trailing_space(key, &t, why, cap);
}
