/* test_nts.c - NTS building blocks: the TLS 1.3 exporter and RFC 8915 key derivation (checked
 * against keys chronyd 4.3 saved for a session whose exporter secret GnuTLS logged), AES-SIV
 * (RFC 5297 vectors through OpenSSL, then nettle against OpenSSL; nettle also against real
 * chrony packets), the field parser, key log and dump reading, verification and the tracker. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "ntpauth/nts.h"
#include "ntpauth/ntske_conn.h"
#include "ntpauth/nts_verify.h"

/* One NTS-KE session recorded from chronyd 4.3 (client) and chronyd 4.3 (server) on loopback:
 * the client's key log line and the keys its ntsdumpdir file holds. */
static const char *const chrony_exporter =
    "ee7ba0cb377f31c2f93a92f3071980537f9cb5b3de2e467c9baff6b9018961e68360bc79066fb9146fa3a8236c72c83b";
static const char *const chrony_c2s = "B720C8AD024A301AD0CD4ACB8B46598F288D273E18E8438E13E42F81357B1F05";
static const char *const chrony_s2c = "E2379C3937634139C1EC8F87112392496C25D88F41E1FBCCB2B0D2AF026A85F3";
/* The first request of that session and its reply (UDP payloads). */
static const char *const chrony_request =
  "2300002000000000000000000000000000000000000000000000000000000000000000000000000085bdde1d7abdf584"
  "010400245ae4bc0864fcbc754eb2ab9716c373115baca6c172b8d3ebaadd0452beefa00d0204006814dffcbb7a0ff88b"
  "b2ed92354f589bc6f97e614e3d8f23082deba310f8dc367fd1c54802c820965d414e6464ce472a1ec32d64851fbd84bc"
  "a9404aa10929db80a8808d3f394e029651c8dbb6bfc5e046cf418c90f1275f5f2cc14e599c1ca31c8b023cce04040028"
  "00100010b14e58d7bd3b0dd59194ebe4267b12867cde1193993c7e73c35ba11cf21c8263";
static const char *const chrony_reply =
  "240800e700000000000000007f7f0101eeba186ae3e6301385bdde1d7abdf584eeba186c9a622a2feeba186c9a74a020"
  "010400245ae4bc0864fcbc754eb2ab9716c373115baca6c172b8d3ebaadd0452beefa00d040400900010007882abf26f"
  "0e82da9360ed1e715b9b7bf6290ea04697a2fb1cba498f8bbadc356fc29c3de5cfe1972267c17e74f3b283a984c27cd9"
  "a0eb3f35ea88df786b810bb070568b9539c80dd68c7d45b065acb76884cb79fb706f5c3095ac7c86c7262b999d5e5f6c"
  "14b1851d2afb8ca11c8dbad9c28798f278eccb2b47f57b9e3dd951cda43389628bde3823";

static size_t unhex(const char *h, uint8_t *out, size_t cap) {
  size_t n = strlen(h) / 2;
  g_assert_cmpuint(n, <=, cap);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    g_assert_cmpint(sscanf(h + 2 * i, "%2x", &v), ==, 1);
    out[i] = (uint8_t)v;
  }
  return n;
}

static void assert_hex(const uint8_t *b, size_t n, const char *want) {
  char got[1024];
  g_assert_cmpuint(2 * n, <, sizeof got);
  for (size_t i = 0; i < n; i++) snprintf(got + 2 * i, 3, "%02X", b[i]);
  g_assert_cmpstr(got, ==, want);
}

static void test_derive_chrony(void) {
  uint8_t secret[48], c2s[32], s2c[32];
  size_t n = unhex(chrony_exporter, secret, sizeof secret);
  g_assert_cmpint(nta_nts_derive_keys(secret, n, 15, c2s, s2c), ==, NTA_OK);
  assert_hex(c2s, 32, chrony_c2s);
  assert_hex(s2c, 32, chrony_s2c);
  g_assert_cmpint(nta_nts_derive_keys(secret, n, 16, c2s, s2c), ==, NTA_ERR_UNSUPPORTED);
  g_assert_cmpint(nta_nts_derive_keys(secret, 40, 15, c2s, s2c), ==, NTA_ERR_ARG);
}

