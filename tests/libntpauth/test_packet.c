/* test_packet.c - nta_packet_parse: header, every trailer reading of docs/trailer-readings.md including each
 * ambiguous split, mode 6 layouts, truncation, and the display helpers. */
#include <glib.h>
#include <string.h>

#include "ntpauth/bytes.h"
#include "ntpauth/packet.h"

/* ---------------------------------------------------------------------------------------------
 * Packet builders */

#define BUF_MAX 1024

typedef struct {
  uint8_t b[BUF_MAX];
  nta_writer w;
} pkt_buf;

static uint8_t first_byte(uint8_t li, uint8_t vn, uint8_t mode) {
  return (uint8_t)((li << 6) | (vn << 3) | mode);
}

/* A 48-byte header with distinct, recognisable field values. */
static void put_header(pkt_buf *p, uint8_t li, uint8_t vn, uint8_t mode) {
  memset(p->b, 0, sizeof p->b);
  nta_wr_init(&p->w, p->b, sizeof p->b);
  nta_wr_u8(&p->w, first_byte(li, vn, mode));
  nta_wr_u8(&p->w, 2);                       /* stratum */
  nta_wr_u8(&p->w, 6);                       /* poll */
  nta_wr_u8(&p->w, (uint8_t)-20);            /* precision */
  nta_wr_u32(&p->w, 0x00012345);             /* root delay */
  nta_wr_u32(&p->w, 0x00006789);             /* root dispersion */
  nta_wr_u32(&p->w, 0xC0000201);             /* refid 192.0.2.1 */
  nta_wr_u64(&p->w, 0xE6136A712D8C4800ull);  /* reference */
  nta_wr_u64(&p->w, 0xE6136A7200000001ull);  /* origin */
  nta_wr_u64(&p->w, 0xE6136A7300000002ull);  /* receive */
  nta_wr_u64(&p->w, 0xE6136A7400000003ull);  /* transmit */
}

static void put_ef(pkt_buf *p, uint16_t type, uint16_t len) {
  nta_wr_u16(&p->w, type);
  nta_wr_u16(&p->w, len);
  for (uint16_t i = 4; i < len; i++) nta_wr_u8(&p->w, (uint8_t)(0xA0 + i));
}

/* Key ID + digest bytes from a deterministic pseudo-random stream. */
static void put_mac(pkt_buf *p, uint32_t key_id, size_t digest_len, GRand *rng) {
  nta_wr_u32(&p->w, key_id);
  for (size_t i = 0; i < digest_len; i++)
    nta_wr_u8(&p->w, rng ? (uint8_t)g_rand_int_range(rng, 0, 256) : (uint8_t)(0x11 * (i + 1)));
}

static size_t plen(const pkt_buf *p) {
  g_assert_false(p->w.err);
  return p->w.off;
}

static nta_pkt_state parse(const pkt_buf *p, nta_packet *out) {
  return nta_packet_parse(p->b, plen(p), plen(p), out);
}

/* Index of a split with this kind / MAC offset / key / digest length, or -1. */
static int find_split(const nta_packet *pkt, nta_trailer_kind kind, uint32_t mac_offset,
                      uint32_t key_id, uint16_t digest_len) {
  for (int i = 0; i < pkt->n_splits; i++) {
    const nta_split *s = &pkt->splits[i];
    if (s->kind == kind && s->mac_offset == mac_offset && s->key_id == key_id &&
        s->digest_len == digest_len)
      return i;
  }
  return -1;
}

/* Structural invariants every parse result must satisfy (also checked by the fuzz target). */
static void check_invariants(const nta_packet *pkt) {
  g_assert_cmpuint(pkt->captured_len, <=, pkt->wire_len);
  g_assert_cmpuint(pkt->n_splits, <=, NTA_MAX_SPLITS);
  g_assert_cmpuint(pkt->n_efs, <=, NTA_MAX_EFS);
  g_assert_true(memchr(pkt->reason, '\0', sizeof pkt->reason) != NULL);
  if (pkt->state == NTA_PKT_MALFORMED) g_assert_cmpstr(pkt->reason, !=, "");
  if (pkt->n_splits == 0 && pkt->mode != NTA_MODE_PRIVATE)
    g_assert_cmpint(pkt->state, ==, NTA_PKT_MALFORMED);
  g_assert_true(pkt->ambiguous == (pkt->n_splits > 1));
  g_assert_cmpint(pkt->primary, >=, -1);
  g_assert_cmpint(pkt->primary, <, (int)pkt->n_splits);
  int rfc = 0;
  for (int i = 0; i < pkt->n_splits; i++) {
    const nta_split *s = &pkt->splits[i];
    if (s->rfc7822) rfc++;
    g_assert_cmpuint(s->n_efs, <=, pkt->n_efs);
    g_assert_cmpuint(s->mac_offset, <=, pkt->captured_len);
    switch (s->kind) {
    case NTA_TRAILER_NONE:
      g_assert_cmpuint(s->mac_offset, ==, pkt->captured_len);
      g_assert_cmpuint(s->digest_len, ==, 0);
      break;
    case NTA_TRAILER_CRYPTO_NAK:
      g_assert_cmpuint(s->mac_offset, ==, NTA_HEADER_LEN);
      g_assert_cmpuint(s->mac_offset + 4, ==, pkt->captured_len);
      g_assert_cmpuint(s->key_id, ==, 0);
      break;
    default:
      g_assert_cmpuint((uint64_t)s->mac_offset + 4 + s->digest_len, ==, pkt->captured_len);
    }
    if (s->n_efs > 0) {
      const nta_ef *last = &pkt->efs[s->n_efs - 1];
      g_assert_cmpuint(last->offset + last->length, ==, s->mac_offset);
    }
  }
  g_assert_cmpint(rfc, <=, 1);
  if (rfc == 1) g_assert_true(pkt->splits[pkt->primary].rfc7822);
  else g_assert_cmpint(pkt->primary, ==, -1);
  uint32_t expect_off = NTA_HEADER_LEN;
  for (int i = 0; i < pkt->n_efs; i++) {
    g_assert_cmpuint(pkt->efs[i].offset, ==, expect_off);
    g_assert_cmpuint(pkt->efs[i].length, >=, 16);
    g_assert_cmpuint(pkt->efs[i].length % 4, ==, 0);
    expect_off += pkt->efs[i].length;
    g_assert_cmpuint(expect_off, <=, pkt->captured_len);
  }
}

