/* Reader tests: every link type, VLAN/QinQ, IPv6 extension headers, IPv4/IPv6 fragments,
 * pcap in both byte orders and precisions, pcapng with mixed interfaces, truncated and corrupt
 * files, snap-length cuts, several files, stdin. Frames are crafted here and, where a pcap
 * with a supported link type will do, written with the writer. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <glib.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture_test_util.h"

static char *tmpdir;

static char *tmp_path(const char *name) { return g_build_filename(tmpdir, name, NULL); }

static const uint8_t ETH_HDR_V4[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};

/* IPv4/IPv6 + UDP datagram (valid checksums) with a 48-byte payload made from `seed`. */
static size_t ntp_datagram(uint8_t *out, bool v6, uint8_t seed, size_t plen) {
  uint8_t payload[1600];
  test_payload(payload, plen, seed);
  nta_endpoint s = v6 ? ep("[2001:db8::a]:40000") : ep("198.51.100.1:40000");
  nta_endpoint d = v6 ? ep("[2001:db8::b]:123") : ep("198.51.100.2:123");
  size_t n = cap_build_ip_udp(&s, &d, payload, plen, out, 2048);
  g_assert_cmpuint(n, >, 0);
  return n;
}

static void check_payload(const got_dgram *x, uint8_t seed, size_t plen) {
  uint8_t expect[1600];
  test_payload(expect, plen, seed);
  g_assert_cmpuint(x->wirelen, ==, plen);
  g_assert_cmpmem(x->payload, x->caplen, expect, x->caplen);
}

/* One pcap file, link type `lt`, one frame per (prefix + IPv4 datagram) and (prefix + IPv6). */
static void check_link(uint32_t lt, const uint8_t *pre4, size_t pre4_len, const uint8_t *pre6,
                       size_t pre6_len) {
  for (int be = 0; be < 2; be++) {
    tbuf t = tb_new(be);
    pcap_file_header(&t, false, lt, 65535);
    uint8_t frame[2048];
    if (pre4_len) memcpy(frame, pre4, pre4_len);
    size_t n = pre4_len + ntp_datagram(frame + pre4_len, false, 3, 48);
    pcap_record(&t, 10, 5, frame, (uint32_t)n, (uint32_t)n);
    if (pre6) {
      if (pre6_len) memcpy(frame, pre6, pre6_len);
      n = pre6_len + ntp_datagram(frame + pre6_len, true, 4, 60);
      pcap_record(&t, 11, 6, frame, (uint32_t)n, (uint32_t)n);
    }
    got g = read_memory(&t, NULL, 0);
    g_assert_cmpint(g.last, ==, CAP_NEXT_END);
    g_assert_cmpuint(g.d->len, ==, pre6 ? 2 : 1);
    g_assert_cmpuint(got_at(&g, 0)->src.family, ==, 4);
    g_assert_cmpuint(got_at(&g, 0)->src.port, ==, 40000);
    g_assert_cmpuint(got_at(&g, 0)->dst.port, ==, 123);
    g_assert_cmpmem(got_at(&g, 0)->src.addr, 4, "\xc6\x33\x64\x01", 4);
    g_assert_cmpuint(got_at(&g, 0)->nsec, ==, 5000);
    check_payload(got_at(&g, 0), 3, 48);
    if (pre6) {
      g_assert_cmpuint(got_at(&g, 1)->src.family, ==, 6);
      g_assert_cmpuint(got_at(&g, 1)->frame, ==, 2);
      g_assert_cmpuint(got_at(&g, 1)->dst.addr[15], ==, 0xb);
      check_payload(got_at(&g, 1), 4, 60);
    }
    g_assert_cmpuint(g.stats.undecodable, ==, 0);
    got_free(&g);
    tb_free(&t);
  }
}

static void test_link_ethernet(void) {
  uint8_t e6[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd};
  check_link(1, ETH_HDR_V4, 14, e6, 14);
}

static void test_link_vlan(void) {
  uint8_t q[18] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00};
  uint8_t qinq6[22] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xa8, 0x00, 0x64,
                       0x81, 0x00, 0x00, 0x05, 0x86, 0xdd};
  check_link(1, q, 18, qinq6, 22);
  uint8_t old[22] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x91, 0x00, 0x00, 0x64,
                     0x81, 0x00, 0x00, 0x05, 0x08, 0x00};
  check_link(1, old, 22, NULL, 0);
}

static void test_link_sll(void) {
  uint8_t s4[16] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00};
  uint8_t s6[16] = {0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x86, 0xdd};
  check_link(113, s4, 16, s6, 16);
}

static void test_link_sll2(void) {
  uint8_t s4[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  uint8_t s6[20] = {0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0};
  check_link(276, s4, 20, s6, 20);
}

static void test_link_raw(void) {
  check_link(101, NULL, 0, (const uint8_t *)"", 0);
  check_link(12, NULL, 0, (const uint8_t *)"", 0);
  check_link(14, NULL, 0, (const uint8_t *)"", 0);
  check_link(228, NULL, 0, NULL, 0);  /* LINKTYPE_IPV4 */
}

static void test_link_ipv6_only(void) {
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 229, 65535);
  uint8_t frame[2048];
  size_t n = ntp_datagram(frame, true, 9, 48);
  pcap_record(&t, 1, 0, frame, (uint32_t)n, (uint32_t)n);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpuint(g.d->len, ==, 1);
  check_payload(got_at(&g, 0), 9, 48);
  got_free(&g);
  tb_free(&t);
}

static void test_link_null_loop(void) {
  /* DLT_NULL: address family in the capturing host's byte order (little and big endian). */
  uint8_t le4[4] = {2, 0, 0, 0}, be4[4] = {0, 0, 0, 2};
  uint8_t le24[4] = {24, 0, 0, 0}, be28[4] = {0, 0, 0, 28}, le30[4] = {30, 0, 0, 0};
  check_link(0, le4, 4, le24, 4);
  check_link(0, be4, 4, be28, 4);
  check_link(0, le4, 4, le30, 4);
  /* DLT_LOOP: network byte order */
  check_link(108, be4, 4, be28, 4);
}

static void test_unknown_link_and_garbage(void) {
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 147, 65535);  /* a USER link type */
  uint8_t frame[2048];
  size_t n = ntp_datagram(frame, false, 1, 48);
  pcap_record(&t, 1, 0, frame, (uint32_t)n, (uint32_t)n);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 0);
  g_assert_cmpuint(g.stats.frames, ==, 1);
  g_assert_cmpuint(g.stats.undecodable, ==, 1);
  got_free(&g);
  tb_free(&t);

  /* broken IPv4 headers and short frames: counted, reading goes on */
  t = tb_new(false);
  pcap_file_header(&t, false, 101, 65535);
  uint8_t bad[64];
  memset(bad, 0, sizeof bad);
  bad[0] = 0x44;  /* IHL 4 words: too short */
  pcap_record(&t, 1, 0, bad, 40, 40);
  bad[0] = 0x4f;  /* IHL 60 bytes, only 30 captured */
  pcap_record(&t, 1, 0, bad, 30, 30);
  pcap_record(&t, 1, 0, bad, 0, 0);
  bad[0] = 0x60;  /* IPv6 with 10 bytes */
  pcap_record(&t, 1, 0, bad, 10, 10);
  n = ntp_datagram(frame, false, 2, 48);
  frame[24] = 0;  /* UDP length 7: still a datagram to the port, with nothing readable */
  frame[25] = 7;
  pcap_record(&t, 1, 0, frame, (uint32_t)n, (uint32_t)n);
  n = ntp_datagram(frame, false, 2, 48);
  pcap_record(&t, 1, 0, frame, (uint32_t)n, (uint32_t)n);
  g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 2);
  g_assert_cmpuint(got_at(&g, 0)->frame, ==, 5);
  g_assert_cmpuint(got_at(&g, 0)->wirelen, ==, 0);
  g_assert_cmpuint(got_at(&g, 1)->frame, ==, 6);
  g_assert_cmpuint(g.stats.undecodable, ==, 4);
  got_free(&g);
  tb_free(&t);
}

