/* dcf77.c - DCF77 minute frames and the pulse decoder.
 *
 * Bit layout (PTB; ntpsec libparse/clk_rawdcf.c rawdcfcode[]): 0 start (0), 15 R, 16 A1, 17 Z1,
 * 18 Z2, 19 A2, 20 S (1), 21-27 minute, 28 P1, 29-34 hour, 35 P2, 36-41 day, 42-44 weekday,
 * 45-49 month, 50-57 year, 58 P3. BCD fields are LSB first. Parities are even. */
#include "refclock/dcf77.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refclock/timeutil.h"

enum {
  DCF_BIT_START = 0, DCF_BIT_R = 15, DCF_BIT_A1 = 16, DCF_BIT_Z1 = 17, DCF_BIT_Z2 = 18,
  DCF_BIT_A2 = 19, DCF_BIT_S = 20, DCF_MIN = 21, DCF_P1 = 28, DCF_HOUR = 29, DCF_P2 = 35,
  DCF_DAY = 36, DCF_WDAY = 42, DCF_MONTH = 45, DCF_YEAR = 50, DCF_P3 = 58
};

/* BCD weights of the field bits, LSB first. */
static const int bcd_weights[8] = {1, 2, 4, 8, 10, 20, 40, 80};

/* Decodes `n` bits as BCD; -1 when a digit exceeds 9. */
static int bcd_get(const uint8_t *bits, int at, int n) {
  int units = 0, tens = 0;
  for (int i = 0; i < n; i++) {
    if (!bits[at + i]) continue;
    if (i < 4) units += bcd_weights[i];
    else tens += bcd_weights[i];
  }
  if (units > 9) return -1;
  return units + tens;
}

static void bcd_put(uint8_t *bits, int at, int n, int value) {
  int units = value % 10, tens = value / 10;
  for (int i = 0; i < n; i++) bits[at + i] = i < 4 ? (units >> i) & 1 : (tens >> (i - 4)) & 1;
}

static bool even_parity(const uint8_t *bits, int from, int to_incl) {
  int ones = 0;
  for (int i = from; i <= to_incl; i++) ones += bits[i] != 0;
  return (ones & 1) == 0;
}

static bool fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *why, size_t len, const char *fmt, ...) {
  if (why && len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
  }
  return false;
}

bool dcf_decode_frame(const uint8_t *bits, size_t nbits, dcf_minute *out, char *why, size_t why_len) {
  memset(out, 0, sizeof *out);
  if (nbits != DCF_FRAME_BITS && nbits != DCF_FRAME_BITS + 1)
    return fail(why, why_len, "frame has %d bits instead of 59", (int)nbits);
  if (nbits == DCF_FRAME_BITS + 1 && bits[59])
    return fail(why, why_len, "leap-second bit 59 is %d, must be 0", bits[59]);
  if (bits[DCF_BIT_START]) return fail(why, why_len, "start bit is 1, must be 0");
  if (!bits[DCF_BIT_S]) return fail(why, why_len, "time-start bit S is 0, must be 1");
  if (bits[DCF_BIT_Z1] == bits[DCF_BIT_Z2])
    return fail(why, why_len, "Z1 and Z2 are both %d", bits[DCF_BIT_Z1]);
  if (!even_parity(bits, DCF_MIN, DCF_P1)) return fail(why, why_len, "parity P%d (minutes) wrong", 1);
  if (!even_parity(bits, DCF_HOUR, DCF_P2)) return fail(why, why_len, "parity P%d (hours) wrong", 2);
  if (!even_parity(bits, DCF_DAY, DCF_P3)) return fail(why, why_len, "parity P%d (date) wrong", 3);
  out->minute = bcd_get(bits, DCF_MIN, 7);
  out->hour = bcd_get(bits, DCF_HOUR, 6);
  out->day = bcd_get(bits, DCF_DAY, 6);
  out->weekday = bcd_get(bits, DCF_WDAY, 3);
  out->month = bcd_get(bits, DCF_MONTH, 5);
  int yy = bcd_get(bits, DCF_YEAR, 8);
  if (out->minute < 0 || out->minute > 59) return fail(why, why_len, "minute %d out of range", out->minute);
  if (out->hour < 0 || out->hour > 23) return fail(why, why_len, "hour %d out of range", out->hour);
  if (out->month < 1 || out->month > 12) return fail(why, why_len, "month %d out of range", out->month);
  if (yy < 0 || yy > 99) return fail(why, why_len, "year %d out of range", yy);
  if (out->weekday < 1 || out->weekday > 7) return fail(why, why_len, "weekday %d out of range", out->weekday);
  out->year = 2000 + yy;
  if (out->day < 1 || out->day > rcl_days_in_month(out->year, out->month))
    return fail(why, why_len, "day %d out of range for the month", out->day);
  int64_t days = rcl_days_from_civil(out->year, out->month, out->day);
  if (rcl_weekday(days) != out->weekday)
    return fail(why, why_len, "weekday %d does not match the date", out->weekday);
  out->cest = bits[DCF_BIT_Z1] != 0;
  out->dst_announced = bits[DCF_BIT_A1] != 0;
  out->leap_announced = bits[DCF_BIT_A2] != 0;
  out->call_bit = bits[DCF_BIT_R] != 0;
  int64_t local = days * 86400 + out->hour * 3600 + out->minute * 60;
  out->utc = local - (out->cest ? 7200 : 3600);
  return true;
}

