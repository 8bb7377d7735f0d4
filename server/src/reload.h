/* reload.h - SIGHUP: the keyfile and the trustedkey lines again, all or nothing.
 *
 * The configuration file is read again (every line must still parse; only `keys` and
 * `trustedkey` are applied, the rest needs a restart) and the keyfile loaded into a new keyring.
 * The caller swaps it in only when this succeeds, so a broken edit never leaves the server with
 * half a key set. It runs with the privileges the server has after dropping root: the run user
 * must be able to read both files (group-readable, mode 0640; see docs/server-mode6.md). */
#ifndef NTPAUTH_SERVER_RELOAD_H
#define NTPAUTH_SERVER_RELOAD_H

#include <stddef.h>

#include "ntpauth/keyring.h"
#include "ntpauth/status.h"

typedef struct {
  char keys_path[1024];     /* the keyfile read ("" when the configuration names none) */
  size_t n_keys;
  size_t n_warnings;        /* non-fatal keyfile messages (e.g. group-readable) */
} reload_info;

/* Returns the new keyring, or NULL with *err naming file:line and the reason. `cwd` is the
 * working directory at start-up (relative paths in the configuration are relative to it). */
nta_keyring *reload_keys(const char *config_path, const char *cwd, reload_info *info,
                         nta_diag *err);

#endif
