/* respond.c - the server's answer to one NTP request (see respond.h). No I/O, no clocks. */
#include "respond.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ntpauth/bytes.h"

/* Dispersion growth of an idle clock, RFC 5905 PHI (15 ppm). */
#define RSP_PHI 15e-6
#define RSP_REFID_INIT 0x494E4954u  /* "INIT" */
#define RSP_REFID_RATE 0x52415445u  /* "RATE" */

const char *rsp_action_name(rsp_action a) {
  switch (a) {
  case RSP_REPLY: return "reply";
  case RSP_CRYPTO_NAK: return "crypto_nak";
  case RSP_KOD_RATE: return "kod_rate";
  case RSP_DROP: return "drop";
  }
  return "?";
}

const char *rsp_drop_reason_name(rsp_drop_reason r) {
  static const char *const names[RSP_DROP_COUNT] = {
    "none", "malformed", "mode", "auth_silent", "no_auth", "nts", "mssntp", "nak_request",
    "oversize", "sign_failed"
  };
  return (unsigned)r < RSP_DROP_COUNT ? names[r] : "?";
}

const char *rsp_verdict_name(nta_verdict v) {
  return v == RSP_NOT_VERIFIED ? "not_verified" : nta_verdict_name(v);
}

void respond_unsynced_state(srv_time_state *out) {
  memset(out, 0, sizeof *out);
  out->synced = false;
  out->leap = 3;
  out->stratum = 0;
  out->refid = RSP_REFID_INIT;
  out->precision = -20;
}

uint64_t respond_served_ts(const struct timespec *t, double offset) {
  uint64_t ts = nta_ts_from_unix((int64_t)t->tv_sec, (uint32_t)t->tv_nsec);
  /* Offsets are small (refclock corrections): add them as a signed 32.32 value, wrapping like
   * NTP timestamps do. */
  int64_t off_fixed = (int64_t)llround(offset * 4294967296.0);
  return ts + (uint64_t)off_fixed;
}

/* NTP short format (16.16), saturating. */
static uint32_t short_format(double seconds) {
  if (!(seconds > 0.0)) return 0;
  if (seconds >= 65535.0) return 0xFFFFFFFFu;
  return (uint32_t)(seconds * 65536.0 + 0.5);
}

static double timespec_diff(const struct timespec *a, const struct timespec *b) {
  return (double)(a->tv_sec - b->tv_sec) + (double)(a->tv_nsec - b->tv_nsec) * 1e-9;
}

static void set_drop(rsp_result *res, rsp_drop_reason why) {
  res->action = RSP_DROP;
  res->drop_reason = why;
  res->reply_len = 0;
}

static void mark_malformed(rsp_result *res, const char *reason) {
  memset(&res->vr, 0, sizeof res->vr);
  res->vr.verdict = NTA_V_MALFORMED;
  res->vr.split = -1;
  snprintf(res->vr.reason, sizeof res->vr.reason, "%s", reason);
}

/* The header of a normal reply or crypto-NAK: our clock state, the request's transmit time as
 * origin, the kernel receive time. The transmit field is left for respond_finish(). */
static void build_reply_header(const nta_packet *req, const struct timespec *rx_time,
                               const srv_time_state *ts, rsp_result *res) {
  uint8_t mode = req->mode == NTA_MODE_ACTIVE ? NTA_MODE_PASSIVE : NTA_MODE_SERVER;
  uint8_t li = ts->synced ? (uint8_t)(ts->leap & 3) : 3;
  uint8_t stratum = ts->synced ? ts->stratum : 0;
  uint64_t ref_ts = 0;
  double dispersion = ts->root_dispersion;
  if (ts->synced) {
    ref_ts = respond_served_ts(&ts->ref_time, 0.0);
    double served_rx = timespec_diff(rx_time, &ts->ref_time) + ts->offset;
    if (served_rx > 0.0) dispersion += RSP_PHI * served_rx;
  }
  nta_header h = {
    .li = li, .version = req->version, .mode = mode, .stratum = stratum, .poll = req->poll,
    .precision = (int8_t)ts->precision, .root_delay = short_format(ts->root_delay),
    .root_dispersion = short_format(dispersion),
    .refid = ts->synced ? ts->refid : RSP_REFID_INIT, .ref_ts = ref_ts, .org_ts = req->xmt_ts,
    .rec_ts = respond_served_ts(rx_time, ts->offset),
    .xmt_ts = 0,  /* respond_finish() */
  };
  nta_header_write(&h, res->reply, sizeof res->reply);
}

/* KoD RATE as ntpd's fast_xmit() sends it: LI 3, stratum 0, refid RATE, the request's poll,
 * precision, root delay/dispersion and reference time, and its transmit timestamp in origin,
 * receive and transmit (so the KoD reveals nothing about our clock). */
static void build_kod_rate(const nta_packet *req, rsp_result *res) {
  uint8_t mode = req->mode == NTA_MODE_ACTIVE ? NTA_MODE_PASSIVE : NTA_MODE_SERVER;
  nta_header h = {
    .li = 3, .version = req->version, .mode = mode, .stratum = 0, .poll = req->poll,
    .precision = req->precision, .root_delay = req->root_delay,
    .root_dispersion = req->root_dispersion, .refid = RSP_REFID_RATE, .ref_ts = req->ref_ts,
    .org_ts = req->xmt_ts, .rec_ts = req->xmt_ts, .xmt_ts = req->xmt_ts,
  };
  nta_header_write(&h, res->reply, sizeof res->reply);
}

