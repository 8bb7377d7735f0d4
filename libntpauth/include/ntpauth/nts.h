/* ntpauth/nts.h - NTS-protected NTP (RFC 8915): key sources, key derivation, AEAD, fields.
 *
 * An NTS packet carries no key ID: its keys come from the NTS-KE session that handed the client
 * its cookies. Those keys exist outside the packets in two places:
 *  - a TLS key log (NSS format; GnuTLS and OpenSSL write it when SSLKEYLOGFILE is set): its
 *    EXPORTER_SECRET lines give the TLS 1.3 exporter secret, from which the client-to-server
 *    (C2S) and server-to-client (S2C) keys follow (RFC 8915 §5.1, RFC 8446 §7.5);
 *  - chrony's ntsdumpdir client files (written at exit), which hold the session's C2S and S2C
 *    keys and its unused cookies directly.
 * A store (nta_nts_store) collects the sessions from both; identical key pairs are kept once.
 * Requests are verified with C2S, replies with S2C, using AEAD_AES_SIV_CMAC_256 (RFC 5297) from
 * nettle: OpenSSL 3.0's AES-SIV rejects the empty plaintext every NTS request has. */
#ifndef NTPAUTH_NTS_H
#define NTPAUTH_NTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/status.h"

#define NTA_NTS_AEAD_AES_SIV_CMAC_256 15   /* IANA AEAD id, the algorithm NTS requires */
#define NTA_NTS_ALG_NAME "AES-SIV-CMAC-256"
#define NTA_NTS_KEY_LEN 32                 /* AES-SIV-CMAC-256: two AES-128 keys */
#define NTA_NTS_TAG_LEN 16
#define NTA_NTS_NAME_MAX 64
#define NTA_NTS_MAX_COOKIES 8              /* per reply / per NTS-KE response (chrony's limit) */
#define NTA_NTS_COOKIE_MAX 256
#define NTA_NTS_PLAIN_MAX 2048             /* decrypted EFs kept from one reply */
#define NTA_TLS_SECRET_MAX 48              /* SHA-384 */
#define NTA_TLS_RANDOM_LEN 32

/* NTS extension field types (RFC 8915 §5.7). */
enum {
  NTA_EF_NTS_UID = 0x0104,
  NTA_EF_NTS_COOKIE = 0x0204,
  NTA_EF_NTS_PLACEHOLDER = 0x0304,
  NTA_EF_NTS_AUTH = 0x0404
};

/* ---- Key derivation (nts_kdf.c, OpenSSL HMAC) ---- */

/* HKDF-Expand-Label (RFC 8446 §7.1) with SHA-256 (secret_len 32) or SHA-384 (48).
 * Returns NTA_ERR_ARG for other lengths or out_len > 255 * hash length. */
nta_status nta_hkdf_expand_label(const uint8_t *secret, size_t secret_len, const char *label,
                                 const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len);
/* TLS 1.3 exporter (RFC 8446 §7.5) from an exporter master secret; the hash follows from the
 * secret's length as above. */
nta_status nta_tls13_exporter(const uint8_t *secret, size_t secret_len, const char *label,
                              const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len);
/* The NTS keys of a session (RFC 8915 §5.1): the exporter with the label
 * "EXPORTER-network-time-security" and the context 0x0000 (NTPv4), the AEAD id, and 0x00 (C2S)
 * or 0x01 (S2C). Only AES-SIV-CMAC-256 is supported (NTA_ERR_UNSUPPORTED otherwise). */
nta_status nta_nts_derive_keys(const uint8_t *exporter_secret, size_t secret_len, uint16_t aead,
                               uint8_t c2s[NTA_NTS_KEY_LEN], uint8_t s2c[NTA_NTS_KEY_LEN]);

/* ---- AES-SIV-CMAC-256 (nts_siv.c, nettle) with one associated data string and a nonce,
 * the two components NTS uses (RFC 8915 §5.6). ---- */

/* Decrypts and authenticates ct (ct_len >= 16: tag first, as RFC 5297 places it) into
 * pt (ct_len - 16 bytes). The tag comparison is nettle's constant-time one. nonce_len >= 1. */
