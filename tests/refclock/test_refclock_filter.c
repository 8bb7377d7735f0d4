/* Filter, reachability, selection, holdover and config parsing. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "filter.h"
#include "refclock/refclocks.h"
#include "select.h"
#include "refclock/timeutil.h"

static struct timespec ts(double t) {
  struct timespec z = {0, 0};
  return rcl_ts_add(&z, t);
}

static void test_median_jitter(void) {
  double v[] = {0.5, 0.51, 0.49, 0.50, 9.0, 0.505, -3.0};
  double med, jit;
  rcl_filter_median_jitter(v, G_N_ELEMENTS(v), &med, &jit);
  g_assert_cmpfloat_with_epsilon(med, 0.50, 1e-12);
  /* The two outliers are trimmed from the jitter. */
  g_assert_cmpfloat(jit, <, 0.01);
  double one[] = {1.25};
  rcl_filter_median_jitter(one, 1, &med, &jit);
  g_assert_cmpfloat(med, ==, 1.25);
  g_assert_cmpfloat(jit, ==, 0.0);
  double two[] = {1.0, 2.0};
  rcl_filter_median_jitter(two, 2, &med, &jit);
  g_assert_cmpfloat(med, ==, 1.5);
}

static void test_reach_and_window(void) {
  rcl_source s;
  rcl_source_init(&s, 4, 3);
  struct timespec now = ts(1000);
  g_assert_false(rcl_source_tick(&s, &now));
  for (int i = 0; i < 10; i++) {
    struct timespec t = ts(1000 + i);
    rcl_source_add(&s, &t, i < 6 ? 100.0 : 2.0, 0); /* only the newest 4 samples are kept */
  }
  g_assert_cmpuint(s.count, ==, 4);
  /* The first tick with samples polls at once. */
  g_assert_true(rcl_source_tick(&s, &now));
  g_assert_cmphex(s.reach, ==, 1);
  g_assert_cmpfloat(s.offset, ==, 2.0);
  g_assert_cmpuint(s.est_samples, ==, 4);
  /* Fast (2 s) polls until four in a row had samples, then every 2^3 s. */
  g_assert_cmpfloat(rcl_source_poll_interval(&s), ==, 2.0);
  now = ts(1001.9);
  g_assert_false(rcl_source_tick(&s, &now));
  for (int i = 1; i <= 3; i++) {
    struct timespec t = ts(1000 + 2 * i - 0.5);
    rcl_source_add(&s, &t, 2.0, 0);
    now = ts(1000 + 2 * i);
    g_assert_true(rcl_source_tick(&s, &now));
  }
  g_assert_cmphex(s.reach, ==, 0x0F);
  g_assert_cmpfloat(rcl_source_poll_interval(&s), ==, 8.0);
  /* Empty polls shift zeros in; the source falls back to fast polls. */
  now = ts(1006.0 + 8);
  g_assert_true(rcl_source_tick(&s, &now));
  g_assert_cmphex(s.reach, ==, 0x1E);
  g_assert_cmpfloat(rcl_source_poll_interval(&s), ==, 2.0);
  for (int i = 1; i <= 7; i++) {
    now = ts(1014.0 + 2 * i);
    g_assert_true(rcl_source_tick(&s, &now));
  }
  g_assert_cmphex(s.reach, ==, 0);
  /* The octal view like ntpq/chronyc: all eight polls good = 377. */
  for (int i = 0; i < 8; i++) {
    struct timespec t = ts(2000 + i);
    rcl_source_add(&s, &t, 1.0, 0);
    now = ts(2000.5 + i);
    rcl_source_poll(&s, &now);
  }
  char oct[8];
  g_snprintf(oct, sizeof oct, "%o", s.reach);
  g_assert_cmpstr(oct, ==, "377");
}

static rcl_source make_source(double offset, double jitter, double at) {
  rcl_source s;
  rcl_source_init(&s, 8, 4);
  s.have_estimate = true;
  s.reach = 1;
  s.offset = offset;
  s.jitter = jitter;
  s.est_sys = ts(at);
  return s;
}

