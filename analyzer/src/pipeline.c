/* pipeline.c - reading, verifying and reporting datagrams, on one thread or several.
 *
 * One thread: read a datagram, parse, verify, report; nothing is copied.
 * Several (--threads N): the main thread copies datagrams into fixed batches, N - 1 workers parse
 * and verify whole batches (each with its own keyring clone: MAC contexts are not thread-safe),
 * and the main thread, between batches, takes them back in the order they were read, so pairing,
 * counters and output see exactly the sequence a single thread would. When every batch is in
 * flight the main thread verifies a queued batch itself instead of sleeping: N threads, N cores.
 * Batches are allocated once and recycled: memory does not depend on the capture size. */
#include "analyze.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH_RECORDS 2048
#define BATCH_ARENA (512 * 1024)

/* The received digest as far as it was captured, and the expected one of a bad_mac. */
static void record_digests(an_record *rec, const nta_packet *p, const nta_verify_result *v,
                           bool want_expected) {
  rec->digest_shown = 0;
  rec->has_expected = false;
  if (!v->has_key_id || v->split < 0 || v->split >= p->n_splits || v->digest_len == 0) return;
  size_t at = (size_t)p->splits[v->split].mac_offset + 4;
  size_t n = v->digest_len < NTA_MAC_MAX ? v->digest_len : NTA_MAC_MAX;
  if (at >= rec->captured_len) return;
  if (n > rec->captured_len - at) n = rec->captured_len - at;
  memcpy(rec->digest, rec->payload + at, n);
  rec->digest_shown = (uint8_t)n;
  if (want_expected && v->verdict == NTA_V_BAD_MAC) {
    memcpy(rec->expected, v->expected, v->digest_len < NTA_MAC_MAX ? v->digest_len : NTA_MAC_MAX);
    rec->has_expected = true;
  }
}

/* FNV-1a over the payload: two sightings of one packet have equal hashes. */
static uint64_t bytes_hash(const uint8_t *b, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL ^ n;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
  return h;
}

void an_record_verify(const nta_keyring *kr, an_record *rec, an_scratch *sc) {
  nta_packet *p = &sc->pkt;
  nta_verify_result *v = &sc->vr;
  if (rec->proto == 6) return;   /* NTS-KE: read in capture order by the report */
  nta_packet_parse(rec->payload, rec->captured_len, rec->wire_len, p);
  nta_verify(kr, p, rec->payload, v);
  cap_note_verdict(rec->note, rec->unusable, v);
  nta_observation_set_packet(&rec->obs, p, v);
  rec->version = p->version;
  rec->has_nts = p->has_nts;
  rec->digest_len = v->digest_len;
  record_digests(rec, p, v, sc->want_expected);
  if (sc->want_hash) rec->bytes_hash = bytes_hash(rec->payload, rec->captured_len);
  if (sc->skip_reason) {
    rec->reason[0] = '\0';
    return;
  }
  size_t n = strnlen(v->reason, sizeof rec->reason - 1);
  memcpy(rec->reason, v->reason, n);
  rec->reason[n] = '\0';
}

static void record_from_datagram(an_record *rec, const cap_datagram *dg, const uint8_t *payload,
                                 const an_options *opt, size_t input) {
  rec->input = input;
  rec->file = opt->iface ? opt->iface : opt->captures[input];
  rec->obs.frame = dg->frame;
  rec->obs.capture = (uint32_t)input;
  rec->obs.time_sec = dg->ts_sec;
  rec->obs.time_nsec = dg->ts_nsec;
  rec->obs.src = dg->src;
  rec->obs.dst = dg->dst;
  rec->payload = payload;
  rec->captured_len = dg->captured_len;
  rec->wire_len = dg->wire_len < dg->captured_len ? dg->captured_len : dg->wire_len;
  rec->note = dg->note;
  rec->unusable = dg->unusable;
  rec->proto = dg->proto;
  rec->tcp_flags = dg->tcp_flags;
  rec->tcp_seq = dg->tcp_seq;
}

static void scratch_init(an_scratch *sc, const an_options *opt) {
  sc->skip_reason = opt->quiet;
  sc->want_expected = opt->show_expected;
  sc->want_hash = opt->merge;
}

/* ---- progress on stderr ---- */

typedef struct {
  bool enabled;
  struct timespec last;
  uint64_t packets;
  bool shown;
} progress;

