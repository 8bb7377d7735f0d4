/* SHM segments: layout, permissions, mode 0/1, valid flag, ns fields, CLASH under a racing writer,
 * and the rcl_* API with fed time (sync, leap, stale samples, holdover). Runs in its own IPC
 * namespace (ctest wraps it in `unshare --ipc`), so units 0-3 are free to use here. */
#include <glib.h>
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "refclock/refclocks.h"
#include "refclock/shm.h"
#include "refclock/timeutil.h"

static struct timespec ts(double t) {
  struct timespec z = {0, 0};
  return rcl_ts_add(&z, t);
}

static int seg_mode(int unit) {
  int id = shmget(RCL_SHM_KEY_BASE + unit, 0, 0);
  g_assert_cmpint(id, >=, 0);
  struct shmid_ds ds;
  g_assert_cmpint(shmctl(id, IPC_STAT, &ds), ==, 0);
  g_assert_cmpuint(ds.shm_segsz, ==, 96);
  return ds.shm_perm.mode & 0777;
}

static void test_layout_and_perms(void) {
  g_assert_cmpuint(sizeof(struct rcl_shm_time), ==, 96);
  g_assert_cmpuint(G_STRUCT_OFFSET(struct rcl_shm_time, count), ==, 4);
  g_assert_cmpuint(G_STRUCT_OFFSET(struct rcl_shm_time, clockTimeStampSec), ==, 8);
  g_assert_cmpuint(G_STRUCT_OFFSET(struct rcl_shm_time, receiveTimeStampSec), ==, 24);
  g_assert_cmpuint(G_STRUCT_OFFSET(struct rcl_shm_time, leap), ==, 36);
  g_assert_cmpuint(G_STRUCT_OFFSET(struct rcl_shm_time, valid), ==, 48);
  g_assert_cmpuint(G_STRUCT_OFFSET(struct rcl_shm_time, clockTimeStampNSec), ==, 52);
  g_assert_cmpuint(G_STRUCT_OFFSET(struct rcl_shm_time, receiveTimeStampNSec), ==, 56);
  volatile struct rcl_shm_time *a, *b;
  nta_diag err;
  g_assert_cmpint(rcl_shm_attach(1, &a, &err), ==, NTA_OK);
  g_assert_cmpint(rcl_shm_attach(4, &b, &err), ==, NTA_OK);
  g_assert_cmpint(seg_mode(1), ==, 0600);
  g_assert_cmpint(seg_mode(4), ==, 0666);
  rcl_shm_detach(a);
  rcl_shm_detach(b);
  g_assert_true(rcl_shm_remove(1));
  g_assert_true(rcl_shm_remove(4));
  g_assert_false(rcl_shm_remove(4));
}

static void test_read_protocol(void) {
  volatile struct rcl_shm_time *seg;
  nta_diag err;
  g_assert_cmpint(rcl_shm_attach(5, &seg, &err), ==, NTA_OK);
  rcl_shm_sample s;
  char why[96];
  g_assert_cmpint(rcl_shm_read(seg, &s, why, sizeof why), ==, RCL_SHM_NONE);
  struct timespec ref = {1795780000, 123456789}, sys = {1795779998, 987654321};
  for (int mode = 0; mode <= 1; mode++) {
    rcl_shm_write(seg, mode, &ref, &sys, 1, -20);
    g_assert_cmpint(rcl_shm_read(seg, &s, why, sizeof why), ==, RCL_SHM_SAMPLE);
    g_assert_cmpint(s.ref.tv_sec, ==, ref.tv_sec);
    g_assert_cmpint(s.ref.tv_nsec, ==, ref.tv_nsec); /* ns consistent with us: used */
    g_assert_cmpint(s.sys.tv_nsec, ==, sys.tv_nsec);
    g_assert_cmpint(s.leap, ==, 1);
    g_assert_cmpint(s.precision, ==, -20);
    g_assert_cmpint(seg->valid, ==, 0); /* consumed */
    g_assert_cmpint(rcl_shm_read(seg, &s, why, sizeof why), ==, RCL_SHM_NONE);
  }
  /* An old writer that leaves the ns fields stale: microseconds win. */
  rcl_shm_write(seg, 1, &ref, &sys, 0, -1);
  seg->clockTimeStampNSec = 5;
  g_assert_cmpint(rcl_shm_read(seg, &s, why, sizeof why), ==, RCL_SHM_SAMPLE);
  g_assert_cmpint(s.ref.tv_nsec, ==, 123456000);
  g_assert_cmpint(s.sys.tv_nsec, ==, 987654321);
  /* Garbage. */
  rcl_shm_write(seg, 7, &ref, &sys, 0, -1);
  g_assert_cmpint(rcl_shm_read(seg, &s, why, sizeof why), ==, RCL_SHM_BAD);
  g_assert_nonnull(strstr(why, "mode 7"));
  rcl_shm_write(seg, 1, &ref, &sys, 0, -1);
  seg->clockTimeStampUSec = 1000000;
  g_assert_cmpint(rcl_shm_read(seg, &s, why, sizeof why), ==, RCL_SHM_BAD);
  rcl_shm_write(seg, 1, &ref, &sys, 5, -1);
  g_assert_cmpint(rcl_shm_read(seg, &s, why, sizeof why), ==, RCL_SHM_BAD);
  rcl_shm_detach(seg);
  rcl_shm_remove(5);
}

