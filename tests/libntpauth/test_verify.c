/* test_verify.c - verify.h on packets built here and parsed by nta_packet_parse: every verdict,
 * the reasons, the split choice for ambiguous trailers (SHA384 key 20 and SHA512 key 32 at full
 * length in NTPv4, chrony's full SHA256 in NTPv3, ntpdig's full SHA256 in NTPv4, mode 6
 * padding), and nta_sign round trips. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "ntpauth/verify.h"

#define K_MD5 1
#define K_SHA1 11
#define K_SHA1_B 12
#define K_SHA256 13
#define K_AES 30
#define K_SHA384 20
#define K_SHA512 32

static nta_keyring *make_keyring(void) {
  nta_keyring *kr = nta_keyring_create();
  const struct { uint32_t id; const char *type, *key; } keys[] = {
    {K_MD5, "MD5", "abcdefgh"},
    {K_SHA1, "SHA1", "HEX:933F62BE1D604E68A81B557F18CFA200483F5B70"},
    {K_SHA1_B, "SHA1", "HEX:00112233445566778899AABBCCDDEEFF00112233"},
    {K_SHA256, "SHA256", "HEX:933F62BE1D604E68A81B557F18CFA200483F5B70"},
    {K_AES, "AES128", "HEX:7EA62AE64D190114D46D5A082F948EC1"},
    {K_SHA384, "SHA384", "ASCII:sha384-key-20-secret"},
    {K_SHA512, "SHA512", "ASCII:sha512-key-32-secret"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
    nta_diag err;
    if (nta_keyring_add_text(kr, keys[i].id, keys[i].type, keys[i].key, NTA_DIALECT_CHRONY, "test",
                             &err) != NTA_OK)
      g_error("%s", err.msg);
  }
  return kr;
}

/* A 48-byte header: LI 0, the given version and mode, some plausible fields. */
static size_t header(uint8_t *buf, unsigned version, unsigned mode) {
  nta_header h = { .version = (uint8_t)version, .mode = (uint8_t)mode, .stratum = 2, .poll = 6,
                   .precision = -20, .refid = 0x7f000001 /* 127.0.0.1 */,
                   .xmt_ts = 0x0e0f101112131415ull };
  return nta_header_write(&h, buf, NTA_HEADER_LEN);
}

static size_t sign(const nta_keyring *kr, uint32_t id, uint8_t *buf, size_t len, size_t cap,
                   size_t digest_len) {
  const nta_key *k = nta_keyring_find(kr, id);
  g_assert_nonnull(k);
  size_t n = nta_sign(k, buf, len, cap, digest_len);
  g_assert_cmpuint(n, ==, len + 4 + digest_len);
  return n;
}

/* Appends a MAC trailer with arbitrary digest bytes. */
static size_t append_trailer(uint8_t *buf, size_t len, uint32_t key_id, size_t digest_len, uint8_t fill) {
  buf[len] = (uint8_t)(key_id >> 24); buf[len + 1] = (uint8_t)(key_id >> 16);
  buf[len + 2] = (uint8_t)(key_id >> 8); buf[len + 3] = (uint8_t)key_id;
  memset(buf + len + 4, fill, digest_len);
  return len + 4 + digest_len;
}

static size_t append_ef(uint8_t *buf, size_t len, uint16_t type, uint16_t ef_len) {
  buf[len] = (uint8_t)(type >> 8); buf[len + 1] = (uint8_t)type;
  buf[len + 2] = (uint8_t)(ef_len >> 8); buf[len + 3] = (uint8_t)ef_len;
  for (size_t i = 4; i < ef_len; i++) buf[len + i] = (uint8_t)(i * 3);
  return len + ef_len;
}

static nta_verdict run(const nta_keyring *kr, const uint8_t *buf, size_t len, nta_packet *pkt,
                       nta_verify_result *res) {
  nta_packet_parse(buf, len, len, pkt);
  return nta_verify(kr, pkt, buf, res);
}

#define ASSERT_VERDICT(res, v, why)                               \
  do {                                                           \
    g_assert_cmpstr(nta_verdict_name((res).verdict), ==, nta_verdict_name(v)); \
    g_assert_cmpstr((res).reason, ==, why);                      \
  } while (0)

