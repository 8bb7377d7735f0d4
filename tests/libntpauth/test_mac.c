/* test_mac.c - mac.h: published vectors (ntpsec and chrony unit tests, RFC 4493), type names, key rules, constant-time
 * compare, hex decoding, and that computing a MAC allocates nothing. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "ntpauth/mac.h"
#include "mac_internal.h"   /* nta_ct_equal, nta_hex_decode */

/* ---- helpers -------------------------------------------------------------------------------- */

/* Independent of nta_hex_decode so a decoder bug cannot hide a MAC bug. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex) / 2;
  g_assert_cmpuint(n, <=, cap);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    g_assert_true(sscanf(hex + 2 * i, "%2x", &v) == 1);
    out[i] = (uint8_t)v;
  }
  return n;
}

static char *tohex(const uint8_t *b, size_t n) {
  GString *s = g_string_new(NULL);
  for (size_t i = 0; i < n; i++) g_string_append_printf(s, "%02x", b[i]);
  return g_string_free(s, FALSE);
}

/* MAC of `data` with a key given as hex or ASCII; compares the hex output. */
static void check_mac(const char *type, const uint8_t *key, size_t key_len, const uint8_t *data,
                      size_t len, const char *expect_hex) {
  nta_diag err = {{0}};
  nta_mac *m = nta_mac_create(type, key, key_len, &err);
  if (!m) g_error("%s: %s", type, err.msg);
  uint8_t out[NTA_MAC_MAX];
  size_t n = nta_mac_compute(m, data, len, out);
  g_assert_cmpuint(n, ==, nta_mac_output_len(m));
  g_autofree char *got = tohex(out, n);
  /* expect may be a prefix (only the start of the SHA512 value is listed here) */
  g_assert_cmpuint(strlen(expect_hex), <=, 2 * n);
  g_autofree char *prefix = g_strndup(got, strlen(expect_hex));
  g_assert_cmpstr(prefix, ==, expect_hex);
  /* A second compute on the reused contexts gives the same value. */
  uint8_t again[NTA_MAC_MAX];
  g_assert_cmpuint(nta_mac_compute(m, data, len, again), ==, n);
  g_assert_cmpmem(out, n, again, n);
  nta_mac_destroy(m);
}

static void check_mac_hexkey(const char *type, const char *key_hex, const uint8_t *data,
                             size_t len, const char *expect_hex) {
  uint8_t key[64];
  size_t kl = unhex(key_hex, key, sizeof key);
  check_mac(type, key, kl, data, len, expect_hex);
}

static void check_mac_str(const char *type, const char *key, const char *data,
                          const char *expect_hex) {
  check_mac(type, (const uint8_t *)key, strlen(key), (const uint8_t *)data, strlen(data),
            expect_hex);
}

/* P = e3 + 39 x 00 + the given 8-byte transmit timestamp */
static void packet48(uint8_t p[48], const char *xmt_hex) {
  memset(p, 0, 48);
  p[0] = 0xe3;
  unhex(xmt_hex, p + 40, 8);
}

/* ---- vectors ------------------------------------------------------------------------------- */

static void test_ntpsec_macencrypt(void) {
  check_mac_str("MD5", "abcdefgh", "ijklmnopqrstuvwx", "0c0e84cf0bb7a8688e5238dbbc1c3953");
  check_mac_str("AES", "0123456789abcdef", "ijklmnopqrstuvwx", "b0a1cfd27f690c43a75d6c55914b1514");
}

static void test_ntpsec_null_trunc(void) {
  uint8_t p[48];
  packet48(p, "e6136a712d8c4800");
  check_mac_hexkey("AES128CMAC", "0fd2287c1e97a50cb9d3cb9f80debcb6", p, 48,
                   "01c167a4df28f25a4794bf00c8b35469");
}

static void test_rfc4493(void) {
  static const char *msg = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                           "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
  uint8_t m[64];
  unhex(msg, m, sizeof m);
  const char *key = "2b7e151628aed2a6abf7158809cf4f3c";
  check_mac_hexkey("AES-128-CMAC", key, m, 0, "bb1d6929e95937287fa37d129b756746");
  check_mac_hexkey("aes128", key, m, 16, "070a16b46b4d4144f79bdd9dd04a287c");
  check_mac_hexkey("AES-128", key, m, 40, "dfa66747de9ae63030ca32611497c827");
  check_mac_hexkey("Aes", key, m, 64, "51f0bebf7e3b9d92fc49741779363cfe");
}

