/* PPS through a simulated pulse source (rcl_pps_ops), alone and with NMEA labels, through the
 * rcl_* API with fed time. NMEA arrives over a real pty (openpty) with chosen rx times. */
#include <glib.h>
#include <math.h>
#include <poll.h>
#include <pty.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "refclock/refclocks.h"
#include "refclock/timeutil.h"

/* ---- simulated pulse source: a pulse at every reference second, on the system clock ---- */

typedef struct {
  double true_offset;     /* reference - system */
  struct timespec now;    /* the fed "current" system time */
  bool opened, clear_edge;
  char path[64];
} fake_pps;

static void *fake_open(void *ctx, const char *path, bool clear_edge, nta_diag *err) {
  fake_pps *f = ctx;
  if (strncmp(path, "/sim/pps", 8) != 0) {
    nta_diag_set(err, NTA_ERR_IO, "cannot open PPS device %s: no such simulated device", path);
    return NULL;
  }
  f->opened = true;
  f->clear_edge = clear_edge;
  g_strlcpy(f->path, path, sizeof f->path);
  return f;
}

static int fake_fetch(void *handle, struct timespec *edge, uint32_t *seq) {
  fake_pps *f = handle;
  struct timespec ref_now = rcl_ts_add(&f->now, f->true_offset);
  struct timespec k = {.tv_sec = ref_now.tv_sec, .tv_nsec = 0};
  *edge = rcl_ts_add(&k, -f->true_offset);
  *seq = (uint32_t)k.tv_sec;
  return 1;
}

static void fake_close(void *handle) { ((fake_pps *)handle)->opened = false; }

static const rcl_pps_ops fake_ops = {fake_open, fake_fetch, fake_close};

/* ---- NMEA over a pty ---- */

typedef struct {
  int master;
  char slave[128];
  int slave_keep;
} pty_pair;

static void pty_open(pty_pair *p) {
  struct termios tio;
  memset(&tio, 0, sizeof tio);
  cfmakeraw(&tio);
  g_assert_cmpint(openpty(&p->master, &p->slave_keep, p->slave, &tio, NULL), ==, 0);
}

static void pty_close(pty_pair *p) {
  close(p->master);
  close(p->slave_keep);
}

static char *sentence(const char *body) {
  uint8_t sum = 0;
  for (const char *c = body + 1; *c; c++) sum ^= (uint8_t)*c;
  return g_strdup_printf("%s*%02X\r\n", body, sum);
}

/* Writes a ZDA+RMC burst labelled `ref_sec` and hands it to the layer as if its last byte
 * arrived at `rx`. */
static void send_burst(rcl_set *set, pty_pair *p, time_t ref_sec, const struct timespec *rx) {
  struct tm tm;
  gmtime_r(&ref_sec, &tm);
  char *zb = g_strdup_printf("$GNZDA,%02d%02d%02d.00,%02d,%02d,%04d,00,00", tm.tm_hour, tm.tm_min, tm.tm_sec,
                             tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900);
  char *z = sentence(zb);
  g_assert_cmpint(write(p->master, z, strlen(z)), ==, (ssize_t)strlen(z));
  struct pollfd fds[4];
  size_t n = rcl_poll_fds(set, fds, 4);
  g_assert_cmpuint(n, >=, 1);
  g_assert_cmpint(poll(fds, n, 2000), >, 0);
  /* rx is the arrival of the last byte: '$' came len-1 characters earlier (9600 baud). */
  struct timespec last = rcl_ts_add(rx, (double)(strlen(z) - 1) * 10.0 / 9600);
  for (size_t i = 0; i < n; i++)
    if (fds[i].revents) rcl_on_readable(set, fds[i].fd, &last);
  g_free(zb);
  g_free(z);
}

static const double TRUE_OFFSET = 2.5;

/* Runs `seconds` seconds: each second a pulse at the reference edge and a sentence `delay` s
 * later; ticks 5 times a second. */
static void run(rcl_set *set, fake_pps *pps, pty_pair *p, double start, int seconds, double delay) {
  for (int s = 0; s < seconds; s++) {
    for (int k = 0; k < 5; k++) {
      struct timespec now = rcl_ts_add(&(struct timespec){0, 0}, start + s + k * 0.2 + 0.01);
      pps->now = now;
      if (k == 2 && p) {
        struct timespec sys_edge = rcl_ts_add(&(struct timespec){0, 0}, start + s);
        struct timespec ref = rcl_ts_add(&sys_edge, TRUE_OFFSET);
        struct timespec rx = rcl_ts_add(&sys_edge, delay);
        send_burst(set, p, ref.tv_sec, &rx);
      }
      rcl_tick(set, &now);
    }
  }
}

/* System start so that pulses fall at whole reference seconds: sys = k - 2.5. */
static const double T0 = 1795780000.0 - 2.5;

