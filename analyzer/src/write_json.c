/* write_json.c - JSON Lines (one object per packet, the summary last) and one JSON document
 * ({"packets":[...],"summary":{...}}). Both walk the field table for the packet objects. */
#include "writer.h"

#include <stdlib.h>

/* --merge: "KEY":"FILE" for a frame's capture. */
static void json_capture(an_out *o, const char *key, uint32_t capture) {
  if (!o->opt->merge) return;
  ob_str(&o->ob, key);
  ob_json_str(&o->ob, an_capture_name(o->opt, capture));
}

static void json_packet_findings(an_out *o, const nta_exchange_result *xr) {
  outbuf *ob = &o->ob;
  ob_char(ob, '[');
  for (unsigned i = 0; i < xr->n_findings; i++) {
    const nta_finding *f = &xr->findings[i];
    if (i) ob_char(ob, ',');
    OB_LIT(ob, "{\"kind\":\"");
    ob_str(ob, nta_finding_name(f->kind));
    OB_LIT(ob, "\",\"text\":");
    ob_json_str(ob, f->text);
    if (f->related_frame) {
      json_capture(o, ",\"related_file\":", f->related_capture);
      OB_LIT(ob, ",\"related_frame\":");
      ob_u64(ob, f->related_frame);
    }
    ob_char(ob, '}');
  }
  ob_char(ob, ']');
}

static void json_value(an_out *o, const an_value *v, const nta_exchange_result *xr) {
  outbuf *ob = &o->ob;
  switch (v->kind) {
  case AN_VAL_ABSENT: OB_LIT(ob, "null"); break;
  case AN_VAL_U64: ob_u64(ob, v->u); break;
  case AN_VAL_NAME: ob_char(ob, '"'); ob_str(ob, v->s); ob_char(ob, '"'); break;
  case AN_VAL_TEXT: ob_json_str(ob, v->s); break;
  case AN_VAL_TIME: ob_char(ob, '"'); ob_time(ob, v->sec, v->nsec); ob_char(ob, '"'); break;
  case AN_VAL_ADDR: ob_char(ob, '"'); ob_addr(ob, v->ep); ob_char(ob, '"'); break;
  case AN_VAL_FIXED6: ob_fixed6(ob, v->d, false); break;
  case AN_VAL_BOOL: if (v->b) OB_LIT(ob, "true"); else OB_LIT(ob, "false"); break;
  case AN_VAL_HEX: ob_char(ob, '"'); ob_hex(ob, v->bytes, v->len); ob_char(ob, '"'); break;
  case AN_VAL_FINDINGS: json_packet_findings(o, xr); break;
  }
}

static void json_object(an_out *o, const an_record *rec, const an_packet_info *pi) {
  outbuf *ob = &o->ob;
  const nta_exchange_result *xr = pi->xr;
  an_packet_view pv = { .o = o, .rec = rec, .xr = xr, .seen = pi->seen, .nts = pi->nts };
  char sep = '{';
  for (size_t i = 0; i < an_n_fields; i++) {
    if (!an_field_shown(&an_fields[i], o->opt)) continue;
    an_value v = { .kind = AN_VAL_ABSENT };
    an_fields[i].get(&pv, &v);
    if (v.kind == AN_VAL_ABSENT && an_fields[i].omit_absent) continue;
    ob_char(ob, sep);
    sep = ',';
    ob_char(ob, '"');
    ob_str(ob, an_fields[i].name);
    OB_LIT(ob, "\":");
    json_value(o, &v, xr);
  }
  ob_char(ob, '}');
}

/* ---- summary ---- */

static void json_verdict_counts(outbuf *ob, const uint64_t *counts, bool skip_zero) {
  ob_char(ob, '{');
  bool first = true;
  for (int v = 0; v < NTA_V_COUNT; v++) {
    if (skip_zero && !counts[v]) continue;
    if (!first) ob_char(ob, ',');
    first = false;
    ob_char(ob, '"');
    ob_str(ob, nta_verdict_name((nta_verdict)v));
    OB_LIT(ob, "\":");
    ob_u64(ob, counts[v]);
  }
  ob_char(ob, '}');
}