static void test_selection(void) {
  rcl_source a = make_source(1.0, 0.010, 100), b = make_source(1.001, 0.0001, 100), c = make_source(0.9, 0.1, 100);
  rcl_candidate cand[3] = {
      {.src = &a, .usable = true, .refid = 0x47505300, .precision = -10},
      {.src = &b, .usable = true, .refid = 0x50505300, .precision = -20},
      {.src = &c, .usable = true, .refid = 0x44434600, .precision = -7},
  };
  struct timespec now = ts(101);
  g_assert_cmpint(rcl_select(cand, 3, &now), ==, 1); /* smallest distance */
  cand[2].prefer = true;
  g_assert_cmpint(rcl_select(cand, 3, &now), ==, 2); /* prefer first */
  cand[2].noselect = true;
  g_assert_cmpint(rcl_select(cand, 3, &now), ==, 1);
  cand[1].usable = false;                                /* e.g. unlabelled PPS */
  g_assert_cmpint(rcl_select(cand, 3, &now), ==, 0);
  a.reach = 0;
  g_assert_cmpint(rcl_select(cand, 3, &now), ==, -1);
  a.reach = 1;
  a.leap = 3;
  g_assert_cmpint(rcl_select(cand, 3, &now), ==, -1);
}

static void test_holdover(void) {
  rcl_source a = make_source(2.5, 0.001, 100);
  rcl_candidate cand = {.src = &a, .usable = true, .refid = 0x47505300, .precision = -10};
  rcl_model m;
  rcl_model_init(&m);
  srv_time_state st;
  struct timespec now = ts(100);
  rcl_model_state(&m, &now, &st);
  g_assert_false(st.synced);
  g_assert_cmpint(st.leap, ==, 3);
  g_assert_cmpint(st.stratum, ==, 0);
  rcl_model_update(&m, &cand, 1, &now);
  rcl_model_state(&m, &now, &st);
  g_assert_true(st.synced);
  g_assert_cmpint(st.stratum, ==, 1);
  g_assert_cmphex(st.refid, ==, 0x47505300);
  g_assert_cmpfloat(st.offset, ==, 2.5);
  double d0 = st.root_dispersion;
  g_assert_cmpfloat(d0, <, 0.01);
  /* The source goes away: holdover, dispersion grows by 15 ppm per second. */
  a.reach = 0;
  now = ts(100 + 3600);
  rcl_model_update(&m, &cand, 1, &now);
  g_assert_true(m.holdover);
  rcl_model_state(&m, &now, &st);
  g_assert_true(st.synced);
  g_assert_cmpfloat_with_epsilon(st.root_dispersion - d0, 15e-6 * 3600, 1e-9);
  g_assert_cmpfloat(st.offset, ==, 2.5);
  /* After ~18.5 h the dispersion passes 1 s: unsynchronised. */
  now = ts(100 + 70000);
  rcl_model_state(&m, &now, &st);
  g_assert_false(st.synced);
  g_assert_cmpint(st.leap, ==, 3);
}

static void expect_config_error(const char *line, const char *needle) {
  rcl_set *set = rcl_create();
  nta_diag err = {{0}};
  nta_status st = rcl_add_config(set, line, "ntp.conf:12", &err);
  if (st == NTA_OK) g_error("'%s' was accepted", line);
  if (strncmp(err.msg, "ntp.conf:12: ", 13) != 0 || !strstr(err.msg, needle))
    g_error("'%s': message '%s' lacks the location or '%s'", line, err.msg, needle);
  rcl_destroy(set);
}

