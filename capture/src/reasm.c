/* reasm.c - IPv4 and IPv6 fragment reassembly with bounded memory.
 *
 * At most CAP_REASM_MAX_PENDING datagrams of at most 64 KiB each are pending; the oldest is
 * evicted when the table is full and entries older than CAP_REASM_TIMEOUT_SEC (capture time)
 * expire. Coverage is tracked in 8-byte units (fragment offsets are multiples of 8). A fragment
 * that overlaps another with different bytes drops the whole datagram (RFC 5722 for IPv6; the
 * same rule for IPv4 keeps overlap tricks from hiding bytes); an exact duplicate is ignored. */
#include "capture_internal.h"

#include <stdlib.h>
#include <string.h>

#define UNITS (65536 / 8)
#define MAP_BYTES (UNITS / 8)

struct buffers {
  uint8_t data[CAP_REASM_MAX_BYTES];
  uint8_t wire_map[MAP_BYTES];  /* units covered on the wire */
  uint8_t data_map[MAP_BYTES];  /* units whose bytes were captured */
};

typedef struct {
  bool used;
  uint8_t family;
  uint8_t key_proto;        /* IPv4: part of the key; IPv6: 0 */
  int16_t proto;            /* protocol of the offset-0 fragment, -1 until seen */
  uint8_t src[16], dst[16];
  uint32_t id;
  int64_t first_ts;
  uint64_t seq;             /* arrival order, for eviction */
  uint32_t total;           /* known once the last fragment arrived */
  bool have_last;
  struct buffers *buf;      /* allocated on first use, kept for reuse */
} entry;

struct cap_reasm {
  entry slots[CAP_REASM_MAX_PENDING];
  int done_slot;            /* completed entry handed out, released on the next add */
  uint64_t seq;
  uint64_t dropped;
  uint64_t invalid;
};

cap_reasm *cap_reasm_create(void) {
  cap_reasm *ra = calloc(1, sizeof *ra);
  if (ra) ra->done_slot = -1;
  return ra;
}

void cap_reasm_destroy(cap_reasm *ra) {
  if (!ra) return;
  for (int i = 0; i < CAP_REASM_MAX_PENDING; i++) free(ra->slots[i].buf);
  free(ra);
}

uint64_t cap_reasm_dropped(const cap_reasm *ra) { return ra->dropped; }
uint64_t cap_reasm_invalid(const cap_reasm *ra) { return ra->invalid; }

static void release(entry *e) {
  e->used = false;
}

static inline bool bit(const uint8_t *map, uint32_t u) { return (map[u >> 3] >> (u & 7)) & 1; }
static inline void set_bit(uint8_t *map, uint32_t u) { map[u >> 3] |= (uint8_t)(1u << (u & 7)); }

static bool key_matches(const entry *e, const cap_fragment *f, size_t alen) {
  return e->used && e->family == f->family && e->id == f->id &&
         e->key_proto == (f->family == 4 ? f->proto : 0) && memcmp(e->src, f->src, alen) == 0 &&
         memcmp(e->dst, f->dst, alen) == 0;
}

static entry *find_or_create(cap_reasm *ra, const cap_fragment *f) {
  size_t alen = f->family == 4 ? 4 : 16;
  entry *free_slot = NULL, *oldest = NULL;
  for (int i = 0; i < CAP_REASM_MAX_PENDING; i++) {
    entry *e = &ra->slots[i];
    /* Capture times can be anything (pcapng if_tsoffset): compare without a signed overflow. */
    if (e->used && f->ts_sec > e->first_ts &&
        (uint64_t)f->ts_sec - (uint64_t)e->first_ts > CAP_REASM_TIMEOUT_SEC) {
      release(e);
      ra->dropped++;
    }
    if (key_matches(e, f, alen)) return e;
    if (!e->used) {
      if (!free_slot) free_slot = e;
    } else if (!oldest || e->seq < oldest->seq) {
      oldest = e;
    }
  }
  entry *e = free_slot;
  if (!e) {
    e = oldest;
    ra->dropped++;
  }
  if (!e->buf) {
    e->buf = malloc(sizeof *e->buf);
    if (!e->buf) {
      e->used = false;
      return NULL;
    }
  }
  e->used = true;
  e->family = f->family;
  e->key_proto = f->family == 4 ? f->proto : 0;
  e->proto = -1;
  memset(e->src, 0, sizeof e->src);
  memset(e->dst, 0, sizeof e->dst);
  memcpy(e->src, f->src, alen);
  memcpy(e->dst, f->dst, alen);
  e->id = f->id;
  e->first_ts = f->ts_sec;
  e->seq = ++ra->seq;
  e->total = 0;
  e->have_last = false;
  memset(e->buf->wire_map, 0, sizeof e->buf->wire_map);
  memset(e->buf->data_map, 0, sizeof e->buf->data_map);
  return e;
}