static void progress_tick(progress *pg, const an_source *src) {
  if (!pg->enabled || (++pg->packets & 0x3fff) != 0) return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  double dt = (double)(now.tv_sec - pg->last.tv_sec) + (now.tv_nsec - pg->last.tv_nsec) / 1e9;
  if (dt < 0.5) return;
  pg->last = now;
  uint64_t done = 0, total = 0;
  an_source_progress(src, &done, &total);
  if (total > 0)
    fprintf(stderr, "\r%5.1f%%  %llu NTP packets ", 100.0 * (double)done / (double)total,
            (unsigned long long)pg->packets);
  else
    fprintf(stderr, "\r%llu NTP packets ", (unsigned long long)pg->packets);
  pg->shown = true;
}

static void progress_end(progress *pg) {
  if (pg->shown) fputs("\r\033[K", stderr);
}

static void progress_init(progress *pg, bool enabled) {
  memset(pg, 0, sizeof *pg);
  pg->enabled = enabled;
  clock_gettime(CLOCK_MONOTONIC, &pg->last);
}

/* ---- single thread ---- */

static void run_single(an_source *src, const nta_keyring *kr, const an_options *opt,
                       an_report *rep, an_run_result *res) {
  an_record *rec = calloc(1, sizeof *rec);
  an_scratch *sc = calloc(1, sizeof *sc);
  if (!rec || !sc) {
    free(rec);
    free(sc);
    res->status = CAP_NEXT_ERROR;
    snprintf(res->error, sizeof res->error, "out of memory");
    return;
  }
  scratch_init(sc, opt);
  progress pg;
  progress_init(&pg, opt->progress);
  cap_datagram dg;
  nta_diag err = { { 0 } };
  cap_next_status st;
  size_t input;
  while ((st = an_source_next(src, &dg, &input, &err)) == CAP_NEXT_DATAGRAM) {
    record_from_datagram(rec, &dg, dg.payload, opt, input);
    an_record_verify(kr, rec, sc);
    an_report_packet(rep, rec);
    progress_tick(&pg, src);
  }
  progress_end(&pg);
  res->status = st;
  if (st == CAP_NEXT_ERROR) snprintf(res->error, sizeof res->error, "%s", err.msg);
  free(rec);
  free(sc);
}

/* ---- several threads ---- */

typedef struct batch {
  size_t n;
  size_t arena_used;
  bool verified;
  struct batch *next;          /* in the free list or the work queue */
  an_record recs[BATCH_RECORDS];
  uint8_t arena[BATCH_ARENA];
} batch;

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t cond_work, cond_done;
  batch *free_list;
  batch *work_head, *work_tail;
  batch **order;               /* submitted batches in read order (ring) */
  size_t order_cap, order_head, order_count;
  bool shutdown;
  bool main_waiting;           /* the main thread sleeps on cond_done */
  unsigned workers_idle;       /* workers sleeping on cond_work */
} pipeline;

typedef struct {
  pipeline *pl;
  nta_keyring *kr;             /* this worker's clone (or NULL: no keys) */
  an_scratch scratch;
} worker_arg;

/* The main thread's own verifying state: it verifies queued batches itself rather than sleep. */
typedef struct {
  const nta_keyring *kr;
  an_scratch *scratch;
} helper;

static void verify_batch(batch *b, const nta_keyring *kr, an_scratch *sc) {
  for (size_t i = 0; i < b->n; i++) an_record_verify(kr, &b->recs[i], sc);
}

/* Unlocked: the caller holds pl->lock. */
static batch *pop_work(pipeline *pl) {
  batch *b = pl->work_head;
  if (b) {
    pl->work_head = b->next;
    if (!pl->work_head) pl->work_tail = NULL;
  }
  return b;
}

static void mark_verified(pipeline *pl, batch *b) {
  pthread_mutex_lock(&pl->lock);
  b->verified = true;
  if (pl->main_waiting) pthread_cond_signal(&pl->cond_done);   /* only the main thread waits */
  pthread_mutex_unlock(&pl->lock);
}

/* A free batch, or NULL when all are in flight. */
static batch *try_take_free(pipeline *pl) {
  pthread_mutex_lock(&pl->lock);
  batch *b = pl->free_list;
  if (b) pl->free_list = b->next;
  pthread_mutex_unlock(&pl->lock);
  if (b) {
    b->n = 0;
    b->arena_used = 0;
    b->verified = false;
    b->next = NULL;
  }
  return b;
}