static void test_ports(void) {
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 101, 65535);
  uint8_t payload[48] = {0}, frame[128];
  const char *pairs[][2] = {{"10.0.0.1:123", "10.0.0.2:123"}, {"10.0.0.1:5000", "10.0.0.2:4123"},
                            {"10.0.0.1:4123", "10.0.0.2:53"}, {"10.0.0.1:53", "10.0.0.2:54"}};
  for (int i = 0; i < 4; i++) {
    nta_endpoint s = ep(pairs[i][0]), d = ep(pairs[i][1]);
    size_t n = cap_build_ip_udp(&s, &d, payload, 48, frame, sizeof frame);
    pcap_record(&t, 1, 0, frame, (uint32_t)n, (uint32_t)n);
  }
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpuint(g.d->len, ==, 1);
  g_assert_cmpuint(got_at(&g, 0)->frame, ==, 1);
  got_free(&g);
  uint16_t ports[] = {4123};
  g = read_memory(&t, ports, 1);
  g_assert_cmpuint(g.d->len, ==, 2);
  g_assert_cmpuint(got_at(&g, 0)->frame, ==, 2);
  g_assert_cmpuint(got_at(&g, 1)->frame, ==, 3);
  got_free(&g);
  uint16_t ports2[] = {123, 54};
  g = read_memory(&t, ports2, 2);
  g_assert_cmpuint(g.d->len, ==, 2);
  got_free(&g);
  cap_reader *r = cap_reader_create();
  nta_diag err;
  g_assert_cmpint(cap_reader_set_ports(r, ports, 0, &err), !=, NTA_OK);
  cap_reader_destroy(r);
  tb_free(&t);
}

/* IPv6 with hop-by-hop, routing, destination options and AH before UDP; ESP stops. */
static void test_ipv6_extension_headers(void) {
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 101, 65535);
  uint8_t dg[2048], frame[2048];
  size_t n = ntp_datagram(dg, true, 5, 48);
  const size_t udp_len = n - 40;
  /* ext chain: HBH(8) -> routing(24) -> dstopts(16) -> AH(24) -> UDP */
  uint8_t ext[8 + 24 + 16 + 24];
  memset(ext, 0, sizeof ext);
  ext[0] = 43; ext[1] = 0;
  ext[8] = 60; ext[9] = 2;
  ext[32] = 51; ext[33] = 1;
  ext[48] = 17; ext[49] = 4;  /* AH: (4 + 2) * 4 = 24 */
  memcpy(frame, dg, 40);
  frame[6] = 0;
  size_t plen = sizeof ext + udp_len;
  frame[4] = (uint8_t)(plen >> 8);
  frame[5] = (uint8_t)plen;
  memcpy(frame + 40, ext, sizeof ext);
  memcpy(frame + 40 + sizeof ext, dg + 40, udp_len);
  pcap_record(&t, 1, 0, frame, (uint32_t)(40 + plen), (uint32_t)(40 + plen));
  /* ESP after HBH: nothing to decode, not an error */
  frame[40 + 0] = 50;
  pcap_record(&t, 1, 0, frame, (uint32_t)(40 + plen), (uint32_t)(40 + plen));
  /* an extension header longer than the packet: undecodable */
  frame[40 + 0] = 43;
  frame[40 + 9] = 200;
  pcap_record(&t, 1, 0, frame, (uint32_t)(40 + plen), (uint32_t)(40 + plen));
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 1);
  check_payload(got_at(&g, 0), 5, 48);
  g_assert_cmpuint(g.stats.undecodable, ==, 1);
  got_free(&g);
  tb_free(&t);
}

/* IPv4 options are skipped by IHL. */
static void test_ipv4_options(void) {
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 101, 65535);
  uint8_t dg[2048], frame[2048];
  size_t n = ntp_datagram(dg, false, 6, 48);
  memcpy(frame, dg, 20);
  frame[0] = 0x47;  /* 28-byte header: 8 bytes of NOP options */
  memset(frame + 20, 1, 8);
  memcpy(frame + 28, dg + 20, n - 20);
  size_t total = n + 8;
  frame[2] = (uint8_t)(total >> 8);
  frame[3] = (uint8_t)total;
  /* Ethernet-style trailing padding beyond the IP total length is ignored */
  memset(frame + total, 0xee, 6);
  pcap_record(&t, 1, 0, frame, (uint32_t)total + 6, (uint32_t)total + 6);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpuint(g.d->len, ==, 1);
  check_payload(got_at(&g, 0), 6, 48);
  g_assert_cmpuint(got_at(&g, 0)->caplen, ==, 48);
  got_free(&g);
  tb_free(&t);
}

/* Splits an IPv4 datagram's payload into fragments of `chunk` bytes (multiple of 8). */
static int ipv4_fragments(const uint8_t *dg, size_t n, size_t chunk, uint16_t id,
                          uint8_t frames[][2048], size_t *lens) {
  nta_endpoint s = {.family = 4}, d = {.family = 4};
  memcpy(s.addr, dg + 12, 4);
  memcpy(d.addr, dg + 16, 4);
  const uint8_t *pl = dg + 20;
  size_t plen = n - 20;
  int k = 0;
  for (size_t off = 0; off < plen; off += chunk, k++) {
    size_t len = plen - off < chunk ? plen - off : chunk;
    bool more = off + len < plen;
    uint16_t ff = (uint16_t)((more ? 0x2000 : 0) | (off / 8));
    memcpy(frames[k], ETH_HDR_V4, 14);
    ipv4_header(frames[k] + 14, &s, &d, 17, id, ff, len);
    memcpy(frames[k] + 34, pl + off, len);
    lens[k] = 34 + len;
  }
  return k;
}

