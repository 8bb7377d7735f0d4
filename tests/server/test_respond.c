/* test_respond.c - the server's answer as a pure function, with a fixed clock. */
#include <glib.h>
#include <string.h>

#include "ntpauth/bytes.h"
#include "ntpauth/keyring.h"
#include "ntpauth/verify.h"
#include "respond.h"
#include "timestate.h"

static const char keys_text[] =
  "1 MD5 abcdefghijklmnopqrst\n"
  "11 SHA1 933f62be1d604e68a81b557f18cfa200483f5b70\n"
  "21 AES128CMAC 7ea62ae64d190114d46d5a082f948ec1\n"
  "31 SHA256 c2a7f7e0d3b4c5a6978867564534231201f0e0d0c0b0a090807060504030201a\n"
  "40 SHA1 1111111111111111111111111111111111111111\n";

static const uint64_t REQ_XMT = 0xE6136A712D8C4800ull;
static const struct timespec RX = { 1700000000, 250000000 };
static const struct timespec TX = { 1700000000, 250100000 };

typedef struct {
  nta_keyring *kr;
  srv_time_state ts;
  rsp_policy pol;
} fixture;

static void setup(fixture *f, gconstpointer data) {
  (void)data;
  nta_diag err;
  f->kr = nta_keyring_create();
  g_assert_nonnull(f->kr);
  g_assert_cmpint(nta_keyring_load_text(f->kr, "test.keys", keys_text, strlen(keys_text),
                                        NTA_DIALECT_NTPD, NULL, NULL, &err), ==, NTA_OK);
  g_assert_cmpint(nta_keyring_trust(f->kr, "1 11 21 31", &err), ==, NTA_OK);
  struct timespec ref = { 1700000000, 0 };
  ts_local_state(8, &ref, &f->ts);
  f->pol.crypto_nak = true;
  f->pol.require_auth = false;
}

static void teardown(fixture *f, gconstpointer data) {
  (void)data;
  nta_keyring_destroy(f->kr);
}

/* A client request; key_id 0 = no MAC. Returns its length. */
static size_t make_request(fixture *f, uint8_t *buf, size_t cap, int version, int mode,
                           uint32_t key_id, size_t digest_len, const uint8_t *efs, size_t efs_len) {
  nta_header h = { .version = (uint8_t)version, .mode = (uint8_t)mode, .poll = 6,
                    .precision = -20, .xmt_ts = REQ_XMT };
  size_t off = nta_header_write(&h, buf, cap);
  g_assert_cmpuint(off, ==, NTA_HEADER_LEN);
  nta_writer w;
  nta_wr_init(&w, buf + off, cap - off);
  if (efs_len) nta_wr_bytes(&w, efs, efs_len);
  g_assert_false(w.err);
  off += w.off;
  if (!key_id) return off;
  const nta_key *k = nta_keyring_find(f->kr, key_id);
  g_assert_nonnull(k);
  size_t len = nta_sign(k, buf, off, cap, digest_len);
  g_assert_cmpuint(len, >, 0);
  return len;
}

static uint64_t rd64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}
static uint32_t rd32(const uint8_t *p) { return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]; }

static rsp_action run(fixture *f, const uint8_t *buf, size_t len, bool rate, rsp_result *res) {
  rsp_request req = { .buf = buf, .len = len, .rx_time = RX, .rate_exceeded = rate };
  return respond(&req, &f->ts, &f->pol, f->kr, &TX, res);
}

/* Checks the reply verifies with the same key and digest length. */
static void assert_signed_reply(fixture *f, const rsp_result *res, uint32_t key_id, size_t digest_len) {
  nta_packet p;
  nta_verify_result vr;
  g_assert_cmpint(nta_packet_parse(res->reply, res->reply_len, res->reply_len, &p), ==, NTA_PKT_OK);
  g_assert_cmpint(nta_verify(f->kr, &p, res->reply, &vr), ==, NTA_V_GOOD);
  g_assert_cmpuint(vr.key_id, ==, key_id);
  g_assert_cmpuint(vr.digest_len, ==, digest_len);
}

