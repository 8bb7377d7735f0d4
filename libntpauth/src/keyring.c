/* keyring.c - the key container: keys sorted by ID, prepared MAC state per key, trust list.
 *
 * Lookups are a binary search over a sorted array of pointers, so finding a key allocates
 * nothing and costs O(log n). The keyfile reader (keyfile_load.c, keyring_file.c) fills the
 * store through keyring_internal.h; nothing here reads keyfile text. Trust syntax is in trust.c. */
#include "keyring_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

struct nta_key {
  uint32_t id;
  nta_mac *mac;
  nta_mac *alt_mac;   /* another daemon's reading of the key text (auto-detected files) */
  const char *alt_reader; /* "ntpsec" or "chrony": whose reading alt_mac is */
  char type_text[KEY_TYPE_TEXT_MAX];
  char source[KEY_SOURCE_MAX];
  uint8_t *secret;
  size_t secret_len;
  char label[KEY_TYPE_TEXT_MAX + 24];   /* "key 11 (SHA1)" */
};

struct nta_keyring {
  nta_key **keys;   /* sorted by id, unique */
  size_t n, cap;
  bool has_trust;
  bool no_explain;   /* nta_keyring_set_explain(kr, false) */
  trust_range *trust;
  size_t n_trust, cap_trust;
};

/* ---- keys ---------------------------------------------------------------------------------- */

uint32_t nta_key_id(const nta_key *k) { return k->id; }
nta_mac *nta_key_mac(const nta_key *k) { return k->mac; }
nta_mac *nta_key_alt_mac(const nta_key *k) { return k->alt_mac; }
const char *nta_key_alt_reader(const nta_key *k) { return k->alt_mac ? k->alt_reader : NULL; }
const char *nta_key_alg_name(const nta_key *k) { return nta_mac_name(k->mac); }
const char *nta_key_read_differently_by(const nta_key *k) { return nta_key_alt_reader(k); }
const char *nta_key_type_text(const nta_key *k) { return k->type_text; }
size_t nta_key_secret_len(const nta_key *k) { return k->secret_len; }
const char *nta_key_source(const nta_key *k) { return k->source; }
const uint8_t *nta_key_secret(const nta_key *k) { return k->secret; }
const char *nta_key_label(const nta_key *k) { return k->label; }

static void key_destroy(nta_key *k) {
  if (!k) return;
  nta_mac_destroy(k->mac);
  nta_mac_destroy(k->alt_mac);
  if (k->secret) OPENSSL_cleanse(k->secret, k->secret_len);
  free(k->secret);
  free(k);
}

static nta_key *key_new(uint32_t id, const char *type_text, nta_mac *mac, const uint8_t *secret,
                        size_t secret_len, const char *source) {
  nta_key *k = calloc(1, sizeof *k);
  if (!k) return NULL;
  k->secret = malloc(secret_len ? secret_len : 1);
  if (!k->secret) {
    free(k);
    return NULL;
  }
  k->id = id;
  k->mac = mac;
  snprintf(k->type_text, sizeof k->type_text, "%s", type_text ? type_text : nta_mac_name(mac));
  snprintf(k->source, sizeof k->source, "%s", source ? source : "");
  if (secret_len) memcpy(k->secret, secret, secret_len);
  k->secret_len = secret_len;
  snprintf(k->label, sizeof k->label, "key %u (%s)", id, nta_mac_name(mac));
  return k;
}

bool nta_key_is_weak(const nta_key *k, char *why, size_t whylen) {
  const char *alg = nta_mac_name(k->mac);
  bool md5 = strcmp(alg, "MD5") == 0;
  bool short_secret = k->secret_len < 10;
  if (why && whylen) {
    if (md5 && short_secret)
      snprintf(why, whylen, "MD5 (deprecated by RFC 8573) with a %zu-byte secret (under 80 bits)",
               k->secret_len);
    else if (md5)
      snprintf(why, whylen, "MD5 (deprecated by RFC 8573)");
    else if (short_secret)
      snprintf(why, whylen, "%zu-byte secret (under 80 bits)", k->secret_len);
    else
      why[0] = '\0';
  }
  return md5 || short_secret;
}

