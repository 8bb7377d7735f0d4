/* config.c - parsing ntpauth-server's configuration (see config.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/keyring.h"

#define CFG_MAX_WORDS 64
#define CFG_LINE_MAX 4096
#define CFG_DEFAULT_STATUS_SOCKET "/run/ntpauth/status.sock"

typedef struct {
  const char *where;
  char *words[CFG_MAX_WORDS];
  size_t n;
  const char *rest;   /* text after the keyword, trimmed, for refclock/trustedkey */
} cfg_line;

void cfg_init(srv_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->crypto_nak = true;
  cfg->pcap_keep = CFG_PCAP_DEFAULT_KEEP;
  cfg->pcap_max_bytes = (uint64_t)CFG_PCAP_DEFAULT_MB * 1024 * 1024;
  cfg->pcap_junk_rate = CFG_PCAP_DEFAULT_JUNK;
  snprintf(cfg->status_socket, sizeof cfg->status_socket, "%s", CFG_DEFAULT_STATUS_SOCKET);
  ctl_config_init(&cfg->control);
}

static bool parse_long(const char *s, long lo, long hi, long *out) {
  if (!s || !*s) return false;
  errno = 0;
  char *end;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

static bool parse_port(const char *s, uint16_t *port) {
  long v;
  if (!parse_long(s, 1, 65535, &v)) return false;
  *port = (uint16_t)v;
  return true;
}

bool cfg_parse_listen(const char *text, cfg_listen *out) {
  char host[64];
  const char *port_text = NULL;
  memset(out, 0, sizeof *out);
  snprintf(out->text, sizeof out->text, "%s", text);
  out->port = 123;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || (size_t)(close - text - 1) >= sizeof host) return false;
    memcpy(host, text + 1, (size_t)(close - text - 1));
    host[close - text - 1] = '\0';
    if (close[1] == ':') port_text = close + 2;
    else if (close[1] != '\0') return false;
    out->family = 6;
  } else {
    const char *colon = strchr(text, ':');
    if (colon && strchr(colon + 1, ':')) {        /* bare IPv6 address, no port */
      if (strlen(text) >= sizeof host) return false;
      strcpy(host, text);
      out->family = 6;
    } else {
      size_t hl = colon ? (size_t)(colon - text) : strlen(text);
      if (hl >= sizeof host) return false;
      memcpy(host, text, hl);
      host[hl] = '\0';
      if (colon) port_text = colon + 1;
      out->family = 4;
    }
  }
  if (port_text && !parse_port(port_text, &out->port)) return false;
  return inet_pton(out->family == 4 ? AF_INET : AF_INET6, host, out->addr) == 1;
}

static nta_status absolute_path(char *path, size_t cap, const char *cwd, const char *what,
                                nta_diag *err) {
  if (!path[0] || path[0] == '/') return NTA_OK;
  char joined[CFG_PATH_MAX * 2];
  int n = snprintf(joined, sizeof joined, "%s/%s", cwd, path);
  if (n < 0 || (size_t)n >= cap)
    return nta_diag_set(err, NTA_ERR_ARG, "%s %s: path too long once made absolute", what, path);
  memcpy(path, joined, (size_t)n + 1);
  return NTA_OK;
}

nta_status cfg_absolute_paths(srv_config *cfg, const char *cwd, nta_diag *err) {
  nta_status st = absolute_path(cfg->keys, sizeof cfg->keys, cwd, "keys", err);
  if (st != NTA_OK) return st;
  st = absolute_path(cfg->pcap, sizeof cfg->pcap, cwd, "pcap", err);
  if (st != NTA_OK) return st;
  st = absolute_path(cfg->control.metrics_file, sizeof cfg->control.metrics_file, cwd, "metrics-file", err);
  if (st != NTA_OK) return st;
  return absolute_path(cfg->status_socket, sizeof cfg->status_socket, cwd, "status-socket", err);
}

void cfg_apply_defaults(srv_config *cfg) {
  if (cfg->n_listen) return;
  cfg_parse_listen("0.0.0.0:123", &cfg->listen[0]);
  cfg_parse_listen("[::]:123", &cfg->listen[1]);
  cfg->n_listen = 2;
}

