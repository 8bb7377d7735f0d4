/* NMEA parser and driver: checksums, validity flags, talkers, dates, GPS rollover, per-character
 * arrival timestamps, time2. */
#include <glib.h>
#include <string.h>

#include "refclock/nmea.h"
#include "nmea_driver.h"
#include "refclock/timeutil.h"

/* Appends "*HH" with the right (or a wrong) checksum. */
static char *with_checksum(const char *body, bool corrupt) {
  uint8_t sum = 0;
  for (const char *p = body + 1; *p; p++) sum ^= (uint8_t)*p;
  if (corrupt) sum ^= 1;
  return g_strdup_printf("%s*%02X", body, sum);
}

static nmea_result parse(const char *s, nmea_sentence *out) {
  char why[96];
  return nmea_parse((const uint8_t *)s, strlen(s), out, why, sizeof why);
}

static void test_checksum(void) {
  nmea_sentence s;
  /* The example sentence from ntpsec's driver source. */
  const char *ex = "$GPRMC,232418.19,A,3513.8386,S,14900.7853,E,00.0,000.0,121199,12.,E*77";
  g_assert_cmpint(parse(ex, &s), ==, NMEA_OK);
  g_assert_cmpint(s.kind, ==, NMEA_KIND_RMC);
  g_assert_cmpint(s.hour, ==, 23);
  g_assert_cmpint(s.minute, ==, 24);
  g_assert_cmpint(s.second, ==, 18);
  g_assert_cmpint(s.nsec, ==, 190000000);
  g_assert_cmpint(s.day, ==, 12);
  g_assert_cmpint(s.month, ==, 11);
  g_assert_cmpint(s.year, ==, 99);
  char *bad = g_strdup(ex);
  bad[strlen(bad) - 1] = '8';
  g_assert_cmpint(parse(bad, &s), ==, NMEA_BAD_CHECKSUM);
  g_free(bad);
  g_assert_cmpint(parse("$GPRMC,232418.19,A,3513.8386,S,14900.7853,E,00.0,000.0,121199,12.,E", &s), ==,
                  NMEA_BAD_CHECKSUM);
  g_assert_cmpint(parse("$GPRMC,232418.19,A*7", &s), ==, NMEA_BAD_CHECKSUM);
  g_assert_cmpint(parse("$GPRMC,232418.19,A*ZZ", &s), ==, NMEA_BAD_CHECKSUM);
  g_assert_cmpint(parse("GPRMC,1*00", &s), ==, NMEA_BAD_FORMAT);
  g_assert_cmpint(parse("", &s), ==, NMEA_BAD_FORMAT);
  /* A flipped data bit is caught. */
  char *c = with_checksum("$GPZDA,120000.00,27,11,2026,00,00", false);
  c[10] ^= 1;
  g_assert_cmpint(parse(c, &s), ==, NMEA_BAD_CHECKSUM);
  g_free(c);
}

static void test_talkers_and_types(void) {
  const char *talkers[] = {"GP", "GN", "GL", "GA", "BD"};
  for (size_t i = 0; i < G_N_ELEMENTS(talkers); i++) {
    nmea_sentence s;
    char *body = g_strdup_printf("$%sGGA,101112.50,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,", talkers[i]);
    char *line = with_checksum(body, false);
    g_assert_cmpint(parse(line, &s), ==, NMEA_OK);
    g_assert_cmpstr(s.talker, ==, talkers[i]);
    g_assert_cmpint(s.kind, ==, NMEA_KIND_GGA);
    g_assert_false(s.has_date);
    g_assert_cmpint(s.nsec, ==, 500000000);
    g_free(body);
    g_free(line);
  }
  nmea_sentence s;
  char *gsv = with_checksum("$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00", false);
  g_assert_cmpint(parse(gsv, &s), ==, NMEA_IGNORED);
  g_free(gsv);
  char *prop = with_checksum("$PGRMF,1,2,3", false);
  g_assert_cmpint(parse(prop, &s), ==, NMEA_IGNORED);
  g_free(prop);
}