/* Last Sunday of a month at 01:00 UTC: the EU switch time. */
static int64_t eu_switch(int64_t year, int month) {
  int last = rcl_days_in_month(year, month);
  int64_t days = rcl_days_from_civil(year, month, last);
  days -= rcl_weekday(days) % 7; /* Sunday = 7 -> 0 */
  return days * 86400 + 3600;
}

bool dcf_is_cest(int64_t utc) {
  int64_t y; int m, d;
  rcl_civil_from_days(utc / 86400 - (utc % 86400 < 0), &y, &m, &d);
  return utc >= eu_switch(y, 3) && utc < eu_switch(y, 10);
}

void dcf_encode_frame(int64_t utc_minute, bool announce_leap, uint8_t bits[DCF_FRAME_BITS]) {
  memset(bits, 0, DCF_FRAME_BITS);
  bool cest = dcf_is_cest(utc_minute);
  int64_t local = utc_minute + (cest ? 7200 : 3600);
  int64_t days = local / 86400, y;
  int m, d;
  rcl_civil_from_days(days, &y, &m, &d);
  int sod = (int)(local - days * 86400);
  int64_t hour_end = utc_minute - (utc_minute % 3600) + 3600;
  bits[DCF_BIT_A1] = dcf_is_cest(hour_end) != cest;
  bits[DCF_BIT_Z1] = cest;
  bits[DCF_BIT_Z2] = !cest;
  bits[DCF_BIT_A2] = announce_leap;
  bits[DCF_BIT_S] = 1;
  bcd_put(bits, DCF_MIN, 7, (sod / 60) % 60);
  bcd_put(bits, DCF_HOUR, 6, sod / 3600);
  bcd_put(bits, DCF_DAY, 6, d);
  bcd_put(bits, DCF_WDAY, 3, rcl_weekday(days));
  bcd_put(bits, DCF_MONTH, 5, m);
  bcd_put(bits, DCF_YEAR, 8, (int)(y % 100));
  bits[DCF_P1] = !even_parity(bits, DCF_MIN, DCF_P1 - 1) ? 1 : 0;
  bits[DCF_P2] = !even_parity(bits, DCF_HOUR, DCF_P2 - 1) ? 1 : 0;
  bits[DCF_P3] = !even_parity(bits, DCF_DAY, DCF_P3 - 1) ? 1 : 0;
}

