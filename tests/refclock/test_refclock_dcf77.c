/* DCF77: frame encode/decode, parity and plausibility rejection, CET/CEST, announcements, and the
 * pulse decoder fed with (timestamp, width) pairs: adaptive cutoff, minute mark, labelling. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "refclock/dcf77.h"
#include "dcf77_driver.h"
#include "refclock/timeutil.h"

static int64_t utc(int y, int mo, int d, int h, int mi) {
  return rcl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static void test_roundtrip(void) {
  /* Every 7 minutes for two years: covers DST switches, month ends, leap day 2028. */
  int64_t from = utc(2026, 1, 1, 0, 0), to = utc(2028, 12, 31, 0, 0);
  for (int64_t t = from; t < to; t += 7 * 60 * 13) {
    uint8_t bits[DCF_FRAME_BITS];
    dcf_encode_frame(t, false, bits);
    dcf_minute m;
    char why[96];
    g_assert_true(dcf_decode_frame(bits, DCF_FRAME_BITS, &m, why, sizeof why));
    g_assert_cmpint(m.utc, ==, t);
    g_assert_cmpint(m.cest, ==, dcf_is_cest(t));
  }
}

static void test_known_frame(void) {
  /* 2026-07-01 12:34 CEST (10:34 UTC), a Wednesday. */
  int64_t t = utc(2026, 7, 1, 10, 34);
  uint8_t b[DCF_FRAME_BITS];
  dcf_encode_frame(t, true, b);
  g_assert_cmpint(b[0], ==, 0);
  g_assert_cmpint(b[20], ==, 1);
  g_assert_cmpint(b[17], ==, 1); /* Z1: CEST */
  g_assert_cmpint(b[18], ==, 0);
  g_assert_cmpint(b[19], ==, 1); /* A2 */
  /* minute 34: units 4 (bit 23), tens 3 (bits 25, 26) */
  g_assert_cmpint(b[21] | b[22] << 1 | b[23] << 2 | b[24] << 3, ==, 4);
  g_assert_cmpint(b[25] | b[26] << 1 | b[27] << 2, ==, 3);
  /* hour 12 */
  g_assert_cmpint(b[29] | b[30] << 1 | b[31] << 2 | b[32] << 3, ==, 2);
  g_assert_cmpint(b[33] | b[34] << 1, ==, 1);
  /* weekday 3 (Wednesday) */
  g_assert_cmpint(b[42] | b[43] << 1 | b[44] << 2, ==, 3);
  dcf_minute m;
  char why[96];
  g_assert_true(dcf_decode_frame(b, DCF_FRAME_BITS, &m, why, sizeof why));
  g_assert_cmpint(m.hour, ==, 12);
  g_assert_cmpint(m.minute, ==, 34);
  g_assert_true(m.cest);
  g_assert_true(m.leap_announced);
  g_assert_cmpint(m.utc, ==, t);
  /* Winter: CET, UTC+1. */
  int64_t w = utc(2026, 1, 15, 23, 30);
  dcf_encode_frame(w, false, b);
  g_assert_true(dcf_decode_frame(b, DCF_FRAME_BITS, &m, why, sizeof why));
  g_assert_false(m.cest);
  g_assert_cmpint(m.hour, ==, 0);
  g_assert_cmpint(m.day, ==, 16);
  g_assert_cmpint(m.utc, ==, w);
  /* The hour before the switch to CEST (2026-03-29 01:00 UTC) announces it (A1). */
  dcf_encode_frame(utc(2026, 3, 29, 0, 30), false, b);
  g_assert_true(dcf_decode_frame(b, DCF_FRAME_BITS, &m, why, sizeof why));
  g_assert_true(m.dst_announced);
  g_assert_false(m.cest);
  dcf_encode_frame(utc(2026, 3, 29, 1, 0), false, b);
  g_assert_true(dcf_decode_frame(b, DCF_FRAME_BITS, &m, why, sizeof why));
  g_assert_true(m.cest);
  g_assert_cmpint(m.hour, ==, 3);
}

static void expect_reject(const uint8_t *bits, size_t n, const char *needle) {
  dcf_minute m;
  char why[96];
  g_assert_false(dcf_decode_frame(bits, n, &m, why, sizeof why));
  if (!strstr(why, needle)) g_error("reason '%s' lacks '%s'", why, needle);
}

