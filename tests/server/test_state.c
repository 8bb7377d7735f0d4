/* test_state.c - the daemon's bounded state: rate limiter, counters, served time selection. */
#include <glib.h>
#include <string.h>

#include "counters.h"
#include "ratelimit.h"
#include "respond.h"
#include "timestate.h"

static void test_token_bucket(void) {
  rl_table *t = rl_create(64, 0, 3, 64);   /* one token a second, burst 3 */
  uint8_t a[16] = { 192, 0, 2, 1 };
  struct timespec now = { 1000, 0 };
  for (int i = 0; i < 3; i++) g_assert_true(rl_allow(t, 4, a, false, 0, &now));
  g_assert_false(rl_allow(t, 4, a, false, 0, &now));
  now.tv_nsec = 500000000;              /* half a token later: still refused */
  g_assert_false(rl_allow(t, 4, a, false, 0, &now));
  now.tv_sec = 1001;                    /* one token */
  g_assert_true(rl_allow(t, 4, a, false, 0, &now));
  g_assert_false(rl_allow(t, 4, a, false, 0, &now));
  now.tv_sec = 1100;                    /* long idle: capped at burst */
  for (int i = 0; i < 3; i++) g_assert_true(rl_allow(t, 4, a, false, 0, &now));
  g_assert_false(rl_allow(t, 4, a, false, 0, &now));
  /* Another client has its own bucket; IPv6 addresses are told apart by all 16 bytes. */
  uint8_t b[16] = { 192, 0, 2, 2 };
  g_assert_true(rl_allow(t, 4, b, false, 0, &now));
  uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8 }, v6b[16] = { 0x20, 0x01, 0x0d, 0xb8 };
  v6b[15] = 1;
  for (int i = 0; i < 3; i++) g_assert_true(rl_allow(t, 6, v6a, false, 0, &now));
  g_assert_false(rl_allow(t, 6, v6a, false, 0, &now));
  g_assert_true(rl_allow(t, 6, v6b, false, 0, &now));
  rl_destroy(t);
}

static void test_table_is_bounded(void) {
  /* Far more clients than slots: every new client starts with a full bucket (the oldest entry is
   * evicted), nothing grows, nothing crashes. */
  rl_table *t = rl_create(16, 3, 1, 0);   /* no minimum age: the least recent entry goes */
  struct timespec now = { 2000, 0 };
  for (uint32_t i = 0; i < 10000; i++) {
    uint8_t a[16] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
    now.tv_nsec = (long)(i % 1000) * 1000;
    g_assert_true(rl_allow(t, 4, a, false, 0, &now));
  }
  rl_destroy(t);
}

static void test_spoofed_cannot_spend_verified(void) {
  /* Unauthenticated requests with a client's address empty only the unauthenticated bucket; the
   * client's verified requests with key 11 are limited on their own, per key. */
  rl_table *t = rl_create(64, 0, 3, 64);
  uint8_t a[16] = { 192, 0, 2, 7 };
  struct timespec now = { 3000, 0 };
  for (int i = 0; i < 20; i++) rl_allow(t, 4, a, false, 0, &now);
  g_assert_false(rl_allow(t, 4, a, false, 0, &now));
  g_assert_false(rl_allow(t, 4, a, false, 11, &now));   /* an unverified key ID changes nothing */
  for (int i = 0; i < 3; i++) g_assert_true(rl_allow(t, 4, a, true, 11, &now));
  g_assert_false(rl_allow(t, 4, a, true, 11, &now));    /* its own requests over the limit */
  g_assert_true(rl_allow(t, 4, a, true, 21, &now));     /* another key: another bucket */
  rl_destroy(t);
}

static void test_min_age_survives_flood(void) {
  /* A limited client is not evicted by a flood of new addresses within min_age; once it is idle
   * that long, its slot may go. Unverified newcomers without a slot share one bucket. */
  rl_table *t = rl_create(8, 0, 2, 64);
  uint8_t a[16] = { 192, 0, 2, 9 };
  struct timespec now = { 4000, 0 };
  for (int i = 0; i < 2; i++) g_assert_true(rl_allow(t, 4, a, true, 11, &now));
  g_assert_false(rl_allow(t, 4, a, true, 11, &now));
  int refused = 0;
  for (uint32_t i = 0; i < 10000; i++) {
    uint8_t b[16] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
    if (!rl_allow(t, 4, b, false, 0, &now)) refused++;
  }
  g_assert_cmpint(refused, >, 9000);                      /* the overflow bucket ran dry */
  g_assert_false(rl_allow(t, 4, a, true, 11, &now));     /* still limited: not evicted */
  uint8_t c[16] = { 192, 0, 2, 10 };
  g_assert_true(rl_allow(t, 4, c, true, 11, &now));      /* untracked verified: allowed */
  rl_destroy(t);
}

