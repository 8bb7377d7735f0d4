/* verify_internal.h - explaining a bad MAC (explain.c), used by verify.c. */
#ifndef NTPAUTH_VERIFY_INTERNAL_H
#define NTPAUTH_VERIFY_INTERNAL_H

#include "ntpauth/verify.h"

/* Looks for the common mistake behind a bad MAC of `key` (MAC'd bytes buf[0..mac_offset), the
 * packet's digest). Writes e.g. "MAC is right for key 12 (SHA1): key ID mix-up" into why and
 * returns true when one explains it. Bounded cost, see NTA_EXPLAIN_MAX_KEYS. */
bool nta_explain_bad_mac(const nta_keyring *kr, const nta_key *key, const uint8_t *buf,
                         size_t mac_offset, const uint8_t *digest, size_t digest_len, char *why,
                         size_t cap);

#endif
