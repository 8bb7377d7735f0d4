/* keyfile_ntpsec.c - one keyfile line as ntpsec 1.2.2 (authreadkeys()) reads it.
 *
 * Same tokenizer and atoi() ID as ntpd 4.2.8, but every problem only skips its line. The type
 * is upper-cased; "AES" and "AES128CMAC" mean AES-128, any other name is tried as a CMAC cipher
 * with "-CBC" appended (AES-128, AES-256, CAMELLIA-128 ...), then as an OpenSSL digest name
 * (with aliases, so SHA-1 works), then names starting with 'M' are MD5. A key of up to 20
 * characters is ASCII; a longer one is hex, cut to 64 digits, with an odd last digit dropped and
 * any bad digit (a trailing CR included) skipping the key. CMAC keys are truncated or padded to
 * the cipher's key length. */
#include "keyfile_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#define NTPSEC_ASCII_MAX 20
#define NTPSEC_HEX_DIGITS 64   /* uint8_t keystr[32] */

static bool ntpsec_type(nta_kf_reading *r, const char *token) {
  char up[KEY_TYPE_TEXT_MAX], cipher[KEY_TYPE_TEXT_MAX + 8];
  snprintf(up, sizeof up, "%s", token);
  for (char *p = up; *p; p++) *p = (char)toupper((unsigned char)*p);
  if (strcmp(up, "AES") == 0 || strcmp(up, "AES128CMAC") == 0) {
    snprintf(r->alg, sizeof r->alg, "AES128CMAC");
    return true;
  }
  snprintf(cipher, sizeof cipher, "%s-CBC", up);
  if (EVP_get_cipherbyname(cipher)) {
    /* "AES-128" -> AES128CMAC; others keep their name for nta_mac_create */
    if (strcmp(up, "AES-128") == 0 || strcmp(up, "AES-192") == 0 || strcmp(up, "AES-256") == 0)
      snprintf(r->alg, sizeof r->alg, "%s", up[4] == '1' && up[5] == '2' ? "AES128CMAC"
                                            : up[4] == '1' ? "AES192CMAC" : "AES256CMAC");
    else
      snprintf(r->alg, sizeof r->alg, "%s", up);
    return true;
  }
  const EVP_MD *md = EVP_get_digestbyname(up);
  if (md) {   /* by its short name: "SHA-1" is SHA1 */
    const char *sn = OBJ_nid2sn(EVP_MD_type(md));
    snprintf(r->alg, sizeof r->alg, "%s", sn && EVP_MD_type(md) != NID_undef ? sn : up);
    return true;
  }
  if (up[0] == 'M') {
    snprintf(r->alg, sizeof r->alg, "MD5");
    return true;
  }
  return false;
}

static bool ntpsec_secret(nta_kf_reading *r, const char *key) {
  size_t n = strlen(key);
  if (n <= NTPSEC_ASCII_MAX) {
    memcpy(r->secret, key, n);
    r->secret_len = n;
    return true;
  }
  size_t digits = n;
  if (digits > NTPSEC_HEX_DIGITS) {
    digits = NTPSEC_HEX_DIGITS;
    snprintf(r->note, sizeof r->note, "hex key of %zu digits: ntpsec uses the first 64 (32 bytes)",
             n);
  }
  for (size_t i = 0; i < digits; i++) {
    int c = tolower((unsigned char)key[i]);
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) {
      nta_kf_refuse(r, false, "invalid hex digit for key %u (%s at position %zu)", r->id,
                    key[i] == '\r' ? "CR" : "a non-hex character", i + 1);
      return false;
    }
    if (i % 2 == 0)
      r->secret[i / 2] = (uint8_t)(v << 4);
    else
      r->secret[i / 2] |= (uint8_t)v;
  }
  if (digits % 2 && !r->note[0])
    snprintf(r->note, sizeof r->note, "odd number of hex digits (%zu): ntpsec ignores the last one",
             n);
  r->secret_len = digits / 2;
  r->hex = true;
  return true;
}

void nta_kf_read_ntpsec(const char *chunk, nta_kf_reading *r) {
  memset(r, 0, offsetof(nta_kf_reading, secret));
  char buf[CHRONY_LINE_BUF];
  snprintf(buf, sizeof buf, "%s", chunk);
  char *cur = buf, *tok = nta_kf_id_and_type(&cur, r, false, "");
  if (!tok) return;
  if (!ntpsec_type(r, tok)) {
    r->weak_evidence = true;
    return nta_kf_refuse(r, false, "unknown auth type %u, %s", r->id, tok);
  }
  if (!(tok = nta_kf_nexttok(&cur))) return nta_kf_refuse(r, false, "no key for key %u", r->id);
  if (!ntpsec_secret(r, tok)) return;
  size_t want = nta_kf_cmac_key_len(r->alg);
  if (want && r->secret_len != want) nta_kf_fit_cmac(r, want, "ntpsec");
  r->outcome = KF_KEY;
}
