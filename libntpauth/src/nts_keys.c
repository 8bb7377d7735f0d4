/* nts_keys.c - reading NTS session keys: NSS key logs and chrony's ntsdumpdir client files.
 *
 * Key log (the NSS format that GnuTLS and OpenSSL write for SSLKEYLOGFILE): lines
 * "LABEL <client random, 64 hex digits> <secret, hex>", '#' comments. TLS 1.3 labels used here:
 * CLIENT/SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT/SERVER_TRAFFIC_SECRET_0 (NTS-KE decryption) and
 * EXPORTER_SECRET (the NTS keys). Other labels (TLS 1.2 CLIENT_RANDOM, early data) are skipped.
 *
 * chrony client dump (chrony 4.3, written at exit for each NTS source with cookies left), one
 * item a line: "NNC0"; the source's name; the time of the NTS-KE session (Unix seconds); the
 * NTP address and port; "<context id> <AEAD id> <S2C key hex> <C2S key hex>"; then one cookie
 * in hex a line. */
#include "nts_store.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define KEYLOG_MAX_BYTES (64u * 1024 * 1024)
#define DUMP_MAX_BYTES (64u * 1024)
#define LINE_MAX_WORDS 4

typedef struct {
  const char *text;
  size_t len, pos;
  unsigned lineno;
  char line[1024];
  bool overlong;
} line_reader;

/* Next line without its end (\n or \r\n), cut to the buffer; false at the end of text. */
static bool next_line(line_reader *lr) {
  if (lr->pos >= lr->len) return false;
  size_t start = lr->pos, end = start;
  while (end < lr->len && lr->text[end] != '\n') end++;
  lr->pos = end < lr->len ? end + 1 : end;
  size_t n = end - start;
  if (n && lr->text[start + n - 1] == '\r') n--;
  lr->overlong = n >= sizeof lr->line;
  if (lr->overlong) n = sizeof lr->line - 1;
  memcpy(lr->line, lr->text + start, n);
  lr->line[n] = '\0';
  lr->lineno++;
  return true;
}

/* Splits a line in place into at most `max` words (spaces/tabs); returns the count, or max + 1
 * when there are more. */
static int split_words(char *line, char **words, int max) {
  int n = 0;
  for (char *p = line; *p;) {
    while (*p == ' ' || *p == '\t') *p++ = '\0';
    if (!*p) break;
    if (n == max) return max + 1;
    words[n++] = p;
    while (*p && *p != ' ' && *p != '\t') p++;
  }
  return n;
}

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes hex (either case, even digit count) into out; returns the length or -1. */
static long unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t digits = strlen(hex);
  if (digits % 2 || digits / 2 > cap) return -1;
  for (size_t i = 0; i < digits; i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  return (long)(digits / 2);
}

static const char *const tls_labels[] = {
  [NTA_TLS_CHTS] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
  [NTA_TLS_SHTS] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
  [NTA_TLS_CTS0] = "CLIENT_TRAFFIC_SECRET_0",
  [NTA_TLS_STS0] = "SERVER_TRAFFIC_SECRET_0",
  [NTA_TLS_EXPORTER] = "EXPORTER_SECRET",
};

/* The session of an exporter secret: keys by RFC 8915 §5.1 for AES-SIV-CMAC-256, the AEAD every
 * NTS implementation offers first (the negotiated one is only inside the encrypted NTS-KE).
 * Where a capture holds that NTS-KE and it decrypts, ntpauth-analyze compares: a session that
 * negotiated another AEAD gets a warning and its cookies name no session (docs/nts.md). */
static nta_status add_exporter(nta_nts_store *st, const char *name, unsigned lineno,
                               const uint8_t *cr, const uint8_t *secret, size_t len) {
  nta_nts_session s;
  memset(&s, 0, sizeof s);
  s.source = NTA_NTS_SRC_KEYLOG;
  s.aead = NTA_NTS_AEAD_AES_SIV_CMAC_256;
  snprintf(s.name, sizeof s.name, "tls:%02x%02x%02x%02x", cr[0], cr[1], cr[2], cr[3]);
  snprintf(s.origin, sizeof s.origin, "%.40s:%u", name, lineno);
  s.has_random = true;
  memcpy(s.client_random, cr, NTA_TLS_RANDOM_LEN);
  nta_status rc = nta_nts_derive_keys(secret, len, s.aead, s.c2s, s.s2c);
  if (rc == NTA_OK) rc = nta_nts_store_add(st, &s, NULL);
  OPENSSL_cleanse(&s, sizeof s);
  return rc;
}

