/* capture_test_util.h - building capture files byte by byte and reading them back, for the
 * capture library's tests (any byte order, any link type, pcapng blocks of every kind). */
#ifndef CAPTURE_TEST_UTIL_H
#define CAPTURE_TEST_UTIL_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "capture/reader.h"
#include "capture/writer.h"

typedef struct {
  GByteArray *b;
  bool be;
} tbuf;

static inline tbuf tb_new(bool big_endian) { return (tbuf){g_byte_array_new(), big_endian}; }
static inline void tb_free(tbuf *t) { g_byte_array_free(t->b, TRUE); }
static inline void tb_bytes(tbuf *t, const void *p, size_t n) {
  g_byte_array_append(t->b, p, (guint)n);
}
static inline void tb_u8(tbuf *t, uint8_t v) { tb_bytes(t, &v, 1); }
static inline void tb_u16(tbuf *t, uint16_t v) {
  uint8_t x[2] = {(uint8_t)(t->be ? v >> 8 : v), (uint8_t)(t->be ? v : v >> 8)};
  tb_bytes(t, x, 2);
}
static inline void tb_u32(tbuf *t, uint32_t v) {
  uint8_t x[4];
  for (int i = 0; i < 4; i++) x[t->be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
  tb_bytes(t, x, 4);
}
static inline void tb_pad4(tbuf *t) {
  while (t->b->len % 4) tb_u8(t, 0);
}
static inline void tb_put32_at(tbuf *t, size_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) t->b->data[at + (t->be ? 3 - i : i)] = (uint8_t)(v >> (8 * i));
}

/* pcap */
static inline void pcap_file_header(tbuf *t, bool nsec, uint32_t linktype, uint32_t snaplen) {
  tb_u32(t, nsec ? 0xa1b23c4du : 0xa1b2c3d4u);
  tb_u16(t, 2);
  tb_u16(t, 4);
  tb_u32(t, 0);
  tb_u32(t, 0);
  tb_u32(t, snaplen);
  tb_u32(t, linktype);
}
static inline void pcap_record(tbuf *t, uint32_t sec, uint32_t frac, const uint8_t *data,
                               uint32_t caplen, uint32_t wirelen) {
  tb_u32(t, sec);
  tb_u32(t, frac);
  tb_u32(t, caplen);
  tb_u32(t, wirelen);
  tb_bytes(t, data, caplen);
}

/* pcapng: each block builder writes type, length, body, length. */
static inline size_t png_begin(tbuf *t, uint32_t type) {
  size_t at = t->b->len;
  tb_u32(t, type);
  tb_u32(t, 0);
  return at;
}
static inline void png_end(tbuf *t, size_t at) {
  tb_pad4(t);
  uint32_t len = (uint32_t)(t->b->len - at + 4);
  tb_put32_at(t, at + 4, len);
  tb_u32(t, len);
}
static inline void png_shb(tbuf *t) {
  size_t at = png_begin(t, 0x0a0d0d0au);
  tb_u32(t, 0x1a2b3c4du);
  tb_u16(t, 1);
  tb_u16(t, 0);
  tb_u32(t, 0xffffffffu);
  tb_u32(t, 0xffffffffu);
  png_end(t, at);
}
/* tsresol < 0: no option (microseconds). */
static inline void png_idb(tbuf *t, uint16_t linktype, uint32_t snaplen, int tsresol) {
  size_t at = png_begin(t, 1);
  tb_u16(t, linktype);
  tb_u16(t, 0);
  tb_u32(t, snaplen);
  /* an unrelated option first (if_name), to exercise option walking */
  tb_u16(t, 2);
  tb_u16(t, 3);
  tb_bytes(t, "lo0", 3);
  tb_pad4(t);
  if (tsresol >= 0) {
    tb_u16(t, 9);
    tb_u16(t, 1);
    tb_u8(t, (uint8_t)tsresol);
    tb_pad4(t);
  }
  tb_u16(t, 0);
  tb_u16(t, 0);
  png_end(t, at);
}
static inline void png_epb(tbuf *t, uint32_t ifid, uint64_t ts, const uint8_t *data,
                           uint32_t caplen, uint32_t wirelen) {
  size_t at = png_begin(t, 6);
  tb_u32(t, ifid);
  tb_u32(t, (uint32_t)(ts >> 32));
  tb_u32(t, (uint32_t)ts);
  tb_u32(t, caplen);
  tb_u32(t, wirelen);
  tb_bytes(t, data, caplen);
  tb_pad4(t);
  /* opt_comment, then end of options */
  tb_u16(t, 1);
  tb_u16(t, 2);
  tb_bytes(t, "hi", 2);
  tb_pad4(t);
  tb_u16(t, 0);
  tb_u16(t, 0);
  png_end(t, at);
}
static inline void png_spb(tbuf *t, const uint8_t *data, uint32_t wirelen, uint32_t stored) {
  size_t at = png_begin(t, 3);
  tb_u32(t, wirelen);
  tb_bytes(t, data, stored);
  png_end(t, at);
}
static inline void png_pb(tbuf *t, uint16_t ifid, uint64_t ts, const uint8_t *data,
                          uint32_t caplen, uint32_t wirelen) {
  size_t at = png_begin(t, 2);
  tb_u16(t, ifid);
  tb_u16(t, 0);
  tb_u32(t, (uint32_t)(ts >> 32));
  tb_u32(t, (uint32_t)ts);
  tb_u32(t, caplen);
  tb_u32(t, wirelen);
  tb_bytes(t, data, caplen);
  png_end(t, at);
}
static inline void png_other(tbuf *t, uint32_t type, size_t body) {
  size_t at = png_begin(t, type);
  for (size_t i = 0; i < body; i++) tb_u8(t, 0);  /* zeros: valid for NRB, ISB, DSB, custom */
  png_end(t, at);
}

