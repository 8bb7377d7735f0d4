/* merge.c - the same packet at two capture points, and one-way delays (see merge.h). */
#include "merge.h"

#include <stdlib.h>
#include <string.h>

#define MERGE_SLOTS 16384        /* packets remembered (power of two) */
#define MERGE_PROBE 4
#define MERGE_WINDOW_NS (5LL * 1000000000LL)
#define REQUEST_SLOTS 8192       /* requests seen at both ends, by transmit timestamp */

typedef struct {
  bool used;
  uint64_t hash;
  uint32_t len;
  size_t input;
  const char *file;
  uint64_t frame;
  int64_t t_ns;
} sighting;

typedef struct {
  bool used;
  uint64_t xmt;
  size_t client_input, server_input;
  int64_t delay_ns;              /* client side -> server side */
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

static request_seen *request_slot(an_merge *m, uint64_t xmt) {
  uint64_t h = xmt * 0x9e3779b97f4a7c15ULL;
  return &m->requests[(h >> 40) & (REQUEST_SLOTS - 1)];
}

static bool is_request(uint8_t mode) { return mode == NTA_MODE_CLIENT || mode == NTA_MODE_ACTIVE; }
static bool is_reply(uint8_t mode) { return mode == NTA_MODE_SERVER || mode == NTA_MODE_PASSIVE; }

/* A second sighting: requests remember their path delay, replies complete the one-way pair. */
static void second_sighting(an_merge *m, const an_record *rec, const sighting *first,
                            int64_t delta, an_sighting *out) {
  const nta_observation *o = &rec->obs;
  if (is_request(o->mode) && o->xmt_ts) {
    request_seen *r = request_slot(m, o->xmt_ts);
    r->used = true;
    r->xmt = o->xmt_ts;
    r->client_input = first->input;
    r->server_input = rec->input;
    r->delay_ns = delta;
  } else if (is_reply(o->mode) && o->org_ts) {
    const request_seen *r = request_slot(m, o->org_ts);
    if (r->used && r->xmt == o->org_ts && r->server_input == first->input &&
        r->client_input == rec->input) {
      out->has_oneway = true;
      out->oneway_request = (double)r->delay_ns / 1e9;
      out->oneway_reply = (double)delta / 1e9;
    }
  }
}

void an_merge_observe(an_merge *m, const an_record *rec, an_sighting *out) {
  memset(out, 0, sizeof *out);
  int64_t now = time_ns(rec);
  bool found;
  sighting *s = lookup(m, rec, now, &found);
  if (found) {
    out->duplicate = true;
    out->first_file = s->file;
    out->first_frame = s->frame;
    out->after = (double)(now - s->t_ns) / 1e9;
    second_sighting(m, rec, s, now - s->t_ns, out);
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