static void submit(pipeline *pl, batch *b) {
  pthread_mutex_lock(&pl->lock);
  if (pl->work_tail) pl->work_tail->next = b; else pl->work_head = b;
  pl->work_tail = b;
  pl->order[(pl->order_head + pl->order_count) % pl->order_cap] = b;
  pl->order_count++;
  if (pl->workers_idle) pthread_cond_signal(&pl->cond_work);
  pthread_mutex_unlock(&pl->lock);
}

/* Reports the oldest submitted batch once verified and recycles it. With `wait` false it only
 * does so when the batch is already done. Returns false when there was nothing to report. */
static bool consume_head(pipeline *pl, an_report *rep, bool wait) {
  pthread_mutex_lock(&pl->lock);
  if (wait) {
    pl->main_waiting = true;
    while (pl->order_count > 0 && !pl->order[pl->order_head]->verified)
      pthread_cond_wait(&pl->cond_done, &pl->lock);
    pl->main_waiting = false;
  }
  if (pl->order_count == 0 || !pl->order[pl->order_head]->verified) {
    pthread_mutex_unlock(&pl->lock);
    return false;
  }
  batch *b = pl->order[pl->order_head];
  pthread_mutex_unlock(&pl->lock);

  for (size_t i = 0; i < b->n; i++) an_report_packet(rep, &b->recs[i]);

  pthread_mutex_lock(&pl->lock);
  pl->order_head = (pl->order_head + 1) % pl->order_cap;
  pl->order_count--;
  b->next = pl->free_list;
  pl->free_list = b;
  pthread_mutex_unlock(&pl->lock);
  return true;
}

/* The main thread verifies one queued batch itself. Returns false when none is queued. */
static bool help_verify(pipeline *pl, const helper *h) {
  pthread_mutex_lock(&pl->lock);
  batch *b = pop_work(pl);
  pthread_mutex_unlock(&pl->lock);
  if (!b) return false;
  verify_batch(b, h->kr, h->scratch);
  mark_verified(pl, b);
  return true;
}

/* Makes progress when every batch is in flight: report what is done, else verify a queued
 * batch, else sleep until the oldest one is verified. */
static void make_progress(pipeline *pl, an_report *rep, const helper *h) {
  if (consume_head(pl, rep, false)) return;
  if (help_verify(pl, h)) return;
  consume_head(pl, rep, true);
}

static void *worker_main(void *arg) {
  worker_arg *wa = arg;
  pipeline *pl = wa->pl;
  for (;;) {
    pthread_mutex_lock(&pl->lock);
    while (!pl->work_head && !pl->shutdown) {
      pl->workers_idle++;
      pthread_cond_wait(&pl->cond_work, &pl->lock);
      pl->workers_idle--;
    }
    batch *b = pop_work(pl);
    pthread_mutex_unlock(&pl->lock);
    if (!b) return NULL;
    verify_batch(b, wa->kr, &wa->scratch);
    mark_verified(pl, b);
  }
}

/* The main thread reads datagrams into batches and, between batches, reports the verified ones
 * in order; when every batch is in flight it verifies a queued one itself, and sleeps only when
 * the workers hold them all. So --threads N keeps N threads busy: N - 1 workers and this one. */
static void read_and_report(pipeline *pl, an_source *src, const an_options *opt, an_report *rep,
                            const helper *h, an_run_result *res) {
  progress pg;
  progress_init(&pg, opt->progress);
  cap_datagram dg;
  nta_diag err = { { 0 } };
  cap_next_status st = CAP_NEXT_DATAGRAM;
  size_t input = 0;
  while (st == CAP_NEXT_DATAGRAM) {
    batch *b = try_take_free(pl);
    if (!b) {
      make_progress(pl, rep, h);
      continue;
    }
    while (b->n < BATCH_RECORDS) {
      st = an_source_next(src, &dg, &input, &err);
      if (st != CAP_NEXT_DATAGRAM) break;
      if (dg.captured_len > BATCH_ARENA) dg.captured_len = BATCH_ARENA;  /* UDP never gets here */
      if (BATCH_ARENA - b->arena_used < dg.captured_len) {
        /* Arena full: this datagram starts the next batch. */
        submit(pl, b);
        while (!(b = try_take_free(pl))) make_progress(pl, rep, h);
      }
      uint8_t *copy = b->arena + b->arena_used;
      memcpy(copy, dg.payload, dg.captured_len);
      b->arena_used += (dg.captured_len + 7u) & ~(size_t)7u;
      if (b->arena_used > BATCH_ARENA) b->arena_used = BATCH_ARENA;
      record_from_datagram(&b->recs[b->n++], &dg, copy, opt, input);
      progress_tick(&pg, src);
    }
    if (b->n > 0) {
      submit(pl, b);
    } else {
      pthread_mutex_lock(&pl->lock);
      b->next = pl->free_list;
      pl->free_list = b;
      pthread_mutex_unlock(&pl->lock);
    }
    while (consume_head(pl, rep, false)) {}
  }
  /* Input done: help with what is still queued, report everything in order. */
  for (;;) {
    while (consume_head(pl, rep, false)) {}
    if (help_verify(pl, h)) continue;
    if (!consume_head(pl, rep, true)) break;
  }
  progress_end(&pg);
  res->status = st;
  if (st == CAP_NEXT_ERROR) snprintf(res->error, sizeof res->error, "%s", err.msg);
}