static void test_rejects(void) {
  uint8_t good[DCF_FRAME_BITS + 1], b[DCF_FRAME_BITS + 1];
  dcf_encode_frame(utc(2026, 11, 27, 12, 0), false, good);
  good[59] = 0;
  for (int p = 0; p < 3; p++) {
    static const int field_bit[3] = {21, 29, 36};
    memcpy(b, good, sizeof b);
    b[field_bit[p]] ^= 1;
    char needle[8];
    g_snprintf(needle, sizeof needle, "P%d", p + 1);
    expect_reject(b, DCF_FRAME_BITS, needle);
  }
  memcpy(b, good, sizeof b); b[58] ^= 1; expect_reject(b, DCF_FRAME_BITS, "P3");
  memcpy(b, good, sizeof b); b[17] = b[18] = 1; expect_reject(b, DCF_FRAME_BITS, "Z1 and Z2");
  memcpy(b, good, sizeof b); b[20] = 0; expect_reject(b, DCF_FRAME_BITS, "S is 0");
  memcpy(b, good, sizeof b); b[0] = 1; expect_reject(b, DCF_FRAME_BITS, "start bit");
  expect_reject(good, 58, "58 bits");
  /* Weekday that does not match the date (parity fixed up so only plausibility fails). */
  memcpy(b, good, sizeof b);
  b[42] ^= 1; b[58] ^= 1;
  expect_reject(b, DCF_FRAME_BITS, "weekday");
  /* Minute 60-something: tens 6 with units 0 (parity fixed). */
  memcpy(b, good, sizeof b);
  for (int i = 21; i <= 27; i++) b[i] = 0;
  b[26] = b[27] = 1; b[28] = 0;
  expect_reject(b, DCF_FRAME_BITS, "minute 60");
}

/* ---- pulse decoder ---- */

typedef struct {
  dcf_decoder *d;
  int minutes, seconds, errors, leap;
  int64_t last_utc;
  double max_label_error;
  char last_error[128];
} run_result;

/* Feeds `n` seconds of the signal for simulated UTC seconds starting at `t0` (system time =
 * simulated time - offset) and checks every label against the truth. */
static void feed(run_result *r, int64_t t0, int n, double offset, double w0, double w1, bool leap,
                 int corrupt_minute_parity_every) {
  GRand *rng = g_rand_new_with_seed(7);
  for (int64_t t = t0; t < t0 + n; t++) {
    int64_t minute = t - (t % 60);
    int sec = (int)(t % 60);
    if (sec == 59) continue;
    uint8_t bits[DCF_FRAME_BITS];
    dcf_encode_frame(minute + 60, leap, bits);
    if (corrupt_minute_parity_every && (minute / 60) % corrupt_minute_parity_every == 0) bits[58] ^= 1;
    double width = (bits[sec] ? w1 : w0) + g_rand_double_range(rng, -0.01, 0.01);
    struct timespec tt = {.tv_sec = (time_t)t, .tv_nsec = 0};
    struct timespec edge = rcl_ts_add(&tt, -offset);
    dcf_event ev;
    dcf_decoder_feed(r->d, &edge, width, &ev);
    if (ev.kind == DCF_EV_MINUTE) r->minutes++;
    if (ev.kind == DCF_EV_SECOND) r->seconds++;
    if (ev.kind == DCF_EV_ERROR) { r->errors++; g_strlcpy(r->last_error, ev.why, sizeof r->last_error); }
    if (ev.kind == DCF_EV_MINUTE || ev.kind == DCF_EV_SECOND) {
      /* The label must be the true simulated second of this edge. */
      g_assert_cmpint(ev.utc, ==, t);
      r->leap = ev.leap;
      r->last_utc = ev.utc;
    }
  }
  g_rand_free(rng);
}

static void test_decoder_clean(void) {
  run_result r = {.d = dcf_decoder_create(0.15)};
  /* Start at second 30: the first mark comes after 29 s, the first full minute 60 s later. */
  int64_t t0 = utc(2026, 11, 27, 11, 59) + 30;
  feed(&r, t0, 29 + 1, 3.5, 0.1, 0.2, false, 0);
  g_assert_cmpint(r.minutes, ==, 0); /* a partial frame never decodes */
  /* 12:00:00 is the first mark; the frame sent during 12:00 decodes at the 12:01:00 mark. */
  feed(&r, t0 + 30, 60, 3.5, 0.1, 0.2, false, 0);
  g_assert_cmpint(r.minutes, ==, 0);
  feed(&r, t0 + 90, 1, 3.5, 0.1, 0.2, false, 0);
  g_assert_cmpint(r.minutes, ==, 1);
  g_assert_cmpint(r.errors, ==, 0);
  feed(&r, t0 + 91, 120, 3.5, 0.1, 0.2, false, 0);
  g_assert_cmpint(r.minutes, ==, 3);
  g_assert_cmpint(r.seconds, >, 100);
  g_assert_cmpint(r.leap, ==, 0);
  g_assert_cmpfloat(fabs(dcf_decoder_cutoff(r.d) - 0.15), <, 0.02);
  dcf_decoder_destroy(r.d);
}

