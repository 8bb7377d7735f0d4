/* ntpauth/keyring.h - symmetric keys from ntpd, ntpsec and chrony keyfiles, and the trusted set.
 *
 * A keyring owns prepared MAC state per key (mac.h). Lookups by key ID allocate nothing. Like
 * nta_mac, a keyring is not thread-safe: each thread verifying packets uses its own clone. */
#ifndef NTPAUTH_KEYRING_H
#define NTPAUTH_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/mac.h"
#include "ntpauth/status.h"

typedef enum {
  NTA_DIALECT_AUTO = 0,
  NTA_DIALECT_NTPD,    /* ntp-keygen -M; Classic 4.2.8: <=20 chars ASCII, else hex; IDs 1-65535 */
  NTA_DIALECT_NTPSEC,  /* ntpkeygen; same ASCII/hex rule; IDs 1-65535 */
  NTA_DIALECT_CHRONY   /* HEX:/ASCII: prefixes, no prefix = ASCII; IDs 1-2^32-1 */
} nta_dialect;

const char *nta_dialect_name(nta_dialect d);           /* "auto", "ntpd", "ntpsec", "chrony" */
bool nta_dialect_from_name(const char *name, nta_dialect *out);

typedef struct nta_key nta_key;   /* owned by the keyring */

uint32_t nta_key_id(const nta_key *k);
nta_mac *nta_key_mac(const nta_key *k);                /* prepared state for compute/verify */
const char *nta_key_alg_name(const nta_key *k);        /* same as nta_mac_name */
/* The daemon that would read this key's text into other bytes ("ntpd", "ntpsec", "chrony"), or
 * NULL. Set only for detected (not pinned) ntpd-style keyfiles; verification also tries that
 * reading. */
const char *nta_key_read_differently_by(const nta_key *k);
const char *nta_key_type_text(const nta_key *k);       /* the type as written in the file */
size_t nta_key_secret_len(const nta_key *k);
const char *nta_key_source(const nta_key *k);          /* "file:line" or "uat" or "config" */
/* Secret bytes (for writing keyfiles in another dialect and for the keygen). */
const uint8_t *nta_key_secret(const nta_key *k);
/* "key 11 (SHA1)", prepared when the key is added (the reason of a good verdict). */
const char *nta_key_label(const nta_key *k);

typedef struct nta_keyring nta_keyring;

nta_keyring *nta_keyring_create(void);
void nta_keyring_destroy(nta_keyring *kr);
nta_keyring *nta_keyring_clone(const nta_keyring *kr);  /* same keys + trust, own MAC contexts */

/* Loads a keyfile. Problems with single lines are added to `diags` as "path:line: reason" and the
 * line is skipped (matching what the daemons do); a file that cannot be opened or read returns
 * NTA_ERR_IO with a message in `err` naming the path, and for a symlink its target and the
 * target's owner and mode, with likely causes (privilege drop, AppArmor). A keyfile readable or
 * writable by group/others adds a warning. `used_dialect` (may be NULL) reports the dialect
 * actually applied after AUTO detection. Later keys with an existing ID replace earlier ones
 * (with a warning). */
nta_status nta_keyring_load_file(nta_keyring *kr, const char *path, nta_dialect dialect,
                                 nta_dialect *used_dialect, nta_diags *diags, nta_diag *err);
/* Same from memory; `name` is used in messages in place of a path (fuzzing, tests, UAT). */
nta_status nta_keyring_load_text(nta_keyring *kr, const char *name, const char *text, size_t len,
                                 nta_dialect dialect, nta_dialect *used_dialect, nta_diags *diags,
                                 nta_diag *err);
/* Detects the dialect of keyfile text (chrony when any HEX:/ASCII: prefix, a two-field line or
 * an ID > 65535 appears; otherwise ntpd - ntpd and ntpsec read keys alike). */
nta_dialect nta_keyring_detect_dialect(const char *text, size_t len);

/* Adds one key (UAT rows, server config, tests). `key_text` follows the dialect's ASCII/hex rule. */
nta_status nta_keyring_add_text(nta_keyring *kr, uint32_t id, const char *type, const char *key_text,
                                nta_dialect dialect, const char *source, nta_diag *err);
nta_status nta_keyring_add_raw(nta_keyring *kr, uint32_t id, const char *type,
                               const uint8_t *secret, size_t secret_len, const char *source,
                               nta_diag *err);

/* Whether nta_verify explains bad MACs with this keyring (default yes; see verify.h). A server
 * answering untrusted traffic turns it off: each explanation costs up to
 * NTA_EXPLAIN_MAX_KEYS + 12 MAC computations. */
void nta_keyring_set_explain(nta_keyring *kr, bool on);
bool nta_keyring_explains(const nta_keyring *kr);

const nta_key *nta_keyring_find(const nta_keyring *kr, uint32_t id);
size_t nta_keyring_count(const nta_keyring *kr);
const nta_key *nta_keyring_key_at(const nta_keyring *kr, size_t i);   /* sorted by ID */

/* Trust. Until nta_keyring_trust() is called at least once, every key counts as trusted.
 * `spec` is ntp.conf syntax "11 12 (13 ... 20)" or the compact "11-20", "11,12"; cumulative. */
nta_status nta_keyring_trust(nta_keyring *kr, const char *spec, nta_diag *err);
bool nta_keyring_has_trust_list(const nta_keyring *kr);
bool nta_keyring_is_trusted(const nta_keyring *kr, uint32_t id);

/* Weak-key audit for the findings: MD5, or a secret shorter than 10 bytes (80 bits).
 * Writes a reason such as "MD5 (deprecated by RFC 8573)" into why. */
bool nta_key_is_weak(const nta_key *k, char *why, size_t whylen);

#endif