static void test_ipv4_fragments(void) {
  uint8_t dg[2048];
  size_t n = ntp_datagram(dg, false, 7, 1000);
  static uint8_t frames[8][2048];
  size_t lens[8];
  int k = ipv4_fragments(dg, n, 400, 0x1234, frames, lens);
  g_assert_cmpint(k, ==, 3);
  const int orders[][3] = {{0, 1, 2}, {2, 0, 1}, {1, 2, 0}};
  for (int o = 0; o < 3; o++) {
    tbuf t = tb_new(false);
    pcap_file_header(&t, false, 1, 65535);
    for (int i = 0; i < 3; i++) {
      int f = orders[o][i];
      pcap_record(&t, 100, 0, frames[f], (uint32_t)lens[f], (uint32_t)lens[f]);
    }
    got g = read_memory(&t, NULL, 0);
    g_assert_cmpint(g.last, ==, CAP_NEXT_END);
    g_assert_cmpuint(g.d->len, ==, 1);
    got_dgram *x = got_at(&g, 0);
    g_assert_true(x->reassembled);
    g_assert_cmpuint(x->frame, ==, 3);  /* the frame that completed it */
    g_assert_cmpuint(x->caplen, ==, 1000);
    check_payload(x, 7, 1000);
    g_assert_cmpuint(g.stats.reassembled, ==, 1);
    got_free(&g);
    tb_free(&t);
  }

  /* duplicate fragment ignored; a conflicting overlap keeps the bytes that came first at the
   * same offset (Wireshark's rule); interleaved ids kept apart */
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 1, 65535);
  static uint8_t other[8][2048];
  size_t olens[8];
  ipv4_fragments(dg, n, 400, 0x9999, other, olens);
  pcap_record(&t, 100, 0, frames[0], (uint32_t)lens[0], (uint32_t)lens[0]);
  pcap_record(&t, 100, 0, other[2], (uint32_t)olens[2], (uint32_t)olens[2]);
  pcap_record(&t, 100, 0, frames[0], (uint32_t)lens[0], (uint32_t)lens[0]);  /* duplicate */
  pcap_record(&t, 100, 0, frames[1], (uint32_t)lens[1], (uint32_t)lens[1]);
  pcap_record(&t, 100, 0, other[0], (uint32_t)olens[0], (uint32_t)olens[0]);
  pcap_record(&t, 100, 0, frames[2], (uint32_t)lens[2], (uint32_t)lens[2]);   /* completes */
  other[1][40] ^= 0xff;
  pcap_record(&t, 100, 0, other[1], (uint32_t)olens[1], (uint32_t)olens[1]);  /* completes */
  /* conflicting overlap: a fragment at offset 0 again with different bytes */
  memcpy(other[5], other[0], olens[0]);
  other[5][50] ^= 1;
  ipv4_fragments(dg, n, 400, 0x7777, other, olens);
  pcap_record(&t, 100, 0, other[0], (uint32_t)olens[0], (uint32_t)olens[0]);
  other[5][18] = 0x77;  /* id 0x7777 with different bytes at offset 0 */
  other[5][19] = 0x77;
  pcap_record(&t, 100, 0, other[5], (uint32_t)olens[0], (uint32_t)olens[0]);
  pcap_record(&t, 100, 0, other[1], (uint32_t)olens[1], (uint32_t)olens[1]);
  pcap_record(&t, 100, 0, other[2], (uint32_t)olens[2], (uint32_t)olens[2]);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 3);
  g_assert_cmpuint(got_at(&g, 0)->frame, ==, 6);
  check_payload(got_at(&g, 0), 7, 1000);
  g_assert_cmpuint(got_at(&g, 1)->frame, ==, 7);
  g_assert_cmpuint(got_at(&g, 1)->wirelen, ==, 1000);
  g_assert_cmpuint(got_at(&g, 2)->frame, ==, 11);
  check_payload(got_at(&g, 2), 7, 1000);
  g_assert_cmpuint(g.stats.reassembled, ==, 3);
  got_free(&g);
  tb_free(&t);
}

static void test_fragment_no_timeout_and_snaplen(void) {
  uint8_t dg[2048];
  size_t n = ntp_datagram(dg, false, 8, 1000);
  static uint8_t frames[8][2048];
  size_t lens[8];
  ipv4_fragments(dg, n, 400, 0x4242, frames, lens);
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 1, 65535);
  /* 31 s apart: still reassembled (no timeout, as in Wireshark) */
  pcap_record(&t, 100, 0, frames[0], (uint32_t)lens[0], (uint32_t)lens[0]);
  pcap_record(&t, 131, 0, frames[1], (uint32_t)lens[1], (uint32_t)lens[1]);
  pcap_record(&t, 131, 0, frames[2], (uint32_t)lens[2], (uint32_t)lens[2]);
  /* then in time, but the middle fragment cut by the snap length: Wireshark reassembles only
   * whole fragments, so the datagram never completes and each fragment gets a line at the end */
  pcap_record(&t, 200, 0, frames[0], (uint32_t)lens[0], (uint32_t)lens[0]);
  pcap_record(&t, 200, 0, frames[1], 100, (uint32_t)lens[1]);
  pcap_record(&t, 201, 0, frames[2], (uint32_t)lens[2], (uint32_t)lens[2]);
  /* a first fragment cut by the snap length is read on its own */
  ipv4_fragments(dg, n, 400, 0x4343, frames, lens);
  pcap_record(&t, 300, 0, frames[0], 100, (uint32_t)lens[0]);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 5);
  g_assert_cmpuint(got_at(&g, 0)->frame, ==, 3);
  check_payload(got_at(&g, 0), 8, 1000);
  got_dgram *x = got_at(&g, 1);
  g_assert_cmpuint(x->frame, ==, 7);
  g_assert_false(x->unusable);
  g_assert_cmpuint(x->wirelen, ==, 1000);
  g_assert_cmpuint(x->caplen, ==, 100 - 14 - 20 - 8);
  g_assert_nonnull(strstr(x->note, "first fragment cut by the snap length"));
  for (guint i = 2; i < 5; i++) {
    g_assert_cmpuint(got_at(&g, i)->frame, ==, i + 2);
    g_assert_true(got_at(&g, i)->unusable);
    g_assert_cmpstr(got_at(&g, i)->note, ==,
                    "IPv4 fragment: datagram never completed (have bytes 0-399, 800-1007 of 1008)");
  }
  got_free(&g);
  tb_free(&t);
}

static void test_fragment_table_bound(void) {
  uint8_t dg[2048];
  size_t n = ntp_datagram(dg, false, 8, 1000);
  static uint8_t frames[8][2048];
  size_t lens[8];
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 1, 65535);
  /* 200 first fragments that never complete: the table stays bounded, the oldest go */
  for (int i = 0; i < 200; i++) {
    ipv4_fragments(dg, n, 400, (uint16_t)i, frames, lens);
    pcap_record(&t, 100, 0, frames[0], (uint32_t)lens[0], (uint32_t)lens[0]);
  }
  /* the last id still completes */
  pcap_record(&t, 100, 0, frames[1], (uint32_t)lens[1], (uint32_t)lens[1]);
  pcap_record(&t, 100, 0, frames[2], (uint32_t)lens[2], (uint32_t)lens[2]);
  got g = read_memory(&t, NULL, 0);
  /* Each fragment of a datagram that never completed still gets a line: the 136 evicted ones
   * as they go (before the completed datagram), the 63 still pending at the end of input. */
  g_assert_cmpuint(g.d->len, ==, 200);
  for (guint i = 0; i < 136; i++) {
    got_dgram *x = got_at(&g, i);
    g_assert_cmpuint(x->frame, ==, i + 1);
    g_assert_true(x->unusable);
    g_assert_cmpuint(x->caplen, ==, 0);
    g_assert_nonnull(strstr(x->note, "dropped with 64 datagrams pending"));
  }
  g_assert_cmpuint(got_at(&g, 136)->frame, ==, 202);
  g_assert_false(got_at(&g, 136)->unusable);
  for (guint i = 137; i < 200; i++) {
    got_dgram *x = got_at(&g, i);
    g_assert_cmpuint(x->frame, ==, i);
    g_assert_true(x->unusable);
    g_assert_cmpstr(x->note, ==, "IPv4 fragment: datagram never completed (have bytes 0-399 of ?)");
  }
  g_assert_cmpuint(g.stats.fragments_pending_dropped, ==, 200 - 64);
  got_free(&g);
  tb_free(&t);
}