static void assert_single(const nta_packet *pkt, nta_trailer_kind kind, uint32_t mac_offset,
                          uint32_t key_id, uint16_t digest_len) {
  check_invariants(pkt);
  g_assert_cmpint(pkt->state, ==, NTA_PKT_OK);
  g_assert_cmpuint(pkt->n_splits, ==, 1);
  g_assert_false(pkt->ambiguous);
  g_assert_cmpint(pkt->primary, ==, 0);
  g_assert_true(pkt->splits[0].rfc7822);
  g_assert_cmpint(find_split(pkt, kind, mac_offset, key_id, digest_len), ==, 0);
}

/* ---------------------------------------------------------------------------------------------
 * Header */

static void test_header_fields(void) {
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 3, 4, NTA_MODE_SERVER);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_OK);
  g_assert_true(pkt.header_ok);
  g_assert_cmpuint(pkt.li, ==, 3);
  g_assert_cmpuint(pkt.version, ==, 4);
  g_assert_cmpuint(pkt.mode, ==, NTA_MODE_SERVER);
  g_assert_cmpuint(pkt.stratum, ==, 2);
  g_assert_cmpint(pkt.poll, ==, 6);
  g_assert_cmpint(pkt.precision, ==, -20);
  g_assert_cmphex(pkt.root_delay, ==, 0x00012345);
  g_assert_cmphex(pkt.root_dispersion, ==, 0x00006789);
  g_assert_cmphex(pkt.refid, ==, 0xC0000201);
  g_assert_cmphex(pkt.ref_ts, ==, 0xE6136A712D8C4800ull);
  g_assert_cmphex(pkt.org_ts, ==, 0xE6136A7200000001ull);
  g_assert_cmphex(pkt.rec_ts, ==, 0xE6136A7300000002ull);
  g_assert_cmphex(pkt.xmt_ts, ==, 0xE6136A7400000003ull);
  g_assert_cmpuint(pkt.captured_len, ==, 48);
  g_assert_cmpuint(pkt.wire_len, ==, 48);
  g_assert_cmpuint(pkt.n_efs, ==, 0);
  g_assert_false(pkt.has_nts);
  g_assert_cmpstr(pkt.reason, ==, "");
  assert_single(&pkt, NTA_TRAILER_NONE, 48, 0, 0);
}

static void test_client_request_byte(void) {
  /* RFC 5905 section 7.3: a v4 client request with LI=0 is 0x23, with LI=3 0xE3. */
  uint8_t b[48] = { 0xE3 };
  nta_packet pkt;
  g_assert_cmpint(nta_packet_parse(b, 48, 48, &pkt), ==, NTA_PKT_OK);
  g_assert_cmpuint(pkt.li, ==, 3);
  g_assert_cmpuint(pkt.version, ==, 4);
  g_assert_cmpuint(pkt.mode, ==, NTA_MODE_CLIENT);
  b[0] = 0x23;
  g_assert_cmpint(nta_packet_parse(b, 48, 48, &pkt), ==, NTA_PKT_OK);
  g_assert_cmpuint(pkt.li, ==, 0);
  check_invariants(&pkt);
}

