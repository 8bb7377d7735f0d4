/* keyfile_chrony.c - one keyfile line as chronyd 4.3 (KEY_Reload()) reads it.
 *
 * chronyd turns every white-space character (CR included) into a separator, drops lines whose
 * first character is one of ! ; # %, and wants two or three words: "ID [TYPE] KEY" (no type
 * means MD5; a trailing comment makes more words, so the line is refused). The ID is read with
 * sscanf("%u"), so "17abc" is key 17 and key 0 is a key. The key is "HEX:" + an even number of
 * hex digit pairs, "ASCII:" + text, or text without a prefix (always ASCII). Type names are
 * case-sensitive; AES keys must be exactly 16 (AES128) or 32 (AES256) bytes. */
#include "keyfile_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The words of a normalized line: at most four are looked at. */
static size_t split_words(char *line, char *w[4]) {
  size_t n = 0;
  char *p = line;
  while (n < 4) {
    while (*p && isspace((unsigned char)*p)) p++;
    if (!*p) break;
    w[n++] = p;
    while (*p && !isspace((unsigned char)*p)) p++;
    if (*p) *p++ = '\0';
  }
  return n;
}

/* sscanf("%u"): optional white space and sign, decimal digits; the value wraps to 32 bits. */
static bool scan_u32(const char *s, uint32_t *out) {
  const char *p = s;
  if (*p == '+' || *p == '-') p++;
  if (!isdigit((unsigned char)*p)) return false;
  errno = 0;
  unsigned long v = strtoul(s, NULL, 10);
  *out = (uint32_t)v;
  return true;
}

/* HEX: pairs as chrony decodes them, each through strtol(pair, 16) that must use both
 * characters (so "+f" and "-1" pass, as they do in chronyd). */
static long chrony_hex(const char *hex, uint8_t *out) {
  size_t i = 0;
  for (; hex[0]; hex += 2, i++) {
    if (!hex[1] || i >= KEY_SECRET_MAX) return 0;
    char pair[3] = {hex[0], hex[1], '\0'}, *end;
    long v = strtol(pair, &end, 16);
    if (end != pair + 2) return 0;
    out[i] = (uint8_t)v;
  }
  return (long)i;
}

static bool chrony_type(nta_kf_reading *r) {
  static const char *const hashes[] = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512", "SHA3-224",
                                       "SHA3-256", "SHA3-384", "SHA3-512", "TIGER", "WHIRLPOOL"};
  for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
    if (strcmp(r->type, hashes[i]) == 0) {
      snprintf(r->alg, sizeof r->alg, "%s", r->type);
      return true;
    }
  if (strcmp(r->type, "AES128") == 0 || strcmp(r->type, "AES256") == 0) {
    snprintf(r->alg, sizeof r->alg, "%s", r->type[3] == '1' ? "AES128CMAC" : "AES256CMAC");
    return true;
  }
  return false;
}

void nta_kf_read_chrony(const char *chunk, nta_kf_reading *r) {
  memset(r, 0, offsetof(nta_kf_reading, secret));
  char buf[CHRONY_LINE_BUF];
  snprintf(buf, sizeof buf, "%s", chunk);
  char *p = buf;
  while (*p && isspace((unsigned char)*p)) p++;
  if (!*p || strchr("!;#%", *p)) return;
  char *w[4];
  size_t n = split_words(p, w);
  if (n < 2 || n > 3 || !scan_u32(w[0], &r->id)) {
    r->weak_evidence = n > 3;   /* a trailing comment: the ntpd style */
    return nta_kf_refuse(r, false, "Could not parse key (%s)",
                         n > 3 ? "more than three words; chrony allows no comment after a key"
                         : n < 2 ? "one word" : "the ID is not a number");
  }
  r->has_id = true;
  snprintf(r->type, sizeof r->type, "%s", n == 3 ? w[1] : "MD5");
  const char *key = w[n - 1];
  long len;
  if (strncmp(key, "ASCII:", 6) == 0) {
    len = (long)strlen(key + 6);
    if (len > KEY_SECRET_MAX) len = 0;
    memcpy(r->secret, key + 6, (size_t)len);
  } else if (strncmp(key, "HEX:", 4) == 0) {
    len = chrony_hex(key + 4, r->secret);
    r->hex = true;
  } else {
    len = (long)strlen(key);
    if (len > KEY_SECRET_MAX) len = 0;
    memcpy(r->secret, key, (size_t)len);
  }
  if (len <= 0) return nta_kf_refuse(r, false, "Could not decode key %u", r->id);
  r->secret_len = (size_t)len;
  if (!chrony_type(r)) {
    r->weak_evidence = true;
    return nta_kf_refuse(r, false, "Invalid type in key %u ('%s'; chrony's names are "
                         "case-sensitive)", r->id, r->type);
  }
  size_t want = nta_kf_cmac_key_len(r->alg);
  if (want && r->secret_len != want)
    return nta_kf_refuse(r, false, "Invalid length of %s key %u (expected %zu bits, it has %zu)",
                         r->type, r->id, want * 8, r->secret_len * 8);
  r->outcome = KF_KEY;
}
