/* mac_internal.h - MAC helpers shared inside the core (not part of the public interface). */
#ifndef NTPAUTH_MAC_INTERNAL_H
#define NTPAUTH_MAC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Constant-time comparison of n bytes: true when equal. Every byte is read whatever differs,
 * so the time taken tells nothing about where a forged MAC goes wrong. */
bool nta_ct_equal(const void *a, const void *b, size_t n);

/* Decodes hex text (either case, even count); returns bytes written or -1. */
long nta_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_cap);

#endif
