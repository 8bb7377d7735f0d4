/* write_text.c - the human-readable format: one line per packet, then the summary. */
#include "writer.h"

#include <stdlib.h>

static const char *const COLOR_RESET = "\033[0m";
static const char *const COLOR_FINDING = "\033[35m";

static const char *verdict_color(nta_verdict v) {
  switch (v) {
  case NTA_V_GOOD: return "\033[32m";
  case NTA_V_BAD_MAC: case NTA_V_UNKNOWN_KEY: case NTA_V_UNTRUSTED_KEY: return "\033[1;31m";
  case NTA_V_CRYPTO_NAK: case NTA_V_MALFORMED: return "\033[33m";
  case NTA_V_NTS: case NTA_V_MSSNTP: return "\033[36m";
  default: return NULL;
  }
}

/* A machine name, coloured when colours are on. */
static void colored(outbuf *ob, const char *color, const char *s) {
  if (color) ob_str(ob, color);
  ob_str(ob, s);
  if (color) ob_str(ob, COLOR_RESET);
}

static void text_begin(an_out *o) { (void)o; }

static void text_part_begin(an_out *o, const char *name) {
  if (!o->several || o->opt->quiet) return;
  if (!o->first_part) ob_char(&o->ob, '\n');
  OB_LIT(&o->ob, "File: ");
  ob_str(&o->ob, name);
  ob_char(&o->ob, '\n');
}

static void text_key_and_verdict(an_out *o, const an_record *rec, const nta_nts_info *nts) {
  outbuf *ob = &o->ob;
  const nta_observation *obs = &rec->obs;
  if (nts && nts->session_name[0]) {
    OB_LIT(ob, " NTS ");
    ob_str(ob, nts->session_name);
    if (obs->algorithm) {
      ob_char(ob, ' ');
      ob_str(ob, obs->algorithm);
    }
  } else if (obs->has_key_id && obs->verdict != NTA_V_CRYPTO_NAK) {
    OB_LIT(ob, " key ");
    ob_u64(ob, obs->key_id);
    ob_char(ob, ' ');
    ob_str(ob, obs->algorithm ? obs->algorithm : "?");
    ob_char(ob, '/');
    ob_u64(ob, rec->digest_len);
  } else {
    OB_LIT(ob, " -");
  }
  ob_char(ob, ' ');
  colored(ob, o->opt->color ? verdict_color(obs->verdict) : NULL, nta_verdict_name(obs->verdict));
  if (obs->verdict != NTA_V_GOOD) {
    char tmp[NTA_REASON_MAX];
    OB_LIT(ob, " (");
    ob_str(ob, an_packet_reason(o, rec, tmp, sizeof tmp));
    ob_char(ob, ')');
  }
}

/* Where an NTS request's cookie came from; how many cookies a reply delivered. */
static void text_nts_packet(outbuf *ob, const nta_nts_info *nts) {
  if (!nts || !nts->is_nts) return;
  if (nts->reply) {
    if (nts->verdict != NTA_V_GOOD) return;
    OB_LIT(ob, " [");
    ob_u64(ob, nts->new_cookies);
    if (nts->new_cookies == 1) OB_LIT(ob, " new cookie]");
    else OB_LIT(ob, " new cookies]");
    return;
  }
  switch (nts->cookie_source) {
  case NTA_COOKIE_REPLY:
    OB_LIT(ob, " [cookie from frame ");
    ob_u64(ob, nts->cookie_frame);
    ob_char(ob, ']');
    break;
  case NTA_COOKIE_KE:
    OB_LIT(ob, " [cookie from NTS-KE frame ");
    ob_u64(ob, nts->cookie_frame);
    ob_char(ob, ']');
    break;
  case NTA_COOKIE_DUMP: OB_LIT(ob, " [cookie from a chrony dump]"); break;
  case NTA_COOKIE_UNKNOWN: break;
  }
}

/* A frame on a packet line: "N", or "FILE:N" on the merged timeline of several captures. */
static void frame_label(an_out *o, uint32_t capture, uint64_t frame) {
  if (o->opt->merge) {
    ob_str(&o->ob, an_capture_name(o->opt, capture));
    ob_char(&o->ob, ':');
  }
  ob_u64(&o->ob, frame);
}