static void run_threads(an_source *src, const nta_keyring *kr, const an_options *opt,
                        an_report *rep, an_run_result *res) {
  unsigned nworkers = opt->threads - 1;   /* the main thread verifies too */
  size_t nbatches = 2 * (size_t)opt->threads + 2;
  pipeline pl;
  memset(&pl, 0, sizeof pl);
  pthread_mutex_init(&pl.lock, NULL);
  pthread_cond_init(&pl.cond_work, NULL);
  pthread_cond_init(&pl.cond_done, NULL);
  pl.order_cap = nbatches;
  pl.order = calloc(nbatches, sizeof *pl.order);
  batch **all = calloc(nbatches, sizeof *all);
  worker_arg *args = calloc(nworkers, sizeof *args);
  pthread_t *tids = calloc(nworkers, sizeof *tids);
  an_scratch *main_scratch = calloc(1, sizeof *main_scratch);
  if (!pl.order || !all || !args || !tids || !main_scratch) {
    free(pl.order); free(all); free(args); free(tids); free(main_scratch);
    run_single(src, kr, opt, rep, res);
    return;
  }
  size_t made = 0;
  for (; made < nbatches; made++) {
    all[made] = malloc(sizeof(batch));
    if (!all[made]) break;
    all[made]->next = pl.free_list;
    pl.free_list = all[made];
  }
  pl.order_cap = made;

  unsigned started = 0;
  if (made >= 2) {
    for (; started < nworkers; started++) {
      args[started].pl = &pl;
      scratch_init(&args[started].scratch, opt);
      args[started].kr = kr ? nta_keyring_clone(kr) : NULL;
      if ((kr && !args[started].kr) ||
          pthread_create(&tids[started], NULL, worker_main, &args[started]) != 0) {
        nta_keyring_destroy(args[started].kr);
        break;
      }
    }
  }
  bool threaded = started > 0;
  scratch_init(main_scratch, opt);
  helper h = { .kr = kr, .scratch = main_scratch };
  if (threaded) read_and_report(&pl, src, opt, rep, &h, res);

  pthread_mutex_lock(&pl.lock);
  pl.shutdown = true;
  pthread_cond_broadcast(&pl.cond_work);
  pthread_mutex_unlock(&pl.lock);
  for (unsigned i = 0; i < started; i++) pthread_join(tids[i], NULL);

  /* Records point at algorithm names inside the clones; every record has been reported and the
   * report copied the names it keeps, so the clones can go now. */
  for (unsigned i = 0; i < started; i++) nta_keyring_destroy(args[i].kr);
  for (size_t i = 0; i < made; i++) free(all[i]);
  free(all);
  free(args);
  free(tids);
  free(main_scratch);
  free(pl.order);
  pthread_mutex_destroy(&pl.lock);
  pthread_cond_destroy(&pl.cond_work);
  pthread_cond_destroy(&pl.cond_done);

  if (!threaded) run_single(src, kr, opt, rep, res);
}

void an_pipeline_run(an_source *src, const nta_keyring *kr, const an_options *opt, an_report *rep,
                     an_run_result *res) {
  memset(res, 0, sizeof *res);
  if (opt->threads > 1 && !opt->iface)
    run_threads(src, kr, opt, rep, res);
  else
    run_single(src, kr, opt, rep, res);
  res->frames = an_source_frames(src);
}