static void test_truncated(void) {
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_mac(&p, 7, 16, NULL);  /* 68 bytes on the wire */

  g_assert_cmpint(nta_packet_parse(p.b, 60, 68, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "truncated: captured 60 of 68 bytes");
  g_assert_true(pkt.header_ok);           /* the header was captured: still decoded */
  g_assert_cmphex(pkt.xmt_ts, ==, 0xE6136A7400000003ull);
  g_assert_cmpuint(pkt.captured_len, ==, 60);
  g_assert_cmpuint(pkt.wire_len, ==, 68);
  g_assert_cmpuint(pkt.n_splits, ==, 0);
  check_invariants(&pkt);

  /* Cut inside the header: not a bad MAC, not a short packet, truncated. */
  g_assert_cmpint(nta_packet_parse(p.b, 20, 68, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_true(g_str_has_prefix(pkt.reason, "truncated: captured 20 of 68 bytes"));
  g_assert_false(pkt.header_ok);
  g_assert_cmpuint(pkt.version, ==, 4);   /* the first byte is still decoded */
  check_invariants(&pkt);

  g_assert_cmpint(nta_packet_parse(p.b, 0, 68, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "truncated: captured 0 of 68 bytes");

  /* wire_len smaller than captured is taken as captured. */
  g_assert_cmpint(nta_packet_parse(p.b, 68, 0, &pkt), ==, NTA_PKT_OK);
  g_assert_cmpuint(pkt.wire_len, ==, 68);
  check_invariants(&pkt);
}

static void test_short_and_empty(void) {
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  g_assert_cmpint(nta_packet_parse(p.b, 40, 40, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "packet of 40 bytes is shorter than the 48-byte NTP header");
  g_assert_false(pkt.header_ok);
  check_invariants(&pkt);

  g_assert_cmpint(nta_packet_parse(p.b, 0, 0, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "empty packet");
  g_assert_cmpint(nta_packet_parse(NULL, 0, 0, &pkt), ==, NTA_PKT_MALFORMED);
}

static void test_length_not_multiple_of_4(void) {
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_SERVER);
  nta_wr_u16(&p.w, 0);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "packet length 50 is not a multiple of 4");
  g_assert_true(pkt.header_ok);  /* header fields are still produced */
  g_assert_cmpuint(pkt.stratum, ==, 2);
  g_assert_cmphex(pkt.xmt_ts, ==, 0xE6136A7400000003ull);
  check_invariants(&pkt);

  /* Also in NTPv3 (chrony's rule applies before the version split). */
  put_header(&p, 0, 3, NTA_MODE_CLIENT);
  put_mac(&p, 1, 17, NULL);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "packet length 69 is not a multiple of 4");
}

static void test_bad_version(void) {
  static const uint8_t versions[] = { 0, 5, 6, 7 };
  for (size_t i = 0; i < G_N_ELEMENTS(versions); i++) {
    pkt_buf p;
    nta_packet pkt;
    put_header(&p, 0, versions[i], NTA_MODE_CLIENT);
    g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
    char *want = g_strdup_printf("unsupported NTP version %u", versions[i]);
    g_assert_cmpstr(pkt.reason, ==, want);
    g_free(want);
    g_assert_true(pkt.header_ok);
    g_assert_cmpuint(pkt.version, ==, versions[i]);
    check_invariants(&pkt);
  }
}

static void test_mode7_not_checked(void) {
  /* An ntpdc request: mode 7 with its own 8-byte header. Only LI/VN/mode are decoded. */
  uint8_t b[] = { first_byte(0, 2, NTA_MODE_PRIVATE), 0x00, 0x03, 0x2a, 0, 0, 0, 0 };
  nta_packet pkt;
  g_assert_cmpint(nta_packet_parse(b, sizeof b, sizeof b, &pkt), ==, NTA_PKT_OK);
  g_assert_cmpuint(pkt.mode, ==, NTA_MODE_PRIVATE);
  g_assert_cmpuint(pkt.version, ==, 2);
  g_assert_cmpuint(pkt.n_splits, ==, 0);
  g_assert_cmpint(pkt.primary, ==, -1);
  g_assert_cmpuint(pkt.stratum, ==, 0);
  check_invariants(&pkt);
  /* Odd lengths and any version are fine too: mode 7 is not checked. */
  b[0] = first_byte(0, 0, NTA_MODE_PRIVATE);
  g_assert_cmpint(nta_packet_parse(b, 5, 5, &pkt), ==, NTA_PKT_OK);
}

/* ---------------------------------------------------------------------------------------------
 * NTPv1-3 trailers */

static void test_crypto_nak(void) {
  for (uint8_t vn = 1; vn <= 4; vn++) {
    pkt_buf p;
    nta_packet pkt;
    put_header(&p, 0, vn, NTA_MODE_SERVER);
    nta_wr_u32(&p.w, 0);
    parse(&p, &pkt);
    assert_single(&pkt, NTA_TRAILER_CRYPTO_NAK, 48, 0, 0);
  }
}

static void test_v4_nonzero_4byte_trailer(void) {
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_SERVER);
  nta_wr_u32(&p.w, 5);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_nonnull(strstr(pkt.reason, "offset 48"));
  g_assert_nonnull(strstr(pkt.reason, "non-zero key ID 5"));
  check_invariants(&pkt);
}

static void test_legacy_mac_lengths(void) {
  /* v1-3: the whole trailer is key ID + digest, whatever the length (chrony v3 full-length). */
  static const size_t digests[] = { 0, 16, 20, 28, 32, 48, 64, 100 };
  for (uint8_t vn = 1; vn <= 3; vn++) {
    for (size_t i = 0; i < G_N_ELEMENTS(digests); i++) {
      pkt_buf p;
      nta_packet pkt;
      put_header(&p, 0, vn, NTA_MODE_CLIENT);
      /* Key IDs that would look like EF lengths in v4 change nothing here. */
      put_mac(&p, 0x00000014, digests[i], NULL);
      parse(&p, &pkt);
      assert_single(&pkt, NTA_TRAILER_MAC, 48, 0x14, (uint16_t)digests[i]);
      g_assert_cmpuint(pkt.n_efs, ==, 0);
    }
  }
}

static void test_mssntp(void) {
  pkt_buf p;
  nta_packet pkt;

  /* 20-byte form: RID read little-endian, 16 zero bytes. */
  put_header(&p, 0, 3, NTA_MODE_CLIENT);
  nta_wr_bytes(&p.w, "\x51\x04\x00\x00", 4);  /* RID 0x451 */
  for (int i = 0; i < 16; i++) nta_wr_u8(&p.w, 0);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MSSNTP, 48, 0x451, 16);

  /* 72-byte "extended" form. */
  put_header(&p, 0, 3, NTA_MODE_CLIENT);
  nta_wr_bytes(&p.w, "\x01\x02\x03\x04", 4);
  nta_wr_u32(&p.w, 0x00010000);  /* flags */
  for (int i = 0; i < 64; i++) nta_wr_u8(&p.w, (uint8_t)i);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MSSNTP_EXT, 48, 0x04030201, 68);

  /* Not MS-SNTP: key ID 0 with zero digest -> a MAC with key 0 (never verifies). */
  put_header(&p, 0, 3, NTA_MODE_CLIENT);
  for (int i = 0; i < 20; i++) nta_wr_u8(&p.w, 0);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MAC, 48, 0, 16);

  /* Not MS-SNTP: non-zero digest byte. */
  put_header(&p, 0, 3, NTA_MODE_CLIENT);
  nta_wr_u32(&p.w, 9);
  for (int i = 0; i < 16; i++) nta_wr_u8(&p.w, i == 15);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MAC, 48, 9, 16);

  /* Not MS-SNTP: NTPv4 and NTPv2 read the same bytes as an MD5-sized MAC. */
  for (uint8_t vn = 2; vn <= 4; vn += 2) {
    put_header(&p, 0, vn, NTA_MODE_CLIENT);
    nta_wr_bytes(&p.w, "\x51\x04\x00\x00", 4);
    for (int i = 0; i < 16; i++) nta_wr_u8(&p.w, 0);
    parse(&p, &pkt);
    assert_single(&pkt, NTA_TRAILER_MAC, 48, 0x51040000, 16);
  }
}

/* ---------------------------------------------------------------------------------------------
 * NTPv4: RFC 7822 walk and the long-MAC alternatives */

static void test_v4_md5_sha1(void) {
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_mac(&p, 11, 16, NULL);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MAC, 48, 11, 16);
  g_assert_true(nta_split_digest(&pkt.splits[0], p.b) == p.b + 52);

  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_mac(&p, 0xFFFFFFFF, 20, NULL);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MAC, 48, 0xFFFFFFFF, 20);
}

/* ntpdig: full-length SHA256 in NTPv4 with an ordinary key ID. No RFC reading exists, the long
 * MAC reading is listed, and the reason explains why the RFC walk failed. */
static void test_v4_long_mac_plain_key(void) {
  static const size_t digests[] = { 28, 32, 48, 64 };
  for (size_t i = 0; i < G_N_ELEMENTS(digests); i++) {
    pkt_buf p;
    nta_packet pkt;
    put_header(&p, 0, 4, NTA_MODE_CLIENT);
    put_mac(&p, 1, digests[i], NULL);
    g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_OK);
    check_invariants(&pkt);
    g_assert_cmpuint(pkt.n_splits, ==, 1);
    g_assert_cmpint(pkt.primary, ==, -1);
    g_assert_false(pkt.splits[0].rfc7822);
    g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 48, 1, (uint16_t)digests[i]), ==, 0);
    g_assert_cmpstr(pkt.reason, ==, "extension field at offset 48 has length 1 (< 16)");
  }
}

/* Wireshark 4.0 shows SHA384 with key 20 and SHA512 with key 32 as a bogus EF. The correct
 * long-MAC reading must be among the splits, whatever the digest bytes are. */
