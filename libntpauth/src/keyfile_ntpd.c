/* keyfile_ntpd.c - one keyfile line as ntpd 4.2.8 (NTP Classic, authreadkeys()) reads it, and
 * the helpers its reader shares with ntpsec's and the loader.
 *
 * ntpd 4.2.8 splits a line on spaces and tabs only ('\r' stays in the token), stops a token at
 * '#', reads the ID with atoi(), resolves the type with OpenSSL's short-name table (upper-cased)
 * plus "AES128CMAC" and names starting with 'M', takes a key of up to 20 characters as ASCII and
 * a longer one as hex (up to 64 bytes, an odd digit count rounds up), and checks an optional
 * fourth field of addresses. Errors it counts make it refuse the whole file; an unknown type
 * only drops that key. CMAC keys are zero-extended or cut to 16 bytes when used. */
#include "keyfile_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#define NTPD_MAX_ID 65535u
#define NTPD_ASCII_MAX 20
#define NTPD_SECRET_MAX 64   /* AUTHPWD_MAXSECLEN */

void nta_kf_refuse(nta_kf_reading *r, bool counted, const char *fmt, ...) {
  r->outcome = KF_REFUSED;
  r->counted = counted;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->why, sizeof r->why, fmt, ap);
  va_end(ap);
}

char *nta_kf_nexttok(char **cursor) {
  char *p = *cursor;
  while (*p == ' ' || *p == '\t') p++;
  char *start = p;
  while (*p && *p != '\n' && *p != ' ' && *p != '\t' && *p != '#') p++;
  if (p == start) {
    *cursor = p;
    return NULL;
  }
  bool more = *p == ' ' || *p == '\t';
  *p = '\0';
  *cursor = more ? p + 1 : p;
  return start;
}

uint32_t nta_kf_atoi_id(const char *s) {
  /* glibc: atoi(s) == (int)strtol(s, NULL, 10); strtol saturates, the cast keeps the low bits */
  long v = strtol(s, NULL, 10);
  return (uint32_t)(int)(unsigned long)v;
}

size_t nta_kf_cmac_key_len(const char *alg) {
  if (strcmp(alg, "AES128CMAC") == 0) return 16;
  if (strcmp(alg, "AES192CMAC") == 0) return 24;
  if (strcmp(alg, "AES256CMAC") == 0) return 32;
  char cipher[KEY_TYPE_TEXT_MAX + 8];
  snprintf(cipher, sizeof cipher, "%s-CBC", alg);
  const EVP_CIPHER *c = EVP_get_cipherbyname(cipher);
  return c ? (size_t)EVP_CIPHER_key_length(c) : 0;
}

void nta_kf_fit_cmac(nta_kf_reading *r, size_t want, const char *daemon) {
  if (want == 0 || r->secret_len == want) return;
  if (r->secret_len > want)
    snprintf(r->note, sizeof r->note, "CMAC key of %zu bytes: %s uses the first %zu", r->secret_len,
             daemon, want);
  else
    snprintf(r->note, sizeof r->note, "CMAC key of %zu bytes: %s pads it with zeros to %zu",
             r->secret_len, daemon, want);
  if (r->secret_len < want) memset(r->secret + r->secret_len, 0, want - r->secret_len);
  r->secret_len = want;
}

/* keytype_from_text(): OpenSSL short name of the upper-cased text, "AES128CMAC", or 'M'. */
static bool ntpd_type(nta_kf_reading *r, const char *token) {
  char up[KEY_TYPE_TEXT_MAX];
  snprintf(up, sizeof up, "%s", token);
  for (char *p = up; *p; p++) *p = (char)toupper((unsigned char)*p);
  int nid = OBJ_sn2nid(up);
  if (nid == NID_cmac || (nid == 0 && strcmp(up, "AES128CMAC") == 0)) {
    snprintf(r->alg, sizeof r->alg, "AES128CMAC");
    return true;
  }
  if (nid == 0 && up[0] == 'M') nid = NID_md5;
  if (nid == 0) {
    snprintf(r->why, sizeof r->why, "unsupported type %s for key %u", token, r->id);
    return false;
  }
  const EVP_MD *md = EVP_get_digestbynid(nid);
  if (!md) {
    snprintf(r->why, sizeof r->why, "no algorithm for %s key %u", token, r->id);
    return false;
  }
  snprintf(r->alg, sizeof r->alg, "%s", OBJ_nid2sn(nid));
  return true;
}

