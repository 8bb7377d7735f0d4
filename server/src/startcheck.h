/* startcheck.h - start-up checks: configurations that parse but cannot work as meant, and the
 * paths the server will open.
 *
 * The same checks run for `-t` (problems are errors, exit status 1) and at a normal start
 * (warnings; the server starts as configured). Every message names the directive's file:line, or
 * the configuration file for something missing. Nothing here creates, truncates or renames a
 * file. */
#ifndef NTPAUTH_SERVER_STARTCHECK_H
#define NTPAUTH_SERVER_STARTCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ntpauth/keyring.h"
#include "privdrop.h"

/* "file:line" of a directive, or "FILE (default)" when it was not written. */
const char *sc_where(const char *where, const char *config_path, char *buf, size_t len);

/* No time source, an empty keyfile, a replaced `keys` line, running as root. strict: logged as
 * errors and false is returned when any was found; else logged as warnings, true. */
bool sc_config_sane(const srv_config *cfg, const char *config_path, const nta_keyring *keys,
                    const priv_user *user, bool strict);

/* The pcap path before anything is touched: not a symlink or device, its folder usable, and
 * whether the run user can rotate files there (*can_rotate). An explicit maxsize the run user
 * cannot rotate is an error; the default one a warning (recording stops at the bound). */
bool sc_tap_preflight(const srv_config *cfg, const char *config_path, const priv_user *user,
                      bool *can_rotate);

/* For -t: the log file opened for appending (never created or truncated) or its folder checked,
 * the status socket's path and folder, each listen address (bound on port 0). False (errors
 * logged) when the real start would fail. */
bool sc_check_paths(const srv_config *cfg, const char *config_path);

#endif