static void test_md5_v4(fixture *f, gconstpointer d) {
  (void)d;
  uint8_t buf[128];
  static rsp_result res;
  size_t len = make_request(f, buf, sizeof buf, 4, 3, 1, 16, NULL, 0);
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_REPLY);
  g_assert_cmpint(res.vr.verdict, ==, NTA_V_GOOD);
  g_assert_cmpuint(res.reply_len, ==, 68);
  g_assert_cmphex(res.reply[0], ==, 0x24);          /* LI 0, v4, mode 4 */
  g_assert_cmpuint(res.reply[1], ==, 8);             /* local stratum */
  g_assert_cmphex(rd32(res.reply + 12), ==, 0x7F7F0101u);
  g_assert_cmphex(rd64(res.reply + 24), ==, REQ_XMT);
  g_assert_cmphex(rd64(res.reply + 32), ==, nta_ts_from_unix(RX.tv_sec, (uint32_t)RX.tv_nsec));
  g_assert_cmphex(rd64(res.reply + 40), ==, nta_ts_from_unix(TX.tv_sec, (uint32_t)TX.tv_nsec));
  g_assert_cmphex(rd64(res.reply + 16), ==, nta_ts_from_unix(1700000000, 0));
  assert_signed_reply(f, &res, 1, 16);
}

static void test_each_algorithm(fixture *f, gconstpointer d) {
  (void)d;
  static const struct { uint32_t id; int version; size_t dlen, reply_len; } cases[] = {
    { 11, 4, 20, 72 }, { 21, 4, 16, 68 }, { 31, 4, 20, 72 },
    { 31, 3, 32, 84 },  /* chrony's full-length NTPv3 MAC comes back full length */
    { 1, 3, 16, 68 }, { 11, 3, 20, 72 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    uint8_t buf[160];
    static rsp_result res;
    size_t len = make_request(f, buf, sizeof buf, cases[i].version, 3, cases[i].id, cases[i].dlen, NULL, 0);
    g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_REPLY);
    g_assert_cmpuint(res.reply_len, ==, cases[i].reply_len);
    g_assert_cmpuint(res.reply[0] >> 3 & 7, ==, (unsigned)cases[i].version);
    assert_signed_reply(f, &res, cases[i].id, cases[i].dlen);
  }
}

static void test_bad_mac_nak_or_silence(fixture *f, gconstpointer d) {
  (void)d;
  uint8_t buf[128];
  static rsp_result res;
  size_t len = make_request(f, buf, sizeof buf, 4, 3, 11, 20, NULL, 0);
  buf[len - 1] ^= 1;
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_CRYPTO_NAK);
  g_assert_cmpint(res.vr.verdict, ==, NTA_V_BAD_MAC);
  g_assert_cmpuint(res.reply_len, ==, 52);
  g_assert_cmphex(rd32(res.reply + 48), ==, 0);
  g_assert_cmphex(rd64(res.reply + 24), ==, REQ_XMT);  /* a real header: origin matches */
  g_assert_cmpuint(res.reply[1], ==, 8);
  f->pol.crypto_nak = false;
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_DROP);
  g_assert_cmpint(res.drop_reason, ==, RSP_DROP_AUTH_SILENT);
  g_assert_cmpuint(res.reply_len, ==, 0);
}

static void test_unknown_and_untrusted(fixture *f, gconstpointer d) {
  (void)d;
  uint8_t buf[128];
  static rsp_result res;
  size_t len = make_request(f, buf, sizeof buf, 4, 3, 40, 20, NULL, 0);  /* key 40: not trusted */
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_CRYPTO_NAK);
  g_assert_cmpint(res.vr.verdict, ==, NTA_V_UNTRUSTED_KEY);
  buf[48] = 0; buf[49] = 0; buf[50] = 0x27; buf[51] = 0x0F;   /* key 9999: unknown */
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_CRYPTO_NAK);
  g_assert_cmpint(res.vr.verdict, ==, NTA_V_UNKNOWN_KEY);
}