/* authdecodepw(): <= 20 characters ASCII, else hex of either case, odd count rounds up. */
static bool ntpd_secret(nta_kf_reading *r, const char *key) {
  size_t n = strlen(key);
  if (n <= NTPD_ASCII_MAX) {
    memcpy(r->secret, key, n);
    r->secret_len = n;
    return true;
  }
  size_t bytes = n / 2 + n % 2;
  if (bytes > NTPD_SECRET_MAX) {
    nta_kf_refuse(r, true, "passwd too long for key %u (%zu hex digits, at most 128)", r->id, n);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    char c = key[i];
    int v = c >= '0' && c <= '9' ? c - '0'
          : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) {
      nta_kf_refuse(r, true, "passwd has bad char for key %u (%s at position %zu of a hex key)",
                    r->id, c == '\r' ? "CR" : "a non-hex character", i + 1);
      return false;
    }
    if (i % 2 == 0)
      r->secret[i / 2] = (uint8_t)(v << 4);
    else
      r->secret[i / 2] |= (uint8_t)v;
  }
  r->secret_len = bytes;
  r->hex = true;
  if (n % 2)
    snprintf(r->note, sizeof r->note, "odd number of hex digits (%zu): ntpd pads the last byte "
             "with 0", n);
  return true;
}

/* The optional address list "ip[/bits],ip...": a bad address or mask is a counted error. */
static bool ntpd_acl(nta_kf_reading *r, char *list) {
  for (char *tp = list; tp;) {
    char *comma = strchr(tp, ',');
    if (comma) *comma = '\0';
    char *slash = strchr(tp, '/');
    if (slash) {
      *slash++ = '\0';
      for (const char *p = slash; *p; p++)
        if (!isdigit((unsigned char)*p)) {
          nta_kf_refuse(r, true, "Invalid character in subnet specification for key %u", r->id);
          return false;
        }
    }
    unsigned char addr[16];
    if (inet_pton(AF_INET, tp, addr) != 1 && inet_pton(AF_INET6, tp, addr) != 1) {
      nta_kf_refuse(r, true, "invalid IP address <%s> for key %u", tp, r->id);
      return false;
    }
    tp = comma ? comma + 1 : NULL;
  }
  return true;
}

char *nta_kf_id_and_type(char **cur, nta_kf_reading *r, bool counted, const char *reserved_tail) {
  char *tok = nta_kf_nexttok(cur);
  if (!tok) return NULL;
  r->id = nta_kf_atoi_id(tok);
  if (r->id == 0) {
    nta_kf_refuse(r, counted, "cannot change key %s (key ID 0)", tok);
    return NULL;
  }
  if (r->id > NTPD_MAX_ID) {
    nta_kf_refuse(r, counted, "key %s > 65535 reserved%s", tok, reserved_tail);
    return NULL;
  }
  r->has_id = true;
  if (!(tok = nta_kf_nexttok(cur))) {
    nta_kf_refuse(r, counted, "no key type for key %u", r->id);
    return NULL;
  }
  snprintf(r->type, sizeof r->type, "%s", tok);
  return tok;
}

void nta_kf_read_ntpd(const char *chunk, nta_kf_reading *r) {
  memset(r, 0, offsetof(nta_kf_reading, secret));
  char buf[CHRONY_LINE_BUF];
  snprintf(buf, sizeof buf, "%s", chunk);
  char *cur = buf, *tok = nta_kf_id_and_type(&cur, r, true, " for Autokey");
  if (!tok) return;
  bool type_ok = ntpd_type(r, tok);
  char type_why[KF_WHY_MAX];
  snprintf(type_why, sizeof type_why, "%s", r->why);
  if (!(tok = nta_kf_nexttok(&cur))) return nta_kf_refuse(r, true, "no key for key %u", r->id);
  if (!ntpd_secret(r, tok)) return;
  char *acl = nta_kf_nexttok(&cur);
  if (acl && !ntpd_acl(r, acl)) return;
  if (!type_ok) {   /* dropped silently after the line was checked */
    r->weak_evidence = true;
    return nta_kf_refuse(r, false, "%s", type_why);
  }
  if (strcmp(r->alg, "AES128CMAC") == 0) nta_kf_fit_cmac(r, 16, "ntpd 4.2.8");
  r->outcome = KF_KEY;
}

/* ---- physical lines and fgets chunks -------------------------------------------------------- */

bool nta_kf_next_line(nta_kf_lines *it) {
  if (it->off >= it->len) return false;
  const char *start = it->text + it->off;
  const char *nl = memchr(start, '\n', it->len - it->off);
  size_t n = nl ? (size_t)(nl - start) + 1 : it->len - it->off;
  it->line = start;
  it->line_len = n;
  it->off += n;
  it->lineno++;
  return true;
}

bool nta_kf_next_chunk(const char *line, size_t line_len, size_t *pos, size_t bufsize, char *out) {
  if (*pos >= line_len) return false;
  size_t n = line_len - *pos;
  if (n > bufsize - 1) n = bufsize - 1;
  memcpy(out, line + *pos, n);
  out[n] = '\0';   /* a NUL byte inside ends the string early, as in C */
  *pos += n;
  return true;
}

nta_kf_reader nta_kf_reader_for(nta_dialect d) {
  switch (d) {
  case NTA_DIALECT_NTPSEC: return nta_kf_read_ntpsec;
  case NTA_DIALECT_CHRONY: return nta_kf_read_chrony;
  default: return nta_kf_read_ntpd;
  }
}

size_t nta_kf_bufsize_for(nta_dialect d) {
  return d == NTA_DIALECT_CHRONY ? CHRONY_LINE_BUF : NTPD_LINE_BUF;
}
