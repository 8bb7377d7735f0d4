/* test_exchange.c - request/reply pairing, timing and every finding of exchange.h. */
#include <glib.h>
#include <string.h>

#include "ntpauth/exchange.h"
#include "ntpauth/keyring.h"

typedef struct {
  nta_packet pkt;
  nta_verify_result vr;
  nta_observation obs;
} fake_packet;

static uint64_t ntp_ts(uint64_t unix_sec, uint32_t frac) {
  return ((unix_sec + NTA_NTP_UNIX_OFFSET) << 32) | frac;
}

static void ep4(nta_endpoint *ep, uint8_t last, uint16_t port) {
  memset(ep, 0, sizeof *ep);
  ep->family = 4;
  ep->addr[0] = 192; ep->addr[1] = 0; ep->addr[2] = 2; ep->addr[3] = last;
  ep->port = port;
}

/* A fake parsed+verified packet. key_id 0 = no MAC (verdict no_auth unless given). */
static void fake(fake_packet *f, uint64_t frame, int64_t t, uint8_t mode, uint8_t from,
                 uint16_t sport, uint8_t to, uint16_t dport, uint64_t org, uint64_t xmt,
                 nta_verdict verdict, uint32_t key_id, const char *alg) {
  memset(f, 0, sizeof *f);
  f->pkt.header_ok = true;
  f->pkt.version = 4;
  f->pkt.mode = mode;
  f->pkt.stratum = mode == NTA_MODE_SERVER ? 2 : 0;
  f->pkt.org_ts = org;
  f->pkt.xmt_ts = xmt;
  if (mode == NTA_MODE_SERVER) f->pkt.rec_ts = xmt - 1000;
  f->vr.verdict = verdict;
  f->vr.split = -1;
  if (key_id) {
    f->vr.has_key_id = true;
    f->vr.key_id = key_id;
    f->vr.digest_len = 20;
    f->vr.algorithm = alg;
  }
  f->obs.frame = frame;
  f->obs.time_sec = t;
  f->obs.time_nsec = 0;
  ep4(&f->obs.src, from, sport);
  ep4(&f->obs.dst, to, dport);
}

/* Observes the fake packet as it is now (tests change its fields after fake()). */
static void observe(nta_exchange *ex, fake_packet *f, nta_exchange_result *r) {
  nta_observation_set_packet(&f->obs, &f->pkt, &f->vr);
  nta_exchange_observe(ex, &f->obs, r);
}

static const nta_finding *find_kind(const nta_exchange_result *r, nta_finding_kind k) {
  for (unsigned i = 0; i < r->n_findings; i++)
    if (r->findings[i].kind == k) return &r->findings[i];
  return NULL;
}

static void test_names(void) {
  g_assert_cmpstr(nta_finding_name(NTA_F_DOWNGRADE), ==, "downgrade");
  g_assert_cmpstr(nta_finding_name(NTA_F_KEY_MISMATCH), ==, "key_mismatch");
  g_assert_cmpstr(nta_finding_name(NTA_F_CRYPTO_NAK_REPLY), ==, "crypto_nak_reply");
  g_assert_cmpstr(nta_finding_name(NTA_F_UNSOLICITED), ==, "unsolicited_reply");
  g_assert_cmpstr(nta_finding_name(NTA_F_REPLAY), ==, "replay");
  g_assert_cmpstr(nta_finding_name(NTA_F_KOD), ==, "kod");
  g_assert_cmpstr(nta_finding_name(NTA_F_MD5), ==, "md5_in_use");
  g_assert_cmpstr(nta_finding_name(NTA_F_SHARED_KEY), ==, "shared_key");
  g_assert_cmpstr(nta_finding_name(NTA_F_WEAK_KEY), ==, "weak_key");
  g_assert_cmpstr(nta_finding_name(NTA_F_NTS_NAK), ==, "nts_nak");
  g_assert_cmpstr(nta_finding_name(NTA_F_NTS_UID_MISMATCH), ==, "nts_uid_mismatch");
  nta_endpoint ep;
  char s[64];
  ep4(&ep, 7, 123);
  nta_endpoint_addr_str(&ep, s, sizeof s);
  g_assert_cmpstr(s, ==, "192.0.2.7");
  memset(&ep, 0, sizeof ep);
  ep.family = 6;
  ep.addr[0] = 0x20; ep.addr[1] = 0x01; ep.addr[2] = 0x0d; ep.addr[3] = 0xb8; ep.addr[15] = 1;
  nta_endpoint_addr_str(&ep, s, sizeof s);
  g_assert_cmpstr(s, ==, "2001:db8::1");
}

