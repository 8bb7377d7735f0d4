/* test_keyfile.c - each daemon's reading of keyfile lines (ntpd 4.2.8 authreadkeys(), ntpsec
 * 1.2.2 authreadkeys(), chronyd 4.3 KEY_Reload()), whole-file detection, the file-level rules,
 * answers signed with the reading that verified, and bad MACs explained. The daemon's behaviour
 * is written next to each case. */
#include <glib.h>
#include <string.h>

#include "ntpauth/keyfile.h"
#include "ntpauth/keyring.h"
#include "ntpauth/verify.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(nta_diags, nta_diags_destroy)

/* The expected reading of one line by one daemon: 'L' loaded (alg, bytes), 'R' refused, 'W'
 * refused and ntpd 4.2.8 then refuses the whole file, '-' nothing. */
typedef struct {
  char state;
  uint32_t id;
  const char *alg;
  size_t len;
} want_view;

typedef struct {
  const char *line;
  want_view by[3];   /* ntpd 4.2.8, ntpsec, chronyd */
  const char *why;   /* what the daemons do */
} line_case;

static const line_case cases[] = {
  {"41 MD5 secret\r\n", {{'L', 41, "MD5", 7}, {'L', 41, "MD5", 7}, {'L', 41, "MD5", 6}},
   "CR: ntpd and ntpsec keep it in the last token, chrony takes it as white space"},
  {"42 SHA1 0123456789abcdef0123456789abcdef01234567\r\n",
   {{'W', 42, NULL, 0}, {'R', 42, NULL, 0}, {'L', 42, "SHA1", 40}},
   "a hex key followed by CR: bad hex for ntpd (whole file) and ntpsec (the key), ASCII for chrony"},
  {"5 AES128CMAC 0123456789abcdef0123\n",
   {{'L', 5, "AES128CMAC", 16}, {'L', 5, "AES128CMAC", 16}, {'R', 5, NULL, 0}},
   "20-character CMAC key: ntpd and ntpsec use the first 16 bytes; chrony has no such type"},
  {"6 AES abcde\n", {{'R', 6, NULL, 0}, {'L', 6, "AES128CMAC", 16}, {'R', 6, NULL, 0}},
   "short CMAC key: ntpd does not know 'AES' (key dropped), ntpsec pads to 16, chrony refuses"},
  {"7 AES128 HEX:00112233445566778899aabbccddeeff\n",
   {{'W', 7, NULL, 0}, {'R', 7, NULL, 0}, {'L', 7, "AES128CMAC", 16}},
   "chrony's AES128: no OpenSSL short name, and HEX: is no hex (ntpd, whole file); AES128-CBC "
   "is no cipher name (ntpsec)"},
  {"8 AES128 HEX:00112233445566778899aabbccddeeff00112233\n",
   {{'W', 8, NULL, 0}, {'R', 8, NULL, 0}, {'R', 8, NULL, 0}},
   "chrony wants exactly 16 bytes for AES128"},
  {"18abc MD5 x\n", {{'L', 18, "MD5", 1}, {'L', 18, "MD5", 1}, {'L', 18, "MD5", 1}},
   "atoi() and sscanf(\"%u\") both stop at the first non-digit"},
  {"+19 MD5 y\n", {{'L', 19, "MD5", 1}, {'L', 19, "MD5", 1}, {'L', 19, "MD5", 1}},
   "a sign is allowed by atoi() and sscanf()"},
  {"0 MD5 zero\n", {{'W', 0, NULL, 0}, {'R', 0, NULL, 0}, {'L', 0, "MD5", 4}},
   "key 0: 'cannot change key' for ntpd (whole file) and ntpsec; chronyd loads it"},
  {"70000 MD5 big\n", {{'W', 70000, NULL, 0}, {'R', 70000, NULL, 0}, {'L', 70000, "MD5", 3}},
   "IDs above 65535 were Autokey's in ntpd and ntpsec"},
  {"9 CMAC 0123456789abcdef\n",
   {{'L', 9, "AES128CMAC", 16}, {'R', 9, NULL, 0}, {'R', 9, NULL, 0}},
   "'CMAC' is an OpenSSL short name: AES-128-CMAC for ntpd only"},
  {"10 sha1 abc\n", {{'L', 10, "SHA1", 3}, {'L', 10, "SHA1", 3}, {'R', 10, NULL, 0}},
   "ntpd and ntpsec upper-case the type; chrony's names are case-sensitive"},
  {"11 SHA-1 abc\n", {{'R', 11, NULL, 0}, {'L', 11, "SHA1", 3}, {'R', 11, NULL, 0}},
   "SHA-1 is an OpenSSL digest alias (ntpsec), not a short name (ntpd)"},
  {"12 AES-256 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
   {{'R', 12, NULL, 0}, {'L', 12, "AES256CMAC", 32}, {'R', 12, NULL, 0}},
   "ntpsec's AES-256 spelling"},
  {"13 SHA224 abc\n", {{'L', 13, "SHA224", 3}, {'L', 13, "SHA224", 3}, {'R', 13, NULL, 0}},
   "chronyd has no SHA224"},
  {"14 M abc\n", {{'L', 14, "MD5", 3}, {'L', 14, "MD5", 3}, {'R', 14, NULL, 0}},
   "names starting with M are MD5 for ntpd and ntpsec"},
  {"15 MD5 abc 127.0.0.1,10.0.0.0/8\n",
   {{'L', 15, "MD5", 3}, {'L', 15, "MD5", 3}, {'R', 15, NULL, 0}},
   "ntpd's address list; ntpsec ignores a fourth field; chrony wants at most three words"},
  {"16 MD5 abc 300.1.1.1\n", {{'W', 16, NULL, 0}, {'L', 16, "MD5", 3}, {'R', 16, NULL, 0}},
   "a bad address is a counted error for ntpd"},
  {"20 SHA1 0123456789abcdef0123456789abcdef012\n",
   {{'L', 20, "SHA1", 18}, {'L', 20, "SHA1", 17}, {'L', 20, "SHA1", 35}},
   "35 hex digits: ntpd rounds up, ntpsec drops the last digit, chrony reads ASCII"},
  {"21 MD5 abc # comment\n", {{'L', 21, "MD5", 3}, {'L', 21, "MD5", 3}, {'R', 21, NULL, 0}},
   "chrony has no end-of-line comments"},
  {"22 HEX:0011\n", {{'W', 22, NULL, 0}, {'R', 22, NULL, 0}, {'L', 22, "MD5", 2}},
   "two fields: the key is taken as the type (unknown), then no key (ntpd counts it); chrony's "
   "default type is MD5"},
};