static void test_ipv6_fragments(void) {
  uint8_t dg[2048];
  size_t n = ntp_datagram(dg, true, 9, 900);
  /* unfragmentable part: header + HBH; fragmentable: dstopts(8) + UDP */
  size_t udp_len = n - 40;
  uint8_t fragmentable[2048];
  memset(fragmentable, 0, 8);
  fragmentable[0] = 17;  /* dstopts -> UDP */
  memcpy(fragmentable + 8, dg + 40, udp_len);
  size_t flen = 8 + udp_len;
  static uint8_t frames[4][2048];
  size_t lens[4];
  int k = 0;
  for (size_t off = 0; off < flen; off += 512, k++) {
    size_t len = flen - off < 512 ? flen - off : 512;
    bool more = off + len < flen;
    uint8_t *f = frames[k];
    memcpy(f, dg, 40);
    f[6] = 0;  /* HBH */
    size_t plen = 8 + 8 + len;
    f[4] = (uint8_t)(plen >> 8);
    f[5] = (uint8_t)plen;
    memset(f + 40, 0, 8);
    f[40] = 44;  /* HBH -> fragment */
    uint8_t *fh = f + 48;
    fh[0] = 60;  /* fragmentable part starts with dstopts */
    fh[1] = 0;
    uint16_t fo = (uint16_t)(off | (more ? 1 : 0));
    fh[2] = (uint8_t)(fo >> 8);
    fh[3] = (uint8_t)fo;
    fh[4] = 0xde; fh[5] = 0xad; fh[6] = 0xbe; fh[7] = 0xef;
    memcpy(f + 56, fragmentable + off, len);
    lens[k] = 56 + len;
  }
  g_assert_cmpint(k, ==, 2);
  for (int o = 0; o < 2; o++) {
    tbuf t = tb_new(true);
    pcap_file_header(&t, true, 101, 65535);
    pcap_record(&t, 5, 0, frames[o], (uint32_t)lens[o], (uint32_t)lens[o]);
    pcap_record(&t, 5, 1, frames[1 - o], (uint32_t)lens[1 - o], (uint32_t)lens[1 - o]);
    got g = read_memory(&t, NULL, 0);
    g_assert_cmpint(g.last, ==, CAP_NEXT_END);
    g_assert_cmpuint(g.d->len, ==, 1);
    got_dgram *x = got_at(&g, 0);
    g_assert_true(x->reassembled);
    g_assert_cmpuint(x->frame, ==, 2);
    g_assert_cmpuint(x->nsec, ==, 1);
    g_assert_cmpuint(x->src.family, ==, 6);
    g_assert_cmpuint(x->dst.port, ==, 123);
    check_payload(x, 9, 900);
    got_free(&g);
    tb_free(&t);
  }
  /* atomic fragment (offset 0, M=0) is decoded directly */
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 101, 65535);
  uint8_t f[2048];
  size_t m = ntp_datagram(dg, true, 10, 48);
  memcpy(f, dg, 40);
  f[6] = 44;
  size_t plen = 8 + m - 40;
  f[4] = (uint8_t)(plen >> 8);
  f[5] = (uint8_t)plen;
  memset(f + 40, 0, 8);
  f[40] = 17;
  memcpy(f + 48, dg + 40, m - 40);
  pcap_record(&t, 5, 0, f, (uint32_t)(48 + m - 40), (uint32_t)(48 + m - 40));
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpuint(g.d->len, ==, 1);
  g_assert_false(got_at(&g, 0)->reassembled);
  check_payload(got_at(&g, 0), 10, 48);
  got_free(&g);
  tb_free(&t);
}

/* Odd fragments: beyond 64 KiB and non-final not a multiple of 8 are refused, TCP fragments
 * are ignored; none of them disturbs a later good datagram. */
static void test_fragment_edge_cases(void) {
  uint8_t dg[2048];
  size_t n = ntp_datagram(dg, false, 21, 1000);
  static uint8_t frames[8][2048];
  size_t lens[8];
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 1, 65535);
  /* offset 65528 + 400 bytes: past 64 KiB ("ping of death") */
  ipv4_fragments(dg, n, 400, 0x0101, frames, lens);
  frames[1][20] = 0x1f;
  frames[1][21] = 0xff;
  pcap_record(&t, 1, 0, frames[1], (uint32_t)lens[1], (uint32_t)lens[1]);
  /* non-final fragment of 396 bytes */
  ipv4_fragments(dg, n, 400, 0x0202, frames, lens);
  frames[0][16] = (20 + 396) >> 8;  /* IP total length */
  frames[0][17] = (20 + 396) & 0xff;
  pcap_record(&t, 1, 0, frames[0], (uint32_t)lens[0] - 4, (uint32_t)lens[0] - 4);
  /* TCP fragments: not ours, take no table space */
  ipv4_fragments(dg, n, 400, 0x0303, frames, lens);
  for (int i = 0; i < 3; i++) {
    frames[i][23] = 6;
    pcap_record(&t, 1, 0, frames[i], (uint32_t)lens[i], (uint32_t)lens[i]);
  }
  /* the good one */
  ipv4_fragments(dg, n, 400, 0x0404, frames, lens);
  for (int i = 2; i >= 0; i--)
    pcap_record(&t, 1, 0, frames[i], (uint32_t)lens[i], (uint32_t)lens[i]);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 1);
  g_assert_cmpuint(got_at(&g, 0)->frame, ==, 8);
  check_payload(got_at(&g, 0), 21, 1000);
  g_assert_cmpuint(g.stats.fragments_invalid, ==, 2);
  got_free(&g);
  tb_free(&t);
}

/* IPv6 jumbogram (payload length 0), a DLT_NULL frame of another family, a pcap link type
 * field carrying FCS bits, and a pcapng interface with if_tsoffset. */