typedef struct {
  volatile struct rcl_shm_time *seg;
  volatile int stop;
  int mode;
} writer_ctx;

/* Writes records whose every field derives from one counter, so a torn copy is detectable. */
static void *writer(void *arg) {
  writer_ctx *w = arg;
  for (long i = 1; !w->stop; i++) {
    struct timespec ref = {1795780000 + i, (i % 1000) * 1000}, sys = {1795780000 + i - 3, (i % 1000) * 1000};
    rcl_shm_write(w->seg, w->mode, &ref, &sys, 0, -20);
    if (i % 64 == 0) g_usleep(20); /* bursts, then pauses that leave complete records */
  }
  return NULL;
}

static void test_clash(void) {
  volatile struct rcl_shm_time *seg;
  nta_diag err;
  g_assert_cmpint(rcl_shm_attach(6, &seg, &err), ==, NTA_OK);
  writer_ctx w = {.seg = seg, .mode = 1};
  pthread_t th;
  g_assert_cmpint(pthread_create(&th, NULL, writer, &w), ==, 0);
  long samples = 0, clashes = 0, torn = 0;
  gint64 start = g_get_monotonic_time();
  for (;;) {
    gint64 el = g_get_monotonic_time() - start;
    if (el > 3000000 || (el > 300000 && samples >= 200)) break;
    rcl_shm_sample s;
    char why[96];
    rcl_shm_result r = rcl_shm_read(seg, &s, why, sizeof why);
    if (r == RCL_SHM_CLASH) clashes++;
    if (r != RCL_SHM_SAMPLE) continue;
    samples++;
    if (s.ref.tv_sec - s.sys.tv_sec != 3 || s.ref.tv_nsec != s.sys.tv_nsec) torn++;
  }
  w.stop = 1;
  pthread_join(th, NULL);
  g_test_message("mode 1: %ld samples, %ld CLASH, %ld torn", samples, clashes, torn);
  g_assert_cmpint(samples, >, 0);
  g_assert_cmpint(torn, ==, 0); /* the count protocol never lets a torn record through */
  rcl_shm_detach(seg);
  rcl_shm_remove(6);
}

/* ---- through the rcl API with fed time ---- */