static void test_validity(void) {
  nmea_sentence s;
  char *v = with_checksum("$GPRMC,120000.00,V,,,,,,,271126,,,N", false);
  g_assert_cmpint(parse(v, &s), ==, NMEA_INVALID_FIX);
  g_free(v);
  char *mode_n = with_checksum("$GNRMC,120000.00,A,4807.038,N,01131.000,E,0.0,0.0,271126,,,N", false);
  g_assert_cmpint(parse(mode_n, &s), ==, NMEA_INVALID_FIX);
  g_free(mode_n);
  char *q0 = with_checksum("$GPGGA,120000.00,,,,,0,00,99.99,,,,,,", false);
  g_assert_cmpint(parse(q0, &s), ==, NMEA_INVALID_FIX);
  g_free(q0);
  char *zda = with_checksum("$GPZDA,,,,,,", false);
  g_assert_cmpint(parse(zda, &s), ==, NMEA_INVALID_FIX);
  g_free(zda);
  char *badtime = with_checksum("$GPZDA,126000.00,27,11,2026,00,00", false);
  g_assert_cmpint(parse(badtime, &s), ==, NMEA_BAD_FORMAT);
  g_free(badtime);
  char *baddate = with_checksum("$GPRMC,120000.00,A,1,N,1,E,0,0,321126,,", false);
  g_assert_cmpint(parse(baddate, &s), ==, NMEA_BAD_FORMAT);
  g_free(baddate);
}

static time_t utc(int y, int mo, int d, int h, int mi, int s) {
  return (time_t)(rcl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s);
}

static void test_dates(void) {
  nmea_sentence s;
  struct timespec t;
  char *rmc = with_checksum("$GPRMC,235959.00,A,1,N,1,E,0,0,271126,,,A", false);
  g_assert_cmpint(parse(rmc, &s), ==, NMEA_OK);
  g_assert_true(nmea_sentence_time(&s, &t));
  g_assert_cmpint(t.tv_sec, ==, utc(2026, 11, 27, 23, 59, 59));
  g_free(rmc);
  /* An old receiver 1024 weeks behind: 2007-04-14 is really 2026-11-28. */
  char *old = with_checksum("$GPRMC,000000.00,A,1,N,1,E,0,0,140407,,,A", false);
  g_assert_cmpint(parse(old, &s), ==, NMEA_OK);
  g_assert_true(nmea_sentence_time(&s, &t));
  g_assert_cmpint(t.tv_sec, ==, utc(2007, 4, 14, 0, 0, 0) + 1024 * 7 * 86400);
  g_assert_cmpint(t.tv_sec, ==, utc(2026, 11, 28, 0, 0, 0));
  g_free(old);
  /* 4-digit ZDA years get the same correction. */
  char *zda = with_checksum("$GNZDA,120000.00,14,04,2007,00,00", false);
  g_assert_cmpint(parse(zda, &s), ==, NMEA_OK);
  g_assert_true(nmea_sentence_time(&s, &t));
  g_assert_cmpint(t.tv_sec, ==, utc(2026, 11, 28, 12, 0, 0));
  g_free(zda);
  /* A date that cannot exist. */
  char *feb = with_checksum("$GPRMC,120000.00,A,1,N,1,E,0,0,300226,,,A", false);
  g_assert_cmpint(parse(feb, &s), ==, NMEA_OK);
  g_assert_false(nmea_sentence_time(&s, &t));
  g_free(feb);
  /* Leap second 23:59:60 maps onto the next POSIX second. */
  char *leap = with_checksum("$GPZDA,235960.00,31,12,2026,00,00", false);
  g_assert_cmpint(parse(leap, &s), ==, NMEA_OK);
  g_assert_true(nmea_sentence_time(&s, &t));
  g_assert_cmpint(t.tv_sec, ==, utc(2027, 1, 1, 0, 0, 0));
  g_free(leap);
  /* GGA gets its day from a nearby anchor, across midnight both ways. */
  char *gga = with_checksum("$GPGGA,000001.00,1,N,1,E,1,08,0.9,1,M,1,M,,", false);
  g_assert_cmpint(parse(gga, &s), ==, NMEA_OK);
  g_assert_true(nmea_time_near(&s, utc(2026, 11, 27, 23, 59, 59), &t));
  g_assert_cmpint(t.tv_sec, ==, utc(2026, 11, 28, 0, 0, 1));
  g_assert_true(nmea_time_near(&s, utc(2026, 11, 28, 0, 0, 5), &t));
  g_assert_cmpint(t.tv_sec, ==, utc(2026, 11, 28, 0, 0, 1));
  g_free(gga);
}

/* ---- driver ---- */

typedef struct {
  int samples;
  struct timespec sys[16];
  struct timespec ref[16];
  int errors;
  char last_error[160];
} collector;

