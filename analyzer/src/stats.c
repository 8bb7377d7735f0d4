/* stats.c - the summary's counters: verdicts, keys, host pairs, exchanges, findings. */
#include "stats.h"

#include <stdlib.h>
#include <string.h>

an_stats *an_stats_create(bool no_keys, bool require_auth) {
  an_stats *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  st->no_keys = no_keys;
  st->require_auth = require_auth;
  st->pairs = calloc(AN_PAIR_SLOTS, sizeof *st->pairs);
  st->pair_order = calloc(AN_PAIR_SLOTS, sizeof *st->pair_order);
  st->findings = calloc(AN_FINDINGS_KEPT, sizeof *st->findings);
  if (!st->pairs || !st->pair_order || !st->findings) {
    an_stats_destroy(st);
    return NULL;
  }
  return st;
}

void an_stats_destroy(an_stats *st) {
  if (!st) return;
  free(st->pairs);
  free(st->pair_order);
  free(st->findings);
  free(st);
}

void an_stats_finding(an_stats *st, const nta_finding *f) {
  st->findings_total++;
  if ((unsigned)f->kind < NTA_F_COUNT) st->finding_counts[f->kind]++;
  if (st->n_findings < AN_FINDINGS_KEPT) st->findings[st->n_findings++] = *f;
}

bool an_same_finding(const nta_finding *a, const nta_finding *b) {
  return a->kind == b->kind && (a->frame == 0) == (b->frame == 0) && strcmp(a->text, b->text) == 0;
}

size_t an_mark_same_findings(const an_stats *st, size_t first, bool *listed) {
  size_t times = 0;
  for (size_t j = first; j < st->n_findings; j++) {
    if (!listed[j] && an_same_finding(&st->findings[first], &st->findings[j])) {
      listed[j] = true;
      times++;
    }
  }
  return times;
}

/* ---- keys ---- */

static void count_key(an_stats *st, const nta_observation *o) {
  if (!o->has_key_id || o->verdict == NTA_V_CRYPTO_NAK) return;
  size_t p = (o->key_id * 2654435761u) & (AN_KEY_SLOTS - 1);
  for (size_t i = 0; i < AN_KEY_SLOTS; i++, p = (p + 1) & (AN_KEY_SLOTS - 1)) {
    an_key_stat *k = &st->keys[p];
    if (!k->used) {
      if (st->keys_used >= AN_KEY_SLOTS - AN_KEY_SLOTS / 8) break;
      k->used = true;
      k->id = o->key_id;
      st->keys_used++;
    }
    if (k->id != o->key_id) continue;
    if (!k->alg[0] && o->algorithm) snprintf(k->alg, sizeof k->alg, "%s", o->algorithm);
    k->packets++;
    k->verdicts[o->verdict]++;
    return;
  }
  st->other_key_packets++;
}