static void test_odd_headers(void) {
  uint8_t frame[2048], buf[2048];
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 0x04000000u | 101, 65535);  /* FCS bits above the link type */
  size_t n = ntp_datagram(frame, true, 22, 48);
  frame[4] = frame[5] = 0;
  pcap_record(&t, 1, 0, frame, (uint32_t)n, (uint32_t)n);
  n = ntp_datagram(frame, false, 22, 48);
  pcap_record(&t, 1, 0, frame, (uint32_t)n, (uint32_t)n);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpuint(g.d->len, ==, 1);
  g_assert_cmpuint(got_at(&g, 0)->frame, ==, 2);
  g_assert_cmpuint(g.stats.undecodable, ==, 1);
  got_free(&g);
  tb_free(&t);

  t = tb_new(false);
  pcap_file_header(&t, false, 0, 65535);
  static const uint8_t af7[4] = {7, 0, 0, 0};  /* AF 7: not IP */
  memcpy(buf, af7, 4);
  memcpy(buf + 4, frame, n);
  pcap_record(&t, 1, 0, buf, (uint32_t)n + 4, (uint32_t)n + 4);
  g = read_memory(&t, NULL, 0);
  g_assert_cmpuint(g.d->len, ==, 0);
  g_assert_cmpuint(g.stats.frames, ==, 1);
  got_free(&g);
  tb_free(&t);

  t = tb_new(true);
  png_shb(&t);
  size_t at = png_begin(&t, 1);
  tb_u16(&t, 101);
  tb_u16(&t, 0);
  tb_u32(&t, 0);
  tb_u16(&t, 14);  /* if_tsoffset: 1000 s */
  tb_u16(&t, 8);
  tb_u32(&t, 0);
  tb_u32(&t, 1000);
  tb_u16(&t, 9);   /* if_tsresol: ms */
  tb_u16(&t, 1);
  tb_u8(&t, 3);
  tb_pad4(&t);
  tb_u16(&t, 0);
  tb_u16(&t, 0);
  png_end(&t, at);
  png_epb(&t, 0, 2500, frame, (uint32_t)n, (uint32_t)n);
  g = read_memory(&t, NULL, 0);
  g_assert_cmpuint(g.d->len, ==, 1);
  g_assert_cmpint(got_at(&g, 0)->sec, ==, 1002);
  g_assert_cmpuint(got_at(&g, 0)->nsec, ==, 500000000u);
  got_free(&g);
  tb_free(&t);
}

/* pcapng interface with seconds resolution and an if_tsoffset (little-endian file). */
static void png_idb_offset(tbuf *t, uint16_t linktype, int64_t offset) {
  size_t at = png_begin(t, 1);
  tb_u16(t, linktype);
  tb_u16(t, 0);
  tb_u32(t, 0);
  tb_u16(t, 14);  /* if_tsoffset */
  tb_u16(t, 8);
  tb_u32(t, (uint32_t)(uint64_t)offset);
  tb_u32(t, (uint32_t)((uint64_t)offset >> 32));
  tb_u16(t, 9);   /* if_tsresol: 1 s */
  tb_u16(t, 1);
  tb_u8(t, 0);
  tb_pad4(t);
  tb_u16(t, 0);
  tb_u16(t, 0);
  png_end(t, at);
}

/* Review regression: if_tsoffset near INT64_MAX/MIN made `sec + offset` (filesrc.c) and the
 * fragment age (reasm.c, when fragments expired) signed overflows (undefined behaviour, UBSan
 * abort). Times now wrap modulo 2^64; fragments never expire, however far apart. */
static void test_extreme_timestamps(void) {
  uint8_t dg[2048], eth[2048];
  size_t n = ntp_datagram(dg, false, 9, 1000);
  static uint8_t frames[8][2048];
  size_t lens[8];
  g_assert_cmpint(ipv4_fragments(dg, n, 400, 0x5151, frames, lens), ==, 3);
  size_t m = ntp_datagram(eth + 14, false, 10, 48);
  memcpy(eth, ETH_HDR_V4, 14);

  tbuf t = tb_new(false);
  png_shb(&t);
  png_idb_offset(&t, 1, INT64_MIN);
  png_idb_offset(&t, 1, INT64_MAX);
  png_epb(&t, 1, 5, eth, (uint32_t)m + 14, (uint32_t)m + 14);   /* INT64_MAX + 5 wraps */
  png_epb(&t, 0, 0, frames[0], (uint32_t)lens[0], (uint32_t)lens[0]);  /* at INT64_MIN */
  png_epb(&t, 1, 0, frames[1], (uint32_t)lens[1], (uint32_t)lens[1]);  /* at INT64_MAX */
  png_epb(&t, 1, 0, frames[2], (uint32_t)lens[2], (uint32_t)lens[2]);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpstr(g.err, ==, "");
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 2);
  g_assert_cmpint(got_at(&g, 0)->sec, ==, INT64_MIN + 4);
  check_payload(got_at(&g, 0), 10, 48);
  check_payload(got_at(&g, 1), 9, 1000);
  g_assert_cmpuint(g.stats.fragments_pending_dropped, ==, 0);
  g_assert_cmpuint(g.stats.reassembled, ==, 1);
  got_free(&g);
  tb_free(&t);
}

static void test_snaplen_cut(void) {
  tbuf t = tb_new(false);
  pcap_file_header(&t, false, 1, 90);
  uint8_t frame[2048];
  memcpy(frame, ETH_HDR_V4, 14);
  size_t n = 14 + ntp_datagram(frame + 14, false, 11, 68);
  pcap_record(&t, 1, 0, frame, 90, (uint32_t)n);
  pcap_record(&t, 1, 0, frame, 40, (uint32_t)n);  /* UDP header cut: no ports */
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpuint(g.d->len, ==, 1);
  got_dgram *x = got_at(&g, 0);
  g_assert_cmpuint(x->wirelen, ==, 68);
  g_assert_cmpuint(x->caplen, ==, 90 - 14 - 20 - 8);
  check_payload(x, 11, 68);
  g_assert_cmpuint(g.stats.undecodable, ==, 1);
  got_free(&g);
  tb_free(&t);
}

static void test_pcap_byte_orders_and_precision(void) {
  for (int be = 0; be < 2; be++)
    for (int ns = 0; ns < 2; ns++) {
      tbuf t = tb_new(be);
      pcap_file_header(&t, ns, 101, 65535);
      uint8_t frame[2048];
      size_t n = ntp_datagram(frame, false, 12, 48);
      pcap_record(&t, 1700000000u, ns ? 999999999u : 999999u, frame, (uint32_t)n, (uint32_t)n);
      /* a µs fraction out of range is carried into seconds rather than misread */
      pcap_record(&t, 5, ns ? 1500000000u : 1500000u, frame, (uint32_t)n, (uint32_t)n);
      got g = read_memory(&t, NULL, 0);
      g_assert_cmpint(g.last, ==, CAP_NEXT_END);
      g_assert_cmpuint(g.d->len, ==, 2);
      g_assert_cmpint(got_at(&g, 0)->sec, ==, 1700000000);
      g_assert_cmpuint(got_at(&g, 0)->nsec, ==, 999999999u - (ns ? 0 : 999u));
      g_assert_cmpint(got_at(&g, 1)->sec, ==, 6);
      g_assert_cmpuint(got_at(&g, 1)->nsec, ==, 500000000u);
      check_payload(got_at(&g, 0), 12, 48);
      got_free(&g);
      tb_free(&t);
    }
}

/* pcapng: two interfaces of different link types and timestamp resolutions, SPB and obsolete
 * PB, blocks to skip, then a second section in the other byte order. */