static bool all_set(const uint8_t *map, uint32_t units) {
  uint32_t full = units / 8;
  for (uint32_t i = 0; i < full; i++)
    if (map[i] != 0xff) return false;
  for (uint32_t u = full * 8; u < units; u++)
    if (!bit(map, u)) return false;
  return true;
}

/* Captured bytes from offset 0 without a gap. */
static uint32_t captured_prefix(const entry *e) {
  uint32_t units = (e->total + 7) / 8, u = 0;
  while (u < units && bit(e->buf->data_map, u)) u++;
  uint32_t bytes = u * 8;
  return bytes < e->total ? bytes : e->total;
}

/* Whether the new fragment repeats bytes already held (same range, same captured bytes). */
static bool is_duplicate(const entry *e, const cap_fragment *f, uint32_t first, uint32_t last) {
  for (uint32_t u = first; u < last; u++)
    if (!bit(e->buf->wire_map, u)) return false;
  uint32_t cmp = f->caplen;
  for (uint32_t u = first; u < last; u++) {
    uint32_t lo = u * 8 - f->offset;
    if (lo >= cmp) break;
    if (!bit(e->buf->data_map, u)) return false;
  }
  return memcmp(e->buf->data + f->offset, f->data, cmp) == 0;
}

bool cap_reasm_add(cap_reasm *ra, const cap_fragment *f, cap_reassembled *out) {
  if (ra->done_slot >= 0) {
    release(&ra->slots[ra->done_slot]);
    ra->done_slot = -1;
  }
  uint64_t end = (uint64_t)f->offset + f->wirelen;
  /* Non-final fragments carry whole 8-byte units; nothing may reach past 64 KiB. */
  if (end > CAP_REASM_MAX_BYTES || (f->more && (f->wirelen % 8 != 0 || f->wirelen == 0)) ||
      f->caplen > f->wirelen) {
    ra->invalid++;
    return false;
  }
  entry *e = find_or_create(ra, f);
  if (!e) return false;
  if ((e->have_last && end > e->total) || (!f->more && (e->have_last ? end != e->total : false))) {
    release(e);
    ra->invalid++;
    return false;
  }
  uint32_t first = f->offset / 8, last = (uint32_t)((end + 7) / 8);
  bool overlap = false;
  for (uint32_t u = first; u < last && !overlap; u++) overlap = bit(e->buf->wire_map, u);
  if (overlap) {
    if (is_duplicate(e, f, first, last)) return false;
    release(e);
    ra->invalid++;
    return false;
  }
  if (!f->more) {
    /* The end must not cut below bytes other fragments already placed. */
    for (uint32_t u = last; u < UNITS; u++)
      if (bit(e->buf->wire_map, u)) {
        release(e);
        ra->invalid++;
        return false;
      }
    e->total = (uint32_t)end;
    e->have_last = true;
  }
  memcpy(e->buf->data + f->offset, f->data, f->caplen);
  for (uint32_t u = first; u < last; u++) {
    set_bit(e->buf->wire_map, u);
    uint64_t unit_end = (uint64_t)(u + 1) * 8;
    if (unit_end > end) unit_end = end;
    if (unit_end <= (uint64_t)f->offset + f->caplen) set_bit(e->buf->data_map, u);
  }
  if (f->offset == 0) e->proto = f->proto;
  if (!e->have_last || !all_set(e->buf->wire_map, (e->total + 7) / 8)) return false;
  out->proto = (uint8_t)(e->proto < 0 ? 0 : e->proto);
  out->data = e->buf->data;
  out->wirelen = e->total;
  out->caplen = captured_prefix(e);
  ra->done_slot = (int)(e - ra->slots);
  return true;
}