/* HKDF-Expand-Label with SHA-256: RFC 8448 §3 derives the server handshake key from
 * "s hs traffic" b67b7d69...; key "tls13 key" (16 bytes) is 3fce5160... */
static void test_hkdf_label_rfc8448(void) {
  uint8_t sec[32], key[16], iv[12];
  unhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38", sec, sizeof sec);
  g_assert_cmpint(nta_hkdf_expand_label(sec, 32, "key", NULL, 0, key, 16), ==, NTA_OK);
  assert_hex(key, 16, "3FCE516009C21727D0F2E4E86EE403BC");
  g_assert_cmpint(nta_hkdf_expand_label(sec, 32, "iv", NULL, 0, iv, 12), ==, NTA_OK);
  assert_hex(iv, 12, "5D313EB2671276EE13000B30");
  g_assert_cmpint(nta_hkdf_expand_label(sec, 31, "iv", NULL, 0, iv, 12), ==, NTA_ERR_ARG);
}

/* RFC 5297 through OpenSSL's AES-SIV with any number of header components (A.1: one associated
 * data string; A.2: two plus a nonce). Returns the ciphertext length. */
static size_t openssl_siv(const uint8_t *key, const uint8_t *const *hdr, const size_t *hlen,
                          int nh, const uint8_t *pt, size_t pt_len, uint8_t *out) {
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  EVP_CIPHER *siv = EVP_CIPHER_fetch(NULL, "AES-128-SIV", NULL);
  int n = 0;
  g_assert_true(siv && EVP_EncryptInit_ex2(c, siv, key, NULL, NULL));
  for (int i = 0; i < nh; i++) g_assert_true(EVP_EncryptUpdate(c, NULL, &n, hdr[i], (int)hlen[i]));
  g_assert_true(EVP_EncryptUpdate(c, out + 16, &n, pt, (int)pt_len));
  g_assert_true(EVP_EncryptFinal_ex(c, out + 16 + n, &n));
  g_assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out));
  EVP_CIPHER_free(siv);
  EVP_CIPHER_CTX_free(c);
  return pt_len + 16;
}

static void test_siv_rfc5297(void) {
  uint8_t key[32], ad1[64], ad2[16], nonce[16], pt[64], out[96];
  unhex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", key, 32);
  size_t al = unhex("101112131415161718191a1b1c1d1e1f2021222324252627", ad1, sizeof ad1);
  size_t pl = unhex("112233445566778899aabbccddee", pt, sizeof pt);
  const uint8_t *h1[] = {ad1};
  size_t n = openssl_siv(key, h1, &al, 1, pt, pl, out);
  assert_hex(out, n, "85632D07C6E8F37F950ACD320A2ECC9340C02B9690C4DC04DAEF7F6AFE5C");
  unhex("7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f", key, 32);
  size_t l[3];
  l[0] = unhex("00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100",
               ad1, sizeof ad1);
  l[1] = unhex("102030405060708090a0", ad2, sizeof ad2);
  l[2] = unhex("09f911029d74e35bd84156c5635688c0", nonce, sizeof nonce);
  pl = unhex("7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e67205349"
             "562d414553", pt, sizeof pt);
  const uint8_t *h3[] = {ad1, ad2, nonce};
  n = openssl_siv(key, h3, l, 3, pt, pl, out);
  assert_hex(out, n, "7BDB6E3B432667EB06F4D14BFF2FBD0FCB900F2FDDBE404326601965C889BF17DBA77CEB094FA663B7A3F748BA8AF829EA64AD544A272E9C485B62A3FD5C0D");
}

/* nettle (used for NTS) against OpenSSL for one associated data string and a nonce, the shape
 * NTS uses, across lengths around the AES block; then the open side, and one flipped bit. */