static int cmp_key_slot(const void *a, const void *b) {
  const an_key_stat *x = *(const an_key_stat *const *)a, *y = *(const an_key_stat *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

size_t an_stats_sorted_keys(const an_stats *st, const an_key_stat **out) {
  size_t n = 0;
  for (size_t i = 0; i < AN_KEY_SLOTS; i++)
    if (st->keys[i].used) out[n++] = &st->keys[i];
  qsort(out, n, sizeof *out, cmp_key_slot);
  return n;
}

/* ---- host pairs ---- */

/* Address bytes as two words (IPv4: the first 4 bytes, the rest zero), for hashing and
 * comparing without byte loops or memcmp calls: this runs for every packet. */
typedef struct {
  uint64_t w0, w1;
} addr_words;

static addr_words words_of(const uint8_t *addr, bool v6) {
  addr_words a = { 0, 0 };
  if (v6) {
    memcpy(&a.w0, addr, 8);
    memcpy(&a.w1, addr + 8, 8);
  } else {
    uint32_t v4;
    memcpy(&v4, addr, 4);
    a.w0 = v4;
  }
  return a;
}

static bool words_equal(addr_words x, addr_words y) {
  return ((x.w0 ^ y.w0) | (x.w1 ^ y.w1)) == 0;
}

/* memcmp(x, y, alen) > 0; IPv4 as one big-endian number. */
static bool addr_greater(const nta_endpoint *x, const nta_endpoint *y, size_t alen) {
  if (alen == 4) {
    uint32_t a, b;
    memcpy(&a, x->addr, 4);
    memcpy(&b, y->addr, 4);
    return __builtin_bswap32(a) > __builtin_bswap32(b);
  }
  return memcmp(x->addr, y->addr, alen) > 0;
}

/* The pair's slot; a new one (create) or NULL (!create) when it has none. */
static an_pair_stat *find_pair(an_stats *st, const nta_endpoint *x, const nta_endpoint *y,
                               bool create) {
  size_t alen = x->family == 6 ? 16 : 4;
  const nta_endpoint *lo = x, *hi = y;
  if (x->family != y->family) return NULL;
  if (addr_greater(x, y, alen)) { lo = y; hi = x; }
  addr_words la = words_of(lo->addr, alen == 16), ha = words_of(hi->addr, alen == 16);
  /* Which slot a pair lands in never shows in the output (pairs are listed in first-seen
   * order), so any good mix will do. Independent multiplies (short latency); the top bits of
   * their sum are well mixed. */
  uint64_t h = la.w0 * 0xbf58476d1ce4e5b9ULL + ha.w0 * 0x94d049bb133111ebULL +
               la.w1 * 0xc2b2ae3d27d4eb4fULL + ha.w1 * 0x165667b19e3779f9ULL + x->family;
  size_t p = (size_t)(h >> 40) & (AN_PAIR_SLOTS - 1);
  for (size_t i = 0; i < AN_PAIR_SLOTS; i++, p = (p + 1) & (AN_PAIR_SLOTS - 1)) {
    an_pair_stat *s = &st->pairs[p];
    if (!s->used) {
      if (!create || st->pairs_used >= AN_PAIR_SLOTS - AN_PAIR_SLOTS / 8) return NULL;
      s->used = true;
      s->family = x->family;
      memcpy(s->a, lo->addr, alen);
      memcpy(s->b, hi->addr, alen);
      st->pair_order[st->pairs_used++] = (uint32_t)p;
      return s;
    }
    if (s->family == x->family && words_equal(words_of(s->a, alen == 16), la) &&
        words_equal(words_of(s->b, alen == 16), ha))
      return s;
  }
  return NULL;
}

void an_pair_endpoints(const an_pair_stat *ps, nta_endpoint *a, nta_endpoint *b) {
  memset(a, 0, sizeof *a);
  memset(b, 0, sizeof *b);
  a->family = b->family = ps->family;
  memcpy(a->addr, ps->a, 16);
  memcpy(b->addr, ps->b, 16);
}

/* ---- per packet ---- */

static void last_timing(an_pair_stat *ps, const nta_exchange_result *xr) {
  ps->has_last = true;
  ps->last_offset = xr->offset;
  ps->last_delay = xr->delay;
  ps->last_trusted = xr->timing_trusted;
}

static void count_exchange(an_stats *st, an_pair_stat *ps, const nta_exchange_result *xr) {
  st->exchanges++;
  if (xr->timing_trusted) st->trusted_exchanges++;
  if (!ps) return;
  ps->exchanges++;
  if (xr->timing_trusted) ps->trusted++;
  last_timing(ps, xr);
}

bool an_unauthenticated(const nta_observation *o) {
  return o->verdict == NTA_V_NO_AUTH && o->mode >= NTA_MODE_ACTIVE && o->mode <= NTA_MODE_SERVER;
}

static bool carries_mac(nta_verdict v) {
  return v == NTA_V_GOOD || v == NTA_V_BAD_MAC || v == NTA_V_UNKNOWN_KEY ||
         v == NTA_V_UNTRUSTED_KEY;
}

void an_stats_packet(an_stats *st, const an_record *rec, const nta_exchange_result *xr) {
  const nta_observation *o = &rec->obs;
  st->packets++;
  st->verdicts[o->verdict]++;
  if (carries_mac(o->verdict)) st->with_mac++;
  bool unauth = an_unauthenticated(o);
  if (unauth) st->unauthenticated++;
  if ((nta_verdict_is_failure(o->verdict) && !(st->no_keys && o->verdict == NTA_V_UNKNOWN_KEY)) ||
      (unauth && st->require_auth))
    st->failures++;
  count_key(st, o);
  an_pair_stat *ps = find_pair(st, &o->src, &o->dst, true);
  if (ps) {
    ps->packets++;
    if (unauth) ps->unauthenticated++;
  } else {
    st->other_pair_packets++;
  }
  if (xr->matched && xr->has_timing) count_exchange(st, ps, xr);
  for (unsigned i = 0; i < xr->n_findings; i++) an_stats_finding(st, &xr->findings[i]);
}

void an_stats_seen_again(an_stats *st, const an_record *rec, const nta_exchange_result *xr,
                         const an_sighting *seen) {
  st->duplicates++;
  if (xr->matched && xr->has_timing) {
    an_pair_stat *ps = find_pair(st, &rec->obs.src, &rec->obs.dst, false);
    if (ps) last_timing(ps, xr);
  }
  if (!seen->has_oneway) return;
  st->oneway++;
  st->oneway_request_sum += seen->oneway_request;
  st->oneway_reply_sum += seen->oneway_reply;
  st->last_oneway_request = seen->oneway_request;
  st->last_oneway_reply = seen->oneway_reply;
}

void an_totals_add(an_totals *t, const an_stats *st, uint64_t frames, bool input_error) {
  t->inputs++;
  t->frames += frames;
  t->packets += st->packets;
  t->with_mac += st->with_mac;
  t->verified += st->verdicts[NTA_V_GOOD];
  t->failures += st->failures;
  t->unauthenticated += st->unauthenticated;
  t->duplicates += st->duplicates;
  t->exchanges += st->exchanges;
  t->trusted_exchanges += st->trusted_exchanges;
  for (int v = 0; v < NTA_V_COUNT; v++) t->verdicts[v] += st->verdicts[v];
  t->input_error |= input_error;
}