/* What the verdict alone asks for (before rate limiting). */
static void decide_by_verdict(const rsp_policy *pol, rsp_result *res) {
  switch (res->vr.verdict) {
  case NTA_V_GOOD:
    res->action = RSP_REPLY;
    res->sign_key = res->vr.key;
    res->sign_digest_len = res->vr.digest_len;
    if (!res->sign_key) set_drop(res, RSP_DROP_SIGN);
    break;
  case NTA_V_NO_AUTH:
    if (pol->require_auth) set_drop(res, RSP_DROP_NO_AUTH);
    else res->action = RSP_REPLY;
    break;
  case NTA_V_BAD_MAC:
  case NTA_V_UNKNOWN_KEY:
  case NTA_V_UNTRUSTED_KEY:
    if (pol->crypto_nak) res->action = RSP_CRYPTO_NAK;
    else set_drop(res, RSP_DROP_AUTH_SILENT);
    break;
  case NTA_V_NTS: set_drop(res, RSP_DROP_NTS); break;
  case NTA_V_MSSNTP: set_drop(res, RSP_DROP_MSSNTP); break;
  case NTA_V_CRYPTO_NAK: set_drop(res, RSP_DROP_NAK_REQUEST); break;
  case NTA_V_MALFORMED:
  default: set_drop(res, RSP_DROP_MALFORMED); break;
  }
}

rsp_action respond_prepare(const rsp_request *req, const srv_time_state *ts, const rsp_policy *pol,
                           const nta_keyring *kr, rsp_result *res) {
  res->action = RSP_DROP;
  res->drop_reason = RSP_DROP_NONE;
  res->sign_key = NULL;
  res->sign_digest_len = 0;
  res->reply_len = 0;

  if (nta_packet_parse(req->buf, req->len, req->len, &res->pkt) != NTA_PKT_OK ||
      !res->pkt.header_ok) {
    mark_malformed(res, res->pkt.reason[0] ? res->pkt.reason : "malformed");
    set_drop(res, RSP_DROP_MALFORMED);
    return res->action;
  }
  if (res->pkt.version < 1 || res->pkt.version > 4) {
    mark_malformed(res, "unsupported NTP version");
    set_drop(res, RSP_DROP_MALFORMED);
    return res->action;
  }
  if (res->pkt.mode != NTA_MODE_CLIENT && res->pkt.mode != NTA_MODE_ACTIVE) {
    /* Never verify replies, broadcasts or control traffic: they are not ours to answer and
     * computing MACs for them would only help a reflection attack. */
    memset(&res->vr, 0, sizeof res->vr);
    res->vr.verdict = RSP_NOT_VERIFIED;
    res->vr.split = -1;
    snprintf(res->vr.reason, sizeof res->vr.reason, "mode %u is not answered", res->pkt.mode);
    set_drop(res, RSP_DROP_MODE);
    return res->action;
  }

  nta_verify(kr, &res->pkt, req->buf, &res->vr);
  decide_by_verdict(pol, res);
  if (res->action == RSP_DROP) return res->action;

  build_reply_header(&res->pkt, &req->rx_time, ts, res);
  if (req->rate_exceeded) respond_rate_limited(res);
  return res->action;
}

void respond_rate_limited(rsp_result *res) {
  if (res->action == RSP_DROP) return;
  /* Only a request whose MAC verified gets a signed KoD; anything else an unsigned one (as
   * ntpd does). A crypto-NAK candidate gets the KoD too: it is no larger and tells less. */
  res->action = RSP_KOD_RATE;
  if (res->vr.verdict != NTA_V_GOOD) res->sign_key = NULL;
  build_kod_rate(&res->pkt, res);
}

bool respond_finish(rsp_result *res, const srv_time_state *ts, const struct timespec *tx_time,
                    size_t request_len) {
  size_t len = NTA_HEADER_LEN;
  switch (res->action) {
  case RSP_REPLY:
  case RSP_CRYPTO_NAK: {
    nta_writer w;
    nta_wr_init(&w, res->reply + 40, 8);
    nta_wr_u64(&w, respond_served_ts(tx_time, ts->offset));
    break;
  }
  case RSP_KOD_RATE: break;   /* transmit = the request's, already in place */
  case RSP_DROP:
  default: return false;
  }

  if (res->action == RSP_CRYPTO_NAK) {
    len = nta_append_crypto_nak(res->reply, NTA_HEADER_LEN, sizeof res->reply);
  } else if (res->sign_key) {
    /* Sign after stamping: the MAC covers the final transmit timestamp. */
    /* With the reading of the key the request verified with (another daemon's reading of the
     * same key text is the one that client uses). */
    len = nta_sign_reading(res->sign_key, res->vr.by_alternate, res->reply, NTA_HEADER_LEN,
                           sizeof res->reply, res->sign_digest_len);
  }
  if (len == 0) { set_drop(res, RSP_DROP_SIGN); return false; }
  /* Amplification guard: never answer with more bytes than we received. */
  if (len > request_len) { set_drop(res, RSP_DROP_OVERSIZE); return false; }
  res->reply_len = len;
  return true;
}

rsp_action respond(const rsp_request *req, const srv_time_state *ts, const rsp_policy *pol,
                   const nta_keyring *kr, const struct timespec *tx_time, rsp_result *res) {
  if (respond_prepare(req, ts, pol, kr, res) == RSP_DROP) return RSP_DROP;
  respond_finish(res, ts, tx_time, req->len);
  return res->action;
}
