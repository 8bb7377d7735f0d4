/* nts_track.c - following NTS exchanges through a capture.
 *
 * Four tables, all keyed by a 64-bit value (FNV-1a of the bytes for cookies, identifiers and
 * client addresses; the transmit timestamp for requests):
 *   cookies:  cookie -> the frame that delivered it, its session, the first request that used it
 *   uids:     Unique Identifier -> the request frame and the session that verified it
 *   requests: transmit timestamp -> request frame and its identifier's hash (a reply's origin
 *             timestamp names its request; RFC 8915 §5.3 says the identifiers must then match)
 *   clients:  address -> the session that last verified it, and an unanswered NTS NAK (frame
 *             and session + 1)
 * A cookie that is never seen is normal (it came from an NTS-KE not in the capture).
 *
 * Memory stays flat however long the capture: each table grows to TABLE_MAX_CAP slots (kept at
 * most half full), then starts a new generation and keeps the previous one for lookups (a
 * record found there moves to the new one). So the last 32 k records of each kind are always
 * remembered and at most two generations exist: about 12 MiB for the four tables. What falls
 * out is treated like what the capture never showed: a cookie from no known frame, a reply
 * without its request. */
#include "nts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/nts_verify.h"

typedef struct {
  uint64_t key;        /* 0 = empty slot */
  uint32_t frame, frame2;
  int32_t session;
  uint32_t aux;
} rec;

typedef struct {
  rec *slots;
  size_t cap, n;
  rec *old;            /* the previous generation, read-only but for moves out of it */
  size_t old_cap, old_n;
} table;

#define TABLE_MAX_CAP ((size_t)1 << 16)   /* slots per generation: 1.5 MiB of 24-byte records */

struct nta_nts_tracker {
  const nta_nts_store *st;
  table cookies, uids, requests, clients;
  nta_nts_result res;  /* scratch: large, kept out of the stack */
};

static uint64_t fnv(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h ? h : 1;
}

/* Home slot of a key. Transmit timestamps (the request table's keys) often have patterned or
 * zero low bits (clocks of coarse resolution, chrony's randomised low bits aside): spread all
 * bits over the index, or linear probing degrades into long runs. */
static size_t home(uint64_t key, size_t cap) {
  uint64_t h = key * 0x9e3779b97f4a7c15ull;
  return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

static rec *probe(rec *slots, size_t cap, uint64_t key) {
  if (!cap) return NULL;
  for (size_t i = home(key, cap);; i = (i + 1) & (cap - 1)) {
    if (slots[i].key == key) return &slots[i];
    if (slots[i].key == 0) return NULL;
  }
}

static rec *table_find(const table *t, uint64_t key) {
  key = key ? key : 1;
  rec *r = probe(t->slots, t->cap, key);
  return r ? r : probe(t->old, t->old_cap, key);
}

static bool table_grow(table *t) {
  size_t ncap = t->cap ? t->cap * 2 : 64;
  rec *ns = calloc(ncap, sizeof *ns);
  if (!ns) return false;
  for (size_t i = 0; i < t->cap; i++) {
    if (!t->slots[i].key) continue;
    size_t j = home(t->slots[i].key, ncap);
    while (ns[j].key) j = (j + 1) & (ncap - 1);
    ns[j] = t->slots[i];
  }
  free(t->slots);
  t->slots = ns;
  t->cap = ncap;
  return true;
}

/* Room for one more record: grow, or at the size limit start a new generation (the oldest
 * one is dropped). */
static bool make_room(table *t) {
  if ((t->n + 1) * 2 <= t->cap) return true;   /* at most half full: short probe runs */
  if (t->cap < TABLE_MAX_CAP) return table_grow(t);
  free(t->old);
  t->old = t->slots;
  t->old_cap = t->cap;
  t->old_n = t->n;
  t->n = 0;
  /* Full size at once: growing it again would rehash a generation's worth of records. */
  t->slots = calloc(TABLE_MAX_CAP, sizeof *t->slots);
  t->cap = t->slots ? TABLE_MAX_CAP : 0;
  return t->slots != NULL;
}

/* The record for key in the current generation: found, moved from the previous one, or
 * created zeroed (session -1). NULL when out of memory. */
static rec *table_put(table *t, uint64_t key, bool *is_new) {
  key = key ? key : 1;
  rec *r = probe(t->slots, t->cap, key);
  *is_new = false;
  if (r) return r;
  if (!make_room(t)) return NULL;
  rec *from = probe(t->old, t->old_cap, key);
  size_t i = home(key, t->cap);
  while (t->slots[i].key) i = (i + 1) & (t->cap - 1);
  t->slots[i] = from ? *from : (rec){.key = key, .session = -1};
  if (from) from->frame2 = 0;   /* the moved copy is the live one (see pending_naks) */
  *is_new = from == NULL;
  t->n++;
  return &t->slots[i];
}

nta_nts_tracker *nta_nts_tracker_create(const nta_nts_store *st) {
  nta_nts_tracker *tr = calloc(1, sizeof *tr);
  if (tr) tr->st = st;
  return tr;
}

void nta_nts_tracker_destroy(nta_nts_tracker *tr) {
  if (!tr) return;
  table *all[] = {&tr->cookies, &tr->uids, &tr->requests, &tr->clients};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    free(all[i]->slots);
    free(all[i]->old);
  }
  free(tr);
}

