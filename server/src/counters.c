/* counters.c - per-verdict, per-key and per-client counters (see counters.h). */
#include "counters.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint32_t key_id;
  uint64_t good, kod;
} cnt_key_row;

typedef struct {
  uint8_t family;
  uint8_t addr[16];
  uint64_t requests, good, auth_failed, no_auth, dropped, kod;
} cnt_client_row;

struct srv_counters {
  struct timespec started;
  uint64_t total, rx_errors, send_errors;
  uint64_t verdicts[NTA_V_COUNT];
  uint64_t actions[RSP_DROP + 1];
  uint64_t drops[RSP_DROP_COUNT];
  cnt_key_row keys[CNT_MAX_KEYS];
  size_t n_keys;
  cnt_key_row key_other;
  uint64_t unknown_keys;       /* requests naming a key ID we do not have */
  uint64_t failed_known_keys;  /* bad MAC or untrusted key with an ID we have */
  cnt_client_row clients[CNT_MAX_CLIENTS];
  size_t n_clients;
  cnt_client_row client_other;
};

srv_counters *cnt_create(void) {
  srv_counters *c = calloc(1, sizeof *c);
  if (c) clock_gettime(CLOCK_REALTIME, &c->started);
  return c;
}

void cnt_destroy(srv_counters *c) { free(c); }

/* Rows are only made for verified requests, which spoofed traffic cannot produce. A full table
 * gives the row with the fewest verified requests (its counts go to "other") to the newcomer, so
 * the busiest keys and clients stay listed whatever the order they came in. */
static cnt_key_row *key_row(srv_counters *c, uint32_t id) {
  for (size_t i = 0; i < c->n_keys; i++)
    if (c->keys[i].key_id == id) return &c->keys[i];
  cnt_key_row *r;
  if (c->n_keys < CNT_MAX_KEYS) {
    r = &c->keys[c->n_keys++];
  } else {
    r = &c->keys[0];
    for (size_t i = 1; i < c->n_keys; i++)
      if (c->keys[i].good < r->good) r = &c->keys[i];
    c->key_other.good += r->good;
    c->key_other.kod += r->kod;
  }
  memset(r, 0, sizeof *r);
  r->key_id = id;
  return r;
}

static void fold_client(cnt_client_row *into, const cnt_client_row *r) {
  into->requests += r->requests;
  into->good += r->good;
  into->auth_failed += r->auth_failed;
  into->no_auth += r->no_auth;
  into->dropped += r->dropped;
  into->kod += r->kod;
}

static cnt_client_row *client_row(srv_counters *c, uint8_t family, const uint8_t addr[16],
                                  bool verified) {
  size_t alen = family == 4 ? 4 : 16;
  for (size_t i = 0; i < c->n_clients; i++)
    if (c->clients[i].family == family && !memcmp(c->clients[i].addr, addr, alen))
      return &c->clients[i];
  if (!verified) return &c->client_other;
  cnt_client_row *r;
  if (c->n_clients < CNT_MAX_CLIENTS) {
    r = &c->clients[c->n_clients++];
  } else {
    r = &c->clients[0];
    for (size_t i = 1; i < c->n_clients; i++)
      if (c->clients[i].good < r->good) r = &c->clients[i];
    fold_client(&c->client_other, r);
  }
  memset(r, 0, sizeof *r);
  r->family = family;
  memcpy(r->addr, addr, alen);
  return r;
}

void cnt_record(srv_counters *c, uint8_t family, const uint8_t addr[16], const rsp_result *res) {
  nta_verdict v = res->vr.verdict;
  c->total++;
  if ((unsigned)v < NTA_V_COUNT) c->verdicts[v]++;
  c->actions[res->action]++;
  if (res->action == RSP_DROP && (unsigned)res->drop_reason < RSP_DROP_COUNT)
    c->drops[res->drop_reason]++;
  if (v == NTA_V_GOOD) {
    cnt_key_row *k = key_row(c, res->vr.key_id);
    k->good++;
    if (res->action == RSP_KOD_RATE) k->kod++;
  } else if (v == NTA_V_UNKNOWN_KEY) {
    c->unknown_keys++;
  } else if (nta_verdict_is_failure(v)) {
    c->failed_known_keys++;
  }
  cnt_client_row *r = client_row(c, family, addr, v == NTA_V_GOOD);
  r->requests++;
  if (v == NTA_V_GOOD) r->good++;
  else if (nta_verdict_is_failure(v)) r->auth_failed++;
  else if (v == NTA_V_NO_AUTH) r->no_auth++;
  if (res->action == RSP_DROP) r->dropped++;
  if (res->action == RSP_KOD_RATE) r->kod++;
}

