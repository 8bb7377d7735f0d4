/* keyring_parse.c - keyfile text of ntpd (ntp-keygen -M), ntpsec (ntpkeygen) and chrony.
 *
 * Each problem with a line becomes a "name:line: reason" diagnostic and the line is skipped,
 * which is what ntpsec and chrony do (Classic ntpd rejects the whole file on a parse error;
 * the message says so where it matters). See ntp-auth-facts.md section 4 for the rules. */
#include "keyring_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define LINE_MAX_CHARS 4096
#define MAX_TOKENS 8
#define NTPD_MAX_ID 65535u
#define NTPD_ASCII_MAX 20         /* ntpd/ntpsec: longer keys are hex */
#define NTPD_HEX_MAX_DIGITS 128   /* Classic decodes at most 64 bytes */
#define NTPSEC_HEX_MAX_DIGITS 64  /* ntpsec truncates longer hex keys to 32 bytes */

typedef struct {
  char *tok[MAX_TOKENS];
  size_t n;
  bool more;   /* more than MAX_TOKENS */
} line_tokens;

/* Splits `line` in place on spaces and tabs. */
static void tokenize(char *line, line_tokens *t) {
  t->n = 0;
  t->more = false;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\v' || *p == '\f') p++;
    if (!*p) break;
    if (t->n == MAX_TOKENS) {
      t->more = true;
      break;
    }
    t->tok[t->n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\v' && *p != '\f') p++;
    if (*p) *p++ = '\0';
  }
}

static bool has_chrony_prefix(const char *s) {
  return strncmp(s, "HEX:", 4) == 0 || strncmp(s, "ASCII:", 6) == 0;
}

static bool is_chrony_comment(const char *line) {
  while (*line == ' ' || *line == '\t') line++;
  return *line == '!' || *line == ';' || *line == '#' || *line == '%';
}

/* Decimal key ID, digits only; false when not a number. Values beyond 2^32-1 saturate at
 * UINT32_MAX + 1 so the caller can say "out of range". */
static bool parse_key_id(const char *s, unsigned long long *out) {
  if (!*s) return false;
  for (const char *p = s; *p; p++)
    if (!isdigit((unsigned char)*p)) return false;
  errno = 0;
  unsigned long long v = strtoull(s, NULL, 10);
  if (errno || v > UINT32_MAX) v = (unsigned long long)UINT32_MAX + 1;
  *out = v;
  return true;
}

/* ---- line iteration ------------------------------------------------------------------------ */

typedef struct {
  const char *text;
  size_t len, off;
  unsigned lineno;
} line_iter;

/* Next line into buf (NUL-terminated, CR/LF stripped). Sets *too_long / *has_nul instead of
 * truncating silently. */
static bool next_line(line_iter *it, char *buf, bool *too_long, bool *has_nul) {
  if (it->off >= it->len) return false;
  const char *start = it->text + it->off;
  const char *nl = memchr(start, '\n', it->len - it->off);
  size_t n = nl ? (size_t)(nl - start) : it->len - it->off;
  it->off += n + (nl ? 1 : 0);
  it->lineno++;
  if (n && start[n - 1] == '\r') n--;
  *too_long = n >= LINE_MAX_CHARS;
  if (*too_long) n = LINE_MAX_CHARS - 1;
  *has_nul = memchr(start, '\0', n) != NULL;
  memcpy(buf, start, n);
  buf[n] = '\0';
  return true;
}