static void test_ntpsec_aes256(void) {
  uint8_t p[48];
  packet48(p, "e8640b021a39a000");
  check_mac_hexkey("AES256", "fc0af35640142bb85ad03a892a81fa9d891b108289c3f6725a01a10f697c1b4c",
                   p, 48, "3110829513e46cde2bcca37609669b9c");
}

static void test_chrony_hash(void) {
  const char *k = "abcdefghijklmnopqrstuvwxyz", *d = "12345678910";
  check_mac_str("MD5", k, d, "fc24971b5266dc46efe0e8084689b688");
  check_mac_str("SHA1", k, d, "d885b386ceea93eb92cd7b94b98dc28e3e3113dd");
  check_mac_str("SHA256", k, d, "0e3514e7157a1dddea1178d341f6b93ea04296733c54740bfa6b9e2959ad69d3");
  check_mac_str("SHA512", k, d, "20baeccb6898335b70266313e2f70e67");
  check_mac_str("SHA3-256", k, d, "26d119b2c164c8b810d8a81cb6a40d2909c98e2e2dde7a748c4370b8aa0f0917");
}

static void test_chrony_cmac(void) {
  const uint8_t *d = (const uint8_t *)"abcdefghijklmnopqrstuvwxyz0123456789";
  check_mac_hexkey("AES128", "fc24971b5266dc46efe0e8084689b688", d, 36,
                   "af3cfec266710804d4af5b162b11f485");
  check_mac_hexkey("AES256", "14028e7d173c2f4e170f3796c32cc59918dd5523b7d79bc57636883fc582b583",
                   d, 36, "fef794961404110b87e4d43f81b3b22d");
}

static void test_extra_vectors(void) {
  uint8_t p[48];
  packet48(p, "e6136a712d8c4800");
  check_mac((const char *)"MD5", (const uint8_t *)"abcdefgh", 8, p, 48,
            "a8fa3a85f32559480cce8300f7a54dbe");
  const char *k25 = "933F62BE1D604E68A81B557F18CFA200483F5B70";
  check_mac_hexkey("SHA1", k25, p, 48, "8f45fd2d6feb73c9f66a3388971a8e983ce4d383");
  check_mac_hexkey("SHA256", k25, p, 48,
                   "406f010221eb55575b04534559521b842360f8219195183b2b67842376581e0c");
  /* the 20-byte truncation on the wire is the prefix of the full value */
  check_mac_hexkey("sha-256", k25, p, 48, "406f010221eb55575b04534559521b842360f821");
  check_mac_hexkey("AES128", "7EA62AE64D190114D46D5A082F948EC1", p, 48,
                   "efa91a225e5a65371e66ba826cfa8867");
}

/* ---- names and rules ----------------------------------------------------------------------- */

typedef struct {
  const char *type;
  const char *canonical;
  size_t key_len;
  size_t out_len;
  nta_mac_kind kind;
} name_case;

