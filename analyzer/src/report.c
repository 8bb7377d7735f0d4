/* report.c - what ntpauth-analyze prints: pairing, statistics and the chosen writer.
 *
 * Each packet goes through the exchange table (pairing, findings), into the statistics and,
 * unless -q, to the writer of the chosen format. The writers format into a reusable buffer
 * (outbuf.h) that leaves in large chunks through an unbuffered stdio stream (one write() per
 * chunk, no second copy). */
#include "analyze.h"
#include "stats.h"
#include "writer.h"

#include <stdlib.h>
#include <unistd.h>

#define PAIRING_ENTRIES 16384   /* outstanding requests remembered for pairing and replays */
#define PAIRING_MAX_AGE 120     /* seconds of capture time */
#define AUDIT_MAX 64            /* keyfile findings kept */

struct an_report {
  an_out out;
  const an_writer *w;
  an_stats *st;
  nta_exchange *ex;
  size_t keys_loaded;
  bool trust_list;
  bool flush_each;              /* live capture or a terminal: show every line at once */
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
  rep->st = an_stats_create(kr == NULL);
  rep->ex = nta_exchange_create(PAIRING_ENTRIES, PAIRING_MAX_AGE);
  if (!rep->st || !rep->ex) {
    an_report_destroy(rep);
    return NULL;
  }
  rep->out.out = out;
  rep->out.opt = opt;
  rep->out.no_keys = kr == NULL;
  rep->w = writer_for(opt->format);
  /* Output leaves in whole outbuf chunks (tens of KiB): an unbuffered stream writes each one
   * straight from the outbuf, where a stdio buffer would copy every byte once more. */
  fflush(out);
  setvbuf(out, NULL, _IONBF, 0);
  rep->keys_loaded = nta_keyring_count(kr);
  rep->trust_list = nta_keyring_has_trust_list(kr);
  rep->flush_each = opt->iface != NULL || isatty(fileno(out));

  nta_finding audit[AUDIT_MAX];
  size_t n = nta_exchange_audit_keys(kr, audit, AUDIT_MAX);
  for (size_t i = 0; i < n; i++) an_stats_finding(rep->st, &audit[i]);

  rep->w->begin(&rep->out);
  an_out_flush(&rep->out);
  return rep;
}

void an_report_destroy(an_report *rep) {
  if (!rep) return;
  if (rep->out.out) fflush(rep->out.out);
  nta_exchange_destroy(rep->ex);
  an_stats_destroy(rep->st);
  free(rep);
}

void an_report_packet(an_report *rep, const an_record *rec) {
  nta_exchange_result xr;
  nta_exchange_observe(rep->ex, &rec->obs, &xr);
  an_stats_packet(rep->st, rec, &xr);
  if (rep->out.opt->quiet) return;
  rep->w->packet(&rep->out, rec, &xr);
  if (rep->flush_each) {
    an_out_flush(&rep->out);
    fflush(rep->out.out);
  } else if (rep->out.ob.len >= OB_FLUSH_AT) {
    an_out_flush(&rep->out);
  }
}

int an_report_finish(an_report *rep, const char *input_error, uint64_t frames) {
  int status = input_error ? AN_EXIT_ERROR : rep->st->failures ? AN_EXIT_FAILED : AN_EXIT_OK;
  an_summary s = {
    .st = rep->st, .frames = frames, .keys_loaded = rep->keys_loaded,
    .trust_list = rep->trust_list, .input_error = input_error, .status = status,
  };
  rep->w->summary(&rep->out, &s);
  an_out_flush(&rep->out);
  fflush(rep->out.out);
  return status;
}