static bool is_hex_digit(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/* True for a key field that ntpd/ntpsec would read as hex (more than 20 characters before any
 * '#') but that holds a character that is not a hex digit. */
static bool ntpd_key_not_hex(const char *key) {
  size_t len = strcspn(key, "#");
  if (len <= NTPD_ASCII_MAX) return false;
  for (size_t i = 0; i < len; i++)
    if (!is_hex_digit(key[i])) return true;
  return false;
}

nta_dialect nta_keyring_detect_dialect(const char *text, size_t len) {
  line_iter it = {.text = text, .len = text ? len : 0};
  char *line = malloc(LINE_MAX_CHARS);
  if (!line) return NTA_DIALECT_NTPD;
  bool too_long, has_nul;
  nta_dialect d = NTA_DIALECT_NTPD;
  while (d == NTA_DIALECT_NTPD && next_line(&it, line, &too_long, &has_nul)) {
    if (is_chrony_comment(line)) continue;
    line_tokens t;
    tokenize(line, &t);
    /* Only where a key can stand (2nd or 3rd field): "# HEX: ..." in a comment is no hint. */
    for (size_t i = 1; i < t.n && i <= 2 && t.tok[i][0] != '#'; i++)
      if (has_chrony_prefix(t.tok[i])) d = NTA_DIALECT_CHRONY;
    /* Count fields the way ntpd would see them: '#' ends the line. */
    size_t fields = 0;
    for (size_t i = 0; i < t.n && t.tok[i][0] != '#'; i++) {
      fields++;
      if (strchr(t.tok[i], '#')) break;
    }
    unsigned long long id;
    if (fields == 2) d = NTA_DIALECT_CHRONY;
    if (fields >= 1 && parse_key_id(t.tok[0], &id) && id > NTPD_MAX_ID) d = NTA_DIALECT_CHRONY;
  }
  free(line);
  return d;
}

/* ---- secrets ------------------------------------------------------------------------------- */

static int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Hex as ntpd/ntpsec read it: `digits` digits are used; an odd last digit becomes the high
 * nibble of a final byte (ntpd) or is dropped (ntpsec, round_up false). */
static long decode_hex_digits(const char *hex, size_t digits, bool round_up, uint8_t *out,
                              char *why, size_t whylen) {
  for (size_t i = 0; i < digits; i++)
    if (hex_nibble(hex[i]) < 0) {
      snprintf(why, whylen, "bad hex digit '%c' at position %zu of the key", hex[i], i + 1);
      return -1;
    }
  size_t used = round_up ? digits : digits & ~(size_t)1;
  for (size_t i = 0; i < used; i++) {
    int v = hex_nibble(hex[i]);
    if (i % 2 == 0)
      out[i / 2] = (uint8_t)(v << 4);
    else
      out[i / 2] |= (uint8_t)v;
  }
  return (long)((used + 1) / 2);
}

static long decode_ntpd_style(const char *text, bool ntpsec, uint8_t *secret, char *why,
                              size_t whylen, char *warn, size_t warnlen) {
  size_t len = strlen(text);
  if (len <= NTPD_ASCII_MAX) {
    memcpy(secret, text, len);
    return (long)len;
  }
  if (!ntpsec) {
    if (len > NTPD_HEX_MAX_DIGITS) {
      snprintf(why, whylen, "hex key of %zu digits is longer than ntpd's 128 (64 bytes)", len);
      return -1;
    }
    long n = decode_hex_digits(text, len, true, secret, why, whylen);
    if (n >= 0 && len % 2)
      snprintf(warn, warnlen, "odd number of hex digits (%zu): ntpd pads the last byte with 0",
               len);
    return n;
  }
  size_t digits = len;
  if (digits > NTPSEC_HEX_MAX_DIGITS) {
    digits = NTPSEC_HEX_MAX_DIGITS;
    snprintf(warn, warnlen, "hex key of %zu digits truncated to 64 digits (32 bytes), as ntpsec does",
             len);
  } else if (digits % 2) {
    snprintf(warn, warnlen, "odd number of hex digits (%zu): ntpsec ignores the last one", len);
  }
  return decode_hex_digits(text, digits, false, secret, why, whylen);
}

static long decode_chrony_style(const char *text, uint8_t *secret, char *why, size_t whylen) {
  if (strncmp(text, "HEX:", 4) == 0) {
    const char *hex = text + 4;
    size_t len = strlen(hex);
    if (len == 0) {
      snprintf(why, whylen, "empty key after HEX:");
      return -1;
    }
    if (len % 2) {
      snprintf(why, whylen, "odd number of hex digits (%zu) after HEX:", len);
      return -1;
    }
    if (len / 2 > KEY_SECRET_MAX) {
      snprintf(why, whylen, "key longer than %d bytes", KEY_SECRET_MAX);
      return -1;
    }
    return decode_hex_digits(hex, len, false, secret, why, whylen);
  }
  const char *ascii = strncmp(text, "ASCII:", 6) == 0 ? text + 6 : text;
  size_t len = strlen(ascii);
  if (len == 0) {
    snprintf(why, whylen, "empty key");
    return -1;
  }
  if (len > KEY_SECRET_MAX) {
    snprintf(why, whylen, "key longer than %d bytes", KEY_SECRET_MAX);
    return -1;
  }
  memcpy(secret, ascii, len);
  return (long)len;
}

static long decode_secret(const char *text, nta_dialect dialect, uint8_t *secret, char *why,
                           size_t whylen, char *warn, size_t warnlen) {
  if (warn && warnlen) warn[0] = '\0';
  if (!*text) {
    snprintf(why, whylen, "empty key");
    return -1;
  }
  if (dialect == NTA_DIALECT_CHRONY) return decode_chrony_style(text, secret, why, whylen);
  return decode_ntpd_style(text, dialect == NTA_DIALECT_NTPSEC, secret, why, whylen, warn, warnlen);
}

/* ---- one key line -------------------------------------------------------------------------- */

typedef struct {
  nta_keyring *kr;
  const char *name;
  unsigned lineno;
  nta_dialect dialect;
  bool detected;      /* dialect came from AUTO detection: ntpd may also mean ntpsec */
  nta_diags *diags;
  nta_status fatal;   /* out of memory */
} parse_ctx;

#define LINE_DIAG(c, level, fmt, ...) \
  nta_diags_add((c)->diags, level, "%s:%u: " fmt, (c)->name, (c)->lineno, ##__VA_ARGS__)

/* Classic ntpd counts these as errors and then refuses the whole file (keeping its old keys);
 * ntpsec and chrony skip the line, as we do. Say so when reading an ntpd keyfile. */
static const char *ntpd_rejects_file(const parse_ctx *c) {
  return c->dialect == NTA_DIALECT_NTPD ? " (ntpd 4.2.8 would reject the whole file)" : "";
}

/* Types chronyd 4.x accepts, spelled as it requires (case-sensitive). */
static bool chrony_knows_type(const char *t) {
  static const char *const names[] = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512", "SHA3-224",
                                      "SHA3-256", "SHA3-384", "SHA3-512", "TIGER", "WHIRLPOOL",
                                      "AES128", "AES256"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(names[i], t) == 0) return true;
  return false;
}

/* With an auto-detected ntpd-style file, ntpd and ntpsec may read one hex key differently
 * (odd digit count: Classic pads the last nibble, ntpsec drops it; more than 64 digits: Classic
 * uses up to 64 bytes, ntpsec the first 32). Real ntpsec peers use their reading, Classic peers
 * theirs, and the file does not say which daemon it is for: keep ntpsec's reading as an
 * alternate that verification also tries. Returns the alternate MAC or NULL. */
static nta_mac *ntpsec_alternate(parse_ctx *c, uint32_t id, const char *type, const char *key_text,
                                 const uint8_t *secret, long n) {
  uint8_t alt[KEY_SECRET_MAX];
  char why[160] = "", warn[160] = "";
  long m = decode_secret(key_text, NTA_DIALECT_NTPSEC, alt, why, sizeof why, warn,
                                 sizeof warn);
  nta_mac *mac = NULL;
  if (m >= 0 && (m != n || memcmp(alt, secret, (size_t)m) != 0)) {
    nta_diag merr;
    mac = nta_mac_create(type, alt, (size_t)m, &merr);
    if (mac)
      LINE_DIAG(c, NTA_DIAG_NOTE, "key %u: ntpd reads this key as %ld bytes, ntpsec as %ld; "
                "both readings are tried", id, n, m);
  }
  OPENSSL_cleanse(alt, sizeof alt);
  return mac;
}

/* chrony reads a prefix-less key as ASCII whatever its length, where ntpd and ntpsec take more
 * than 20 characters as hex: a prefix-less chrony keyfile looks like an ntpd one. For a long key
 * in an auto-detected ntpd-style file, keep chrony's reading as the alternate (silently: every
 * `ntp-keygen -M` SHA1 key would otherwise get a note). */
static nta_mac *chrony_alternate(const char *type, const char *key_text) {
  size_t len = strcspn(key_text, "#");
  if (len <= NTPD_ASCII_MAX) return NULL;
  uint8_t alt[KEY_SECRET_MAX];
  char why[160] = "", warn[160] = "";
  long m = decode_secret(key_text, NTA_DIALECT_CHRONY, alt, why, sizeof why, warn,
                                 sizeof warn);
  nta_mac *mac = NULL;
  if (m >= 0) {
    nta_diag merr;
    mac = nta_mac_create(type, alt, (size_t)m, &merr);
  }
  OPENSSL_cleanse(alt, sizeof alt);
  return mac;
}

/* The alternate reading verification also tries for a key of an auto-detected ntpd-style file:
 * ntpsec's where it differs from ntpd's, else chrony's. Sets *reader. */
static nta_mac *auto_alternate(parse_ctx *c, uint32_t id, const char *type, const char *key_text,
                               const uint8_t *secret, long n, bool read_as_chrony,
                               const char **reader) {
  if (!c->detected || c->dialect != NTA_DIALECT_NTPD || read_as_chrony) return NULL;
  nta_mac *mac = ntpsec_alternate(c, id, type, key_text, secret, n);
  *reader = "ntpsec";
  if (mac) return mac;
  *reader = "chrony";
  return chrony_alternate(type, key_text);
}

static void add_key(parse_ctx *c, uint32_t id, const char *type, const char *key_text) {
  uint8_t secret[KEY_SECRET_MAX];
  char why[160] = "", warn[160] = "";
  long n = decode_secret(key_text, c->dialect, secret, why, sizeof why, warn, sizeof warn);
  if (n < 0 && c->detected && c->dialect == NTA_DIALECT_NTPD) {
    /* e.g. more than 128 hex digits: too long for Classic, ntpsec uses the first 64 */
    char why2[160] = "", warn2[160] = "";
    long m = decode_secret(key_text, NTA_DIALECT_NTPSEC, secret, why2, sizeof why2,
                                   warn2, sizeof warn2);
    if (m >= 0) {
      LINE_DIAG(c, NTA_DIAG_WARNING, "key %u: %s; read as ntpsec does (%s)", id, why,
                warn2[0] ? warn2 : "ntpsec accepts it");
      n = m;
      warn[0] = '\0';
    }
  }
  bool read_as_chrony = false;
  if (n < 0 && c->detected && c->dialect == NTA_DIALECT_NTPD && ntpd_key_not_hex(key_text)) {
    /* Not hex, so no ntpd/ntpsec key: a typo, or a chrony keyfile without HEX:/ASCII: prefixes.
     * chrony reads it as ASCII; do the same and say so, keeping the other lines ntpd's. */
    char why2[160] = "", warn2[160] = "";
    long m = decode_secret(key_text, NTA_DIALECT_CHRONY, secret, why2, sizeof why2,
                                   warn2, sizeof warn2);
    if (m >= 0) {
      LINE_DIAG(c, NTA_DIAG_WARNING, "key %u: %s for ntpd and ntpsec; read as ASCII as chrony "
                "does (use --keys-dialect chrony for a chrony keyfile)", id, why);
      n = m;
      warn[0] = '\0';
      read_as_chrony = true;
    }
  }
  if (n < 0) {
    LINE_DIAG(c, NTA_DIAG_ERROR, "key %u: %s, key skipped%s", id, why, ntpd_rejects_file(c));
    return;
  }
  if (warn[0]) LINE_DIAG(c, NTA_DIAG_WARNING, "key %u: %s", id, warn);
  nta_diag merr;
  nta_mac *mac = nta_mac_create(type, secret, (size_t)n, &merr);
  if (!mac) {
    OPENSSL_cleanse(secret, sizeof secret);
    LINE_DIAG(c, NTA_DIAG_ERROR, "key %u: %s, key skipped", id, merr.msg);
    return;
  }
  if (strcmp(nta_mac_name(mac), "MD5") == 0 && strcasecmp(type, "MD5") != 0)
    LINE_DIAG(c, NTA_DIAG_NOTE, "key %u: type '%s' read as MD5 (ntpd and ntpsec take unknown "
              "names starting with 'M' as MD5)", id, type);
  if (c->dialect == NTA_DIALECT_CHRONY && !chrony_knows_type(type))
    LINE_DIAG(c, NTA_DIAG_NOTE, "key %u: chronyd does not accept the type name '%s'", id, type);

  char source[KEY_SOURCE_MAX];
  snprintf(source, sizeof source, "%s:%u", c->name, c->lineno);
  const nta_key *old = nta_keyring_find(c->kr, id);
  char old_source[KEY_SOURCE_MAX] = "";
  if (old) snprintf(old_source, sizeof old_source, "%s", nta_key_source(old));
  bool replaced;
  const char *alt_reader = NULL;
  nta_mac *alt = auto_alternate(c, id, type, key_text, secret, n, read_as_chrony, &alt_reader);
  nta_status st = nta_keyring_insert(c->kr, id, type, mac, secret, (size_t)n, source, &replaced);
  OPENSSL_cleanse(secret, sizeof secret);
  if (st != NTA_OK) {
    nta_mac_destroy(mac);
    nta_mac_destroy(alt);
    c->fatal = st;
    return;
  }
  if (alt) nta_keyring_set_alternate(c->kr, id, alt, alt_reader);   /* takes ownership */
  if (replaced)
    LINE_DIAG(c, NTA_DIAG_WARNING, "key %u defined again, replaces the one from %s", id, old_source);
}

/* Checks the key ID token against the dialect's range. */
static bool check_id(parse_ctx *c, const char *tok, uint32_t *id) {
  unsigned long long v;
  if (!parse_key_id(tok, &v)) {
    LINE_DIAG(c, NTA_DIAG_ERROR, "bad key ID '%s', line skipped%s", tok, ntpd_rejects_file(c));
    return false;
  }
  if (v == 0) {
    LINE_DIAG(c, NTA_DIAG_ERROR, "key ID 0 is reserved, line skipped%s", ntpd_rejects_file(c));
    return false;
  }
  if (v > UINT32_MAX) {
    LINE_DIAG(c, NTA_DIAG_ERROR, "key ID %s is out of range 1-4294967295, line skipped%s", tok,
              ntpd_rejects_file(c));
    return false;
  }
  if (c->dialect != NTA_DIALECT_CHRONY && v > NTPD_MAX_ID) {
    LINE_DIAG(c, NTA_DIAG_ERROR, "key ID %llu is out of range 1-65535 for %s, line skipped%s", v,
              nta_dialect_name(c->dialect), ntpd_rejects_file(c));
    return false;
  }
  *id = (uint32_t)v;
  return true;
}

static void parse_ntpd_line(parse_ctx *c, char *line) {
  char *hash = strchr(line, '#');
  if (hash) *hash = '\0';
  line_tokens t;
  tokenize(line, &t);
  if (t.n == 0) return;
  uint32_t id;
  if (!check_id(c, t.tok[0], &id)) return;
  if (t.n < 3) {
    LINE_DIAG(c, NTA_DIAG_ERROR, "key %u: missing %s (expected 'ID TYPE KEY'), line skipped%s",
              id, t.n == 1 ? "type and key" : "key", ntpd_rejects_file(c));
    return;
  }
  if (t.n > 3)
    LINE_DIAG(c, NTA_DIAG_NOTE, "key %u: address list '%s' ignored", id, t.tok[3]);
  add_key(c, id, t.tok[1], t.tok[2]);
}

static void parse_chrony_line(parse_ctx *c, char *line) {
  if (is_chrony_comment(line)) return;
  line_tokens t;
  tokenize(line, &t);
  if (t.n == 0) return;
  uint32_t id;
  if (!check_id(c, t.tok[0], &id)) return;
  if (t.n == 1) {
    LINE_DIAG(c, NTA_DIAG_ERROR, "key %u: missing key, line skipped", id);
    return;
  }
  if (t.n > 3 || t.more) {
    LINE_DIAG(c, NTA_DIAG_ERROR,
              "key %u: too many fields (chrony allows no comment after a key), line skipped", id);
    return;
  }
  if (t.n == 2)
    add_key(c, id, "MD5", t.tok[1]);   /* chrony: no type means MD5 */
  else
    add_key(c, id, t.tok[1], t.tok[2]);
}

static nta_status parse_text(nta_keyring *kr, const char *name, const char *text, size_t len,
                             nta_dialect dialect, nta_dialect *used_dialect, nta_diags *diags,
                             nta_diag *err) {
  bool detected = dialect == NTA_DIALECT_AUTO;
  if (detected) dialect = nta_keyring_detect_dialect(text, len);
  if (used_dialect) *used_dialect = dialect;
  char *line = malloc(LINE_MAX_CHARS);
  if (!line) return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", name);
  parse_ctx c = {.kr = kr, .name = name, .dialect = dialect, .detected = detected,
                 .diags = diags, .fatal = NTA_OK};
  line_iter it = {.text = text, .len = len};
  bool too_long, has_nul;
  while (c.fatal == NTA_OK && next_line(&it, line, &too_long, &has_nul)) {
    c.lineno = it.lineno;
    if (too_long) {
      LINE_DIAG(&c, NTA_DIAG_ERROR, "line longer than %d characters, skipped", LINE_MAX_CHARS - 1);
      continue;
    }
    if (has_nul) {
      LINE_DIAG(&c, NTA_DIAG_ERROR, "NUL byte in line, skipped");
      continue;
    }
    if (dialect == NTA_DIALECT_CHRONY)
      parse_chrony_line(&c, line);
    else
      parse_ntpd_line(&c, line);
  }
  OPENSSL_cleanse(line, LINE_MAX_CHARS);
  free(line);
  if (c.fatal != NTA_OK) return nta_diag_set(err, c.fatal, "%s: out of memory", name);
  return NTA_OK;
}

/* ---- entry points ---------------------------------------------------------------------------- */

nta_status nta_keyring_load_text(nta_keyring *kr, const char *name, const char *text, size_t len,
                                 nta_dialect dialect, nta_dialect *used_dialect, nta_diags *diags,
                                 nta_diag *err) {
  if (!kr || (!text && len)) return nta_diag_set(err, NTA_ERR_ARG, "no keyring or text");
  return parse_text(kr, name ? name : "(keys)", text ? text : "", len, dialect, used_dialect,
                    diags, err);
}

nta_status nta_keyring_add_text(nta_keyring *kr, uint32_t id, const char *type, const char *key_text,
                                nta_dialect dialect, const char *source, nta_diag *err) {
  if (!kr || !type || !key_text) return nta_diag_set(err, NTA_ERR_ARG, "no keyring, type or key");
  if (dialect == NTA_DIALECT_AUTO)
    dialect = (strncmp(key_text, "HEX:", 4) == 0 || strncmp(key_text, "ASCII:", 6) == 0)
                  ? NTA_DIALECT_CHRONY
                  : NTA_DIALECT_NTPD;
  uint8_t secret[KEY_SECRET_MAX];
  char why[160], warn[160];
  long n = decode_secret(key_text, dialect, secret, why, sizeof why, warn, sizeof warn);
  if (n < 0) return nta_diag_set(err, NTA_ERR_PARSE, "key %u: %s", id, why);
  nta_status st = nta_keyring_add_raw(kr, id, type, secret, (size_t)n, source, err);
  OPENSSL_cleanse(secret, sizeof secret);
  return st;
}