static void test_pair_good_and_timing(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet q, a;
  uint64_t t1 = ntp_ts(1000, 0);
  /* Request captured at 1000.0, reply at 1000.0 + 0 (ns 0) -> use nsec for T4. */
  fake(&q, 1, 1000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  g_assert_false(r.is_reply);
  g_assert_cmpuint(r.n_findings, ==, 0);

  /* Server clock 0.5 s ahead: T2 = 1000.5 + 0.01, T3 = 1000.5 + 0.02, T4 = 1000.04 (capture). */
  fake(&a, 2, 1000, NTA_MODE_SERVER, 2, 123, 1, 40000, t1, 0, NTA_V_GOOD, 11, "SHA1");
  a.obs.time_nsec = 40000000;
  a.pkt.rec_ts = ntp_ts(1000, 0) + (uint64_t)(0.51 * 4294967296.0);
  a.pkt.xmt_ts = ntp_ts(1000, 0) + (uint64_t)(0.52 * 4294967296.0);
  observe(ex, &a, &r);
  g_assert_true(r.is_reply);
  g_assert_true(r.matched);
  g_assert_cmpuint(r.request_frame, ==, 1);
  g_assert_true(r.has_timing);
  g_assert_true(r.timing_trusted);
  /* offset = ((0.51 - 0) + (0.52 - 0.04)) / 2 = 0.495; delay = 0.04 - 0.01 = 0.03 */
  g_assert_cmpfloat_with_epsilon(r.offset, 0.495, 1e-6);
  g_assert_cmpfloat_with_epsilon(r.delay, 0.03, 1e-6);
  g_assert_cmpuint(r.n_findings, ==, 0);
  nta_exchange_destroy(ex);
}

/* Two named captures as one stream: finding texts name the capture, the request's entry moves
 * to its latest sighting, and the reply is timed against that one. */
static void test_several_captures(void) {
  static const char *const names[] = { "client.pcap", "server.pcap" };
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_name_captures(ex, names, 2);
  nta_exchange_result r;
  fake_packet q, q2, a;
  uint64_t t1 = ntp_ts(4000, 0);
  fake(&q, 1, 4000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  /* The same request at the server's capture point 5 ms later (frame 7 there). */
  q2 = q;
  q2.obs.frame = 7;
  q2.obs.capture = 1;
  q2.obs.time_nsec = 5000000;
  nta_observation_set_packet(&q2.obs, &q2.pkt, &q2.vr);
  nta_exchange_seen_again(ex, &q2.obs);
  /* The crypto-NAK the server sent 1 ms later, first seen there (frame 8). */
  fake(&a, 8, 4000, NTA_MODE_SERVER, 2, 123, 1, 40000, t1, ntp_ts(4000, 0), NTA_V_CRYPTO_NAK, 0,
       NULL);
  a.obs.capture = 1;
  a.obs.time_nsec = 6000000;
  a.pkt.rec_ts = ntp_ts(4000, 0) + (uint64_t)(0.0052 * 4294967296.0);
  a.pkt.xmt_ts = ntp_ts(4000, 0) + (uint64_t)(0.0058 * 4294967296.0);
  observe(ex, &a, &r);
  g_assert_true(r.matched);
  g_assert_cmpuint(r.request_frame, ==, 7);
  g_assert_cmpuint(r.request_capture, ==, 1);
  g_assert_true(r.has_timing);
  /* T1 = .005, T2 = .0052, T3 = .0058, T4 = .006: delay 0.0004, offset 0 */
  g_assert_cmpfloat_with_epsilon(r.delay, 0.0004, 1e-6);
  g_assert_cmpfloat_with_epsilon(r.offset, 0.0, 1e-6);
  const nta_finding *f = find_kind(&r, NTA_F_CRYPTO_NAK_REPLY);
  g_assert_nonnull(f);
  g_assert_cmpuint(f->capture, ==, 1);
  g_assert_cmpuint(f->related_frame, ==, 7);
  g_assert_cmpuint(f->related_capture, ==, 1);
  g_assert_cmpstr(f->text, ==, "request in server.pcap:frame 7 (key 11) answered by a crypto-NAK");
  /* The same helper the pairing uses; a KoD has no timing. */
  double off, del;
  g_assert_true(nta_exchange_timing(4000, 5000000, &a.obs, &off, &del));
  g_assert_cmpfloat_with_epsilon(del, 0.0004, 1e-6);
  a.obs.stratum = 0;
  a.obs.refid = 0x52415445;   /* "RATE" */
  g_assert_false(nta_exchange_timing(4000, 5000000, &a.obs, &off, &del));
  nta_exchange_destroy(ex);
}

static void test_timing_untrusted(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet q, a;
  uint64_t t1 = ntp_ts(2000, 5);
  fake(&q, 1, 2000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_BAD_MAC, 11, "SHA1");
  observe(ex, &q, &r);
  fake(&a, 2, 2000, NTA_MODE_SERVER, 2, 123, 1, 40000, t1, ntp_ts(2000, 9), NTA_V_GOOD, 11, "SHA1");
  observe(ex, &a, &r);
  g_assert_true(r.matched);
  g_assert_true(r.has_timing);
  g_assert_false(r.timing_trusted);
  nta_exchange_destroy(ex);
}

static void test_downgrade(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet q, a;
  uint64_t t1 = ntp_ts(3000, 77);
  fake(&q, 5, 3000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  fake(&a, 6, 3000, NTA_MODE_SERVER, 2, 123, 1, 40000, t1, ntp_ts(3000, 99), NTA_V_NO_AUTH, 0, NULL);
  observe(ex, &a, &r);
  g_assert_true(r.matched);
  const nta_finding *f = find_kind(&r, NTA_F_DOWNGRADE);
  g_assert_nonnull(f);
  g_assert_cmpuint(f->frame, ==, 6);
  g_assert_cmpuint(f->related_frame, ==, 5);
  g_assert_cmpuint(f->key_id, ==, 11);
  g_assert_nonnull(strstr(f->text, "frame 5"));
  g_assert_false(r.timing_trusted);
  nta_exchange_destroy(ex);
}

static void test_key_mismatch(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet q, a;
  uint64_t t1 = ntp_ts(3000, 1);
  fake(&q, 1, 3000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  fake(&a, 2, 3000, NTA_MODE_SERVER, 2, 123, 1, 40000, t1, ntp_ts(3000, 2), NTA_V_GOOD, 12, "SHA1");
  observe(ex, &a, &r);
  const nta_finding *f = find_kind(&r, NTA_F_KEY_MISMATCH);
  g_assert_nonnull(f);
  g_assert_cmpuint(f->key_id, ==, 12);
  g_assert_null(find_kind(&r, NTA_F_DOWNGRADE));
  nta_exchange_destroy(ex);
}

static void test_crypto_nak_reply(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet q, a;
  uint64_t t1 = ntp_ts(3000, 3);
  fake(&q, 1, 3000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_BAD_MAC, 11, "SHA1");
  observe(ex, &q, &r);
  fake(&a, 2, 3000, NTA_MODE_SERVER, 2, 123, 1, 40000, t1, ntp_ts(3000, 4), NTA_V_CRYPTO_NAK, 0, NULL);
  observe(ex, &a, &r);
  g_assert_true(r.matched);
  const nta_finding *f = find_kind(&r, NTA_F_CRYPTO_NAK_REPLY);
  g_assert_nonnull(f);
  g_assert_cmpuint(f->related_frame, ==, 1);
  g_assert_null(find_kind(&r, NTA_F_DOWNGRADE));
  nta_exchange_destroy(ex);
}

static void test_unsolicited(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet a, q;
  /* Zero origin. */
  fake(&a, 1, 3000, NTA_MODE_SERVER, 2, 123, 1, 40000, 0, ntp_ts(3000, 4), NTA_V_GOOD, 11, "SHA1");
  observe(ex, &a, &r);
  g_assert_false(r.matched);
  g_assert_nonnull(find_kind(&r, NTA_F_UNSOLICITED));
  g_assert_nonnull(strstr(find_kind(&r, NTA_F_UNSOLICITED)->text, "zero origin"));
  /* Unknown origin. */
  fake(&a, 2, 3000, NTA_MODE_SERVER, 2, 123, 1, 40000, ntp_ts(1, 1), ntp_ts(3000, 5), NTA_V_GOOD, 11,
       "SHA1");
  observe(ex, &a, &r);
  g_assert_nonnull(find_kind(&r, NTA_F_UNSOLICITED));
  /* A reply whose ports are not the request's swapped ports does not pair. */
  uint64_t t1 = ntp_ts(3000, 6);
  fake(&q, 3, 3000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  fake(&a, 4, 3000, NTA_MODE_SERVER, 2, 123, 1, 40001, t1, ntp_ts(3000, 7), NTA_V_GOOD, 11, "SHA1");
  observe(ex, &a, &r);
  g_assert_false(r.matched);
  g_assert_nonnull(find_kind(&r, NTA_F_UNSOLICITED));
  /* A reply from another address does not pair either. */
  fake(&a, 5, 3000, NTA_MODE_SERVER, 9, 123, 1, 40000, t1, ntp_ts(3000, 8), NTA_V_GOOD, 11, "SHA1");
  observe(ex, &a, &r);
  g_assert_false(r.matched);
  /* A request is never unsolicited. */
  fake(&q, 6, 3000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, ntp_ts(3000, 9), NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_UNSOLICITED));
  nta_exchange_destroy(ex);
}

static void test_replay(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet q;
  uint64_t t1 = ntp_ts(4000, 42);
  fake(&q, 1, 4000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_REPLAY));
  q.obs.frame = 7;
  q.obs.time_sec = 4003;
  observe(ex, &q, &r);
  const nta_finding *f = find_kind(&r, NTA_F_REPLAY);
  g_assert_nonnull(f);
  g_assert_cmpuint(f->related_frame, ==, 1);
  /* Same timestamp from another source is not a replay. */
  fake(&q, 8, 4003, NTA_MODE_CLIENT, 3, 40000, 2, 123, 0, t1, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_REPLAY));
  /* A reply answering it, then the same reply again: a replayed reply. */
  fake_packet a;
  fake(&a, 20, 4003, NTA_MODE_SERVER, 2, 123, 1, 40000, t1, ntp_ts(4003, 5), NTA_V_GOOD, 11, "SHA1");
  observe(ex, &a, &r);
  g_assert_true(r.matched);
  g_assert_null(find_kind(&r, NTA_F_REPLAY));
  a.obs.frame = 21;
  observe(ex, &a, &r);
  g_assert_true(r.matched);
  f = find_kind(&r, NTA_F_REPLAY);
  g_assert_nonnull(f);
  g_assert_cmpuint(f->related_frame, ==, 20);
  /* Past max_age the earlier packet is forgotten. */
  fake(&q, 9, 4100, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_REPLAY));
  nta_exchange_destroy(ex);
}

static void test_kod(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet q, a;
  uint64_t t1 = ntp_ts(5000, 1);
  fake(&q, 1, 5000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_NO_AUTH, 0, NULL);
  observe(ex, &q, &r);
  fake(&a, 2, 5000, NTA_MODE_SERVER, 2, 123, 1, 40000, t1, t1, NTA_V_NO_AUTH, 0, NULL);
  a.pkt.li = 3;
  a.pkt.stratum = 0;
  a.pkt.refid = 0x52415445; /* "RATE" */
  a.pkt.rec_ts = t1;
  observe(ex, &a, &r);
  g_assert_true(r.matched);
  const nta_finding *f = find_kind(&r, NTA_F_KOD);
  g_assert_nonnull(f);
  g_assert_nonnull(strstr(f->text, "RATE"));
  g_assert_false(r.has_timing);
  nta_exchange_destroy(ex);
}

static void test_md5_once_per_key(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet q;
  nta_keyring *kr = nta_keyring_create();
  nta_diag err;
  g_assert_cmpint(nta_keyring_add_text(kr, 1, "MD5", "abcdefghijklmnopqrst", NTA_DIALECT_NTPD,
                                       "test", &err), ==, NTA_OK);
  const nta_key *k = nta_keyring_find(kr, 1);
  fake(&q, 1, 6000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, ntp_ts(6000, 1), NTA_V_GOOD, 1, "MD5");
  q.vr.key = k;
  q.vr.digest_len = 16;
  observe(ex, &q, &r);
  const nta_finding *f = find_kind(&r, NTA_F_MD5);
  g_assert_nonnull(f);
  g_assert_cmpuint(f->key_id, ==, 1);
  q.obs.frame = 2;
  q.pkt.xmt_ts = ntp_ts(6001, 1);
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_MD5));
  nta_keyring_destroy(kr);
  nta_exchange_destroy(ex);
}