/* ---- every verdict ------------------------------------------------------------------------- */

static void test_good(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  const struct { uint32_t id; unsigned version; size_t dlen; const char *reason; const char *alg; bool trunc; } cases[] = {
    {K_MD5, 4, 16, "key 1 (MD5)", "MD5", false},
    {K_SHA1, 4, 20, "key 11 (SHA1)", "SHA1", false},
    {K_SHA256, 4, 20, "key 13 (SHA256), truncated digest", "SHA256", true},
    {K_SHA256, 3, 20, "key 13 (SHA256), truncated digest", "SHA256", true},
    {K_SHA256, 3, 32, "key 13 (SHA256)", "SHA256", false},   /* chrony NTPv3 */
    {K_SHA256, 4, 32, "key 13 (SHA256)", "SHA256", false},   /* ntpdig NTPv4 */
    {K_AES, 4, 16, "key 30 (AES128CMAC)", "AES128CMAC", false},
    {K_MD5, 2, 16, "key 1 (MD5)", "MD5", false},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    size_t len = sign(kr, cases[i].id, buf, header(buf, cases[i].version, 3), sizeof buf, cases[i].dlen);
    g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_GOOD);
    ASSERT_VERDICT(res, NTA_V_GOOD, cases[i].reason);
    g_assert_cmpstr(res.algorithm, ==, cases[i].alg);
    g_assert_true(res.has_key_id);
    g_assert_cmpuint(res.key_id, ==, cases[i].id);
    g_assert_cmpuint(res.digest_len, ==, cases[i].dlen);
    g_assert_cmpint(res.truncated, ==, cases[i].trunc);
    g_assert_true(res.key == nta_keyring_find(kr, cases[i].id));
    g_assert_cmpint(res.split, >=, 0);
    g_assert_cmpuint(pkt.splits[res.split].mac_offset, ==, 48);
  }
  nta_keyring_destroy(kr);
}

/* The published extra vector, on the wire: P + key 25 + SHA1 digest is good. */
static void test_good_published(void) {
  nta_keyring *kr = nta_keyring_create();
  g_assert_cmpint(nta_keyring_add_text(kr, 25, "SHA1", "HEX:933F62BE1D604E68A81B557F18CFA200483F5B70",
                                       NTA_DIALECT_CHRONY, "t", NULL), ==, NTA_OK);
  uint8_t buf[72] = {0xe3};
  static const uint8_t xmt[8] = {0xe6, 0x13, 0x6a, 0x71, 0x2d, 0x8c, 0x48, 0x00};
  static const uint8_t mac[20] = {0x8f, 0x45, 0xfd, 0x2d, 0x6f, 0xeb, 0x73, 0xc9, 0xf6, 0x6a,
                                  0x33, 0x88, 0x97, 0x1a, 0x8e, 0x98, 0x3c, 0xe4, 0xd3, 0x83};
  memcpy(buf + 40, xmt, 8);
  buf[51] = 25;
  memcpy(buf + 52, mac, 20);
  nta_packet pkt;
  nta_verify_result res;
  g_assert_cmpint(run(kr, buf, sizeof buf, &pkt, &res), ==, NTA_V_GOOD);
  nta_keyring_destroy(kr);
}

