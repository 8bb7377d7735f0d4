/* test_mode6.c - control messages (mode 6) as a pure function, admission, reload and metrics. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "metrics.h"
#include "mode6.h"
#include "ntpauth/bytes.h"
#include "ntpauth/verify.h"
#include "reload.h"

static const char keys_text[] =
  "1 MD5 abcdefghijklmnopqrst\n"
  "11 SHA1 933f62be1d604e68a81b557f18cfa200483f5b70\n"
  "40 SHA1 1111111111111111111111111111111111111111\n";

static nta_keyring *keyring(void) {
  nta_diag err;
  nta_keyring *kr = nta_keyring_create();
  g_assert_cmpint(nta_keyring_load_text(kr, "t.keys", keys_text, strlen(keys_text),
                                        NTA_DIALECT_NTPD, NULL, NULL, &err), ==, NTA_OK);
  g_assert_cmpint(nta_keyring_trust(kr, "1 11", &err), ==, NTA_OK);
  return kr;
}

/* A server on an SHM clock (selected) plus `local stratum 8` as backup. */
static void snapshot(m6_snapshot *s) {
  memset(s, 0, sizeof *s);
  s->now = (struct timespec){1700000000, 500000000};
  s->ts = (srv_time_state){.synced = true, .leap = 0, .stratum = 1, .refid = 0x47505300,
                           .ref_time = {1700000000, 0}, .offset = 0.0021, .precision = -20};
  snprintf(s->processor, sizeof s->processor, "x86_64");
  snprintf(s->system, sizeof s->system, "Linux/6.1");
  s->assoc[0] = (m6_assoc){.id = 1, .clock_type = 28, .unit = 4, .name = "SHM", .device = "shm:4",
                           .clock_source = M6_SRC_UHF_RADIO, .refid = 0x47505300, .poll = 4,
                           .precision = -20, .reach = 0xFF, .select = M6_SEL_SYSPEER,
                           .have_estimate = true, .offset = 0.0021, .jitter = 0.0005,
                           .update = {1700000000, 0}};
  s->assoc[1] = (m6_assoc){.id = 2, .clock_type = 1, .unit = 1, .name = "LOCAL", .stratum = 7,
                           .clock_source = M6_SRC_LOCAL, .refid = 0x4C4F434C, .poll = 6,
                           .reach = 0xFF, .select = M6_SEL_BACKUP};
  s->n_assoc = 2;
  s->sys_peer = 1;
  s->tc = 4;
}

/* A control request (NTPv2 like ntpq); key_id 0: no MAC; bad: corrupt the MAC. */
static size_t request(uint8_t *buf, uint8_t op, uint16_t assoc, const char *data,
                      const nta_keyring *kr, uint32_t key_id, bool bad) {
  size_t dlen = strlen(data);
  nta_writer w;
  nta_wr_init(&w, buf, 512);
  nta_wr_u8(&w, 0x16);
  nta_wr_u8(&w, op);
  nta_wr_u16(&w, 77);
  nta_wr_u16(&w, 0);
  nta_wr_u16(&w, assoc);
  nta_wr_u16(&w, 0);
  nta_wr_u16(&w, (uint16_t)dlen);
  memcpy(buf + 12, data, dlen);
  size_t len = 12 + dlen;
  while (len & 7) buf[len++] = 0;
  if (key_id) {
    const nta_key *k = nta_keyring_find(kr, key_id);
    len = nta_sign(k, buf, len, 512, nta_mac_output_len(nta_key_mac(k)));
    g_assert_cmpuint(len, >, 0);
    if (bad) buf[len - 1] ^= 1;
  }
  return len;
}

static m6_result res;

static m6_outcome ask(const uint8_t *buf, size_t len, bool require_auth, const nta_keyring *kr) {
  m6_snapshot s;
  snapshot(&s);
  m6_policy pol = {.require_auth = require_auth};
  return m6_respond(buf, len, &s, &pol, kr, &res);
}

