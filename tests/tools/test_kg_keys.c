/* test_kg_keys.c - ntpauth-keygen's key table, alphabet and line formats, and that every line it
 * can write is read back by libntpauth with the same algorithm and secret. */
#include <glib.h>
#include <string.h>

#include "kg_keys.h"
#include "ntpauth/keyring.h"
#include "ntpauth/mac.h"

static void test_type_names(void) {
  g_assert_cmpstr(kg_type_find("aes")->canonical, ==, "AES128CMAC");
  g_assert_cmpstr(kg_type_find("AES128")->canonical, ==, "AES128CMAC");
  g_assert_cmpstr(kg_type_find("aes-256")->canonical, ==, "AES256CMAC");
  g_assert_cmpstr(kg_type_find("SHA-1")->canonical, ==, "SHA1");
  g_assert_cmpstr(kg_type_find("sha3-256")->canonical, ==, "SHA3-256");
  g_assert_null(kg_type_find("SHA999"));
  g_assert_null(kg_type_find(""));

  const kg_type *aes = kg_type_find("AES128CMAC");
  g_assert_cmpstr(kg_type_name_in(aes, NTA_DIALECT_NTPD), ==, "AES128CMAC");
  g_assert_cmpstr(kg_type_name_in(aes, NTA_DIALECT_NTPSEC), ==, "AES");
  g_assert_cmpstr(kg_type_name_in(aes, NTA_DIALECT_CHRONY), ==, "AES128");
  g_assert_null(kg_type_name_in(kg_type_find("SHA224"), NTA_DIALECT_CHRONY));
  g_assert_cmpuint(kg_type_find("AES256CMAC")->secret_len, ==, 32);
  g_assert_cmpuint(kg_type_md5()->secret_len, ==, 20);
  g_assert_cmpuint(kg_dialect_max_id(NTA_DIALECT_NTPD), ==, 65535);
  g_assert_cmpuint(kg_dialect_max_id(NTA_DIALECT_CHRONY), ==, UINT32_MAX);
}

/* ntp-keygen's alphabet: 0x21-0x7E without '#' (93 characters), and all of them in use. */
static void test_printable_alphabet(void) {
  bool seen[128] = { false };
  for (int n = 0; n < 500; n++) {
    kg_key k = { .id = 1, .type = kg_type_md5() };
    nta_diag err;
    g_assert_cmpint(kg_key_randomize(&k, &err), ==, NTA_OK);
    g_assert_cmpuint(k.secret_len, ==, 20);
    for (size_t i = 0; i < k.secret_len; i++) {
      g_assert_cmpuint(k.secret[i], >=, 0x21);
      g_assert_cmpuint(k.secret[i], <=, 0x7e);
      g_assert_cmpuint(k.secret[i], !=, '#');
      seen[k.secret[i]] = true;
    }
  }
  int distinct = 0;
  for (int c = 0; c < 128; c++)
    distinct += seen[c];
  g_assert_cmpint(distinct, ==, 93);
}

static void expect_line(uint32_t id, const char *type, const uint8_t *secret, size_t len,
                        nta_dialect d, const char *want) {
  kg_key k = { .id = id, .type = kg_type_find(type), .secret_len = len };
  memcpy(k.secret, secret, len);
  GString *s = g_string_new(NULL);
  nta_diag err;
  g_assert_cmpint(kg_format_line(s, &k, d, &err), ==, NTA_OK);
  g_assert_cmpstr(s->str, ==, want);
  g_string_free(s, TRUE);
}

static void test_line_formats(void) {
  const uint8_t ascii[] = "abcdefghij!$%&()*+,-";
  uint8_t seq[32];
  for (int i = 0; i < 32; i++)
    seq[i] = (uint8_t)((i % 16) * 17);
  expect_line(1, "MD5", ascii, 20, NTA_DIALECT_NTPD, " 1 MD5 abcdefghij!$%&()*+,-  # MD5 key\n");
  expect_line(11, "SHA1", seq, 20, NTA_DIALECT_NTPD,
              "11 SHA1 00112233445566778899aabbccddeeff00112233  # SHA1 key\n");
  expect_line(11, "SHA1", seq, 20, NTA_DIALECT_CHRONY,
              "11 SHA1 HEX:00112233445566778899AABBCCDDEEFF00112233\n");
  expect_line(1, "MD5", ascii, 20, NTA_DIALECT_CHRONY,
              "1 MD5 HEX:6162636465666768696A2124252628292A2B2C2D\n");
  expect_line(100, "AES", seq, 16, NTA_DIALECT_NTPSEC,
              "100 AES 00112233445566778899aabbccddeeff  # AES key\n");
  expect_line(4000000000u, "AES256", seq, 32, NTA_DIALECT_CHRONY,
              "4000000000 AES256 HEX:00112233445566778899AABBCCDDEEFF"
              "00112233445566778899AABBCCDDEEFF\n");
  GString *s = g_string_new(NULL);
  nta_diag err;
  kg_key k = { .id = 1, .type = kg_type_find("SHA224"), .secret_len = 28 };
  g_assert_cmpint(kg_format_line(s, &k, NTA_DIALECT_CHRONY, &err), !=, NTA_OK);
  g_assert_nonnull(strstr(err.msg, "chrony"));
  g_string_free(s, TRUE);
}

/* Every type in every dialect that can express it: write a random key, load it with the core. */
static void test_core_reads_what_we_write(void) {
  static const char *types[] = { "MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512",
                                 "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512",
                                 "AES128CMAC", "AES256CMAC" };
  static const nta_dialect dialects[] = { NTA_DIALECT_NTPD, NTA_DIALECT_NTPSEC,
                                          NTA_DIALECT_CHRONY };
  for (size_t d = 0; d < G_N_ELEMENTS(dialects); d++) {
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
      const kg_type *type = kg_type_find(types[t]);
      if (!kg_type_name_in(type, dialects[d]))
        continue;
      kg_key k = { .id = (uint32_t)(t + 1), .type = type };
      nta_diag err = { { 0 } };
      g_assert_cmpint(kg_key_randomize(&k, &err), ==, NTA_OK);
      GString *s = g_string_new("# test\n");
      g_assert_cmpint(kg_format_line(s, &k, dialects[d], &err), ==, NTA_OK);

      nta_keyring *kr = nta_keyring_create();
      nta_diags *diags = nta_diags_create();
      nta_status st = nta_keyring_load_text(kr, "test.keys", s->str, s->len, dialects[d], NULL,
                                            diags, &err);
      if (st != NTA_OK)
        g_error("%s/%s: %s", nta_dialect_name(dialects[d]), types[t], err.msg);
      const nta_key *got = nta_keyring_find(kr, k.id);
      if (!got)
        g_error("%s/%s: line '%s' did not load: %s", nta_dialect_name(dialects[d]), types[t],
                s->str, nta_diags_count(diags) ? nta_diags_msg(diags, 0) : "(no diagnostic)");
      g_assert_cmpstr(nta_key_alg_name(got), ==, type->canonical);
      g_assert_cmpuint(nta_key_secret_len(got), ==, k.secret_len);
      g_assert_cmpmem(nta_key_secret(got), k.secret_len, k.secret, k.secret_len);
      nta_keyring_destroy(kr);
      nta_diags_destroy(diags);
      g_string_free(s, TRUE);
    }
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/keygen/type-names", test_type_names);
  g_test_add_func("/keygen/printable-alphabet", test_printable_alphabet);
  g_test_add_func("/keygen/line-formats", test_line_formats);
  g_test_add_func("/keygen/core-reads-what-we-write", test_core_reads_what_we_write);
  return g_test_run();
}