static void test_type_names(void) {
  static const name_case cases[] = {
    {"MD5", "MD5", 20, 16, NTA_MAC_DIGEST},      {"md5", "MD5", 20, 16, NTA_MAC_DIGEST},
    {"M", "MD5", 20, 16, NTA_MAC_DIGEST},        {"Mumble", "MD5", 20, 16, NTA_MAC_DIGEST},
    {"SHA1", "SHA1", 20, 20, NTA_MAC_DIGEST},    {"SHA-1", "SHA1", 20, 20, NTA_MAC_DIGEST},
    {"sha", "SHA1", 20, 20, NTA_MAC_DIGEST},     {"SHA224", "SHA224", 20, 28, NTA_MAC_DIGEST},
    {"SHA256", "SHA256", 20, 32, NTA_MAC_DIGEST}, {"sha384", "SHA384", 20, 48, NTA_MAC_DIGEST},
    {"SHA512", "SHA512", 20, 64, NTA_MAC_DIGEST}, {"SHA3-224", "SHA3-224", 20, 28, NTA_MAC_DIGEST},
    {"sha3-256", "SHA3-256", 20, 32, NTA_MAC_DIGEST},
    {"SHA3-384", "SHA3-384", 20, 48, NTA_MAC_DIGEST},
    {"SHA3-512", "SHA3-512", 20, 64, NTA_MAC_DIGEST},
    {"RIPEMD160", "RIPEMD160", 20, 20, NTA_MAC_DIGEST},
    {"AES", "AES128CMAC", 16, 16, NTA_MAC_CMAC}, {"AES128CMAC", "AES128CMAC", 16, 16, NTA_MAC_CMAC},
    {"aes128", "AES128CMAC", 16, 16, NTA_MAC_CMAC}, {"AES-128", "AES128CMAC", 16, 16, NTA_MAC_CMAC},
    {"AES-128-CMAC", "AES128CMAC", 16, 16, NTA_MAC_CMAC},
    {"AES192", "AES192CMAC", 24, 16, NTA_MAC_CMAC},
    {"AES-192-CMAC", "AES192CMAC", 24, 16, NTA_MAC_CMAC},
    {"AES256", "AES256CMAC", 32, 16, NTA_MAC_CMAC}, {"AES-256", "AES256CMAC", 32, 16, NTA_MAC_CMAC},
    {"AES256CMAC", "AES256CMAC", 32, 16, NTA_MAC_CMAC},
    {"aes-256-cmac", "AES256CMAC", 32, 16, NTA_MAC_CMAC},
    /* any other digest OpenSSL offers, also from its legacy provider (Debian 12 ships it) */
    {"SHA512-256", "SHA512-256", 20, 32, NTA_MAC_DIGEST},
    {"SM3", "SM3", 20, 32, NTA_MAC_DIGEST},
    {"BLAKE2b512", "BLAKE2B512", 20, 64, NTA_MAC_DIGEST},
    {"SHAKE128", "SHAKE128", 20, 16, NTA_MAC_DIGEST},
    {"MD4", "MD4", 20, 16, NTA_MAC_DIGEST},
    {"whirlpool", "WHIRLPOOL", 20, 64, NTA_MAC_DIGEST},
    /* ntpsec: NAME + "-CBC" for other 128-bit block ciphers */
    {"CAMELLIA-128", "CAMELLIA128CMAC", 16, 16, NTA_MAC_CMAC},
    {"aria-256", "ARIA256CMAC", 32, 16, NTA_MAC_CMAC},
  };
  uint8_t key[32];
  memset(key, 0x5a, sizeof key);
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    nta_diag err = {{0}};
    nta_mac *m = nta_mac_create(cases[i].type, key, cases[i].key_len, &err);
    if (!m) g_error("type %s: %s", cases[i].type, err.msg);
    g_assert_cmpstr(nta_mac_name(m), ==, cases[i].canonical);
    g_assert_cmpuint(nta_mac_output_len(m), ==, cases[i].out_len);
    g_assert_cmpint(nta_mac_get_kind(m), ==, cases[i].kind);
    nta_mac_destroy(m);
  }
}

static void test_unknown_type(void) {
  nta_diag err = {{0}};
  uint8_t key[20] = {1};
  g_assert_null(nta_mac_create("FOO", key, sizeof key, &err));
  g_assert_cmpstr(err.msg, ==,
                  "unknown MAC type 'FOO' (not a digest OpenSSL knows, nor AES128/192/256 CMAC)");
  g_assert_cmpuint(ERR_peek_error(), ==, 0);   /* failed lookups leave OpenSSL's queue clean */
  g_assert_null(nta_mac_create("DSA", key, sizeof key, &err));
  g_assert_null(nta_mac_create("", key, sizeof key, &err));
  g_assert_null(nta_mac_create("MD5", key, 0, &err));
  g_assert_cmpstr(err.msg, ==, "empty key");
}