static void test_no_auth_and_require_auth(fixture *f, gconstpointer d) {
  (void)d;
  uint8_t buf[128];
  static rsp_result res;
  size_t len = make_request(f, buf, sizeof buf, 4, 3, 0, 0, NULL, 0);
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_REPLY);
  g_assert_cmpuint(res.reply_len, ==, 48);
  g_assert_cmpint(res.vr.verdict, ==, NTA_V_NO_AUTH);
  f->pol.require_auth = true;
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_DROP);
  g_assert_cmpint(res.drop_reason, ==, RSP_DROP_NO_AUTH);
}

static void test_drops(fixture *f, gconstpointer d) {
  (void)d;
  uint8_t buf[128];
  static rsp_result res;
  size_t len = make_request(f, buf, sizeof buf, 4, 3, 0, 0, NULL, 0);
  g_assert_cmpint(run(f, buf, 47, false, &res), ==, RSP_DROP);
  g_assert_cmpint(res.drop_reason, ==, RSP_DROP_MALFORMED);
  g_assert_cmpint(run(f, buf, 0, false, &res), ==, RSP_DROP);
  for (int mode = 0; mode <= 7; mode++) {
    if (mode == 1 || mode == 3) continue;
    buf[0] = (uint8_t)((4 << 3) | mode);
    g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_DROP);
  }
  buf[0] = (uint8_t)((4 << 3) | 4);
  run(f, buf, len, false, &res);
  g_assert_cmpint(res.drop_reason, ==, RSP_DROP_MODE);
  buf[0] = (uint8_t)((5 << 3) | 3);   /* NTPv5 is not ours */
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_DROP);
  buf[0] = (uint8_t)((0 << 3) | 3);
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_DROP);
}

static void test_kod_rate(fixture *f, gconstpointer d) {
  (void)d;
  uint8_t buf[128];
  static rsp_result res;
  size_t len = make_request(f, buf, sizeof buf, 4, 3, 11, 20, NULL, 0);
  g_assert_cmpint(run(f, buf, len, true, &res), ==, RSP_KOD_RATE);
  g_assert_cmphex(res.reply[0], ==, 0xE4);            /* LI 3, v4, mode 4 */
  g_assert_cmpuint(res.reply[1], ==, 0);
  g_assert_cmphex(rd32(res.reply + 12), ==, 0x52415445u);   /* RATE */
  g_assert_cmphex(rd64(res.reply + 24), ==, REQ_XMT);
  g_assert_cmphex(rd64(res.reply + 32), ==, REQ_XMT);
  g_assert_cmphex(rd64(res.reply + 40), ==, REQ_XMT);
  assert_signed_reply(f, &res, 11, 20);
  /* An unauthenticated client gets an unsigned KoD. */
  len = make_request(f, buf, sizeof buf, 4, 3, 0, 0, NULL, 0);
  g_assert_cmpint(run(f, buf, len, true, &res), ==, RSP_KOD_RATE);
  g_assert_cmpuint(res.reply_len, ==, 48);
  /* respond_rate_limited() does the same to a prepared answer and leaves drops alone. */
  rsp_request req = { .buf = buf, .len = len, .rx_time = RX };
  g_assert_cmpint(respond_prepare(&req, &f->ts, &f->pol, f->kr, &res), ==, RSP_REPLY);
  respond_rate_limited(&res);
  g_assert_cmpint(res.action, ==, RSP_KOD_RATE);
  req.len = 47;
  respond_prepare(&req, &f->ts, &f->pol, f->kr, &res);
  respond_rate_limited(&res);
  g_assert_cmpint(res.action, ==, RSP_DROP);
}

