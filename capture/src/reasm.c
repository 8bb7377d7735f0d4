/* reasm.c - IPv4 and IPv6 fragment reassembly with bounded memory.
 *
 * The policy is Wireshark's, so that ntpauth-analyze and the Wireshark plugin (which sees
 * Wireshark's reassembly) report the same datagrams on the same frames:
 * - no timeout: fragments wait however far apart they are (Wireshark keeps them for the whole
 *   file); memory is bounded instead: at most CAP_REASM_MAX_PENDING datagrams of at most 64 KiB
 *   are pending and the oldest is evicted when the table is full;
 * - overlapping fragments are accepted: where their bytes differ, the bytes of the fragment with
 *   the lower offset stay (an exact duplicate changes nothing);
 * - the first last fragment (MF clear) sets the datagram's end: bytes any fragment places past
 *   it are dropped (the rest of that fragment counts), and a later last fragment with another
 *   end is an ordinary fragment.
 * Coverage is tracked in 8-byte units (fragment offsets are multiples of 8).
 *
 * A datagram that can no longer complete (evicted, two different ends, or pending when input
 * ends) is reported fragment by fragment, so that each of its frames to the NTP port still gets a
 * line: the frames of every fragment that joined it are kept with the entry, and the ports come
 * from its offset-0 fragment (without it nobody can tell whether the datagram was NTP). */
#include "capture_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNITS (65536 / 8)
#define MAP_BYTES (UNITS / 8)
/* Frames remembered per pending datagram: one per 8-byte unit plus room for duplicates. */
#define MAX_FRAMES (UNITS + 64)
#define TEXT_OF(x) #x
#define TEXT(x) TEXT_OF(x)
#define PENDING_TEXT TEXT(CAP_REASM_MAX_PENDING)

typedef struct {
  uint64_t frame;
  int64_t ts_sec;
  uint32_t ts_nsec;
} frame_ref;

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
  bool have_ports;          /* the offset-0 fragment showed a UDP header */
  uint16_t sport, dport;
  struct buffers *buf;      /* allocated on first use, kept for reuse */
  frame_ref *frames;        /* the fragments' frames, in arrival order (kept for reuse) */
  uint32_t n_frames, cap_frames;
} entry;

struct cap_reasm {
  entry slots[CAP_REASM_MAX_PENDING];
  int done_slot;            /* completed entry handed out, released on the next add */
  uint64_t seq;
  uint64_t dropped;
  uint64_t invalid;
  cap_unfinished *queue;    /* reports not yet taken: queue[head..n) */
  size_t head, n, cap;
};

cap_reasm *cap_reasm_create(void) {
  cap_reasm *ra = calloc(1, sizeof *ra);
  if (ra) ra->done_slot = -1;
  return ra;
}

void cap_reasm_destroy(cap_reasm *ra) {
  if (!ra) return;
  for (int i = 0; i < CAP_REASM_MAX_PENDING; i++) {
    free(ra->slots[i].buf);
    free(ra->slots[i].frames);
  }
  free(ra->queue);
  free(ra);
}

uint64_t cap_reasm_dropped(const cap_reasm *ra) { return ra->dropped; }
uint64_t cap_reasm_invalid(const cap_reasm *ra) { return ra->invalid; }

static void release(entry *e) {
  e->used = false;
}

static inline bool bit(const uint8_t *map, uint32_t u) { return (map[u >> 3] >> (u & 7)) & 1; }
static inline void set_bit(uint8_t *map, uint32_t u) { map[u >> 3] |= (uint8_t)(1u << (u & 7)); }

/* "0-39, 80-119" of what the datagram's fragments covered on the wire (a few runs at most). */
static void describe_coverage(const entry *e, char *buf, size_t len) {
  size_t off = 0;
  int runs = 0;
  uint32_t limit = e->have_last ? (e->total + 7) / 8 : UNITS;
  buf[0] = '\0';
  for (uint32_t u = 0; u < limit && off < len; u++) {
    if (!bit(e->buf->wire_map, u)) continue;
    uint32_t v = u;
    while (v + 1 < limit && bit(e->buf->wire_map, v + 1)) v++;
    uint32_t last = v * 8 + 7;
    if (e->have_last && last >= e->total) last = e->total - 1;
    if (++runs > 3) {
      snprintf(buf + off, len - off, ", ...");
      return;
    }
    off += (size_t)snprintf(buf + off, len - off, "%s%u-%u", runs > 1 ? ", " : "", u * 8, last);
    u = v;
  }
  if (!runs) snprintf(buf, len, "none");
}

static bool queue_push(cap_reasm *ra, const cap_unfinished *u) {
  if (ra->n == ra->cap) {
    size_t ncap = ra->cap ? ra->cap * 2 : 16;
    cap_unfinished *q = realloc(ra->queue, ncap * sizeof *q);
    if (!q) return false;
    ra->queue = q;
    ra->cap = ncap;
  }
  ra->queue[ra->n++] = *u;
  return true;
}