static void test_shared_key(void) {
  nta_exchange *ex = nta_exchange_create(64, 60);
  nta_exchange_result r;
  fake_packet q;
  fake(&q, 1, 7000, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, ntp_ts(7000, 1), NTA_V_GOOD, 20, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_SHARED_KEY));
  /* Same client, another port: still one client. */
  fake(&q, 2, 7000, NTA_MODE_CLIENT, 1, 40001, 2, 123, 0, ntp_ts(7000, 2), NTA_V_GOOD, 20, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_SHARED_KEY));
  /* A bad MAC does not count as using the key. */
  fake(&q, 3, 7000, NTA_MODE_CLIENT, 4, 40000, 2, 123, 0, ntp_ts(7000, 3), NTA_V_BAD_MAC, 20, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_SHARED_KEY));
  fake(&q, 4, 7000, NTA_MODE_CLIENT, 3, 40000, 2, 123, 0, ntp_ts(7000, 4), NTA_V_GOOD, 20, "SHA1");
  observe(ex, &q, &r);
  const nta_finding *f = find_kind(&r, NTA_F_SHARED_KEY);
  g_assert_nonnull(f);
  g_assert_nonnull(strstr(f->text, "192.0.2.1, 192.0.2.3"));
  g_assert_nonnull(strstr(f->text, "clients"));
  /* Reported once. */
  fake(&q, 5, 7000, NTA_MODE_CLIENT, 5, 40000, 2, 123, 0, ntp_ts(7000, 5), NTA_V_GOOD, 20, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_SHARED_KEY));
  /* Servers are tracked separately. */
  fake(&q, 6, 7000, NTA_MODE_SERVER, 2, 123, 1, 40000, 0, ntp_ts(7000, 6), NTA_V_GOOD, 20, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_SHARED_KEY));
  fake(&q, 7, 7000, NTA_MODE_SERVER, 9, 123, 1, 40000, 0, ntp_ts(7000, 7), NTA_V_GOOD, 20, "SHA1");
  observe(ex, &q, &r);
  f = find_kind(&r, NTA_F_SHARED_KEY);
  g_assert_nonnull(f);
  g_assert_nonnull(strstr(f->text, "servers"));
  /* Review regression: MACs with the reserved key ID 0 (verdict unknown_key) from several
   * clients were reported as "key 0 used by several clients". */
  for (uint8_t host = 20; host < 23; host++) {
    fake(&q, 10 + host, 7000, NTA_MODE_CLIENT, host, 40000, 2, 123, 0, ntp_ts(7000, 10u + host),
         NTA_V_UNKNOWN_KEY, 0, NULL);
    q.vr.has_key_id = true;
    q.vr.digest_len = 20;
    observe(ex, &q, &r);
    g_assert_null(find_kind(&r, NTA_F_SHARED_KEY));
  }
  nta_exchange_destroy(ex);
}

