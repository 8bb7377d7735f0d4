/* kg_keys.c - key types, random secrets and keyfile lines for ntpauth-keygen. */
#include "kg_keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/rand.h>

/* Secrets longer than 32 bytes would be truncated by ntpsec, so long digests get 32 bytes of key
 * (still far above the 80 bits chrony warns about). */
static const kg_type kg_types[] = {
  { "MD5",        "MD5",        "MD5",        "MD5",      KG_PRINTABLE_LEN, true,  true },
  { "SHA1",       "SHA1",       "SHA1",       "SHA1",     20, false, true },
  { "SHA224",     "SHA224",     "SHA224",     NULL,       28, false, true },
  { "SHA256",     "SHA256",     "SHA256",     "SHA256",   32, false, true },
  { "SHA384",     "SHA384",     "SHA384",     "SHA384",   32, false, true },
  { "SHA512",     "SHA512",     "SHA512",     "SHA512",   32, false, true },
  { "SHA3-224",   "SHA3-224",   "SHA3-224",   "SHA3-224", 28, false, true },
  { "SHA3-256",   "SHA3-256",   "SHA3-256",   "SHA3-256", 32, false, true },
  { "SHA3-384",   "SHA3-384",   "SHA3-384",   "SHA3-384", 32, false, true },
  { "SHA3-512",   "SHA3-512",   "SHA3-512",   "SHA3-512", 32, false, true },
  /* ntpsec reads "AES" as AES-128-CMAC and "AES-256" as AES-256-CMAC (it appends "-CBC" to find
   * the cipher); ntpd 4.2.8 knows only AES128CMAC (or CMAC), so it has no AES-256 at all;
   * chrony says AES128/AES256. */
  { "AES128CMAC", "AES128CMAC", "AES",        "AES128",   16, false, true },
  { "AES256CMAC", NULL,         "AES-256",    "AES256",   32, false, false },
};

typedef struct {
  const char *alias;
  const char *canonical;
} kg_alias;

static const kg_alias kg_aliases[] = {
  { "SHA-1", "SHA1" },       { "SHA", "SHA1" },
  { "SHA-224", "SHA224" },   { "SHA-256", "SHA256" },  { "SHA-384", "SHA384" },
  { "SHA-512", "SHA512" },
  { "AES", "AES128CMAC" },   { "AES128", "AES128CMAC" }, { "AES-128", "AES128CMAC" },
  { "AES-128-CMAC", "AES128CMAC" },
  { "AES256", "AES256CMAC" }, { "AES-256", "AES256CMAC" }, { "AES-256-CMAC", "AES256CMAC" },
};

#define KG_N_TYPES (sizeof kg_types / sizeof kg_types[0])

static const kg_type *find_canonical(const char *name) {
  for (size_t i = 0; i < KG_N_TYPES; i++)
    if (strcasecmp(kg_types[i].canonical, name) == 0)
      return &kg_types[i];
  return NULL;
}

const kg_type *kg_type_find(const char *name) {
  if (!name)
    return NULL;
  const kg_type *t = find_canonical(name);
  if (t)
    return t;
  for (size_t i = 0; i < sizeof kg_aliases / sizeof kg_aliases[0]; i++)
    if (strcasecmp(kg_aliases[i].alias, name) == 0)
      return find_canonical(kg_aliases[i].canonical);
  return NULL;
}

const kg_type *kg_type_md5(void) { return &kg_types[0]; }
const kg_type *kg_type_sha1(void) { return &kg_types[1]; }

const char *kg_type_list(void) {
  return "MD5, SHA1, SHA224, SHA256, SHA384, SHA512, SHA3-224, SHA3-256, SHA3-384, SHA3-512, "
         "AES128CMAC (AES, AES128), AES256CMAC (AES256)";
}

const char *kg_type_name_in(const kg_type *t, nta_dialect dialect) {
  switch (dialect) {
  case NTA_DIALECT_CHRONY: return t->chrony_name;
  case NTA_DIALECT_NTPSEC: return t->ntpsec_name;
  default: return t->ntpd_name;
  }
}

uint32_t kg_dialect_max_id(nta_dialect dialect) {
  return dialect == NTA_DIALECT_CHRONY ? UINT32_MAX : 65535;
}

static nta_status random_bytes(uint8_t *out, size_t n, nta_diag *err) {
  if (RAND_bytes(out, (int)n) != 1)
    return nta_diag_set(err, NTA_ERR_UNSUPPORTED, "OpenSSL RAND_bytes failed: %s",
                        ERR_reason_error_string(ERR_get_error()) ?: "no entropy");
  return NTA_OK;
}

/* Rejection sampling keeps every allowed character equally likely. */
static nta_status random_printable(uint8_t *out, size_t n, nta_diag *err) {
  uint8_t pool[64];
  size_t have = 0, used = 0;
  while (have < n) {
    if (used == 0 || used == sizeof pool) {
      nta_status st = random_bytes(pool, sizeof pool, err);
      if (st != NTA_OK)
        return st;
      used = 0;
    }
    uint8_t c = pool[used++] & 0x7f;
    if (c >= 0x21 && c <= 0x7e && c != '#')
      out[have++] = c;
  }
  return NTA_OK;
}

nta_status kg_key_randomize(kg_key *key, nta_diag *err) {
  key->secret_len = key->type->secret_len;
  if (key->type->printable)
    return random_printable(key->secret, key->secret_len, err);
  return random_bytes(key->secret, key->secret_len, err);
}

static void append_hex(GString *out, const uint8_t *b, size_t n, bool upper) {
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    g_string_append_c(out, digits[b[i] >> 4]);
    g_string_append_c(out, digits[b[i] & 15]);
  }
}

nta_status kg_format_line(GString *out, const kg_key *key, nta_dialect dialect, nta_diag *err) {
  const char *name = kg_type_name_in(key->type, dialect);
  if (!name)
    return nta_diag_set(err, NTA_ERR_UNSUPPORTED, "%s keys cannot be written for %s",
                        key->type->canonical, nta_dialect_name(dialect));
  if (dialect == NTA_DIALECT_CHRONY) {
    /* chrony: no prefix would mean ASCII and there are no end-of-line comments. */
    g_string_append_printf(out, "%" PRIu32 " %s HEX:", key->id, name);
    append_hex(out, key->secret, key->secret_len, true);
    g_string_append_c(out, '\n');
    return NTA_OK;
  }
  /* ntpd and ntpsec: <= 20 characters is ASCII, more is hex; ntp-keygen's line layout. */
  g_string_append_printf(out, "%2" PRIu32 " %s ", key->id, name);
  if (key->type->printable)
    g_string_append_len(out, (const char *)key->secret, (gssize)key->secret_len);
  else
    append_hex(out, key->secret, key->secret_len, false);
  g_string_append_printf(out, "  # %s key\n", name);
  return NTA_OK;
}