/* ---- pulse decoder ---- */

#define DCF_WIDTH_WINDOW 60       /* pulses kept for the adaptive 0/1 cutoff */
#define DCF_MARK_GAP 1.5          /* a longer gap is the missing 59th pulse */
#define DCF_LOST_GAP 2.5          /* a longer gap means pulses were lost */
#define DCF_SECOND_TOLERANCE 0.25 /* pulses are 1 s apart within this (reader latency included) */
#define DCF_MIN_WIDTH 0.03
#define DCF_MAX_WIDTH 0.35

struct dcf_decoder {
  double hint;
  double cutoff;
  double widths[DCF_WIDTH_WINDOW];
  size_t nwidths, next_width;
  bool have_last;
  struct timespec last_edge;
  uint8_t bits[DCF_FRAME_BITS + 2];
  size_t nbits;
  bool have_mark;        /* bits[] started at a minute mark */
  bool frame_bad;        /* a pulse of this frame was unreliable */
  char frame_bad_why[80];
  bool prev_ok;          /* the previous frame decoded */
  int64_t prev_utc;
  bool prev_leap_announced;
  bool labelled;         /* seconds of the current minute can be labelled */
  int64_t minute_utc;
  int second;            /* index of the last pulse within the labelled minute */
  int leap;
};

dcf_decoder *dcf_decoder_create(double initial_cutoff) {
  dcf_decoder *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->hint = initial_cutoff > 0 ? initial_cutoff : 0.15;
  d->cutoff = d->hint;
  return d;
}

void dcf_decoder_destroy(dcf_decoder *d) { free(d); }

double dcf_decoder_cutoff(const dcf_decoder *d) { return d->cutoff; }

/* Two-means over the recent widths: receivers and serial adapters stretch or shrink pulses, so
 * the 0/1 threshold is the midpoint between the average short and average long pulse. */
static void update_cutoff(dcf_decoder *d, double width) {
  d->widths[d->next_width] = width;
  d->next_width = (d->next_width + 1) % DCF_WIDTH_WINDOW;
  if (d->nwidths < DCF_WIDTH_WINDOW) d->nwidths++;
  double lo = d->widths[0], hi = d->widths[0];
  for (size_t i = 1; i < d->nwidths; i++) {
    if (d->widths[i] < lo) lo = d->widths[i];
    if (d->widths[i] > hi) hi = d->widths[i];
  }
  /* Until both kinds of pulse have been seen, the hint decides. */
  if (hi - lo < 0.03) { d->cutoff = d->hint; return; }
  double c = (lo + hi) / 2;
  for (int iter = 0; iter < 6; iter++) {
    double s0 = 0, s1 = 0;
    int n0 = 0, n1 = 0;
    for (size_t i = 0; i < d->nwidths; i++) {
      if (d->widths[i] < c) { s0 += d->widths[i]; n0++; }
      else { s1 += d->widths[i]; n1++; }
    }
    if (n0 == 0 || n1 == 0) break;
    double m0 = s0 / n0, m1 = s1 / n1;
    if (m1 - m0 < 0.02) break; /* one cluster only: keep the last good threshold */
    c = (m0 + m1) / 2;
  }
  d->cutoff = c;
}

static void mark_frame_bad(dcf_decoder *d, const char *why) {
  if (!d->frame_bad) snprintf(d->frame_bad_why, sizeof d->frame_bad_why, "%s", why);
  d->frame_bad = true;
  d->labelled = false;
}

static void set_error(dcf_event *ev, const char *why) {
  ev->kind = DCF_EV_ERROR;
  snprintf(ev->why, sizeof ev->why, "DCF77 minute rejected: %s", why);
}