/* One key log line; a reason in `why` when it is malformed. */
static nta_status keylog_line(nta_nts_store *st, const char *name, line_reader *lr, char *why,
                              size_t whylen) {
  char *w[LINE_MAX_WORDS];
  if (lr->overlong) return snprintf(why, whylen, "line too long"), NTA_ERR_PARSE;
  int nw = split_words(lr->line, w, LINE_MAX_WORDS);
  if (nw == 0 || w[0][0] == '#') return NTA_OK;
  int which = -1;
  for (int i = 0; i <= NTA_TLS_EXPORTER; i++)
    if (strcmp(w[0], tls_labels[i]) == 0) which = i;
  if (which < 0) return NTA_OK;   /* TLS 1.2, early data, or another label */
  uint8_t cr[NTA_TLS_RANDOM_LEN], secret[NTA_TLS_SECRET_MAX];
  long n;
  if (nw != 3) return snprintf(why, whylen, "%s needs 2 values, found %d", w[0], nw - 1), NTA_ERR_PARSE;
  if (unhex(w[1], cr, sizeof cr) != NTA_TLS_RANDOM_LEN)
    return snprintf(why, whylen, "client random is not 64 hex digits"), NTA_ERR_PARSE;
  n = unhex(w[2], secret, sizeof secret);
  if (n != 32 && n != 48)
    return snprintf(why, whylen, "%s is not 32 or 48 bytes of hex (SHA-256/SHA-384)", w[0]),
           NTA_ERR_PARSE;
  nta_status rc = nta_nts_store_add_tls(st, cr, which, secret, (size_t)n);
  if (rc == NTA_ERR_PARSE)
    snprintf(why, whylen, "secret length %ld differs from this connection's other secrets", n);
  else if (rc == NTA_OK && which == NTA_TLS_EXPORTER)
    rc = add_exporter(st, name, lr->lineno, cr, secret, (size_t)n);
  OPENSSL_cleanse(secret, sizeof secret);
  if (rc != NTA_OK && rc != NTA_ERR_PARSE) snprintf(why, whylen, "%s", nta_status_name(rc));
  return rc;
}

nta_status nta_nts_load_keylog_text(nta_nts_store *st, const char *name, const char *text,
                                    size_t len, nta_diags *diags) {
  if (!st || (!text && len)) return NTA_ERR_ARG;
  line_reader lr = {.text = text, .len = len};
  while (next_line(&lr)) {
    char why[160] = "";
    nta_status rc = keylog_line(st, name, &lr, why, sizeof why);
    if (rc == NTA_ERR_NOMEM) return rc;
    if (rc != NTA_OK) nta_diags_add(diags, NTA_DIAG_WARNING, "%s:%u: %s", name, lr.lineno, why);
  }
  OPENSSL_cleanse(lr.line, sizeof lr.line);
  return NTA_OK;
}

/* Reads a file of secrets (at most max bytes), hands its text to one of the readers above or
 * below, and wipes it. */
typedef struct {
  nta_nts_store *st;
  nta_diags *diags;
  nta_diag *err;
  bool dump;
} file_job;

static nta_status read_secrets_file(const file_job *job, const char *path) {
  char *text;
  size_t len;
  nta_status rc = nta_read_small_file(path, job->dump ? DUMP_MAX_BYTES : KEYLOG_MAX_BYTES, &text,
                                      &len, job->err);
  if (rc != NTA_OK) return rc;
  rc = job->dump ? nta_nts_load_dump_text(job->st, path, text, len, job->err)
                 : nta_nts_load_keylog_text(job->st, path, text, len, job->diags);
  OPENSSL_cleanse(text, len);
  free(text);
  return rc;
}

nta_status nta_nts_load_keylog(nta_nts_store *st, const char *path, nta_diags *diags,
                               nta_diag *err) {
  if (!st || !path) return NTA_ERR_ARG;
  file_job job = {st, diags, err, false};
  return read_secrets_file(&job, path);
}

/* Reads the next line of a dump into words; false (with `why`) when it is missing or does not
 * have exactly `want` words. */
static bool dump_words(line_reader *lr, char **w, int want, const char *what, char *why,
                       size_t whylen) {
  if (!next_line(lr)) {
    lr->lineno++;
    snprintf(why, whylen, "missing %s (file ends)", what);
    return false;
  }
  int nw = lr->overlong ? -1 : split_words(lr->line, w, LINE_MAX_WORDS);
  if (nw != want) {
    snprintf(why, whylen, "expected %s (%d word%s)", what, want, want == 1 ? "" : "s");
    return false;
  }
  return true;
}