static void check_wireshark_bug_case(uint32_t key_id, size_t digest_len) {
  GRand *rng = g_rand_new_with_seed(key_id * 1000u + (guint32)digest_len);
  for (int round = 0; round < 300; round++) {
    pkt_buf p;
    nta_packet pkt;
    put_header(&p, 0, 4, NTA_MODE_SERVER);
    put_mac(&p, key_id, digest_len, rng);
    parse(&p, &pkt);
    check_invariants(&pkt);
    g_assert_cmpint(pkt.state, ==, NTA_PKT_OK);
    int i = find_split(&pkt, NTA_TRAILER_MAC, 48, key_id, (uint16_t)digest_len);
    g_assert_cmpint(i, >=, 0);
    g_assert_false(pkt.splits[i].rfc7822);
    g_assert_cmpuint(pkt.splits[i].n_efs, ==, 0);
    /* The bogus reading Wireshark shows: an EF of type 0 and length key_id at offset 48. */
    g_assert_cmpuint(pkt.n_efs, >=, 1);
    g_assert_cmpuint(pkt.efs[0].type, ==, 0);
    g_assert_cmpuint(pkt.efs[0].length, ==, key_id);
    g_assert_true(pkt.ambiguous || pkt.n_splits == 1);
  }
  g_rand_free(rng);
}

static void test_wireshark_sha384_key20(void) { check_wireshark_bug_case(20, 48); }
static void test_wireshark_sha512_key32(void) { check_wireshark_bug_case(32, 64); }

/* Key IDs whose low 16 bits are a valid EF length (16, 20, ... ) combined with each long digest:
 * the long reading is always present; what else is listed depends on where the bogus EF ends. */
static void test_ambiguous_key_ids(void) {
  static const uint32_t keys[] = { 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 64, 68,
                                   0x00040010, 0x01040024, 0xFFFF0020 };
  static const size_t digests[] = { 28, 32, 48, 64 };
  for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
    for (size_t d = 0; d < G_N_ELEMENTS(digests); d++) {
      pkt_buf p;
      nta_packet pkt;
      put_header(&p, 0, 4, NTA_MODE_CLIENT);
      put_mac(&p, keys[k], digests[d], NULL);
      parse(&p, &pkt);
      check_invariants(&pkt);
      g_assert_cmpint(pkt.state, ==, NTA_PKT_OK);
      g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 48, keys[k], (uint16_t)digests[d]), >=,
                      0);
    }
  }
}

/* A few exact outcomes of the table above. */
static void test_ambiguous_exact(void) {
  pkt_buf p;
  nta_packet pkt;

  /* SHA256 full (32) with key 16: long MAC, or EF16 + MD5-sized MAC (the RFC reading). */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_mac(&p, 16, 32, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpuint(pkt.n_splits, ==, 2);
  g_assert_true(pkt.ambiguous);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 48, 16, 32), >=, 0);
  int rfc = find_split(&pkt, NTA_TRAILER_MAC, 64, 0xDDEEFF10, 16);
  g_assert_cmpint(rfc, >=, 0);
  g_assert_cmpint(pkt.primary, ==, rfc);
  g_assert_cmpuint(pkt.splits[rfc].n_efs, ==, 1);
  g_assert_cmpuint(pkt.n_efs, ==, 1);

  /* SHA256 full with key 36: long MAC, or one EF36 and no MAC (RFC: last EF >= 28). */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_mac(&p, 36, 32, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpuint(pkt.n_splits, ==, 2);
  rfc = find_split(&pkt, NTA_TRAILER_NONE, 84, 0, 0);
  g_assert_cmpint(rfc, >=, 0);
  g_assert_cmpint(pkt.primary, ==, rfc);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 48, 36, 32), >=, 0);

  /* SHA256 full with key 32: the bogus EF32 leaves 4 bytes: only the long MAC is valid. */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_mac(&p, 32, 32, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpuint(pkt.n_splits, ==, 1);
  g_assert_cmpint(pkt.primary, ==, -1);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 48, 32, 32), ==, 0);
  g_assert_cmpstr(pkt.reason, ==, "4 bytes left at offset 80: neither an extension field "
                  "(>= 16 bytes) nor a MAC (20 or 24 bytes)");

  /* SHA384 full with key 28: long MAC, or EF28 + SHA1-sized MAC. */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_mac(&p, 28, 48, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpuint(pkt.n_splits, ==, 2);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 48, 28, 48), >=, 0);
  rfc = pkt.primary;
  g_assert_cmpint(rfc, >=, 0);
  g_assert_cmpuint(pkt.splits[rfc].mac_offset, ==, 76);
  g_assert_cmpuint(pkt.splits[rfc].digest_len, ==, 20);

  /* 20- or 24-byte trailers are always the MAC, whatever the key ID looks like. */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_mac(&p, 0x12340014, 16, NULL);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MAC, 48, 0x12340014, 16);
}

static void test_ef16_mac(void) {
  pkt_buf p;
  nta_packet pkt;

  /* EF16 + MD5: the RFC reading, plus the 32-byte long-MAC reading of the same 36 bytes. */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_ef(&p, 0x2005, 16);
  put_mac(&p, 11, 16, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpint(pkt.state, ==, NTA_PKT_OK);
  g_assert_cmpuint(pkt.n_splits, ==, 2);
  g_assert_true(pkt.ambiguous);
  int rfc = find_split(&pkt, NTA_TRAILER_MAC, 64, 11, 16);
  g_assert_cmpint(pkt.primary, ==, rfc);
  g_assert_cmpuint(pkt.splits[rfc].n_efs, ==, 1);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 48, 0x20050010, 32), >=, 0);
  g_assert_cmpuint(pkt.n_efs, ==, 1);
  g_assert_cmphex(pkt.efs[0].type, ==, 0x2005);
  g_assert_cmpuint(pkt.efs[0].length, ==, 16);
  g_assert_cmpuint(pkt.efs[0].offset, ==, 48);
  g_assert_cmpstr(pkt.reason, ==, "");

  /* EF16 + SHA1: 40 bytes, no long-digest alternative. */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_ef(&p, 0x2005, 16);
  put_mac(&p, 12, 20, NULL);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MAC, 64, 12, 20);
  g_assert_cmpuint(pkt.splits[0].n_efs, ==, 1);
}

static void test_ef28_no_mac(void) {
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_ef(&p, 0x2005, 28);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_NONE, 76, 0, 0);
  g_assert_cmpuint(pkt.splits[0].n_efs, ==, 1);
  g_assert_cmpuint(pkt.n_efs, ==, 1);
}

