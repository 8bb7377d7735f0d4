/* nts_internal.h - shared between the nts_*.c files of the core. */
#ifndef NTPAUTH_NTS_INTERNAL_H
#define NTPAUTH_NTS_INTERNAL_H

#include <nettle/siv-cmac.h>

#include "ntpauth/nts.h"

/* A key schedule prepared once per session and direction: setting an AES-SIV key costs three
 * AES key expansions, more than verifying a request. */
typedef struct siv_cmac_aes128_ctx nta_siv_ctx;

void nta_siv_ctx_init(nta_siv_ctx *ctx, const uint8_t key[NTA_NTS_KEY_LEN]);
bool nta_siv_ctx_open(const nta_siv_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
                      const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t ct_len,
                      uint8_t *pt);

/* The prepared C2S / S2C contexts of session i of a store. */
const nta_siv_ctx *nta_nts_store_ctx(const nta_nts_store *st, size_t i, bool s2c);

/* Reads a whole regular file (at most max bytes) into a NUL-terminated malloc'd buffer. */
nta_status nta_read_small_file(const char *path, size_t max, char **text, size_t *len,
                               nta_diag *err);

#endif