typedef struct {
  const nta_kf_line *got;
  size_t n;
} one_line;

static bool keep_line(void *ctx, const nta_kf_line *l) {
  one_line *o = ctx;
  if (o->n++ == 0) o->got = g_memdup2(l, sizeof *l);
  return true;
}

static void test_each_daemon(void) {
  size_t bad = 0;
  for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
    one_line o = {NULL, 0};
    g_assert_cmpint(nta_keyfile_examine(cases[c].line, strlen(cases[c].line), keep_line, &o), ==,
                    NTA_OK);
    g_assert_cmpuint(o.n, ==, 1);
    for (size_t d = 0; d < 3; d++) {
      const want_view *w = &cases[c].by[d];
      const nta_kf_view *v = &o.got->by[d];
      char got = v->state == NTA_KF_LOADED ? 'L' : v->state == NTA_KF_NOTHING ? '-'
               : v->whole_file ? 'W' : 'R';
      if (got != w->state || (w->state == 'L' && (v->id != w->id || strcmp(v->alg, w->alg) ||
                                                   v->secret_len != w->len)))
        g_printerr("line %zu '%s' (%s), %s: got %c key %u %s %zu bytes (%s%s)\n", c,
                   cases[c].line, cases[c].why, nta_dialect_name(nta_kf_view_dialect(d)), got,
                   v->id, v->alg, v->secret_len, v->why, v->note), bad++;
    }
    g_free((gpointer)o.got);
  }
  g_assert_cmpuint(bad, ==, 0);
}

static nta_keyring *load(const char *text, nta_dialect d, nta_dialect *used, nta_diags *ds) {
  nta_keyring *kr = nta_keyring_create();
  nta_diags_clear(ds);
  g_assert_cmpint(nta_keyring_load_text(kr, "k", text, strlen(text), d, used, ds, NULL), ==, NTA_OK);
  return kr;
}

static bool diags_have(const nta_diags *ds, const char *needle) {
  for (size_t i = 0; i < nta_diags_count(ds); i++)
    if (strstr(nta_diags_msg(ds, i), needle)) return true;
  return false;
}

/* An ntp-keygen -M file with one two-field line. ntpsec skips the line and
 * keeps keys 11 and 13; the file must not be read as chrony (key 12 = "MD5" would be served). */