static void test_ef16_alone(void) {
  /* chrony drops it and RFC 7822 forbids it (last EF < 28 without MAC): listed, not RFC. */
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_ef(&p, 0x2005, 16);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_OK);
  check_invariants(&pkt);
  g_assert_cmpuint(pkt.n_splits, ==, 1);
  g_assert_cmpint(pkt.primary, ==, -1);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_NONE, 64, 0, 0), ==, 0);
  g_assert_false(pkt.splits[0].rfc7822);
  g_assert_cmpstr(pkt.reason, ==, "last extension field (offset 48, 16 bytes) is shorter than "
                  "28 bytes and no MAC follows");

  /* EF28 + EF16, no MAC: the last EF is too short as well. */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_ef(&p, 0x2005, 28);
  put_ef(&p, 0x2006, 16);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_OK);
  check_invariants(&pkt);
  g_assert_cmpint(pkt.primary, ==, -1);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_NONE, 92, 0, 0), >=, 0);
  g_assert_cmpuint(pkt.n_efs, ==, 2);
}

static void test_ef20_alone_is_mac(void) {
  /* RFC 7822 and chrony: an EF of 20 bytes alone is read as a MAC with key 0x12340014. */
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_ef(&p, 0x1234, 20);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MAC, 48, 0x12340014, 16);
  g_assert_cmpuint(pkt.n_efs, ==, 0);

  /* EF16 + 4 zero bytes: 20 bytes, again a MAC reading (chrony then fails its check). */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_ef(&p, 0x2005, 16);
  nta_wr_u32(&p.w, 0);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MAC, 48, 0x20050010, 16);
}

static void test_multiple_efs_then_mac(void) {
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_ACTIVE);
  put_ef(&p, 0x0001, 28);
  put_ef(&p, 0x0002, 16);
  put_ef(&p, 0x0003, 100);
  put_mac(&p, 42, 20, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpint(pkt.state, ==, NTA_PKT_OK);
  g_assert_cmpuint(pkt.n_efs, ==, 3);
  int rfc = find_split(&pkt, NTA_TRAILER_MAC, 48 + 144, 42, 20);
  g_assert_cmpint(rfc, >=, 0);
  g_assert_cmpint(pkt.primary, ==, rfc);
  g_assert_cmpuint(pkt.splits[rfc].n_efs, ==, 3);
  g_assert_false(pkt.has_nts);
}

static void test_ef_errors(void) {
  struct { uint16_t len_field; size_t body; const char *reason; } cases[] = {
    { 12, 36, "extension field at offset 48 has length 12 (< 16)" },
    { 0, 36, "extension field at offset 48 has length 0 (< 16)" },
    { 30, 36, "extension field at offset 48 has length 30 (not a multiple of 4)" },
    { 200, 36, "extension field at offset 48 has length 200 but only 40 bytes are left" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    pkt_buf p;
    nta_packet pkt;
    put_header(&p, 0, 4, NTA_MODE_CLIENT);
    nta_wr_u16(&p.w, 0x2005);
    nta_wr_u16(&p.w, cases[i].len_field);
    for (size_t j = 0; j < cases[i].body; j++) nta_wr_u8(&p.w, 0x5a);
    g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
    g_assert_cmpstr(pkt.reason, ==, cases[i].reason);
    g_assert_cmpuint(pkt.n_splits, ==, 0);
    check_invariants(&pkt);
  }

  /* 8, 12 or 16 bytes right after the header (16 = EF16 alone is handled above). */
  for (size_t n = 8; n <= 12; n += 4) {
    pkt_buf p;
    nta_packet pkt;
    put_header(&p, 0, 4, NTA_MODE_CLIENT);
    for (size_t j = 0; j < n; j++) nta_wr_u8(&p.w, 1);
    g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
    char *want = g_strdup_printf("%zu bytes left at offset 48: neither an extension field "
                                 "(>= 16 bytes) nor a MAC (20 or 24 bytes)", n);
    g_assert_cmpstr(pkt.reason, ==, want);
    g_free(want);
  }

  /* EF28 followed by 12 bytes: that path ends invalid after the EF. (EF28 + 8 bytes would be
   * 36 bytes, which also reads as key ID + SHA256 digest.) */
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  put_ef(&p, 0x2005, 28);
  nta_wr_u32(&p.w, 1);
  nta_wr_u32(&p.w, 2);
  nta_wr_u32(&p.w, 3);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "12 bytes left at offset 76: neither an extension field "
                  "(>= 16 bytes) nor a MAC (20 or 24 bytes)");
  g_assert_cmpuint(pkt.n_efs, ==, 1);
  check_invariants(&pkt);
}

static void test_too_many_efs(void) {
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  for (int i = 0; i < NTA_MAX_EFS + 1; i++) put_ef(&p, 0x2005, 28);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_nonnull(strstr(pkt.reason, "more than 16 extension fields"));
  g_assert_cmpuint(pkt.n_efs, ==, NTA_MAX_EFS);
  check_invariants(&pkt);

  /* Exactly NTA_MAX_EFS is fine. */
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  for (int i = 0; i < NTA_MAX_EFS; i++) put_ef(&p, 0x2005, 28);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_OK);
  g_assert_cmpuint(pkt.n_efs, ==, NTA_MAX_EFS);
  check_invariants(&pkt);
}

static void test_nts_efs(void) {
  /* A chrony-shaped NTS request: UID, cookie, placeholder, authenticator; no legacy MAC. */
  static const uint16_t types[] = { 0x0104, 0x0204, 0x0304, 0x0404 };
  static const uint16_t lens[] = { 36, 104, 104, 40 };
  pkt_buf p;
  nta_packet pkt;
  put_header(&p, 0, 4, NTA_MODE_CLIENT);
  for (int i = 0; i < 4; i++) put_ef(&p, types[i], lens[i]);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpint(pkt.state, ==, NTA_PKT_OK);
  g_assert_true(pkt.has_nts);
  g_assert_cmpuint(pkt.n_efs, ==, 4);
  for (int i = 0; i < 4; i++) g_assert_cmphex(pkt.efs[i].type, ==, types[i]);
  g_assert_cmpint(pkt.primary, >=, 0);
  g_assert_cmpint(pkt.splits[pkt.primary].kind, ==, NTA_TRAILER_NONE);
  g_assert_cmpuint(pkt.splits[pkt.primary].n_efs, ==, 4);

  /* Each NTS type alone marks the packet. */
  for (int i = 0; i < 4; i++) {
    put_header(&p, 0, 4, NTA_MODE_SERVER);
    put_ef(&p, types[i], 36);
    parse(&p, &pkt);
    check_invariants(&pkt);
    g_assert_true(pkt.has_nts);
  }
  put_header(&p, 0, 4, NTA_MODE_SERVER);
  put_ef(&p, 0x0504, 36);
  parse(&p, &pkt);
  g_assert_false(pkt.has_nts);
}