static void json_keys(an_out *o, const an_stats *st) {
  outbuf *ob = &o->ob;
  OB_LIT(ob, ",\"keys\":[");
  const an_key_stat **keys = malloc(AN_KEY_SLOTS * sizeof *keys);
  size_t nk = keys ? an_stats_sorted_keys(st, keys) : 0;
  for (size_t i = 0; i < nk; i++) {
    if (i) ob_char(ob, ',');
    OB_LIT(ob, "{\"key_id\":");
    ob_u64(ob, keys[i]->id);
    OB_LIT(ob, ",\"algorithm\":");
    if (keys[i]->alg[0]) ob_json_str(ob, keys[i]->alg);
    else OB_LIT(ob, "null");
    OB_LIT(ob, ",\"packets\":");
    ob_u64(ob, keys[i]->packets);
    OB_LIT(ob, ",\"verdicts\":");
    json_verdict_counts(ob, keys[i]->verdicts, true);
    ob_char(ob, '}');
    an_out_maybe_flush(o);
  }
  free(keys);
  OB_LIT(ob, "],\"other_key_packets\":");
  ob_u64(ob, st->other_key_packets);
}

static void json_pair(outbuf *ob, const an_pair_stat *ps) {
  nta_endpoint a, b;
  an_pair_endpoints(ps, &a, &b);
  OB_LIT(ob, "{\"a\":\"");
  ob_addr(ob, &a);
  OB_LIT(ob, "\",\"b\":\"");
  ob_addr(ob, &b);
  OB_LIT(ob, "\",\"packets\":");
  ob_u64(ob, ps->packets);
  OB_LIT(ob, ",\"exchanges\":");
  ob_u64(ob, ps->exchanges);
  OB_LIT(ob, ",\"trusted_exchanges\":");
  ob_u64(ob, ps->trusted);
  OB_LIT(ob, ",\"unauthenticated\":");
  ob_u64(ob, ps->unauthenticated);
  if (ps->has_last) {
    OB_LIT(ob, ",\"last_offset\":");
    ob_fixed6(ob, ps->last_offset, false);
    OB_LIT(ob, ",\"last_delay\":");
    ob_fixed6(ob, ps->last_delay, false);
    OB_LIT(ob, ",\"last_trusted\":");
    ob_str(ob, ps->last_trusted ? "true" : "false");
  }
  ob_char(ob, '}');
}

static void json_pairs(an_out *o, const an_stats *st) {
  outbuf *ob = &o->ob;
  OB_LIT(ob, ",\"host_pairs\":[");
  for (size_t i = 0; i < st->pairs_used; i++) {
    if (i) ob_char(ob, ',');
    json_pair(ob, &st->pairs[st->pair_order[i]]);
    an_out_maybe_flush(o);
  }
  OB_LIT(ob, "],\"other_pair_packets\":");
  ob_u64(ob, st->other_pair_packets);
  OB_LIT(ob, ",\"exchanges\":{\"completed\":");
  ob_u64(ob, st->exchanges);
  OB_LIT(ob, ",\"trusted\":");
  ob_u64(ob, st->trusted_exchanges);
  ob_char(ob, '}');
}

static void json_u64_or_null(outbuf *ob, uint64_t v) {
  if (v) ob_u64(ob, v);
  else OB_LIT(ob, "null");
}

static void json_findings(an_out *o, const an_stats *st) {
  outbuf *ob = &o->ob;
  OB_LIT(ob, ",\"finding_counts\":{");
  for (int k = 0; k < NTA_F_COUNT; k++) {
    if (k) ob_char(ob, ',');
    ob_char(ob, '"');
    ob_str(ob, nta_finding_name((nta_finding_kind)k));
    OB_LIT(ob, "\":");
    ob_u64(ob, st->finding_counts[k]);
  }
  OB_LIT(ob, "},\"findings\":[");
  for (size_t i = 0; i < st->n_findings; i++) {
    const nta_finding *f = &st->findings[i];
    if (i) ob_char(ob, ',');
    OB_LIT(ob, "{\"kind\":\"");
    ob_str(ob, nta_finding_name(f->kind));
    OB_LIT(ob, "\",");
    if (f->frame) json_capture(o, "\"file\":", f->capture);
    else if (o->opt->merge) OB_LIT(ob, "\"file\":null");
    if (o->opt->merge) ob_char(ob, ',');
    OB_LIT(ob, "\"frame\":");
    json_u64_or_null(ob, f->frame);
    if (f->related_frame) json_capture(o, ",\"related_file\":", f->related_capture);
    else if (o->opt->merge) OB_LIT(ob, ",\"related_file\":null");
    OB_LIT(ob, ",\"related_frame\":");
    json_u64_or_null(ob, f->related_frame);
    OB_LIT(ob, ",\"key_id\":");
    json_u64_or_null(ob, f->key_id);
    OB_LIT(ob, ",\"text\":");
    ob_json_str(ob, f->text);
    ob_char(ob, '}');
    an_out_maybe_flush(o);
  }
  OB_LIT(ob, "],\"findings_omitted\":");
  ob_u64(ob, st->findings_total - st->n_findings);
}

