/* test_keyring.c - keyring.h: the three keyfile dialects (fixtures in tests/data/keys/) with their
 * exact diagnostics, dialect detection, file errors (missing, permission denied, directory,
 * symlinks), permission warnings, trust syntax, clones and the weak-key audit. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ntpauth/keyring.h"
#include "keyring_internal.h"   /* nta_key_alt_reader */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(nta_diags, nta_diags_destroy)

/* ---- helpers -------------------------------------------------------------------------------- */

static char *data_path(const char *name) {
  const char *dir = g_getenv("NTPAUTH_TEST_DATA");
  if (dir) return g_build_filename(dir, "keys", name, NULL);
  g_autofree char *here = g_path_get_dirname(__FILE__);
  return g_build_filename(here, "..", "data", "keys", name, NULL);
}

/* Loads a fixture through load_text, named by its base name so messages are stable. */
static nta_keyring *load_fixture(const char *name, nta_dialect dialect, nta_dialect *used,
                                 nta_diags *ds) {
  g_autofree char *path = data_path(name);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) gerr = NULL;
  if (!g_file_get_contents(path, &text, &len, &gerr)) g_error("fixture %s: %s", path, gerr->message);
  nta_keyring *kr = nta_keyring_create();
  nta_diag err = {{0}};
  nta_diags_clear(ds);
  nta_status st = nta_keyring_load_text(kr, name, text, len, dialect, used, ds, &err);
  if (st != NTA_OK) g_error("%s: %s", name, err.msg);
  return kr;
}

/* All diagnostics as "W|E|N text" lines, to compare with an expected block. */
static char *diags_text(const nta_diags *ds) {
  GString *s = g_string_new(NULL);
  for (size_t i = 0; i < nta_diags_count(ds); i++) {
    char lv = nta_diags_level(ds, i) == NTA_DIAG_ERROR ? 'E'
              : nta_diags_level(ds, i) == NTA_DIAG_WARNING ? 'W' : 'N';
    g_string_append_printf(s, "%c %s\n", lv, nta_diags_msg(ds, i));
  }
  return g_string_free(s, FALSE);
}

static const nta_key *must_find(const nta_keyring *kr, uint32_t id) {
  const nta_key *k = nta_keyring_find(kr, id);
  if (!k) g_error("key %u missing", id);
  return k;
}

static void assert_secret(const nta_key *k, const void *bytes, size_t n) {
  g_assert_cmpmem(nta_key_secret(k), nta_key_secret_len(k), bytes, n);
}

static void assert_secret_hex(const nta_key *k, const char *hex) {
  uint8_t b[128];
  size_t n = strlen(hex) / 2;
  g_assert_cmpuint(n, <=, sizeof b);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    g_assert_true(sscanf(hex + 2 * i, "%2x", &v) == 1);
    b[i] = (uint8_t)v;
  }
  assert_secret(k, b, n);
}

/* ---- dialect fixtures ---------------------------------------------------------------------- */

static void test_ntpd_keygen(void) {
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_dialect used;
  nta_keyring *kr = load_fixture("ntpd-keygen.keys", NTA_DIALECT_AUTO, &used, ds);
  g_assert_cmpint(used, ==, NTA_DIALECT_NTPD);
  g_autofree char *dt = diags_text(ds);
  g_assert_cmpstr(dt, ==, "");
  g_assert_cmpuint(nta_keyring_count(kr), ==, 20);
  const nta_key *k1 = must_find(kr, 1);
  g_assert_cmpstr(nta_key_alg_name(k1), ==, "MD5");
  assert_secret(k1, "&mCHg47FT@D-6]&6<'lu", 20);        /* 20 chars: ASCII; comment cut */
  g_assert_cmpstr(nta_key_source(k1), ==, "ntpd-keygen.keys:4");
  const nta_key *k11 = must_find(kr, 11);
  g_assert_cmpstr(nta_key_alg_name(k11), ==, "SHA1");
  g_assert_cmpstr(nta_key_label(k11), ==, "key 11 (SHA1)");
  assert_secret_hex(k11, "74144422ee5a9b50411e0d8ddf782cf1e067cb90");
  assert_secret(must_find(kr, 10), "/?llP[giIsKidY$9be.=", 20);
  for (size_t i = 0; i < nta_keyring_count(kr); i++)
    g_assert_cmpuint(nta_key_id(nta_keyring_key_at(kr, i)), ==, i + 1);   /* sorted */
  nta_keyring_destroy(kr);
}

static void test_ntpsec_keygen(void) {
  nta_dialect dialects[] = {NTA_DIALECT_AUTO, NTA_DIALECT_NTPSEC};
  for (size_t d = 0; d < G_N_ELEMENTS(dialects); d++) {
    g_autoptr(nta_diags) ds = nta_diags_create();
    nta_dialect used;
    nta_keyring *kr = load_fixture("ntpsec-keygen.keys", dialects[d], &used, ds);
    g_assert_cmpint(used, ==, NTA_DIALECT_NTPSEC);   /* "AES" is ntpsec's name, not ntpd's */
    g_autofree char *dt = diags_text(ds);
    g_assert_cmpstr(dt, ==, "");
    g_assert_cmpuint(nta_keyring_count(kr), ==, 20);
    for (size_t i = 0; i < 20; i++) {
      const nta_key *k = nta_keyring_key_at(kr, i);
      g_assert_cmpstr(nta_key_alg_name(k), ==, "AES128CMAC");
      g_assert_cmpstr(nta_key_type_text(k), ==, "AES");
      g_assert_cmpuint(nta_key_secret_len(k), ==, 16);
    }
    assert_secret(must_find(kr, 1), "z.MI1yljw?hyx)Yi", 16);
    assert_secret_hex(must_find(kr, 11), "22e345687945818a97e1ea5db8740a52");
    nta_keyring_destroy(kr);
  }
}

