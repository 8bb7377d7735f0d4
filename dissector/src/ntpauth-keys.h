/* dissector/ntpauth-keys.h - the plugin's keys: preferences and the UAT table turned into one
 * libntpauth keyring.
 *
 * Wireshark calls the preference-apply and UAT post-update callbacks whenever the user changes
 * something (and re-dissects afterwards); both rebuild the keyring here, so the per-packet path
 * only looks it up. Problems (an unreadable keyfile, skipped lines, a bad UAT row) are gathered
 * into one text that the dissector shows once, on the first NTP packet of a capture. */
#ifndef NTPAUTH_PLUGIN_KEYS_H
#define NTPAUTH_PLUGIN_KEYS_H

#include <stdbool.h>

#include "ntpauth/keyring.h"

/* Registers the preferences module and the UAT of protocol `proto`. */
void ntpauth_keys_register(int proto);

/* The current keyring (never NULL after the first call; may hold no keys). */
const nta_keyring *ntpauth_keys_get(void);

/* One line describing what went wrong while building the keyring, or NULL when nothing did.
 * `is_error` tells a broken keyfile/UAT row (true) from mere warnings such as file modes. */
const char *ntpauth_keys_problem(bool *is_error);

/* Frees the keyring and remembered texts (called when Wireshark shuts the protocol down). */
void ntpauth_keys_shutdown(void);

#endif