static void test_bad_mac(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = sign(kr, K_SHA1, buf, header(buf, 4, 3), sizeof buf, 20);
  uint8_t good[20];
  memcpy(good, buf + 52, 20);
  buf[60] ^= 0x01;
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_BAD_MAC);
  ASSERT_VERDICT(res, NTA_V_BAD_MAC, "digest mismatch for key 11 (SHA1)");
  g_assert_cmpmem(res.expected, 20, good, 20);
  g_assert_cmpstr(res.algorithm, ==, "SHA1");
  g_assert_true(nta_verdict_is_failure(res.verdict));

  /* a changed header byte is a mismatch as well */
  len = sign(kr, K_AES, buf, header(buf, 4, 3), sizeof buf, 16);
  buf[47] ^= 0x80;
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_BAD_MAC);
  ASSERT_VERDICT(res, NTA_V_BAD_MAC, "digest mismatch for key 30 (AES128CMAC)");

  /* known key, length the algorithm never has */
  len = append_trailer(buf, header(buf, 4, 3), K_SHA1, 16, 0xaa);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_BAD_MAC);
  ASSERT_VERDICT(res, NTA_V_BAD_MAC, "key 11 (SHA1) expects 20-byte digest, packet has 16");
  len = append_trailer(buf, header(buf, 3, 3), K_SHA1, 32, 0xaa);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_BAD_MAC);
  ASSERT_VERDICT(res, NTA_V_BAD_MAC, "key 11 (SHA1) expects 20-byte digest, packet has 32");
  len = append_trailer(buf, header(buf, 3, 3), K_SHA256, 24, 0xaa);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_BAD_MAC);
  ASSERT_VERDICT(res, NTA_V_BAD_MAC, "key 13 (SHA256) expects 32- or 20-byte digest, packet has 24");
  /* MD5 digest truncated to 12 bytes in v3 */
  len = append_trailer(buf, header(buf, 3, 3), K_MD5, 12, 0xaa);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_BAD_MAC);
  ASSERT_VERDICT(res, NTA_V_BAD_MAC, "key 1 (MD5) expects 16-byte digest, packet has 12");
  nta_keyring_destroy(kr);
}

static void test_unknown_key(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = append_trailer(buf, header(buf, 4, 3), 42, 20, 0x11);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_UNKNOWN_KEY);
  ASSERT_VERDICT(res, NTA_V_UNKNOWN_KEY, "key 42 not in keyfile");
  g_assert_true(res.has_key_id);
  g_assert_cmpuint(res.key_id, ==, 42);
  g_assert_null(res.key);
  g_assert_null(res.algorithm);
  g_assert_cmpint(run(NULL, buf, len, &pkt, &res), ==, NTA_V_UNKNOWN_KEY);
  ASSERT_VERDICT(res, NTA_V_UNKNOWN_KEY, "key 42: no keys loaded");
  /* key ID 0 with a digest is never valid */
  len = append_trailer(buf, header(buf, 4, 3), 0, 16, 0x11);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_UNKNOWN_KEY);
  ASSERT_VERDICT(res, NTA_V_UNKNOWN_KEY, "key ID 0 is reserved and never valid");
  nta_keyring_destroy(kr);
}

static void test_untrusted(void) {
  nta_keyring *kr = make_keyring();
  g_assert_cmpint(nta_keyring_trust(kr, "11 13 (20 ... 40)", NULL), ==, NTA_OK);
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = sign(kr, K_SHA1_B, buf, header(buf, 4, 3), sizeof buf, 20);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_UNTRUSTED_KEY);
  ASSERT_VERDICT(res, NTA_V_UNTRUSTED_KEY, "key 12 not trusted (MAC correct)");
  buf[len - 1] ^= 1;
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_UNTRUSTED_KEY);
  ASSERT_VERDICT(res, NTA_V_UNTRUSTED_KEY, "key 12 not trusted (MAC incorrect)");
  len = append_trailer(buf, header(buf, 4, 3), K_MD5, 20, 0);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_UNTRUSTED_KEY);
  ASSERT_VERDICT(res, NTA_V_UNTRUSTED_KEY, "key 1 not trusted (and MD5 expects 16-byte digest, packet has 20)");
  /* trusted keys still verify */
  len = sign(kr, K_SHA1, buf, header(buf, 4, 3), sizeof buf, 20);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_GOOD);
  nta_keyring_destroy(kr);
}

static void test_crypto_nak(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[64];
  nta_packet pkt;
  nta_verify_result res;
  for (unsigned v = 3; v <= 4; v++) {
    size_t len = nta_append_crypto_nak(buf, header(buf, v, 4), sizeof buf);
    g_assert_cmpuint(len, ==, 52);
    g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_CRYPTO_NAK);
    ASSERT_VERDICT(res, NTA_V_CRYPTO_NAK, "crypto-NAK: key ID 0, no digest");
    g_assert_true(res.has_key_id);
    g_assert_cmpuint(res.key_id, ==, 0);
    g_assert_false(nta_verdict_is_failure(res.verdict));
  }
  g_assert_cmpuint(nta_append_crypto_nak(buf, 48, 51), ==, 0);
  nta_keyring_destroy(kr);
}