bool nta_siv_open(const uint8_t key[NTA_NTS_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
                  const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *pt);
/* Encrypts pt into ct (pt_len + 16 bytes). For tests, benchmarks and sample generators. */
bool nta_siv_seal(const uint8_t key[NTA_NTS_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
                  const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *ct);

/* ---- NTS extension fields (nts_fields.c) ---- */

typedef struct {
  uint32_t off;   /* from the start of the buffer parsed */
  uint16_t len;
} nta_span;

typedef struct {
  bool has_uid, has_cookie, has_auth;
  nta_span uid;            /* Unique Identifier body */
  nta_span cookie;         /* the (first) cookie's body */
  uint8_t n_cookies;       /* NTS Cookie EFs seen (a request carries exactly one) */
  uint8_t n_placeholders;
  uint8_t n_other;         /* non-NTS EFs */
  uint32_t auth_off;       /* start of the Authenticator EF = length of the associated data */
  nta_span nonce, ciphertext;
} nta_nts_fields;

/* Walks the extension fields after the 48-byte header of an NTPv4 packet (RFC 7822 §3 layout,
 * each >= 16 bytes) and records the NTS ones. NTA_ERR_PARSE with a reason when the walk fails,
 * the Authenticator is malformed (nonce/ciphertext beyond the field, ciphertext shorter than the
 * tag) or is not the last field; NTA_OK with has_auth false for a packet without one. */
nta_status nta_nts_parse(const uint8_t *buf, size_t len, nta_nts_fields *f, nta_diag *why);

typedef struct {
  uint8_t n_cookies;
  nta_span cookies[NTA_NTS_MAX_COOKIES];  /* offsets into the plaintext */
  uint8_t n_dropped;                      /* cookies past NTA_NTS_MAX_COOKIES */
  uint8_t n_other;
} nta_nts_plain;

/* Parses the decrypted EFs of a reply (any EF of >= 4 bytes, as chrony reads them) and lists the
 * cookies among them. */
nta_status nta_nts_parse_plain(const uint8_t *pt, size_t len, nta_nts_plain *p, nta_diag *why);

/* Appends NTS fields to the 48-byte header in buf (as chrony lays them out): a Unique Identifier,
 * a Cookie (cookie_len > 0) or nothing, n_placeholders Cookie Placeholders of the cookie's
 * length, and the Authenticator sealing `pt` (the encrypted EFs, may be empty) with `key` and
 * `nonce`. Returns the packet length, 0 when it does not fit in cap. For tests, benchmarks and
 * generated samples. */
size_t nta_nts_build(uint8_t *buf, size_t cap, const uint8_t *uid, size_t uid_len,
                     const uint8_t *cookie, size_t cookie_len, unsigned n_placeholders,
                     const uint8_t key[NTA_NTS_KEY_LEN], const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *pt, size_t pt_len);

/* ---- Sessions (nts_keys.c) ---- */

typedef enum { NTA_NTS_SRC_KEYLOG = 0, NTA_NTS_SRC_DUMP } nta_nts_source;

typedef struct {
  char name[NTA_NTS_NAME_MAX];   /* "tls:1a2b3c4d" (client random's first 4 bytes) or
                                    "dump:127.0.0.1" (the dump file's name without .nts) */
  nta_nts_source source;
  char origin[NTA_NTS_NAME_MAX]; /* "FILE:LINE" of the key log line / the dump file's path */
  uint16_t aead;
  uint8_t c2s[NTA_NTS_KEY_LEN], s2c[NTA_NTS_KEY_LEN];
  bool has_random;
  uint8_t client_random[NTA_TLS_RANDOM_LEN];
  char server[64];               /* dump: the NTP server address and port; "" otherwise */
  bool in_both;                  /* the same keys came from a key log and a dump */
} nta_nts_session;

/* The TLS 1.3 secrets of one connection in a key log (for decrypting NTS-KE). */
typedef struct {
  uint8_t client_random[NTA_TLS_RANDOM_LEN];
  uint8_t len;                   /* 32 or 48: all secrets of a connection share the hash */
  uint8_t have;                  /* bit set of NTA_TLS_* below */
  uint8_t secret[5][NTA_TLS_SECRET_MAX];
} nta_tls_secrets;

enum { NTA_TLS_CHTS = 0, NTA_TLS_SHTS, NTA_TLS_CTS0, NTA_TLS_STS0, NTA_TLS_EXPORTER };

typedef struct nta_nts_store nta_nts_store;

nta_nts_store *nta_nts_store_create(void);
void nta_nts_store_destroy(nta_nts_store *st);

/* Reads an NSS key log. Lines of other labels and TLS 1.2 lines are skipped silently; malformed
 * lines are added to `diags` as "FILE:LINE: reason" and skipped. Every EXPORTER_SECRET becomes a
 * session. NTA_ERR_IO with `err` naming the path when it cannot be read. */
nta_status nta_nts_load_keylog(nta_nts_store *st, const char *path, nta_diags *diags,
                               nta_diag *err);
nta_status nta_nts_load_keylog_text(nta_nts_store *st, const char *name, const char *text,
                                    size_t len, nta_diags *diags);
/* Reads chrony ntsdumpdir client files: `path` is one file or a directory whose *.nts files are
 * read. A file that does not follow the format is an error naming "FILE:LINE". */
nta_status nta_nts_load_dump(nta_nts_store *st, const char *path, nta_diags *diags,
                             nta_diag *err);
nta_status nta_nts_load_dump_text(nta_nts_store *st, const char *name, const char *text,
                                  size_t len, nta_diag *err);

size_t nta_nts_store_count(const nta_nts_store *st);
const nta_nts_session *nta_nts_store_session(const nta_nts_store *st, size_t i);
/* The key log secrets of the connection with this client random, or NULL. */
const nta_tls_secrets *nta_nts_store_tls(const nta_nts_store *st,
                                         const uint8_t client_random[NTA_TLS_RANDOM_LEN]);
/* The session a dump lists this (unused) cookie for, or -1. */
int nta_nts_store_dump_cookie(const nta_nts_store *st, const uint8_t *cookie, size_t len);
/* Index of the session whose exporter secret came with this client random, or -1. */
int nta_nts_store_find_random(const nta_nts_store *st,
                              const uint8_t client_random[NTA_TLS_RANDOM_LEN]);

#endif