/* The pulse after a minute gap: decode what came before, start a new frame. */
static void on_minute_mark(dcf_decoder *d, dcf_event *ev) {
  bool was_labelled = d->labelled;
  d->labelled = false;
  if (d->have_mark) {
    char why[80];
    dcf_minute m;
    if (d->frame_bad) {
      set_error(ev, d->frame_bad_why);
    } else if (d->nbits == DCF_FRAME_BITS + 1 && !d->prev_leap_announced) {
      set_error(ev, "60 pulses without a leap-second announcement");
    } else if (!dcf_decode_frame(d->bits, d->nbits, &m, why, sizeof why)) {
      set_error(ev, why);
    } else if (d->prev_ok && was_labelled && m.utc != d->prev_utc + 60) {
      /* Consecutive frames must be consecutive minutes; one of the two is wrong. */
      set_error(ev, "not one minute after the previous frame");
      d->prev_ok = false;
      d->nbits = 0;
      d->frame_bad = false;
      return;
    } else {
      ev->kind = DCF_EV_MINUTE;
      ev->utc = m.utc;
      ev->frame = m;
      d->leap = m.leap_announced ? 1 : 0;
      ev->leap = d->leap;
      d->prev_ok = true;
      d->prev_utc = m.utc;
      d->prev_leap_announced = m.leap_announced;
      d->labelled = true;
      d->minute_utc = m.utc;
      d->second = 0;
    }
    if (ev->kind == DCF_EV_ERROR) d->prev_ok = false;
  }
  d->have_mark = true;
  d->nbits = 0;
  d->frame_bad = false;
}

void dcf_decoder_feed(dcf_decoder *d, const struct timespec *edge, double width, dcf_event *ev) {
  memset(ev, 0, sizeof *ev);
  if (!(width >= DCF_MIN_WIDTH && width <= DCF_MAX_WIDTH)) {
    /* A glitch, not a second pulse: it says nothing about the frame's timing. */
    mark_frame_bad(d, "implausible pulse width");
    ev->kind = DCF_EV_ERROR;
    snprintf(ev->why, sizeof ev->why, "DCF77 pulse width %.3f s implausible", width);
    return;
  }
  double gap = d->have_last ? rcl_ts_diff(edge, &d->last_edge) : 0.0;
  if (d->have_last && gap < 1.0 - DCF_SECOND_TOLERANCE) {
    mark_frame_bad(d, "extra pulse");
    ev->kind = DCF_EV_ERROR;
    snprintf(ev->why, sizeof ev->why, "DCF77 extra pulse %.3f s after the previous one", gap);
    return;
  }
  uint8_t bit = width >= d->cutoff;
  update_cutoff(d, width);
  bool first = !d->have_last;
  d->have_last = true;
  d->last_edge = *edge;
  if (first) return;
  if (gap > DCF_LOST_GAP) {
    /* Several pulses missing: nothing collected so far can be trusted. */
    d->have_mark = false;
    d->labelled = false;
    d->prev_ok = false;
    d->nbits = 0;
    d->frame_bad = false;
    ev->kind = DCF_EV_ERROR;
    snprintf(ev->why, sizeof ev->why, "DCF77 no pulse for %.1f s", gap);
    return;
  }
  if (gap > DCF_MARK_GAP) {
    on_minute_mark(d, ev);
    d->bits[d->nbits++] = bit;
    return;
  }
  if (fabs(gap - 1.0) > DCF_SECOND_TOLERANCE) mark_frame_bad(d, "pulse off the second");
  if (d->nbits >= DCF_FRAME_BITS + 1) {
    mark_frame_bad(d, "more than 60 pulses without a minute mark");
    if (d->nbits > DCF_FRAME_BITS + 1) return;
  }
  d->bits[d->nbits++] = bit;
  if (d->labelled) {
    d->second++;
    /* The 60th second of a leap minute has no POSIX label of its own. */
    if (d->second <= 59) {
      ev->kind = DCF_EV_SECOND;
      ev->utc = d->minute_utc + d->second;
      ev->leap = d->leap;
    }
  }
}
