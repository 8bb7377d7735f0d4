/* ratelimit.c - token buckets per (address, key) (see ratelimit.h). */
#include "ratelimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RL_PROBE 8

typedef struct {
  bool used;
  bool verified;     /* bucket of requests verified with key_id; else the unauthenticated one */
  uint8_t family;
  uint8_t addr[16];
  uint32_t key_id;
  double tokens;
  double last;       /* seconds, CLOCK_REALTIME of the last request */
} rl_slot;

struct rl_table {
  rl_slot *slots;
  size_t n;
  double token_interval;
  double burst;
  double min_age;
  rl_slot overflow;  /* unverified requests that found no slot */
};

rl_table *rl_create(size_t slots, int interval_log2, int burst, double min_age) {
  rl_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->n = slots ? slots : 1;
  t->slots = calloc(t->n, sizeof *t->slots);
  if (!t->slots) { free(t); return NULL; }
  t->token_interval = ldexp(1.0, interval_log2);
  t->burst = burst > 0 ? burst : 1;
  t->min_age = min_age > 0 ? min_age : 0;
  /* Untracked senders share one bucket: a few times a single client's allowance. */
  t->overflow.used = true;
  t->overflow.tokens = t->burst * 4;
  return t;
}

void rl_destroy(rl_table *t) {
  if (!t) return;
  free(t->slots);
  free(t);
}

static uint64_t hash_bucket(uint8_t family, const uint8_t addr[16], bool verified, uint32_t key) {
  uint64_t h = 1469598103934665603ull ^ family;   /* FNV-1a */
  size_t n = family == 4 ? 4 : 16;
  for (size_t i = 0; i < n; i++) { h ^= addr[i]; h *= 1099511628211ull; }
  uint8_t k[5] = { verified, (uint8_t)(key >> 24), (uint8_t)(key >> 16), (uint8_t)(key >> 8),
                   (uint8_t)key };
  for (size_t i = 0; i < sizeof k; i++) { h ^= k[i]; h *= 1099511628211ull; }
  return h;
}

static double tokens_at(const rl_table *t, const rl_slot *s, double tnow, double cap) {
  double tokens = s->tokens;
  if (tnow > s->last) tokens += (tnow - s->last) / t->token_interval;
  return tokens > cap ? cap : tokens;
}

/* Whether `s` may be given to a new bucket, and how eagerly (lower is better; <0: never). */
static double evict_rank(const rl_table *t, const rl_slot *s, double tnow) {
  if (!s->used) return 0;
  if (tokens_at(t, s, tnow, t->burst) >= t->burst) return 1;   /* refilled: nothing to keep */
  double idle = tnow - s->last;
  if (t->min_age > 0 && idle < t->min_age) return -1;
  return 2 + 1.0 / (1.0 + idle);   /* the longer idle, the better */
}

static rl_slot *find_slot(rl_table *t, uint8_t family, const uint8_t addr[16], bool verified,
                          uint32_t key, double tnow) {
  size_t alen = family == 4 ? 4 : 16;
  size_t base = (size_t)(hash_bucket(family, addr, verified, key) % t->n);
  rl_slot *victim = NULL;
  double victim_rank = -1;
  for (size_t i = 0; i < RL_PROBE && i < t->n; i++) {
    rl_slot *s = &t->slots[(base + i) % t->n];
    if (s->used && s->family == family && s->verified == verified && s->key_id == key &&
        !memcmp(s->addr, addr, alen))
      return s;
    double rank = evict_rank(t, s, tnow);
    if (rank >= 0 && (!victim || rank < victim_rank)) { victim = s; victim_rank = rank; }
  }
  if (!victim) return NULL;
  memset(victim, 0, sizeof *victim);
  victim->used = true;
  victim->verified = verified;
  victim->family = family;
  victim->key_id = key;
  memcpy(victim->addr, addr, alen);
  victim->tokens = t->burst;
  victim->last = tnow;
  return victim;
}

static bool spend(const rl_table *t, rl_slot *s, double tnow, double cap) {
  s->tokens = tokens_at(t, s, tnow, cap);
  if (tnow > s->last) s->last = tnow;
  if (s->tokens >= 1.0) { s->tokens -= 1.0; return true; }
  return false;
}

bool rl_allow(rl_table *t, uint8_t family, const uint8_t addr[16], bool verified, uint32_t key_id,
              const struct timespec *now) {
  double tnow = (double)now->tv_sec + (double)now->tv_nsec * 1e-9;
  if (!verified) key_id = 0;
  rl_slot *s = find_slot(t, family, addr, verified, key_id, tnow);
  if (s) return spend(t, s, tnow, t->burst);
  /* No slot: never refuse (and so never sign a KoD for) a client we could not track. */
  if (verified) return true;
  return spend(t, &t->overflow, tnow, t->burst * 4);
}
