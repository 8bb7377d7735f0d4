/* kg_keys.h - key types, random secrets and keyfile lines for ntpauth-keygen.
 *
 * One table says, per algorithm, how each dialect names it and how long its secret is, so the
 * three keyfile dialects cannot drift apart. */
#ifndef NTPAUTH_KG_KEYS_H
#define NTPAUTH_KG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "ntpauth/keyring.h"
#include "ntpauth/status.h"

#define KG_SECRET_MAX 32      /* ntpsec decodes at most 32 key bytes */
#define KG_PRINTABLE_LEN 20   /* ntp-keygen -M MD5 keys: 20 ASCII characters (<= 20 means ASCII) */

typedef struct {
  const char *canonical;    /* as nta_mac_name() spells it: "MD5", "SHA1", "AES128CMAC", ... */
  const char *ntpd_name;    /* Classic ntpd 4.2.8 keyfile type */
  const char *ntpsec_name;  /* ntpsec keyfile type */
  const char *chrony_name;  /* chrony keyfile type (case-sensitive); NULL: chrony lacks it */
  size_t secret_len;        /* bytes of key material */
  bool printable;           /* ntpd/ntpsec: 20 printable characters instead of hex */
  bool classic_ok;          /* Classic ntpd 4.2.8 can use it */
} kg_type;

typedef struct {
  uint32_t id;
  const kg_type *type;
  uint8_t secret[KG_SECRET_MAX];
  size_t secret_len;
} kg_key;

/* Looks a type up by any of its names or aliases, case-insensitively; NULL when unknown. */
const kg_type *kg_type_find(const char *name);
const kg_type *kg_type_md5(void);
const kg_type *kg_type_sha1(void);
/* A comma-separated list of the accepted names, for --help and error messages. */
const char *kg_type_list(void);

/* The type's name in `dialect`, NULL when the dialect cannot express it. */
const char *kg_type_name_in(const kg_type *t, nta_dialect dialect);

/* Fills key->secret from OpenSSL's RAND_bytes: printable keys get characters 0x21-0x7E except
 * '#' (ntp-keygen's alphabet: '#' would start a comment), others raw bytes. */
nta_status kg_key_randomize(kg_key *key, nta_diag *err);

/* Appends one keyfile line (with its newline) for `key` in `dialect`. */
nta_status kg_format_line(GString *out, const kg_key *key, nta_dialect dialect, nta_diag *err);

/* Largest key ID the dialect's daemons accept. */
uint32_t kg_dialect_max_id(nta_dialect dialect);

#endif
