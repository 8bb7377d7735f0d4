/* keyaudit.c - weak keyfile keys, grouped (see keyaudit.h). */
#include "keyaudit.h"

#include <inttypes.h>
#include <string.h>

static size_t slot_of(uint32_t id) {
  return (size_t)((id * 2654435761u) >> 20) & (AN_KEYSET_SLOTS - 1);
}

static size_t next_slot(size_t p) { return (p + 1) & (AN_KEYSET_SLOTS - 1); }

void an_keyset_add(an_keyset *ks, uint32_t id) {
  if (id == 0) return;
  for (size_t i = 0, p = slot_of(id); i < AN_KEYSET_SLOTS; i++, p = next_slot(p)) {
    if (ks->ids[p] == id) return;
    if (ks->ids[p] == 0) {
      if (ks->n >= AN_KEYSET_SLOTS - AN_KEYSET_SLOTS / 8) break;
      ks->ids[p] = id;
      ks->n++;
      return;
    }
  }
  ks->full = true;
}

bool an_keyset_has(const an_keyset *ks, uint32_t id) {
  for (size_t i = 0, p = slot_of(id); i < AN_KEYSET_SLOTS; i++, p = next_slot(p)) {
    if (ks->ids[p] == id) return true;
    if (ks->ids[p] == 0) break;
  }
  return ks->full;
}

/* The file part of a key's "file:line" source. */
static void source_file(const nta_key *k, char *out, size_t len) {
  const char *src = nta_key_source(k) ? nta_key_source(k) : "?";
  snprintf(out, len, "%s", src);
  char *colon = strrchr(out, ':');
  if (colon && colon != out) *colon = '\0';
}

typedef struct {
  uint32_t id;
  bool trusted, used;
  char why[NTA_REASON_MAX - 40];
  char file[64];
  char source[80];
} weak_key;

static void group_text(an_key_group *g, const weak_key *first) {
  const char *status = g->trusted ? (g->used ? "trusted, used" : "trusted, not used")
                                  : (g->used ? "not trusted, used" : "not trusted, not used");
  if (g->first == g->last)
    snprintf(g->text, sizeof g->text, "key %" PRIu32 " (%s): %s; %s", g->first, first->source,
             first->why, status);
  else
    snprintf(g->text, sizeof g->text, "keys %" PRIu32 "-%" PRIu32 " (%s): %s; %s", g->first,
             g->last, first->file, first->why, status);
}

static bool same_group(const an_key_group *g, const weak_key *a, const weak_key *b) {
  return b->id == g->last + 1 && a->trusted == b->trusted && a->used == b->used &&
         strcmp(a->why, b->why) == 0 && strcmp(a->file, b->file) == 0;
}

size_t an_key_audit(const nta_keyring *kr, const an_keyset *used, an_key_group *out, size_t max,
                    size_t *more) {
  size_t n = 0;
  *more = 0;
  weak_key first, cur;
  size_t count = nta_keyring_count(kr);   /* keys come sorted by ID */
  for (size_t i = 0; kr && i < count; i++) {
    const nta_key *k = nta_keyring_key_at(kr, i);
    if (!k || !nta_key_is_weak(k, cur.why, sizeof cur.why)) continue;
    cur.id = nta_key_id(k);
    cur.trusted = nta_keyring_is_trusted(kr, cur.id);
    cur.used = an_keyset_has(used, cur.id);
    source_file(k, cur.file, sizeof cur.file);
    snprintf(cur.source, sizeof cur.source, "%s", nta_key_source(k) ? nta_key_source(k) : "?");
    if (n > 0 && *more == 0 && same_group(&out[n - 1], &first, &cur)) {
      out[n - 1].last = cur.id;
      group_text(&out[n - 1], &first);
      continue;
    }
    if (n >= max) {
      (*more)++;
      continue;
    }
    first = cur;
    an_key_group *g = &out[n++];
    g->first = g->last = cur.id;
    g->trusted = cur.trusted;
    g->used = cur.used;
    g->raised = cur.trusted || cur.used;
    group_text(g, &first);
  }
  return n;
}