static void test_cmac_key_length(void) {
  nta_diag err = {{0}};
  uint8_t key[33] = {0};
  g_assert_null(nta_mac_create("AES", key, 15, &err));
  g_assert_cmpstr(err.msg, ==,
                  "AES128CMAC needs a key of exactly 16 bytes (32 hex digits), this key has 15 bytes");
  g_assert_null(nta_mac_create("AES128", key, 20, &err));
  g_assert_null(nta_mac_create("AES256", key, 16, &err));
  g_assert_cmpstr(err.msg, ==,
                  "AES256CMAC needs a key of exactly 32 bytes (64 hex digits), this key has 16 bytes");
  g_assert_null(nta_mac_create("AES192", key, 33, &err));
  nta_mac *m = nta_mac_create("AES192", key, 24, &err);
  g_assert_nonnull(m);
  nta_mac_destroy(m);
}

static void test_len_acceptable(void) {
  uint8_t key[32] = {7};
  nta_mac *md5 = nta_mac_create("MD5", key, 16, NULL);
  nta_mac *sha1 = nta_mac_create("SHA1", key, 16, NULL);
  nta_mac *sha256 = nta_mac_create("SHA256", key, 16, NULL);
  nta_mac *cmac = nta_mac_create("AES128", key, 16, NULL);
  g_assert_true(nta_mac_len_acceptable(md5, 16));
  g_assert_false(nta_mac_len_acceptable(md5, 20));
  g_assert_false(nta_mac_len_acceptable(md5, 12));
  g_assert_true(nta_mac_len_acceptable(sha1, 20));
  g_assert_false(nta_mac_len_acceptable(sha1, 16));
  g_assert_true(nta_mac_len_acceptable(sha256, 32));
  g_assert_true(nta_mac_len_acceptable(sha256, 20));
  g_assert_false(nta_mac_len_acceptable(sha256, 24));
  g_assert_false(nta_mac_len_acceptable(sha256, 16));
  g_assert_true(nta_mac_len_acceptable(cmac, 16));
  g_assert_false(nta_mac_len_acceptable(cmac, 20));
  nta_mac_destroy(md5);
  nta_mac_destroy(sha1);
  nta_mac_destroy(sha256);
  nta_mac_destroy(cmac);
}

static void test_clone(void) {
  uint8_t key[16], data[48], a[NTA_MAC_MAX], b[NTA_MAC_MAX];
  memset(key, 3, sizeof key);
  memset(data, 9, sizeof data);
  const char *types[] = {"MD5", "SHA256", "AES128", "SHA3-512"};
  for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
    nta_mac *m = nta_mac_create(types[i], key, sizeof key, NULL);
    g_assert_nonnull(m);
    nta_mac *c = nta_mac_clone(m);
    g_assert_nonnull(c);
    g_assert_cmpstr(nta_mac_name(c), ==, nta_mac_name(m));
    size_t na = nta_mac_compute(m, data, sizeof data, a);
    nta_mac_destroy(m);   /* the clone must not depend on the original */
    size_t nb = nta_mac_compute(c, data, sizeof data, b);
    g_assert_cmpmem(a, na, b, nb);
    nta_mac_destroy(c);
  }
}

/* ---- constant-time compare and hex ---------------------------------------------------------- */

static void test_ct_equal(void) {
  uint8_t a[64], b[64];
  for (size_t i = 0; i < sizeof a; i++) a[i] = b[i] = (uint8_t)(i * 37 + 1);
  g_assert_true(nta_ct_equal(a, b, sizeof a));
  g_assert_true(nta_ct_equal(a, b, 0));
  for (size_t i = 0; i < sizeof a; i++) {
    for (int bit = 0; bit < 8; bit++) {
      b[i] ^= (uint8_t)(1u << bit);
      g_assert_false(nta_ct_equal(a, b, sizeof a));
      g_assert_true(nta_ct_equal(a, b, i));   /* the prefix before the change still equals */
      b[i] ^= (uint8_t)(1u << bit);
    }
  }
}

