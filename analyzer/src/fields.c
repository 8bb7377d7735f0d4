/* fields.c - the per-packet fields of JSON and CSV output, in column order. */
#include "writer.h"

#include <inttypes.h>

static void set_u64(an_value *v, uint64_t u) {
  v->kind = AN_VAL_U64;
  v->u = u;
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

static void get_findings(an_packet_view *pv, an_value *v) {
  if (pv->xr->n_findings) v->kind = AN_VAL_FINDINGS;
}

const an_field an_fields[] = {
  { "frame", false, get_frame },
  { "time", false, get_time },
  { "src", false, get_src },
  { "sport", false, get_sport },
  { "dst", false, get_dst },
  { "dport", false, get_dport },
  { "version", false, get_version },
  { "mode", false, get_mode },
  { "stratum", false, get_stratum },
  { "key_id", false, get_key_id },
  { "mac_len", false, get_mac_len },
  { "algorithm", false, get_algorithm },
  { "verdict", false, get_verdict },
  { "reason", false, get_reason },
  { "request_frame", true, get_request_frame },
  { "offset", true, get_offset },
  { "delay", true, get_delay },
  { "timing_trusted", true, get_timing_trusted },
  { "findings", true, get_findings },
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