static void test_pps_with_nmea_label(void) {
  fake_pps pps = {.true_offset = TRUE_OFFSET};
  pty_pair p;
  pty_open(&p);
  rcl_set *set = rcl_create();
  rcl_set_pps_ops(set, &fake_ops, &pps);
  char *line = g_strdup_printf("nmea path %s baud 9600 pps /sim/pps0", p.slave);
  nta_diag err;
  g_assert_cmpint(rcl_add_config(set, line, "t:1", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_open(set, &err), ==, NTA_OK);
  g_assert_true(pps.opened);
  g_assert_false(pps.clear_edge);
  /* The receiver's sentences come 0.3 s after the second and time2 is not set: NMEA alone would
   * be 0.3 s off; with the pulse the edge is exact. */
  run(set, &pps, &p, T0, 20, 0.3);
  srv_time_state st;
  struct timespec now = pps.now;
  g_assert_true(rcl_get_state(set, &now, &st));
  g_assert_true(st.synced);
  g_assert_cmpint(st.stratum, ==, 1);
  g_assert_cmphex(st.refid, ==, 0x47505300); /* GPS */
  g_assert_cmpint(st.precision, ==, -20);
  g_assert_cmpfloat(fabs(st.offset - TRUE_OFFSET), <, 1e-6);
  char status[1024];
  rcl_format_status(set, &now, status, sizeof status);
  g_test_message("%s", status);
  g_assert_nonnull(strstr(status, "* nmea:"));
  rcl_destroy(set);
  g_assert_false(pps.opened);
  pty_close(&p);
  g_free(line);
}

static void test_pps_standalone_running_clock(void) {
  /* Only a PPS refclock: the running system clock names the second (it must be within 0.4 s). */
  fake_pps pps = {.true_offset = 0.0123};
  rcl_set *set = rcl_create();
  rcl_set_pps_ops(set, &fake_ops, &pps);
  nta_diag err;
  g_assert_cmpint(rcl_add_config(set, "pps path /sim/pps1 clear", "t:2", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_open(set, &err), ==, NTA_OK);
  g_assert_true(pps.clear_edge);
  run(set, &pps, NULL, 1795780000.0, 10, 0);
  srv_time_state st;
  g_assert_true(rcl_get_state(set, &pps.now, &st));
  g_assert_true(st.synced);
  g_assert_cmphex(st.refid, ==, 0x50505300); /* PPS */
  g_assert_cmpfloat(fabs(st.offset - 0.0123), <, 1e-6);
  rcl_destroy(set);
}

static void test_pps_unlabelled(void) {
  /* PPS next to an NMEA clock that says nothing: pulses are not used. */
  fake_pps pps = {.true_offset = TRUE_OFFSET};
  pty_pair p;
  pty_open(&p);
  rcl_set *set = rcl_create();
  rcl_set_pps_ops(set, &fake_ops, &pps);
  char *line = g_strdup_printf("nmea path %s", p.slave);
  nta_diag err;
  g_assert_cmpint(rcl_add_config(set, line, "t:1", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_add_config(set, "pps path /sim/pps0", "t:2", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_open(set, &err), ==, NTA_OK);
  run(set, &pps, NULL, T0, 10, 0);
  srv_time_state st;
  g_assert_true(rcl_get_state(set, &pps.now, &st));
  g_assert_false(st.synced);
  char status[1024];
  rcl_format_status(set, &pps.now, status, sizeof status);
  g_test_message("%s", status);
  g_assert_nonnull(strstr(status, "no other source labels the second"));
  /* Now NMEA talks (time2 not set, 0.1 s late): it is selected, labels the pulses, and the PPS
   * with its finer precision takes over with the exact offset. */
  run(set, &pps, &p, T0 + 10, 30, 0.1);
  g_assert_true(rcl_get_state(set, &pps.now, &st));
  g_assert_true(st.synced);
  g_assert_cmphex(st.refid, ==, 0x50505300);
  g_assert_cmpfloat(fabs(st.offset - TRUE_OFFSET), <, 1e-6);
  rcl_destroy(set);
  pty_close(&p);
  g_free(line);
}

static void test_pps_open_error(void) {
  fake_pps pps = {0};
  rcl_set *set = rcl_create();
  rcl_set_pps_ops(set, &fake_ops, &pps);
  nta_diag err;
  g_assert_cmpint(rcl_add_config(set, "pps path /dev/pps9", "conf:9", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_open(set, &err), !=, NTA_OK);
  g_assert_nonnull(strstr(err.msg, "conf:9: cannot open PPS device /dev/pps9"));
  rcl_destroy(set);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/refclock/pps/nmea-label", test_pps_with_nmea_label);
  g_test_add_func("/refclock/pps/standalone", test_pps_standalone_running_clock);
  g_test_add_func("/refclock/pps/unlabelled", test_pps_unlabelled);
  g_test_add_func("/refclock/pps/open-error", test_pps_open_error);
  return g_test_run();
}
