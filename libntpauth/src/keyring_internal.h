/* keyring_internal.h - the keyring store's internal interface, used by the keyfile reader
 * (keyfile_load.c), verification (verify.c) and the trust syntax (trust.c).
 *
 * The dependency runs one way: the reader fills the store through nta_keyring_insert and
 * nta_keyring_set_alternate; the store (keyring.c) knows nothing about keyfile text. */
#ifndef NTPAUTH_KEYRING_INTERNAL_H
#define NTPAUTH_KEYRING_INTERNAL_H

#include "ntpauth/keyring.h"

#define KEY_TYPE_TEXT_MAX 64
#define KEY_SOURCE_MAX 256
#define KEY_SECRET_MAX 2048   /* chronyd lines are at most 2047 characters */

typedef struct {
  uint32_t lo, hi;
} trust_range;

/* Parses a trust spec and appends its ranges to *ranges (realloc'd). */
nta_status nta_trust_parse_spec(const char *spec, trust_range **ranges, size_t *n,
                                size_t *cap, nta_diag *err);

/* Adds a key with a prepared MAC; `replaced` tells whether an older key had the same ID.
 * On success the keyring owns `mac`; on failure the caller still does. */
nta_status nta_keyring_insert(nta_keyring *kr, uint32_t id, const char *type_text, nta_mac *mac,
                              const uint8_t *secret, size_t secret_len, const char *source,
                              bool *replaced);

/* Gives key `id` a second MAC state (another daemon's reading of the same key text) that
 * verification tries when the first does not match. Takes ownership of `alt` (destroyed when
 * there is no such key). `reader` is a static string naming whose reading it is ("ntpsec",
 * "chrony"). */
void nta_keyring_set_alternate(nta_keyring *kr, uint32_t id, nta_mac *alt, const char *reader);

/* The second reading of a key's text, or NULL (see nta_keyring_set_alternate). nta_verify tries
 * it when nta_key_mac() does not match. */
nta_mac *nta_key_alt_mac(const nta_key *k);
/* Whose reading the alternate MAC is ("ntpsec" or "chrony"), NULL without one. */
const char *nta_key_alt_reader(const nta_key *k);

#endif