static void test_weak_keys(void) {
  nta_keyring *kr = nta_keyring_create();
  nta_diag err;
  g_assert_cmpint(nta_keyring_add_text(kr, 1, "MD5", "abcdefghijklmnopqrst", NTA_DIALECT_NTPD,
                                       "test:1", &err), ==, NTA_OK);
  g_assert_cmpint(nta_keyring_add_text(kr, 2, "SHA1", "shortkey", NTA_DIALECT_NTPD, "test:2", &err),
                  ==, NTA_OK);
  g_assert_cmpint(nta_keyring_add_text(kr, 3, "SHA1",
                                       "933f62be1d604e68a81b557f18cfa200483f5b70",
                                       NTA_DIALECT_NTPD, "test:3", &err), ==, NTA_OK);
  nta_finding out[8];
  size_t n = nta_exchange_audit_keys(kr, out, 8);
  g_assert_cmpuint(n, ==, 2);
  g_assert_cmpint(out[0].kind, ==, NTA_F_WEAK_KEY);
  g_assert_cmpuint(out[0].key_id, ==, 1);
  g_assert_cmpuint(out[1].key_id, ==, 2);
  g_assert_cmpuint(out[0].frame, ==, 0);
  g_assert_cmpuint(nta_exchange_audit_keys(kr, out, 1), ==, 1);
  g_assert_cmpuint(nta_exchange_audit_keys(NULL, out, 8), ==, 0);
  nta_keyring_destroy(kr);
}