void cnt_send_error(srv_counters *c) { c->send_errors++; }
void cnt_rx_error(srv_counters *c) { c->rx_errors++; }
uint64_t cnt_total(const srv_counters *c) { return c->total; }
uint64_t cnt_verdict(const srv_counters *c, nta_verdict v) { return c->verdicts[v]; }
uint64_t cnt_action(const srv_counters *c, rsp_action a) { return c->actions[a]; }

typedef struct { char *buf; size_t len, off; } out_buf;

static void out(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(out_buf *o, const char *fmt, ...) {
  if (o->off + 1 >= o->len) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  o->off += (size_t)n;
  if (o->off >= o->len) o->off = o->len - 1;
}

static void format_addr(const cnt_client_row *r, char *s, size_t n) {
  if (!inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->addr, s, (socklen_t)n))
    snprintf(s, n, "?");
}

size_t cnt_format(const srv_counters *c, const struct timespec *now, char *buf, size_t len) {
  out_buf o = { buf, len, 0 };
  if (!len) return 0;
  buf[0] = '\0';
  out(&o, "uptime %lld s, requests %llu, receive errors %llu, send errors %llu\n",
      (long long)(now->tv_sec - c->started.tv_sec), (unsigned long long)c->total,
      (unsigned long long)c->rx_errors, (unsigned long long)c->send_errors);
  out(&o, "verdicts:");
  for (int v = 0; v < NTA_V_COUNT; v++)
    out(&o, " %s=%llu", nta_verdict_name((nta_verdict)v), (unsigned long long)c->verdicts[v]);
  out(&o, "\nactions:");
  for (int a = 0; a <= RSP_DROP; a++)
    out(&o, " %s=%llu", rsp_action_name((rsp_action)a), (unsigned long long)c->actions[a]);
  out(&o, "\ndropped:");
  for (int d = 1; d < RSP_DROP_COUNT; d++)
    out(&o, " %s=%llu", rsp_drop_reason_name((rsp_drop_reason)d), (unsigned long long)c->drops[d]);
  out(&o, "\nkeys (%zu, verified requests only):\n", c->n_keys);
  for (size_t i = 0; i < c->n_keys; i++)
    out(&o, "  key %u: good=%llu kod=%llu\n", c->keys[i].key_id,
        (unsigned long long)c->keys[i].good, (unsigned long long)c->keys[i].kod);
  if (c->key_other.good)
    out(&o, "  other keys: good=%llu kod=%llu\n", (unsigned long long)c->key_other.good,
        (unsigned long long)c->key_other.kod);
  out(&o, "  unknown keys: requests=%llu; failed MACs with known keys: requests=%llu\n",
      (unsigned long long)c->unknown_keys, (unsigned long long)c->failed_known_keys);
  out(&o, "clients (%zu, busiest verified):\n", c->n_clients);
  for (size_t i = 0; i < c->n_clients; i++) {
    char a[64];
    const cnt_client_row *r = &c->clients[i];
    format_addr(r, a, sizeof a);
    out(&o, "  %s: requests=%llu good=%llu auth_failed=%llu no_auth=%llu dropped=%llu kod=%llu\n",
        a, (unsigned long long)r->requests, (unsigned long long)r->good,
        (unsigned long long)r->auth_failed, (unsigned long long)r->no_auth,
        (unsigned long long)r->dropped, (unsigned long long)r->kod);
  }
  if (c->client_other.requests)
    out(&o, "  other clients: requests=%llu good=%llu auth_failed=%llu no_auth=%llu dropped=%llu "
        "kod=%llu\n", (unsigned long long)c->client_other.requests,
        (unsigned long long)c->client_other.good, (unsigned long long)c->client_other.auth_failed,
        (unsigned long long)c->client_other.no_auth, (unsigned long long)c->client_other.dropped,
        (unsigned long long)c->client_other.kod);
  return o.off;
}