static void test_chrony(void) {
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_dialect used;
  nta_keyring *kr = load_fixture("chrony.keys", NTA_DIALECT_AUTO, &used, ds);
  g_assert_cmpint(used, ==, NTA_DIALECT_CHRONY);
  g_autofree char *dt = diags_text(ds);
  g_assert_cmpstr(dt, ==, "");
  g_assert_cmpuint(nta_keyring_count(kr), ==, 10);
  assert_secret(must_find(kr, 1), "chronykey1", 10);
  const nta_key *k2 = must_find(kr, 2);   /* two fields: MD5 */
  g_assert_cmpstr(nta_key_alg_name(k2), ==, "MD5");
  assert_secret_hex(k2, "A6CFC50C9C93AB6E5A19754C246242FC5CBB2E31");
  g_assert_cmpstr(nta_key_alg_name(must_find(kr, 3)), ==, "MD5");
  assert_secret(must_find(kr, 3), "fk2xBg4sY7Hp0xQ9", 16);
  assert_secret_hex(must_find(kr, 25), "933F62BE1D604E68A81B557F18CFA200483F5B70");
  g_assert_cmpstr(nta_key_alg_name(must_find(kr, 30)), ==, "AES128CMAC");
  g_assert_cmpstr(nta_key_alg_name(must_find(kr, 31)), ==, "AES256CMAC");
  /* no prefix = ASCII, no 20-character rule: 40 bytes of text */
  assert_secret(must_find(kr, 40), "933F62BE1D604E68A81B557F18CFA200483F5B70", 40);
  g_assert_cmpstr(nta_key_alg_name(must_find(kr, 70000)), ==, "SHA512");
  g_assert_cmpstr(nta_key_alg_name(must_find(kr, 4294967295u)), ==, "SHA3-256");
  nta_keyring_destroy(kr);
}

/* chronyd 4.3 skips each bad line ("Could not parse/decode key", "Invalid type", "Invalid
 * length"), loads key 0 (and 4294967296, which sscanf("%u") wraps to 0), and warns about a
 * duplicate ID. */
static void test_chrony_errors(void) {
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_dialect used;
  nta_keyring *kr = load_fixture("chrony-errors.keys", NTA_DIALECT_AUTO, &used, ds);
  g_assert_cmpint(used, ==, NTA_DIALECT_CHRONY);
  g_autofree char *dt = diags_text(ds);
  g_assert_cmpstr(dt, ==,
    "W chrony-errors.keys: mixed keyfile: line 4 only as ntpd/ntpsec read it, lines 7, 8 only as chrony reads it; reading the whole file as chrony (most lines), the other lines are skipped\n"
    "E chrony-errors.keys:2: chronyd refuses this line: Could not decode key 1\n"
    "E chrony-errors.keys:3: chronyd refuses this line: Could not decode key 2\n"
    "E chrony-errors.keys:4: chronyd refuses this line: Could not parse key (more than three words; chrony allows no comment after a key)\n"
    "E chrony-errors.keys:5: chronyd refuses this line: Invalid length of AES128 key 4 (expected 128 bits, it has 64)\n"
    "E chrony-errors.keys:6: chronyd refuses this line: Invalid type in key 5 ('TIGERISH'; chrony's names are case-sensitive)\n"
    "W chrony-errors.keys:8: key 0 defined again, replaces the one from chrony-errors.keys:7 (chronyd warns \"Detected duplicate key\" and may use either)\n"
    "E chrony-errors.keys:9: chronyd refuses this line: Could not parse key (the ID is not a number)\n"
    "E chrony-errors.keys:10: chronyd refuses this line: Could not parse key (one word)\n"
    "E chrony-errors.keys:11: chronyd refuses this line: Invalid type in key 7 ('sha1'; chrony's names are case-sensitive)\n"
    "E chrony-errors.keys:12: chronyd refuses this line: Could not decode key 8\n"
    "W chrony-errors.keys:14: key 9 defined again, replaces the one from chrony-errors.keys:13 (chronyd warns \"Detected duplicate key\" and may use either)\n");
  g_assert_cmpuint(nta_keyring_count(kr), ==, 2);
  assert_secret(must_find(kr, 9), "second", 6);
  assert_secret(must_find(kr, 0), "toolarge", 8);
  g_assert_cmpstr(nta_key_source(must_find(kr, 9)), ==, "chrony-errors.keys:14");
  g_assert_null(nta_keyring_find(kr, 7));   /* "sha1": chronyd refuses lower case */
  nta_keyring_destroy(kr);
}

/* ntpd 4.2.8 counts a bad hex digit, key ID 0, an ID above 65535, a missing type or key, and
 * refuses the whole file; an unknown type only drops its key. */