static void text_exchange(an_out *o, const nta_exchange_result *xr) {
  outbuf *ob = &o->ob;
  if (!xr->matched) return;
  OB_LIT(ob, " [reply to ");
  frame_label(o, xr->request_capture, xr->request_frame);
  if (xr->has_timing) {
    OB_LIT(ob, ", offset ");
    ob_fixed6(ob, xr->offset, true);
    OB_LIT(ob, " s, delay ");
    ob_fixed6(ob, xr->delay, false);
    OB_LIT(ob, " s, ");
    if (xr->timing_trusted) OB_LIT(ob, "trusted");
    else OB_LIT(ob, "untrusted");
  }
  ob_char(ob, ']');
}

/* --merge: where the packet was seen first, and the one-way delays a reply completes. */
static void text_seen(outbuf *ob, const an_sighting *seen) {
  if (!seen || !seen->duplicate) return;
  OB_LIT(ob, " [seen in ");
  ob_str(ob, seen->first_file);
  ob_char(ob, ':');
  ob_u64(ob, seen->first_frame);
  OB_LIT(ob, ", ");
  ob_fixed6(ob, seen->after, true);
  OB_LIT(ob, " s");
  if (seen->has_oneway) {
    OB_LIT(ob, "; one-way: request ");
    ob_fixed6(ob, seen->oneway_request, false);
    OB_LIT(ob, " s, reply ");
    ob_fixed6(ob, seen->oneway_reply, false);
    OB_LIT(ob, " s");
  }
  ob_char(ob, ']');
}

static void text_packet(an_out *o, const an_record *rec, const an_packet_info *pi) {
  outbuf *ob = &o->ob;
  const nta_exchange_result *xr = pi->xr;
  frame_label(o, rec->obs.capture, rec->obs.frame);
  ob_char(ob, ' ');
  ob_time(ob, rec->obs.time_sec, rec->obs.time_nsec);
  ob_char(ob, ' ');
  ob_addr_port(ob, &rec->obs.src);
  OB_LIT(ob, " -> ");
  ob_addr_port(ob, &rec->obs.dst);
  OB_LIT(ob, " v");
  ob_u64(ob, rec->version);
  ob_char(ob, ' ');
  ob_str(ob, nta_mode_name(rec->obs.mode));
  text_key_and_verdict(o, rec, pi->nts);
  text_nts_packet(ob, pi->nts);
  text_exchange(o, xr);
  text_seen(ob, pi->seen);
  for (unsigned i = 0; i < xr->n_findings; i++) {
    OB_LIT(ob, " !");
    colored(ob, o->opt->color ? COLOR_FINDING : NULL, nta_finding_name(xr->findings[i].kind));
  }
  ob_char(ob, '\n');
}

/* ---- summary ---- */

static void text_counts(an_out *o, const an_summary *s) {
  outbuf *ob = &o->ob;
  const an_stats *st = s->st;
  OB_LIT(ob, "Summary");
  if (o->several) {
    OB_LIT(ob, " of ");
    ob_str(ob, s->name);
  }
  OB_LIT(ob, ": ");
  ob_u64(ob, s->frames);
  OB_LIT(ob, " frames, ");
  ob_u64(ob, st->packets);
  OB_LIT(ob, " NTP packets\n");
  OB_LIT(ob, "Authentication: ");
  ob_u64(ob, st->with_mac);
  OB_LIT(ob, " of ");
  ob_u64(ob, st->packets);
  OB_LIT(ob, " NTP packets carried a MAC, ");
  ob_u64(ob, st->verdicts[NTA_V_GOOD]);
  OB_LIT(ob, " verified");
  if (st->unauthenticated) {
    OB_LIT(ob, "; ");
    ob_u64(ob, st->unauthenticated);
    OB_LIT(ob, " client/server packets without a MAC");
    if (st->require_auth) OB_LIT(ob, " (failures: --require-auth)");
  }
  ob_char(ob, '\n');
  OB_LIT(ob, "Verdicts:");
  for (int v = 0; v < NTA_V_COUNT; v++) {
    OB_LIT(ob, " ");
    ob_str(ob, nta_verdict_name((nta_verdict)v));
    ob_char(ob, ' ');
    ob_u64(ob, st->verdicts[v]);
  }
  ob_char(ob, '\n');
}