/* ---------------------------------------------------------------------------------------------
 * Mode 6 */

static void put_ctl(pkt_buf *p, uint8_t vn, uint8_t rem_op, uint16_t seq, uint16_t status,
                    uint16_t assoc, uint16_t count, size_t padded_to, uint8_t pad_byte) {
  memset(p->b, 0, sizeof p->b);
  nta_wr_init(&p->w, p->b, sizeof p->b);
  nta_wr_u8(&p->w, first_byte(0, vn, NTA_MODE_CONTROL));
  nta_wr_u8(&p->w, rem_op);
  nta_wr_u16(&p->w, seq);
  nta_wr_u16(&p->w, status);
  nta_wr_u16(&p->w, assoc);
  nta_wr_u16(&p->w, 0);  /* offset */
  nta_wr_u16(&p->w, count);
  for (uint16_t i = 0; i < count; i++) nta_wr_u8(&p->w, (uint8_t)('a' + i % 26));
  while (p->w.off < padded_to) nta_wr_u8(&p->w, pad_byte);
}

static void test_ctl_header_and_no_mac(void) {
  pkt_buf p;
  nta_packet pkt;
  /* ntpq readvar request: opcode 2, no data, no MAC. */
  put_ctl(&p, 2, 0x02, 7, 0, 0, 0, 0, 0);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_OK);
  g_assert_true(pkt.header_ok);
  g_assert_cmpuint(pkt.mode, ==, NTA_MODE_CONTROL);
  g_assert_cmpuint(pkt.ctl.opcode, ==, 2);
  g_assert_cmpuint(pkt.ctl.sequence, ==, 7);
  g_assert_false(pkt.ctl.response);
  assert_single(&pkt, NTA_TRAILER_NONE, 12, 0, 0);

  /* Response with data, R and M bits, unpadded, no MAC. */
  put_ctl(&p, 4, 0x80 | 0x20 | 0x02, 9, 0x0615, 0x1234, 5, 0, 0);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_OK);
  g_assert_true(pkt.ctl.response);
  g_assert_true(pkt.ctl.more);
  g_assert_false(pkt.ctl.error);
  g_assert_cmphex(pkt.ctl.status, ==, 0x0615);
  g_assert_cmphex(pkt.ctl.assoc_id, ==, 0x1234);
  g_assert_cmpuint(pkt.ctl.count, ==, 5);
  assert_single(&pkt, NTA_TRAILER_NONE, 17, 0, 0);

  /* Padded to 4, no MAC. */
  put_ctl(&p, 4, 0x82, 9, 0, 0, 5, 20, 0);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_NONE, 20, 0, 0);
}

static void test_ctl_mac_8_aligned(void) {
  /* ntpsec 1.2.2: data padded to 8 with stale (non-zero) bytes, full SHA256 MAC. */
  pkt_buf p;
  nta_packet pkt;
  put_ctl(&p, 4, 0x02, 1, 0, 0, 10, 24, 0xEE);
  put_mac(&p, 5, 32, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpint(pkt.state, ==, NTA_PKT_OK);
  int i = find_split(&pkt, NTA_TRAILER_MAC, 24, 5, 32);
  g_assert_cmpint(i, >=, 0);
  g_assert_cmpint(pkt.primary, ==, i);
  g_assert_true(pkt.splits[i].rfc7822);
}

static void test_ctl_mac_4_aligned(void) {
  /* count 8: data ends at 20 (4-aligned, not 8-aligned). MD5 MAC right there. */
  pkt_buf p;
  nta_packet pkt;
  put_ctl(&p, 3, 0x02, 1, 0, 0, 8, 20, 0);
  put_mac(&p, 6, 16, NULL);
  parse(&p, &pkt);
  assert_single(&pkt, NTA_TRAILER_MAC, 20, 6, 16);

  /* Same data with a SHA1-sized MAC at 20 also reads as MD5 at 24: both are listed, the
   * 8-aligned one is preferred. */
  put_ctl(&p, 3, 0x02, 1, 0, 0, 8, 20, 0);
  put_mac(&p, 6, 20, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpuint(pkt.n_splits, ==, 2);
  g_assert_true(pkt.ambiguous);
  int a8 = find_split(&pkt, NTA_TRAILER_MAC, 24, 0x11223344, 16);
  g_assert_cmpint(a8, >=, 0);
  g_assert_cmpint(pkt.primary, ==, a8);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 20, 6, 20), >=, 0);
}

static void test_ctl_error_reply_mac_at_12(void) {
  pkt_buf p;
  nta_packet pkt;
  /* ntpsec error reply: R+E bits, count 0, MD5 MAC at offset 12. */
  put_ctl(&p, 4, 0xC0 | 0x02, 3, 0x0500, 0, 0, 0, 0);
  put_mac(&p, 7, 16, NULL);
  parse(&p, &pkt);
  g_assert_true(pkt.ctl.error);
  assert_single(&pkt, NTA_TRAILER_MAC, 12, 7, 16);

  /* With a full SHA256 MAC it also reads as 4 bytes of padding + SHA224-sized MAC at 16. */
  put_ctl(&p, 4, 0xC0 | 0x02, 3, 0x0500, 0, 0, 0, 0);
  put_mac(&p, 7, 32, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpuint(pkt.n_splits, ==, 2);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 12, 7, 32), >=, 0);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 16, 0x11223344, 28), ==, pkt.primary);

  /* Error bit with data: the MAC may still sit at 12. */
  put_ctl(&p, 4, 0xC0 | 0x02, 3, 0x0500, 0, 4, 0, 0);
  p.w.off = 12;  /* MAC overwrites what count announces */
  put_mac(&p, 9, 20, NULL);
  parse(&p, &pkt);
  check_invariants(&pkt);
  g_assert_cmpint(find_split(&pkt, NTA_TRAILER_MAC, 12, 9, 20), >=, 0);
}

