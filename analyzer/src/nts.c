/* nts.c - NTS packets and NTS-KE connections in the report stage (see nts.h).
 *
 * Plain NTP traffic costs one flag test per packet here: only packets with NTS fields go to the
 * tracker, and client requests only once the part has seen an NTS NAK (the tracker then says
 * what the client did next). NTS-KE segments go through the capture layer's bounded stream
 * reassembly (capture/tcpstream.h) into the core's NTS-KE reader, one per connection. */
#include "nts.h"

#include <stdlib.h>
#include <string.h>

#include "capture/tcpstream.h"

/* One NTS-KE connection while it is open. */
typedef struct {
  nta_ntske_conn *conn;
  an_ke_conn shown;
} ke_open;

struct an_nts {
  const nta_nts_store *st;
  nta_nts_tracker *tr;
  cap_tcp_table *tcp;
  an_nts_part part;
  nta_packet pkt;             /* scratch: the NTS packet parsed again */
  nta_nts_result res;         /* scratch for --merge's second sightings */
};

an_nts *an_nts_create(const nta_nts_store *st) {
  an_nts *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->st = st;
  n->part.n_sessions = nta_nts_store_count(st);
  n->part.sessions = calloc(n->part.n_sessions + 1, sizeof *n->part.sessions);
  if (!n->part.sessions) {
    free(n);
    return NULL;
  }
  return n;
}

static int by_first_frame(const void *a, const void *b) {
  const an_ke_conn *x = a, *y = b;
  return x->first_frame < y->first_frame ? -1 : x->first_frame > y->first_frame;
}

/* Closes every connection still open; lists them in the order they began. */
static void end_streams(an_nts *n) {
  if (!n->tcp) return;
  uint64_t conns, bytes;
  cap_tcp_stats(n->tcp, &conns, &bytes, &n->part.tcp_gaps);
  cap_tcp_destroy(n->tcp);
  n->tcp = NULL;
  qsort(n->part.ke, n->part.n_ke, sizeof n->part.ke[0], by_first_frame);
}

void an_nts_destroy(an_nts *n) {
  if (!n) return;
  end_streams(n);
  nta_nts_tracker_destroy(n->tr);
  free(n->part.sessions);
  free(n);
}

const nta_nts_store *an_nts_store(const an_nts *n) { return n->st; }

static void ke_data(void *arg, void **user, const cap_datagram *seg, bool from_server,
                    const uint8_t *bytes, size_t len);
static void ke_closed(void *arg, void *user);

bool an_nts_part_begin(an_nts *n) {
  end_streams(n);
  nta_nts_tracker_destroy(n->tr);
  an_nts_session_stat *sessions = n->part.sessions;
  size_t n_sessions = n->part.n_sessions;
  memset(&n->part, 0, sizeof n->part);
  memset(sessions, 0, (n_sessions + 1) * sizeof *sessions);
  n->part.sessions = sessions;
  n->part.n_sessions = n_sessions;
  n->tr = nta_nts_tracker_create(n->st);
  cap_tcp_handler h = { ke_data, ke_closed, n };
  n->tcp = cap_tcp_create(AN_NTS_PORT, &h);
  return n->tr && n->tcp;
}

/* ---- NTS packets ---- */

/* --merge: a packet seen before at another capture point is verified, not tracked again (its
 * cookie would look reused). */
static void verify_untracked(an_nts *n, const an_record *rec, nta_nts_info *info) {
  memset(info, 0, sizeof *info);
  info->is_nts = true;
  info->reply = rec->obs.mode == NTA_MODE_SERVER;
  info->verdict = nta_nts_verify(n->st, rec->payload, rec->captured_len, info->reply, -1, -1,
                                 &n->res);
  info->session = n->res.session;
  const nta_nts_session *s =
      info->session >= 0 ? nta_nts_store_session(n->st, (size_t)info->session) : NULL;
  snprintf(info->session_name, sizeof info->session_name, "%s", s ? s->name : "");
  snprintf(info->reason, sizeof info->reason, "%s", n->res.reason);
}

static void count_packet(an_nts *n, const nta_nts_info *info) {
  n->part.packets++;
  if (info->nak) n->part.naks++;
  size_t s = info->session >= 0 && (size_t)info->session < n->part.n_sessions
                 ? (size_t)info->session : n->part.n_sessions;   /* last: no session */
  an_nts_session_stat *ss = &n->part.sessions[s];
  if (info->verdict == NTA_V_GOOD) ss->good++;
  else if (info->verdict == NTA_V_BAD_MAC) ss->bad_mac++;
  else ss->unverified++;
}