static void text_key(outbuf *ob, const an_key_stat *k) {
  OB_LIT(ob, "  key ");
  ob_u64(ob, k->id);
  OB_LIT(ob, " (");
  ob_str(ob, k->alg[0] ? k->alg : "?");
  OB_LIT(ob, "): ");
  ob_u64(ob, k->packets);
  OB_LIT(ob, " packets:");
  for (int v = 0; v < NTA_V_COUNT; v++) {
    if (!k->verdicts[v]) continue;
    ob_char(ob, ' ');
    ob_str(ob, nta_verdict_name((nta_verdict)v));
    ob_char(ob, ' ');
    ob_u64(ob, k->verdicts[v]);
  }
  ob_char(ob, '\n');
}

static void text_keys(an_out *o, const an_stats *st) {
  outbuf *ob = &o->ob;
  const an_key_stat **keys = malloc(AN_KEY_SLOTS * sizeof *keys);
  size_t nk = keys ? an_stats_sorted_keys(st, keys) : 0;
  OB_LIT(ob, "Per key:");
  if (nk == 0 && st->other_key_packets == 0) OB_LIT(ob, " none");
  ob_char(ob, '\n');
  for (size_t i = 0; i < nk; i++) {
    text_key(ob, keys[i]);
    an_out_maybe_flush(o);
  }
  if (st->other_key_packets) {
    OB_LIT(ob, "  other keys (table full): ");
    ob_u64(ob, st->other_key_packets);
    OB_LIT(ob, " packets\n");
  }
  free(keys);
}

static void text_pair(outbuf *ob, const an_pair_stat *ps, bool require_auth) {
  nta_endpoint a, b;
  an_pair_endpoints(ps, &a, &b);
  OB_LIT(ob, "  ");
  ob_addr(ob, &a);
  OB_LIT(ob, " <-> ");
  ob_addr(ob, &b);
  OB_LIT(ob, ": ");
  ob_u64(ob, ps->packets);
  OB_LIT(ob, " packets, ");
  ob_u64(ob, ps->exchanges);
  OB_LIT(ob, " exchanges (");
  ob_u64(ob, ps->trusted);
  OB_LIT(ob, " trusted)");
  if (ps->has_last) {
    OB_LIT(ob, ", last offset ");
    ob_fixed6(ob, ps->last_offset, true);
    OB_LIT(ob, " s delay ");
    ob_fixed6(ob, ps->last_delay, false);
    OB_LIT(ob, " s ");
    ob_str(ob, ps->last_trusted ? "(trusted)" : "(untrusted: not verified both ways)");
  }
  if (require_auth && ps->unauthenticated) {
    OB_LIT(ob, "; ");
    ob_u64(ob, ps->unauthenticated);
    OB_LIT(ob, " without a MAC (--require-auth)");
  }
  ob_char(ob, '\n');
}

static void text_pairs(an_out *o, const an_stats *st) {
  outbuf *ob = &o->ob;
  OB_LIT(ob, "Host pairs:");
  if (st->pairs_used == 0) OB_LIT(ob, " none");
  ob_char(ob, '\n');
  for (size_t i = 0; i < st->pairs_used; i++) {
    text_pair(ob, &st->pairs[st->pair_order[i]], st->require_auth);
    an_out_maybe_flush(o);
  }
  if (st->other_pair_packets) {
    OB_LIT(ob, "  other pairs (table full): ");
    ob_u64(ob, st->other_pair_packets);
    OB_LIT(ob, " packets\n");
  }
  OB_LIT(ob, "Exchanges: ");
  ob_u64(ob, st->exchanges);
  OB_LIT(ob, " completed, ");
  ob_u64(ob, st->trusted_exchanges);
  OB_LIT(ob, " trusted (both directions verified)\n");
}

static void text_merge(outbuf *ob, const an_stats *st) {
  OB_LIT(ob, "Merged: ");
  ob_u64(ob, st->duplicates);
  OB_LIT(ob, " packets seen at a second capture point; one-way delays from ");
  ob_u64(ob, st->oneway);
  OB_LIT(ob, " exchanges seen at both ends");
  if (st->oneway) {
    OB_LIT(ob, ": last request ");
    ob_fixed6(ob, st->last_oneway_request, false);
    OB_LIT(ob, " s reply ");
    ob_fixed6(ob, st->last_oneway_reply, false);
    OB_LIT(ob, " s, mean request ");
    ob_fixed6(ob, st->oneway_request_sum / (double)st->oneway, false);
    OB_LIT(ob, " s reply ");
    ob_fixed6(ob, st->oneway_reply_sum / (double)st->oneway, false);
    OB_LIT(ob, " s (capture clocks assumed in step)");
  }
  ob_char(ob, '\n');
}