static void test_ntpd_errors(void) {
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_dialect used;
  nta_keyring *kr = load_fixture("ntpd-errors.keys", NTA_DIALECT_NTPD, &used, ds);
  g_assert_cmpint(used, ==, NTA_DIALECT_NTPD);
  g_autofree char *dt = diags_text(ds);
  g_assert_cmpstr(dt, ==,
    "E ntpd-errors.keys: ntpd 4.2.8 refuses this whole file after 5 error(s): no keys loaded from it, as in ntpd\n"
    "E ntpd-errors.keys:3: ntpd 4.2.8 refuses this line: passwd has bad char for key 2 (a non-hex character at position 40 of a hex key) (ntpd 4.2.8 refuses the whole file)\n"
    "E ntpd-errors.keys:5: ntpd 4.2.8 refuses this line: cannot change key 0 (key ID 0) (ntpd 4.2.8 refuses the whole file)\n"
    "E ntpd-errors.keys:6: ntpd 4.2.8 refuses this line: key 70000 > 65535 reserved for Autokey (ntpd 4.2.8 refuses the whole file)\n"
    "E ntpd-errors.keys:7: ntpd 4.2.8 refuses this line: no key for key 4 (ntpd 4.2.8 refuses the whole file)\n"
    "E ntpd-errors.keys:8: ntpd 4.2.8 refuses this line: no key type for key 5 (ntpd 4.2.8 refuses the whole file)\n"
    "E ntpd-errors.keys:9: ntpd 4.2.8 refuses this line: unsupported type FOO for key 6\n");
  g_assert_cmpuint(nta_keyring_count(kr), ==, 0);
  nta_keyring_destroy(kr);

  /* Detected: the bad lines are skipped as ntpsec does; ntpd's first key 1 would win, ntpsec's
   * last one does. */
  kr = load_fixture("ntpd-errors.keys", NTA_DIALECT_AUTO, &used, ds);
  g_assert_cmpint(used, ==, NTA_DIALECT_NTPD);
  g_assert_cmpuint(nta_keyring_count(kr), ==, 5);
  assert_secret_hex(must_find(kr, 3), "933f62be1d604e68a81b557f18cfa200483f5b70");  /* rounds up */
  g_assert_cmpstr(nta_key_alt_reader(must_find(kr, 3)), ==, "ntpsec");
  assert_secret_hex(must_find(kr, 7), "0123456789abcdef0123456789abcde0");
  g_assert_cmpstr(nta_key_alg_name(must_find(kr, 9)), ==, "MD5");   /* "M": MD5 */
  g_assert_cmpstr(nta_key_type_text(must_find(kr, 9)), ==, "M");
  g_assert_cmpstr(nta_key_source(must_find(kr, 1)), ==, "ntpd-errors.keys:13");
  g_autofree char *dt2 = diags_text(ds);
  g_assert_nonnull(strstr(dt2, "E ntpd-errors.keys:6: ntpd 4.2.8 refuses this line: key 70000 > "
                               "65535 reserved for Autokey; skipped as ntpsec does (ntpd 4.2.8 "
                               "would refuse the whole file)\n"));
  g_assert_nonnull(strstr(dt2, "(as ntpsec does; ntpd 4.2.8 keeps the first)"));
  nta_keyring_destroy(kr);
}

/* ntpsec 1.2.2: "AES256" is no type there (AES256-CBC is no OpenSSL cipher name; "AES-256" is),
 * an odd last hex digit is dropped, a bad digit skips the key. */
static void test_ntpsec_errors(void) {
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_dialect used;
  nta_keyring *kr = load_fixture("ntpsec-errors.keys", NTA_DIALECT_NTPSEC, &used, ds);
  g_autofree char *dt = diags_text(ds);
  g_assert_cmpstr(dt, ==,
    "E ntpsec-errors.keys:2: ntpsec refuses this line: unknown auth type 1, AES256\n"
    "W ntpsec-errors.keys:3: key 2: odd number of hex digits (41): ntpsec ignores the last one\n"
    "E ntpsec-errors.keys:4: ntpsec refuses this line: invalid hex digit for key 3 (a non-hex character at position 32)\n");
  g_assert_cmpuint(nta_keyring_count(kr), ==, 3);
  assert_secret_hex(must_find(kr, 2), "933f62be1d604e68a81b557f18cfa200483f5b70");
  const nta_key *k4 = must_find(kr, 4);   /* 16 characters: ASCII */
  g_assert_cmpstr(nta_key_alg_name(k4), ==, "AES128CMAC");
  assert_secret(k4, "0123456789abcdef", 16);
  g_assert_cmpuint(nta_mac_output_len(nta_key_mac(must_find(kr, 5))), ==, 64);
  nta_keyring_destroy(kr);
}