static uint16_t u16_at(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static GString *data_of_reply(void) {
  GString *all = g_string_new(NULL);
  for (size_t i = 0; i < res.n_frags; i++) {
    const uint8_t *f = res.frag[i];
    g_assert_cmpuint(f[0] & 7, ==, 6);
    g_assert_true(f[1] & 0x80);
    g_assert_cmpuint((f[1] & 0x20) != 0, ==, i + 1 < res.n_frags);   /* More on all but the last */
    g_assert_cmpuint(u16_at(f + 2), ==, 77);                           /* sequence echoed */
    g_assert_cmpuint(u16_at(f + 8), ==, all->len);                     /* byte offset */
    g_assert_cmpuint(res.frag_len[i] % 4, ==, 0);
    g_string_append_len(all, (const char *)f + 12, u16_at(f + 10));
  }
  return all;
}

static void test_readstat(void) {
  uint8_t buf[512];
  size_t len = request(buf, M6_OP_READSTAT, 0, "", NULL, 0, false);
  g_assert_cmpint(ask(buf, len, false, NULL), ==, M6_ANSWER);
  g_assert_cmpuint(res.n_frags, ==, 1);
  const uint8_t *f = res.frag[0];
  g_assert_cmpuint(f[0] >> 6, ==, 0);                 /* LI of a synchronised server */
  g_assert_cmpuint(u16_at(f + 4), ==, 0x0416);        /* leap_none, sync_uhf_radio, restart */
  g_assert_cmpuint(u16_at(f + 10), ==, 8);
  g_assert_cmpuint(u16_at(f + 12), ==, 1);
  g_assert_cmpuint(u16_at(f + 14), ==, 0x961a);       /* conf, reach, sys.peer, sys_peer event */
  g_assert_cmpuint(u16_at(f + 16), ==, 2);
  g_assert_cmpuint(u16_at(f + 18), ==, 0x9514);       /* conf, reach, backup */
}

static void test_readvar_system(void) {
  uint8_t buf[512];
  size_t len = request(buf, M6_OP_READVAR, 0, "", NULL, 0, false);
  g_assert_cmpint(ask(buf, len, false, NULL), ==, M6_ANSWER);
  GString *d = data_of_reply();
  g_assert_true(g_str_has_prefix(d->str, "leap=0, stratum=1, precision=-20, rootdelay=0.000,"));
  g_assert_nonnull(strstr(d->str, "refid=GPS"));
  g_assert_nonnull(strstr(d->str, "offset=2.100000"));          /* milliseconds, as ntpd */
  g_assert_nonnull(strstr(d->str, "peer=1,"));
  g_assert_nonnull(strstr(d->str, "authenticated=0"));
  g_assert_true(g_str_has_suffix(d->str, "\r\n"));
  gchar **lines = g_strsplit(d->str, "\r\n", -1);
  for (gchar **l = lines; *l; l++) g_assert_cmpuint(strlen(*l), <=, 72);
  g_strfreev(lines);
  g_string_free(d, TRUE);
}

static void test_readvar_peer_list(void) {
  uint8_t buf[512];
  /* check_ntp_peer's request; values after '=' are ignored as ntpd does. */
  size_t len = request(buf, M6_OP_READVAR, 1, "stratum,offset, jitter=5", NULL, 0, false);
  g_assert_cmpint(ask(buf, len, false, NULL), ==, M6_ANSWER);
  GString *d = data_of_reply();
  g_assert_cmpstr(d->str, ==, "stratum=0, offset=2.100000, jitter=0.500000\r\n");
  g_assert_cmpuint(u16_at(res.frag[0] + 4), ==, 0x961a);
  g_string_free(d, TRUE);
}

static void test_fragments(void) {
  uint8_t buf[512];
  size_t len = request(buf, M6_OP_READVAR, 2, "", NULL, 0, false);
  g_assert_cmpint(ask(buf, len, false, NULL), ==, M6_ANSWER);
  GString *d = data_of_reply();
  g_assert_nonnull(strstr(d->str, "srcadr=127.127.1.1,"));
  g_assert_nonnull(strstr(d->str, "srchost=\"LOCAL(1)\""));
  /* Ask for more than one datagram holds: fragments of 468 bytes. */
  char names[400] = "";
  for (int i = 0; i < 30; i++) strcat(names, "srchost,");
  len = request(buf, M6_OP_READVAR, 2, names, NULL, 0, false);
  g_assert_cmpint(ask(buf, len, false, NULL), ==, M6_ANSWER);
  g_assert_cmpuint(res.n_frags, ==, 2);
  g_assert_cmpuint(u16_at(res.frag[0] + 10), ==, 468);
  GString *d2 = data_of_reply();
  gchar **items = g_strsplit(d2->str, "srchost=\"LOCAL(1)\"", -1);
  g_assert_cmpuint(g_strv_length(items), ==, 31);
  g_strfreev(items);
  g_string_free(d, TRUE);
  g_string_free(d2, TRUE);
}

static void expect_error(uint8_t op, uint16_t assoc, const char *data, uint8_t code) {
  uint8_t buf[512];
  size_t len = request(buf, op, assoc, data, NULL, 0, false);
  g_assert_cmpint(ask(buf, len, false, NULL), ==, M6_ERROR);
  g_assert_cmpuint(res.n_frags, ==, 1);
  g_assert_cmpuint(res.frag_len[0], ==, 12);
  g_assert_cmpuint(res.frag[0][1], ==, 0xC0 | op);
  g_assert_cmpuint(u16_at(res.frag[0] + 4), ==, code << 8);
  g_assert_cmpuint(u16_at(res.frag[0] + 10), ==, 0);
}

static void test_errors(void) {
  expect_error(M6_OP_READVAR, 99, "", M6_ERR_BADASSOC);
  expect_error(M6_OP_READSTAT, 99, "", M6_ERR_BADASSOC);
  expect_error(M6_OP_READVAR, 0, "stratum,jitter", M6_ERR_UNKNOWNVAR);  /* jitter is a peer's */
  expect_error(M6_OP_WRITEVAR, 0, "leap=1", M6_ERR_PERMISSION);
  expect_error(M6_OP_CONFIGURE, 0, "server 192.0.2.1", M6_ERR_PERMISSION);
  expect_error(10, 0, "", M6_ERR_BADOP);      /* MRU list */
  expect_error(12, 0, "", M6_ERR_BADOP);      /* nonce */
  expect_error(20, 0, "", M6_ERR_BADOP);
}

static void test_drops(void) {
  uint8_t buf[512];
  size_t len = request(buf, M6_OP_READVAR, 0, "", NULL, 0, false);
  buf[1] |= 0x80;                              /* a response: never answered */
  g_assert_cmpint(ask(buf, len, false, NULL), ==, M6_DROP);
  len = request(buf, M6_OP_READVAR, 0, "", NULL, 0, false);
  g_assert_cmpint(ask(buf, 8, false, NULL), ==, M6_DROP);
  buf[1] |= 0x20;                              /* a request fragment */
  g_assert_cmpint(ask(buf, len, false, NULL), ==, M6_DROP);
}

static void test_authenticated(void) {
  nta_keyring *kr = keyring();
  uint8_t buf[512];
  char names[400] = "";
  for (int i = 0; i < 30; i++) strcat(names, "srchost,");
  size_t len = request(buf, M6_OP_READVAR, 2, names, kr, 11, false);
  g_assert_cmpint(ask(buf, len, true, kr), ==, M6_ANSWER);
  g_assert_true(res.signed_reply);
  g_assert_cmpuint(res.n_frags, ==, 2);
  for (size_t i = 0; i < res.n_frags; i++) {   /* every fragment signed with the request's key */
    nta_packet p;
    nta_verify_result vr;
    g_assert_cmpint(nta_packet_parse(res.frag[i], res.frag_len[i], res.frag_len[i], &p), ==, NTA_PKT_OK);
    g_assert_cmpint(nta_verify(kr, &p, res.frag[i], &vr), ==, NTA_V_GOOD);
    g_assert_cmpuint(vr.key_id, ==, 11);
  }
  /* A wrong MAC, an untrusted key, or none with require-auth: a bare permission error. */
  len = request(buf, M6_OP_READVAR, 0, "", kr, 1, true);
  g_assert_cmpint(ask(buf, len, false, kr), ==, M6_ERROR);
  g_assert_cmpuint(res.error_code, ==, M6_ERR_PERMISSION);
  g_assert_cmpuint(res.frag_len[0], ==, 12);
  len = request(buf, M6_OP_READVAR, 0, "", kr, 40, false);
  g_assert_cmpint(ask(buf, len, false, kr), ==, M6_ERROR);
  len = request(buf, M6_OP_READVAR, 0, "", NULL, 0, false);
  g_assert_cmpint(ask(buf, len, true, kr), ==, M6_ERROR);
  g_assert_cmpint(ask(buf, len, false, kr), ==, M6_ANSWER);
  /* An error for a verified request is signed, MAC right after the header (as ntpd). */
  len = request(buf, M6_OP_WRITEVAR, 0, "leap=1", kr, 1, false);
  g_assert_cmpint(ask(buf, len, false, kr), ==, M6_ERROR);
  g_assert_cmpuint(res.frag_len[0], ==, 12 + 4 + 16);
  nta_keyring_destroy(kr);
}

static void test_allow(void) {
  ctl_config c;
  ctl_config_init(&c);
  uint8_t a4[16] = {127, 0, 0, 1}, b4[16] = {127, 0, 0, 2}, lo6[16] = {[15] = 1};
  g_assert_true(ctl_allowed(&c, 4, a4));
  g_assert_false(ctl_allowed(&c, 4, b4));
  g_assert_true(ctl_allowed(&c, 6, lo6));
  char w0[] = "control-allow", w1[] = "192.0.2.0/25", w2[] = "2001:db8::/32";
  char *words[] = {w0, w1, w2};
  bool handled;
  nta_diag err;
  g_assert_cmpint(ctl_config_line(&c, words, 3, "f:1", &handled, &err), ==, NTA_OK);
  g_assert_true(handled);
  uint8_t in[16] = {192, 0, 2, 127}, out[16] = {192, 0, 2, 128}, v6[16] = {0x20, 0x01, 0x0d, 0xb8, 9};
  g_assert_true(ctl_allowed(&c, 4, in));
  g_assert_false(ctl_allowed(&c, 4, out));
  g_assert_false(ctl_allowed(&c, 4, a4));     /* the list replaced the default */
  g_assert_true(ctl_allowed(&c, 6, v6));
  char bad[] = "192.0.2.0/33";
  words[1] = bad;
  g_assert_cmpint(ctl_config_line(&c, words, 2, "f:2", &handled, &err), !=, NTA_OK);
  g_assert_nonnull(strstr(err.msg, "f:2"));
  /* Rate limit: a burst, then silence. */
  ctl_server *srv = ctl_create(&c);
  struct timespec t = {1700000000, 0};
  int admitted = 0;
  for (int i = 0; i < 100; i++) admitted += ctl_admit(srv, 4, in, &t);
  g_assert_cmpint(admitted, ==, CTL_RATE_BURST);
  g_assert_false(ctl_admit(srv, 4, out, &t));
  g_assert_cmpuint(ctl_get_stats(srv)->not_allowed, ==, 1);
  ctl_destroy(srv);
}

static void write_file(const char *path, const char *text) {
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void test_reload(void) {
  gchar *dir = g_dir_make_tmp("mode6-XXXXXX", NULL);
  gchar *conf = g_build_filename(dir, "srv.conf", NULL);
  gchar *keys = g_build_filename(dir, "ntp.keys", NULL);
  write_file(conf, "keys ntp.keys\ntrustedkey 1 11\nlocal stratum 8\n");
  write_file(keys, keys_text);
  reload_info info;
  nta_diag err;
  nta_keyring *kr = reload_keys(conf, dir, &info, &err);
  g_assert_nonnull(kr);
  g_assert_cmpuint(info.n_keys, ==, 3);
  g_assert_false(nta_keyring_is_trusted(kr, 40));
  nta_keyring_destroy(kr);
  /* One broken line: nothing is loaded and the message names the line. */
  write_file(keys, "1 MD5 abcdefghijklmnopqrst\nx MD5 secret\n");
  g_assert_null(reload_keys(conf, dir, &info, &err));
  g_assert_nonnull(strstr(err.msg, "ntp.keys:2"));
  write_file(keys, keys_text);
  write_file(conf, "keys ntp.keys\ntrustedkey 1 (2 ..\n");
  g_assert_null(reload_keys(conf, dir, &info, &err));
  g_assert_nonnull(strstr(err.msg, "srv.conf:2"));
  g_remove(conf);
  g_remove(keys);
  g_rmdir(dir);
  g_free(conf);
  g_free(keys);
  g_free(dir);
}

static void test_metrics(void) {
  m6_snapshot s;
  snapshot(&s);
  ctl_stats cs = {.answered = 3};
  srv_counters *c = cnt_create();
  metrics_input in = {.snap = &s, .counters = c, .control = &cs, .n_keys = 3};
  char buf[16384];
  size_t len = metrics_format(&in, buf, sizeof buf);
  g_assert_cmpuint(len, <, sizeof buf);
  g_assert_nonnull(strstr(buf, "# TYPE ntpauth_server_synchronised gauge\nntpauth_server_synchronised 1\n"));
  g_assert_nonnull(strstr(buf, "ntpauth_server_stratum 1\n"));
  g_assert_nonnull(strstr(buf, "ntpauth_server_offset_seconds 0.002100000\n"));
  g_assert_nonnull(strstr(buf, "ntpauth_server_control_requests_total{outcome=\"answered\"} 3\n"));
  g_assert_nonnull(strstr(buf, "ntpauth_refclock_selected{source=\"127.127.28.4\",driver=\"SHM\",refid=\"GPS\"} 1\n"));
  g_assert_nonnull(strstr(buf, "ntpauth_refclock_reach{source=\"127.127.1.1\",driver=\"LOCAL\",refid=\"LOCL\"} 255\n"));
  cnt_destroy(c);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/mode6/readstat", test_readstat);
  g_test_add_func("/mode6/readvar-system", test_readvar_system);
  g_test_add_func("/mode6/readvar-peer-list", test_readvar_peer_list);
  g_test_add_func("/mode6/fragments", test_fragments);
  g_test_add_func("/mode6/errors", test_errors);
  g_test_add_func("/mode6/drops", test_drops);
  g_test_add_func("/mode6/authenticated", test_authenticated);
  g_test_add_func("/mode6/allow-and-rate", test_allow);
  g_test_add_func("/mode6/reload", test_reload);
  g_test_add_func("/mode6/metrics", test_metrics);
  return g_test_run();
}
