/* reasm.c - IPv4 and IPv6 fragment reassembly with bounded memory.
 *
 * The policy is Wireshark's, so that ntpauth-analyze and the Wireshark plugin (which sees
 * Wireshark's reassembly) report the same datagrams on the same frames:
 * - no timeout: fragments wait however far apart they are (Wireshark keeps them for the whole
 *   file); memory is bounded instead: at most CAP_REASM_MAX_PENDING datagrams of at most 64 KiB
 *   are pending and the oldest is evicted when the table is full;
 * - overlapping fragments are accepted: where their bytes differ, the bytes of the fragment with
 *   the lower offset stay (an exact duplicate changes nothing);
 * - a fragment reaching past the end that the last fragment set is ignored, and so are bytes
 *   other fragments placed past that end; two last fragments with different ends leave the
 *   datagram incomplete.
 * Coverage is tracked in 8-byte units (fragment offsets are multiples of 8). */
#include "capture_internal.h"

#include <stdlib.h>
#include <string.h>

#define UNITS (65536 / 8)
#define MAP_BYTES (UNITS / 8)

struct buffers {
  uint8_t data[CAP_REASM_MAX_BYTES];
  uint8_t wire_map[MAP_BYTES];  /* units covered on the wire */
  uint8_t data_map[MAP_BYTES];  /* units whose bytes were captured */
  uint16_t owner[UNITS];        /* offset / 8 of the fragment whose bytes fill each unit */
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

/* Places the fragment's bytes: into units nobody filled yet, and over units filled by a fragment
 * with a higher offset (the lower offset's bytes stay where fragments overlap). */
static void place(entry *e, const cap_fragment *f, uint32_t first, uint32_t last, uint64_t end) {
  uint16_t me = (uint16_t)(f->offset / 8);
  uint64_t cap_end = (uint64_t)f->offset + f->caplen;
  for (uint32_t u = first; u < last; u++) {
    if (bit(e->buf->wire_map, u) && e->buf->owner[u] <= me) continue;
    uint64_t lo = (uint64_t)u * 8, hi = lo + 8 < end ? lo + 8 : end;
    set_bit(e->buf->wire_map, u);
    e->buf->owner[u] = me;
    if (hi <= cap_end) {
      memcpy(e->buf->data + lo, f->data + (lo - f->offset), (size_t)(hi - lo));
      set_bit(e->buf->data_map, u);
    } else {
      e->buf->data_map[u >> 3] &= (uint8_t)~(1u << (u & 7));
      if (lo < cap_end) memcpy(e->buf->data + lo, f->data + (lo - f->offset), (size_t)(cap_end - lo));
    }
  }
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
  if (!f->more && e->have_last && end != e->total) {
    release(e);   /* two different ends: the datagram can never be complete */
    ra->invalid++;
    return false;
  }
  if (e->have_last && end > e->total) {
    ra->invalid++;   /* past the end: ignored, the datagram stays */
    return false;
  }
  if (!f->more) {
    e->total = (uint32_t)end;
    e->have_last = true;
  }
  place(e, f, f->offset / 8, (uint32_t)((end + 7) / 8), end);
  if (f->offset == 0) e->proto = f->proto;
  if (!e->have_last || !all_set(e->buf->wire_map, (e->total + 7) / 8)) return false;
  out->proto = (uint8_t)(e->proto < 0 ? 0 : e->proto);
  out->data = e->buf->data;
  out->wirelen = e->total;
  out->caplen = captured_prefix(e);
  ra->done_slot = (int)(e - ra->slots);
  return true;
}