static void test_no_auth(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = header(buf, 4, 3);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_NO_AUTH);
  ASSERT_VERDICT(res, NTA_V_NO_AUTH, "no MAC");
  g_assert_false(res.has_key_id);
  /* an EF of 28 bytes and no MAC */
  len = append_ef(buf, header(buf, 4, 3), 0x2005, 28);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_NO_AUTH);
  ASSERT_VERDICT(res, NTA_V_NO_AUTH, "no MAC");
  /* mode 7 */
  memset(buf, 0, 48);
  buf[0] = 0x17;
  g_assert_cmpint(run(kr, buf, 48, &pkt, &res), ==, NTA_V_NO_AUTH);
  ASSERT_VERDICT(res, NTA_V_NO_AUTH, "mode 7 (ntpdc private) message: not checked");
  nta_keyring_destroy(kr);
}

static void test_nts(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = append_ef(buf, header(buf, 4, 3), 0x0104, 36);
  len = append_ef(buf, len, 0x0404, 40);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_NTS);
  ASSERT_VERDICT(res, NTA_V_NTS, "NTS extension fields: protected by NTS, not a keyfile");
  nta_keyring_destroy(kr);
}

/* A chrony key ID 0x01040020 reads as an NTS Unique Identifier field of 32 bytes: when the key
 * explains the full-length SHA512 MAC the packet is good, not "nts"; unexplained, it stays nts. */
static void test_nts_lookalike_key_id(void) {
  nta_keyring *kr = nta_keyring_create();
  nta_diag err;
  const uint32_t id = 0x01040020u;
  if (nta_keyring_add_text(kr, id, "SHA512", "ASCII:nts-lookalike-secret", NTA_DIALECT_CHRONY,
                           "test", &err) != NTA_OK)
    g_error("%s", err.msg);
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = sign(kr, id, buf, header(buf, 4, 3), sizeof buf, 64);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_GOOD);
  g_assert_true(pkt.has_nts);
  g_assert_cmpuint(res.key_id, ==, id);
  buf[len - 1] ^= 1;
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_NTS);
  nta_keyring_destroy(kr);
}

static void test_mssntp(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = header(buf, 3, 3);
  buf[len] = 0xd2; buf[len + 1] = 0x04;   /* RID 1234, little-endian */
  buf[len + 2] = 0; buf[len + 3] = 0;
  memset(buf + len + 4, 0, 16);
  len += 20;
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_MSSNTP);
  ASSERT_VERDICT(res, NTA_V_MSSNTP,
                 "MS-SNTP trailer (RID 1234): signed by a Windows domain controller, not a keyfile");
  nta_keyring_destroy(kr);
}

static void test_malformed(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = sign(kr, K_SHA1, buf, header(buf, 4, 3), sizeof buf, 20);
  /* a capture cut before the end of the MAC is malformed, never bad_mac */
  nta_packet_parse(buf, len - 10, len, &pkt);
  g_assert_cmpint(nta_verify(kr, &pkt, buf, &res), ==, NTA_V_MALFORMED);
  g_assert_true(g_str_has_prefix(res.reason, "truncated"));
  g_assert_cmpstr(res.reason, ==, pkt.reason);
  g_assert_false(nta_verdict_is_failure(res.verdict));
  /* 50 bytes: not a multiple of 4 */
  g_assert_cmpint(run(kr, buf, 50, &pkt, &res), ==, NTA_V_MALFORMED);
  g_assert_cmpstr(res.reason, ==, pkt.reason);
  g_assert_cmpstr(res.reason, !=, "");
  nta_keyring_destroy(kr);
}

/* ---- split choice -------------------------------------------------------------------------- */

/* SHA384 with key 20 and SHA512 with key 32 at full length in NTPv4: the key ID's low 16 bits
 * read as an EF length (Wireshark 4.0's mistake). With the key, the full-length split wins. */