/* "46-54, 59, 61-62, ..." for the frames of the findings equal to findings[first]; on a merged
 * timeline each range names its capture ("a.pcap:46-54, b.pcap:3"). */
static void write_frame_ranges(an_out *o, const an_stats *st, size_t first) {
  enum { MAX_RANGES = 8 };
  outbuf *ob = &o->ob;
  unsigned ranges = 0;
  uint64_t start = 0, prev = 0;
  uint32_t cap = 0;
  for (size_t j = first; j <= st->n_findings; j++) {
    bool end = j == st->n_findings;
    if (!end && !an_same_finding(&st->findings[first], &st->findings[j])) continue;
    uint64_t fr = end ? 0 : st->findings[j].frame;
    uint32_t fcap = end ? 0 : st->findings[j].capture;
    if (start && !end && fr == prev + 1 && fcap == cap) { prev = fr; continue; }
    if (start) {
      if (ranges < MAX_RANGES) {
        if (ranges) OB_LIT(ob, ", ");
        frame_label(o, cap, start);
        if (prev != start) { ob_char(ob, '-'); ob_u64(ob, prev); }
      } else if (ranges == MAX_RANGES) {
        OB_LIT(ob, ", ...");
      }
      ranges++;
    }
    start = prev = fr;
    cap = fcap;
  }
}

static void text_finding_counts(outbuf *ob, const an_stats *st) {
  OB_LIT(ob, "Findings: ");
  ob_u64(ob, st->findings_total);
  if (st->findings_total) {
    OB_LIT(ob, " (");
    bool first = true;
    for (int k = 0; k < NTA_F_COUNT; k++) {
      if (!st->finding_counts[k]) continue;
      if (!first) OB_LIT(ob, ", ");
      first = false;
      ob_str(ob, nta_finding_name((nta_finding_kind)k));
      ob_char(ob, ' ');
      ob_u64(ob, st->finding_counts[k]);
    }
    ob_char(ob, ')');
  }
  ob_char(ob, '\n');
}

/* One line for findings[i] and every later one equal to it ("frames 3-5: kod: ... (3 times)"). */
static void text_finding_group(an_out *o, const an_stats *st, size_t i, size_t times) {
  outbuf *ob = &o->ob;
  const nta_finding *f = &st->findings[i];
  if (!f->frame) {
    OB_LIT(ob, "  keyfile");
  } else if (times == 1) {
    OB_LIT(ob, "  ");
    if (o->opt->merge) {   /* "a.pcap:frame 3", as the finding texts name frames */
      ob_str(ob, an_capture_name(o->opt, f->capture));
      ob_char(ob, ':');
    }
    OB_LIT(ob, "frame ");
    ob_u64(ob, f->frame);
  } else {
    OB_LIT(ob, "  frames ");
    write_frame_ranges(o, st, i);
  }
  OB_LIT(ob, ": ");
  colored(ob, o->opt->color ? COLOR_FINDING : NULL, nta_finding_name(f->kind));
  OB_LIT(ob, ": ");
  ob_str(ob, f->text);
  if (times > 1) {
    OB_LIT(ob, " (");
    ob_u64(ob, times);
    OB_LIT(ob, " times)");
  }
  ob_char(ob, '\n');
}

static void text_findings(an_out *o, const an_stats *st) {
  text_finding_counts(&o->ob, st);
  bool listed[AN_FINDINGS_KEPT] = { false };
  for (size_t i = 0; i < st->n_findings; i++) {
    if (listed[i]) continue;
    text_finding_group(o, st, i, an_mark_same_findings(st, i, listed));
    an_out_maybe_flush(o);
  }
  if (st->findings_total > st->n_findings) {
    OB_LIT(&o->ob, "  ... ");
    ob_u64(&o->ob, st->findings_total - st->n_findings);
    OB_LIT(&o->ob, " more\n");
  }
}