bool an_nts_packet(an_nts *n, const an_record *rec, bool duplicate, an_record *out,
                   nta_nts_info *info) {
  const nta_observation *o = &rec->obs;
  if (!rec->has_nts && !(o->mode == NTA_MODE_CLIENT && n->part.naks && !duplicate)) return false;
  if (!o->header_ok || (o->mode != NTA_MODE_CLIENT && o->mode != NTA_MODE_SERVER)) return false;
  if (duplicate) {
    verify_untracked(n, rec, info);
  } else {
    nta_packet_parse(rec->payload, rec->captured_len, rec->wire_len, &n->pkt);
    const nta_endpoint *client = o->mode == NTA_MODE_SERVER ? &o->dst : &o->src;
    nta_nts_tracker_packet(n->tr, (uint32_t)o->frame, client->addr, client->family == 6 ? 16 : 4,
                           &n->pkt, rec->payload, rec->captured_len, info);
    if (!info->is_nts && !info->nak_frame) return false;
  }
  *out = *rec;
  if (!info->is_nts) return true;
  if (!duplicate) count_packet(n, info);   /* counted once, as the verdicts are */
  if (o->verdict != NTA_V_NTS) return true;   /* e.g. malformed: the capture's verdict stands */
  out->obs.verdict = info->verdict;
  if (info->verdict == NTA_V_GOOD || info->verdict == NTA_V_BAD_MAC)
    out->obs.algorithm = NTA_NTS_ALG_NAME;
  snprintf(out->reason, sizeof out->reason, "%s", info->reason);
  cap_note_append(rec->note, out->reason, sizeof out->reason);   /* as the plugin shows it */
  return true;
}

static void add_finding(nta_exchange_result *xr, nta_finding_kind kind, const an_record *rec,
                        uint64_t related, const char *text) {
  if (xr->n_findings >= NTA_MAX_FINDINGS_PER_PACKET) return;
  nta_finding *f = &xr->findings[xr->n_findings++];
  memset(f, 0, sizeof *f);
  f->kind = kind;
  f->frame = rec->obs.frame;
  f->capture = rec->obs.capture;
  f->related_frame = related;
  /* The NTS tracker keeps frame numbers only: under --merge the related frame's capture is
   * not known (an_capture_name prints "?"). */
  f->related_capture = UINT32_MAX;
  snprintf(f->text, sizeof f->text, "%s", text);
}

/* Texts name no frame (related_frame does), so a repeated finding is listed once with its
 * frames, as the KoD burst is. */
void an_nts_findings(const an_nts *n, const nta_nts_info *in, const an_record *rec,
                     nta_exchange_result *xr) {
  if (in->nak)
    add_finding(xr, NTA_F_NTS_NAK, rec, in->request_frame,
                "NTS NAK (KoD NTSN): the server could not use the request's cookie; the client "
                "needs new cookies from NTS-KE");
  if (in->is_nts && in->reply && in->verdict == NTA_V_BAD_MAC)
    add_finding(xr, NTA_F_NTS_BAD_REPLY, rec, in->request_frame,
                "reply fails NTS authentication with its session's S2C key (forged or damaged)");
  if (in->reused_frame)
    add_finding(xr, NTA_F_NTS_COOKIE_REUSED, rec, in->reused_frame,
                "request resends a cookie an earlier request sent (RFC 8915 section 5.7: a "
                "client must not reuse a cookie; it links its requests)");
  if (in->uid_mismatch_frame)
    add_finding(xr, NTA_F_NTS_UID_MISMATCH, rec, in->uid_mismatch_frame,
                "reply's Unique Identifier differs from that of the request it answers "
                "(RFC 8915 section 5.3)");
  if (in->nak_frame) {
    char text[NTA_REASON_MAX];
    if (in->nak_followup == NTA_NAK_UNKNOWN_NTS && nta_nts_store_count(n->st) == 0)
      snprintf(text, sizeof text, "after an NTS NAK the client went on with NTS requests (no NTS "
               "keys given to tell whether of a new session)");
    else
      snprintf(text, sizeof text, "after an NTS NAK %s", nta_nak_followup_text(in->nak_followup));
    add_finding(xr, NTA_F_NTS_AFTER_NAK, rec, in->nak_frame, text);
  }
}

static void pending_nak(uint32_t frame, void *arg) {
  nta_finding f;
  memset(&f, 0, sizeof f);
  f.kind = NTA_F_NTS_AFTER_NAK;
  f.frame = frame;
  snprintf(f.text, sizeof f.text, "after this NTS NAK the client sent no further request in "
           "the capture");
  an_stats_finding(arg, &f);
}

