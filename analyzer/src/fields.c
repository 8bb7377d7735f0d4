/* fields.c - the per-packet fields of JSON and CSV output, in column order. */
#include "writer.h"

#include <inttypes.h>

static void set_u64(an_value *v, uint64_t u) {
  v->kind = AN_VAL_U64;
  v->u = u;
}

static void get_file(an_packet_view *pv, an_value *v) {
  v->kind = AN_VAL_TEXT;
  v->s = pv->rec->file;
}

static void get_frame(an_packet_view *pv, an_value *v) { set_u64(v, pv->rec->obs.frame); }

static void get_time(an_packet_view *pv, an_value *v) {
  v->kind = AN_VAL_TIME;
  v->sec = pv->rec->obs.time_sec;
  v->nsec = pv->rec->obs.time_nsec;
}

static void get_src(an_packet_view *pv, an_value *v) {
  v->kind = AN_VAL_ADDR;
  v->ep = &pv->rec->obs.src;
}

static void get_sport(an_packet_view *pv, an_value *v) { set_u64(v, pv->rec->obs.src.port); }

static void get_dst(an_packet_view *pv, an_value *v) {
  v->kind = AN_VAL_ADDR;
  v->ep = &pv->rec->obs.dst;
}

static void get_dport(an_packet_view *pv, an_value *v) { set_u64(v, pv->rec->obs.dst.port); }
static void get_version(an_packet_view *pv, an_value *v) { set_u64(v, pv->rec->version); }
static void get_mode(an_packet_view *pv, an_value *v) { set_u64(v, pv->rec->obs.mode); }
static void get_stratum(an_packet_view *pv, an_value *v) { set_u64(v, pv->rec->obs.stratum); }

static void get_key_id(an_packet_view *pv, an_value *v) {
  if (pv->rec->obs.has_key_id) set_u64(v, pv->rec->obs.key_id);
}

static void get_mac_len(an_packet_view *pv, an_value *v) {
  if (pv->rec->obs.has_key_id) set_u64(v, pv->rec->digest_len);
}

static void get_algorithm(an_packet_view *pv, an_value *v) {
  if (!pv->rec->obs.algorithm) return;
  v->kind = AN_VAL_TEXT;
  v->s = pv->rec->obs.algorithm;
}

static void get_digest(an_packet_view *pv, an_value *v) {
  if (!pv->rec->digest_shown) return;
  v->kind = AN_VAL_HEX;
  v->bytes = pv->rec->digest;
  v->len = pv->rec->digest_shown;
}

static void get_expected(an_packet_view *pv, an_value *v) {
  if (!pv->rec->has_expected) return;
  v->kind = AN_VAL_HEX;
  v->bytes = pv->rec->expected;
  v->len = pv->rec->digest_len < NTA_MAC_MAX ? pv->rec->digest_len : NTA_MAC_MAX;
}

static void get_verdict(an_packet_view *pv, an_value *v) {
  v->kind = AN_VAL_NAME;
  v->s = nta_verdict_name(pv->rec->obs.verdict);
}

static void get_reason(an_packet_view *pv, an_value *v) {
  v->kind = AN_VAL_TEXT;
  v->s = an_packet_reason(pv->o, pv->rec, pv->tmp, sizeof pv->tmp);
}

static void get_request_frame(an_packet_view *pv, an_value *v) {
  if (pv->xr->matched) set_u64(v, pv->xr->request_frame);
}

static void get_request_file(an_packet_view *pv, an_value *v) {
  if (!pv->xr->matched) return;
  v->kind = AN_VAL_TEXT;
  v->s = an_capture_name(pv->o->opt, pv->xr->request_capture);
}

static bool has_timing(const an_packet_view *pv) {
  return pv->xr->matched && pv->xr->has_timing;
}

static void get_offset(an_packet_view *pv, an_value *v) {
  if (!has_timing(pv)) return;
  v->kind = AN_VAL_FIXED6;
  v->d = pv->xr->offset;
}

static void get_delay(an_packet_view *pv, an_value *v) {
  if (!has_timing(pv)) return;
  v->kind = AN_VAL_FIXED6;
  v->d = pv->xr->delay;
}

static void get_timing_trusted(an_packet_view *pv, an_value *v) {
  if (!has_timing(pv)) return;
  v->kind = AN_VAL_BOOL;
  v->b = pv->xr->timing_trusted;
}

static void set_fixed6(an_value *v, double d) {
  v->kind = AN_VAL_FIXED6;
  v->d = d;
}

static void get_seen_file(an_packet_view *pv, an_value *v) {
  if (!pv->seen || !pv->seen->duplicate) return;
  v->kind = AN_VAL_TEXT;
  v->s = pv->seen->first_file;
}

static void get_seen_frame(an_packet_view *pv, an_value *v) {
  if (pv->seen && pv->seen->duplicate) set_u64(v, pv->seen->first_frame);
}

static void get_seen_after(an_packet_view *pv, an_value *v) {
  if (pv->seen && pv->seen->duplicate) set_fixed6(v, pv->seen->after);
}

static void get_oneway_request(an_packet_view *pv, an_value *v) {
  if (pv->seen && pv->seen->has_oneway) set_fixed6(v, pv->seen->oneway_request);
}