static void json_name_or_null(outbuf *ob, const char *s) {
  if (s) ob_json_str(ob, s);
  else OB_LIT(ob, "null");
}

static void json_coverage(outbuf *ob, uint64_t packets, uint64_t with_mac, uint64_t verified,
                          uint64_t unauthenticated) {
  OB_LIT(ob, ",\"packets\":");
  ob_u64(ob, packets);
  OB_LIT(ob, ",\"with_mac\":");
  ob_u64(ob, with_mac);
  OB_LIT(ob, ",\"verified\":");
  ob_u64(ob, verified);
  OB_LIT(ob, ",\"unauthenticated\":");
  ob_u64(ob, unauthenticated);
}

static void json_merge(outbuf *ob, const an_stats *st) {
  OB_LIT(ob, ",\"seen_twice\":");
  ob_u64(ob, st->duplicates);
  OB_LIT(ob, ",\"oneway\":{\"exchanges\":");
  ob_u64(ob, st->oneway);
  if (st->oneway) {
    OB_LIT(ob, ",\"last_request\":");
    ob_fixed6(ob, st->last_oneway_request, false);
    OB_LIT(ob, ",\"last_reply\":");
    ob_fixed6(ob, st->last_oneway_reply, false);
    OB_LIT(ob, ",\"mean_request\":");
    ob_fixed6(ob, st->oneway_request_sum / (double)st->oneway, false);
    OB_LIT(ob, ",\"mean_reply\":");
    ob_fixed6(ob, st->oneway_reply_sum / (double)st->oneway, false);
  }
  ob_char(ob, '}');
}

/* ---- NTS ---- */

static void json_nts_sessions(an_out *o, const an_nts_part *np, const nta_nts_store *st) {
  outbuf *ob = &o->ob;
  OB_LIT(ob, ",\"sessions\":[");
  bool first = true;
  for (size_t i = 0; i <= np->n_sessions; i++) {
    const an_nts_session_stat *ss = &np->sessions[i];
    if (!ss->good && !ss->bad_mac && !ss->unverified) continue;
    const nta_nts_session *s = i < np->n_sessions ? nta_nts_store_session(st, i) : NULL;
    if (!first) ob_char(ob, ',');
    first = false;
    OB_LIT(ob, "{\"session\":");
    json_name_or_null(ob, s ? s->name : NULL);
    OB_LIT(ob, ",\"good\":");
    ob_u64(ob, ss->good);
    OB_LIT(ob, ",\"bad_mac\":");
    ob_u64(ob, ss->bad_mac);
    OB_LIT(ob, ",\"not_verified\":");
    ob_u64(ob, ss->unverified);
    ob_char(ob, '}');
  }
  ob_char(ob, ']');
}

static void json_text_or_null(outbuf *ob, const char *key, bool have, const char *s) {
  ob_str(ob, key);
  if (have && s[0]) ob_json_str(ob, s);
  else OB_LIT(ob, "null");
}

static void json_ke_conn(outbuf *ob, const an_ke_conn *k) {
  OB_LIT(ob, "{\"first_frame\":");
  ob_u64(ob, k->first_frame);
  OB_LIT(ob, ",\"last_frame\":");
  ob_u64(ob, k->last_frame);
  OB_LIT(ob, ",\"client\":\"");
  ob_addr_port(ob, &k->client);
  OB_LIT(ob, "\",\"server\":\"");
  ob_addr_port(ob, &k->server);
  OB_LIT(ob, "\",\"state\":\"");
  ob_str(ob, an_ke_state_name(k->state));
  ob_char(ob, '"');
  json_text_or_null(ob, ",\"reason\":", k->state != NTA_KE_ST_DECRYPTING, k->reason);
  json_text_or_null(ob, ",\"session\":", true, k->session);
  json_text_or_null(ob, ",\"request\":", k->have_request, k->request);
  json_text_or_null(ob, ",\"response\":", k->have_response, k->response);
  OB_LIT(ob, ",\"response_frame\":");
  json_u64_or_null(ob, k->response_frame);
  OB_LIT(ob, ",\"cookies\":");
  ob_u64(ob, k->n_cookies);
  json_text_or_null(ob, ",\"warning\":", true, k->warning);
  ob_char(ob, '}');
}

