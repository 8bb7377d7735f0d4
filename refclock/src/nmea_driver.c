/* nmea_driver.c - NMEA byte stream -> one time sample per second. */
#include "nmea_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refclock/nmea.h"
#include "refclock/timeutil.h"

/* A burst of sentences for one second lasts at most ~0.5 s at 4800 baud: after this much time
 * without a sentence of a newer second, the pending second is complete. */
#define NMEA_PENDING_CLOSE_S 0.8
/* A UART hands over what its FIFO held (16 bytes on a 16550A) plus what arrived while the reader
 * woke up: a whole sentence longer than this in one read cannot have trickled in at the line
 * rate. */
#define NMEA_UART_CHUNK 32
/* Sentence bytes after the read that brought the '$' are "paced" when they took at least half
 * their line time to come in (with this much slack for scheduling). */
#define NMEA_PACE_SLACK_S 0.002

typedef struct {
  bool active;
  bool invalid;
  time_t label_sec;        /* the second being labelled */
  struct timespec ref;     /* label incl. fraction */
  struct timespec sys;     /* arrival of the first '$' of the second, minus time2: */
  struct timespec sys_read;  /* ... as the arrival of the read that brought it (bursts) */
} nmea_pending;

struct nmea_driver {
  rcl_sink sink;
  nmea_timing timing;      /* how the device delivers bytes, from the latest telling sentence */
  double char_time;        /* seconds per character (10 bits) */
  double time2;
  uint8_t line[NMEA_MAX_SENTENCE + 1];
  size_t line_len;
  bool in_line;
  bool overflow;
  struct timespec line_start;  /* arrival of this line's '$', back-dated at the line rate */
  struct timespec line_read;   /* arrival of the read that brought this line's '$' */
  size_t line_in_first;        /* characters of this line in that read */
  struct timespec prev_rx;     /* bytes of a new chunk cannot predate the previous chunk */
  bool have_prev_rx;
  bool have_anchor;
  time_t anchor;               /* UTC of the last dated sentence (for GGA) */
  nmea_pending pend;
  bool have_last;
  struct timespec last_sys;
  double last_offset;
};

nmea_driver *nmea_driver_create(int baud, double time2, const rcl_sink *sink) {
  nmea_driver *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->sink = *sink;
  d->char_time = 10.0 / (baud > 0 ? baud : 9600);
  d->time2 = time2;
  return d;
}

void nmea_driver_destroy(nmea_driver *d) { free(d); }

static void emit_pending(nmea_driver *d) {
  if (!d->pend.active) return;
  /* Decided when the second is complete: its later sentences tell best how the device delivers. */
  if (d->timing == NMEA_TIMING_BURST) d->pend.sys = d->pend.sys_read;
  if (!d->pend.invalid) {
    rcl_sink_sample(&d->sink, &d->pend.sys, &d->pend.ref, 0);
    d->have_last = true;
    d->last_sys = d->pend.sys;
    d->last_offset = rcl_ts_diff(&d->pend.ref, &d->pend.sys);
  }
  d->pend.active = false;
}

/* Registers a sentence that belongs to second `label` (valid or not). */
static void note_second(nmea_driver *d, const struct timespec *label, bool valid) {
  if (d->pend.active && d->pend.label_sec != label->tv_sec) emit_pending(d);
  if (!d->pend.active) {
    d->pend.active = true;
    d->pend.invalid = false;
    d->pend.label_sec = label->tv_sec;
    d->pend.ref = *label;
    d->pend.sys = rcl_ts_add(&d->line_start, -d->time2);
    /* A burst handed over at once: its bytes arrived with the read, not one by one before it. */
    d->pend.sys_read = rcl_ts_add(&d->line_read, -d->time2);
  }
  if (!valid) d->pend.invalid = true;
}