static void get_oneway_reply(an_packet_view *pv, an_value *v) {
  if (pv->seen && pv->seen->has_oneway) set_fixed6(v, pv->seen->oneway_reply);
}

/* ---- NTS ---- */

static void get_nts_session(an_packet_view *pv, an_value *v) {
  if (!pv->nts || !pv->nts->session_name[0]) return;
  v->kind = AN_VAL_TEXT;
  v->s = pv->nts->session_name;
}

static bool is_nts_request(const an_packet_view *pv) {
  return pv->nts && pv->nts->is_nts && !pv->nts->reply;
}

static void get_nts_cookie(an_packet_view *pv, an_value *v) {
  if (!is_nts_request(pv)) return;
  v->kind = AN_VAL_NAME;
  v->s = an_cookie_source_name(pv->nts->cookie_source);
}

static void get_nts_cookie_frame(an_packet_view *pv, an_value *v) {
  if (is_nts_request(pv) && pv->nts->cookie_frame) set_u64(v, pv->nts->cookie_frame);
}

static void get_nts_new_cookies(an_packet_view *pv, an_value *v) {
  if (pv->nts && pv->nts->reply && pv->nts->verdict == NTA_V_GOOD)
    set_u64(v, pv->nts->new_cookies);
}

const char *an_cookie_source_name(nta_cookie_source s) {
  switch (s) {
  case NTA_COOKIE_REPLY: return "reply";
  case NTA_COOKIE_DUMP: return "dump";
  case NTA_COOKIE_KE: return "nts-ke";
  case NTA_COOKIE_UNKNOWN: break;
  }
  return "unseen";
}

static void get_findings(an_packet_view *pv, an_value *v) {
  if (pv->xr->n_findings) v->kind = AN_VAL_FINDINGS;
}

const an_field an_fields[] = {
  { "file", false, AN_SHOW_ALWAYS, get_file },
  { "frame", false, AN_SHOW_ALWAYS, get_frame },
  { "time", false, AN_SHOW_ALWAYS, get_time },
  { "src", false, AN_SHOW_ALWAYS, get_src },
  { "sport", false, AN_SHOW_ALWAYS, get_sport },
  { "dst", false, AN_SHOW_ALWAYS, get_dst },
  { "dport", false, AN_SHOW_ALWAYS, get_dport },
  { "version", false, AN_SHOW_ALWAYS, get_version },
  { "mode", false, AN_SHOW_ALWAYS, get_mode },
  { "stratum", false, AN_SHOW_ALWAYS, get_stratum },
  { "key_id", false, AN_SHOW_ALWAYS, get_key_id },
  { "mac_len", false, AN_SHOW_ALWAYS, get_mac_len },
  { "algorithm", false, AN_SHOW_ALWAYS, get_algorithm },
  { "nts_session", true, AN_SHOW_ALWAYS, get_nts_session },
  { "digest", false, AN_SHOW_ALWAYS, get_digest },
  { "expected_digest", false, AN_SHOW_EXPECTED, get_expected },
  { "verdict", false, AN_SHOW_ALWAYS, get_verdict },
  { "reason", false, AN_SHOW_ALWAYS, get_reason },
  { "request_file", true, AN_SHOW_MERGE, get_request_file },
  { "request_frame", true, AN_SHOW_ALWAYS, get_request_frame },
  { "offset", true, AN_SHOW_ALWAYS, get_offset },
  { "delay", true, AN_SHOW_ALWAYS, get_delay },
  { "timing_trusted", true, AN_SHOW_ALWAYS, get_timing_trusted },
  { "seen_first_in", true, AN_SHOW_MERGE, get_seen_file },
  { "seen_first_frame", true, AN_SHOW_MERGE, get_seen_frame },
  { "seen_after", true, AN_SHOW_MERGE, get_seen_after },
  { "oneway_request", true, AN_SHOW_MERGE, get_oneway_request },
  { "oneway_reply", true, AN_SHOW_MERGE, get_oneway_reply },
  { "nts_cookie", true, AN_SHOW_ALWAYS, get_nts_cookie },
  { "nts_cookie_frame", true, AN_SHOW_ALWAYS, get_nts_cookie_frame },
  { "nts_new_cookies", true, AN_SHOW_ALWAYS, get_nts_new_cookies },
  { "findings", true, AN_SHOW_ALWAYS, get_findings },
};

const size_t an_n_fields = sizeof an_fields / sizeof an_fields[0];

const char *an_packet_reason(const an_out *o, const an_record *rec, char *tmp, size_t len) {
  if (o->no_keys && rec->obs.verdict == NTA_V_UNKNOWN_KEY && rec->obs.has_key_id) {
    snprintf(tmp, len, "no keys loaded (key %" PRIu32 ", %u-byte MAC)", rec->obs.key_id,
             (unsigned)rec->digest_len);
    return tmp;
  }
  return rec->reason;
}

const char *an_capture_name(const an_options *opt, uint32_t capture) {
  return capture < opt->n_captures ? opt->captures[capture] : "?";
}

bool an_field_shown(const an_field *f, const an_options *opt) {
  switch (f->show) {
  case AN_SHOW_EXPECTED: return opt->show_expected;
  case AN_SHOW_MERGE: return opt->merge;
  case AN_SHOW_ALWAYS: break;
  }
  return true;
}
