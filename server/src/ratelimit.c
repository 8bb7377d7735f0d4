/* ratelimit.c - per-client token buckets (see ratelimit.h). */
#include "ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RL_PROBE 8

typedef struct {
  bool used;
  uint8_t family;
  uint8_t addr[16];
  double tokens;
  double last;       /* seconds, CLOCK_REALTIME of the last request */
} rl_slot;

struct rl_table {
  rl_slot *slots;
  size_t n;
  double token_interval;
  double burst;
};

rl_table *rl_create(size_t slots, int interval_log2, int burst) {
  rl_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->n = slots ? slots : 1;
  t->slots = calloc(t->n, sizeof *t->slots);
  if (!t->slots) { free(t); return NULL; }
  t->token_interval = ldexp(1.0, interval_log2);
  t->burst = burst > 0 ? burst : 1;
  return t;
}

void rl_destroy(rl_table *t) {
  if (!t) return;
  free(t->slots);
  free(t);
}

static uint64_t hash_addr(uint8_t family, const uint8_t addr[16]) {
  uint64_t h = 1469598103934665603ull ^ family;   /* FNV-1a */
  size_t n = family == 4 ? 4 : 16;
  for (size_t i = 0; i < n; i++) { h ^= addr[i]; h *= 1099511628211ull; }
  return h;
}

bool rl_allow(rl_table *t, uint8_t family, const uint8_t addr[16], const struct timespec *now) {
  double tnow = (double)now->tv_sec + (double)now->tv_nsec * 1e-9;
  size_t alen = family == 4 ? 4 : 16;
  size_t base = (size_t)(hash_addr(family, addr) % t->n);
  rl_slot *victim = NULL, *slot = NULL;
  for (size_t i = 0; i < RL_PROBE && i < t->n; i++) {
    rl_slot *s = &t->slots[(base + i) % t->n];
    if (s->used && s->family == family && !memcmp(s->addr, addr, alen)) { slot = s; break; }
    /* Prefer a free slot, else the least recently seen client. */
    if (!s->used) { if (!victim || victim->used) victim = s; }
    else if (!victim || (victim->used && s->last < victim->last)) victim = s;
  }
  if (!slot) {
    if (!victim) return true;
    slot = victim;
    memset(slot, 0, sizeof *slot);
    slot->used = true;
    slot->family = family;
    memcpy(slot->addr, addr, alen);
    slot->tokens = t->burst;
    slot->last = tnow;
  }
  double elapsed = tnow - slot->last;
  if (elapsed > 0) {
    slot->tokens += elapsed / t->token_interval;
    if (slot->tokens > t->burst) slot->tokens = t->burst;
  }
  slot->last = tnow;
  if (slot->tokens >= 1.0) { slot->tokens -= 1.0; return true; }
  return false;
}
