/* tap.c - the capture tap's policy: junk budget, rotation, pauses after write errors (see tap.h). */
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tapfile.h"

#define TAP_RETRY_S 1.0

typedef enum { TAP_RECORDING, TAP_PAUSED, TAP_FULL } tap_state;

struct srv_tap {
  tap_options opt;
  char path[1024];
  tap_file file;
  tap_state state;
  double junk_tokens, junk_last;   /* token bucket of unanswered datagrams */
  double paused_at, retry_at;      /* seconds (CLOCK_REALTIME) */
  int pause_errno;
  uint64_t written, junk_skipped, lost, lost_in_gap, rotations;
  size_t pending_records;
};

static double secs(const struct timespec *t) { return (double)t->tv_sec + (double)t->tv_nsec * 1e-9; }

srv_tap *tap_open(const tap_options *o, nta_diag *err) {
  srv_tap *t = calloc(1, sizeof *t);
  if (!t) { nta_diag_set(err, NTA_ERR_NOMEM, "out of memory"); return NULL; }
  t->opt = *o;
  snprintf(t->path, sizeof t->path, "%s", o->path);
  t->opt.path = t->path;
  t->file.fd = -1;
  snprintf(t->file.path, sizeof t->file.path, "%s", o->path);
  t->file.keep = o->keep;
  t->file.uid = o->uid;
  t->file.gid = o->gid;
  t->file.chown = o->chown;
  t->junk_tokens = o->junk_rate;
  if (tf_check_path(o->path, err) != NTA_OK || tf_rotate_names(o->path, o->keep, err) != NTA_OK ||
      tf_create(&t->file, err) != NTA_OK) {
    free(t);
    return NULL;
  }
  return t;
}

void tap_close(srv_tap *t) {
  if (!t) return;
  tap_flush(t);
  tf_close(&t->file);
  free(t);
}

static bool junk_allowed(srv_tap *t, double now) {
  double rate = t->opt.junk_rate;
  if (rate <= 0) return false;
  if (now > t->junk_last) t->junk_tokens += (now - t->junk_last) * rate;
  if (t->junk_tokens > rate) t->junk_tokens = rate;   /* at most one second's worth at once */
  t->junk_last = now;
  if (t->junk_tokens < 1.0) return false;
  t->junk_tokens -= 1.0;
  return true;
}

static void pause_recording(srv_tap *t, double now, int e) {
  if (t->state != TAP_PAUSED) {
    log_msg(LOG_ERR, "pcap %s: %s; recording paused, retried every second", t->path, strerror(e));
    t->state = TAP_PAUSED;
    t->paused_at = now;
    t->pause_errno = e;
    t->lost_in_gap = 0;
  }
  t->retry_at = now + TAP_RETRY_S;
}

static void write_pending(srv_tap *t, double now) {
  if (!t->file.pending_len) return;
  int e;
  size_t lost = tf_flush(&t->file, &e);
  t->written += t->pending_records - lost;
  t->pending_records = 0;
  t->lost += lost;
  t->lost_in_gap += lost;
  if (e) { pause_recording(t, now, e); return; }
  if (t->state == TAP_PAUSED) {
    log_msg(LOG_NOTICE, "pcap %s: recording resumed after %.0f s; %llu records lost in the gap (%s)",
            t->path, now - t->paused_at, (unsigned long long)t->lost_in_gap, strerror(t->pause_errno));
    t->state = TAP_RECORDING;
  }
}

/* The current file would grow past maxsize: start the next one. */
static void rotate(srv_tap *t, double now) {
  write_pending(t, now);
  if (t->state == TAP_FULL) return;
  if (!t->opt.can_rotate) {
    log_msg(LOG_WARNING, "pcap %s: maxsize reached and the run user cannot create files in its "
            "folder: recording stopped", t->path);
    t->state = TAP_FULL;
    return;
  }
  nta_diag err;
  tf_close(&t->file);
  if (tf_rotate_names(t->path, t->opt.keep, &err) != NTA_OK || tf_create(&t->file, &err) != NTA_OK) {
    log_msg(LOG_ERR, "pcap: %s; recording stopped", err.msg);
    t->state = TAP_FULL;
    return;
  }
  t->rotations++;
}

void tap_record(srv_tap *t, const struct timespec *ts, const nta_endpoint *src,
                const nta_endpoint *dst, const uint8_t *data, size_t len, size_t orig_len,
                bool junk) {
  if (!t || src->family != dst->family) return;   /* nothing sensible to record */
  double now = secs(ts);
  if (junk && !junk_allowed(t, now)) { t->junk_skipped++; return; }
  if (t->state == TAP_FULL) { t->lost++; return; }
  if (t->state == TAP_PAUSED) {
    if (now < t->retry_at) { t->lost++; t->lost_in_gap++; return; }
    t->retry_at = now + TAP_RETRY_S;   /* one attempt: this record, at the next flush */
  }
  uint64_t size = tf_record_size(&t->file, src, len);
  if (t->opt.max_bytes && t->file.size + t->file.pending_len + size > t->opt.max_bytes &&
      t->file.size + t->file.pending_len > 24)
    rotate(t, now);
  if (t->state == TAP_FULL) { t->lost++; return; }
  if (!tf_add(&t->file, ts, src, dst, data, len, orig_len)) {
    write_pending(t, now);
    if (!tf_add(&t->file, ts, src, dst, data, len, orig_len)) { t->lost++; return; }
  }
  t->pending_records++;
}

void tap_flush(srv_tap *t) {
  if (!t || !t->file.pending_len) return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  write_pending(t, secs(&now));
}

size_t tap_format_status(const srv_tap *t, char *buf, size_t len) {
  if (!t || !len) return 0;
  static const char *const names[] = { "recording", "paused after a write error", "stopped at maxsize" };
  int n = snprintf(buf, len, "pcap %s: %s, %llu records, %llu rotations, %llu unanswered datagrams "
                   "not recorded (over %u/s), %llu records lost to write errors\n", t->path,
                   names[t->state], (unsigned long long)t->written,
                   (unsigned long long)t->rotations, (unsigned long long)t->junk_skipped,
                   t->opt.junk_rate, (unsigned long long)t->lost);
  if (n < 0) return 0;
  return (size_t)n < len ? (size_t)n : len - 1;
}
