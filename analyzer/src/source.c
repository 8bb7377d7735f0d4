/* source.c - the analyzer's input: one capture, a live interface, or several captures merged
 * into one timeline by capture time.
 *
 * Each capture has its own reader, so frame numbers are the file's own (as tshark numbers
 * them). Merging keeps one datagram waiting per reader and hands out the earliest; a damaged
 * file ends only its own stream, and its error is returned once the others are done. */
#include "analyze.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  cap_reader *rd;
  cap_datagram dg;          /* the waiting datagram (payload valid until rd's next call) */
  bool waiting;             /* dg holds a datagram not yet handed out */
  bool done;
} input;

struct an_source {
  input *in;
  size_t n;
  size_t first;             /* index of in[0] among the options' captures */
  size_t taken;             /* the input whose datagram was handed out last, or n */
  bool failed;
  char error[NTA_DIAG_MSG_MAX];
};

static cap_reader *open_reader(const an_options *opt, const char *file, nta_diag *err) {
  cap_reader *rd = cap_reader_create();
  if (!rd) {
    nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
    return NULL;
  }
  nta_status st = cap_reader_set_ports(rd, opt->ports, opt->n_ports, err);
  const uint16_t ntske = 4460;   /* NTS-KE segments: read by the report (nts.c) */
  if (st == NTA_OK) st = cap_reader_set_tcp_ports(rd, &ntske, 1, err);
  if (st == NTA_OK)
    st = file ? cap_reader_add_file(rd, file, err)
              : cap_reader_open_live(rd, opt->iface, opt->bpf, err);
  if (st != NTA_OK) {
    cap_reader_destroy(rd);
    return NULL;
  }
  return rd;
}

an_source *an_source_open(const an_options *opt, size_t first, size_t count, nta_diag *err) {
  an_source *s = calloc(1, sizeof *s);
  if (s) s->in = calloc(count ? count : 1, sizeof *s->in);
  if (!s || !s->in) {
    free(s);
    nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
    return NULL;
  }
  s->first = first;
  s->n = opt->iface ? 1 : count;
  s->taken = s->n;
  for (size_t i = 0; i < s->n; i++) {
    s->in[i].rd = open_reader(opt, opt->iface ? NULL : opt->captures[first + i], err);
    if (!s->in[i].rd) {
      an_source_destroy(s);
      return NULL;
    }
  }
  return s;
}

void an_source_destroy(an_source *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) cap_reader_destroy(s->in[i].rd);
  free(s->in);
  free(s);
}

void an_source_interrupt(an_source *s) {
  for (size_t i = 0; i < s->n; i++) cap_reader_interrupt(s->in[i].rd);
}

/* Reads input i's next datagram into its waiting slot. */
static void refill(an_source *s, size_t i) {
  input *in = &s->in[i];
  nta_diag err = { { 0 } };
  cap_next_status st = cap_reader_next(in->rd, &in->dg, &err);
  in->waiting = st == CAP_NEXT_DATAGRAM;
  in->done = !in->waiting;
  if (st == CAP_NEXT_ERROR && !s->failed) {
    s->failed = true;
    snprintf(s->error, sizeof s->error, "%s", err.msg);
  }
}

static bool earlier(const cap_datagram *a, const cap_datagram *b) {
  return a->ts_sec < b->ts_sec || (a->ts_sec == b->ts_sec && a->ts_nsec < b->ts_nsec);
}

cap_next_status an_source_next(an_source *s, cap_datagram *out, size_t *input_index,
                               nta_diag *err) {
  if (s->n == 1) {   /* the common case: no copy, no comparison */
    *input_index = s->first;
    return cap_reader_next(s->in[0].rd, out, err);
  }
  for (size_t i = 0; i < s->n; i++)
    if (!s->in[i].waiting && !s->in[i].done) refill(s, i);
  size_t best = s->n;
  for (size_t i = 0; i < s->n; i++)
    if (s->in[i].waiting && (best == s->n || earlier(&s->in[i].dg, &s->in[best].dg))) best = i;
  if (best == s->n) {
    if (!s->failed) return CAP_NEXT_END;
    nta_diag_set(err, NTA_ERR_PARSE, "%s", s->error);
    return CAP_NEXT_ERROR;
  }
  *out = s->in[best].dg;
  s->in[best].waiting = false;   /* refilled on the next call, after the caller is done */
  *input_index = s->first + best;
  return CAP_NEXT_DATAGRAM;
}

void an_source_progress(const an_source *s, uint64_t *done, uint64_t *total) {
  *done = *total = 0;
  for (size_t i = 0; i < s->n; i++) {
    uint64_t d, t;
    cap_reader_progress(s->in[i].rd, &d, &t);
    *done += d;
    *total += t;
  }
}

uint64_t an_source_frames(const an_source *s) {
  uint64_t n = 0;
  for (size_t i = 0; i < s->n; i++) n += cap_reader_stats(s->in[i].rd)->frames;
  return n;
}