static void test_ambiguous_long_digests(void) {
  nta_keyring *kr = make_keyring();
  const struct { uint32_t id; size_t dlen; const char *reason; } cases[] = {
    {K_SHA384, 48, "key 20 (SHA384)"},
    {K_SHA512, 64, "key 32 (SHA512)"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    uint8_t buf[256];
    nta_packet pkt;
    nta_verify_result res;
    size_t len = sign(kr, cases[i].id, buf, header(buf, 4, 3), sizeof buf, cases[i].dlen);
    g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_GOOD);
    ASSERT_VERDICT(res, NTA_V_GOOD, cases[i].reason);
    g_assert_true(res.split_ambiguous);
    g_assert_true(pkt.ambiguous);
    g_assert_cmpuint(pkt.splits[res.split].mac_offset, ==, 48);
    g_assert_cmpuint(pkt.splits[res.split].digest_len, ==, cases[i].dlen);
    g_assert_cmpuint(res.digest_len, ==, cases[i].dlen);
    g_assert_false(res.truncated);

    /* a wrong digest still blames that key (known key, acceptable length), not an EF reading */
    buf[len - 1] ^= 1;
    g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_BAD_MAC);
    g_autofree char *why = g_strdup_printf("digest mismatch for key %u (%s)", cases[i].id,
                                           i == 0 ? "SHA384" : "SHA512");
    ASSERT_VERDICT(res, NTA_V_BAD_MAC, why);
    g_assert_true(res.split_ambiguous);

    /* the truncated form of the same key is unambiguous and good */
    len = sign(kr, cases[i].id, buf, header(buf, 4, 3), sizeof buf, 20);
    g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_GOOD);
    g_assert_true(res.truncated);
  }
  nta_keyring_destroy(kr);
}

/* Without keys the same packet is reported with the key ID of the first reading and marked
 * ambiguous. */
static void test_ambiguous_without_keys(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = sign(kr, K_SHA384, buf, header(buf, 4, 3), sizeof buf, 48);
  nta_keyring *empty = nta_keyring_create();
  nta_verdict v = run(empty, buf, len, &pkt, &res);
  g_assert_cmpint(v, ==, NTA_V_UNKNOWN_KEY);
  g_assert_true(res.split_ambiguous);
  g_assert_cmpint(res.split, >=, 0);
  nta_keyring_destroy(empty);
  nta_keyring_destroy(kr);
}

/* An EF16 followed by an MD5 MAC: the RFC 7822 reading is the right one. */
static void test_ef_then_mac(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  size_t len = append_ef(buf, header(buf, 4, 3), 0x2005, 16);
  len = sign(kr, K_MD5, buf, len, sizeof buf, 16);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_GOOD);
  g_assert_cmpuint(pkt.splits[res.split].mac_offset, ==, 64);
  g_assert_true(pkt.splits[res.split].rfc7822);
  /* EF28 + SHA1 (MAC covers the EF) */
  len = append_ef(buf, header(buf, 4, 1), 0x2005, 28);
  len = sign(kr, K_SHA1, buf, len, sizeof buf, 20);
  g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_GOOD);
  ASSERT_VERDICT(res, NTA_V_GOOD, "key 11 (SHA1)");
  nta_keyring_destroy(kr);
}

/* Mode 6: the authenticator after 8-byte padding (ntpsec) or 4-byte padding; the padding's
 * content is never checked. */
static void test_mode6(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  nta_packet pkt;
  nta_verify_result res;
  for (int align = 4; align <= 8; align += 4) {
    memset(buf, 0, sizeof buf);
    buf[0] = (2 << 3) | 6;
    buf[1] = 2;      /* opcode read variables */
    buf[3] = 7;      /* sequence */
    buf[11] = 5;     /* count */
    memcpy(buf + 12, "abc=1", 5);
    size_t len = 17;
    size_t padded = (len + (size_t)align - 1) & ~(size_t)(align - 1);
    memset(buf + len, 0xee, padded - len);   /* stale bytes in the padding */
    len = sign(kr, K_MD5, buf, padded, sizeof buf, 16);
    g_assert_cmpint(run(kr, buf, len, &pkt, &res), ==, NTA_V_GOOD);
    g_assert_cmpuint(pkt.splits[res.split].mac_offset, ==, padded);
  }
  nta_keyring_destroy(kr);
}

/* Picking among splits does not depend on their order: a good non-RFC split beats a bad RFC
 * one (synthetic packet descriptions over real bytes). */
