/* report.c - what ntpauth-analyze prints: pairing, statistics and the chosen writer.
 *
 * The report has one part per capture (or one for all of them merged), then the end over every
 * capture. Each packet goes through --merge's second-sighting check, the exchange table
 * (pairing, findings), into the part's statistics and, unless -q, to the writer of the chosen
 * format. The writers format into a reusable buffer (outbuf.h) that leaves in large chunks
 * through an unbuffered stdio stream (one write() per chunk, no second copy). */
#include "analyze.h"
#include "keyaudit.h"
#include "merge.h"
#include "nts.h"
#include "stats.h"
#include "writer.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAIRING_ENTRIES 16384   /* outstanding requests remembered for pairing and replays */
#define PAIRING_MAX_AGE 120     /* seconds of capture time */
#define KEY_GROUPS_MAX 64       /* groups of weak keyfile keys listed */

struct an_report {
  an_out out;
  const an_writer *w;
  const nta_keyring *kr;
  an_stats *st;                 /* the current part */
  nta_exchange *ex;             /* the current part's pairing */
  an_merge *merge;              /* --merge */
  an_nts *nts;                  /* NTS packets and NTS-KE connections (an_report_set_nts) */
  an_totals tot;
  an_keyset used_keys;          /* key IDs seen with a MAC, over every part */
  bool flush_each;              /* live capture or a terminal: show every line at once */
  const char *part_name;
  char notes[AN_MAX_NOTES][256];
};

void an_out_flush(an_out *o) {
  if (o->ob.len) fwrite_unlocked(o->ob.buf, 1, o->ob.len, o->out);
  ob_reset(&o->ob);
}

void an_out_maybe_flush(an_out *o) {
  if (o->ob.len > OB_CAP / 2) an_out_flush(o);
}

static const an_writer *writer_for(an_format f) {
  switch (f) {
  case AN_FMT_JSONL: return &an_writer_jsonl;
  case AN_FMT_JSON: return &an_writer_json;
  case AN_FMT_CSV: return &an_writer_csv;
  case AN_FMT_TEXT: break;
  }
  return &an_writer_text;
}

an_report *an_report_create(const an_options *opt, FILE *out, const nta_keyring *kr) {
  an_report *rep = calloc(1, sizeof *rep);
  if (!rep) return NULL;
  if (opt->merge && !(rep->merge = an_merge_create())) {
    free(rep);
    return NULL;
  }
  rep->kr = kr;
  rep->out.out = out;
  rep->out.opt = opt;
  rep->out.no_keys = kr == NULL;
  rep->out.first_part = true;
  rep->out.several = opt->n_captures > 1 && !opt->merge;
  rep->w = writer_for(opt->format);
  /* Output leaves in whole outbuf chunks (tens of KiB): an unbuffered stream writes each one
   * straight from the outbuf, where a stdio buffer would copy every byte once more. */
  fflush(out);
  setvbuf(out, NULL, _IONBF, 0);
  rep->flush_each = opt->iface != NULL || isatty(fileno(out));
  rep->w->begin(&rep->out);
  an_out_flush(&rep->out);
  return rep;
}

void an_report_destroy(an_report *rep) {
  if (!rep) return;
  if (rep->out.out) fflush(rep->out.out);
  nta_exchange_destroy(rep->ex);
  an_stats_destroy(rep->st);
  an_merge_destroy(rep->merge);
  an_nts_destroy(rep->nts);
  free(rep);
}

bool an_report_set_nts(an_report *rep, const nta_nts_store *st) {
  an_nts_destroy(rep->nts);
  rep->nts = an_nts_create(st);
  return rep->nts != NULL;
}

bool an_report_part_begin(an_report *rep, const char *name) {
  nta_exchange_destroy(rep->ex);
  an_stats_destroy(rep->st);
  rep->st = an_stats_create(rep->kr == NULL, rep->out.opt->require_auth);
  rep->ex = nta_exchange_create(PAIRING_ENTRIES, PAIRING_MAX_AGE);
  if (!rep->st || !rep->ex) return false;
  if (rep->nts && !an_nts_part_begin(rep->nts)) return false;
  /* One timeline of several captures: finding texts say whose frame they mean. */
  if (rep->merge)
    nta_exchange_name_captures(rep->ex, (const char *const *)rep->out.opt->captures,
                               rep->out.opt->n_captures);
  rep->part_name = name;
  rep->w->part_begin(&rep->out, name);
  return true;
}