static void test_siv_nettle_vs_openssl(void) {
  uint8_t key[32], ad[80], nonce[20], pt[70], a[96], b[96], back[96];
  for (size_t i = 0; i < sizeof key; i++) key[i] = (uint8_t)(i * 7 + 1);
  for (size_t i = 0; i < sizeof ad; i++) ad[i] = (uint8_t)(i * 3);
  for (size_t i = 0; i < sizeof pt; i++) pt[i] = (uint8_t)(0xa0 ^ i);
  for (size_t i = 0; i < sizeof nonce; i++) nonce[i] = (uint8_t)(0x55 + i);
  const size_t ads[] = {0, 1, 15, 16, 17, 48, 80}, pts[] = {1, 15, 16, 17, 32, 70};
  for (size_t x = 0; x < G_N_ELEMENTS(ads); x++)
    for (size_t y = 0; y < G_N_ELEMENTS(pts); y++) {
      const uint8_t *h[] = {ad, nonce};
      size_t hl[] = {ads[x], 16};
      size_t n = openssl_siv(key, h, hl, 2, pt, pts[y], a);
      g_assert_true(nta_siv_seal(key, nonce, 16, ad, ads[x], pt, pts[y], b));
      g_assert_cmpmem(a, n, b, n);
      g_assert_true(nta_siv_open(key, nonce, 16, ad, ads[x], b, n, back));
      g_assert_cmpmem(back, pts[y], pt, pts[y]);
      b[n - 1] ^= 1;
      g_assert_false(nta_siv_open(key, nonce, 16, ad, ads[x], b, n, back));
    }
  g_assert_false(nta_siv_open(key, nonce, 0, ad, 4, a, 16, back));   /* no nonce */
  g_assert_false(nta_siv_open(key, nonce, 16, ad, 4, a, 15, back));  /* shorter than a tag */
}

static nta_nts_store *chrony_store(void) {
  nta_nts_store *st = nta_nts_store_create();
  char log[512];
  snprintf(log, sizeof log,
           "# comment\nCLIENT_RANDOM 00 11\nEXPORTER_SECRET "
           "23e8f4eac2cc1fa926de589a1af94645ee944618aecdbbd8ed96422d5a5110e5 %s\n",
           chrony_exporter);
  nta_diags *ds = nta_diags_create();
  g_assert_cmpint(nta_nts_load_keylog_text(st, "kl", log, strlen(log), ds), ==, NTA_OK);
  g_assert_cmpuint(nta_diags_count(ds), ==, 0);
  nta_diags_destroy(ds);
  g_assert_cmpuint(nta_nts_store_count(st), ==, 1);
  g_assert_cmpstr(nta_nts_store_session(st, 0)->name, ==, "tls:23e8f4ea");
  return st;
}

static void test_chrony_packets(void) {
  nta_nts_store *st = chrony_store();
  uint8_t req[512], rep[512];
  size_t ql = unhex(chrony_request, req, sizeof req), pl = unhex(chrony_reply, rep, sizeof rep);
  nta_nts_result *r = g_new0(nta_nts_result, 1);
  g_assert_cmpint(nta_nts_verify(st, req, ql, false, -1, -1, r), ==, NTA_V_GOOD);
  g_assert_cmpint(r->session, ==, 0);
  g_assert_cmpuint(r->plain_len, ==, 0);
  g_assert_true(r->fields.has_uid && r->fields.has_cookie);
  g_assert_cmpint(nta_nts_verify(st, rep, pl, true, -1, -1, r), ==, NTA_V_GOOD);
  g_assert_cmpuint(r->inner.n_cookies, ==, 1);
  g_assert_cmpuint(r->inner.cookies[0].len, ==, 100);
  /* C2S does not open a reply; a flipped bit in the tag fails. */
  g_assert_cmpint(nta_nts_verify(st, rep, pl, false, -1, -1, r), ==, NTA_V_NTS);
  req[r->fields.ciphertext.off] ^= 0x01;
  g_assert_cmpint(nta_nts_verify(st, req, ql, false, -1, 0, r), ==, NTA_V_BAD_MAC);
  g_assert_nonnull(strstr(r->reason, "tls:23e8f4ea"));
  nta_nts_store *empty = nta_nts_store_create();
  g_assert_cmpint(nta_nts_verify(empty, rep, pl, true, -1, -1, r), ==, NTA_V_NTS);
  nta_nts_store_destroy(empty);
  /* The dump of the same session adds no second session. */
  char dump[1024];
  snprintf(dump, sizeof dump, "NNC0\n127.0.0.1\n1796184556.6\n127.0.0.1 123\n1 15 %s %s\nABCD\n",
           chrony_s2c, chrony_c2s);
  nta_diag err;
  g_assert_cmpint(nta_nts_load_dump_text(st, "d/127.0.0.1.nts", dump, strlen(dump), &err), ==,
                  NTA_OK);
  g_assert_cmpuint(nta_nts_store_count(st), ==, 1);
  g_assert_true(nta_nts_store_session(st, 0)->in_both);
  const uint8_t abcd[] = {0xab, 0xcd};
  g_assert_cmpint(nta_nts_store_dump_cookie(st, abcd, 2), ==, 0);
  g_free(r);
  nta_nts_store_destroy(st);
}

