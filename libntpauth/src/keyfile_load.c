/* keyfile_load.c - fills a keyring from keyfile text, with the reading of the daemon the file
 * is for (given, or detected from the whole file).
 *
 * Every line a daemon refuses becomes a "name:line: reason" diagnostic. ntpsec and chronyd skip
 * such lines; ntpd 4.2.8 refuses the whole file after any error it counts, so with the ntpd
 * dialect given explicitly nothing is loaded then, as in ntpd. For a detected ntpd-style file
 * the lines are skipped as ntpsec does and the message says what ntpd 4.2.8 would do. Of two
 * keys with one ID, ntpd keeps the first, ntpsec and chronyd the last (chronyd warns).
 *
 * In a detected ntpd-style file, where ntpsec or chrony would read a key's text into other
 * bytes, that reading is kept as the key's alternate, which verification also tries. */
#include "keyfile_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

typedef struct {
  nta_keyring *kr;
  const char *name;
  unsigned lineno;
  nta_dialect dialect;
  bool detected;
  bool apply;          /* false: count ntpd's errors only */
  unsigned counted;    /* errors ntpd 4.2.8 counts */
  nta_diags *diags;
  nta_status fatal;
  nta_kf_reading *rd, *alt;
} load_ctx;

#define LINE_DIAG(c, level, fmt, ...) \
  nta_diags_add((c)->diags, level, "%s:%u: " fmt, (c)->name, (c)->lineno, ##__VA_ARGS__)

static const char *daemon_name(nta_dialect d) {
  return d == NTA_DIALECT_NTPD ? "ntpd 4.2.8" : d == NTA_DIALECT_NTPSEC ? "ntpsec" : "chronyd";
}

static void report_refusal(load_ctx *c, const nta_kf_reading *r) {
  const char *tail = "";
  if (c->dialect == NTA_DIALECT_NTPD && r->counted)
    tail = c->detected ? "; skipped as ntpsec does (ntpd 4.2.8 would refuse the whole file)"
                       : " (ntpd 4.2.8 refuses the whole file)";
  LINE_DIAG(c, NTA_DIAG_ERROR, "%s refuses this line: %s%s", daemon_name(c->dialect), r->why, tail);
}

/* Another daemon's reading of the same chunk, as a MAC, when it differs from `r`. */
static nta_mac *alternate_for(load_ctx *c, const char *chunk, const nta_kf_reading *r,
                              const char **reader) {
  if (!c->detected || c->dialect == NTA_DIALECT_CHRONY) return NULL;
  nta_dialect others[2] = {c->dialect == NTA_DIALECT_NTPD ? NTA_DIALECT_NTPSEC : NTA_DIALECT_NTPD,
                           NTA_DIALECT_CHRONY};
  for (size_t i = 0; i < 2; i++) {
    nta_kf_reader_for(others[i])(chunk, c->alt);
    const nta_kf_reading *a = c->alt;
    if (a->outcome != KF_KEY || a->id != r->id) continue;
    if (a->secret_len == r->secret_len && strcmp(a->alg, r->alg) == 0 &&
        memcmp(a->secret, r->secret, r->secret_len) == 0)
      continue;
    nta_mac *m = nta_mac_create(a->alg, a->secret, a->secret_len, NULL);
    if (!m) continue;
    *reader = others[i] == NTA_DIALECT_NTPD ? "ntpd" : nta_dialect_name(others[i]);
    if (others[i] != NTA_DIALECT_CHRONY)   /* the chrony reading of long keys is too common */
      LINE_DIAG(c, NTA_DIAG_NOTE, "key %u: %s and %s read this key into different bytes (%zu "
                "and %zu); both readings are tried", r->id, daemon_name(c->dialect),
                daemon_name(others[i]), r->secret_len, a->secret_len);
    return m;
  }
  return NULL;
}

static void add_key(load_ctx *c, const char *chunk, const nta_kf_reading *r) {
  nta_diag merr;
  nta_mac *mac = nta_mac_create(r->alg, r->secret, r->secret_len, &merr);
  if (!mac) {
    LINE_DIAG(c, NTA_DIAG_ERROR, "key %u: %s loads it, but ntpauth cannot: %s; key skipped", r->id,
              daemon_name(c->dialect), merr.msg);
    return;
  }
  const nta_key *old = nta_keyring_find(c->kr, r->id);
  if (old && c->dialect == NTA_DIALECT_NTPD && !c->detected) {
    LINE_DIAG(c, NTA_DIAG_WARNING, "key %u defined again; ntpd 4.2.8 keeps the first one (%s)",
              r->id, nta_key_source(old));
    nta_mac_destroy(mac);
    return;
  }
  if (old)
    LINE_DIAG(c, NTA_DIAG_WARNING, "key %u defined again, replaces the one from %s%s", r->id,
              nta_key_source(old), c->dialect == NTA_DIALECT_CHRONY
                  ? " (chronyd warns \"Detected duplicate key\" and may use either)"
                  : c->detected ? " (as ntpsec does; ntpd 4.2.8 keeps the first)" : "");
  if (r->note[0]) LINE_DIAG(c, NTA_DIAG_WARNING, "key %u: %s", r->id, r->note);
  char source[KEY_SOURCE_MAX];
  snprintf(source, sizeof source, "%s:%u", c->name, c->lineno);
  const char *reader = NULL;
  nta_mac *alt = alternate_for(c, chunk, r, &reader);
  nta_status st = nta_keyring_insert(c->kr, r->id, r->type, mac, r->secret, r->secret_len, source,
                                     NULL);
  if (st != NTA_OK) {
    nta_mac_destroy(mac);
    nta_mac_destroy(alt);
    c->fatal = st;
    return;
  }
  if (alt) nta_keyring_set_alternate(c->kr, r->id, alt, reader);
}

static void load_line(load_ctx *c, const char *line, size_t line_len, char *chunk) {
  size_t pos = 0, bufsize = nta_kf_bufsize_for(c->dialect);
  for (unsigned part = 0; nta_kf_next_chunk(line, line_len, &pos, bufsize, chunk); part++) {
    nta_kf_reader_for(c->dialect)(chunk, c->rd);
    if (c->rd->outcome == KF_NOTHING) continue;
    if (c->rd->outcome == KF_REFUSED && c->rd->counted) c->counted++;
    if (!c->apply) continue;
    if (part > 0)
      LINE_DIAG(c, NTA_DIAG_WARNING, "line longer than %zu characters: %s reads the rest as "
                "another line", bufsize - 1, daemon_name(c->dialect));
    if (c->rd->outcome == KF_REFUSED)
      report_refusal(c, c->rd);
    else
      add_key(c, chunk, c->rd);
  }
}

static void load_pass(load_ctx *c, const char *text, size_t len, char *chunk) {
  nta_kf_lines it = {.text = text, .len = len};
  while (c->fatal == NTA_OK && nta_kf_next_line(&it)) {
    c->lineno = it.lineno;
    load_line(c, it.line, it.line_len, chunk);
  }
}

/* ntpd 4.2.8 given explicitly: any counted error means no keys from this file. */
static bool ntpd_refuses_file(load_ctx *c, const char *text, size_t len, char *chunk) {
  c->apply = false;
  load_pass(c, text, len, chunk);
  c->apply = true;
  if (!c->counted) return false;
  nta_diags_add(c->diags, NTA_DIAG_ERROR, "%s: ntpd 4.2.8 refuses this whole file after %u "
                "error(s): no keys loaded from it, as in ntpd", c->name, c->counted);
  c->apply = false;   /* still list the lines below */
  c->counted = 0;
  nta_kf_lines it = {.text = text, .len = len};
  while (nta_kf_next_line(&it)) {
    c->lineno = it.lineno;
    size_t pos = 0;
    while (nta_kf_next_chunk(it.line, it.line_len, &pos, NTPD_LINE_BUF, chunk)) {
      nta_kf_read_ntpd(chunk, c->rd);
      if (c->rd->outcome == KF_REFUSED) report_refusal(c, c->rd);
    }
  }
  return true;
}

static nta_status parse_text(nta_keyring *kr, const char *name, const char *text, size_t len,
                             nta_dialect dialect, nta_dialect *used_dialect, nta_diags *diags,
                             nta_diag *err) {
  bool detected = dialect == NTA_DIALECT_AUTO;
  if (detected) dialect = nta_kf_detect(name, text, len, diags);
  if (used_dialect) *used_dialect = dialect;
  load_ctx c = {.kr = kr, .name = name, .dialect = dialect, .detected = detected, .apply = true,
                .diags = diags, .fatal = NTA_OK};
  c.rd = malloc(sizeof *c.rd);
  c.alt = malloc(sizeof *c.alt);
  char *chunk = malloc(CHRONY_LINE_BUF);
  if (c.rd && c.alt && chunk &&
      !(dialect == NTA_DIALECT_NTPD && !detected && ntpd_refuses_file(&c, text, len, chunk)))
    load_pass(&c, text, len, chunk);
  else if (!c.rd || !c.alt || !chunk)
    c.fatal = NTA_ERR_NOMEM;
  if (c.rd) OPENSSL_cleanse(c.rd, sizeof *c.rd);
  if (c.alt) OPENSSL_cleanse(c.alt, sizeof *c.alt);
  if (chunk) OPENSSL_cleanse(chunk, CHRONY_LINE_BUF);
  free(c.rd);
  free(c.alt);
  free(chunk);
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

/* One key as a dialect reads "ID TYPE KEY" (an ID ntpd would refuse is replaced by 1 while
 * reading: the real one is applied afterwards). With AUTO, a HEX:/ASCII: prefix means chrony,
 * otherwise ntpsec's reading, then ntpd's (a key table row is not a chrony line without one). */
static bool read_one(uint32_t id, const char *type, const char *key_text, nta_dialect dialect,
                     nta_kf_reading *r) {
  char line[CHRONY_LINE_BUF];
  int n = snprintf(line, sizeof line, "%u %s %s", id >= 1 && id <= 65535 ? id : 1u, type,
                   key_text);
  if (n < 0 || (size_t)n >= sizeof line) {
    snprintf(r->why, sizeof r->why, "key text too long");
    return false;
  }
  bool prefix = strncmp(key_text, "HEX:", 4) == 0 || strncmp(key_text, "ASCII:", 6) == 0;
  nta_dialect order[3] = {dialect, dialect, dialect};
  if (dialect == NTA_DIALECT_AUTO) {
    order[0] = prefix ? NTA_DIALECT_CHRONY : NTA_DIALECT_NTPSEC;
    order[1] = prefix ? NTA_DIALECT_CHRONY : NTA_DIALECT_NTPD;
    order[2] = prefix ? NTA_DIALECT_CHRONY : NTA_DIALECT_NTPD;
  }
  char first_why[KF_WHY_MAX] = "";
  for (size_t i = 0; i < 3; i++) {
    nta_kf_reader_for(order[i])(line, r);
    if (r->outcome == KF_KEY) return true;
    if (i == 0) snprintf(first_why, sizeof first_why, "%s", r->why);
  }
  snprintf(r->why, sizeof r->why, "%s", first_why[0] ? first_why : "no key");
  return false;
}

nta_status nta_keyring_add_text(nta_keyring *kr, uint32_t id, const char *type, const char *key_text,
                                nta_dialect dialect, const char *source, nta_diag *err) {
  if (!kr || !type || !key_text) return nta_diag_set(err, NTA_ERR_ARG, "no keyring, type or key");
  nta_kf_reading *r = malloc(sizeof *r);
  if (!r) return nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
  nta_status st;
  if (!read_one(id, type, key_text, dialect, r))
    st = nta_diag_set(err, NTA_ERR_PARSE, "key %u: %s", id, r->why);
  else
    st = nta_keyring_add_raw(kr, id, r->alg, r->secret, r->secret_len, source, err);
  OPENSSL_cleanse(r, sizeof *r);
  free(r);
  return st;
}