void an_report_packet(an_report *rep, const an_record *rec) {
  nta_exchange_result xr;
  an_sighting seen;
  an_packet_info pi = { .xr = &xr, .seen = NULL };
  if (rec->proto == 6) {   /* an NTS-KE segment */
    if (rep->nts) an_nts_segment(rep->nts, rec);
    return;
  }
  if (rep->merge) {
    an_merge_observe(rep->merge, rec, &seen);
    pi.seen = &seen;
  }
  an_record nts_rec;
  nta_nts_info nts;
  if (rep->nts && an_nts_packet(rep->nts, rec, pi.seen && seen.duplicate, &nts_rec, &nts)) {
    rec = &nts_rec;   /* with the NTS verdict */
    pi.nts = &nts;
  }
  if (pi.seen && seen.duplicate) {
    /* The packet again, seen at another point: not a new packet for pairing or the counts,
     * but a reply is timed against its request as seen at this point. */
    memset(&xr, 0, offsetof(nta_exchange_result, findings));
    xr.n_findings = 0;
    an_merge_pair(rep->merge, rec, true, &xr);
    nta_exchange_seen_again(rep->ex, &rec->obs);
    an_stats_seen_again(rep->st, rec, &xr, &seen);
  } else {
    nta_exchange_observe(rep->ex, &rec->obs, &xr);
    if (pi.nts) an_nts_findings(rep->nts, pi.nts, rec, &xr);
    if (rep->merge) an_merge_pair(rep->merge, rec, false, &xr);
    an_stats_packet(rep->st, rec, &xr);
    if (rec->obs.has_key_id && rec->obs.verdict != NTA_V_CRYPTO_NAK)
      an_keyset_add(&rep->used_keys, rec->obs.key_id);
  }
  if (rep->out.opt->quiet) return;
  rep->w->packet(&rep->out, rec, &pi);
  if (rep->flush_each) {
    an_out_flush(&rep->out);
    fflush(rep->out.out);
  } else if (rep->out.ob.len >= OB_FLUSH_AT) {
    an_out_flush(&rep->out);
  }
}

void an_report_part_end(an_report *rep, const char *input_error, uint64_t frames) {
  an_summary s = { .name = rep->part_name, .st = rep->st, .frames = frames,
                   .input_error = input_error };
  if (rep->nts) {
    s.nts = an_nts_part_end(rep->nts, rep->st);
    s.nts_store = an_nts_store(rep->nts);
  }
  rep->w->part_end(&rep->out, &s);
  an_out_flush(&rep->out);
  an_totals_add(&rep->tot, rep->st, frames, input_error != NULL);
}

static bool nts_keys(const an_report *rep) {
  return rep->nts && nta_nts_store_count(an_nts_store(rep->nts)) > 0;
}

/* Plain statements for a run that proves nothing. */
static void add_notes(an_report *rep, an_total *t) {
  const an_totals *tot = &rep->tot;
  const an_options *opt = rep->out.opt;
  char ports[128] = "123";
  for (size_t i = 1, off = 3; i < opt->n_ports && off < sizeof ports - 8; i++)
    off += (size_t)snprintf(ports + off, sizeof ports - off, ", %u", opt->ports[i]);
  char *n = rep->notes[t->n_notes];
  if (tot->input_error) return;   /* the input error says it already */
  if (tot->packets == 0) {
    snprintf(n, sizeof rep->notes[0], "no NTP packets: no UDP datagram to or from port %s was "
             "found (NTP on another port? add --port N)", ports);
  } else if (tot->with_mac == 0 && tot->verdicts[NTA_V_NTS] > 0 && !nts_keys(rep)) {
    snprintf(n, sizeof rep->notes[0], "nothing verified: %llu NTS packets, and no NTS keys "
             "given (--tls-keylog, --nts-dump)", (unsigned long long)tot->verdicts[NTA_V_NTS]);
  } else if (tot->with_mac == 0 && tot->verdicts[NTA_V_NTS] > 0) {
    snprintf(n, sizeof rep->notes[0], "nothing verified: none of the %llu NTS packets belongs "
             "to a session of the NTS keys given", (unsigned long long)tot->verdicts[NTA_V_NTS]);
  } else if (tot->with_mac == 0) {
    snprintf(n, sizeof rep->notes[0], "nothing verified: none of the %llu NTP packets carried a "
             "MAC (a server line without 'key N' in ntp.conf sends requests unauthenticated)",
             (unsigned long long)tot->packets);
  } else if (!rep->kr && tot->verified == 0) {   /* (NTS packets verify without -k) */
    snprintf(n, sizeof rep->notes[0], "nothing verified: no keys given (-k KEYFILE or -c "
             "ntp.conf), so the %llu packets with a MAC were listed but not checked",
             (unsigned long long)tot->with_mac);
  } else if (tot->verified == 0) {
    snprintf(n, sizeof rep->notes[0], "nothing verified: %llu packets carried a MAC, none "
             "verified with the keys given", (unsigned long long)tot->with_mac);
  } else {
    return;
  }
  t->notes[t->n_notes++] = n;
}

static int exit_status(const an_report *rep) {
  const an_totals *tot = &rep->tot;
  if (tot->input_error) return AN_EXIT_ERROR;
  if (tot->failures) return AN_EXIT_FAILED;
  /* Without keys nothing can be verified: a pass needs at least one good MAC. */
  return tot->verified == 0 ? AN_EXIT_FAILED : AN_EXIT_OK;
}

int an_report_finish(an_report *rep) {
  an_key_group groups[KEY_GROUPS_MAX];
  an_total t = { .tot = &rep->tot, .keys_loaded = nta_keyring_count(rep->kr),
                 .nts_store = rep->nts ? an_nts_store(rep->nts) : NULL,
                 .trust_list = nta_keyring_has_trust_list(rep->kr), .groups = groups };
  t.n_groups = an_key_audit(rep->kr, &rep->used_keys, groups, KEY_GROUPS_MAX, &t.groups_omitted);
  add_notes(rep, &t);
  t.status = exit_status(rep);
  rep->w->end(&rep->out, &t);
  an_out_flush(&rep->out);
  fflush(rep->out.out);
  return t.status;
}
