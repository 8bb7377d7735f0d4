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

typedef struct {
  bool active;
  bool invalid;
  time_t label_sec;        /* the second being labelled */
  struct timespec ref;     /* label incl. fraction */
  struct timespec sys;     /* arrival of the first '$' of the second, minus time2 */
} nmea_pending;

struct nmea_driver {
  rcl_sink sink;
  double char_time;        /* seconds per character (10 bits) */
  double time2;
  uint8_t line[NMEA_MAX_SENTENCE + 1];
  size_t line_len;
  bool in_line;
  bool overflow;
  struct timespec line_start;  /* arrival of this line's '$' */
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

void nmea_driver_input(nmea_driver *d, const uint8_t *buf, size_t len, const struct timespec *rx_time) {
  for (size_t i = 0; i < len; i++) {
    uint8_t c = buf[i];
    if (c == '$') {
      if (d->in_line && !d->overflow && d->line_len > 0)
        rcl_sink_error(&d->sink, "NMEA sentence cut short by '$'");
      struct timespec t = rcl_ts_add(rx_time, -(double)(len - 1 - i) * d->char_time);
      if (d->have_prev_rx && rcl_ts_cmp(&t, &d->prev_rx) < 0) t = d->prev_rx;
      d->line_start = t;
      d->in_line = true;
      d->overflow = false;
      d->line_len = 0;
    }
    if (!d->in_line) continue;
    if (c == '\r' || c == '\n') {
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
