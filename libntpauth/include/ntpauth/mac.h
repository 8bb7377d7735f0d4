/* ntpauth/mac.h - the legacy NTP MAC: digest(key || data) or AES-CMAC(key, data).
 *
 * An nta_mac holds the algorithm fetched once and reusable OpenSSL contexts, so computing a MAC
 * allocates nothing and looks nothing up by name. An nta_mac is NOT thread-safe (its contexts are
 * reused); give each thread its own (see nta_keyring_clone). */
#ifndef NTPAUTH_MAC_H
#define NTPAUTH_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/status.h"

#define NTA_MAC_MAX 64     /* largest digest (SHA512) */
#define NTA_MAC_TRUNC 20   /* ntpd/ntpsec truncate longer outputs to this, chrony in NTPv4 */

typedef enum { NTA_MAC_DIGEST, NTA_MAC_CMAC } nta_mac_kind;

typedef struct nta_mac nta_mac;

/* Resolves a keyfile type name (case-insensitive; aliases of ntpd, ntpsec and chrony: MD5, M*,
 * SHA1, SHA-1, SHA, SHA224..SHA512, SHA3-*, RIPEMD160, AES, AES128CMAC, AES128, AES-128, AES256,
 * AES-256-CMAC, ... and any digest OpenSSL knows) and prepares it with the key.
 * CMAC keys must be exactly the cipher's key length. Returns NULL and fills `err` on failure. */
nta_mac *nta_mac_create(const char *type_name, const uint8_t *key, size_t key_len, nta_diag *err);
nta_mac *nta_mac_clone(const nta_mac *m);   /* fresh contexts, same key */
void nta_mac_destroy(nta_mac *m);

nta_mac_kind nta_mac_get_kind(const nta_mac *m);
/* Canonical display name: "MD5", "SHA1", "SHA256", "SHA3-256", "AES128CMAC", "AES256CMAC", ... */
const char *nta_mac_name(const nta_mac *m);
size_t nta_mac_output_len(const nta_mac *m);  /* full output: 16 MD5/CMAC, 20 SHA1, 32 SHA256 ... */

/* Computes the full MAC over data into out (NTA_MAC_MAX bytes). Returns the output length, 0 on
 * an OpenSSL failure. */
size_t nta_mac_compute(nta_mac *m, const uint8_t *data, size_t len, uint8_t out[NTA_MAC_MAX]);

/* Is `digest_len` a length this algorithm may appear with on the wire? The full output length,
 * or NTA_MAC_TRUNC when the output is longer than that. */
bool nta_mac_len_acceptable(const nta_mac *m, size_t digest_len);

#endif