/* ---- NTS ---- */

static void text_nts_sessions(an_out *o, const an_nts_part *np, const nta_nts_store *st) {
  outbuf *ob = &o->ob;
  for (size_t i = 0; i <= np->n_sessions; i++) {
    const an_nts_session_stat *ss = &np->sessions[i];
    if (!ss->good && !ss->bad_mac && !ss->unverified) continue;
    const nta_nts_session *s = i < np->n_sessions ? nta_nts_store_session(st, i) : NULL;
    OB_LIT(ob, "  ");
    if (s) {
      ob_str(ob, s->name);
      OB_LIT(ob, " (");
      ob_str(ob, s->origin);
      OB_LIT(ob, "): ");
    } else {
      OB_LIT(ob, "no known session: ");
    }
    ob_u64(ob, ss->good);
    OB_LIT(ob, " good, ");
    ob_u64(ob, ss->bad_mac);
    OB_LIT(ob, " bad_mac, ");
    ob_u64(ob, ss->unverified);
    OB_LIT(ob, " not verified\n");
    an_out_maybe_flush(o);
  }
}

static void text_ke_conn(outbuf *ob, const an_ke_conn *k) {
  OB_LIT(ob, "  frames ");
  ob_u64(ob, k->first_frame);
  ob_char(ob, '-');
  ob_u64(ob, k->last_frame);
  ob_char(ob, ' ');
  ob_addr_port(ob, &k->client);
  OB_LIT(ob, " -> ");
  ob_addr_port(ob, &k->server);
  OB_LIT(ob, ": ");
  ob_str(ob, an_ke_state_name(k->state));
  if (k->session[0]) {
    OB_LIT(ob, " (");
    ob_str(ob, k->session);
    ob_char(ob, ')');
  }
  if (k->reason[0] && k->state != NTA_KE_ST_DECRYPTING) {
    OB_LIT(ob, ": ");
    ob_str(ob, k->reason);
  }
  ob_char(ob, '\n');
  if (k->have_request) {
    OB_LIT(ob, "    request: ");
    ob_str(ob, k->request);
    ob_char(ob, '\n');
  }
  if (k->have_response) {
    OB_LIT(ob, "    response (frame ");
    ob_u64(ob, k->response_frame);
    OB_LIT(ob, "): ");
    ob_str(ob, k->response);
    ob_char(ob, '\n');
  }
  if (k->warning[0]) {
    OB_LIT(ob, "    warning: ");
    ob_str(ob, k->warning);
    ob_char(ob, '\n');
  }
}

static void text_nts(an_out *o, const an_nts_part *np, const nta_nts_store *st) {
  outbuf *ob = &o->ob;
  if (!np) return;
  OB_LIT(ob, "NTS: ");
  ob_u64(ob, np->packets);
  OB_LIT(ob, " packet");
  if (np->packets != 1) ob_char(ob, 's');
  OB_LIT(ob, ", ");
  ob_u64(ob, np->naks);
  OB_LIT(ob, " NTS NAK");
  if (np->naks != 1) ob_char(ob, 's');
  ob_char(ob, '\n');
  text_nts_sessions(o, np, st);
  OB_LIT(ob, "NTS-KE: ");
  ob_u64(ob, np->ke_total);
  OB_LIT(ob, " connections (TCP 4460)");
  if (np->tcp_gaps) {
    OB_LIT(ob, ", ");
    ob_u64(ob, np->tcp_gaps);
    OB_LIT(ob, " stream directions cut by missing segments");
  }
  ob_char(ob, '\n');
  for (size_t i = 0; i < np->n_ke; i++) {
    text_ke_conn(ob, &np->ke[i]);
    an_out_maybe_flush(o);
  }
  if (np->ke_total > np->n_ke) {
    OB_LIT(ob, "  ... ");
    ob_u64(ob, np->ke_total - np->n_ke);
    OB_LIT(ob, " more\n");
  }
}

void an_text_part_end(an_out *o, const an_summary *s) {
  outbuf *ob = &o->ob;
  if (!o->opt->quiet || !o->first_part) ob_char(ob, '\n');
  o->first_part = false;
  text_counts(o, s);
  text_keys(o, s->st);
  text_pairs(o, s->st);
  if (o->opt->merge) text_merge(ob, s->st);
  text_nts(o, s->nts, s->nts_store);
  text_findings(o, s->st);
  if (s->input_error) {
    OB_LIT(ob, "Input error: ");
    ob_str(ob, s->input_error);
    ob_char(ob, '\n');
  }
  an_out_flush(o);
}

