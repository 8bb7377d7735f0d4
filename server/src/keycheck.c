/* keycheck.c - loading the server's keyfile and trust list, and the keyfile checks of -t.
 *
 * The server reads the keyfile as the daemon it is written for (detected from the whole file
 * unless `keys-dialect` pins one). Lines that daemon would refuse are logged with file:line and
 * skipped. Start-up is refused only when a trusted key would be read into other bytes by ntpd
 * and ntpsec, both of which the file's lines allow, and no `keys-dialect` says which one is
 * meant: the server could then answer with a key nobody meant. With -t the check is strict:
 * any refused line, a trustedkey naming a key the file does not have, fail. */
#include "keycheck.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Logs the keyfile's messages; returns how many say a line is refused. */
static size_t log_diags(const nta_diags *diags) {
  size_t refused = 0;
  for (size_t i = 0; i < nta_diags_count(diags); i++) {
    nta_diag_level lv = nta_diags_level(diags, i);
    if (lv == NTA_DIAG_ERROR) refused++;
    log_msg(lv == NTA_DIAG_NOTE ? LOG_INFO : LOG_WARNING, "%s", nta_diags_msg(diags, i));
  }
  return refused;
}

static bool any_key_in(const nta_keyring *kr, unsigned long lo, unsigned long hi) {
  for (size_t i = 0; i < nta_keyring_count(kr); i++) {
    uint32_t id = nta_key_id(nta_keyring_key_at(kr, i));
    if (id >= lo && id <= hi) return true;
  }
  return false;
}

/* Counts the IDs (and ranges without any key) of a trustedkey spec missing from the keyring. */
static size_t missing_trusted(const nta_keyring *kr, const cfg_trust *t) {
  char spec[sizeof t->spec];
  snprintf(spec, sizeof spec, "%s", t->spec);
  for (char *p = spec; *p; p++)
    if (*p == '(' || *p == ')' || *p == ',') *p = ' ';
  size_t missing = 0;
  unsigned long prev = 0;
  bool range_next = false;
  for (char *tok = strtok(spec, " \t"); tok; tok = strtok(NULL, " \t")) {
    if (strcmp(tok, "...") == 0) { range_next = true; continue; }
    char *end;
    unsigned long lo = strtoul(tok, &end, 10), hi = lo;
    if (*end == '-') hi = strtoul(end + 1, NULL, 10);
    if (range_next) lo = prev;
    range_next = false;
    prev = hi;
    bool ok = lo == hi ? nta_keyring_find(kr, (uint32_t)lo) != NULL : any_key_in(kr, lo, hi);
    if (!ok) {
      char ids[48];
      if (lo == hi)
        snprintf(ids, sizeof ids, "%lu", lo);
      else
        snprintf(ids, sizeof ids, "%lu ... %lu", lo, hi);
      log_msg(LOG_WARNING, "%s: trustedkey %s names no key of the keyfile", t->where, ids);
      missing++;
    }
  }
  return missing;
}

/* Trusted keys that ntpd and ntpsec read into different bytes (file not pinned to one). */
static size_t ambiguous_trusted(const nta_keyring *kr, bool *fatal) {
  size_t n = 0;
  for (size_t i = 0; i < nta_keyring_count(kr); i++) {
    const nta_key *k = nta_keyring_key_at(kr, i);
    const char *other = nta_key_read_differently_by(k);
    if (!other || !nta_keyring_is_trusted(kr, nta_key_id(k))) continue;
    bool family = strcmp(other, "chrony") != 0;
    log_msg(family ? LOG_ERR : LOG_WARNING, "%s: trusted key %u is read into other bytes by %s; "
            "set keys-dialect to say which daemon's reading is meant", nta_key_source(k),
            nta_key_id(k), other);
    if (family) *fatal = true;
    n++;
  }
  return n;
}

bool kc_load_keys(const srv_config *cfg, bool strict, nta_keyring **out) {
  nta_diag err;
  nta_keyring *kr = nta_keyring_create();
  nta_diags *diags = nta_diags_create();
  bool ok = kr && diags;
  size_t refused = 0;
  if (!ok) log_msg(LOG_ERR, "out of memory");
  if (ok && cfg->keys[0]) {
    nta_dialect used;
    nta_dialect pinned = (nta_dialect)cfg->keys_dialect;
    if (nta_keyring_load_file(kr, cfg->keys, pinned, &used, diags, &err) != NTA_OK) {
      log_msg(LOG_ERR, "%s: keys: %s", cfg->keys_where, err.msg);
      ok = false;
    } else {
      refused = log_diags(diags);
      log_msg(LOG_INFO, "loaded %zu keys from %s (%s format%s)", nta_keyring_count(kr), cfg->keys,
              nta_dialect_name(used), pinned == NTA_DIALECT_AUTO ? ", detected" : "");
    }
  }
  for (size_t i = 0; ok && i < cfg->n_trust; i++)
    if (nta_keyring_trust(kr, cfg->trust[i].spec, &err) != NTA_OK) {
      log_msg(LOG_ERR, "%s: trustedkey: %s", cfg->trust[i].where, err.msg);
      ok = false;
    }
  if (ok && cfg->n_trust && !cfg->keys[0])
    log_msg(LOG_WARNING, "trustedkey given but no keys file: every MAC'd request fails");
  size_t missing = 0;
  bool fatal = false;
  if (ok && cfg->keys[0]) {
    for (size_t i = 0; i < cfg->n_trust; i++) missing += missing_trusted(kr, &cfg->trust[i]);
    ambiguous_trusted(kr, &fatal);
  }
  if (ok && fatal) ok = false;
  if (ok && strict && (refused || missing)) {
    log_msg(LOG_ERR, "%s: %zu keyfile line(s) refused, %zu trusted key(s) missing", cfg->keys,
            refused, missing);
    ok = false;
  }
  nta_diags_destroy(diags);
  if (kr) nta_keyring_set_explain(kr, false);   /* bad MACs from anyone must stay cheap */
  if (!ok) {
    nta_keyring_destroy(kr);
    kr = NULL;
  }
  *out = kr;
  return ok;
}