static void test_detect(void) {
  struct { const char *text; nta_dialect want; } cases[] = {
    {"", NTA_DIALECT_NTPD},
    {"1 MD5 abc\n", NTA_DIALECT_NTPD},
    {"1 MD5 abc # comment here\n", NTA_DIALECT_NTPD},
    {"1 MD5 abc#x y\n", NTA_DIALECT_NTPD},
    {"1 SHA1 HEX:0011\n", NTA_DIALECT_CHRONY},
    {"1 MD5 ASCII:x\n", NTA_DIALECT_CHRONY},
    {"# c\n1 abcdef\n", NTA_DIALECT_CHRONY},
    {"1 MD5 a\n65536 MD5 b\n", NTA_DIALECT_CHRONY},   /* chrony loads both lines, ntpd one */
    {"65535 MD5 b\n", NTA_DIALECT_NTPD},
    {"! only comments\n% here\n", NTA_DIALECT_NTPD},
    {"# HEX: in a comment\n1 MD5 abc # ASCII:x\n", NTA_DIALECT_NTPD},
    {"1 AES 0123456789abcdef\n", NTA_DIALECT_NTPSEC},   /* "AES" is ntpsec's spelling */
    {"1 AES128 HEX:0123456789abcdef0123456789abcdef\n", NTA_DIALECT_CHRONY},
    {"1 SHA1 correct-horse-battery-staple-01\n", NTA_DIALECT_CHRONY},   /* only chrony loads it */
    {"1 SHA1 0123456789abcdef0123456789abcdef\n", NTA_DIALECT_NTPD},
    {"1 MD5 abcdefghijklmnopqrst\n", NTA_DIALECT_NTPD},
    /* one odd line does not switch a file */
    {"11 SHA1 0123456789abcdef0123456789abcdef01234567 # SHA1 key\n12 MD5\n"
     "13 SHA1 0123456789abcdef0123456789abcdef01234567 # SHA1 key\n", NTA_DIALECT_NTPD},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
    if (nta_keyring_detect_dialect(cases[i].text, strlen(cases[i].text)) != cases[i].want)
      g_error("case %zu: '%s' not detected as %s", i, cases[i].text,
              nta_dialect_name(cases[i].want));
}

/* A detected ntpd-style file keeps the other daemons' readings of ambiguous keys as alternates:
 * a long hex key gets chrony's ASCII reading; a long key that is not hex is refused by ntpd and
 * ntpsec, so it is skipped with the line named. */
static void test_auto_readings(void) {
  static const char text[] =
      "1 SHA1 correct-horse-battery-staple-01\n"
      "2 SHA256 0123456789abcdef0123456789abcdef\n"
      "3 MD5 shortkey\n";
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_dialect used;
  nta_keyring *kr = nta_keyring_create();
  g_assert_cmpint(nta_keyring_load_text(kr, "plain.keys", text, sizeof text - 1, NTA_DIALECT_AUTO,
                                        &used, ds, NULL), ==, NTA_OK);
  g_assert_cmpint(used, ==, NTA_DIALECT_NTPD);
  g_assert_cmpuint(nta_diags_count(ds), ==, 1);
  g_assert_true(g_str_has_prefix(nta_diags_msg(ds, 0), "plain.keys:1: ntpd 4.2.8 refuses this "
                                                         "line: passwd has bad char for key 1"));
  g_assert_null(nta_keyring_find(kr, 1));
  assert_secret_hex(must_find(kr, 2), "0123456789abcdef0123456789abcdef");
  g_assert_cmpstr(nta_key_alt_reader(must_find(kr, 2)), ==, "chrony");
  g_assert_null(nta_key_alt_reader(must_find(kr, 3)));
  nta_keyring_destroy(kr);

  /* An explicit dialect means exactly one reading. */
  kr = nta_keyring_create();
  g_assert_cmpint(nta_keyring_load_text(kr, "plain.keys", text + 39, sizeof text - 40,
                                        NTA_DIALECT_NTPSEC, &used, ds, NULL), ==, NTA_OK);
  g_assert_null(nta_key_alt_reader(must_find(kr, 2)));
  nta_keyring_destroy(kr);
}

static void test_text_edge_cases(void) {
  nta_keyring *kr = nta_keyring_create();
  g_autoptr(nta_diags) ds = nta_diags_create();
  /* tabs, no final newline, CR kept in the last token by ntpd and ntpsec, a NUL byte ends the
   * line for fgets-based readers */
  static const char text[] = "1\tMD5\tabcdefgh\r\n2 MD5 x\0y\n3 SHA1 ijklmnop";
  g_assert_cmpint(nta_keyring_load_text(kr, "t", text, sizeof text - 1, NTA_DIALECT_NTPSEC, NULL,
                                        ds, NULL), ==, NTA_OK);
  g_autofree char *dt = diags_text(ds);
  g_assert_cmpstr(dt, ==, "");
  g_assert_cmpuint(nta_keyring_count(kr), ==, 3);
  assert_secret(must_find(kr, 1), "abcdefgh\r", 9);
  assert_secret(must_find(kr, 2), "x", 1);
  assert_secret(must_find(kr, 3), "ijklmnop", 8);

  /* chronyd reads 2047 characters at a time: the rest of a longer line is another line */
  GString *big = g_string_new("4 MD5 ");
  for (int i = 0; i < 2100; i++) g_string_append_c(big, 'a');
  g_string_append(big, " x\n5 MD5 short\n");
  nta_diags_clear(ds);
  g_assert_cmpint(nta_keyring_load_text(kr, "big", big->str, big->len, NTA_DIALECT_CHRONY, NULL,
                                        ds, NULL), ==, NTA_OK);
  g_autofree char *dt2 = diags_text(ds);
  g_assert_cmpstr(dt2, ==,
                  "W big:1: line longer than 2047 characters: chronyd reads the rest as another line\n"
                  "E big:1: chronyd refuses this line: Could not parse key (the ID is not a number)\n");
  g_assert_cmpuint(nta_key_secret_len(must_find(kr, 4)), ==, 2041);
  g_assert_nonnull(nta_keyring_find(kr, 5));
  g_string_free(big, TRUE);
  nta_keyring_destroy(kr);
}

static void test_many_keys_sorted(void) {
  nta_keyring *kr = nta_keyring_create();
  /* insert in a scrambled order; lookups must find every key, key_at must be sorted */
  for (uint32_t i = 0; i < 1000; i++) {
    uint32_t id = (i * 7919u) % 1000u + 1u;
    char key[16];
    g_snprintf(key, sizeof key, "k%u", id);
    g_assert_cmpint(nta_keyring_add_text(kr, id, "MD5", key, NTA_DIALECT_NTPD, "test", NULL), ==,
                    NTA_OK);
  }
  g_assert_cmpuint(nta_keyring_count(kr), ==, 1000);
  for (uint32_t id = 1; id <= 1000; id++) {
    char key[16];
    g_snprintf(key, sizeof key, "k%u", id);
    assert_secret(must_find(kr, id), key, strlen(key));
  }
  for (size_t i = 1; i < 1000; i++)
    g_assert_cmpuint(nta_key_id(nta_keyring_key_at(kr, i - 1)), <,
                     nta_key_id(nta_keyring_key_at(kr, i)));
  g_assert_null(nta_keyring_find(kr, 0));
  g_assert_null(nta_keyring_find(kr, 1001));
  g_assert_null(nta_keyring_key_at(kr, 1000));
  nta_keyring_destroy(kr);
}

static void test_add(void) {
  nta_keyring *kr = nta_keyring_create();
  nta_diag err = {{0}};
  g_assert_cmpint(nta_keyring_add_text(kr, 5, "SHA1", "HEX:0011", NTA_DIALECT_AUTO, "uat", &err),
                  ==, NTA_OK);
  assert_secret(must_find(kr, 5), "\x00\x11", 2);
  g_assert_cmpstr(nta_key_source(must_find(kr, 5)), ==, "uat");
  g_assert_cmpint(nta_keyring_add_text(kr, 6, "SHA1", "zz0123456789abcdef012", NTA_DIALECT_AUTO,
                                       "uat", &err), ==, NTA_ERR_PARSE);
  g_assert_cmpstr(err.msg, ==,
                  "key 6: invalid hex digit for key 6 (a non-hex character at position 1)");
  g_assert_cmpint(nta_keyring_add_raw(kr, 0, "MD5", (const uint8_t *)"x", 1, "c", &err), ==,
                  NTA_ERR_RANGE);
  g_assert_cmpstr(err.msg, ==, "key ID 0 is reserved");
  g_assert_cmpint(nta_keyring_add_raw(kr, 7, "BOGUS", (const uint8_t *)"x", 1, "c", &err), ==,
                  NTA_ERR_UNSUPPORTED);
  g_assert_cmpstr(err.msg, ==,
                  "key 7: unknown MAC type 'BOGUS' (not a digest OpenSSL knows, nor AES128/192/256 CMAC)");
  g_assert_cmpuint(nta_keyring_count(kr), ==, 1);
  nta_keyring_destroy(kr);
}

/* ---- file errors --------------------------------------------------------------------------- */

typedef struct {
  char *dir;
} tmpdir;

static void tmpdir_setup(tmpdir *t, gconstpointer data) {
  t->dir = g_dir_make_tmp("ntpauth-keyring-XXXXXX", NULL);
  g_assert_nonnull(t->dir);
  g_assert_cmpint(chmod(t->dir, 0755), ==, 0);   /* so 'nobody' can look inside */
}

static void remove_tree(const char *dir) {
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
      remove_tree(p);
    else
      g_unlink(p);
  }
  if (d) g_dir_close(d);
  g_rmdir(dir);
}

