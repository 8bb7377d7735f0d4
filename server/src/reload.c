/* reload.c - re-reading the keys on SIGHUP (see reload.h). */
#include "reload.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "refclock/refclocks.h"

/* Refclock lines are checked as at start-up but not applied. */
static nta_status check_refclock(void *ctx, const char *args, const char *where, nta_diag *err) {
  return rcl_add_config((rcl_set *)ctx, args, where, err);
}

static nta_status parse_config(const char *path, const char *cwd, srv_config *cfg, nta_diag *err) {
  rcl_set *scratch = rcl_create();
  if (!scratch) return nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
  cfg_init(cfg);
  nta_status st = cfg_parse_file(cfg, path, check_refclock, scratch, err);
  rcl_destroy(scratch);
  if (st != NTA_OK) return st;
  return cfg_absolute_paths(cfg, cwd, err);
}

/* A keyfile line that was skipped makes the whole reload fail (ntpd 4.2.8 rejects such a file
 * too): the admin sees the line instead of silently losing a key. */
static nta_status load_strict(nta_keyring *kr, const srv_config *cfg, reload_info *info,
                              nta_diag *err) {
  nta_diags *diags = nta_diags_create();
  if (!diags) return nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
  nta_status st = nta_keyring_load_file(kr, cfg->keys, NTA_DIALECT_AUTO, NULL, diags, err);
  for (size_t i = 0; st == NTA_OK && i < nta_diags_count(diags); i++) {
    if (nta_diags_level(diags, i) == NTA_DIAG_ERROR)
      st = nta_diag_set(err, NTA_ERR_PARSE, "%s", nta_diags_msg(diags, i));
    else if (nta_diags_level(diags, i) == NTA_DIAG_WARNING)
      info->n_warnings++;
  }
  if (st == NTA_OK && nta_diags_dropped(diags))
    st = nta_diag_set(err, NTA_ERR_PARSE, "%s: too many problems", cfg->keys);
  nta_diags_destroy(diags);
  return st;
}

nta_keyring *reload_keys(const char *config_path, const char *cwd, reload_info *info,
                         nta_diag *err) {
  static srv_config cfg;
  memset(info, 0, sizeof *info);
  if (parse_config(config_path, cwd, &cfg, err) != NTA_OK) return NULL;
  snprintf(info->keys_path, sizeof info->keys_path, "%s", cfg.keys);
  nta_keyring *kr = nta_keyring_create();
  if (!kr) { nta_diag_set(err, NTA_ERR_NOMEM, "out of memory"); return NULL; }
  nta_status st = cfg.keys[0] ? load_strict(kr, &cfg, info, err) : NTA_OK;
  for (size_t i = 0; st == NTA_OK && i < cfg.n_trust; i++) {
    nta_diag why;
    if (nta_keyring_trust(kr, cfg.trust[i].spec, &why) != NTA_OK)
      st = nta_diag_set(err, NTA_ERR_PARSE, "%s: trustedkey: %s", cfg.trust[i].where, why.msg);
  }
  if (st != NTA_OK) { nta_keyring_destroy(kr); return NULL; }
  info->n_keys = nta_keyring_count(kr);
  return kr;
}
