/* ntpauth/bytes.h - bounds-checked big-endian byte readers and writers (tcpdump style).
 *
 * Every read of packet bytes goes through these helpers. A read past the end sets `err`, returns
 * zero and leaves the cursor at the end, so a parser can do several reads and check once. */
#ifndef NTPAUTH_BYTES_H
#define NTPAUTH_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
  const uint8_t *data;
  size_t len;
  size_t off;
  bool err;
} nta_reader;

static inline void nta_rd_init(nta_reader *r, const uint8_t *data, size_t len) {
  r->data = data; r->len = len; r->off = 0; r->err = false;
}
static inline size_t nta_rd_remaining(const nta_reader *r) { return r->len - r->off; }
static inline bool nta_rd_can(nta_reader *r, size_t n) {
  if (r->err || n > r->len - r->off) { r->err = true; r->off = r->len; return false; }
  return true;
}
static inline uint8_t nta_rd_u8(nta_reader *r) {
  return nta_rd_can(r, 1) ? r->data[r->off++] : 0;
}
static inline uint16_t nta_rd_u16(nta_reader *r) {
  if (!nta_rd_can(r, 2)) return 0;
  const uint8_t *p = r->data + r->off; r->off += 2;
  return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t nta_rd_u32(nta_reader *r) {
  if (!nta_rd_can(r, 4)) return 0;
  const uint8_t *p = r->data + r->off; r->off += 4;
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t nta_rd_u64(nta_reader *r) {
  uint64_t hi = nta_rd_u32(r);
  return (hi << 32) | nta_rd_u32(r);
}
static inline bool nta_rd_skip(nta_reader *r, size_t n) {
  if (!nta_rd_can(r, n)) return false;
  r->off += n; return true;
}
/* Copies n bytes; on a short buffer fills `out` with zeros and sets err. */
static inline bool nta_rd_copy(nta_reader *r, void *out, size_t n) {
  if (!nta_rd_can(r, n)) { memset(out, 0, n); return false; }
  memcpy(out, r->data + r->off, n); r->off += n; return true;
}
/* Peeks without moving; returns 0 and sets err when out of range. */
static inline uint32_t nta_rd_peek_u32_at(nta_reader *r, size_t at) {
  if (r->err || at > r->len || r->len - at < 4) { r->err = true; return 0; }
  const uint8_t *p = r->data + at;
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

typedef struct {
  uint8_t *data;
  size_t cap;
  size_t off;
  bool err;
} nta_writer;

static inline void nta_wr_init(nta_writer *w, uint8_t *data, size_t cap) {
  w->data = data; w->cap = cap; w->off = 0; w->err = false;
}
static inline bool nta_wr_can(nta_writer *w, size_t n) {
  if (w->err || n > w->cap - w->off) { w->err = true; return false; }
  return true;
}
static inline void nta_wr_u8(nta_writer *w, uint8_t v) { if (nta_wr_can(w, 1)) w->data[w->off++] = v; }
static inline void nta_wr_u16(nta_writer *w, uint16_t v) {
  if (!nta_wr_can(w, 2)) return;
  w->data[w->off++] = (uint8_t)(v >> 8); w->data[w->off++] = (uint8_t)v;
}
static inline void nta_wr_u32(nta_writer *w, uint32_t v) {
  if (!nta_wr_can(w, 4)) return;
  for (int s = 24; s >= 0; s -= 8) w->data[w->off++] = (uint8_t)(v >> s);
}
static inline void nta_wr_u64(nta_writer *w, uint64_t v) {
  nta_wr_u32(w, (uint32_t)(v >> 32)); nta_wr_u32(w, (uint32_t)v);
}
static inline void nta_wr_bytes(nta_writer *w, const void *src, size_t n) {
  if (!nta_wr_can(w, n)) return;
  memcpy(w->data + w->off, src, n); w->off += n;
}

#endif