/* The table holds at most max_entries: older requests are evicted, newer ones still pair, and
 * many packets never grow memory or break the probe chains. */
static void test_bounded(void) {
  nta_exchange *ex = nta_exchange_create(8, 3600);
  nta_exchange_result r;
  fake_packet q, a;
  for (unsigned i = 0; i < 10000; i++) {
    fake(&q, 2 * i + 1, 8000, NTA_MODE_CLIENT, (uint8_t)(i % 200), (uint16_t)(1024 + i), 2, 123, 0,
         ntp_ts(8000, i + 1), NTA_V_GOOD, 11, "SHA1");
    observe(ex, &q, &r);
    g_assert_null(find_kind(&r, NTA_F_REPLAY));
  }
  /* The last request still pairs; the first was evicted. */
  uint64_t last = ntp_ts(8000, 10000);
  fake(&a, 30000, 8000, NTA_MODE_SERVER, 2, 123, 199, (uint16_t)(1024 + 9999), last,
       ntp_ts(8000, 99999), NTA_V_GOOD, 11, "SHA1");
  a.obs.src.addr[3] = 2;
  ep4(&a.obs.dst, (uint8_t)(9999 % 200), (uint16_t)(1024 + 9999));
  observe(ex, &a, &r);
  g_assert_true(r.matched);
  g_assert_cmpuint(r.request_frame, ==, 2 * 9999 + 1);
  fake(&a, 30001, 8000, NTA_MODE_SERVER, 2, 123, 0, 1024, ntp_ts(8000, 1), ntp_ts(8000, 99998),
       NTA_V_GOOD, 11, "SHA1");
  observe(ex, &a, &r);
  g_assert_false(r.matched);
  nta_exchange_destroy(ex);
  g_assert_null(nta_exchange_create(0, 10));
}

