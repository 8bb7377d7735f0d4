/* tcpstream.c - bounded TCP reassembly (see capture/tcpstream.h).
 *
 * A direction starts at its SYN (or, without one, at its first data segment: a capture started
 * mid-connection). Bytes before the next expected sequence number are retransmissions and are
 * dropped; bytes after it wait in the direction's hold list until the gap fills. Sequence
 * numbers compare modulo 2^32. */
#include "capture/tcpstream.h"

#include <stdlib.h>
#include <string.h>

enum { FIN = 0x01, SYN = 0x02, RST = 0x04 };

typedef struct held {
  struct held *next;
  uint32_t seq;
  uint32_t len;
  uint8_t bytes[];
} held;

typedef struct {
  bool started, fin, dead;
  uint32_t next;
  held *hold;
  size_t hold_bytes;
} direction;

typedef struct {
  bool used;
  nta_endpoint client, server;
  uint64_t age;
  direction d[2];     /* [0] client -> server, [1] server -> client */
  void *user;
} conn;

struct cap_tcp_table {
  uint16_t server_port;
  cap_tcp_handler h;
  conn conns[CAP_TCP_MAX_CONNS];
  uint64_t clock, n_conns, bytes, gaps;
};

static bool seq_before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

cap_tcp_table *cap_tcp_create(uint16_t server_port, const cap_tcp_handler *h) {
  cap_tcp_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->server_port = server_port;
  t->h = *h;
  return t;
}

static void drop_hold(direction *d) {
  for (held *x = d->hold, *n; x; x = n) {
    n = x->next;
    free(x);
  }
  d->hold = NULL;
  d->hold_bytes = 0;
}

static void close_conn(cap_tcp_table *t, conn *c) {
  if (!c->used) return;
  if (t->h.closed) t->h.closed(t->h.arg, c->user);
  drop_hold(&c->d[0]);
  drop_hold(&c->d[1]);
  memset(c, 0, sizeof *c);
}

void cap_tcp_destroy(cap_tcp_table *t) {
  if (!t) return;
  for (size_t i = 0; i < CAP_TCP_MAX_CONNS; i++) close_conn(t, &t->conns[i]);
  free(t);
}

static bool same_ep(const nta_endpoint *a, const nta_endpoint *b) {
  return a->family == b->family && a->port == b->port &&
         memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

/* The connection of a segment, created for a SYN or data (a bare ACK or FIN after the end makes
 * none: NULL); the oldest connection is evicted when the table is full. */
static conn *find_conn(cap_tcp_table *t, const cap_datagram *s, bool *from_server) {
  *from_server = s->src.port == t->server_port;
  const nta_endpoint *cl = *from_server ? &s->dst : &s->src, *sv = *from_server ? &s->src : &s->dst;
  conn *free_slot = NULL, *oldest = &t->conns[0];
  for (size_t i = 0; i < CAP_TCP_MAX_CONNS; i++) {
    conn *c = &t->conns[i];
    if (!c->used) {
      if (!free_slot) free_slot = c;
      continue;
    }
    if (same_ep(&c->client, cl) && same_ep(&c->server, sv)) return c;
    if (c->age < oldest->age) oldest = c;
  }
  if (!(s->tcp_flags & SYN) && !s->captured_len) return NULL;
  conn *c = free_slot ? free_slot : oldest;
  close_conn(t, c);
  c->used = true;
  c->client = *cl;
  c->server = *sv;
  t->n_conns++;
  return c;
}

static void deliver(cap_tcp_table *t, conn *c, const cap_datagram *s, bool fs, const uint8_t *b,
                    size_t len) {
  direction *d = &c->d[fs];
  d->next += (uint32_t)len;
  t->bytes += len;
  t->h.data(t->h.arg, &c->user, s, fs, b, len);
}

/* Delivers held segments that became contiguous. */
static void drain(cap_tcp_table *t, conn *c, const cap_datagram *s, bool fs) {
  direction *d = &c->d[fs];
  for (bool again = true; again;) {
    again = false;
    for (held **pp = &d->hold; *pp; pp = &(*pp)->next) {
      held *x = *pp;
      if (seq_before(d->next, x->seq)) continue;
      uint32_t skip = d->next - x->seq;
      *pp = x->next;
      d->hold_bytes -= x->len;
      if (skip < x->len) deliver(t, c, s, fs, x->bytes + skip, x->len - skip);
      free(x);
      again = true;
      break;
    }
  }
}

static void hold(cap_tcp_table *t, direction *d, uint32_t seq, const uint8_t *b, size_t len) {
  held *x = len + d->hold_bytes <= CAP_TCP_HOLD_BYTES ? malloc(sizeof *x + len) : NULL;
  if (!x) {   /* the gap will not fill within bounds: stop reading this direction */
    d->dead = true;
    t->gaps++;
    drop_hold(d);
    return;
  }
  x->seq = seq;
  x->len = (uint32_t)len;
  memcpy(x->bytes, b, len);
  x->next = d->hold;
  d->hold = x;
  d->hold_bytes += len;
}

void cap_tcp_segment(cap_tcp_table *t, const cap_datagram *s) {
  if (!t || s->proto != 6) return;
  bool fs;
  conn *c = find_conn(t, s, &fs);
  if (!c) return;
  c->age = ++t->clock;
  direction *d = &c->d[fs];
  uint32_t seq = s->tcp_seq;
  if (s->tcp_flags & SYN) {
    d->started = true;
    d->next = seq + 1;
    seq++;
  } else if (!d->started && s->captured_len) {
    d->started = true;   /* joined mid-connection */
    d->next = seq;
  }
  const uint8_t *b = s->payload;
  size_t len = s->captured_len;
  if (d->started && !d->dead && len) {
    if (!seq_before(d->next, seq) || d->next == seq) {
      uint32_t skip = d->next - seq;   /* retransmitted bytes */
      if (skip < len) deliver(t, c, s, fs, b + skip, len - skip);
      drain(t, c, s, fs);
    } else {
      hold(t, d, seq, b, len);
    }
  }
  if (s->tcp_flags & FIN) d->fin = true;
  if ((s->tcp_flags & RST) || (c->d[0].fin && c->d[1].fin)) close_conn(t, c);
}

void cap_tcp_stats(const cap_tcp_table *t, uint64_t *conns, uint64_t *bytes, uint64_t *gaps) {
  if (conns) *conns = t->n_conns;
  if (bytes) *bytes = t->bytes;
  if (gaps) *gaps = t->gaps;
}
