/* sg_build.h - NTP message building for the deterministic sample generator.
 *
 * Everything is written through ntpauth/bytes.h writers into caller buffers; "random" bytes
 * (NTS nonces, cookies) come from a fixed-seed generator so every run is identical. */
#ifndef NTPAUTH_SG_BUILD_H
#define NTPAUTH_SG_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_MSG_MAX 1024

typedef struct {
  uint64_t state;
} sg_prng;

void sg_prng_seed(sg_prng *r, uint64_t seed);
void sg_prng_fill(sg_prng *r, uint8_t *out, size_t n);

/* Appends an extension field at `len`: type, body, zero padding up to a multiple of 4 and at
 * least `min_len` bytes in all. Returns the new length (0 when it does not fit). */
size_t sg_put_ef(uint8_t *buf, size_t len, size_t cap, uint16_t type, const uint8_t *body,
                 size_t body_len, size_t min_len);

/* An NTS authenticator EF (0x0404): nonce and ciphertext lengths, nonce, ciphertext, each padded
 * to 4. Nonce and ciphertext bytes come from `r` (a stand-in for AES-SIV output). */
size_t sg_put_nts_auth(uint8_t *buf, size_t len, size_t cap, sg_prng *r, size_t nonce_len,
                       size_t ciphertext_len);

/* A four-letter code or clock name as a reference ID ("GPS" -> 'G''P''S'0). */
uint32_t sg_refid_text(const char *text);
uint32_t sg_refid_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
/* NTP short format (16.16) from seconds. */
uint32_t sg_short_from_seconds(double s);

#endif