static void tmpdir_teardown(tmpdir *t, gconstpointer data) {
  remove_tree(t->dir);
  g_free(t->dir);
}

static char *write_file(const tmpdir *t, const char *name, const char *text, mode_t mode) {
  char *p = g_build_filename(t->dir, name, NULL);
  g_assert_true(g_file_set_contents(p, text, -1, NULL));
  g_assert_cmpint(chmod(p, mode), ==, 0);
  return p;
}

static nta_status load_path(const char *path, nta_diags *ds, nta_diag *err) {
  nta_keyring *kr = nta_keyring_create();
  nta_diags_clear(ds);
  err->msg[0] = '\0';
  nta_status st = nta_keyring_load_file(kr, path, NTA_DIALECT_AUTO, NULL, ds, err);
  nta_keyring_destroy(kr);
  return st;
}

static void test_file_ok_and_mode_warning(tmpdir *t, gconstpointer data) {
  g_autofree char *p = write_file(t, "ok.keys", "1 MD5 abcdefgh\n", 0600);
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_diag err;
  g_assert_cmpint(load_path(p, ds, &err), ==, NTA_OK);
  g_assert_cmpuint(nta_diags_count(ds), ==, 0);

  g_assert_cmpint(chmod(p, 0640), ==, 0);
  g_assert_cmpint(load_path(p, ds, &err), ==, NTA_OK);
  g_autofree char *want = g_strdup_printf(
      "W %s: keyfile is readable by its group (mode 0640); keys are secrets, use mode 0600 or "
      "0640 with a trusted group\n", p);
  g_autofree char *got = diags_text(ds);
  g_assert_cmpstr(got, ==, want);

  g_assert_cmpint(chmod(p, 0666), ==, 0);
  g_assert_cmpint(load_path(p, ds, &err), ==, NTA_OK);
  g_autofree char *want2 = g_strdup_printf(
      "W %s: keyfile is readable and writable by others (mode 0666); keys are secrets, use mode "
      "0600 or 0640 with a trusted group\n", p);
  g_autofree char *got2 = diags_text(ds);
  g_assert_cmpstr(got2, ==, want2);

  /* the source of a file key names the real path and line */
  nta_keyring *kr = nta_keyring_create();
  g_assert_cmpint(nta_keyring_load_file(kr, p, NTA_DIALECT_AUTO, NULL, NULL, NULL), ==, NTA_OK);
  g_autofree char *src = g_strdup_printf("%s:1", p);
  g_assert_cmpstr(nta_key_source(must_find(kr, 1)), ==, src);
  nta_keyring_destroy(kr);
}