static void test_decoder_adaptive(void) {
  /* A receiver whose pulses come out as 60/130 ms: the fixed 150 ms cutoff would read all 0s. */
  run_result r = {.d = dcf_decoder_create(0.15)};
  int64_t t0 = utc(2026, 11, 27, 12, 0);
  feed(&r, t0, 240, -1.0, 0.06, 0.13, false, 0);
  g_assert_cmpint(r.minutes, >=, 2);
  g_assert_cmpfloat(dcf_decoder_cutoff(r.d), <, 0.11);
  dcf_decoder_destroy(r.d);
}

static void test_decoder_parity_and_leap(void) {
  run_result r = {.d = dcf_decoder_create(0.15)};
  int64_t t0 = utc(2026, 11, 27, 12, 0);
  feed(&r, t0, 240, 0, 0.1, 0.2, false, 1);
  g_assert_cmpint(r.minutes, ==, 0);
  g_assert_cmpint(r.seconds, ==, 0);
  g_assert_cmpint(r.errors, >=, 2);
  g_assert_nonnull(strstr(r.last_error, "P3"));
  dcf_decoder_destroy(r.d);

  run_result l = {.d = dcf_decoder_create(0.15)};
  feed(&l, t0, 181, 0, 0.1, 0.2, true, 0);
  g_assert_cmpint(l.minutes, >=, 2);
  g_assert_cmpint(l.leap, ==, 1);
  dcf_decoder_destroy(l.d);
}

static void test_decoder_glitches(void) {
  run_result r = {.d = dcf_decoder_create(0.15)};
  int64_t t0 = utc(2026, 11, 27, 12, 0);
  feed(&r, t0, 122, 0, 0.1, 0.2, false, 0); /* up to 12:02:01 */
  int minutes = r.minutes;
  g_assert_cmpint(minutes, ==, 1);
  /* An extra pulse half a second after a real one spoils that minute. */
  struct timespec e = {.tv_sec = (time_t)(t0 + 121), .tv_nsec = 500000000};
  dcf_event ev;
  dcf_decoder_feed(r.d, &e, 0.1, &ev);
  g_assert_cmpint(ev.kind, ==, DCF_EV_ERROR);
  g_assert_nonnull(strstr(ev.why, "extra"));
  /* An implausible width too. */
  dcf_decoder_feed(r.d, &e, 0.9, &ev);
  g_assert_cmpint(ev.kind, ==, DCF_EV_ERROR);
  g_assert_nonnull(strstr(ev.why, "width"));
  feed(&r, t0 + 122, 59, 0, 0.1, 0.2, false, 0); /* up to the 12:03:00 mark */
  g_assert_cmpint(r.minutes, ==, minutes); /* the spoiled minute is rejected... */
  g_assert_nonnull(strstr(r.last_error, "extra pulse"));
  feed(&r, t0 + 181, 60, 0, 0.1, 0.2, false, 0);
  g_assert_cmpint(r.minutes, ==, minutes + 1); /* ...and the next clean one is taken */
  /* A long outage resets everything. */
  e.tv_sec = (time_t)(t0 + 300);
  e.tv_nsec = 0;
  dcf_decoder_feed(r.d, &e, 0.1, &ev);
  g_assert_cmpint(ev.kind, ==, DCF_EV_ERROR);
  g_assert_nonnull(strstr(ev.why, "no pulse"));
  dcf_decoder_destroy(r.d);
}

static void test_leap_minute(void) {
  /* A leap second at 2026-12-31T23:59:60Z: the frame sent in the last minute has 60 bits (bit 59
   * = 0), and the minute before announced it (A2). */
  dcf_decoder *d = dcf_decoder_create(0.15);
  int64_t last_minute = utc(2026, 12, 31, 23, 59); /* transmits the frame of 00:00 UTC */
  int labels = 0;
  double sys = (double)(last_minute - 120);
  for (int64_t minute = last_minute - 120; minute <= last_minute + 60; minute += 60) {
    uint8_t bits[DCF_FRAME_BITS + 1];
    bool leap_minute = minute == last_minute;
    /* A2 in the frame before the leap minute (it is outside the parity ranges). */
    dcf_encode_frame(minute + 60, minute == last_minute - 60, bits);
    bits[59] = 0;
    int nsec = leap_minute ? 60 : 59;
    for (int s = 0; s < nsec; s++) {
      struct timespec edge = {.tv_sec = (time_t)sys, .tv_nsec = 0};
      dcf_event ev;
      dcf_decoder_feed(d, &edge, bits[s] ? 0.2 : 0.1, &ev);
      if (ev.kind == DCF_EV_ERROR) g_error("unexpected error: %s", ev.why);
      if (ev.kind == DCF_EV_MINUTE) {
        labels++;
        g_assert_cmpint(ev.utc, ==, minute);
      }
      sys += 1;
    }
    sys += 1; /* the silent last second */
  }
  g_assert_cmpint(labels, ==, 2);
  dcf_decoder_destroy(d);
}