static void test_one_line_does_not_flip(void) {
  g_autoptr(nta_diags) ds = nta_diags_create();
  static const char text[] =
      "11 SHA1 74144422ee5a9b50411e0d8ddf782cf1e067cb90  # SHA1 key\n"
      "12 MD5\n"
      "13 SHA1 7c6cc4b832f7deff5083c027c22e1d196a138ed7  # SHA1 key\n"
      "70000 SHA1 7c6cc4b832f7deff5083c027c22e1d196a138ed7\n";
  nta_dialect used;
  nta_keyring *kr = load(text, NTA_DIALECT_AUTO, &used, ds);
  g_assert_cmpint(used, ==, NTA_DIALECT_NTPD);
  g_assert_cmpuint(nta_keyring_count(kr), ==, 2);
  g_assert_nonnull(nta_keyring_find(kr, 11));
  g_assert_nonnull(nta_keyring_find(kr, 13));
  g_assert_null(nta_keyring_find(kr, 12));
  g_assert_true(diags_have(ds, "k:2: ntpd 4.2.8 refuses this line: no key for key 12"));
  g_assert_true(diags_have(ds, "k:4: ntpd 4.2.8 refuses this line: key 70000 > 65535"));
  g_assert_true(diags_have(ds, "mixed keyfile: lines 1, 3 only as ntpd/ntpsec read it, lines 2, 4 "
                               "only as chrony reads it"));
  nta_keyring_destroy(kr);
}

/* ntpd 4.2.8 keeps the first of two keys with one ID (it inserts its list in reverse), ntpsec
 * the last; chronyd warns. A line over 511 characters is split by ntpd's fgets buffer and the
 * rest is a bad line, so ntpd refuses the whole file. */
static void test_file_rules(void) {
  g_autoptr(nta_diags) ds = nta_diags_create();
  static const char dup[] = "1 MD5 first\n1 MD5 second\n";
  nta_keyring *kr = load(dup, NTA_DIALECT_NTPD, NULL, ds);
  g_assert_cmpmem(nta_key_secret(nta_keyring_find(kr, 1)), 5, "first", 5);
  nta_keyring_destroy(kr);
  kr = load(dup, NTA_DIALECT_NTPSEC, NULL, ds);
  g_assert_cmpmem(nta_key_secret(nta_keyring_find(kr, 1)), 6, "second", 6);
  nta_keyring_destroy(kr);
  kr = load(dup, NTA_DIALECT_CHRONY, NULL, ds);
  g_assert_cmpmem(nta_key_secret(nta_keyring_find(kr, 1)), 6, "second", 6);
  g_assert_true(diags_have(ds, "Detected duplicate key"));
  nta_keyring_destroy(kr);

  /* a long comment: ntpd's second chunk "xxx..." is key ID 0, a counted error */
  GString *s = g_string_new("2 MD5 abc # ");
  while (s->len < 600) g_string_append_c(s, 'x');
  g_string_append(s, "\n3 MD5 def\n");
  kr = load(s->str, NTA_DIALECT_NTPD, NULL, ds);
  g_assert_cmpuint(nta_keyring_count(kr), ==, 0);
  g_assert_true(diags_have(ds, "refuses this whole file after 1 error(s)"));
  g_assert_true(diags_have(ds, "k:1: ntpd 4.2.8 refuses this line: cannot change key"));
  nta_keyring_destroy(kr);
  kr = load(s->str, NTA_DIALECT_NTPSEC, NULL, ds);   /* ntpsec skips the piece */
  g_assert_cmpuint(nta_keyring_count(kr), ==, 2);
  g_assert_true(diags_have(ds, "k:1: line longer than 511 characters: ntpsec reads the rest"));
  nta_keyring_destroy(kr);
  g_string_free(s, TRUE);
}

/* The server answers with the reading that verified the request. */
static void test_sign_reading(void) {
  g_autoptr(nta_diags) ds = nta_diags_create();
  /* ntpd reads 39 digits as 20 bytes, ntpsec as 19: both readings kept */
  nta_keyring *kr = load("21 SHA1 74144422ee5a9b50411e0d8ddf782cf1e067cb9\n", NTA_DIALECT_AUTO,
                         NULL, ds);
  nta_keyring *peer = load("21 SHA1 74144422ee5a9b50411e0d8ddf782cf1e067cb9\n", NTA_DIALECT_NTPSEC,
                           NULL, ds);
  const nta_key *k = nta_keyring_find(kr, 21);
  g_assert_cmpstr(nta_key_read_differently_by(k), ==, "ntpsec");
  uint8_t buf[128] = {0x23};
  size_t len = nta_sign(nta_keyring_find(peer, 21), buf, 48, sizeof buf, 20);
  nta_packet pkt;
  nta_packet_parse(buf, len, len, &pkt);
  nta_verify_result vr;
  g_assert_cmpint(nta_verify(kr, &pkt, buf, &vr), ==, NTA_V_GOOD);
  g_assert_true(vr.by_alternate);
  uint8_t reply[128] = {0x24}, want[128] = {0x24};
  size_t n1 = nta_sign_reading(k, vr.by_alternate, reply, 48, sizeof reply, 20);
  size_t n2 = nta_sign(nta_keyring_find(peer, 21), want, 48, sizeof want, 20);
  g_assert_cmpmem(reply, n1, want, n2);
  nta_keyring_destroy(kr);
  nta_keyring_destroy(peer);
}