static void test_pcapng(void) {
  for (int be = 0; be < 2; be++) {
    tbuf t = tb_new(be);
    uint8_t frame[2048], eth[2048];
    size_t n = ntp_datagram(frame, false, 13, 48);
    memcpy(eth, ETH_HDR_V4, 14);
    memcpy(eth + 14, frame, n);
    png_shb(&t);
    png_idb(&t, 1, 0, -1);             /* Ethernet, µs */
    png_idb(&t, 101, 0, 9);            /* raw IP, ns */
    png_idb(&t, 113, 0, 0x80 | 10);    /* SLL, 2^-10 s */
    png_other(&t, 4, 12);              /* name resolution */
    png_epb(&t, 0, 1700000000123456ull, eth, (uint32_t)n + 14, (uint32_t)n + 14);
    png_epb(&t, 1, 1700000001987654321ull, frame, (uint32_t)n, (uint32_t)n);
    png_other(&t, 5, 20);              /* interface statistics */
    png_other(&t, 0x0bad, 8);          /* custom */
    png_spb(&t, eth, (uint32_t)n + 14, (uint32_t)n + 14);
    png_pb(&t, 1, 5000000000ull, frame, (uint32_t)n, (uint32_t)n);
    uint8_t sll[2048] = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00};
    memcpy(sll + 16, frame, n);
    png_epb(&t, 2, (3ull << 10) | 512, sll, (uint32_t)n + 16, (uint32_t)n + 16);
    png_epb(&t, 0, 1, frame, 10, 10);  /* not IP on Ethernet: a frame, no datagram */
    /* second section, other byte order: interface numbering starts over */
    tbuf t2 = tb_new(!be);
    png_shb(&t2);
    png_idb(&t2, 101, 0, 6);
    png_epb(&t2, 0, 42000001ull, frame, (uint32_t)n, (uint32_t)n);
    tb_bytes(&t, t2.b->data, t2.b->len);
    tb_free(&t2);

    got g = read_memory(&t, NULL, 0);
    g_assert_cmpstr(g.err, ==, "");
    g_assert_cmpint(g.last, ==, CAP_NEXT_END);
    g_assert_cmpuint(g.d->len, ==, 6);
    g_assert_cmpuint(got_at(&g, 0)->frame, ==, 1);
    g_assert_cmpint(got_at(&g, 0)->sec, ==, 1700000000);
    g_assert_cmpuint(got_at(&g, 0)->nsec, ==, 123456000u);
    g_assert_cmpuint(got_at(&g, 1)->frame, ==, 2);
    g_assert_cmpint(got_at(&g, 1)->sec, ==, 1700000001);
    g_assert_cmpuint(got_at(&g, 1)->nsec, ==, 987654321u);
    g_assert_cmpuint(got_at(&g, 2)->frame, ==, 4);  /* custom block is frame 3; SPB: no timestamp */
    g_assert_cmpint(got_at(&g, 2)->sec, ==, 0);
    g_assert_cmpuint(got_at(&g, 3)->frame, ==, 5);  /* PB on interface 1: ns */
    g_assert_cmpint(got_at(&g, 3)->sec, ==, 5);
    g_assert_cmpuint(got_at(&g, 4)->frame, ==, 6);  /* 2^-10 resolution */
    g_assert_cmpint(got_at(&g, 4)->sec, ==, 3);
    g_assert_cmpuint(got_at(&g, 4)->nsec, ==, 500000000u);
    g_assert_cmpuint(got_at(&g, 5)->frame, ==, 8);
    g_assert_cmpint(got_at(&g, 5)->sec, ==, 42);
    g_assert_cmpuint(got_at(&g, 5)->nsec, ==, 1000u);
    for (guint i = 0; i < 6; i++) check_payload(got_at(&g, i), 13, 48);
    g_assert_cmpuint(g.stats.frames, ==, 8);
    got_free(&g);
    tb_free(&t);
  }
}

static void test_pcapng_snaplen_spb(void) {
  tbuf t = tb_new(false);
  uint8_t frame[2048];
  size_t n = ntp_datagram(frame, false, 14, 68);
  png_shb(&t);
  png_idb(&t, 101, 60, -1);
  png_spb(&t, frame, (uint32_t)n, 60);  /* stored bytes cut by the snap length */
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 1);
  g_assert_cmpuint(got_at(&g, 0)->wirelen, ==, 68);
  g_assert_cmpuint(got_at(&g, 0)->caplen, ==, 60 - 28);
  got_free(&g);
  tb_free(&t);
}

/* Blocks we skip may be larger than the read buffer; packet blocks may not be absurd. */
static void test_pcapng_large_blocks(void) {
  uint8_t frame[2048];
  size_t n = ntp_datagram(frame, false, 17, 48);
  for (int k = 0; k < 3; k++) {
    tbuf t = tb_new(k == 1);
    png_shb(&t);
    png_idb(&t, 101, 0, -1);
    png_other(&t, 0x0000000a, 700000);  /* decryption secrets, 700 kB */
    if (k == 2) t.b->data[t.b->len - 2] ^= 0x10;  /* break the big block's trailing length */
    png_epb(&t, 0, 1, frame, (uint32_t)n, (uint32_t)n);
    png_epb(&t, 0, 1, frame, (uint32_t)n, (uint32_t)n);
    got g = read_memory(&t, NULL, 0);
    if (k < 2) {
      g_assert_cmpstr(g.err, ==, "");
      g_assert_cmpuint(g.d->len, ==, 2);
      g_assert_cmpuint(got_at(&g, 1)->frame, ==, 2);
      check_payload(got_at(&g, 1), 17, 48);
    } else {
      g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
      g_assert_nonnull(strstr(g.err, "mem.pcap: frame 1: corrupt pcapng block"));
    }
    got_free(&g);
    tb_free(&t);
  }
  /* an EPB claiming 2 MB */
  tbuf t = tb_new(false);
  png_shb(&t);
  png_idb(&t, 101, 0, -1);
  png_epb(&t, 0, 1, frame, (uint32_t)n, (uint32_t)n);
  tb_u32(&t, 6);
  tb_u32(&t, 2000000);
  for (int i = 0; i < 100; i++) tb_u32(&t, 0);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
  g_assert_cmpuint(g.d->len, ==, 1);
  g_assert_nonnull(strstr(g.err, "mem.pcap: frame 2: corrupt pcapng block (bad block length"));
  got_free(&g);
  tb_free(&t);
}

static void test_truncated_mid_record(void) {
  for (int ng = 0; ng < 2; ng++) {
    tbuf t = tb_new(false);
    uint8_t frame[2048];
    size_t n = ntp_datagram(frame, false, 15, 48);
    if (ng) {
      png_shb(&t);
      png_idb(&t, 101, 0, -1);
    } else {
      pcap_file_header(&t, false, 101, 65535);
    }
    for (int i = 0; i < 3; i++) {
      if (ng) png_epb(&t, 0, 1, frame, (uint32_t)n, (uint32_t)n);
      else pcap_record(&t, 1, 0, frame, (uint32_t)n, (uint32_t)n);
    }
    char *path = tmp_path(ng ? "cut.pcapng" : "cut.pcap");
    g_assert_true(g_file_set_contents(path, (const char *)t.b->data, (gssize)t.b->len - 30, NULL));
    cap_reader *r = cap_reader_create();
    nta_diag err;
    g_assert_cmpint(cap_reader_add_file(r, path, &err), ==, NTA_OK);
    got g = read_all(r);
    g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
    g_assert_cmpuint(g.d->len, ==, 2);
    if (ng) {
      g_assert_nonnull(strstr(g.err, ": frame 3: truncated record (header says "));
    } else {
      char *want = g_strdup_printf(
          "%s: frame 3: truncated record (header says %zu bytes, only %zu left)", path, n, n - 30);
      g_assert_cmpstr(g.err, ==, want);
      g_free(want);
    }
    /* the error stays */
    cap_datagram dg;
    g_assert_cmpint(cap_reader_next(r, &dg, &err), ==, CAP_NEXT_ERROR);
    g_assert_nonnull(strstr(err.msg, "frame 3"));
    cap_reader_destroy(r);
    got_free(&g);
    /* cut inside a record header */
    g_assert_true(g_file_set_contents(path, (const char *)t.b->data,
                                      (gssize)(ng ? 28 + 20 + 4 : 24 + 16 + n + 5), NULL));
    r = cap_reader_create();
    g_assert_cmpint(cap_reader_add_file(r, path, &err), ==, NTA_OK);
    g = read_all(r);
    g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
    g_assert_cmpuint(g.d->len, ==, ng ? 0 : 1);
    g_assert_nonnull(strstr(g.err, ng ? "frame 1: truncated" : "frame 2: truncated record header"));
    cap_reader_destroy(r);
    got_free(&g);
    g_free(path);
    tb_free(&t);
  }
}