static void test_bad_inputs(void) {
  nta_nts_store *st = nta_nts_store_create();
  nta_diags *ds = nta_diags_create();
  const char *log = "EXPORTER_SECRET 00 11\nEXPORTER_SECRET "
                    "23e8f4eac2cc1fa926de589a1af94645ee944618aecdbbd8ed96422d5a5110e5 abcd\n";
  g_assert_cmpint(nta_nts_load_keylog_text(st, "kl", log, strlen(log), ds), ==, NTA_OK);
  g_assert_cmpuint(nta_diags_count(ds), ==, 2);
  g_assert_nonnull(strstr(nta_diags_msg(ds, 0), "kl:1: "));
  g_assert_nonnull(strstr(nta_diags_msg(ds, 1), "kl:2: "));
  nta_diags_destroy(ds);
  const char *dumps[][2] = {
    {"XXX0\n", "d:1: not a chrony"},
    {"NNC0\nname\n1.0\n127.0.0.1 123\n1 16 00 00\n", "d:5: AEAD 16"},
    {"NNC0\nname\n1.0\n127.0.0.1 123\n1 15 00 00\n", "d:5: keys are not"},
    {"NNC0\nname\n1.0\n", "d:4: missing"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(dumps); i++) {
    nta_diag err;
    g_assert_cmpint(nta_nts_load_dump_text(st, "d", dumps[i][0], strlen(dumps[i][0]), &err), ==,
                    NTA_ERR_PARSE);
    g_assert_nonnull(strstr(err.msg, dumps[i][1]));
  }
  nta_diag err;
  g_assert_cmpint(nta_nts_load_dump(st, "/nonexistent/x.nts", NULL, &err), ==, NTA_ERR_IO);
  g_assert_cmpuint(nta_nts_store_count(st), ==, 0);
  nta_nts_store_destroy(st);
}

static void test_field_parser(void) {
  uint8_t pkt[256], key[32] = {1}, nonce[16] = {2}, uid[32] = {3}, cookie[20] = {4};
  memset(pkt, 0, 48);
  size_t n = nta_nts_build(pkt, sizeof pkt, uid, 32, cookie, 20, 2, key, nonce, 16, NULL, 0);
  g_assert_cmpuint(n, >, 48);
  nta_nts_fields f;
  nta_diag why;
  g_assert_cmpint(nta_nts_parse(pkt, n, &f, &why), ==, NTA_OK);
  g_assert_true(f.has_uid && f.has_cookie && f.has_auth);
  g_assert_cmpuint(f.n_placeholders, ==, 2);
  g_assert_cmpuint(f.uid.len, ==, 32);
  g_assert_cmpuint(f.nonce.len, ==, 16);
  g_assert_cmpuint(f.ciphertext.len, ==, 16);
  uint8_t sink[16];
  g_assert_true(nta_siv_open(key, pkt + f.nonce.off, 16, pkt, f.auth_off, pkt + f.ciphertext.off,
                             16, sink));
  /* The authenticator must be last; lengths must stay inside. */
  uint8_t two[512];
  memcpy(two, pkt, n);
  memcpy(two + n, pkt + 48, 36);
  g_assert_cmpint(nta_nts_parse(two, n + 36, &f, &why), ==, NTA_ERR_PARSE);
  g_assert_nonnull(strstr(why.msg, "not the last"));
  pkt[f.auth_off + 6] = 0xff;   /* ciphertext length */
  g_assert_cmpint(nta_nts_parse(pkt, n, &f, &why), ==, NTA_ERR_PARSE);
  g_assert_cmpint(nta_nts_parse(pkt, n - 4, &f, &why), ==, NTA_ERR_PARSE);
  g_assert_cmpint(nta_nts_parse(pkt, 40, &f, &why), ==, NTA_ERR_PARSE);
}

/* ---- tracker: a session with made-up keys, packets built here ---- */

static uint8_t tk_c2s[32], tk_s2c[32];

static nta_nts_store *tracker_store(void) {
  for (int i = 0; i < 32; i++) tk_c2s[i] = (uint8_t)i, tk_s2c[i] = (uint8_t)(0x80 + i);
  char dump[512], c2s[65], s2c[65];
  for (int i = 0; i < 32; i++) {
    snprintf(c2s + 2 * i, 3, "%02x", tk_c2s[i]);
    snprintf(s2c + 2 * i, 3, "%02x", tk_s2c[i]);
  }
  snprintf(dump, sizeof dump, "NNC0\nsrv\n1.0\n10.0.0.1 123\n7 15 %s %s\n", s2c, c2s);
  nta_nts_store *st = nta_nts_store_create();
  nta_diag err;
  g_assert_cmpint(nta_nts_load_dump_text(st, "10.0.0.1.nts", dump, strlen(dump), &err), ==, NTA_OK);
  return st;
}

/* A request (mode 3, transmit `xmt`) or reply (mode 4, origin `xmt`; `kiss` sets a KoD). */
static size_t tk_packet(uint8_t *buf, bool reply, uint64_t xmt, uint8_t uid_byte, uint8_t cookie,
                        const char *kiss, const uint8_t *pt, size_t pt_len) {
  memset(buf, 0, 48);
  buf[0] = reply ? 0x24 : 0x23;
  buf[1] = 2;
  if (kiss) buf[0] |= 0xc0, buf[1] = 0, memcpy(buf + 12, kiss, 4);
  for (int i = 0; i < 8; i++) buf[(reply ? 24 : 40) + i] = (uint8_t)(xmt >> (56 - 8 * i));
  uint8_t uid[32], ck[40], nonce[16];
  memset(uid, uid_byte, sizeof uid);
  memset(ck, cookie, sizeof ck);
  memset(nonce, (uint8_t)xmt, sizeof nonce);
  if (kiss) {   /* chrony's NAK: the identifier only */
    buf[48] = 0x01, buf[49] = 0x04, buf[50] = 0, buf[51] = 36;
    memcpy(buf + 52, uid, 32);
    return 84;
  }
  return nta_nts_build(buf, 512, uid, 32, reply ? NULL : ck, reply ? 0 : 40, 0,
                       reply ? tk_s2c : tk_c2s, nonce, 16, pt, pt_len);
}

static void track(nta_nts_tracker *tr, uint32_t frame, uint8_t *buf, size_t len, nta_nts_info *info) {
  nta_packet pkt;
  g_assert_cmpint(nta_packet_parse(buf, len, len, &pkt), ==, NTA_PKT_OK);
  static const uint8_t client[4] = {10, 0, 0, 2};
  nta_nts_tracker_packet(tr, frame, client, sizeof client, &pkt, buf, len, info);
}

static void test_tracker(void) {
  nta_nts_store *st = tracker_store();
  nta_nts_tracker *tr = nta_nts_tracker_create(st);
  uint8_t b[512], pt[2 * 44];
  nta_nts_info in;
  for (int c = 0; c < 2; c++) {   /* two new cookies, 0xc1 and 0xc2, inside the reply */
    uint8_t *f = pt + 44 * c;
    f[0] = 0x02, f[1] = 0x04, f[2] = 0, f[3] = 44;
    memset(f + 4, 0xc1 + c, 40);
  }
  track(tr, 1, b, tk_packet(b, false, 0x1111, 0xa1, 0x99, NULL, NULL, 0), &in);
  g_assert_true(in.is_nts);
  g_assert_cmpint(in.verdict, ==, NTA_V_GOOD);
  g_assert_cmpstr(in.session_name, ==, "dump:10.0.0.1");
  g_assert_cmpint(in.cookie_source, ==, NTA_COOKIE_UNKNOWN);
  track(tr, 2, b, tk_packet(b, true, 0x1111, 0xa1, 0, NULL, pt, sizeof pt), &in);
  g_assert_cmpint(in.verdict, ==, NTA_V_GOOD);
  g_assert_cmpuint(in.request_frame, ==, 1);
  g_assert_cmpuint(in.new_cookies, ==, 2);
  g_assert_cmpuint(in.uid_mismatch_frame, ==, 0);
  track(tr, 3, b, tk_packet(b, false, 0x2222, 0xa3, 0xc1, NULL, NULL, 0), &in);
  g_assert_cmpint(in.cookie_source, ==, NTA_COOKIE_REPLY);
  g_assert_cmpuint(in.cookie_frame, ==, 2);
  g_assert_cmpuint(in.reused_frame, ==, 0);
  track(tr, 4, b, tk_packet(b, false, 0x3333, 0xa4, 0xc1, NULL, NULL, 0), &in);
  g_assert_cmpuint(in.reused_frame, ==, 3);
  size_t n = tk_packet(b, false, 0x4444, 0xa5, 0xc2, NULL, NULL, 0);
  b[n - 1] ^= 0x80;   /* padding is not authenticated: flip the tag instead */
  b[n - 17] ^= 0x80;
  track(tr, 5, b, n, &in);
  g_assert_cmpint(in.verdict, ==, NTA_V_BAD_MAC);
  g_assert_cmpstr(in.session_name, ==, "dump:10.0.0.1");
  /* A reply to frame 4 (origin = its transmit) carrying frame 3's identifier. */
  track(tr, 6, b, tk_packet(b, true, 0x3333, 0xa3, 0, NULL, pt, 0), &in);
  g_assert_cmpuint(in.uid_mismatch_frame, ==, 4);
  g_assert_cmpuint(in.request_frame, ==, 3);
  track(tr, 7, b, tk_packet(b, true, 0x4444, 0xa5, 0, "NTSN", NULL, 0), &in);
  g_assert_true(in.nak);
  g_assert_cmpint(in.verdict, ==, NTA_V_NTS);
  memset(b, 0, 48);
  b[0] = 0x23;
  track(tr, 8, b, 48, &in);
  g_assert_false(in.is_nts);
  g_assert_cmpuint(in.nak_frame, ==, 7);
  g_assert_cmpint(in.nak_followup, ==, NTA_NAK_UNAUTH);
  nta_nts_tracker_destroy(tr);
  nta_nts_store_destroy(st);
}

/* The tracker's memory is bounded: after many requests the oldest are forgotten (a reply to
 * one is then like a reply whose request the capture does not hold), the recent ones are not. */
static void test_tracker_bounded(void) {
  nta_nts_store *st = tracker_store();
  nta_nts_tracker *tr = nta_nts_tracker_create(st);
  uint8_t b[512];
  nta_nts_info in;
  const uint32_t n = 200000;   /* well past two generations of the request table */
  for (uint32_t i = 1; i <= n; i++) {
    track(tr, i, b, tk_packet(b, false, 0x10000 + i, 0xa1, 0x99, NULL, NULL, 0), &in);
    g_assert_cmpint(in.verdict, ==, NTA_V_GOOD);
  }
  /* Replies whose identifier differs from their request's: found only for a remembered one. */
  track(tr, n + 1, b, tk_packet(b, true, 0x10000 + n, 0xb2, 0, NULL, NULL, 0), &in);
  g_assert_cmpuint(in.uid_mismatch_frame, ==, n);
  track(tr, n + 2, b, tk_packet(b, true, 0x10000 + n - 30000, 0xb2, 0, NULL, NULL, 0), &in);
  g_assert_cmpuint(in.uid_mismatch_frame, ==, n - 30000);
  track(tr, n + 3, b, tk_packet(b, true, 0x10001, 0xb2, 0, NULL, NULL, 0), &in);
  g_assert_cmpuint(in.uid_mismatch_frame, ==, 0);
  nta_nts_tracker_destroy(tr);
  nta_nts_store_destroy(st);
}

/* After an NTS NAK the client's next session may be one we have no keys for (a chrony dump
 * holds only the session current at the client's exit): its packets are nts, never bad_mac. So
 * are packets whose cookie an NTS-KE of an unknown session delivered. */
static void test_tracker_new_keys(void) {
  nta_nts_store *st = tracker_store();
  nta_nts_tracker *tr = nta_nts_tracker_create(st);
  uint8_t b[512], pt[44], ck[40];
  nta_nts_info in;
  pt[0] = 0x02, pt[1] = 0x04, pt[2] = 0, pt[3] = 44;
  memset(pt + 4, 0xd1, 40);
  memset(ck, 0xd7, sizeof ck);
  const uint8_t *cks[1] = {ck};
  uint16_t lens[1] = {sizeof ck};
  track(tr, 1, b, tk_packet(b, false, 0x1111, 0xa1, 0x99, NULL, NULL, 0), &in);
  g_assert_cmpint(in.verdict, ==, NTA_V_GOOD);
  nta_nts_tracker_ke_cookies(tr, 2, -1, cks, lens, 1);
  tk_c2s[0] ^= 1, tk_s2c[0] ^= 1;   /* the client's new session: keys the store lacks */
  track(tr, 3, b, tk_packet(b, false, 0x2222, 0xa2, 0xd7, NULL, NULL, 0), &in);
  g_assert_cmpint(in.cookie_source, ==, NTA_COOKIE_KE);
  g_assert_cmpuint(in.cookie_frame, ==, 2);
  g_assert_cmpint(in.verdict, ==, NTA_V_NTS);
  track(tr, 4, b, tk_packet(b, true, 0x2222, 0xa2, 0, "NTSN", NULL, 0), &in);
  g_assert_true(in.nak);
  track(tr, 5, b, tk_packet(b, false, 0x3333, 0xa3, 0x98, NULL, NULL, 0), &in);
  g_assert_cmpint(in.verdict, ==, NTA_V_NTS);
  g_assert_cmpint(in.nak_followup, ==, NTA_NAK_UNKNOWN_NTS);
  track(tr, 6, b, tk_packet(b, true, 0x3333, 0xa3, 0, NULL, pt, sizeof pt), &in);
  g_assert_cmpint(in.verdict, ==, NTA_V_NTS);
  g_assert_cmpuint(in.request_frame, ==, 5);
  track(tr, 7, b, tk_packet(b, false, 0x4444, 0xa4, 0xd1, NULL, NULL, 0), &in);
  g_assert_cmpint(in.verdict, ==, NTA_V_NTS);
  tk_c2s[0] ^= 1, tk_s2c[0] ^= 1;
  nta_nts_tracker_destroy(tr);
  nta_nts_store_destroy(st);
}

/* The first NTS-KE connection of samples/nts/chrony-nts.pcap (both TCP directions, extracted
 * into tests/data/nts/) with the sample's key log: TLS 1.3 decrypted, NTS-KE records parsed. */
static void test_ntske_conn(void) {
  const char *src = g_getenv("NTPAUTH_SOURCE_DIR"), *data = g_getenv("NTPAUTH_TEST_DATA");
  g_assert_nonnull(src);
  g_assert_nonnull(data);
  gchar *kl = g_build_filename(src, "samples", "nts", "keylog.txt", NULL);
  gchar *cp = g_build_filename(data, "nts", "ke1-client.bin", NULL);
  gchar *sp = g_build_filename(data, "nts", "ke1-server.bin", NULL);
  gchar *cb, *sb;
  gsize cl, sl;
  g_assert_true(g_file_get_contents(cp, &cb, &cl, NULL));
  g_assert_true(g_file_get_contents(sp, &sb, &sl, NULL));
  nta_nts_store *st = nta_nts_store_create();
  nta_diag err;
  g_assert_cmpint(nta_nts_load_keylog(st, kl, NULL, &err), ==, NTA_OK);
  nta_ntske_conn *c = nta_ntske_conn_create(st);
  size_t hello = 5 + ((size_t)(uint8_t)cb[3] << 8 | (uint8_t)cb[4]);
  g_assert_false(nta_ntske_conn_feed(c, false, (const uint8_t *)cb, hello));
  bool done = false;
  for (gsize i = 0; i < sl; i += 7)   /* the server's bytes in small pieces */
    done |= nta_ntske_conn_feed(c, true, (const uint8_t *)sb + i, MIN(7, sl - i));
  nta_ntske_conn_feed(c, false, (const uint8_t *)cb + hello, cl - hello);
  const nta_ntske_info *in = nta_ntske_conn_info(c);
  g_assert_cmpstr(in->reason, ==, "");
  g_assert_cmpint(in->state, ==, NTA_KE_ST_DECRYPTING);
  g_assert_true(done);
  g_assert_cmphex(in->suite, ==, 0x1302);
  g_assert_cmpint(in->session, >=, 0);
  g_assert_true(in->have_request && in->have_response);
  g_assert_cmpuint(in->request.n_aeads, ==, 1);
  g_assert_cmpuint(in->request.aeads[0], ==, 15);
  g_assert_cmpuint(in->response.n_cookies, ==, 8);
  g_assert_cmpuint(in->n_cookies, ==, 8);
  char text[160];
  nta_ntske_describe(&in->response, text, sizeof text);
  g_assert_nonnull(strstr(text, "8 cookies"));
  /* Without the secrets: the handshake is read, the records stay encrypted. */
  nta_nts_store *none = nta_nts_store_create();
  nta_ntske_conn *c2 = nta_ntske_conn_create(none);
  nta_ntske_conn_feed(c2, false, (const uint8_t *)cb, cl);
  nta_ntske_conn_feed(c2, true, (const uint8_t *)sb, sl);
  g_assert_cmpint(nta_ntske_conn_info(c2)->state, ==, NTA_KE_ST_NO_SECRETS);
  nta_ntske_conn_destroy(c2);
  nta_nts_store_destroy(none);
  nta_ntske_conn_destroy(c);
  nta_nts_store_destroy(st);
  g_free(cb), g_free(sb), g_free(kl), g_free(cp), g_free(sp);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/nts/derive_chrony", test_derive_chrony);
  g_test_add_func("/nts/hkdf_label_rfc8448", test_hkdf_label_rfc8448);
  g_test_add_func("/nts/siv_rfc5297", test_siv_rfc5297);
  g_test_add_func("/nts/siv_nettle_vs_openssl", test_siv_nettle_vs_openssl);
  g_test_add_func("/nts/chrony_packets", test_chrony_packets);
  g_test_add_func("/nts/bad_inputs", test_bad_inputs);
  g_test_add_func("/nts/field_parser", test_field_parser);
  g_test_add_func("/nts/tracker", test_tracker);
  g_test_add_func("/nts/tracker_new_keys", test_tracker_new_keys);
  g_test_add_func("/nts/tracker_bounded", test_tracker_bounded);
  g_test_add_func("/nts/ntske_conn", test_ntske_conn);
  return g_test_run();
}