static const char *explain(nta_keyring *kr, nta_keyring *signer, uint32_t id, uint32_t as_id,
                           nta_verify_result *vr) {
  uint8_t buf[128] = {0x23};
  size_t len = nta_sign(nta_keyring_find(signer, id), buf, 48, sizeof buf, 20);
  buf[48] = (uint8_t)(as_id >> 24), buf[49] = (uint8_t)(as_id >> 16);
  buf[50] = (uint8_t)(as_id >> 8), buf[51] = (uint8_t)as_id;
  nta_packet pkt;
  nta_packet_parse(buf, len, len, &pkt);
  g_assert_cmpint(nta_verify(kr, &pkt, buf, vr), ==, NTA_V_BAD_MAC);
  return vr->reason;
}

/* Bad MACs explained: key ID mix-up, type mismatch, hex vs ASCII, trailing CR. */
static void test_bad_mac_explained(void) {
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_verify_result vr;
  nta_keyring *kr = load("11 SHA1 74144422ee5a9b50411e0d8ddf782cf1e067cb90\n"
                         "12 SHA1 7c6cc4b832f7deff5083c027c22e1d196a138ed7\n"
                         "13 MD5 secret\r\n", NTA_DIALECT_NTPD, NULL, ds);
  /* signed with key 12's secret, sent as key 11 */
  g_assert_nonnull(strstr(explain(kr, kr, 12, 11, &vr), "MAC is right for key 12 (SHA1): key ID "
                                                           "mix-up"));
  nta_keyring *sha256 = load("11 SHA256 74144422ee5a9b50411e0d8ddf782cf1e067cb90\n",
                             NTA_DIALECT_NTPD, NULL, ds);
  g_assert_nonnull(strstr(explain(kr, sha256, 11, 11, &vr), "as SHA256: type mismatch"));
  nta_keyring *ascii = load("11 SHA1 74144422ee5a9b50411e0d8ddf782cf1e067cb90\n",
                            NTA_DIALECT_CHRONY, NULL, ds);
  g_assert_nonnull(strstr(explain(kr, ascii, 11, 11, &vr), "hex digits read as ASCII"));
  nta_keyring *nocr = load("13 SHA1 secret\r\n", NTA_DIALECT_CHRONY, NULL, ds);
  nta_keyring *md5 = load("13 MD5 secret\n", NTA_DIALECT_CHRONY, NULL, ds);
  (void)nocr;
  /* MD5 digests are 16 bytes: sign by hand below */
  uint8_t buf[128] = {0x23};
  size_t len = nta_sign(nta_keyring_find(md5, 13), buf, 48, sizeof buf, 16);
  nta_packet pkt;
  nta_packet_parse(buf, len, len, &pkt);
  g_assert_cmpint(nta_verify(kr, &pkt, buf, &vr), ==, NTA_V_BAD_MAC);
  g_assert_nonnull(strstr(vr.reason, "without the key's trailing CR"));
  /* explanations off: just the mismatch */
  nta_keyring_set_explain(kr, false);
  g_assert_cmpint(nta_verify(kr, &pkt, buf, &vr), ==, NTA_V_BAD_MAC);
  g_assert_cmpstr(vr.reason, ==, "digest mismatch for key 13 (MD5)");
  nta_keyring_destroy(kr);
  nta_keyring_destroy(sha256);
  nta_keyring_destroy(ascii);
  nta_keyring_destroy(nocr);
  nta_keyring_destroy(md5);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/keyfile/each-daemon", test_each_daemon);
  g_test_add_func("/keyfile/one-line-does-not-flip", test_one_line_does_not_flip);
  g_test_add_func("/keyfile/file-rules", test_file_rules);
  g_test_add_func("/keyfile/sign-reading", test_sign_reading);
  g_test_add_func("/keyfile/bad-mac-explained", test_bad_mac_explained);
  return g_test_run();
}
