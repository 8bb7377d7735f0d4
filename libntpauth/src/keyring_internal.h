/* keyring_internal.h - shared between keyring.c, keyring_parse.c, keyring_file.c and trust.c. */
#ifndef NTPAUTH_KEYRING_INTERNAL_H
#define NTPAUTH_KEYRING_INTERNAL_H

#include "ntpauth/keyring.h"

#define KEY_TYPE_TEXT_MAX 64
#define KEY_SOURCE_MAX 256
#define KEY_SECRET_MAX 1024   /* chrony lines are at most 2047 characters: 1023 hex bytes */

typedef struct {
  uint32_t lo, hi;
} trust_range;

/* Parses a trust spec and appends its ranges to *ranges (realloc'd). */
nta_status trust_parse_spec(const char *spec, trust_range **ranges, size_t *n, size_t *cap,
                            nta_diag *err);

/* Loads keyfile text line by line (keyring_parse.c). */
nta_status keyring_parse_text(nta_keyring *kr, const char *name, const char *text, size_t len,
                              nta_dialect dialect, nta_dialect *used_dialect, nta_diags *diags,
                              nta_diag *err);

/* Decodes a key text by a dialect's rule into secret (KEY_SECRET_MAX). Returns the length, or
 * -1 with `why` filled. `warn` receives a note (e.g. truncation) or stays empty. */
long keyring_decode_secret(const char *text, nta_dialect dialect, uint8_t *secret, char *why,
                           size_t whylen, char *warn, size_t warnlen);

/* Adds a key with a prepared MAC; `replaced` tells whether an older key had the same ID. */
nta_status keyring_insert(nta_keyring *kr, uint32_t id, const char *type_text, nta_mac *mac,
                          const uint8_t *secret, size_t secret_len, const char *source,
                          bool *replaced);

/* Gives key `id` a second MAC state (another daemon's reading of the same key text) that
 * verification tries when the first does not match. Takes ownership of `alt` (destroyed when
 * there is no such key). `reader` is a static string naming whose reading it is ("ntpsec",
 * "chrony"). */
void keyring_set_alternate(nta_keyring *kr, uint32_t id, nta_mac *alt, const char *reader);

#endif