static void test_file_missing(tmpdir *t, gconstpointer data) {
  g_autofree char *p = g_build_filename(t->dir, "nope.keys", NULL);
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_diag err;
  g_assert_cmpint(load_path(p, ds, &err), ==, NTA_ERR_IO);
  g_autofree char *want = g_strdup_printf("%s: No such file or directory", p);
  g_assert_cmpstr(err.msg, ==, want);
}

static void test_file_directory(tmpdir *t, gconstpointer data) {
  g_autofree char *p = g_build_filename(t->dir, "sub", NULL);
  g_assert_cmpint(g_mkdir(p, 0700), ==, 0);
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_diag err;
  g_assert_cmpint(load_path(p, ds, &err), ==, NTA_ERR_IO);
  g_autofree char *want = g_strdup_printf("%s: is a directory, not a keyfile", p);
  g_assert_cmpstr(err.msg, ==, want);
}

static void test_file_fifo(tmpdir *t, gconstpointer data) {
  g_autofree char *p = g_build_filename(t->dir, "fifo", NULL);
  g_assert_cmpint(mkfifo(p, 0600), ==, 0);
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_diag err;
  g_assert_cmpint(load_path(p, ds, &err), ==, NTA_ERR_IO);   /* must not block */
  g_autofree char *want = g_strdup_printf("%s: not a regular file", p);
  g_assert_cmpstr(err.msg, ==, want);
}

static void test_file_dangling_symlink(tmpdir *t, gconstpointer data) {
  g_autofree char *p = g_build_filename(t->dir, "ntp.keys", NULL);
  g_assert_cmpint(symlink("ntpkey_MD5key_host.3900000000", p), ==, 0);
  g_autoptr(nta_diags) ds = nta_diags_create();
  nta_diag err;
  g_assert_cmpint(load_path(p, ds, &err), ==, NTA_ERR_IO);
  g_autofree char *want = g_strdup_printf(
      "%s: dangling symlink to 'ntpkey_MD5key_host.3900000000' (the target does not exist)", p);
  g_assert_cmpstr(err.msg, ==, want);
}

/* Runs load_path in a child that reads as 'nobody' (when root) and returns its message. */
static char *load_as_unprivileged(const char *path, nta_status *st_out) {
  int pfd[2];
  g_assert_cmpint(pipe(pfd), ==, 0);
  uid_t uid = 0;
  gid_t gid = 0;
  if (geteuid() == 0) {
    struct passwd *pw = getpwnam("nobody");
    if (!pw) g_error("user 'nobody' is missing: cannot test reading after a privilege drop");
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) {
    close(pfd[0]);
    if (geteuid() == 0 &&
        (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0))
      _exit(90);
    g_autoptr(nta_diags) ds = nta_diags_create();
    nta_diag err;
    nta_status st = load_path(path, ds, &err);
    unsigned char code = (unsigned char)st;
    if (write(pfd[1], &code, 1) != 1 || write(pfd[1], err.msg, strlen(err.msg)) < 0) _exit(91);
    _exit(0);
  }
  close(pfd[1]);
  GString *s = g_string_new(NULL);
  char buf[256];
  ssize_t n;
  while ((n = read(pfd[0], buf, sizeof buf)) > 0) g_string_append_len(s, buf, n);
  close(pfd[0]);
  int status;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    g_error("unprivileged child failed (status %d)", status);
  g_assert_cmpuint(s->len, >=, 1);
  *st_out = (nta_status)(unsigned char)s->str[0];
  char *msg = g_strdup(s->str + 1);
  g_string_free(s, TRUE);
  return msg;
}

static void test_file_permission_denied(tmpdir *t, gconstpointer data) {
  /* As root, 0600 root-owned is unreadable for 'nobody'; as a normal user, mode 0000 is. */
  g_autofree char *p = write_file(t, "secret.keys", "1 MD5 abcdefgh\n", geteuid() == 0 ? 0600 : 0);
  nta_status st;
  g_autofree char *msg = load_as_unprivileged(p, &st);
  g_assert_cmpint(st, ==, NTA_ERR_IO);
  g_autofree char *prefix = g_strdup_printf("%s: Permission denied (reading as ", p);
  if (!g_str_has_prefix(msg, prefix)) g_error("unexpected message: %s", msg);
  g_assert_nonnull(strstr(msg, "dropping privileges"));
  g_assert_nonnull(strstr(msg, "AppArmor"));
  if (geteuid() == 0) g_assert_nonnull(strstr(msg, "reading as nobody (uid "));
}