static void test_hex_decode(void) {
  uint8_t out[8];
  g_assert_cmpint(nta_hex_decode("00ffA5", 6, out, sizeof out), ==, 3);
  g_assert_cmpmem(out, 3, "\x00\xff\xa5", 3);
  g_assert_cmpint(nta_hex_decode("abc", 3, out, sizeof out), ==, -1);      /* odd */
  g_assert_cmpint(nta_hex_decode("zz", 2, out, sizeof out), ==, -1);       /* bad digit */
  g_assert_cmpint(nta_hex_decode("0011", 4, out, 1), ==, -1);              /* too long */
  g_assert_cmpint(nta_hex_decode("", 0, out, sizeof out), ==, 0);
  g_assert_cmpint(nta_hex_decode("0g", 2, out, sizeof out), ==, -1);
}

/* ---- no allocation per compute ------------------------------------------------------------- */

static volatile long alloc_count;

static void *count_malloc(size_t n, const char *file, int line) {
  alloc_count++;
  return malloc(n);
}
static void *count_realloc(void *p, size_t n, const char *file, int line) {
  alloc_count++;
  return realloc(p, n);
}
static void count_free(void *p, const char *file, int line) { free(p); }

static void test_no_alloc_per_compute(void) {
  uint8_t key[32], data[48], out[NTA_MAC_MAX];
  memset(key, 1, sizeof key);
  memset(data, 2, sizeof data);
  const struct { const char *type; size_t kl; } types[] = {
    {"MD5", 20}, {"SHA1", 20}, {"SHA256", 20}, {"SHA512", 20}, {"SHA3-256", 20},
    {"AES128", 16}, {"AES256", 32},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
    nta_mac *m = nta_mac_create(types[i].type, key, types[i].kl, NULL);
    g_assert_nonnull(m);
    nta_mac_compute(m, data, sizeof data, out);   /* warm up */
    long before = alloc_count;
    for (int r = 0; r < 100; r++) g_assert_cmpuint(nta_mac_compute(m, data, sizeof data, out), >, 0);
    long allocs = alloc_count - before;
    /* CMAC re-inits its prepared context, and MD5/SHA1/SHA2 copy a keyed low-level context
     * (mac.c's fast path): nothing at all. For other digests OpenSSL 3.0's
     * EVP_DigestInit_ex2() always frees and re-creates the provider's digest state, one
     * allocation that no public 3.0 API avoids; anything beyond that is our bug. */
    bool fast_path = strcmp(types[i].type, "MD5") == 0 || strncmp(types[i].type, "SHA", 3) == 0;
    if (strncmp(types[i].type, "SHA3", 4) == 0) fast_path = false;
    long allowed = nta_mac_get_kind(m) == NTA_MAC_CMAC || fast_path ? 0 : 100;
    if (allocs > allowed)
      g_error("%s: %ld OpenSSL allocations in 100 computes (at most %ld expected)", types[i].type,
              allocs, allowed);
    g_test_message("%s: %ld OpenSSL allocations in 100 computes", types[i].type, allocs);
    nta_mac_destroy(m);
  }
}

int main(int argc, char **argv) {
  /* Must precede any OpenSSL allocation. */
  bool counting = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/mac/vectors/ntpsec-macencrypt", test_ntpsec_macencrypt);
  g_test_add_func("/mac/vectors/ntpsec-null-trunc", test_ntpsec_null_trunc);
  g_test_add_func("/mac/vectors/rfc4493", test_rfc4493);
  g_test_add_func("/mac/vectors/ntpsec-aes256", test_ntpsec_aes256);
  g_test_add_func("/mac/vectors/chrony-hash", test_chrony_hash);
  g_test_add_func("/mac/vectors/chrony-cmac", test_chrony_cmac);
  g_test_add_func("/mac/vectors/extra", test_extra_vectors);
  g_test_add_func("/mac/names", test_type_names);
  g_test_add_func("/mac/unknown-type", test_unknown_type);
  g_test_add_func("/mac/cmac-key-length", test_cmac_key_length);
  g_test_add_func("/mac/len-acceptable", test_len_acceptable);
  g_test_add_func("/mac/clone", test_clone);
  g_test_add_func("/mac/ct-equal", test_ct_equal);
  g_test_add_func("/mac/hex-decode", test_hex_decode);
  if (!counting) g_error("CRYPTO_set_mem_functions failed: cannot count allocations");
  g_test_add_func("/mac/no-alloc-per-compute", test_no_alloc_per_compute);
  return g_test_run();
}