static void on_sample(void *ctx, const struct timespec *sys, const struct timespec *ref, int leap) {
  collector *c = ctx;
  if (c->samples < 16) { c->sys[c->samples] = *sys; c->ref[c->samples] = *ref; }
  c->samples++;
}

static void on_error(void *ctx, const char *why) {
  collector *c = ctx;
  c->errors++;
  g_strlcpy(c->last_error, why, sizeof c->last_error);
}

static char *burst(time_t t, bool valid, bool corrupt_rmc) {
  struct tm tm;
  gmtime_r(&t, &tm);
  char *rmc_body = g_strdup_printf("$GNRMC,%02d%02d%02d.00,%c,4807.038,N,01131.000,E,0.0,0.0,%02d%02d%02d,,,A",
                                   tm.tm_hour, tm.tm_min, tm.tm_sec, valid ? 'A' : 'V', tm.tm_mday,
                                   tm.tm_mon + 1, tm.tm_year % 100);
  char *gga_body = g_strdup_printf("$GNGGA,%02d%02d%02d.00,4807.038,N,01131.000,E,%d,08,0.9,545.4,M,46.9,M,,",
                                   tm.tm_hour, tm.tm_min, tm.tm_sec, valid ? 1 : 0);
  char *rmc = with_checksum(rmc_body, corrupt_rmc), *gga = with_checksum(gga_body, false);
  char *out = g_strdup_printf("%s\r\n%s\r\n", rmc, gga);
  g_free(rmc_body); g_free(gga_body); g_free(rmc); g_free(gga);
  return out;
}

/* Feeds `b` in reads of `chunk` bytes; read k arrives at first + k * gap, or, when gap < 0, when
 * its last byte has come in at the line rate after a '$' arriving at `first`. */
static void feed(nmea_driver *d, const char *b, size_t chunk, const struct timespec *first,
                 double gap, double ct) {
  size_t len = strlen(b);
  for (size_t at = 0, k = 0; at < len; at += chunk, k++) {
    size_t n = len - at < chunk ? len - at : chunk;
    struct timespec rx = rcl_ts_add(first, gap < 0 ? (double)(at + n - 1) * ct : (double)k * gap);
    nmea_driver_input(d, (const uint8_t *)b + at, n, &rx);
  }
}

/* Three seconds of RMC+GGA; every sample's offset must be `want`. */
static void check_three_seconds(size_t chunk, double gap, double want, nmea_timing timing) {
  collector col = {0};
  rcl_sink sink = {on_sample, on_error, &col};
  nmea_driver *d = nmea_driver_create(9600, 0.100, &sink);
  const double ct = 10.0 / 9600;
  time_t label = utc(2026, 11, 27, 12, 0, 0);
  struct timespec sys0 = {.tv_sec = label - 3, .tv_nsec = 250000000}; /* reference 2.75 s ahead */
  g_assert_cmpint(nmea_driver_timing(d), ==, NMEA_TIMING_UNKNOWN);
  for (int i = 0; i < 3; i++) {
    char *b = burst(label + i, true, false);
    struct timespec dollar = {.tv_sec = sys0.tv_sec + i, .tv_nsec = sys0.tv_nsec};
    feed(d, b, chunk, &dollar, gap, ct);
    g_free(b);
  }
  struct timespec later = {.tv_sec = sys0.tv_sec + 5, .tv_nsec = 0};
  nmea_driver_tick(d, &later);
  g_assert_cmpint(col.errors, ==, 0);
  g_assert_cmpint(col.samples, ==, 3);
  for (int i = 0; i < 3; i++) {
    g_assert_cmpint(col.ref[i].tv_sec, ==, label + i);
    g_assert_cmpfloat_with_epsilon(rcl_ts_diff(&col.ref[i], &col.sys[i]), want, 1e-6);
  }
  struct timespec sys;
  double offset;
  g_assert_true(nmea_driver_last_offset(d, &sys, &offset));
  g_assert_cmpfloat_with_epsilon(offset, want, 1e-6);
  g_assert_cmpint(nmea_driver_timing(d), ==, timing);
  nmea_driver_destroy(d);
}

static void test_driver_timestamps(void) {
  /* A UART: 8-byte reads, each when its last byte has come in. The first read's '$' is back-dated
   * by the 7 characters after it: offset = label - ($ arrival - time2) = 2.75 + 0.1. */
  check_three_seconds(8, -1, 2.85, NMEA_TIMING_PACED);
}