/* Queues one report per fragment frame of an entry that will never complete; `why` is NULL or
 * what made it impossible. Datagrams whose UDP ports are unknown are not reported. */
static void report_unfinished(cap_reasm *ra, const entry *e, const char *why) {
  if (!e->have_ports || !e->n_frames) return;
  char have[48], total[12];
  describe_coverage(e, have, sizeof have);
  if (e->have_last) snprintf(total, sizeof total, "%u", e->total);
  else snprintf(total, sizeof total, "?");
  cap_unfinished u;
  memset(&u, 0, sizeof u);
  u.family = e->family;
  memcpy(u.src, e->src, sizeof u.src);
  memcpy(u.dst, e->dst, sizeof u.dst);
  u.sport = e->sport;
  u.dport = e->dport;
  snprintf(u.note, sizeof u.note, "IPv%u fragment: datagram never completed%s%s (have bytes %s "
           "of %s)", e->family, why ? ", " : "", why ? why : "", have, total);
  for (uint32_t i = 0; i < e->n_frames; i++) {
    u.frame = e->frames[i].frame;
    u.ts_sec = e->frames[i].ts_sec;
    u.ts_nsec = e->frames[i].ts_nsec;
    if (!queue_push(ra, &u)) return;
  }
}

static void remember_frame(entry *e, const cap_fragment *f) {
  if (e->n_frames == e->cap_frames) {
    if (e->cap_frames >= MAX_FRAMES) return;
    uint32_t ncap = e->cap_frames ? e->cap_frames * 2 : 8;
    frame_ref *fr = realloc(e->frames, ncap * sizeof *fr);
    if (!fr) return;
    e->frames = fr;
    e->cap_frames = ncap;
  }
  e->frames[e->n_frames++] = (frame_ref){.frame = f->frame, .ts_sec = f->ts_sec,
                                         .ts_nsec = f->ts_nsec};
}

/* The offset-0 fragment names the ports when it is UDP and holds the UDP header's start. */
static void note_ports(entry *e, const cap_fragment *f) {
  if (f->offset != 0 || f->proto != 17 || f->caplen < 4) return;
  e->have_ports = true;
  e->sport = (uint16_t)((f->data[0] << 8) | f->data[1]);
  e->dport = (uint16_t)((f->data[2] << 8) | f->data[3]);
}


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
    report_unfinished(ra, e, "dropped with " PENDING_TEXT " datagrams pending");
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
  e->have_ports = false;
  e->n_frames = 0;
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
  remember_frame(e, f);
  note_ports(e, f);
  if (!f->more && !e->have_last) {
    e->total = (uint32_t)end;
    e->have_last = true;
  } else if (!f->more && end != e->total) {
    ra->invalid++;   /* another end: the first last fragment's stands */
  }
  /* Bytes past the end the last fragment set are dropped; the rest of the fragment counts. */
  uint64_t stop = e->have_last && end > e->total ? e->total : end;
  if (stop > f->offset) place(e, f, f->offset / 8, (uint32_t)((stop + 7) / 8), stop);
  if (f->offset == 0) e->proto = f->proto;
  if (!e->have_last || !all_set(e->buf->wire_map, (e->total + 7) / 8)) return false;
  out->proto = (uint8_t)(e->proto < 0 ? 0 : e->proto);
  out->data = e->buf->data;
  out->wirelen = e->total;
  out->caplen = captured_prefix(e);
  ra->done_slot = (int)(e - ra->slots);
  return true;
}

void cap_reasm_note_cut(cap_reasm *ra, const cap_fragment *f) {
  if (ra->done_slot >= 0) {
    release(&ra->slots[ra->done_slot]);
    ra->done_slot = -1;
  }
  ra->invalid++;
  entry *e = find_or_create(ra, f);
  if (!e) return;
  remember_frame(e, f);
  note_ports(e, f);   /* an IPv6 first fragment: its ports still tell whether it was NTP */
}

static int by_frame(const void *a, const void *b) {
  const cap_unfinished *x = a, *y = b;
  return x->frame < y->frame ? -1 : x->frame > y->frame;
}

void cap_reasm_finish(cap_reasm *ra) {
  if (ra->done_slot >= 0) {
    release(&ra->slots[ra->done_slot]);
    ra->done_slot = -1;
  }
  size_t first = ra->n;
  for (int i = 0; i < CAP_REASM_MAX_PENDING; i++) {
    entry *e = &ra->slots[i];
    if (!e->used) continue;
    report_unfinished(ra, e, NULL);
    release(e);
  }
  if (ra->n > first)   /* qsort's base must not be NULL, even for no elements */
    qsort(ra->queue + first, ra->n - first, sizeof *ra->queue, by_frame);
}

bool cap_reasm_next_unfinished(cap_reasm *ra, cap_unfinished *out) {
  if (ra->head == ra->n) {
    ra->head = ra->n = 0;   /* empty: start again at the front */
    return false;
  }
  *out = ra->queue[ra->head++];
  return true;
}
