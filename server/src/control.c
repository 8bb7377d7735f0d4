/* control.c - admission of control messages and their configuration (see control.h). */
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

struct ctl_server {
  ctl_config cfg;
  rl_table *rate;
  ctl_stats stats;
  m6_result result;
};

bool ctl_parse_net(const char *text, ctl_net *out) {
  char host[64];
  const char *slash = strchr(text, '/');
  size_t hl = slash ? (size_t)(slash - text) : strlen(text);
  if (hl == 0 || hl >= sizeof host) return false;
  memcpy(host, text, hl);
  host[hl] = '\0';
  memset(out, 0, sizeof *out);
  out->family = strchr(host, ':') ? 6 : 4;
  if (inet_pton(out->family == 4 ? AF_INET : AF_INET6, host, out->addr) != 1) return false;
  unsigned max = out->family == 4 ? 32 : 128;
  out->prefix = (uint8_t)max;
  if (slash) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(slash + 1, &end, 10);
    if (errno || end == slash + 1 || *end || v > max) return false;
    out->prefix = (uint8_t)v;
  }
  return true;
}

void ctl_config_init(ctl_config *c) {
  memset(c, 0, sizeof *c);
  ctl_parse_net("127.0.0.1", &c->allow[0]);
  ctl_parse_net("::1", &c->allow[1]);
  c->n_allow = 2;
}

static nta_status allow_line(ctl_config *c, char *const *words, size_t n, const char *where,
                             nta_diag *err) {
  if (n < 2)
    return nta_diag_set(err, NTA_ERR_PARSE, "%s: 'control-allow' takes ADDR[/PREFIX]... or none", where);
  if (!c->allow_given) c->n_allow = 0;   /* the first line replaces the default */
  c->allow_given = true;
  if (n == 2 && !strcmp(words[1], "none")) return NTA_OK;
  for (size_t i = 1; i < n; i++) {
    if (c->n_allow >= CTL_MAX_ALLOW)
      return nta_diag_set(err, NTA_ERR_PARSE, "%s: more than %d control-allow networks", where,
                          CTL_MAX_ALLOW);
    if (!ctl_parse_net(words[i], &c->allow[c->n_allow]))
      return nta_diag_set(err, NTA_ERR_PARSE, "%s: bad control-allow network '%s' "
                          "(ADDR or ADDR/PREFIX, IPv4 or IPv6)", where, words[i]);
    c->n_allow++;
  }
  return NTA_OK;
}

nta_status ctl_config_line(ctl_config *c, char *const *words, size_t n, const char *where,
                           bool *handled, nta_diag *err) {
  *handled = true;
  if (!strcmp(words[0], "control-allow")) return allow_line(c, words, n, where, err);
  if (!strcmp(words[0], "control-require-auth")) {
    if (n == 2 && (!strcmp(words[1], "yes") || !strcmp(words[1], "no"))) {
      c->require_auth = !strcmp(words[1], "yes");
      return NTA_OK;
    }
    return nta_diag_set(err, NTA_ERR_PARSE, "%s: 'control-require-auth' takes yes or no", where);
  }
  if (!strcmp(words[0], "metrics-file")) {
    if (n != 2 || strlen(words[1]) >= sizeof c->metrics_file)
      return nta_diag_set(err, NTA_ERR_PARSE, "%s: 'metrics-file' takes one path", where);
    snprintf(c->metrics_file, sizeof c->metrics_file, "%s", words[1]);
    return NTA_OK;
  }
  *handled = false;
  return NTA_OK;
}

static bool net_contains(const ctl_net *net, uint8_t family, const uint8_t addr[16]) {
  if (net->family != family) return false;
  unsigned bits = net->prefix, i = 0;
  for (; bits >= 8; bits -= 8, i++)
    if (net->addr[i] != addr[i]) return false;
  if (bits == 0) return true;
  uint8_t mask = (uint8_t)(0xFF << (8 - bits));
  return (net->addr[i] & mask) == (addr[i] & mask);
}

bool ctl_allowed(const ctl_config *c, uint8_t family, const uint8_t addr[16]) {
  for (size_t i = 0; i < c->n_allow; i++)
    if (net_contains(&c->allow[i], family, addr)) return true;
  return false;
}

ctl_server *ctl_create(const ctl_config *cfg) {
  ctl_server *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->cfg = *cfg;
  c->rate = rl_create(CTL_RATE_SLOTS, CTL_RATE_INTERVAL, CTL_RATE_BURST, CTL_RATE_MIN_AGE);
  if (!c->rate) { free(c); return NULL; }
  return c;
}

void ctl_destroy(ctl_server *c) {
  if (!c) return;
  rl_destroy(c->rate);
  free(c);
}

bool ctl_admit(ctl_server *c, uint8_t family, const uint8_t addr[16], const struct timespec *now) {
  c->stats.requests++;
  if (!ctl_allowed(&c->cfg, family, addr)) { c->stats.not_allowed++; return false; }
  if (!rl_allow(c->rate, family, addr, false, 0, now)) { c->stats.rate_limited++; return false; }
  return true;
}

const m6_result *ctl_answer(ctl_server *c, const uint8_t *buf, size_t len, const m6_snapshot *snap,
                            const nta_keyring *kr) {
  m6_policy pol = {.require_auth = c->cfg.require_auth};
  m6_result *r = &c->result;
  switch (m6_respond(buf, len, snap, &pol, kr, r)) {
  case M6_ANSWER: c->stats.answered++; break;
  case M6_ERROR:
    c->stats.errors++;
    if (r->error_code == M6_ERR_PERMISSION && r->vr.verdict != NTA_V_GOOD) c->stats.auth_refused++;
    break;
  case M6_DROP: c->stats.dropped++; return NULL;
  }
  if (r->signed_reply) c->stats.signed_replies++;
  c->stats.fragments += r->n_frags;
  return r;
}

const ctl_stats *ctl_get_stats(const ctl_server *c) { return &c->stats; }

size_t ctl_format_status(const ctl_server *c, char *buf, size_t len) {
  const ctl_stats *s = &c->stats;
  int n = snprintf(buf, len,
                   "control (mode 6): %llu requests, %llu answered, %llu errors (%llu auth refused), "
                   "%llu not allowed, %llu rate-limited, %llu dropped, %llu signed\n",
                   (unsigned long long)s->requests, (unsigned long long)s->answered,
                   (unsigned long long)s->errors, (unsigned long long)s->auth_refused,
                   (unsigned long long)s->not_allowed, (unsigned long long)s->rate_limited,
                   (unsigned long long)s->dropped, (unsigned long long)s->signed_replies);
  return n > 0 ? (size_t)n : 0;
}