static void test_file_symlink_unreadable(tmpdir *t, gconstpointer data) {
  g_autofree char *target = write_file(t, "ntpkey_MD5key_host.3900000000", "1 MD5 abcdefgh\n",
                                       geteuid() == 0 ? 0600 : 0);
  g_autofree char *link = g_build_filename(t->dir, "ntp.keys", NULL);
  g_assert_cmpint(symlink("ntpkey_MD5key_host.3900000000", link), ==, 0);
  nta_status st;
  g_autofree char *msg = load_as_unprivileged(link, &st);
  g_assert_cmpint(st, ==, NTA_ERR_IO);
  g_autofree char *resolved = realpath(target, NULL);
  g_autofree char *head = g_strdup_printf(
      "%s: Permission denied: symlink to 'ntpkey_MD5key_host.3900000000' resolved to %s, owner ",
      link, resolved);
  if (!g_str_has_prefix(msg, head)) g_error("unexpected message: %s", msg);
  if (geteuid() == 0) {
    g_assert_nonnull(strstr(msg, ", owner root (uid 0), mode 0600; reading as nobody (uid "));
  } else {
    g_assert_nonnull(strstr(msg, ", mode 0000; reading as "));
  }
  g_assert_nonnull(strstr(msg, "dropping privileges"));
  g_assert_nonnull(strstr(msg, "AppArmor checks the resolved path"));
}

/* ---- trust --------------------------------------------------------------------------------- */