/* Review regression: capture times come from files (pcapng if_tsoffset can put them anywhere
 * in int64_t). The age check `now - then` overflowed (undefined behaviour); now a gap of more
 * than 2^63 s still expires the old request, and time running backwards expires nothing. */
static void test_extreme_times(void) {
  nta_exchange *ex = nta_exchange_create(16, 60);
  nta_exchange_result r;
  fake_packet q;
  uint64_t t1 = ntp_ts(5000, 7);
  fake(&q, 1, INT64_MIN + 10, NTA_MODE_CLIENT, 1, 40000, 2, 123, 0, t1, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_REPLAY));
  q.obs.frame = 2;
  q.obs.time_sec = INT64_MAX;
  observe(ex, &q, &r);
  g_assert_null(find_kind(&r, NTA_F_REPLAY));   /* the first one expired long ago */
  q.obs.frame = 3;
  q.obs.time_sec = INT64_MIN;                   /* backwards: nothing expires */
  observe(ex, &q, &r);
  const nta_finding *f = find_kind(&r, NTA_F_REPLAY);
  g_assert_nonnull(f);
  g_assert_cmpuint(f->related_frame, ==, 2);
  nta_exchange_destroy(ex);
}

static void test_ignored(void) {
  nta_exchange *ex = nta_exchange_create(16, 60);
  nta_exchange_result r;
  fake_packet q;
  fake(&q, 1, 9000, NTA_MODE_SERVER, 2, 123, 1, 40000, 0, ntp_ts(9000, 1), NTA_V_MALFORMED, 0, NULL);
  observe(ex, &q, &r);
  g_assert_cmpuint(r.n_findings, ==, 0);
  fake(&q, 2, 9000, NTA_MODE_CONTROL, 1, 40000, 2, 123, 0, 0, NTA_V_GOOD, 11, "SHA1");
  observe(ex, &q, &r);
  g_assert_cmpuint(r.n_findings, ==, 0);
  g_assert_false(r.is_reply);
  nta_exchange_destroy(ex);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/exchange/names", test_names);
  g_test_add_func("/exchange/pair_good_and_timing", test_pair_good_and_timing);
  g_test_add_func("/exchange/timing_untrusted", test_timing_untrusted);
  g_test_add_func("/exchange/downgrade", test_downgrade);
  g_test_add_func("/exchange/key_mismatch", test_key_mismatch);
  g_test_add_func("/exchange/crypto_nak_reply", test_crypto_nak_reply);
  g_test_add_func("/exchange/unsolicited", test_unsolicited);
  g_test_add_func("/exchange/replay", test_replay);
  g_test_add_func("/exchange/kod", test_kod);
  g_test_add_func("/exchange/md5_once_per_key", test_md5_once_per_key);
  g_test_add_func("/exchange/shared_key", test_shared_key);
  g_test_add_func("/exchange/weak_keys", test_weak_keys);
  g_test_add_func("/exchange/bounded", test_bounded);
  g_test_add_func("/exchange/several_captures", test_several_captures);
  g_test_add_func("/exchange/ignored", test_ignored);
  g_test_add_func("/exchange/extreme_times", test_extreme_times);
  return g_test_run();
}