static void test_split_ranking(void) {
  nta_keyring *kr = make_keyring();
  uint8_t buf[256];
  size_t len = sign(kr, K_SHA1, buf, header(buf, 4, 3), sizeof buf, 20);
  nta_packet pkt;
  nta_packet_parse(buf, len, len, &pkt);
  g_assert_cmpuint(pkt.n_splits, ==, 1);
  /* add a second, fake reading: key 42 (unknown) as the RFC reading at index 0 */
  pkt.splits[1] = pkt.splits[0];
  pkt.splits[0].key_id = 42;
  pkt.splits[1].rfc7822 = false;
  pkt.n_splits = 2;
  pkt.primary = 0;
  pkt.ambiguous = true;
  nta_verify_result res;
  g_assert_cmpint(nta_verify(kr, &pkt, buf, &res), ==, NTA_V_GOOD);
  g_assert_cmpint(res.split, ==, 1);
  g_assert_true(res.split_ambiguous);
  /* break the MAC: now the known key with a mismatch beats the unknown RFC reading */
  buf[len - 1] ^= 1;
  g_assert_cmpint(nta_verify(kr, &pkt, buf, &res), ==, NTA_V_BAD_MAC);
  g_assert_cmpint(res.split, ==, 1);
  /* both unknown: the RFC reading's own verdict */
  pkt.splits[1].key_id = 43;
  g_assert_cmpint(nta_verify(kr, &pkt, buf, &res), ==, NTA_V_UNKNOWN_KEY);
  g_assert_cmpint(res.split, ==, 0);
  ASSERT_VERDICT(res, NTA_V_UNKNOWN_KEY, "key 42 not in keyfile");
  /* the RFC reading is "no MAC", the other an unknown key: no_auth */
  pkt.splits[0].kind = NTA_TRAILER_NONE;
  g_assert_cmpint(nta_verify(kr, &pkt, buf, &res), ==, NTA_V_NO_AUTH);
  g_assert_cmpint(res.split, ==, 0);
  nta_keyring_destroy(kr);
}

/* ---- signing and names --------------------------------------------------------------------- */

static void test_sign(void) {
  nta_keyring *kr = make_keyring();
  const nta_key *sha256 = nta_keyring_find(kr, K_SHA256);
  uint8_t buf[128];
  size_t len = header(buf, 4, 4);
  g_assert_cmpuint(nta_sign(sha256, buf, len, sizeof buf, 24), ==, 0);   /* not allowed */
  g_assert_cmpuint(nta_sign(sha256, buf, len, 48 + 4 + 19, 20), ==, 0);  /* does not fit */
  g_assert_cmpuint(nta_sign(sha256, buf, len, 48 + 4 + 20, 20), ==, 72);
  g_assert_cmpmem(buf + 48, 4, "\x00\x00\x00\x0d", 4);
  uint8_t full[NTA_MAC_MAX];
  g_assert_cmpuint(nta_mac_compute(nta_key_mac(sha256), buf, 48, full), ==, 32);
  g_assert_cmpmem(buf + 52, 20, full, 20);
  g_assert_cmpuint(nta_sign(NULL, buf, len, sizeof buf, 20), ==, 0);
  nta_keyring_destroy(kr);
}

static void test_names(void) {
  static const char *names[] = {"good", "bad_mac", "unknown_key", "untrusted_key", "crypto_nak",
                                "no_auth", "nts", "mssntp", "malformed"};
  G_STATIC_ASSERT(G_N_ELEMENTS(names) == NTA_V_COUNT);
  for (int v = 0; v < NTA_V_COUNT; v++) {
    g_assert_cmpstr(nta_verdict_name((nta_verdict)v), ==, names[v]);
    nta_verdict back;
    g_assert_true(nta_verdict_from_name(names[v], &back));
    g_assert_cmpint(back, ==, v);
    g_assert_cmpint(nta_verdict_is_failure((nta_verdict)v), ==,
                    v == NTA_V_BAD_MAC || v == NTA_V_UNKNOWN_KEY || v == NTA_V_UNTRUSTED_KEY);
  }
  g_assert_false(nta_verdict_from_name("bad", NULL));
  g_assert_false(nta_verdict_from_name(NULL, NULL));
}

/* Real packets from ntpsec 1.2.2 (tests/interop captures). Keys written as an odd number of
 * hex digits or more than 64 digits: ntpsec reads them differently from Classic ntpd, and an
 * auto-detected ntpd-style keyfile must accept ntpsec's own MACs. */