static void test_counters(void) {
  srv_counters *c = cnt_create();
  static rsp_result r;
  memset(&r, 0, sizeof r);
  uint8_t a[16] = { 127, 0, 0, 1 };
  r.vr.verdict = NTA_V_GOOD; r.vr.has_key_id = true; r.vr.key_id = 11; r.action = RSP_REPLY;
  cnt_record(c, 4, a, &r);
  r.vr.verdict = NTA_V_BAD_MAC; r.action = RSP_CRYPTO_NAK;
  cnt_record(c, 4, a, &r);
  r.vr.verdict = RSP_NOT_VERIFIED; r.vr.has_key_id = false; r.action = RSP_DROP; r.drop_reason = RSP_DROP_MODE;
  cnt_record(c, 4, a, &r);
  /* More keys and clients than the tables hold go to the "other" rows. */
  r.vr.verdict = NTA_V_UNKNOWN_KEY; r.vr.has_key_id = true; r.action = RSP_CRYPTO_NAK; r.drop_reason = 0;
  for (uint32_t i = 0; i < 1000; i++) {
    uint8_t b[16] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i };
    r.vr.key_id = 1000 + i;
    cnt_record(c, 4, b, &r);
  }
  g_assert_cmpuint(cnt_total(c), ==, 1003);
  g_assert_cmpuint(cnt_verdict(c, NTA_V_GOOD), ==, 1);
  g_assert_cmpuint(cnt_verdict(c, NTA_V_UNKNOWN_KEY), ==, 1000);
  g_assert_cmpuint(cnt_action(c, RSP_CRYPTO_NAK), ==, 1001);
  static char buf[65536];
  struct timespec now = { 0, 0 };
  clock_gettime(CLOCK_REALTIME, &now);
  size_t n = cnt_format(c, &now, buf, sizeof buf);
  g_assert_cmpuint(n, ==, strlen(buf));
  g_assert_nonnull(strstr(buf, "requests 1003"));
  g_assert_nonnull(strstr(buf, "key 11: good=1 kod=0"));
  g_assert_null(strstr(buf, "key 1000:"));                /* failures make no key rows */
  g_assert_nonnull(strstr(buf, "unknown keys: requests=1000; failed MACs with known keys: requests=1"));
  g_assert_nonnull(strstr(buf, "dropped: malformed=0 mode=1"));
  g_assert_nonnull(strstr(buf, "127.0.0.1: requests=3 good=1 auth_failed=1"));
  g_assert_null(strstr(buf, "10.0.0.1:"));                 /* unverified: no client rows */
  g_assert_nonnull(strstr(buf, "other clients: requests=1000"));
  /* A small buffer truncates cleanly. */
  char small[40];
  n = cnt_format(c, &now, small, sizeof small);
  g_assert_cmpuint(n, <, sizeof small);
  g_assert_cmpuint(strlen(small), ==, n);
  cnt_destroy(c);
}

static void test_counters_keep_busiest(void) {
  /* A busy verified client that comes after the table filled is listed; first comers with one
   * request each are not what the table keeps. */
  srv_counters *c = cnt_create();
  static rsp_result r;
  memset(&r, 0, sizeof r);
  r.vr.verdict = NTA_V_GOOD; r.vr.has_key_id = true; r.vr.key_id = 11; r.action = RSP_REPLY;
  for (uint32_t i = 0; i < 2 * CNT_MAX_CLIENTS; i++) {
    uint8_t b[16] = { 10, 1, (uint8_t)(i >> 8), (uint8_t)i };
    cnt_record(c, 4, b, &r);
  }
  uint8_t busy[16] = { 192, 0, 2, 99 };
  for (int i = 0; i < 50; i++) cnt_record(c, 4, busy, &r);
  static char buf[65536];
  struct timespec now = { 0, 0 };
  cnt_format(c, &now, buf, sizeof buf);
  g_assert_nonnull(strstr(buf, "192.0.2.99: requests=50 good=50"));
  g_assert_cmpuint(cnt_total(c), ==, 2 * CNT_MAX_CLIENTS + 50);
  cnt_destroy(c);
}

static void test_time_selection(void) {
  struct timespec now = { 1700000000, 0 };
  srv_time_state out, rcl;
  ts_select(false, NULL, 0, &now, &out);
  g_assert_false(out.synced);
  ts_select(false, NULL, 7, &now, &out);
  g_assert_true(out.synced);
  g_assert_cmpuint(out.stratum, ==, 7);
  g_assert_cmphex(out.refid, ==, TS_REFID_LOCAL);
  memset(&rcl, 0, sizeof rcl);
  rcl.synced = true; rcl.stratum = 1; rcl.refid = 0x47505300u; rcl.offset = 0.25;
  ts_select(true, &rcl, 7, &now, &out);       /* a good refclock wins over local */
  g_assert_cmpuint(out.stratum, ==, 1);
  g_assert_cmpfloat(out.offset, ==, 0.25);
  rcl.synced = false;
  ts_select(true, &rcl, 7, &now, &out);       /* lost refclock: local fallback */
  g_assert_cmpuint(out.stratum, ==, 7);
  ts_select(true, &rcl, 0, &now, &out);       /* no fallback: the refclock's unsynced state */
  g_assert_false(out.synced);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/state/token-bucket", test_token_bucket);
  g_test_add_func("/state/table-bounded", test_table_is_bounded);
  g_test_add_func("/state/spoofed-cannot-spend-verified", test_spoofed_cannot_spend_verified);
  g_test_add_func("/state/min-age-survives-flood", test_min_age_survives_flood);
  g_test_add_func("/state/counters", test_counters);
  g_test_add_func("/state/counters-keep-busiest", test_counters_keep_busiest);
  g_test_add_func("/state/time-selection", test_time_selection);
  return g_test_run();
}