static void handle_sentence(nmea_driver *d) {
  char why[96];
  nmea_sentence s;
  nmea_result r = nmea_parse(d->line, d->line_len, &s, why, sizeof why);
  if (r == NMEA_IGNORED) return;
  if (r == NMEA_BAD_FORMAT || r == NMEA_BAD_CHECKSUM) {
    char msg[128];
    snprintf(msg, sizeof msg, "NMEA %s: %s", nmea_result_name(r), why);
    rcl_sink_error(&d->sink, msg);
    return;
  }
  bool valid = r == NMEA_OK;
  struct timespec label;
  bool labelled = false;
  if (s.has_date && nmea_sentence_time(&s, &label)) {
    labelled = true;
    if (valid) { d->have_anchor = true; d->anchor = label.tv_sec; }
  } else if (s.has_time && d->have_anchor) {
    labelled = nmea_time_near(&s, d->anchor, &label);
  }
  if (!valid) {
    char msg[128];
    snprintf(msg, sizeof msg, "NMEA invalid fix: %s", why);
    rcl_sink_error(&d->sink, msg);
    /* An invalid fix without a time still spoils the second it arrived in. */
    if (labelled) note_second(d, &label, false);
    else if (d->pend.active && rcl_ts_diff(&d->line_start, &d->pend.sys) < NMEA_PENDING_CLOSE_S)
      d->pend.invalid = true;
    return;
  }
  if (labelled) note_second(d, &label, true);
}

/* What a finished sentence tells about the device: `len` characters from '$' to the terminator,
 * which came in the read at `end_rx`. Characters after the '$'-read that arrived much faster than
 * the line can carry them, or a long sentence in a single read, were handed over in a burst. */
static void learn_timing(nmea_driver *d, size_t len, const struct timespec *end_rx) {
  size_t after = len > d->line_in_first ? len - d->line_in_first : 0;
  if (after == 0) {
    if (len > NMEA_UART_CHUNK) d->timing = NMEA_TIMING_BURST;
    return;   /* a short sentence in one read tells nothing */
  }
  if ((double)after * d->char_time < 2 * NMEA_PACE_SLACK_S) return;   /* too few to tell */
  double span = rcl_ts_diff(end_rx, &d->line_read);
  d->timing = (double)after * d->char_time > 2.0 * span + NMEA_PACE_SLACK_S ? NMEA_TIMING_BURST
                                                                              : NMEA_TIMING_PACED;
}

static void start_line(nmea_driver *d, size_t len, size_t i, const struct timespec *rx_time) {
  if (d->in_line && !d->overflow && d->line_len > 0)
    rcl_sink_error(&d->sink, "NMEA sentence cut short by '$'");
  struct timespec t = rcl_ts_add(rx_time, -(double)(len - 1 - i) * d->char_time);
  if (d->have_prev_rx && rcl_ts_cmp(&t, &d->prev_rx) < 0) t = d->prev_rx;
  d->line_start = t;
  d->line_read = *rx_time;
  d->line_in_first = len - i;
  d->in_line = true;
  d->overflow = false;
  d->line_len = 0;
}

void nmea_driver_input(nmea_driver *d, const uint8_t *buf, size_t len, const struct timespec *rx_time) {
  for (size_t i = 0; i < len; i++) {
    uint8_t c = buf[i];
    if (c == '$') start_line(d, len, i, rx_time);
    if (!d->in_line) continue;
    if (c == '\r' || c == '\n') {
      learn_timing(d, d->line_len + 1, rx_time);
      if (d->overflow) rcl_sink_error(&d->sink, "NMEA sentence longer than 80 characters");
      else handle_sentence(d);
      d->in_line = false;
      continue;
    }
    if (d->line_len >= NMEA_MAX_SENTENCE) { d->overflow = true; continue; }
    d->line[d->line_len++] = c;
  }
  d->prev_rx = *rx_time;
  d->have_prev_rx = true;
}

void nmea_driver_tick(nmea_driver *d, const struct timespec *now) {
  if (d->pend.active && rcl_ts_diff(now, &d->pend.sys) > NMEA_PENDING_CLOSE_S + d->time2) emit_pending(d);
}

bool nmea_driver_last_offset(const nmea_driver *d, struct timespec *sys, double *offset) {
  if (!d->have_last) return false;
  *sys = d->last_sys;
  *offset = d->last_offset;
  return true;
}

nmea_timing nmea_driver_timing(const nmea_driver *d) { return d->timing; }

const char *nmea_timing_name(nmea_timing t) {
  switch (t) {
  case NMEA_TIMING_PACED: return "line-rate back-dating (bytes trickle in at the baud rate)";
  case NMEA_TIMING_BURST: return "arrival of the read with the '$' (device hands over bursts)";
  case NMEA_TIMING_UNKNOWN: break;
  }
  return "not known yet (line-rate back-dating)";
}