static void test_bad_files(void) {
  nta_diag err;
  tbuf t = tb_new(false);
  tb_bytes(&t, "GIF89a-not-a-capture-at-all!", 28);
  got g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
  g_assert_cmpstr(g.err, ==, "mem.pcap: not a pcap or pcapng file (magic 0x47494638, looks like "
                             "text); supported: pcap and pcapng, plain or compressed with gzip, "
                             "zstd or lz4");
  got_free(&g);
  tb_free(&t);

  /* gzip magic and a cut stream: the decompressor's error, not a format guess */
  t = tb_new(false);
  tb_bytes(&t, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
  g_assert_nonnull(strstr(g.err, "mem.pcap: gzip data cut short"));
  got_free(&g);
  tb_free(&t);

  t = tb_new(false);
  g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
  g_assert_nonnull(strstr(g.err, "mem.pcap: empty file"));
  got_free(&g);
  tb_free(&t);

  t = tb_new(false);
  tb_u32(&t, 0xa1b2c3d4u);
  tb_u32(&t, 2);
  g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
  g_assert_nonnull(strstr(g.err, "truncated pcap file header"));
  got_free(&g);
  tb_free(&t);

  /* pcap record with an absurd captured length */
  t = tb_new(false);
  pcap_file_header(&t, false, 101, 65535);
  uint8_t frame[2048];
  size_t n = ntp_datagram(frame, false, 16, 48);
  pcap_record(&t, 1, 0, frame, (uint32_t)n, (uint32_t)n);
  tb_u32(&t, 1);
  tb_u32(&t, 0);
  tb_u32(&t, 0x7fffffff);
  tb_u32(&t, 0x7fffffff);
  g = read_memory(&t, NULL, 0);
  g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
  g_assert_cmpuint(g.d->len, ==, 1);
  g_assert_nonnull(strstr(g.err, "mem.pcap: frame 2: corrupt record header"));
  got_free(&g);
  tb_free(&t);

  /* pcapng: a block length that is not a multiple of 4, then one that disagrees at the end */
  for (int k = 0; k < 3; k++) {
    t = tb_new(false);
    png_shb(&t);
    png_idb(&t, 101, 0, -1);
    png_epb(&t, 0, 1, frame, (uint32_t)n, (uint32_t)n);
    size_t at = t.b->len;
    png_epb(&t, 0, 1, frame, (uint32_t)n, (uint32_t)n);
    if (k == 0) tb_put32_at(&t, at + 4, 13);
    if (k == 1) tb_put32_at(&t, t.b->len - 4, 16);
    if (k == 2) tb_put32_at(&t, at + 8, 7);  /* undefined interface */
    g = read_memory(&t, NULL, 0);
    g_assert_cmpint(g.last, ==, CAP_NEXT_ERROR);
    g_assert_cmpuint(g.d->len, ==, 1);
    g_assert_nonnull(strstr(g.err, "mem.pcap: frame 2: "));
    got_free(&g);
    tb_free(&t);
  }

  cap_reader *r = cap_reader_create();
  g_assert_cmpint(cap_reader_add_file(r, "/nonexistent/file.pcap", &err), ==, NTA_ERR_IO);
  g_assert_nonnull(strstr(err.msg, "/nonexistent/file.pcap"));
  cap_reader_destroy(r);
}

static char *write_file(const char *name, uint8_t seed, int count) {
  char *path = tmp_path(name);
  nta_diag err;
  cap_writer *w = cap_writer_open(path, CAP_LINK_ETHERNET, true, 0, 0, &err);
  g_assert_nonnull(w);
  uint8_t payload[48];
  nta_endpoint a = ep("127.0.0.1:40000"), b = ep("127.0.0.1:123");
  for (int i = 0; i < count; i++) {
    test_payload(payload, 48, (uint8_t)(seed + i));
    g_assert_cmpint(cap_writer_write_udp(w, 10 + i, 0, &a, &b, payload, 48, &err), ==, NTA_OK);
  }
  cap_writer_close(w);
  return path;
}

static void test_several_files_and_progress(void) {
  char *p1 = write_file("a.pcap", 1, 2), *p2 = write_file("b.pcap", 50, 3);
  cap_reader *r = cap_reader_create();
  nta_diag err;
  g_assert_cmpint(cap_reader_add_file(r, p1, &err), ==, NTA_OK);
  g_assert_cmpint(cap_reader_add_file(r, p2, &err), ==, NTA_OK);
  uint64_t done, total;
  cap_reader_progress(r, &done, &total);
  g_assert_cmpuint(done, ==, 0);
  g_assert_cmpuint(total, ==, 2 * 24 + 5 * (16 + 14 + 20 + 8 + 48));
  got g = read_all(r);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 5);
  for (guint i = 0; i < 5; i++) {
    g_assert_cmpuint(got_at(&g, i)->frame, ==, i + 1);
    g_assert_cmpstr(got_at(&g, i)->file, ==, i < 2 ? p1 : p2);
    check_payload(got_at(&g, i), (uint8_t)(i < 2 ? 1 + i : 50 + i - 2), 48);
  }
  cap_reader_progress(r, &done, &total);
  g_assert_cmpuint(done, ==, total);
  g_assert_cmpuint(g.stats.bytes, ==, total);
  got_free(&g);
  cap_reader_destroy(r);
  g_free(p1);
  g_free(p2);
}

static void test_stdin(void) {
  char *p1 = write_file("in.pcap", 7, 3), *p2 = write_file("after.pcap", 90, 1);
  int saved = dup(STDIN_FILENO);
  int fd = open(p1, O_RDONLY);
  g_assert_cmpint(fd, >=, 0);
  g_assert_cmpint(dup2(fd, STDIN_FILENO), ==, STDIN_FILENO);
  close(fd);
  cap_reader *r = cap_reader_create();
  nta_diag err;
  g_assert_cmpint(cap_reader_add_file(r, "-", &err), ==, NTA_OK);
  g_assert_cmpint(cap_reader_add_file(r, p2, &err), ==, NTA_OK);
  got g = read_all(r);
  uint64_t done, total;
  cap_reader_progress(r, &done, &total);
  cap_reader_destroy(r);
  dup2(saved, STDIN_FILENO);
  close(saved);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 4);
  g_assert_cmpstr(got_at(&g, 0)->file, ==, "-");
  g_assert_cmpuint(got_at(&g, 3)->frame, ==, 4);
  check_payload(got_at(&g, 2), 9, 48);
  g_assert_cmpuint(total, ==, 0);  /* unknown with stdin */
  got_free(&g);
  g_free(p1);
  g_free(p2);
}