static void verify_hex(const nta_keyring *kr, const char *hex, nta_verdict want) {
  uint8_t buf[128];
  size_t n = strlen(hex) / 2;
  g_assert_cmpuint(n, <=, sizeof buf);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    g_assert_cmpint(sscanf(hex + 2 * i, "%2x", &v), ==, 1);
    buf[i] = (uint8_t)v;
  }
  nta_packet pkt;
  nta_packet_parse(buf, n, n, &pkt);
  nta_verify_result res;
  g_assert_cmpstr(nta_verdict_name(nta_verify(kr, &pkt, buf, &res)), ==, nta_verdict_name(want));
}

static void test_ntpsec_key_reading(void) {
  static const char keys[] =
      "33 SHA512 e16dce8ee4f8fa4722ad1371cb327c89b83a3afa7a41fa302f750ae7ffa56eaa23aff9b578f564c7"
      "ef97cbe35683328bcfee0c572d6c4c13610f865d5461ae50\n"
      "34 SHA1 be986eb50de8da01685c3a74ab2bee7a9a20be967\n";
  /* ntpd's reply signed with key 34 (ntpsec-server.pcap frame 20) */
  static const char reply34[] =
      "240800e800000000000000007f0000010000000000000000eeb3fb17c0f33000eeb3fb17c10caf98eeb3fb17"
      "c4632d8c0000002226ee4bde6ed3501cf653bc35ec5ea92c7759e210";
  /* ntpd's request with key 33, SHA512 truncated to 20 (ntpsec-symmetric.pcap frame 3) */
  static const char req33[] =
      "230000200000000000000000000000000000000000000000000000000000000000000000000000002b02da4c"
      "48449b7400000021af4fa7e39c7e61978f3f19beb3b6c3a2b004f017";
  const nta_dialect dialects[] = {NTA_DIALECT_AUTO, NTA_DIALECT_NTPSEC, NTA_DIALECT_NTPD};
  const nta_verdict want[] = {NTA_V_GOOD, NTA_V_GOOD, NTA_V_BAD_MAC};
  for (size_t i = 0; i < G_N_ELEMENTS(dialects); i++) {
    nta_keyring *kr = nta_keyring_create();
    nta_diag err;
    g_assert_cmpint(nta_keyring_load_text(kr, "k", keys, strlen(keys), dialects[i], NULL, NULL,
                                          &err), ==, NTA_OK);
    g_assert_cmpuint(nta_keyring_count(kr), ==, 2);
    verify_hex(kr, reply34, want[i]);
    verify_hex(kr, req33, want[i]);
    nta_keyring *clone = nta_keyring_clone(kr);
    verify_hex(clone, reply34, want[i]);
    nta_keyring_destroy(clone);
    nta_keyring_destroy(kr);
  }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/verify/good", test_good);
  g_test_add_func("/verify/good-published", test_good_published);
  g_test_add_func("/verify/bad-mac", test_bad_mac);
  g_test_add_func("/verify/unknown-key", test_unknown_key);
  g_test_add_func("/verify/untrusted", test_untrusted);
  g_test_add_func("/verify/crypto-nak", test_crypto_nak);
  g_test_add_func("/verify/no-auth", test_no_auth);
  g_test_add_func("/verify/nts", test_nts);
  g_test_add_func("/verify/nts-lookalike-key-id", test_nts_lookalike_key_id);
  g_test_add_func("/verify/mssntp", test_mssntp);
  g_test_add_func("/verify/malformed", test_malformed);
  g_test_add_func("/verify/split/long-digests", test_ambiguous_long_digests);
  g_test_add_func("/verify/split/without-keys", test_ambiguous_without_keys);
  g_test_add_func("/verify/split/ef-then-mac", test_ef_then_mac);
  g_test_add_func("/verify/split/mode6", test_mode6);
  g_test_add_func("/verify/split/ranking", test_split_ranking);
  g_test_add_func("/verify/sign", test_sign);
  g_test_add_func("/verify/names", test_names);
  g_test_add_func("/verify/ntpsec-key-reading", test_ntpsec_key_reading);
  return g_test_run();
}