static void test_driver_burst(void) {
  /* A pty or USB receiver: the whole burst in one read at the '$' arrival, or in 64-byte USB
   * packets 0.1 ms apart. Back-dating by the burst would be ~130 ms early; the read's arrival
   * is the '$' arrival. */
  check_three_seconds(4096, 0, 2.85, NMEA_TIMING_BURST);
  check_three_seconds(64, 0.0001, 2.85, NMEA_TIMING_BURST);
}

static void test_driver_split_reads(void) {
  /* Byte by byte: each byte gets its own rx time; the '$' read is the timestamp. */
  collector col = {0};
  rcl_sink sink = {on_sample, on_error, &col};
  nmea_driver *d = nmea_driver_create(4800, 0.0, &sink);
  time_t label = utc(2026, 11, 27, 12, 0, 0);
  char *b = burst(label, true, false);
  struct timespec t = {.tv_sec = label + 100, .tv_nsec = 0};
  for (size_t i = 0; b[i]; i++) {
    struct timespec rx = rcl_ts_add(&t, i * 10.0 / 4800);
    nmea_driver_input(d, (const uint8_t *)b + i, 1, &rx);
  }
  struct timespec later = {.tv_sec = label + 102, .tv_nsec = 0};
  nmea_driver_tick(d, &later);
  g_assert_cmpint(col.samples, ==, 1);
  g_assert_cmpfloat_with_epsilon(rcl_ts_diff(&col.ref[0], &col.sys[0]), -100.0, 1e-9);
  g_free(b);
  nmea_driver_destroy(d);
}

static void test_driver_rejects(void) {
  collector col = {0};
  rcl_sink sink = {on_sample, on_error, &col};
  nmea_driver *d = nmea_driver_create(9600, 0.0, &sink);
  time_t label = utc(2026, 11, 27, 12, 0, 0);
  struct timespec rx = {.tv_sec = label, .tv_nsec = 500000000};
  /* Invalid fix: nothing, and the error is counted. */
  char *b = burst(label, false, false);
  nmea_driver_input(d, (const uint8_t *)b, strlen(b), &rx);
  g_free(b);
  rx.tv_sec++;
  nmea_driver_tick(d, &rx);
  g_assert_cmpint(col.samples, ==, 0);
  g_assert_cmpint(col.errors, ==, 2);
  g_assert_nonnull(strstr(col.last_error, "invalid fix"));
  /* Bad RMC checksum and no earlier date: GGA alone cannot label the second. */
  b = burst(label + 1, true, true);
  nmea_driver_input(d, (const uint8_t *)b, strlen(b), &rx);
  g_free(b);
  rx.tv_sec += 2;
  nmea_driver_tick(d, &rx);
  g_assert_cmpint(col.samples, ==, 0);
  g_assert_cmpint(col.errors, ==, 3);
  /* Garbage and an overlong line are errors, not crashes. */
  char junk[300];
  memset(junk, 'A', sizeof junk);
  junk[0] = '$';
  junk[sizeof junk - 1] = '\n';
  nmea_driver_input(d, (const uint8_t *)junk, sizeof junk, &rx);
  g_assert_cmpint(col.errors, ==, 4);
  g_assert_nonnull(strstr(col.last_error, "longer"));
  /* A good second afterwards works. */
  b = burst(label + 10, true, false);
  rx.tv_sec = label + 10;
  nmea_driver_input(d, (const uint8_t *)b, strlen(b), &rx);
  g_free(b);
  rx.tv_sec += 2;
  nmea_driver_tick(d, &rx);
  g_assert_cmpint(col.samples, ==, 1);
  nmea_driver_destroy(d);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/refclock/nmea/checksum", test_checksum);
  g_test_add_func("/refclock/nmea/talkers", test_talkers_and_types);
  g_test_add_func("/refclock/nmea/validity", test_validity);
  g_test_add_func("/refclock/nmea/dates", test_dates);
  g_test_add_func("/refclock/nmea/driver-timestamps", test_driver_timestamps);
  g_test_add_func("/refclock/nmea/driver-burst", test_driver_burst);
  g_test_add_func("/refclock/nmea/driver-split-reads", test_driver_split_reads);
  g_test_add_func("/refclock/nmea/driver-rejects", test_driver_rejects);
  return g_test_run();
}