static void test_api(void) {
  rcl_set *set = rcl_create();
  nta_diag err;
  g_assert_cmpint(rcl_add_config(set, "shm unit 2 refid GPS poll 2", "t:1", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_open(set, &err), ==, NTA_OK);
  volatile struct rcl_shm_time *seg;
  g_assert_cmpint(rcl_shm_attach(2, &seg, &err), ==, NTA_OK);
  srv_time_state st;
  double t0 = 1795780000.0;
  struct timespec now = ts(t0);
  g_assert_true(rcl_get_state(set, &now, &st));
  g_assert_false(st.synced);
  /* A stale sample and an unsynchronised one are refused. */
  struct timespec sys = ts(t0 - 30), ref = ts(t0 - 30 + 0.5);
  rcl_shm_write(seg, 1, &ref, &sys, 0, -20);
  rcl_tick(set, &now);
  sys = ts(t0 - 0.1);
  ref = rcl_ts_add(&sys, 0.5);
  rcl_shm_write(seg, 1, &ref, &sys, 3, -20);
  rcl_tick(set, &now);
  char status[1024];
  rcl_format_status(set, &now, status, sizeof status);
  g_assert_nonnull(strstr(status, "leap 3"));
  /* gpsd-like: one sample a second, reference 0.5 s ahead, leap second announced. */
  double synced_at = -1;
  for (int i = 0; i < 40; i++) {
    for (int k = 0; k < 5; k++) {
      now = ts(t0 + i + k * 0.2);
      if (k == 0) {
        sys = ts(t0 + i - 0.01);
        ref = rcl_ts_add(&sys, 0.5 + (i % 2 ? 1e-4 : -1e-4));
        rcl_shm_write(seg, 1, &ref, &sys, 1, -20);
      }
      rcl_tick(set, &now);
      g_assert_true(rcl_get_state(set, &now, &st));
      if (st.synced && synced_at < 0) synced_at = i + k * 0.2;
    }
  }
  g_test_message("synced %.1f s after the first good sample", synced_at);
  g_assert_cmpfloat(synced_at, >=, 0);
  g_assert_cmpfloat(synced_at, <=, 20);
  g_assert_true(st.synced);
  g_assert_cmpint(st.stratum, ==, 1);
  g_assert_cmpint(st.leap, ==, 1);
  g_assert_cmphex(st.refid, ==, 0x47505300);
  g_assert_cmpfloat(fabs(st.offset - 0.5), <, 2e-4);
  rcl_format_status(set, &now, status, sizeof status);
  g_test_message("%s", status);
  g_assert_nonnull(strstr(status, "* shm:2"));
  g_assert_nonnull(strstr(status, "377"));
  double disp0 = st.root_dispersion;
  /* The writer stops: holdover while reach decays, then unsynchronised after ~18 h. */
  for (int i = 40; i < 100; i++) {
    now = ts(t0 + i);
    rcl_tick(set, &now);
  }
  g_assert_true(rcl_get_state(set, &now, &st));
  g_assert_true(st.synced);
  g_assert_cmpfloat(st.root_dispersion, >, disp0);
  now = ts(t0 + 100 + 3600);
  rcl_tick(set, &now);
  g_assert_true(rcl_get_state(set, &now, &st));
  g_assert_true(st.synced);
  g_assert_cmpfloat(st.root_dispersion, >, 0.05);
  rcl_format_status(set, &now, status, sizeof status);
  g_assert_nonnull(strstr(status, "holdover"));
  now = ts(t0 + 100 + 80000);
  rcl_tick(set, &now);
  g_assert_true(rcl_get_state(set, &now, &st));
  g_assert_false(st.synced);
  g_assert_cmpint(st.leap, ==, 3);
  rcl_shm_detach(seg);
  rcl_destroy(set);
  rcl_shm_remove(2);
}

/* A writer that puts an absurd reference time in the segment (any local user can, for units
 * created 0666): the sample must be refused, not turned into an offset that overflows the
 * served 32.32 timestamp or time_t arithmetic (UBSan flags the overflow in the sanitizer pass). */
static void test_hostile_offset(void) {
  rcl_set *set = rcl_create();
  nta_diag err;
  g_assert_cmpint(rcl_add_config(set, "shm unit 3 poll 2", "t:1", &err), ==, NTA_OK);
  g_assert_cmpint(rcl_open(set, &err), ==, NTA_OK);
  volatile struct rcl_shm_time *seg;
  g_assert_cmpint(rcl_shm_attach(3, &seg, &err), ==, NTA_OK);
  double t0 = 1795780000.0;
  struct timespec now = ts(t0), sys, ref;
  srv_time_state st;
  static const int64_t bad_secs[] = {INT64_MAX - 10, INT64_MIN + 10, INT64_C(1795780000) + (INT64_C(1) << 31) + 100,
                                     INT64_C(1795780000) - (INT64_C(1) << 31) - 100};
  for (int i = 0; i < 40; i++) {
    for (int k = 0; k < 5; k++) {
      now = ts(t0 + i + k * 0.2);
      if (k == 0) {
        sys = ts(t0 + i - 0.01);
        ref.tv_sec = (time_t)bad_secs[i % 4];
        ref.tv_nsec = 0;
        rcl_shm_write(seg, 1, &ref, &sys, 0, -20);
      }
      rcl_tick(set, &now);
      g_assert_true(rcl_get_state(set, &now, &st));
      g_assert_false(st.synced);
    }
  }
  char status[1024];
  rcl_format_status(set, &now, status, sizeof status);
  g_test_message("%s", status);
  g_assert_nonnull(strstr(status, "beyond +-68 years"));
  /* A sane writer afterwards is accepted: the refusals left no state behind. */
  for (int i = 40; i < 70; i++) {
    for (int k = 0; k < 5; k++) {
      now = ts(t0 + i + k * 0.2);
      if (k == 0) {
        sys = ts(t0 + i - 0.01);
        ref = rcl_ts_add(&sys, -3600.25);
        rcl_shm_write(seg, 1, &ref, &sys, 0, -20);
      }
      rcl_tick(set, &now);
    }
  }
  g_assert_true(rcl_get_state(set, &now, &st));
  g_assert_true(st.synced);
  g_assert_cmpfloat(fabs(st.offset + 3600.25), <, 1e-6);
  rcl_shm_detach(seg);
  rcl_destroy(set);
  rcl_shm_remove(3);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/refclock/shm/layout-perms", test_layout_and_perms);
  g_test_add_func("/refclock/shm/read-protocol", test_read_protocol);
  g_test_add_func("/refclock/shm/clash", test_clash);
  g_test_add_func("/refclock/shm/api", test_api);
  g_test_add_func("/refclock/shm/hostile-offset", test_hostile_offset);
  return g_test_run();
}