static void test_config(void) {
  rcl_set *set = rcl_create();
  nta_diag err;
  g_assert_cmpint(rcl_add_config(set, "nmea path /dev/ttyAMA0 baud 9600 pps /dev/pps0 time2 0.350 refid GPS prefer",
                                 "a:1", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_add_config(set, "pps path /dev/pps1 clear", "a:2", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_add_config(set, "dcf77 path /dev/ttyUSB0 baud 75 time1 0.058 noselect", "a:3", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_add_config(set, "shm unit 7 refid GPSx poll 3 filter 8", "a:4", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_add_config(set, "dcf77 path /dev/ttyUSB1", "a:5", &err), ==, NTA_OK);
  g_assert_cmpuint(rcl_count(set), ==, 5);
  g_assert_cmpint(rcl_add_config(set, "shm unit 7", "a:6", &err), !=, NTA_OK);
  g_assert_nonnull(strstr(err.msg, "a:6: SHM unit 7 is already used at a:4"));
  g_assert_cmpint(rcl_add_config(set, "nmea path /dev/pps1", "a:7", &err), !=, NTA_OK);
  char status[2048];
  struct timespec now = ts(0);
  size_t need = rcl_format_status(set, &now, status, sizeof status);
  g_assert_cmpuint(need, ==, strlen(status));
  g_assert_nonnull(strstr(status, "nmea:/dev/ttyAMA0"));
  g_assert_nonnull(strstr(status, "GPSx"));
  g_assert_nonnull(strstr(status, "x dcf77:/dev/ttyUSB0"));
  g_assert_nonnull(strstr(status, "unsynchronised"));
  /* Truncation is snprintf-like. */
  char small[16];
  g_assert_cmpuint(rcl_format_status(set, &now, small, sizeof small), ==, need);
  g_assert_cmpuint(strlen(small), ==, 15);
  rcl_destroy(set);

  expect_config_error("", "needs a type");
  expect_config_error("gps path /dev/x", "unknown refclock type 'gps'");
  expect_config_error("nmea baud 9600", "needs 'path DEVICE'");
  expect_config_error("nmea path /dev/x baud 1200", "baud 1200 unsupported");
  expect_config_error("dcf77 path /dev/x baud 100", "50 or 75");
  expect_config_error("dcf77 path /dev/x time2 0.1", "'time2' is not valid for a dcf77");
  expect_config_error("shm", "needs 'unit N'");
  expect_config_error("shm unit 300", "unit '300'");
  expect_config_error("shm unit 4 refid TOOLONG", "refid 'TOOLONG'");
  expect_config_error("shm unit 4 poll 11", "poll '11'");
  expect_config_error("shm unit 4 filter 0", "filter '0'");
  expect_config_error("nmea path /dev/x time2", "needs a value");
  expect_config_error("nmea path /dev/x time2 abc", "time2 'abc'");
  expect_config_error("pps path /dev/pps0 unit 3", "'unit' is not valid for a pps");
}

static void test_no_refclock(void) {
  rcl_set *set = rcl_create();
  srv_time_state st;
  struct timespec now = ts(5);
  g_assert_false(rcl_get_state(set, &now, &st));
  g_assert_cmpuint(rcl_poll_fds(set, NULL, 0), ==, 0);
  nta_diag err;
  g_assert_cmpint(rcl_open(set, &err), ==, NTA_OK);
  rcl_tick(set, &now);
  rcl_destroy(set);
  rcl_destroy(NULL);
}

static void test_open_errors(void) {
  rcl_set *set = rcl_create();
  nta_diag err;
  g_assert_cmpint(rcl_add_config(set, "nmea path /nonexistent/tty0", "conf:3", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_open(set, &err), ==, NTA_ERR_IO);
  g_assert_nonnull(strstr(err.msg, "conf:3: cannot open /nonexistent/tty0"));
  rcl_destroy(set);
  set = rcl_create();
  g_assert_cmpint(rcl_add_config(set, "pps path /dev/null", "conf:4", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_open(set, &err), !=, NTA_OK);
  g_assert_nonnull(strstr(err.msg, "conf:4: /dev/null is not a PPS device"));
  rcl_destroy(set);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/refclock/filter/median-jitter", test_median_jitter);
  g_test_add_func("/refclock/filter/reach-window", test_reach_and_window);
  g_test_add_func("/refclock/select/selection", test_selection);
  g_test_add_func("/refclock/select/holdover", test_holdover);
  g_test_add_func("/refclock/config/lines", test_config);
  g_test_add_func("/refclock/config/no-refclock", test_no_refclock);
  g_test_add_func("/refclock/config/open-errors", test_open_errors);
  return g_test_run();
}