static void test_trust(void) {
  nta_keyring *kr = nta_keyring_create();
  nta_diag err = {{0}};
  g_assert_false(nta_keyring_has_trust_list(kr));
  g_assert_true(nta_keyring_is_trusted(kr, 42));   /* no list: everything trusted */
  g_assert_false(nta_keyring_is_trusted(kr, 0));   /* key 0 never */

  g_assert_cmpint(nta_keyring_trust(kr, "11 12 (13 ... 20)", &err), ==, NTA_OK);
  g_assert_true(nta_keyring_has_trust_list(kr));
  for (uint32_t id = 1; id <= 30; id++)
    g_assert_cmpint(nta_keyring_is_trusted(kr, id), ==, id >= 11 && id <= 20);
  /* cumulative, compact forms, commas, a pasted ntp.conf line */
  g_assert_cmpint(nta_keyring_trust(kr, "100-105,200", &err), ==, NTA_OK);
  g_assert_cmpint(nta_keyring_trust(kr, "trustedkey (1000 ... 1002) 4294967295", &err), ==, NTA_OK);
  g_assert_cmpint(nta_keyring_trust(kr, "(300...301)", &err), ==, NTA_ERR_PARSE);
  g_assert_cmpstr(err.msg, ==, "trusted keys: bad token '300...301': expected a key ID 1-4294967295 after '('");
  g_assert_true(nta_keyring_is_trusted(kr, 15));
  g_assert_true(nta_keyring_is_trusted(kr, 100));
  g_assert_true(nta_keyring_is_trusted(kr, 105));
  g_assert_false(nta_keyring_is_trusted(kr, 106));
  g_assert_true(nta_keyring_is_trusted(kr, 200));
  g_assert_true(nta_keyring_is_trusted(kr, 1001));
  g_assert_true(nta_keyring_is_trusted(kr, 4294967295u));
  g_assert_false(nta_keyring_is_trusted(kr, 300));

  struct { const char *spec; const char *msg; } bad[] = {
    {"11 x", "trusted keys: bad token 'x': not a key ID 1-4294967295"},
    {"0", "trusted keys: bad token '0': not a key ID 1-4294967295"},
    {"4294967296", "trusted keys: bad token '4294967296': not a key ID 1-4294967295"},
    {"20-11", "trusted keys: range 20 ... 11 runs backwards"},
    {"(13 .. 20)", "trusted keys: bad token '..': expected '...' (with spaces around it) in a range"},
    {"(13 ... 20", "trusted keys: missing ')' after '(13 ... 20'"},
    {"(13", "trusted keys: unterminated '('"},
    {"13 ... 20", "trusted keys: bad token '...': not inside '( lo ... hi )'"},
    {"5-", "trusted keys: bad token '5-': a range is written LO-HI with key IDs 1-4294967295"},
    {"-5", "trusted keys: bad token '-5': a range is written LO-HI with key IDs 1-4294967295"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_cmpint(nta_keyring_trust(kr, bad[i].spec, &err), ==, NTA_ERR_PARSE);
    g_assert_cmpstr(err.msg, ==, bad[i].msg);
  }
  /* a bad spec adds nothing: "7 x" must not trust 7 */
  g_assert_cmpint(nta_keyring_trust(kr, "7 x", &err), ==, NTA_ERR_PARSE);
  g_assert_false(nta_keyring_is_trusted(kr, 7));
  nta_keyring_destroy(kr);

  /* an empty list given explicitly trusts nothing */
  kr = nta_keyring_create();
  g_assert_cmpint(nta_keyring_trust(kr, "", &err), ==, NTA_OK);
  g_assert_true(nta_keyring_has_trust_list(kr));
  g_assert_false(nta_keyring_is_trusted(kr, 1));
  nta_keyring_destroy(kr);
}

/* ---- clone and weak keys ------------------------------------------------------------------- */

static void test_clone(void) {
  nta_keyring *kr = nta_keyring_create();
  g_assert_cmpint(nta_keyring_add_text(kr, 1, "SHA1", "abcdefgh", NTA_DIALECT_NTPD, "t", NULL), ==, NTA_OK);
  g_assert_cmpint(nta_keyring_add_text(kr, 2, "AES128", "HEX:7EA62AE64D190114D46D5A082F948EC1",
                                       NTA_DIALECT_CHRONY, "t", NULL), ==, NTA_OK);
  g_assert_cmpint(nta_keyring_trust(kr, "2", NULL), ==, NTA_OK);
  nta_keyring *c = nta_keyring_clone(kr);
  g_assert_nonnull(c);
  g_assert_cmpuint(nta_keyring_count(c), ==, 2);
  g_assert_true(nta_keyring_has_trust_list(c));
  g_assert_false(nta_keyring_is_trusted(c, 1));
  g_assert_true(nta_keyring_is_trusted(c, 2));
  for (uint32_t id = 1; id <= 2; id++) {
    const nta_key *a = must_find(kr, id), *b = must_find(c, id);
    g_assert_true(nta_key_mac(a) != nta_key_mac(b));   /* own contexts */
    uint8_t ma[NTA_MAC_MAX], mb[NTA_MAC_MAX];
    size_t na = nta_mac_compute(nta_key_mac(a), (const uint8_t *)"data", 4, ma);
    size_t nb = nta_mac_compute(nta_key_mac(b), (const uint8_t *)"data", 4, mb);
    g_assert_cmpmem(ma, na, mb, nb);
    g_assert_cmpstr(nta_key_type_text(a), ==, nta_key_type_text(b));
  }
  nta_keyring_destroy(kr);
  g_assert_nonnull(nta_keyring_find(c, 2));   /* the clone outlives the original */
  nta_keyring_destroy(c);
}

static void test_weak(void) {
  nta_keyring *kr = nta_keyring_create();
  nta_keyring_add_text(kr, 1, "MD5", "abcdefghijkl", NTA_DIALECT_NTPD, "t", NULL);
  nta_keyring_add_text(kr, 2, "SHA1", "abc", NTA_DIALECT_NTPD, "t", NULL);
  nta_keyring_add_text(kr, 3, "SHA1", "abcdefghij", NTA_DIALECT_NTPD, "t", NULL);
  nta_keyring_add_text(kr, 4, "M", "abc", NTA_DIALECT_NTPD, "t", NULL);
  char why[128];
  g_assert_true(nta_key_is_weak(must_find(kr, 1), why, sizeof why));
  g_assert_cmpstr(why, ==, "MD5 (deprecated by RFC 8573)");
  g_assert_true(nta_key_is_weak(must_find(kr, 2), why, sizeof why));
  g_assert_cmpstr(why, ==, "3-byte secret (under 80 bits)");
  g_assert_false(nta_key_is_weak(must_find(kr, 3), why, sizeof why));
  g_assert_cmpstr(why, ==, "");
  g_assert_true(nta_key_is_weak(must_find(kr, 4), why, sizeof why));
  g_assert_cmpstr(why, ==, "MD5 (deprecated by RFC 8573) with a 3-byte secret (under 80 bits)");
  g_assert_true(nta_key_is_weak(must_find(kr, 4), NULL, 0));
  nta_keyring_destroy(kr);
}

static void test_dialect_names(void) {
  nta_dialect d;
  g_assert_cmpstr(nta_dialect_name(NTA_DIALECT_CHRONY), ==, "chrony");
  g_assert_true(nta_dialect_from_name("NTPsec", &d));
  g_assert_cmpint(d, ==, NTA_DIALECT_NTPSEC);
  g_assert_true(nta_dialect_from_name("auto", &d));
  g_assert_cmpint(d, ==, NTA_DIALECT_AUTO);
  g_assert_false(nta_dialect_from_name("openntpd", &d));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/keyring/fixture/ntpd-keygen", test_ntpd_keygen);
  g_test_add_func("/keyring/fixture/ntpsec-keygen", test_ntpsec_keygen);
  g_test_add_func("/keyring/fixture/chrony", test_chrony);
  g_test_add_func("/keyring/fixture/chrony-errors", test_chrony_errors);
  g_test_add_func("/keyring/fixture/ntpd-errors", test_ntpd_errors);
  g_test_add_func("/keyring/fixture/ntpsec-errors", test_ntpsec_errors);
  g_test_add_func("/keyring/detect", test_detect);
  g_test_add_func("/keyring/auto-readings", test_auto_readings);
  g_test_add_func("/keyring/text-edge-cases", test_text_edge_cases);
  g_test_add_func("/keyring/many-keys-sorted", test_many_keys_sorted);
  g_test_add_func("/keyring/add", test_add);
#define FILE_TEST(name, fn) g_test_add(name, tmpdir, NULL, tmpdir_setup, fn, tmpdir_teardown)
  FILE_TEST("/keyring/file/ok-and-mode-warning", test_file_ok_and_mode_warning);
  FILE_TEST("/keyring/file/missing", test_file_missing);
  FILE_TEST("/keyring/file/directory", test_file_directory);
  FILE_TEST("/keyring/file/fifo", test_file_fifo);
  FILE_TEST("/keyring/file/dangling-symlink", test_file_dangling_symlink);
  FILE_TEST("/keyring/file/permission-denied", test_file_permission_denied);
  FILE_TEST("/keyring/file/symlink-unreadable-target", test_file_symlink_unreadable);
  g_test_add_func("/keyring/trust", test_trust);
  g_test_add_func("/keyring/clone", test_clone);
  g_test_add_func("/keyring/weak", test_weak);
  g_test_add_func("/keyring/dialect-names", test_dialect_names);
  return g_test_run();
}