static void test_interrupt(void) {
  char *p = write_file("int.pcap", 1, 5);
  cap_reader *r = cap_reader_create();
  nta_diag err;
  g_assert_cmpint(cap_reader_add_file(r, p, &err), ==, NTA_OK);
  cap_datagram dg;
  g_assert_cmpint(cap_reader_next(r, &dg, &err), ==, CAP_NEXT_DATAGRAM);
  cap_reader_interrupt(r);
  g_assert_cmpint(cap_reader_next(r, &dg, &err), ==, CAP_NEXT_END);
  cap_reader_destroy(r);
  g_free(p);
}

/* Live capture needs an interface: run in a private network namespace on its loopback. */
static void test_live_errors(void) {
  cap_reader *r = cap_reader_create();
  nta_diag err;
  nta_status st = cap_reader_open_live(r, "no-such-interface0", NULL, &err);
  g_assert_cmpint(st, !=, NTA_OK);
  g_assert_nonnull(strstr(err.msg, "no-such-interface0"));
  cap_reader_destroy(r);
  r = cap_reader_create();
  char *p = write_file("live.pcap", 1, 1);
  g_assert_cmpint(cap_reader_add_file(r, p, &err), ==, NTA_OK);
  g_assert_cmpint(cap_reader_open_live(r, "lo", NULL, &err), ==, NTA_ERR_ARG);
  cap_reader_destroy(r);
  g_free(p);
}

static cap_reader *alarm_reader;
static void on_alarm(int sig) {
  (void)sig;
  cap_reader_interrupt(alarm_reader);
}

static int send_udp(uint16_t port, int count) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  uint8_t payload[48] = {0x23};
  for (int i = 0; i < count; i++) {
    payload[47] = (uint8_t)i;
    if (sendto(fd, payload, sizeof payload, 0, (struct sockaddr *)&to, sizeof to) != 48) {
      close(fd);
      return -1;
    }
  }
  close(fd);
  return 0;
}

/* Runs in a child inside its own network namespace: capture on its loopback with a BPF
 * filter, then a SIGALRM-driven interrupt of a blocked read. Returns a failure code. */
static int live_child(void) {
  if (unshare(CLONE_NEWNET) != 0) return 10;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  g_strlcpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name);
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return 11;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return 12;
  close(s);
  cap_reader *r = cap_reader_create();
  nta_diag err;
  uint16_t ports[] = {123, 5555};
  cap_reader_set_ports(r, ports, 2, &err);
  if (cap_reader_open_live(r, "lo", "udp and (port 123 or port 4444)", &err) != NTA_OK) {
    fprintf(stderr, "open_live: %s\n", err.msg);
    return 13;
  }
  /* 5555 is a selected port but the BPF filter keeps it out; 4444 passes BPF, not the ports */
  if (send_udp(5555, 3) || send_udp(4444, 3) || send_udp(123, 5)) return 14;
  int got123 = 0;
  cap_datagram dg;
  for (int i = 0; i < 5; i++) {
    alarm(5);  /* bounded: a lost packet fails instead of hanging */
    alarm_reader = r;
    signal(SIGALRM, on_alarm);
    cap_next_status st = cap_reader_next(r, &dg, &err);
    alarm(0);
    if (st != CAP_NEXT_DATAGRAM) {
      fprintf(stderr, "live read %d: status %d %s\n", i, st, st == CAP_NEXT_ERROR ? err.msg : "");
      return 15;
    }
    if (dg.dst.port != 123 || dg.wire_len != 48 || dg.payload[47] != i || strcmp(dg.file, "lo"))
      return 16;
    got123++;
  }
  /* nothing more arrives: the interrupt from the signal handler ends the blocked read */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  alarm(1);
  cap_next_status st = cap_reader_next(r, &dg, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (st != CAP_NEXT_END) {
    fprintf(stderr, "after interrupt: status %d (dst port %u)\n", st, dg.dst.port);
    return 17;
  }
  if (t1.tv_sec - t0.tv_sec > 4) return 18;
  const cap_stats *stats = cap_reader_stats(r);
  if (stats->frames < 8 || stats->datagrams != 5) return 19;
  cap_reader_destroy(r);
  return got123 == 5 ? 0 : 20;
}

static void test_live_loopback(void) {
  if (geteuid() != 0)
    g_error("live capture test needs root (CAP_NET_ADMIN/CAP_NET_RAW) for a private namespace");
  pid_t pid = fork();
  g_assert_cmpint(pid, >=, 0);
  if (pid == 0) _exit(live_child());
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("capture-reader-XXXXXX", NULL);
  g_assert_nonnull(tmpdir);
  g_test_add_func("/capture/reader/link/ethernet", test_link_ethernet);
  g_test_add_func("/capture/reader/link/vlan_qinq", test_link_vlan);
  g_test_add_func("/capture/reader/link/sll", test_link_sll);
  g_test_add_func("/capture/reader/link/sll2", test_link_sll2);
  g_test_add_func("/capture/reader/link/raw", test_link_raw);
  g_test_add_func("/capture/reader/link/ipv6", test_link_ipv6_only);
  g_test_add_func("/capture/reader/link/null_loop", test_link_null_loop);
  g_test_add_func("/capture/reader/link/unknown_and_garbage", test_unknown_link_and_garbage);
  g_test_add_func("/capture/reader/ports", test_ports);
  g_test_add_func("/capture/reader/ipv6_extension_headers", test_ipv6_extension_headers);
  g_test_add_func("/capture/reader/ipv4_options", test_ipv4_options);
  g_test_add_func("/capture/reader/ipv4_fragments", test_ipv4_fragments);
  g_test_add_func("/capture/reader/fragment_timeout_snaplen", test_fragment_no_timeout_and_snaplen);
  g_test_add_func("/capture/reader/fragment_table_bound", test_fragment_table_bound);
  g_test_add_func("/capture/reader/ipv6_fragments", test_ipv6_fragments);
  g_test_add_func("/capture/reader/fragment_edge_cases", test_fragment_edge_cases);
  g_test_add_func("/capture/reader/odd_headers", test_odd_headers);
  g_test_add_func("/capture/reader/extreme_timestamps", test_extreme_timestamps);
  g_test_add_func("/capture/reader/snaplen_cut", test_snaplen_cut);
  g_test_add_func("/capture/reader/pcap_orders_precision", test_pcap_byte_orders_and_precision);
  g_test_add_func("/capture/reader/pcapng", test_pcapng);
  g_test_add_func("/capture/reader/pcapng_spb_snaplen", test_pcapng_snaplen_spb);
  g_test_add_func("/capture/reader/pcapng_large_blocks", test_pcapng_large_blocks);
  g_test_add_func("/capture/reader/truncated", test_truncated_mid_record);
  g_test_add_func("/capture/reader/bad_files", test_bad_files);
  g_test_add_func("/capture/reader/several_files", test_several_files_and_progress);
  g_test_add_func("/capture/reader/stdin", test_stdin);
  g_test_add_func("/capture/reader/interrupt", test_interrupt);
  g_test_add_func("/capture/reader/live_errors", test_live_errors);
  g_test_add_func("/capture/reader/live_loopback", test_live_loopback);
  int rc = g_test_run();
  char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) rc = rc ? rc : 1;
  g_free(cmd);
  g_free(tmpdir);
  return rc;
}