/* The NTS sessions of --tls-keylog and --nts-dump. */
static void text_nts_keys(outbuf *ob, const nta_nts_store *st) {
  size_t n = nta_nts_store_count(st);
  if (n == 0) return;
  OB_LIT(ob, "NTS keys: ");
  ob_u64(ob, n);
  OB_LIT(ob, " session");
  if (n != 1) ob_char(ob, 's');
  ob_char(ob, ':');
  for (size_t i = 0; i < n; i++) {
    const nta_nts_session *s = nta_nts_store_session(st, i);
    if (i) ob_char(ob, ',');
    ob_char(ob, ' ');
    ob_str(ob, s->name);
    OB_LIT(ob, " (");
    ob_str(ob, s->origin);
    if (s->in_both) OB_LIT(ob, ", also in a dump");
    ob_char(ob, ')');
  }
  ob_char(ob, '\n');
}

static void text_keyfile(an_out *o, const an_total *t) {
  outbuf *ob = &o->ob;
  text_nts_keys(ob, t->nts_store);
  if (o->no_keys) {
    OB_LIT(ob, "Keys: none loaded (-k): MAC'd packets are listed with key ID and MAC length\n");
    return;
  }
  OB_LIT(ob, "Keys: ");
  ob_u64(ob, t->keys_loaded);
  OB_LIT(ob, " loaded, ");
  if (t->trust_list) OB_LIT(ob, "trust list applied\n");
  else OB_LIT(ob, "all trusted (no trust list)\n");
  for (size_t i = 0; i < t->n_groups; i++) {
    const an_key_group *g = &t->groups[i];
    OB_LIT(ob, "  keyfile: ");
    colored(ob, o->opt->color && g->raised ? COLOR_FINDING : NULL, g->raised ? "weak_key" : "note");
    OB_LIT(ob, ": ");
    ob_str(ob, g->text);
    ob_char(ob, '\n');
    an_out_maybe_flush(o);
  }
  if (t->groups_omitted) {
    OB_LIT(ob, "  ... ");
    ob_u64(ob, t->groups_omitted);
    OB_LIT(ob, " more groups of weak keys\n");
  }
}

static void text_totals(outbuf *ob, const an_totals *tot) {
  OB_LIT(ob, "Total: ");
  ob_u64(ob, tot->inputs);
  OB_LIT(ob, " captures, ");
  ob_u64(ob, tot->frames);
  OB_LIT(ob, " frames, ");
  ob_u64(ob, tot->packets);
  OB_LIT(ob, " NTP packets, ");
  ob_u64(ob, tot->with_mac);
  OB_LIT(ob, " with a MAC, ");
  ob_u64(ob, tot->verified);
  OB_LIT(ob, " verified\n");
}

void an_text_end(an_out *o, const an_total *t) {
  outbuf *ob = &o->ob;
  if (o->several) ob_char(ob, '\n');
  text_keyfile(o, t);
  if (t->tot->inputs > 1) text_totals(ob, t->tot);
  for (size_t i = 0; i < t->n_notes; i++) {
    OB_LIT(ob, "Note: ");
    ob_str(ob, t->notes[i]);
    ob_char(ob, '\n');
  }
  OB_LIT(ob, "Result: ");
  if (t->status == AN_EXIT_ERROR) OB_LIT(ob, "input error, ");
  else if (t->status == AN_EXIT_FAILED && t->tot->failures == 0) OB_LIT(ob, "nothing verified, ");
  ob_u64(ob, t->tot->failures);
  OB_LIT(ob, " packets failed verification (exit ");
  ob_u64(ob, (uint64_t)t->status);
  OB_LIT(ob, ")\n");
  an_out_flush(o);
}

static void text_part_end(an_out *o, const an_summary *s) { an_text_part_end(o, s); }
static void text_end(an_out *o, const an_total *t) { an_text_end(o, t); }

const an_writer an_writer_text = { text_begin, text_part_begin, text_packet, text_part_end,
                                   text_end };