/* ---- keyring ------------------------------------------------------------------------------- */

nta_keyring *nta_keyring_create(void) { return calloc(1, sizeof(nta_keyring)); }

void nta_keyring_destroy(nta_keyring *kr) {
  if (!kr) return;
  for (size_t i = 0; i < kr->n; i++) key_destroy(kr->keys[i]);
  free(kr->keys);
  free(kr->trust);
  free(kr);
}

/* Index of the first key with id >= `id`. */
static size_t lower_bound(const nta_keyring *kr, uint32_t id) {
  size_t lo = 0, hi = kr->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (kr->keys[mid]->id < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

const nta_key *nta_keyring_find(const nta_keyring *kr, uint32_t id) {
  if (!kr) return NULL;
  size_t i = lower_bound(kr, id);
  return i < kr->n && kr->keys[i]->id == id ? kr->keys[i] : NULL;
}

size_t nta_keyring_count(const nta_keyring *kr) { return kr ? kr->n : 0; }

void nta_keyring_set_explain(nta_keyring *kr, bool on) {
  if (kr) kr->no_explain = !on;
}

bool nta_keyring_explains(const nta_keyring *kr) { return kr && !kr->no_explain; }

void nta_keyring_set_alternate(nta_keyring *kr, uint32_t id, nta_mac *alt, const char *reader) {
  nta_key *k = (nta_key *)nta_keyring_find(kr, id);
  if (!k) {
    nta_mac_destroy(alt);
    return;
  }
  nta_mac_destroy(k->alt_mac);
  k->alt_mac = alt;
  k->alt_reader = reader;
}

const nta_key *nta_keyring_key_at(const nta_keyring *kr, size_t i) {
  return kr && i < kr->n ? kr->keys[i] : NULL;
}

nta_status nta_keyring_insert(nta_keyring *kr, uint32_t id, const char *type_text, nta_mac *mac,
                              const uint8_t *secret, size_t secret_len, const char *source,
                              bool *replaced) {
  if (replaced) *replaced = false;
  nta_key *k = key_new(id, type_text, mac, secret, secret_len, source);
  if (!k) return NTA_ERR_NOMEM;
  /* Keyfiles are usually sorted: appending is the common case. */
  size_t pos = (kr->n == 0 || kr->keys[kr->n - 1]->id < id) ? kr->n : lower_bound(kr, id);
  if (pos < kr->n && kr->keys[pos]->id == id) {
    key_destroy(kr->keys[pos]);
    kr->keys[pos] = k;
    if (replaced) *replaced = true;
    return NTA_OK;
  }
  if (kr->n == kr->cap) {
    size_t ncap = kr->cap ? kr->cap * 2 : 16;
    nta_key **nk = realloc(kr->keys, ncap * sizeof *nk);
    if (!nk) {
      k->mac = NULL;   /* the caller still owns mac on failure */
      key_destroy(k);
      return NTA_ERR_NOMEM;
    }
    kr->keys = nk;
    kr->cap = ncap;
  }
  memmove(&kr->keys[pos + 1], &kr->keys[pos], (kr->n - pos) * sizeof *kr->keys);
  kr->keys[pos] = k;
  kr->n++;
  return NTA_OK;
}

nta_status nta_keyring_add_raw(nta_keyring *kr, uint32_t id, const char *type,
                               const uint8_t *secret, size_t secret_len, const char *source,
                               nta_diag *err) {
  if (!kr || !type) return nta_diag_set(err, NTA_ERR_ARG, "no keyring or type");
  if (id == 0) return nta_diag_set(err, NTA_ERR_RANGE, "key ID 0 is reserved");
  nta_diag merr;
  nta_mac *mac = nta_mac_create(type, secret, secret_len, &merr);
  if (!mac) return nta_diag_set(err, NTA_ERR_UNSUPPORTED, "key %u: %s", id, merr.msg);
  nta_status st = nta_keyring_insert(kr, id, type, mac, secret, secret_len, source, NULL);
  if (st != NTA_OK) {
    nta_mac_destroy(mac);
    return nta_diag_set(err, st, "key %u: out of memory", id);
  }
  return NTA_OK;
}

nta_keyring *nta_keyring_clone(const nta_keyring *kr) {
  if (!kr) return NULL;
  nta_keyring *c = nta_keyring_create();
  if (!c) return NULL;
  c->keys = calloc(kr->n ? kr->n : 1, sizeof *c->keys);
  c->trust = malloc((kr->n_trust ? kr->n_trust : 1) * sizeof *c->trust);
  if (!c->keys || !c->trust) goto fail;
  c->cap = kr->n ? kr->n : 1;
  for (size_t i = 0; i < kr->n; i++) {
    const nta_key *src = kr->keys[i];
    nta_mac *mac = nta_mac_clone(src->mac);
    nta_key *k = mac ? key_new(src->id, src->type_text, mac, src->secret, src->secret_len,
                               src->source)
                     : NULL;
    if (!k) {
      nta_mac_destroy(mac);
      goto fail;
    }
    c->keys[c->n++] = k;
    if (src->alt_mac && !(k->alt_mac = nta_mac_clone(src->alt_mac))) goto fail;
    k->alt_reader = src->alt_reader;
  }
  if (kr->n_trust) memcpy(c->trust, kr->trust, kr->n_trust * sizeof *c->trust);
  c->n_trust = c->cap_trust = kr->n_trust;
  if (c->cap_trust == 0) c->cap_trust = 1;
  c->has_trust = kr->has_trust;
  c->no_explain = kr->no_explain;
  return c;
fail:
  nta_keyring_destroy(c);
  return NULL;
}

/* ---- trust --------------------------------------------------------------------------------- */

nta_status nta_keyring_trust(nta_keyring *kr, const char *spec, nta_diag *err) {
  if (!kr || !spec) return nta_diag_set(err, NTA_ERR_ARG, "no keyring or trust list");
  nta_status st = nta_trust_parse_spec(spec, &kr->trust, &kr->n_trust, &kr->cap_trust, err);
  if (st == NTA_OK) kr->has_trust = true;
  return st;
}

bool nta_keyring_has_trust_list(const nta_keyring *kr) { return kr && kr->has_trust; }

bool nta_keyring_is_trusted(const nta_keyring *kr, uint32_t id) {
  if (!kr || id == 0) return false;
  if (!kr->has_trust) return true;
  for (size_t i = 0; i < kr->n_trust; i++)
    if (id >= kr->trust[i].lo && id <= kr->trust[i].hi) return true;
  return false;
}

/* ---- dialect names ------------------------------------------------------------------------- */

const char *nta_dialect_name(nta_dialect d) {
  switch (d) {
  case NTA_DIALECT_AUTO: return "auto";
  case NTA_DIALECT_NTPD: return "ntpd";
  case NTA_DIALECT_NTPSEC: return "ntpsec";
  case NTA_DIALECT_CHRONY: return "chrony";
  }
  return "?";
}

bool nta_dialect_from_name(const char *name, nta_dialect *out) {
  static const nta_dialect all[] = {NTA_DIALECT_AUTO, NTA_DIALECT_NTPD, NTA_DIALECT_NTPSEC,
                                    NTA_DIALECT_CHRONY};
  if (!name) return false;
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (strcasecmp(name, nta_dialect_name(all[i])) == 0) {
      if (out) *out = all[i];
      return true;
    }
  if (strcasecmp(name, "ntp") == 0 || strcasecmp(name, "classic") == 0) {
    if (out) *out = NTA_DIALECT_NTPD;
    return true;
  }
  return false;
}