const an_nts_part *an_nts_part_end(an_nts *n, an_stats *st) {
  end_streams(n);
  nta_nts_tracker_pending_naks(n->tr, pending_nak, st);
  if (!n->part.packets && !n->part.ke_total) return NULL;
  return &n->part;
}

/* ---- NTS-KE ---- */

const char *an_ke_state_name(nta_ntske_state s) {
  switch (s) {
  case NTA_KE_ST_TLS: return "handshake";
  case NTA_KE_ST_NO_SECRETS: return "no_secrets";
  case NTA_KE_ST_DECRYPTING: return "decrypted";
  case NTA_KE_ST_FAILED: return "failed";
  }
  return "?";
}

void an_nts_segment(an_nts *n, const an_record *rec) {
  if (!n->tcp) return;
  cap_datagram seg;
  memset(&seg, 0, sizeof seg);
  seg.frame = rec->obs.frame;
  seg.ts_sec = rec->obs.time_sec;
  seg.ts_nsec = rec->obs.time_nsec;
  seg.src = rec->obs.src;
  seg.dst = rec->obs.dst;
  seg.payload = rec->payload;
  seg.captured_len = rec->captured_len;
  seg.wire_len = rec->wire_len;
  seg.proto = 6;
  seg.tcp_flags = rec->tcp_flags;
  seg.tcp_seq = rec->tcp_seq;
  cap_tcp_segment(n->tcp, &seg);
}

/* The response is complete: its cookies go to the tracker, so the requests that use them say
 * "cookie from NTS-KE frame N". The key log's keys are derived for AES-SIV-CMAC-256; a session
 * that negotiated another AEAD cannot be checked with them, so its cookies name no session (its
 * packets then stay nts instead of failing with keys that do not apply). */
static void ke_response(an_nts *n, ke_open *k, uint64_t frame) {
  const nta_ntske_info *in = nta_ntske_conn_info(k->conn);
  int session = in->session;
  k->shown.response_frame = frame;
  if (in->response.n_aeads && in->response.aeads[0] != NTA_NTS_AEAD_AES_SIV_CMAC_256) {
    snprintf(k->shown.warning, sizeof k->shown.warning,
             "AEAD %u negotiated: only %s (%d) is verified, its packets stay nts",
             in->response.aeads[0], NTA_NTS_ALG_NAME, NTA_NTS_AEAD_AES_SIV_CMAC_256);
    session = -1;
  }
  const uint8_t *c[NTA_NTS_MAX_COOKIES];
  for (size_t i = 0; i < in->n_cookies; i++) c[i] = in->cookies[i];
  nta_nts_tracker_ke_cookies(n->tr, (uint32_t)frame, session, c, in->cookie_len, in->n_cookies);
}

static void ke_data(void *arg, void **user, const cap_datagram *seg, bool from_server,
                    const uint8_t *bytes, size_t len) {
  an_nts *n = arg;
  ke_open *k = *user;
  if (!k) {
    k = calloc(1, sizeof *k);
    if (k) k->conn = nta_ntske_conn_create(n->st);
    if (!k || !k->conn) {
      free(k);
      return;
    }
    k->shown.first_frame = seg->frame;
    k->shown.client = from_server ? seg->dst : seg->src;
    k->shown.server = from_server ? seg->src : seg->dst;
    *user = k;
  }
  k->shown.last_frame = seg->frame;
  if (nta_ntske_conn_feed(k->conn, from_server, bytes, len)) ke_response(n, k, seg->frame);
}

static void ke_summarize(ke_open *k) {
  const nta_ntske_info *in = nta_ntske_conn_info(k->conn);
  an_ke_conn *s = &k->shown;
  s->state = in->state;
  snprintf(s->reason, sizeof s->reason, "%s", in->reason);
  s->have_request = in->have_request;
  s->have_response = in->have_response;
  if (in->have_request) nta_ntske_describe(&in->request, s->request, sizeof s->request);
  if (in->have_response) nta_ntske_describe(&in->response, s->response, sizeof s->response);
  s->n_cookies = in->n_cookies;
}

static void ke_closed(void *arg, void *user) {
  an_nts *n = arg;
  ke_open *k = user;
  if (!k) return;
  ke_summarize(k);
  const nta_ntske_info *in = nta_ntske_conn_info(k->conn);
  const nta_nts_session *ss =
      in->session >= 0 ? nta_nts_store_session(n->st, (size_t)in->session) : NULL;
  snprintf(k->shown.session, sizeof k->shown.session, "%s", ss ? ss->name : "");
  n->part.ke_total++;
  if (n->part.n_ke < AN_KE_KEPT) n->part.ke[n->part.n_ke++] = k->shown;
  nta_ntske_conn_destroy(k->conn);
  free(k);
}