static void test_serial_chars(void) {
  /* 50 baud: 20 ms bits. 100 ms -> start + 4 zero bits = 0xF0; 200 ms -> 0x00. */
  g_assert_cmphex(dcf_width_char(0.1, 50), ==, 0xF0);
  g_assert_cmphex(dcf_width_char(0.2, 50), ==, 0x00);
  g_assert_cmpfloat_with_epsilon(dcf_char_width(0xF0, 50), 0.1, 1e-9);
  g_assert_cmpfloat_with_epsilon(dcf_char_width(0x00, 50), 0.2, 1e-9);
  g_assert_cmpfloat_with_epsilon(dcf_char_width(0xF8, 50), 0.08, 1e-9);
  g_assert_cmpfloat(dcf_char_width(0x5A, 50), <, 0);
  /* 75 baud: a 200 ms pulse outlasts the 133 ms character. */
  g_assert_cmphex(dcf_width_char(0.1, 75), ==, 0x80);
  g_assert_cmphex(dcf_width_char(0.2, 75), ==, 0x00);
}

typedef struct {
  int samples, errors;
  struct timespec sys, ref;
  int leap;
} sink_state;

static void on_sample(void *ctx, const struct timespec *sys, const struct timespec *ref, int leap) {
  sink_state *s = ctx;
  s->samples++;
  s->sys = *sys;
  s->ref = *ref;
  s->leap = leap;
}
static void on_error(void *ctx, const char *why) { ((sink_state *)ctx)->errors++; }

static void run_driver(int baud, double time1) {
  sink_state st = {0};
  rcl_sink sink = {on_sample, on_error, &st};
  dcf_driver *drv = dcf_driver_create(baud, time1, &sink);
  double char_time = 10.0 / baud, offset = -7.25;
  int64_t t0 = utc(2026, 11, 27, 12, 0) + 50;
  for (int64_t t = t0; t < t0 + 200; t++) {
    int sec = (int)(t % 60);
    if (sec == 59) continue;
    uint8_t bits[DCF_FRAME_BITS];
    dcf_encode_frame(t - sec + 60, false, bits);
    uint8_t c = dcf_width_char(bits[sec] ? 0.2 : 0.1, baud);
    struct timespec tt = {.tv_sec = (time_t)t, .tv_nsec = 0};
    /* The character arrives one character time plus the receiver delay after the edge. */
    struct timespec rx = rcl_ts_add(&tt, -offset + char_time + time1);
    dcf_driver_input(drv, &c, 1, &rx);
  }
  g_assert_cmpint(st.errors, ==, 0);
  g_assert_cmpint(st.samples, >, 100);
  g_assert_cmpfloat_with_epsilon(rcl_ts_diff(&st.ref, &st.sys), offset, 1e-6);
  dcf_driver_destroy(drv);
}

static void test_driver(void) {
  run_driver(50, 0.0);
  run_driver(50, 0.03);
  run_driver(75, 0.0);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/refclock/dcf77/roundtrip", test_roundtrip);
  g_test_add_func("/refclock/dcf77/known-frame", test_known_frame);
  g_test_add_func("/refclock/dcf77/rejects", test_rejects);
  g_test_add_func("/refclock/dcf77/decoder-clean", test_decoder_clean);
  g_test_add_func("/refclock/dcf77/decoder-adaptive", test_decoder_adaptive);
  g_test_add_func("/refclock/dcf77/decoder-parity-leap", test_decoder_parity_and_leap);
  g_test_add_func("/refclock/dcf77/decoder-glitches", test_decoder_glitches);
  g_test_add_func("/refclock/dcf77/leap-minute", test_leap_minute);
  g_test_add_func("/refclock/dcf77/serial-chars", test_serial_chars);
  g_test_add_func("/refclock/dcf77/driver", test_driver);
  return g_test_run();
}