/* "nts": counts per session and the NTS-KE connections, or null when the part had neither. */
static void json_nts(an_out *o, const an_summary *s) {
  outbuf *ob = &o->ob;
  const an_nts_part *np = s->nts;
  OB_LIT(ob, ",\"nts\":");
  if (!np) {
    OB_LIT(ob, "null");
    return;
  }
  OB_LIT(ob, "{\"packets\":");
  ob_u64(ob, np->packets);
  OB_LIT(ob, ",\"naks\":");
  ob_u64(ob, np->naks);
  json_nts_sessions(o, np, s->nts_store);
  OB_LIT(ob, ",\"ntske\":[");
  for (size_t i = 0; i < np->n_ke; i++) {
    if (i) ob_char(ob, ',');
    json_ke_conn(ob, &np->ke[i]);
    an_out_maybe_flush(o);
  }
  OB_LIT(ob, "],\"ntske_connections\":");
  ob_u64(ob, np->ke_total);
  OB_LIT(ob, ",\"tcp_gaps\":");
  ob_u64(ob, np->tcp_gaps);
  ob_char(ob, '}');
}

/* One part's summary object. */
static void json_part_summary(an_out *o, const an_summary *s) {
  outbuf *ob = &o->ob;
  const an_stats *st = s->st;
  OB_LIT(ob, "{\"file\":");
  json_name_or_null(ob, s->name);
  OB_LIT(ob, ",\"frames\":");
  ob_u64(ob, s->frames);
  json_coverage(ob, st->packets, st->with_mac, st->verdicts[NTA_V_GOOD], st->unauthenticated);
  OB_LIT(ob, ",\"verdicts\":");
  json_verdict_counts(ob, st->verdicts, false);
  OB_LIT(ob, ",\"failed\":");
  ob_u64(ob, st->failures);
  json_keys(o, st);
  json_pairs(o, st);
  if (o->opt->merge) json_merge(ob, st);
  json_nts(o, s);
  json_findings(o, st);
  OB_LIT(ob, ",\"input_error\":");
  json_name_or_null(ob, s->input_error);
  ob_char(ob, '}');
}

static void json_key_groups(an_out *o, const an_total *t) {
  outbuf *ob = &o->ob;
  OB_LIT(ob, ",\"keyfile_findings\":[");
  for (size_t i = 0; i < t->n_groups; i++) {
    const an_key_group *g = &t->groups[i];
    if (i) ob_char(ob, ',');
    OB_LIT(ob, "{\"kind\":\"weak_key\",\"first_key\":");
    ob_u64(ob, g->first);
    OB_LIT(ob, ",\"last_key\":");
    ob_u64(ob, g->last);
    OB_LIT(ob, ",\"trusted\":");
    ob_str(ob, g->trusted ? "true" : "false");
    OB_LIT(ob, ",\"used\":");
    ob_str(ob, g->used ? "true" : "false");
    OB_LIT(ob, ",\"raised\":");
    ob_str(ob, g->raised ? "true" : "false");
    OB_LIT(ob, ",\"text\":");
    ob_json_str(ob, g->text);
    ob_char(ob, '}');
    an_out_maybe_flush(o);
  }
  OB_LIT(ob, "],\"keyfile_findings_omitted\":");
  ob_u64(ob, t->groups_omitted);
}