static void test_ctl_malformed(void) {
  pkt_buf p;
  nta_packet pkt;
  put_ctl(&p, 4, 0x02, 1, 0, 0, 100, 0, 0);
  p.w.off = 40;
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "mode 6 count 100 runs past the end of the 40-byte message");
  g_assert_true(pkt.header_ok);

  g_assert_cmpint(nta_packet_parse(p.b, 8, 8, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason,
                  ==, "mode 6 message of 8 bytes is shorter than the 12-byte control header");

  /* Truncated capture of a mode 6 reply. */
  put_ctl(&p, 4, 0x82, 1, 0, 0, 100, 112, 0);
  g_assert_cmpint(nta_packet_parse(p.b, 60, 112, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "truncated: captured 60 of 112 bytes");
  g_assert_cmpuint(pkt.ctl.count, ==, 100);

  /* Trailer fits no layout: 10 bytes after 8-aligned data. */
  put_ctl(&p, 4, 0x02, 1, 0, 0, 4, 16, 0);
  for (int i = 0; i < 10; i++) nta_wr_u8(&p.w, 1);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_nonnull(strstr(pkt.reason, "mode 6"));
  check_invariants(&pkt);

  /* Version 0 control message. */
  put_ctl(&p, 0, 0x02, 1, 0, 0, 0, 0, 0);
  g_assert_cmpint(parse(&p, &pkt), ==, NTA_PKT_MALFORMED);
  g_assert_cmpstr(pkt.reason, ==, "unsupported NTP version 0");
}

/* ---------------------------------------------------------------------------------------------
 * Random inputs: no crash, invariants hold */

static void test_random_inputs(void) {
  GRand *rng = g_rand_new_with_seed(20261127);
  uint8_t buf[300];
  for (int round = 0; round < 20000; round++) {
    size_t len = (size_t)g_rand_int_range(rng, 0, sizeof buf + 1);
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)g_rand_int_range(rng, 0, 256);
    /* Bias towards interesting shapes: valid version/mode, 4-aligned lengths, EF-like words. */
    if (len > 0 && (round & 1))
      buf[0] = (uint8_t)((buf[0] & 0xC7) | (((round >> 1) % 4 + 1) << 3));
    if (round & 2) len &= ~(size_t)3;
    if ((round & 4) && len >= 52) {  /* key ID / EF header word 0x0000xxyy, yy a plausible length */
      buf[48] = 0;
      buf[49] = buf[49] & 1;
      buf[50] = 0;
      buf[51] = (uint8_t)(16 + 4 * (round % 16));
    }
    uint8_t *exact = g_malloc(len ? len : 1);  /* exact size so ASan sees overreads */
    memcpy(exact, buf, len);
    nta_packet pkt;
    size_t wire = len + ((round & 8) ? (size_t)g_rand_int_range(rng, 0, 40) : 0);
    nta_packet_parse(exact, len, wire, &pkt);
    check_invariants(&pkt);
    if (wire > len && (len == 0 || pkt.mode != NTA_MODE_PRIVATE)) {
      g_assert_cmpint(pkt.state, ==, NTA_PKT_MALFORMED);
      g_assert_true(g_str_has_prefix(pkt.reason, "truncated"));
    }
    g_free(exact);
  }
  g_rand_free(rng);
}

/* ---------------------------------------------------------------------------------------------
 * Display helpers */

static void test_names(void) {
  g_assert_cmpstr(nta_mode_name(3), ==, "client");
  g_assert_cmpstr(nta_mode_name(4), ==, "server");
  g_assert_cmpstr(nta_mode_name(6), ==, "control");
  g_assert_cmpstr(nta_mode_name(7), ==, "private");
  g_assert_cmpstr(nta_mode_name(1), ==, "symmetric active");
  g_assert_cmpstr(nta_mode_name(99), ==, "invalid");
  g_assert_cmpstr(nta_trailer_kind_name(NTA_TRAILER_NONE), ==, "none");
  g_assert_cmpstr(nta_trailer_kind_name(NTA_TRAILER_MAC), ==, "mac");
  g_assert_cmpstr(nta_trailer_kind_name(NTA_TRAILER_CRYPTO_NAK), ==, "crypto_nak");
  g_assert_cmpstr(nta_trailer_kind_name(NTA_TRAILER_MSSNTP), ==, "mssntp");
  g_assert_cmpstr(nta_trailer_kind_name(NTA_TRAILER_MSSNTP_EXT), ==, "mssntp_ext");
}

static void parse_with_refid(nta_packet *pkt, uint8_t stratum, const char refid[4]) {
  pkt_buf p;
  put_header(&p, 3, 4, NTA_MODE_SERVER);
  p.b[1] = stratum;
  memcpy(p.b + 12, refid, 4);
  g_assert_cmpint(parse(&p, pkt), ==, NTA_PKT_OK);
}

static void test_kiss_code(void) {
  nta_packet pkt;
  char code[5];
  parse_with_refid(&pkt, 0, "RATE");
  g_assert_true(nta_packet_kiss_code(&pkt, code));
  g_assert_cmpstr(code, ==, "RATE");
  parse_with_refid(&pkt, 0, "INIT");  /* unsynchronized ntpsec looks like a KoD */
  g_assert_true(nta_packet_kiss_code(&pkt, code));
  g_assert_cmpstr(code, ==, "INIT");
  parse_with_refid(&pkt, 0, "XY\0\0");
  g_assert_true(nta_packet_kiss_code(&pkt, code));
  g_assert_cmpstr(code, ==, "XY");
  parse_with_refid(&pkt, 0, "\0\0\0\0");  /* plain client request */
  g_assert_false(nta_packet_kiss_code(&pkt, code));
  g_assert_cmpstr(code, ==, "");
  parse_with_refid(&pkt, 0, "AB\x01Z");
  g_assert_false(nta_packet_kiss_code(&pkt, code));
  parse_with_refid(&pkt, 0, "A\0BC");  /* NUL inside */
  g_assert_false(nta_packet_kiss_code(&pkt, code));
  parse_with_refid(&pkt, 1, "RATE");
  g_assert_false(nta_packet_kiss_code(&pkt, code));
}

