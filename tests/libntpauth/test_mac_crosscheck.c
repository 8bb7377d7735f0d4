/* test_mac_crosscheck.c - the prepared-state digest path of mac.c against plain EVP.
 *
 * mac.c lays out key tail, data and padding itself for MD5/SHA1/SHA2 to avoid an allocation per
 * packet. This compares it with EVP_Digest(key || data) over every key length that crosses a
 * block boundary and data lengths around every block and padding edge. */
#include <glib.h>
#include <openssl/evp.h>
#include <string.h>

#include "ntpauth/mac.h"

static const struct { const char *ntp_name, *evp_name; } digests[] = {
    {"MD5", "MD5"},       {"SHA1", "SHA1"},     {"SHA224", "SHA2-224"},
    {"SHA256", "SHA2-256"}, {"SHA384", "SHA2-384"}, {"SHA512", "SHA2-512"},
};

static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed) {
  for (size_t i = 0; i < len; i++) {
    seed = seed * 1103515245u + 12345u;
    buf[i] = (uint8_t)(seed >> 16);
  }
}

static void evp_reference(const EVP_MD *md, const uint8_t *key, size_t kl, const uint8_t *data,
                          size_t dl, uint8_t *out, unsigned *outlen) {
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  g_assert_nonnull(c);
  g_assert_cmpint(EVP_DigestInit_ex(c, md, NULL), ==, 1);
  EVP_DigestUpdate(c, key, kl);
  EVP_DigestUpdate(c, data, dl);
  g_assert_cmpint(EVP_DigestFinal_ex(c, out, outlen), ==, 1);
  EVP_MD_CTX_free(c);
}

static void test_crosscheck(gconstpointer arg) {
  size_t idx = GPOINTER_TO_SIZE(arg);
  const EVP_MD *md = EVP_get_digestbyname(digests[idx].evp_name);
  g_assert_nonnull(md);
  uint8_t key[200], data[600], out[NTA_MAC_MAX], ref[EVP_MAX_MD_SIZE];
  fill_pattern(key, sizeof key, 1);
  fill_pattern(data, sizeof data, 2);
  for (size_t kl = 1; kl <= 160; kl++) {
    nta_mac *m = nta_mac_create(digests[idx].ntp_name, key, kl, NULL);
    g_assert_nonnull(m);
    for (size_t dl = 0; dl <= 560; dl += (dl < 300 ? 1 : 13)) {
      unsigned rl = 0;
      size_t n = nta_mac_compute(m, data, dl, out);
      evp_reference(md, key, kl, data, dl, ref, &rl);
      if (n != rl || memcmp(out, ref, rl) != 0)
        g_error("%s: mismatch with key length %zu, data length %zu", digests[idx].ntp_name, kl, dl);
    }
    nta_mac_destroy(m);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(digests); i++) {
    char *path = g_strdup_printf("/mac/crosscheck/%s", digests[i].ntp_name);
    g_test_add_data_func(path, GSIZE_TO_POINTER(i), test_crosscheck);
    g_free(path);
  }
  return g_test_run();
}