/* The summary over every capture (it has "files", a capture's summary has "file"). */
static void json_total(an_out *o, const an_total *t) {
  outbuf *ob = &o->ob;
  const an_totals *tot = t->tot;
  OB_LIT(ob, "{\"files\":");
  ob_u64(ob, tot->inputs);
  OB_LIT(ob, ",\"frames\":");
  ob_u64(ob, tot->frames);
  json_coverage(ob, tot->packets, tot->with_mac, tot->verified, tot->unauthenticated);
  OB_LIT(ob, ",\"verdicts\":");
  json_verdict_counts(ob, tot->verdicts, false);
  OB_LIT(ob, ",\"failed\":");
  ob_u64(ob, tot->failures);
  OB_LIT(ob, ",\"exchanges\":{\"completed\":");
  ob_u64(ob, tot->exchanges);
  OB_LIT(ob, ",\"trusted\":");
  ob_u64(ob, tot->trusted_exchanges);
  OB_LIT(ob, "},\"keys_loaded\":");
  if (o->no_keys) OB_LIT(ob, "null");
  else ob_u64(ob, t->keys_loaded);
  OB_LIT(ob, ",\"trust_list\":");
  ob_str(ob, t->trust_list ? "true" : "false");
  OB_LIT(ob, ",\"nts_sessions\":[");
  for (size_t i = 0; i < nta_nts_store_count(t->nts_store); i++) {
    const nta_nts_session *ns = nta_nts_store_session(t->nts_store, i);
    if (i) ob_char(ob, ',');
    OB_LIT(ob, "{\"session\":");
    ob_json_str(ob, ns->name);
    OB_LIT(ob, ",\"origin\":");
    ob_json_str(ob, ns->origin);
    ob_char(ob, '}');
  }
  ob_char(ob, ']');
  json_key_groups(o, t);
  OB_LIT(ob, ",\"notes\":[");
  for (size_t i = 0; i < t->n_notes; i++) {
    if (i) ob_char(ob, ',');
    ob_json_str(ob, t->notes[i]);
  }
  OB_LIT(ob, "],\"input_error\":");
  ob_str(ob, tot->input_error ? "true" : "false");
  OB_LIT(ob, ",\"exit_status\":");
  ob_u64(ob, (uint64_t)t->status);
  ob_char(ob, '}');
}

/* ---- JSON Lines ---- */

static void jsonl_begin(an_out *o) { (void)o; }
static void jsonl_part_begin(an_out *o, const char *name) {
  (void)o;
  (void)name;
}

static void jsonl_packet(an_out *o, const an_record *rec, const an_packet_info *pi) {
  json_object(o, rec, pi);
  ob_char(&o->ob, '\n');
}

static void jsonl_part_end(an_out *o, const an_summary *s) {
  OB_LIT(&o->ob, "{\"summary\":");   /* a capture's summary: it has "file" */
  json_part_summary(o, s);
  OB_LIT(&o->ob, "}\n");
}

static void jsonl_end(an_out *o, const an_total *t) {
  OB_LIT(&o->ob, "{\"summary\":");
  json_total(o, t);
  OB_LIT(&o->ob, "}\n");
}

const an_writer an_writer_jsonl = { jsonl_begin, jsonl_part_begin, jsonl_packet, jsonl_part_end,
                                    jsonl_end };

/* ---- one JSON document: {"files":[{"file":...,"packets":[...],"summary":{...}}],
 * "summary":{...}} ---- */

static void json_begin(an_out *o) {
  OB_LIT(&o->ob, "{\"files\":[");
  o->first_part = true;
}

static void json_part_begin(an_out *o, const char *name) {
  if (o->first_part) OB_LIT(&o->ob, "\n{\"file\":");
  else OB_LIT(&o->ob, ",\n{\"file\":");
  o->first_part = false;
  json_name_or_null(&o->ob, name);
  OB_LIT(&o->ob, ",\"packets\":[");
  o->first_object = true;
}

static void json_packet(an_out *o, const an_record *rec, const an_packet_info *pi) {
  if (o->first_object) ob_char(&o->ob, '\n');
  else OB_LIT(&o->ob, ",\n");
  o->first_object = false;
  json_object(o, rec, pi);
}

static void json_part_end(an_out *o, const an_summary *s) {
  if (o->first_object) OB_LIT(&o->ob, "],\n\"summary\":");
  else OB_LIT(&o->ob, "\n],\n\"summary\":");
  json_part_summary(o, s);
  ob_char(&o->ob, '}');
}

static void json_end(an_out *o, const an_total *t) {
  OB_LIT(&o->ob, "\n],\n\"summary\":");
  json_total(o, t);
  OB_LIT(&o->ob, "}\n");
}

const an_writer an_writer_json = { json_begin, json_part_begin, json_packet, json_part_end,
                                   json_end };
