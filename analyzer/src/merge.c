/* merge.c - the same packet at two capture points, and one-way delays (see merge.h). */
#include "merge.h"

#include <stdlib.h>
#include <string.h>

#define MERGE_SLOTS 16384        /* packets remembered (power of two) */
#define MERGE_PROBE 4
#define MERGE_WINDOW_NS (5LL * 1000000000LL)
#define REQUEST_SLOTS 8192       /* requests, by transmit timestamp */
#define REQUEST_POINTS 4         /* capture points remembered per request */

typedef struct {
  bool used;
  uint64_t hash;
  uint32_t len;
  size_t input;
  const char *file;
  uint64_t frame;
  int64_t t_ns;
} sighting;

/* Where one request was seen, in timeline order. */
typedef struct {
  size_t input;
  uint64_t frame;
  int64_t t_ns;
} point;

typedef struct {
  bool used;
  bool verified;                 /* its MAC was good (the same bytes at every point) */
  uint64_t xmt;
  uint8_t n;
  point at[REQUEST_POINTS];
} request_seen;

struct an_merge {
  sighting slots[MERGE_SLOTS];
  request_seen requests[REQUEST_SLOTS];
};

an_merge *an_merge_create(void) { return calloc(1, sizeof(an_merge)); }
void an_merge_destroy(an_merge *m) { free(m); }

static int64_t time_ns(const an_record *rec) {
  return rec->obs.time_sec * 1000000000LL + rec->obs.time_nsec;
}

/* The earlier sighting of rec's bytes at another capture point, or a slot to remember it in
 * (a free or expired one, else the oldest of the probed ones). */
static sighting *lookup(an_merge *m, const an_record *rec, int64_t now, bool *found) {
  size_t base = (size_t)(rec->bytes_hash >> 20) & (MERGE_SLOTS - 1);
  sighting *free_slot = NULL, *oldest = NULL;
  *found = false;
  for (size_t i = 0; i < MERGE_PROBE; i++) {
    sighting *s = &m->slots[(base + i) & (MERGE_SLOTS - 1)];
    bool live = s->used && now - s->t_ns <= MERGE_WINDOW_NS && s->t_ns - now <= MERGE_WINDOW_NS;
    if (live && s->hash == rec->bytes_hash && s->len == rec->captured_len &&
        s->input != rec->input) {
      *found = true;
      return s;
    }
    if (!live && !free_slot) free_slot = s;
    if (live && (!oldest || s->t_ns < oldest->t_ns)) oldest = s;
  }
  return free_slot ? free_slot : oldest;
}

static request_seen *request_slot(const an_merge *m, uint64_t xmt) {
  uint64_t h = xmt * 0x9e3779b97f4a7c15ULL;
  return (request_seen *)&m->requests[(h >> 40) & (REQUEST_SLOTS - 1)];
}

static bool is_request(uint8_t mode) { return mode == NTA_MODE_CLIENT || mode == NTA_MODE_ACTIVE; }
static bool is_reply(uint8_t mode) { return mode == NTA_MODE_SERVER || mode == NTA_MODE_PASSIVE; }

/* The request a reply answers (by its origin timestamp), if it is remembered. */
static const request_seen *request_of(const an_merge *m, const nta_observation *o) {
  if (!is_reply(o->mode) || !o->org_ts) return NULL;
  const request_seen *r = request_slot(m, o->org_ts);
  return r->used && r->xmt == o->org_ts ? r : NULL;
}

/* Index of the request's sighting in capture `input`, or -1. */
static int point_in(const request_seen *r, size_t input) {
  for (int i = 0; i < r->n; i++)
    if (r->at[i].input == input) return i;
  return -1;
}

/* Every sighting of a request, at each capture point once (the first there). */
static void note_request(an_merge *m, const an_record *rec, int64_t now) {
  const nta_observation *o = &rec->obs;
  if (!is_request(o->mode) || !o->xmt_ts) return;
  request_seen *r = request_slot(m, o->xmt_ts);
  if (!r->used || r->xmt != o->xmt_ts) {
    memset(r, 0, sizeof *r);
    r->used = true;
    r->xmt = o->xmt_ts;
    r->verified = o->verdict == NTA_V_GOOD;
  }
  if (point_in(r, rec->input) >= 0 || r->n >= REQUEST_POINTS) return;
  r->at[r->n++] = (point){ .input = rec->input, .frame = o->frame, .t_ns = now };
}

/* A reply seen again: with its request seen at both points, request first here, the one-way
 * delays (request: here -> there; reply: there -> here). */
static void oneway(const an_merge *m, const an_record *rec, const sighting *first, int64_t delta,
                   an_sighting *out) {
  const request_seen *r = request_of(m, &rec->obs);
  if (!r) return;
  int here = point_in(r, rec->input), there = point_in(r, first->input);
  if (here < 0 || there < 0 || here > there) return;
  out->has_oneway = true;
  out->oneway_request = (double)(r->at[there].t_ns - r->at[here].t_ns) / 1e9;
  out->oneway_reply = (double)delta / 1e9;
}

void an_merge_observe(an_merge *m, const an_record *rec, an_sighting *out) {
  memset(out, 0, sizeof *out);
  int64_t now = time_ns(rec);
  note_request(m, rec, now);
  bool found;
  sighting *s = lookup(m, rec, now, &found);
  if (found) {
    out->duplicate = true;
    out->first_file = s->file;
    out->first_frame = s->frame;
    out->after = (double)(now - s->t_ns) / 1e9;
    oneway(m, rec, s, now - s->t_ns, out);
    return;
  }
  s->used = true;
  s->hash = rec->bytes_hash;
  s->len = rec->captured_len;
  s->input = rec->input;
  s->file = rec->file;
  s->frame = rec->obs.frame;
  s->t_ns = now;
}

void an_merge_pair(const an_merge *m, const an_record *rec, bool again,
                   nta_exchange_result *xr) {
  /* A first sighting paired within its own capture is right as the exchange table has it. */
  if (!again && (!xr->matched || xr->request_capture == rec->input)) return;
  const nta_observation *o = &rec->obs;
  const request_seen *r = request_of(m, o);
  int here = r ? point_in(r, rec->input) : -1;
  if (here < 0) {
    /* No sighting of the request in this capture: a reference to another one has no timing
     * that one clock measured. */
    xr->has_timing = false;
    return;
  }
  const point *p = &r->at[here];
  xr->is_reply = true;
  xr->matched = true;
  xr->request_frame = p->frame;
  xr->request_capture = (uint32_t)p->input;
  xr->has_timing = nta_exchange_timing(p->t_ns / 1000000000LL, (uint32_t)(p->t_ns % 1000000000LL),
                                       o, &xr->offset, &xr->delay);
  if (again) xr->timing_trusted = r->verified && o->verdict == NTA_V_GOOD;
}