/* Frames */
static inline nta_endpoint ep(const char *text) {
  nta_endpoint e;
  g_assert_true(cap_endpoint_parse(text, 123, &e));
  return e;
}

/* A 48-byte NTP-like payload with a recognisable pattern. */
static inline void test_payload(uint8_t *p, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(seed + i * 7);
}

/* IPv4 header (no options) before `payload_len` bytes; returns 20. */
static inline size_t ipv4_header(uint8_t *out, const nta_endpoint *s, const nta_endpoint *d,
                                 uint8_t proto, uint16_t id, uint16_t frag_field,
                                 size_t payload_len) {
  size_t total = 20 + payload_len;
  uint8_t h[20] = {0x45, 0, (uint8_t)(total >> 8), (uint8_t)total, (uint8_t)(id >> 8),
                   (uint8_t)id, (uint8_t)(frag_field >> 8), (uint8_t)frag_field, 64, proto};
  memcpy(h + 12, s->addr, 4);
  memcpy(h + 16, d->addr, 4);
  uint16_t c = cap_inet_checksum(h, 20);
  h[10] = (uint8_t)(c >> 8);
  h[11] = (uint8_t)c;
  memcpy(out, h, 20);
  return 20;
}

typedef struct {
  uint64_t frame;
  int64_t sec;
  uint32_t nsec;
  nta_endpoint src, dst;
  uint8_t payload[2048];
  uint32_t caplen, wirelen;
  bool reassembled;
  bool unusable;
  char note[160];
  char file[256];
} got_dgram;

typedef struct {
  GArray *d;  /* got_dgram */
  cap_next_status last;
  char err[NTA_DIAG_MSG_MAX];
  cap_stats stats;
} got;

static inline void got_free(got *g) { g_array_free(g->d, TRUE); }

static inline got read_all(cap_reader *r) {
  got g = {g_array_new(FALSE, TRUE, sizeof(got_dgram)), CAP_NEXT_END, "", {0}};
  cap_datagram dg;
  nta_diag err = {""};
  for (int guard = 0; guard < 100000; guard++) {
    g.last = cap_reader_next(r, &dg, &err);
    if (g.last != CAP_NEXT_DATAGRAM) break;
    got_dgram x;
    memset(&x, 0, sizeof x);
    x.frame = dg.frame;
    x.sec = dg.ts_sec;
    x.nsec = dg.ts_nsec;
    x.src = dg.src;
    x.dst = dg.dst;
    g_assert_cmpuint(dg.captured_len, <=, dg.wire_len);
    g_assert_cmpuint(dg.captured_len, <=, sizeof x.payload);
    memcpy(x.payload, dg.payload, dg.captured_len);
    x.caplen = dg.captured_len;
    x.wirelen = dg.wire_len;
    x.reassembled = dg.reassembled;
    x.unusable = dg.unusable;
    if (dg.note) g_strlcpy(x.note, dg.note, sizeof x.note);
    g_strlcpy(x.file, dg.file, sizeof x.file);
    g_array_append_val(g.d, x);
  }
  if (g.last == CAP_NEXT_ERROR) g_strlcpy(g.err, err.msg, sizeof g.err);
  g.stats = *cap_reader_stats(r);
  return g;
}

static inline got read_memory(const tbuf *t, const uint16_t *ports, size_t nports) {
  cap_reader *r = cap_reader_create();
  g_assert_nonnull(r);
  nta_diag err;
  if (ports) g_assert_cmpint(cap_reader_set_ports(r, ports, nports, &err), ==, NTA_OK);
  g_assert_cmpint(cap_reader_add_memory(r, "mem.pcap", t->b->data, t->b->len, &err), ==, NTA_OK);
  got g = read_all(r);
  cap_reader_destroy(r);
  return g;
}

static inline got_dgram *got_at(got *g, guint i) {
  g_assert_cmpuint(i, <, g->d->len);
  return &g_array_index(g->d, got_dgram, i);
}

#endif