static void set_session(nta_nts_tracker *tr, nta_nts_info *info, int s) {
  info->session = s;
  const nta_nts_session *ss = s >= 0 ? nta_nts_store_session(tr->st, (size_t)s) : NULL;
  snprintf(info->session_name, sizeof info->session_name, "%s", ss ? ss->name : "");
}

/* Where a request's cookie came from; returns the session it belongs to, or -1. */
static int link_cookie(nta_nts_tracker *tr, uint32_t frame, const uint8_t *c, size_t len,
                       nta_nts_info *info) {
  bool is_new;
  rec *r = table_put(&tr->cookies, fnv(c, len), &is_new);
  int s = -1;
  if (r && !is_new) {
    info->cookie_source = r->aux ? NTA_COOKIE_KE : NTA_COOKIE_REPLY;
    info->cookie_frame = r->frame;
    s = r->session;
    if (r->frame2) info->reused_frame = r->frame2;
    else r->frame2 = frame;
  } else {
    s = nta_nts_store_dump_cookie(tr->st, c, len);
    if (s >= 0) info->cookie_source = NTA_COOKIE_DUMP;
    if (r) r->frame2 = frame;
  }
  return s;
}

static void remember_cookies(nta_nts_tracker *tr, uint32_t frame, int session, bool ke,
                             const uint8_t *const *c, const uint16_t *lens, size_t n) {
  for (size_t i = 0; i < n; i++) {
    bool is_new;
    rec *r = table_put(&tr->cookies, fnv(c[i], lens[i]), &is_new);
    if (!r || !is_new) continue;   /* a repeated cookie keeps its first delivery */
    r->frame = frame;
    r->session = session;
    r->aux = ke;
  }
}

void nta_nts_tracker_ke_cookies(nta_nts_tracker *tr, uint32_t frame, int session,
                                const uint8_t *const *cookies, const uint16_t *lens, size_t n) {
  remember_cookies(tr, frame, session, true, cookies, lens, n);
}

/* The first request of a client since its NTS NAK: what did it do? */
static void nak_followup(rec *client, const nta_nts_info *req, nta_nts_info *info) {
  if (!client || !client->frame2) return;
  info->nak_frame = client->frame2;
  if (!req->is_nts) info->nak_followup = NTA_NAK_UNAUTH;
  else if (req->verdict != NTA_V_GOOD) {
    /* New keys we do not have: the NAK'd session says nothing about its later packets. */
    info->nak_followup = NTA_NAK_UNKNOWN_NTS;
    client->session = -1;
  }
  else if (req->session == (int32_t)client->aux - 1) info->nak_followup = NTA_NAK_SAME_SESSION;
  else info->nak_followup = NTA_NAK_NEW_KE;
  client->frame2 = 0;
}

static void on_request(nta_nts_tracker *tr, uint32_t frame, rec *client, const nta_packet *pkt,
                       const uint8_t *buf, size_t len, nta_nts_info *info) {
  nta_nts_result *r = &tr->res;
  nta_diag why;
  int expected = -1;
  if (nta_nts_parse(buf, len, &r->fields, &why) == NTA_OK && r->fields.has_cookie)
    expected = link_cookie(tr, frame, buf + r->fields.cookie.off, r->fields.cookie.len, info);
  int hint = client && client->session >= 0 ? client->session : -1;
  /* A cookie never seen (it came from an NTS-KE outside the capture): the client's keys are
   * still known from its last verified packet, unless an NTS NAK told it to get new ones. A
   * cookie from an NTS-KE whose session is unknown says the client has new keys. */
  if (expected < 0 && info->cookie_source == NTA_COOKIE_UNKNOWN && client && !client->frame2)
    expected = hint;
  info->verdict = nta_nts_verify(tr->st, buf, len, false, hint, expected, r);
  set_session(tr, info, r->session);
  snprintf(info->reason, sizeof info->reason, "%s", r->reason);
  if (info->verdict == NTA_V_GOOD && client) client->session = r->session;
  uint64_t uid = r->fields.has_uid ? fnv(buf + r->fields.uid.off, r->fields.uid.len) : 0;
  bool is_new;
  rec *u = uid ? table_put(&tr->uids, uid, &is_new) : NULL;
  if (u && is_new) {
    u->frame = frame;
    u->session = info->verdict == NTA_V_GOOD ? r->session : expected;
  }
  rec *q = table_put(&tr->requests, pkt->xmt_ts, &is_new);
  if (q && is_new) {
    q->frame = frame;
    q->aux = (uint32_t)uid;
  }
}