static nta_status fail(nta_diag *err, const cfg_line *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static nta_status fail(nta_diag *err, const cfg_line *l, const char *fmt, ...) {
  char reason[NTA_DIAG_MSG_MAX / 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  return nta_diag_set(err, NTA_ERR_PARSE, "%s: %s", l->where, reason);
}

static nta_status want_words(const cfg_line *l, size_t lo, size_t hi, nta_diag *err) {
  if (l->n < lo || l->n > hi)
    return fail(err, l, "'%s': wrong number of arguments", l->words[0]);
  return NTA_OK;
}

static nta_status parse_yes_no(const cfg_line *l, bool *out, nta_diag *err) {
  if (l->n != 2) return fail(err, l, "'%s' takes yes or no", l->words[0]);
  if (!strcmp(l->words[1], "yes")) *out = true;
  else if (!strcmp(l->words[1], "no")) *out = false;
  else return fail(err, l, "'%s' takes yes or no", l->words[0]);
  return NTA_OK;
}

static nta_status copy_path(const cfg_line *l, const char *value, char *dst, size_t cap,
                            nta_diag *err) {
  if (strlen(value) >= cap) return fail(err, l, "path too long: %s", value);
  strcpy(dst, value);
  return NTA_OK;
}

/* A one-word directive (user, logfile, status-socket); remembers its "file:line". */
static nta_status do_path(const cfg_line *l, char *dst, size_t cap, char *where, nta_diag *err) {
  nta_status st = want_words(l, 2, 2, err);
  if (st != NTA_OK) return st;
  snprintf(where, CFG_WHERE_MAX, "%s", l->where);
  return copy_path(l, l->words[1], dst, cap, err);
}

static nta_status do_keys(srv_config *cfg, const cfg_line *l, nta_diag *err) {
  if (l->n != 2) return fail(err, l, "'keys' takes one path");
  if (cfg->keys[0]) snprintf(cfg->keys_replaced_where, sizeof cfg->keys_replaced_where, "%s", cfg->keys_where);
  snprintf(cfg->keys_where, sizeof cfg->keys_where, "%s", l->where);
  return copy_path(l, l->words[1], cfg->keys, sizeof cfg->keys, err);
}

static nta_status do_keys_dialect(srv_config *cfg, const cfg_line *l, nta_diag *err) {
  nta_dialect d;
  if (l->n != 2 || !nta_dialect_from_name(l->words[1], &d))
    return fail(err, l, "'keys-dialect' takes ntpd, ntpsec, chrony or auto");
  cfg->keys_dialect = (int)d;
  return NTA_OK;
}

static nta_status do_trustedkey(srv_config *cfg, const cfg_line *l, nta_diag *err) {
  if (l->n < 2) return fail(err, l, "'trustedkey' needs key IDs");
  if (cfg->n_trust >= CFG_MAX_TRUST) return fail(err, l, "too many trustedkey lines");
  if (strlen(l->rest) >= sizeof cfg->trust[0].spec) return fail(err, l, "trustedkey line too long");
  /* Check the syntax now so the error names this line. */
  nta_keyring *scratch = nta_keyring_create();
  nta_diag why;
  if (!scratch) return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", l->where);
  nta_status st = nta_keyring_trust(scratch, l->rest, &why);
  nta_keyring_destroy(scratch);
  if (st != NTA_OK) return fail(err, l, "bad trustedkey list: %s", why.msg);
  cfg_trust *t = &cfg->trust[cfg->n_trust++];
  strcpy(t->spec, l->rest);
  snprintf(t->where, sizeof t->where, "%s", l->where);
  return NTA_OK;
}

static nta_status do_listen(srv_config *cfg, const cfg_line *l, nta_diag *err) {
  if (l->n != 2) return fail(err, l, "'listen' takes one ADDR[:PORT] or [ADDR6]:PORT");
  if (cfg->n_listen >= CFG_MAX_LISTEN) return fail(err, l, "too many listen lines");
  if (!cfg_parse_listen(l->words[1], &cfg->listen[cfg->n_listen]))
    return fail(err, l, "bad listen address '%s' (ADDR[:PORT] or [ADDR6]:PORT)", l->words[1]);
  snprintf(cfg->listen[cfg->n_listen].where, CFG_WHERE_MAX, "%s", l->where);
  for (size_t i = 0; i < cfg->n_listen; i++) {
    const cfg_listen *a = &cfg->listen[i], *b = &cfg->listen[cfg->n_listen];
    if (a->family == b->family && a->port == b->port && !memcmp(a->addr, b->addr, 16))
      return fail(err, l, "duplicate listen address '%s'", l->words[1]);
  }
  cfg->n_listen++;
  return NTA_OK;
}

static nta_status do_local(srv_config *cfg, const cfg_line *l, nta_diag *err) {
  long v;
  if (l->n != 3 || strcmp(l->words[1], "stratum"))
    return fail(err, l, "expected 'local stratum N'");
  if (!parse_long(l->words[2], 1, 15, &v))
    return fail(err, l, "local stratum must be 1-15, got '%s'", l->words[2]);
  cfg->local_stratum = (int)v;
  return NTA_OK;
}

static nta_status do_pcap(srv_config *cfg, const cfg_line *l, nta_diag *err) {
  if (l->n < 2) return fail(err, l, "'pcap' takes PATH [maxsize MB] [keep N] [junk N]");
  nta_status st = copy_path(l, l->words[1], cfg->pcap, sizeof cfg->pcap, err);
  if (st != NTA_OK) return st;
  snprintf(cfg->pcap_where, sizeof cfg->pcap_where, "%s", l->where);
  for (size_t i = 2; i < l->n; i += 2) {
    long v;
    if (i + 1 >= l->n) return fail(err, l, "'%s' needs a value", l->words[i]);
    if (!strcmp(l->words[i], "maxsize")) {
      if (!parse_long(l->words[i + 1], 1, 1024 * 1024, &v))
        return fail(err, l, "pcap maxsize must be 1-1048576 MB, got '%s'", l->words[i + 1]);
      cfg->pcap_max_bytes = (uint64_t)v * 1024 * 1024;
      cfg->pcap_max_set = true;
    } else if (!strcmp(l->words[i], "keep")) {
      if (!parse_long(l->words[i + 1], 1, 1000, &v))
        return fail(err, l, "pcap keep must be 1-1000, got '%s'", l->words[i + 1]);
      cfg->pcap_keep = (unsigned)v;
    } else if (!strcmp(l->words[i], "junk")) {
      if (!parse_long(l->words[i + 1], 0, 1000000, &v))
        return fail(err, l, "pcap junk must be 0-1000000 per second, got '%s'", l->words[i + 1]);
      cfg->pcap_junk_rate = (unsigned)v;
    } else {
      return fail(err, l, "unknown pcap option '%s' (maxsize MB, keep N, junk N)", l->words[i]);
    }
  }
  return NTA_OK;
}

static nta_status do_ratelimit(srv_config *cfg, const cfg_line *l, nta_diag *err) {
  int interval = 3, burst = 8, min_age = CFG_RATELIMIT_MIN_AGE;   /* chrony's, ntpd's defaults */
  for (size_t i = 1; i < l->n; i += 2) {
    long v;
    if (i + 1 >= l->n) return fail(err, l, "'%s' needs a value", l->words[i]);
    if (!strcmp(l->words[i], "interval")) {
      if (!parse_long(l->words[i + 1], -19, 12, &v))
        return fail(err, l, "ratelimit interval is log2 seconds, -19..12, got '%s'", l->words[i + 1]);
      interval = (int)v;
    } else if (!strcmp(l->words[i], "burst")) {
      if (!parse_long(l->words[i + 1], 1, 255, &v))
        return fail(err, l, "ratelimit burst must be 1-255, got '%s'", l->words[i + 1]);
      burst = (int)v;
    } else if (!strcmp(l->words[i], "minage")) {
      if (!parse_long(l->words[i + 1], 0, 86400, &v))
        return fail(err, l, "ratelimit minage must be 0-86400 seconds, got '%s'", l->words[i + 1]);
      min_age = (int)v;
    } else {
      return fail(err, l, "unknown ratelimit option '%s' (interval N, burst N, minage S)",
                  l->words[i]);
    }
  }
  cfg->ratelimit = true;
  cfg->ratelimit_interval = interval;
  cfg->ratelimit_burst = burst;
  cfg->ratelimit_min_age = min_age;
  return NTA_OK;
}

static nta_status do_line(srv_config *cfg, const cfg_line *l, cfg_refclock_fn refclock, void *ctx,
                          nta_diag *err) {
  const char *kw = l->words[0];
  nta_status st;
  if (!strcmp(kw, "keys")) return do_keys(cfg, l, err);
  if (!strcmp(kw, "trustedkey")) return do_trustedkey(cfg, l, err);
  if (!strcmp(kw, "keys-dialect")) return do_keys_dialect(cfg, l, err);
  if (!strcmp(kw, "listen")) return do_listen(cfg, l, err);
  if (!strcmp(kw, "local")) return do_local(cfg, l, err);
  if (!strcmp(kw, "pcap")) return do_pcap(cfg, l, err);
  if (!strcmp(kw, "crypto-nak")) return parse_yes_no(l, &cfg->crypto_nak, err);
  if (!strcmp(kw, "require-auth")) return parse_yes_no(l, &cfg->require_auth, err);
  if (!strcmp(kw, "ratelimit")) return do_ratelimit(cfg, l, err);
  if (!strcmp(kw, "user")) return do_path(l, cfg->user, sizeof cfg->user, cfg->user_where, err);
  if (!strcmp(kw, "logfile"))
    return do_path(l, cfg->logfile, sizeof cfg->logfile, cfg->logfile_where, err);
  if (!strcmp(kw, "status-socket")) {
    st = do_path(l, cfg->status_socket, sizeof cfg->status_socket, cfg->status_where, err);
    if (st == NTA_OK && !strcmp(cfg->status_socket, "none")) cfg->status_socket[0] = '\0';
    return st;
  }
  if (!strcmp(kw, "refclock")) {
    if (!refclock) return fail(err, l, "refclock support not built");
    if (l->n < 2) return fail(err, l, "'refclock' needs a driver and options");
    nta_diag why;
    why.msg[0] = '\0';
    st = refclock(ctx, l->rest, l->where, &why);
    if (st != NTA_OK) {
      /* The refclock layer names the line itself; add it only if it did not. */
      if (strncmp(why.msg, l->where, strlen(l->where)) == 0)
        return nta_diag_set(err, st, "%s", why.msg);
      return nta_diag_set(err, st, "%s: %s", l->where, why.msg);
    }
    cfg->n_refclocks++;
    return NTA_OK;
  }
  bool handled;
  st = ctl_config_line(&cfg->control, l->words, l->n, l->where, &handled, err);
  if (handled) return st;
  return fail(err, l, "unknown directive '%s'", kw);
}

/* Splits one line in place; returns false for a blank/comment line. */
static bool tokenize(char *line, cfg_line *l) {
  char *hash = strchr(line, '#');
  if (hash) *hash = '\0';
  l->n = 0;
  l->rest = "";
  char *p = line;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == '\r') p++;
    if (!*p) break;
    if (l->n == 1) {
      l->rest = p;
    }
    if (l->n >= CFG_MAX_WORDS) { l->n = CFG_MAX_WORDS + 1; return true; }
    l->words[l->n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r') p++;
    if (*p) *p++ = '\0';
  }
  return l->n > 0;
}

nta_status cfg_parse_text(srv_config *cfg, const char *name, const char *text, size_t len,
                          cfg_refclock_fn refclock, void *ctx, nta_diag *err) {
  size_t pos = 0, lineno = 0;
  char where[CFG_WHERE_MAX];
  while (pos < len) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
    lineno++;
    snprintf(where, sizeof where, "%s:%zu", name, lineno);
    if (ll >= CFG_LINE_MAX)
      return nta_diag_set(err, NTA_ERR_PARSE, "%s: line too long", where);
    char line[CFG_LINE_MAX], rest[CFG_LINE_MAX];
    memcpy(line, text + pos, ll);
    line[ll] = '\0';
    pos += ll + (nl ? 1 : 0);
    if (memchr(line, '\0', ll))
      return nta_diag_set(err, NTA_ERR_PARSE, "%s: NUL byte in line", where);
    /* `rest` keeps the original spacing for trustedkey/refclock arguments. */
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    snprintf(rest, sizeof rest, "%s", line);
    cfg_line l = { .where = where };
    if (!tokenize(line, &l)) continue;
    if (l.n > CFG_MAX_WORDS) return nta_diag_set(err, NTA_ERR_PARSE, "%s: too many words", where);
    if (l.n > 1) {
      /* Rebuild the text after the keyword from the untouched copy, trimmed. */
      char *r = rest + (l.rest - line);
      size_t rl = strlen(r);
      while (rl && (r[rl - 1] == ' ' || r[rl - 1] == '\t' || r[rl - 1] == '\r')) r[--rl] = '\0';
      l.rest = r;
    }
    nta_status st = do_line(cfg, &l, refclock, ctx, err);
    if (st != NTA_OK) return st;
  }
  return NTA_OK;
}

nta_status cfg_parse_file(srv_config *cfg, const char *path, cfg_refclock_fn refclock, void *ctx,
                          nta_diag *err) {
  FILE *f = fopen(path, "r");
  if (!f) return nta_diag_set(err, NTA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 8192, len = 0;
  char *text = malloc(cap);
  if (!text) { fclose(f); return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", path); }
  size_t n;
  while ((n = fread(text + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) {
      if (cap >= 16 * 1024 * 1024) {
        free(text); fclose(f);
        return nta_diag_set(err, NTA_ERR_RANGE, "%s: file too large", path);
      }
      char *nt = realloc(text, cap * 2);
      if (!nt) { free(text); fclose(f); return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", path); }
      text = nt; cap *= 2;
    }
  }
  bool rd_err = ferror(f);
  fclose(f);
  if (rd_err) { free(text); return nta_diag_set(err, NTA_ERR_IO, "%s: read error", path); }
  nta_status st = cfg_parse_text(cfg, path, text, len, refclock, ctx, err);
  free(text);
  return st;
}
