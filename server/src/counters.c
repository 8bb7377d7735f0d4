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
  uint64_t good, failed, other;
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

static cnt_key_row *key_row(srv_counters *c, uint32_t id) {
  for (size_t i = 0; i < c->n_keys; i++)
    if (c->keys[i].key_id == id) return &c->keys[i];
  if (c->n_keys < CNT_MAX_KEYS) {
    cnt_key_row *r = &c->keys[c->n_keys++];
    r->key_id = id;
    return r;
  }
  return &c->key_other;
}

static cnt_client_row *client_row(srv_counters *c, uint8_t family, const uint8_t addr[16]) {
  size_t alen = family == 4 ? 4 : 16;
  for (size_t i = 0; i < c->n_clients; i++)
    if (c->clients[i].family == family && !memcmp(c->clients[i].addr, addr, alen))
      return &c->clients[i];
  if (c->n_clients < CNT_MAX_CLIENTS) {
    cnt_client_row *r = &c->clients[c->n_clients++];
    r->family = family;
    memcpy(r->addr, addr, alen);
    return r;
  }
  return &c->client_other;
}

void cnt_record(srv_counters *c, uint8_t family, const uint8_t addr[16], const rsp_result *res) {
  nta_verdict v = res->vr.verdict;
  c->total++;
  if ((unsigned)v < NTA_V_COUNT) c->verdicts[v]++;
  c->actions[res->action]++;
  if (res->action == RSP_DROP && (unsigned)res->drop_reason < RSP_DROP_COUNT)
    c->drops[res->drop_reason]++;
  if (res->vr.has_key_id) {
    cnt_key_row *k = key_row(c, res->vr.key_id);
    if (v == NTA_V_GOOD) k->good++;
    else if (nta_verdict_is_failure(v)) k->failed++;
    else k->other++;
  }
  cnt_client_row *r = client_row(c, family, addr);
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
  out(&o, "\nkeys (%zu):\n", c->n_keys);
  for (size_t i = 0; i < c->n_keys; i++)
    out(&o, "  key %u: good=%llu failed=%llu other=%llu\n", c->keys[i].key_id,
        (unsigned long long)c->keys[i].good, (unsigned long long)c->keys[i].failed,
        (unsigned long long)c->keys[i].other);
  if (c->key_other.good + c->key_other.failed + c->key_other.other)
    out(&o, "  other keys: good=%llu failed=%llu other=%llu\n",
        (unsigned long long)c->key_other.good, (unsigned long long)c->key_other.failed,
        (unsigned long long)c->key_other.other);
  out(&o, "clients (%zu):\n", c->n_clients);
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
    out(&o, "  other clients: requests=%llu\n", (unsigned long long)c->client_other.requests);
  return o.off;
}