static void on_reply(nta_nts_tracker *tr, uint32_t frame, rec *client, const nta_packet *pkt,
                     const uint8_t *buf, size_t len, nta_nts_info *info) {
  nta_nts_result *r = &tr->res;
  nta_diag why;
  uint64_t uid = 0;
  int expected = -1;
  bool seen = false;
  if (nta_nts_parse(buf, len, &r->fields, &why) == NTA_OK && r->fields.has_uid) {
    uid = fnv(buf + r->fields.uid.off, r->fields.uid.len);
    rec *u = table_find(&tr->uids, uid);
    if (u) {
      info->request_frame = u->frame;
      expected = u->session;
      seen = true;
    }
  }
  rec *q = table_find(&tr->requests, pkt->org_ts);
  if (q && q->aux != (uint32_t)uid) info->uid_mismatch_frame = q->frame;
  char code[5];
  if (nta_packet_kiss_code(pkt, code) && strcmp(code, "NTSN") == 0) {
    info->nak = true;
    info->verdict = NTA_V_NTS;
    set_session(tr, info, expected);
    snprintf(info->reason, sizeof info->reason,
             "NTS NAK (KoD NTSN): the server could not use the request's cookie");
    if (client) {   /* the NAK'd session: the request's, else the client's last one */
      client->frame2 = frame;
      client->aux = (uint32_t)((expected >= 0 ? expected : client->session) + 1);
    }
    return;
  }
  int hint = client && client->session >= 0 ? client->session : -1;
  /* Its request not in the capture: the client's last session. A request no known session
   * verified makes its reply unverifiable too. */
  if (!seen) expected = hint;
  info->verdict = nta_nts_verify(tr->st, buf, len, true, hint, expected, r);
  set_session(tr, info, r->session);
  snprintf(info->reason, sizeof info->reason, "%s", r->reason);
  if (info->verdict != NTA_V_GOOD) return;
  const uint8_t *c[NTA_NTS_MAX_COOKIES];
  uint16_t l[NTA_NTS_MAX_COOKIES];
  for (size_t i = 0; i < r->inner.n_cookies; i++) {
    c[i] = r->plain + r->inner.cookies[i].off;
    l[i] = r->inner.cookies[i].len;
  }
  info->new_cookies = r->inner.n_cookies;
  remember_cookies(tr, frame, r->session, false, c, l, r->inner.n_cookies);
}

void nta_nts_tracker_packet(nta_nts_tracker *tr, uint32_t frame, const void *client,
                            size_t client_len, const nta_packet *pkt, const uint8_t *buf,
                            size_t len, nta_nts_info *info) {
  memset(info, 0, sizeof *info);
  info->session = -1;
  info->verdict = NTA_V_NTS;
  if (!tr || !pkt->header_ok || pkt->version != 4) return;
  uint64_t ck = fnv(client, client_len);
  bool is_new;
  if (pkt->mode == NTA_MODE_CLIENT) {
    rec *c = pkt->has_nts ? table_put(&tr->clients, ck, &is_new) : table_find(&tr->clients, ck);
    if (pkt->has_nts) {
      info->is_nts = true;
      on_request(tr, frame, c, pkt, buf, len, info);
    }
    nak_followup(c, info, info);
  } else if (pkt->mode == NTA_MODE_SERVER && pkt->has_nts) {
    info->is_nts = true;
    info->reply = true;
    on_reply(tr, frame, table_put(&tr->clients, ck, &is_new), pkt, buf, len, info);
  }
}

static int by_frame(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

void nta_nts_tracker_pending_naks(const nta_nts_tracker *tr, void (*fn)(uint32_t, void *),
                                  void *arg) {
  if (!tr || !(tr->clients.n + tr->clients.old_n)) return;
  uint32_t *frames = malloc((tr->clients.n + tr->clients.old_n) * sizeof *frames);
  if (!frames) return;
  size_t n = 0;
  const table *c = &tr->clients;
  for (size_t i = 0; i < c->cap; i++)
    if (c->slots[i].key && c->slots[i].frame2) frames[n++] = c->slots[i].frame2;
  /* A record moved to the current generation has frame2 cleared in the old one. */
  for (size_t i = 0; i < c->old_cap; i++)
    if (c->old[i].key && c->old[i].frame2) frames[n++] = c->old[i].frame2;
  qsort(frames, n, sizeof *frames, by_frame);
  for (size_t i = 0; i < n; i++) fn(frames[i], arg);
  free(frames);
}

const char *nta_nak_followup_text(nta_nak_followup f) {
  switch (f) {
  case NTA_NAK_NEW_KE: return "the client went on with a new NTS-KE session";
  case NTA_NAK_SAME_SESSION: return "the client went on with cookies of the same session";
  case NTA_NAK_UNAUTH: return "the client fell back to unauthenticated requests";
  case NTA_NAK_UNKNOWN_NTS: return "the client went on with NTS requests no known key verifies";
  default: return "";
  }
}