static void test_unsynced_and_offset(fixture *f, gconstpointer d) {
  (void)d;
  uint8_t buf[128];
  static rsp_result res;
  size_t len = make_request(f, buf, sizeof buf, 4, 3, 0, 0, NULL, 0);
  respond_unsynced_state(&f->ts);
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_REPLY);
  g_assert_cmphex(res.reply[0] >> 6, ==, 3);
  g_assert_cmpuint(res.reply[1], ==, 0);
  g_assert_cmphex(rd32(res.reply + 12), ==, 0x494E4954u);   /* INIT */

  /* A refclock 1.5 s ahead of the system clock: both timestamps carry the offset. */
  struct timespec ref = RX;
  ts_local_state(1, &ref, &f->ts);
  f->ts.offset = 1.5;
  f->ts.refid = 0x47505300u;
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_REPLY);
  g_assert_cmphex(rd64(res.reply + 32), ==, nta_ts_from_unix(RX.tv_sec + 1, (uint32_t)RX.tv_nsec + 500000000u));
  g_assert_cmphex(rd64(res.reply + 40), ==, nta_ts_from_unix(TX.tv_sec + 1, (uint32_t)TX.tv_nsec + 500000000u));
  g_assert_cmpuint(res.reply[1], ==, 1);
  g_assert_cmphex(rd32(res.reply + 12), ==, 0x47505300u);
}

static void test_symmetric_and_efs(fixture *f, gconstpointer d) {
  (void)d;
  uint8_t buf[160];
  static rsp_result res;
  size_t len = make_request(f, buf, sizeof buf, 4, 1, 11, 20, NULL, 0);
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_REPLY);
  g_assert_cmpuint(res.reply[0] & 7, ==, 2);
  uint8_t ef16[16] = { 0xF3, 0xA5, 0x00, 0x10 };
  len = make_request(f, buf, sizeof buf, 4, 3, 11, 20, ef16, sizeof ef16);
  g_assert_cmpuint(len, ==, 88);
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_REPLY);
  g_assert_cmpuint(res.reply_len, ==, 72);   /* the EF is not echoed */
  assert_signed_reply(f, &res, 11, 20);
  /* NTS-looking request: not supported, dropped. */
  uint8_t nts[36] = { 0x01, 0x04, 0x00, 36 };
  len = make_request(f, buf, sizeof buf, 4, 3, 0, 0, nts, sizeof nts);
  g_assert_cmpint(run(f, buf, len, false, &res), ==, RSP_DROP);
  g_assert_cmpint(res.drop_reason, ==, RSP_DROP_NTS);
}

static void test_never_larger(fixture *f, gconstpointer d) {
  (void)d;
  uint8_t buf[128];
  static rsp_result res;
  size_t len = make_request(f, buf, sizeof buf, 4, 3, 11, 20, NULL, 0);
  rsp_request req = { .buf = buf, .len = len, .rx_time = RX };
  g_assert_cmpint(respond_prepare(&req, &f->ts, &f->pol, f->kr, &res), ==, RSP_REPLY);
  /* Pretend the request was shorter than the signed reply: the guard refuses to send. */
  g_assert_false(respond_finish(&res, &f->ts, &TX, 60));
  g_assert_cmpint(res.action, ==, RSP_DROP);
  g_assert_cmpint(res.drop_reason, ==, RSP_DROP_OVERSIZE);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, setup, fn, teardown)
  ADD("/respond/md5-v4", test_md5_v4);
  ADD("/respond/each-algorithm", test_each_algorithm);
  ADD("/respond/bad-mac", test_bad_mac_nak_or_silence);
  ADD("/respond/unknown-untrusted", test_unknown_and_untrusted);
  ADD("/respond/no-auth", test_no_auth_and_require_auth);
  ADD("/respond/drops", test_drops);
  ADD("/respond/kod-rate", test_kod_rate);
  ADD("/respond/unsynced-offset", test_unsynced_and_offset);
  ADD("/respond/symmetric-efs", test_symmetric_and_efs);
  ADD("/respond/never-larger", test_never_larger);
  return g_test_run();
}
