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
 * A cookie that is never seen is normal (it came from an NTS-KE not in the capture). The tables
 * grow with the capture: about 24 bytes per cookie, request and client. */
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
} table;

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

static rec *table_find(const table *t, uint64_t key) {
  if (!t->cap) return NULL;
  key = key ? key : 1;
  for (size_t i = key & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
    if (t->slots[i].key == key) return &t->slots[i];
    if (t->slots[i].key == 0) return NULL;
  }
}

static bool table_grow(table *t) {
  size_t ncap = t->cap ? t->cap * 2 : 64;
  rec *ns = calloc(ncap, sizeof *ns);
  if (!ns) return false;
  for (size_t i = 0; i < t->cap; i++) {
    if (!t->slots[i].key) continue;
    size_t j = t->slots[i].key & (ncap - 1);
    while (ns[j].key) j = (j + 1) & (ncap - 1);
    ns[j] = t->slots[i];
  }
  free(t->slots);
  t->slots = ns;
  t->cap = ncap;
  return true;
}

/* The record for key, created zeroed (session -1) when new; NULL when out of memory. */
static rec *table_put(table *t, uint64_t key, bool *is_new) {
  key = key ? key : 1;
  rec *r = table_find(t, key);
  *is_new = r == NULL;
  if (r) return r;
  if ((t->n + 1) * 4 > t->cap * 3 && !table_grow(t)) return NULL;
  size_t i = key & (t->cap - 1);
  while (t->slots[i].key) i = (i + 1) & (t->cap - 1);
  t->slots[i] = (rec){.key = key, .session = -1};
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
  free(tr->cookies.slots);
  free(tr->uids.slots);
  free(tr->requests.slots);
  free(tr->clients.slots);
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
  if (!tr || !tr->clients.n) return;
  uint32_t *frames = malloc(tr->clients.n * sizeof *frames);
  if (!frames) return;
  size_t n = 0;
  for (size_t i = 0; i < tr->clients.cap; i++)
    if (tr->clients.slots[i].key && tr->clients.slots[i].frame2)
      frames[n++] = tr->clients.slots[i].frame2;
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