/* Reads the header lines of a dump into s. */
static bool dump_header(line_reader *lr, nta_nts_session *s, char *why, size_t whylen) {
  char *w[LINE_MAX_WORDS];
  if (!next_line(lr) || strcmp(lr->line, "NNC0") != 0) {
    snprintf(why, whylen, "not a chrony NTS client dump (first line is not NNC0)");
    return false;
  }
  if (!dump_words(lr, w, 1, "the source name", why, whylen)) return false;
  if (!dump_words(lr, w, 1, "the NTS-KE time", why, whylen)) return false;
  if (!dump_words(lr, w, 2, "the NTP address and port", why, whylen)) return false;
  snprintf(s->server, sizeof s->server, "%.45s port %.8s", w[0], w[1]);
  if (!dump_words(lr, w, 4, "context id, AEAD, S2C and C2S keys", why, whylen)) return false;
  char *end;
  unsigned long aead = strtoul(w[1], &end, 10);
  if (*end || aead != NTA_NTS_AEAD_AES_SIV_CMAC_256) {
    snprintf(why, whylen, "AEAD %.16s is not supported (only %d, %s)", w[1],
             NTA_NTS_AEAD_AES_SIV_CMAC_256, NTA_NTS_ALG_NAME);
    return false;
  }
  s->aead = (uint16_t)aead;
  if (unhex(w[2], s->s2c, sizeof s->s2c) != NTA_NTS_KEY_LEN ||
      unhex(w[3], s->c2s, sizeof s->c2s) != NTA_NTS_KEY_LEN) {
    snprintf(why, whylen, "keys are not %d bytes of hex", NTA_NTS_KEY_LEN);
    return false;
  }
  return true;
}

/* The file name without folders and without ".nts". */
static void dump_base(const char *name, char *out, size_t outlen) {
  const char *slash = strrchr(name, '/');
  const char *b = slash ? slash + 1 : name;
  size_t n = strlen(b);
  if (n > 4 && strcmp(b + n - 4, ".nts") == 0) n -= 4;
  snprintf(out, outlen, "%.*s", (int)n, b);
}

nta_status nta_nts_load_dump_text(nta_nts_store *st, const char *name, const char *text,
                                  size_t len, nta_diag *err) {
  if (!st || (!text && len)) return NTA_ERR_ARG;
  line_reader lr = {.text = text, .len = len};
  nta_nts_session s;
  memset(&s, 0, sizeof s);
  char why[160], base[48];
  nta_status rc = NTA_OK;
  if (!dump_header(&lr, &s, why, sizeof why)) {
    rc = nta_diag_set(err, NTA_ERR_PARSE, "%s:%u: %s", name, lr.lineno, why);
    goto out;
  }
  dump_base(name, base, sizeof base);
  snprintf(s.name, sizeof s.name, "dump:%s", base);
  snprintf(s.origin, sizeof s.origin, "%.60s", name);
  s.source = NTA_NTS_SRC_DUMP;
  int idx;
  if ((rc = nta_nts_store_add(st, &s, &idx)) != NTA_OK) goto out;
  while (next_line(&lr)) {
    char *w[LINE_MAX_WORDS];
    uint8_t cookie[NTA_NTS_COOKIE_MAX];
    long n = lr.overlong ? -1 : split_words(lr.line, w, LINE_MAX_WORDS) == 1
                                    ? unhex(w[0], cookie, sizeof cookie) : -1;
    if (n <= 0) {
      rc = nta_diag_set(err, NTA_ERR_PARSE, "%s:%u: expected one cookie in hex (at most %d bytes)",
                        name, lr.lineno, NTA_NTS_COOKIE_MAX);
      goto out;
    }
    if ((rc = nta_nts_store_add_cookie(st, idx, cookie, (size_t)n)) != NTA_OK) goto out;
  }
out:
  OPENSSL_cleanse(&s, sizeof s);
  OPENSSL_cleanse(lr.line, sizeof lr.line);
  return rc;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.nts file of a directory, in name order (so sessions are numbered the same each run).
 * chrony's server dumps (ntsdumpdir on a server) have other names and are not read. */
static nta_status load_dump_dir(nta_nts_store *st, DIR *d, const char *path, nta_diags *diags,
                                nta_diag *err) {
  char *names[256];
  size_t n = 0;
  nta_status rc = NTA_OK;
  for (struct dirent *e; (e = readdir(d)) != NULL && n < 256;) {
    size_t l = strlen(e->d_name);
    if (l > 4 && strcmp(e->d_name + l - 4, ".nts") == 0 && (names[n] = strdup(e->d_name))) n++;
  }
  qsort(names, n, sizeof names[0], by_name);
  for (size_t i = 0; i < n; i++) {
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", path, names[i]);
    if (rc == NTA_OK) rc = read_secrets_file(&(file_job){st, diags, err, true}, full);
    free(names[i]);
  }
  if (n == 0 && rc == NTA_OK)
    nta_diags_add(diags, NTA_DIAG_WARNING, "%s: no chrony NTS client dump (*.nts) in it", path);
  return rc;
}

nta_status nta_nts_load_dump(nta_nts_store *st, const char *path, nta_diags *diags,
                             nta_diag *err) {
  if (!st || !path) return NTA_ERR_ARG;
  DIR *d = opendir(path);
  if (!d) return read_secrets_file(&(file_job){st, diags, err, true}, path);
  nta_status rc = load_dump_dir(st, d, path, diags, err);
  closedir(d);
  return rc;
}
