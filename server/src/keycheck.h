/* keycheck.h - the server's keyfile and trust list, with the keyfile checks of -t. */
#ifndef NTPAUTH_SERVER_KEYCHECK_H
#define NTPAUTH_SERVER_KEYCHECK_H

#include <stdbool.h>

#include "config.h"
#include "ntpauth/keyring.h"

/* Loads cfg's keyfile (as `keys-dialect` says, else detected) and trust list into a new keyring
 * (*out; NULL on failure), logging every keyfile message. Fails when a trusted key would be read
 * differently by ntpd and ntpsec and no keys-dialect is set; with `strict` (-t) also when any
 * line is refused or a trustedkey names no key of the file. A new keyring is built each call,
 * so a reload can swap it in only on success. */
bool kc_load_keys(const srv_config *cfg, bool strict, nta_keyring **out);

#endif