static void test_refid_format(void) {
  nta_packet pkt;
  char out[32];
  parse_with_refid(&pkt, 1, "GPS\0");
  nta_refid_format(&pkt, out, sizeof out);
  g_assert_cmpstr(out, ==, "GPS");
  parse_with_refid(&pkt, 1, "DCFa");
  nta_refid_format(&pkt, out, sizeof out);
  g_assert_cmpstr(out, ==, "DCFa");
  parse_with_refid(&pkt, 0, "RATE");
  nta_refid_format(&pkt, out, sizeof out);
  g_assert_cmpstr(out, ==, "RATE");
  parse_with_refid(&pkt, 1, "A\x01\\\xff");
  nta_refid_format(&pkt, out, sizeof out);
  g_assert_cmpstr(out, ==, "A\\x01\\x5c\\xff");
  parse_with_refid(&pkt, 2, "\x7f\x7f\x01\x01");
  nta_refid_format(&pkt, out, sizeof out);
  g_assert_cmpstr(out, ==, "127.127.1.1");
  parse_with_refid(&pkt, 16, "\xc0\x00\x02\x01");
  nta_refid_format(&pkt, out, sizeof out);
  g_assert_cmpstr(out, ==, "192.0.2.1");
  /* Small buffers are cut, never overrun. */
  parse_with_refid(&pkt, 2, "\xc0\xa8\x64\x64");
  nta_refid_format(&pkt, out, 6);
  g_assert_cmpstr(out, ==, "192.1");
  parse_with_refid(&pkt, 1, "\x01\x02GP");
  nta_refid_format(&pkt, out, 6);
  g_assert_cmpstr(out, ==, "\\x01");
  /* Mode 6 has no reference ID. */
  uint8_t ctl[12] = { first_byte(0, 4, NTA_MODE_CONTROL), 2 };
  g_assert_cmpint(nta_packet_parse(ctl, 12, 12, &pkt), ==, NTA_PKT_OK);
  nta_refid_format(&pkt, out, sizeof out);
  g_assert_cmpstr(out, ==, "");
}

static void test_timestamps(void) {
  g_assert_cmpfloat(nta_ts_to_double(0x0000000180000000ull), ==, 1.5);
  g_assert_cmpfloat(nta_ts_to_double(0), ==, 0.0);
  g_assert_cmphex(nta_ts_from_unix(0, 0), ==, 2208988800ull << 32);
  g_assert_cmphex(nta_ts_from_unix(1, 500000000), ==, ((2208988801ull) << 32) | 0x80000000u);
  /* nsec >= 1e9 carries into seconds. */
  g_assert_cmphex(nta_ts_from_unix(0, 1500000000u), ==, ((2208988801ull) << 32) | 0x80000000u);
  /* Unix 0 round trip and the timestamp of ntpsec's CMAC test packet (0xE6136A71 = 2022-04-25). */
  g_assert_cmpfloat(nta_ts_to_unix(nta_ts_from_unix(0, 0)), ==, 0.0);
  g_assert_cmpfloat(nta_ts_to_unix(0xE6136A7100000000ull), ==, 3860032113.0 - 2208988800.0);
  /* Era rollover: 2036-02-07T06:28:16Z is NTP second 0 of era 1. */
  int64_t rollover = 4294967296LL - 2208988800LL;
  g_assert_cmphex(nta_ts_from_unix(rollover, 0), ==, 0);
  g_assert_cmpfloat(nta_ts_to_unix(0), ==, (double)rollover);
  g_assert_cmpfloat(nta_ts_to_unix(nta_ts_from_unix(rollover + 1000, 0)), ==,
                    (double)(rollover + 1000));
  /* The era pivot: top bit set = era 0 (1968-2036), clear = era 1 (2036-2104). */
  g_assert_cmpfloat(nta_ts_to_unix(0x8000000000000000ull), ==, 2147483648.0 - 2208988800.0);
  g_assert_cmpfloat(nta_ts_to_unix(0x7FFFFFFF00000000ull), ==,
                    2147483647.0 + 4294967296.0 - 2208988800.0);
  /* Round trip for a date in 2026 with sub-second precision. */
  double t = nta_ts_to_unix(nta_ts_from_unix(1795000000, 250000000));
  g_assert_cmpfloat_with_epsilon(t, 1795000000.25, 1e-6);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/packet/header/fields", test_header_fields);
  g_test_add_func("/packet/header/client-byte", test_client_request_byte);
  g_test_add_func("/packet/header/truncated", test_truncated);
  g_test_add_func("/packet/header/short-and-empty", test_short_and_empty);
  g_test_add_func("/packet/header/length-not-multiple-of-4", test_length_not_multiple_of_4);
  g_test_add_func("/packet/header/bad-version", test_bad_version);
  g_test_add_func("/packet/header/mode7", test_mode7_not_checked);
  g_test_add_func("/packet/legacy/crypto-nak", test_crypto_nak);
  g_test_add_func("/packet/legacy/mac-lengths", test_legacy_mac_lengths);
  g_test_add_func("/packet/legacy/mssntp", test_mssntp);
  g_test_add_func("/packet/v4/nonzero-4-byte-trailer", test_v4_nonzero_4byte_trailer);
  g_test_add_func("/packet/v4/md5-sha1", test_v4_md5_sha1);
  g_test_add_func("/packet/v4/long-mac-plain-key", test_v4_long_mac_plain_key);
  g_test_add_func("/packet/v4/wireshark-sha384-key20", test_wireshark_sha384_key20);
  g_test_add_func("/packet/v4/wireshark-sha512-key32", test_wireshark_sha512_key32);
  g_test_add_func("/packet/v4/ambiguous-key-ids", test_ambiguous_key_ids);
  g_test_add_func("/packet/v4/ambiguous-exact", test_ambiguous_exact);
  g_test_add_func("/packet/v4/ef16-mac", test_ef16_mac);
  g_test_add_func("/packet/v4/ef28-no-mac", test_ef28_no_mac);
  g_test_add_func("/packet/v4/ef16-alone", test_ef16_alone);
  g_test_add_func("/packet/v4/ef20-alone-is-mac", test_ef20_alone_is_mac);
  g_test_add_func("/packet/v4/multiple-efs", test_multiple_efs_then_mac);
  g_test_add_func("/packet/v4/ef-errors", test_ef_errors);
  g_test_add_func("/packet/v4/too-many-efs", test_too_many_efs);
  g_test_add_func("/packet/v4/nts", test_nts_efs);
  g_test_add_func("/packet/ctl/header-no-mac", test_ctl_header_and_no_mac);
  g_test_add_func("/packet/ctl/mac-8-aligned", test_ctl_mac_8_aligned);
  g_test_add_func("/packet/ctl/mac-4-aligned", test_ctl_mac_4_aligned);
  g_test_add_func("/packet/ctl/error-reply-mac-at-12", test_ctl_error_reply_mac_at_12);
  g_test_add_func("/packet/ctl/malformed", test_ctl_malformed);
  g_test_add_func("/packet/random-inputs", test_random_inputs);
  g_test_add_func("/packet/format/names", test_names);
  g_test_add_func("/packet/format/kiss-code", test_kiss_code);
  g_test_add_func("/packet/format/refid", test_refid_format);
  g_test_add_func("/packet/format/timestamps", test_timestamps);
  return g_test_run();
}
