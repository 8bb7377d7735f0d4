/* mac.c - the legacy NTP MAC: digest(key || data) or AES-CMAC(key, data), OpenSSL 3 EVP.
 *
 * Everything that costs time (name lookup, algorithm fetch, context allocation, CMAC key
 * schedule) happens once in nta_mac_create(). nta_mac_compute() only re-initialises the
 * prepared contexts.
 *
 * MD5, SHA1 and SHA2 take a fast path: OpenSSL 3.0's EVP_DigestInit_ex2() frees, cleanses and
 * re-allocates the provider's digest state on every call (about a third of a SHA1 verification
 * of a 48-byte packet), so for these the key is absorbed once into a low-level context
 * (MD5_CTX, SHA_CTX, ...) which is copied by value for each packet: no allocation, no
 * provider dispatch. The low-level functions are deprecated in 3.0 but present and compute the
 * same digests. Every other digest goes through EVP. tests/libntpauth/test_mac.c counts allocations
 * per compute (none for the fast path and CMAC). */

/* The low-level digest API is deprecated in OpenSSL 3.0; we use it knowingly (see above). */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "ntpauth/mac.h"
#include "mac_internal.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/md5.h>
#include <openssl/provider.h>
#include <openssl/sha.h>

#define TYPE_NAME_MAX 64

/* Digests computed with OpenSSL's low-level API from a keyed context copied per packet. */
typedef enum { FAST_NONE, FAST_MD5, FAST_SHA1, FAST_SHA224, FAST_SHA256, FAST_SHA384,
               FAST_SHA512 } fast_kind;

typedef union {
  MD5_CTX md5;
  SHA_CTX sha1;
  SHA256_CTX sha256;   /* also SHA224 */
  SHA512_CTX sha512;   /* also SHA384 */
} fast_ctx;

struct nta_mac {
  nta_mac_kind kind;
  char name[TYPE_NAME_MAX];     /* canonical display name */
  size_t out_len;
  bool xof;                     /* SHAKE*: finalised with an explicit length */
  uint8_t *key;
  size_t key_len;
  /* digest */
  EVP_MD *md;
  EVP_MD_CTX *md_ctx;
  fast_kind fast;               /* FAST_NONE: use md_ctx */
  fast_ctx keyed;               /* fast path: the state after hashing the key */
  /* CMAC */
  char cipher[TYPE_NAME_MAX];   /* "AES-128-CBC", ... */
  EVP_MAC *mac;
  EVP_MAC_CTX *mac_ctx;
};

/* ---- type names ---------------------------------------------------------------------------- */

typedef struct {
  const char *alias;      /* upper case */
  const char *canonical;  /* our display name */
  const char *ossl;       /* name given to OpenSSL */
  size_t cmac_key_len;    /* 0 for digests */
} type_alias;

/* Names the daemons accept that OpenSSL does not know under that spelling, and the canonical
 * display names of the common ones. Anything else is looked up in OpenSSL as written. */
static const type_alias type_aliases[] = {
  {"MD5", "MD5", "MD5", 0},
  {"SHA1", "SHA1", "SHA1", 0},
  {"SHA-1", "SHA1", "SHA1", 0},
  {"SHA", "SHA1", "SHA1", 0},          /* old OpenSSL short name still used in keyfiles */
  {"SHA224", "SHA224", "SHA2-224", 0},
  {"SHA-224", "SHA224", "SHA2-224", 0},
  {"SHA2-224", "SHA224", "SHA2-224", 0},
  {"SHA256", "SHA256", "SHA2-256", 0},
  {"SHA-256", "SHA256", "SHA2-256", 0},
  {"SHA2-256", "SHA256", "SHA2-256", 0},
  {"SHA384", "SHA384", "SHA2-384", 0},
  {"SHA-384", "SHA384", "SHA2-384", 0},
  {"SHA2-384", "SHA384", "SHA2-384", 0},
  {"SHA512", "SHA512", "SHA2-512", 0},
  {"SHA-512", "SHA512", "SHA2-512", 0},
  {"SHA2-512", "SHA512", "SHA2-512", 0},
  {"SHA3-224", "SHA3-224", "SHA3-224", 0},
  {"SHA3-256", "SHA3-256", "SHA3-256", 0},
  {"SHA3-384", "SHA3-384", "SHA3-384", 0},
  {"SHA3-512", "SHA3-512", "SHA3-512", 0},
  {"SHA3224", "SHA3-224", "SHA3-224", 0},
  {"SHA3256", "SHA3-256", "SHA3-256", 0},
  {"SHA3384", "SHA3-384", "SHA3-384", 0},
  {"SHA3512", "SHA3-512", "SHA3-512", 0},
  {"RIPEMD160", "RIPEMD160", "RIPEMD160", 0},
  {"RIPEMD-160", "RIPEMD160", "RIPEMD160", 0},
  {"RMD160", "RIPEMD160", "RIPEMD160", 0},
  {"AES", "AES128CMAC", "AES-128-CBC", 16},   /* ntpsec: "AES" is AES-128 */
  {"AES128", "AES128CMAC", "AES-128-CBC", 16},
  {"AES-128", "AES128CMAC", "AES-128-CBC", 16},
  {"AES128CMAC", "AES128CMAC", "AES-128-CBC", 16},
  {"AES-128-CMAC", "AES128CMAC", "AES-128-CBC", 16},
  {"AES-128-CBC", "AES128CMAC", "AES-128-CBC", 16},
  {"AES192", "AES192CMAC", "AES-192-CBC", 24},
  {"AES-192", "AES192CMAC", "AES-192-CBC", 24},
  {"AES192CMAC", "AES192CMAC", "AES-192-CBC", 24},
  {"AES-192-CMAC", "AES192CMAC", "AES-192-CBC", 24},
  {"AES-192-CBC", "AES192CMAC", "AES-192-CBC", 24},
  {"AES256", "AES256CMAC", "AES-256-CBC", 32},
  {"AES-256", "AES256CMAC", "AES-256-CBC", 32},
  {"AES256CMAC", "AES256CMAC", "AES-256-CBC", 32},
  {"AES-256-CMAC", "AES256CMAC", "AES-256-CBC", 32},
  {"AES-256-CBC", "AES256CMAC", "AES-256-CBC", 32},
};

static const type_alias *find_alias(const char *upper) {
  for (size_t i = 0; i < sizeof type_aliases / sizeof type_aliases[0]; i++)
    if (strcmp(type_aliases[i].alias, upper) == 0) return &type_aliases[i];
  return NULL;
}

static bool upper_copy(const char *in, char out[TYPE_NAME_MAX]) {
  size_t n = strlen(in);
  if (n == 0 || n >= TYPE_NAME_MAX) return false;
  for (size_t i = 0; i <= n; i++) out[i] = (char)toupper((unsigned char)in[i]);
  return true;
}

/* Digests only OpenSSL's legacy provider has (MD4, WHIRLPOOL, MDC2, ...) are fetched from a
 * private library context, so loading that provider changes nothing for the rest of the
 * process. Created once, kept for the life of the process (digests fetched from it refer to it). */
static OSSL_LIB_CTX *legacy_libctx;
static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;

static void legacy_libctx_init(void) {
  OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();
  if (!ctx) return;
  if (!OSSL_PROVIDER_load(ctx, "legacy") || !OSSL_PROVIDER_load(ctx, "default")) {
    OSSL_LIB_CTX_free(ctx);
    return;
  }
  legacy_libctx = ctx;
}

static EVP_MD *fetch_digest(const char *name) {
  EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
  if (md) return md;
  pthread_once(&legacy_once, legacy_libctx_init);
  return legacy_libctx ? EVP_MD_fetch(legacy_libctx, name, NULL) : NULL;
}

/* ntpsec appends "-CBC" to a type name and accepts any such 128-bit block cipher OpenSSL has as
 * a CMAC (CAMELLIA-128, ARIA-256, SM4 ...). Returns the key length, or 0 when there is none. */
static size_t other_cmac_cipher(const char *upper, char *cipher, size_t cap,
                                char display[TYPE_NAME_MAX]) {
  if (strncmp(upper, "AES", 3) == 0) return 0;   /* the AES spellings are all in the table */
  snprintf(cipher, cap, "%s-CBC", upper);
  EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher, NULL);
  if (!c) return 0;
  size_t key_len = 0;
  if (EVP_CIPHER_get_block_size(c) == 16 && EVP_CIPHER_get_mode(c) == EVP_CIPH_CBC_MODE)
    key_len = (size_t)EVP_CIPHER_get_key_length(c);
  EVP_CIPHER_free(c);
  size_t n = 0;
  for (const char *p = upper; *p && n + 5 < TYPE_NAME_MAX; p++)
    if (*p != '-') display[n++] = *p;
  memcpy(display + n, "CMAC", 5);
  return key_len;
}

/* ---- low-level fast path ---------------------------------------------------------------------- */

static fast_kind fast_kind_of(const EVP_MD *md) {
  /* By name: these digests are fully specified, whichever provider OpenSSL found them in. */
  if (EVP_MD_is_a(md, "MD5")) return FAST_MD5;
  if (EVP_MD_is_a(md, "SHA1")) return FAST_SHA1;
  if (EVP_MD_is_a(md, "SHA2-224")) return FAST_SHA224;
  if (EVP_MD_is_a(md, "SHA2-256")) return FAST_SHA256;
  if (EVP_MD_is_a(md, "SHA2-384")) return FAST_SHA384;
  if (EVP_MD_is_a(md, "SHA2-512")) return FAST_SHA512;
  return FAST_NONE;
}

static size_t fast_block_size(fast_kind k) {
  return k == FAST_SHA384 || k == FAST_SHA512 ? 128 : 64;
}

/* Absorbs the key's whole blocks into m->keyed; the rest of the key (key_len % block size
 * bytes) is hashed with each packet. False when OpenSSL refuses (then EVP is used). */
static bool fast_prepare(nta_mac *m) {
  fast_ctx *c = &m->keyed;
  size_t whole = m->key_len - m->key_len % fast_block_size(m->fast);
  switch (m->fast) {
  case FAST_MD5: return MD5_Init(&c->md5) && MD5_Update(&c->md5, m->key, whole);
  case FAST_SHA1: return SHA1_Init(&c->sha1) && SHA1_Update(&c->sha1, m->key, whole);
  case FAST_SHA224: return SHA224_Init(&c->sha256) && SHA224_Update(&c->sha256, m->key, whole);
  case FAST_SHA256: return SHA256_Init(&c->sha256) && SHA256_Update(&c->sha256, m->key, whole);
  case FAST_SHA384: return SHA384_Init(&c->sha512) && SHA384_Update(&c->sha512, m->key, whole);
  case FAST_SHA512: return SHA512_Init(&c->sha512) && SHA512_Update(&c->sha512, m->key, whole);
  case FAST_NONE: break;
  }
  return false;
}

#define FAST_MAX_BLOCKS 4   /* key rest + NTP header + padding fit in 2; EFs may need more */

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static void put_be64(uint8_t *p, uint64_t v) {
  put_be32(p, (uint32_t)(v >> 32));
  put_be32(p + 4, (uint32_t)v);
}
static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* digest(key || data) from the keyed state. The short message (rest of the key, data, the
 * Merkle-Damgard padding with the bit length) is laid out in one buffer and fed block by block
 * to the compression function: no per-call buffering, padding or cleansing inside OpenSSL's
 * Update/Final, which cost as much as the compression itself for a 48-byte packet. Returns
 * the output length, or 0 when the message is too long for this path. */
static size_t fast_compute(const nta_mac *m, const uint8_t *data, size_t len, uint8_t *out) {
  size_t bs = fast_block_size(m->fast);
  size_t rest = m->key_len % bs;
  size_t len_field = bs == 128 ? 16 : 8;
  size_t msg = rest + len;
  size_t total = (msg + 1 + len_field + bs - 1) / bs * bs;
  if (len > FAST_MAX_BLOCKS * 128 || total > FAST_MAX_BLOCKS * bs) return 0;
  uint8_t buf[FAST_MAX_BLOCKS * 128] __attribute__((aligned(16)));
  /* Zero the blocks that hold the padding first, in fixed-size pieces (a variable-length
   * memset becomes `rep stos`, whose start-up alone costs as much as the copies). */
  for (size_t off = msg / 64 * 64; off < total; off += 64) {
    memset(buf + off, 0, 64);
    __asm__("" : : "r"(buf) : "memory");
  }
  memcpy(buf, m->key + (m->key_len - rest), rest);
  memcpy(buf + rest, data, len);
  buf[msg] = 0x80;
  uint64_t bits = (uint64_t)(m->key_len + len) * 8;
  if (m->fast == FAST_MD5) {   /* MD5 counts in little-endian */
    put_le32(buf + total - 8, (uint32_t)bits);
    put_le32(buf + total - 4, (uint32_t)(bits >> 32));
  } else {
    put_be64(buf + total - 8, bits);
  }

  fast_ctx c;
  size_t n = m->out_len;
  switch (m->fast) {
  case FAST_MD5:
    c.md5 = m->keyed.md5;
    for (size_t off = 0; off < total; off += bs) MD5_Transform(&c.md5, buf + off);
    put_le32(out, c.md5.A);
    put_le32(out + 4, c.md5.B);
    put_le32(out + 8, c.md5.C);
    put_le32(out + 12, c.md5.D);
    break;
  case FAST_SHA1:
    c.sha1 = m->keyed.sha1;
    for (size_t off = 0; off < total; off += bs) SHA1_Transform(&c.sha1, buf + off);
    put_be32(out, c.sha1.h0);
    put_be32(out + 4, c.sha1.h1);
    put_be32(out + 8, c.sha1.h2);
    put_be32(out + 12, c.sha1.h3);
    put_be32(out + 16, c.sha1.h4);
    break;
  case FAST_SHA224:
  case FAST_SHA256:
    c.sha256 = m->keyed.sha256;
    for (size_t off = 0; off < total; off += bs) SHA256_Transform(&c.sha256, buf + off);
    for (size_t i = 0; i < n / 4; i++) put_be32(out + 4 * i, c.sha256.h[i]);
    break;
  case FAST_SHA384:
  case FAST_SHA512:
    c.sha512 = m->keyed.sha512;
    for (size_t off = 0; off < total; off += bs) SHA512_Transform(&c.sha512, buf + off);
    for (size_t i = 0; i < n / 8; i++) put_be64(out + 8 * i, c.sha512.h[i]);
    break;
  case FAST_NONE:
    return 0;
  }
  /* The buffer's first bytes held the end of the key: wipe them (the barrier also keeps the
   * compiler from turning the loop into `rep stos`). The local state needs no wiping: it ends
   * as the final digest state (the MAC), and the transforms leave its buffer untouched. */
  for (size_t off = 0; off < rest; off += 64) {
    memset(buf + off, 0, 64);
    __asm__ __volatile__("" : : "r"(buf) : "memory");
  }
  return n;
}

/* The same through Update/Final, for messages too long for fast_compute's buffer. */
static size_t fast_compute_long(const nta_mac *m, const uint8_t *data, size_t len, uint8_t *out) {
  const uint8_t *rest = m->key + (m->key_len - m->key_len % fast_block_size(m->fast));
  size_t rest_len = m->key_len % fast_block_size(m->fast);
  fast_ctx c;
  int ok = 0;
  switch (m->fast) {
  case FAST_MD5:
    c.md5 = m->keyed.md5;
    ok = MD5_Update(&c.md5, rest, rest_len) && MD5_Update(&c.md5, data, len) &&
         MD5_Final(out, &c.md5);
    break;
  case FAST_SHA1:
    c.sha1 = m->keyed.sha1;
    ok = SHA1_Update(&c.sha1, rest, rest_len) && SHA1_Update(&c.sha1, data, len) &&
         SHA1_Final(out, &c.sha1);
    break;
  case FAST_SHA224:
    c.sha256 = m->keyed.sha256;
    ok = SHA224_Update(&c.sha256, rest, rest_len) && SHA224_Update(&c.sha256, data, len) &&
         SHA224_Final(out, &c.sha256);
    break;
  case FAST_SHA256:
    c.sha256 = m->keyed.sha256;
    ok = SHA256_Update(&c.sha256, rest, rest_len) && SHA256_Update(&c.sha256, data, len) &&
         SHA256_Final(out, &c.sha256);
    break;
  case FAST_SHA384:
    c.sha512 = m->keyed.sha512;
    ok = SHA384_Update(&c.sha512, rest, rest_len) && SHA384_Update(&c.sha512, data, len) &&
         SHA384_Final(out, &c.sha512);
    break;
  case FAST_SHA512:
    c.sha512 = m->keyed.sha512;
    ok = SHA512_Update(&c.sha512, rest, rest_len) && SHA512_Update(&c.sha512, data, len) &&
         SHA512_Final(out, &c.sha512);
    break;
  case FAST_NONE:
    break;
  }
  OPENSSL_cleanse(&c, sizeof c);
  return ok ? m->out_len : 0;
}

/* ---- creation -------------------------------------------------------------------------------- */

static void mac_free_state(nta_mac *m) {
  EVP_MD_CTX_free(m->md_ctx);
  EVP_MD_free(m->md);
  EVP_MAC_CTX_free(m->mac_ctx);
  EVP_MAC_free(m->mac);
  OPENSSL_cleanse(&m->keyed, sizeof m->keyed);
  if (m->key) OPENSSL_cleanse(m->key, m->key_len);
  free(m->key);
}

void nta_mac_destroy(nta_mac *m) {
  if (!m) return;
  mac_free_state(m);
  OPENSSL_cleanse(m, sizeof *m);
  free(m);
}

static nta_mac *prepare_digest(nta_mac *m, const char *display, EVP_MD *md, nta_diag *err) {
  int size = EVP_MD_get_size(md);
  m->xof = (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) != 0;
  if (size <= 0 || size > NTA_MAC_MAX) {
    nta_diag_set(err, NTA_ERR_UNSUPPORTED, "digest %s: output of %d bytes is not usable as an NTP MAC",
                 display, size);
    EVP_MD_free(md);
    nta_mac_destroy(m);
    return NULL;
  }
  m->kind = NTA_MAC_DIGEST;
  m->md = md;
  m->out_len = (size_t)size;
  snprintf(m->name, sizeof m->name, "%s", display);
  m->md_ctx = EVP_MD_CTX_new();
  /* Initialise once so later inits can pass NULL and reuse the provider context. */
  if (!m->md_ctx || !EVP_DigestInit_ex2(m->md_ctx, m->md, NULL)) {
    nta_diag_set(err, NTA_ERR_NOMEM, "digest %s: cannot create an OpenSSL context", display);
    nta_mac_destroy(m);
    return NULL;
  }
  m->fast = m->xof ? FAST_NONE : fast_kind_of(md);
  if (m->fast != FAST_NONE && !fast_prepare(m)) m->fast = FAST_NONE;
  return m;
}

static nta_mac *prepare_cmac(nta_mac *m, const char *display, const char *cipher,
                             size_t want_key_len, nta_diag *err) {
  m->kind = NTA_MAC_CMAC;
  snprintf(m->name, sizeof m->name, "%s", display);
  snprintf(m->cipher, sizeof m->cipher, "%s", cipher);
  if (m->key_len != want_key_len) {
    nta_diag_set(err, NTA_ERR_ARG,
                 "%s needs a key of exactly %zu bytes (%zu hex digits), this key has %zu bytes",
                 display, want_key_len, want_key_len * 2, m->key_len);
    nta_mac_destroy(m);
    return NULL;
  }
  m->mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_CMAC, NULL);
  m->mac_ctx = m->mac ? EVP_MAC_CTX_new(m->mac) : NULL;
  if (!m->mac_ctx) {
    nta_diag_set(err, NTA_ERR_UNSUPPORTED, "%s: OpenSSL has no CMAC implementation", display);
    nta_mac_destroy(m);
    return NULL;
  }
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, m->cipher, 0),
    OSSL_PARAM_construct_end(),
  };
  /* The key schedule is done here, once; nta_mac_compute re-inits with a NULL key. */
  if (!EVP_MAC_init(m->mac_ctx, m->key, m->key_len, params)) {
    nta_diag_set(err, NTA_ERR_UNSUPPORTED, "%s: OpenSSL cannot set up CMAC with %s", display, cipher);
    nta_mac_destroy(m);
    return NULL;
  }
  m->out_len = EVP_MAC_CTX_get_mac_size(m->mac_ctx);
  if (m->out_len == 0 || m->out_len > NTA_MAC_MAX) {
    nta_diag_set(err, NTA_ERR_UNSUPPORTED, "%s: unexpected CMAC size %zu", display, m->out_len);
    nta_mac_destroy(m);
    return NULL;
  }
  return m;
}

nta_mac *nta_mac_create(const char *type_name, const uint8_t *key, size_t key_len, nta_diag *err) {
  char upper[TYPE_NAME_MAX];
  if (!type_name || !upper_copy(type_name, upper)) {
    nta_diag_set(err, NTA_ERR_ARG, "missing or overlong MAC type name");
    return NULL;
  }
  if (!key && key_len) {
    nta_diag_set(err, NTA_ERR_ARG, "key bytes missing");
    return NULL;
  }
  if (key_len == 0) {
    nta_diag_set(err, NTA_ERR_ARG, "empty key");
    return NULL;
  }
  nta_mac *m = calloc(1, sizeof *m);
  if (!m || !(m->key = malloc(key_len))) {
    free(m);
    nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
    return NULL;
  }
  memcpy(m->key, key, key_len);
  m->key_len = key_len;

  const type_alias *a = find_alias(upper);
  if (a && a->cmac_key_len) return prepare_cmac(m, a->canonical, a->ossl, a->cmac_key_len, err);

  /* Failed lookups below leave errors on OpenSSL's queue; they are expected, drop them. */
  ERR_set_mark();
  char cmac_name[TYPE_NAME_MAX], cipher[TYPE_NAME_MAX + 8];
  size_t cmac_key_len = a ? 0 : other_cmac_cipher(upper, cipher, sizeof cipher, cmac_name);
  EVP_MD *md = NULL;
  if (!cmac_key_len) {
    md = fetch_digest(a ? a->ossl : upper);
    /* ntpd and ntpsec take any other name starting with 'M' as MD5 ("M", "MDC2", ...). */
    if (!md && upper[0] == 'M') {
      md = EVP_MD_fetch(NULL, "MD5", NULL);
      a = find_alias("MD5");
    }
  }
  ERR_pop_to_mark();

  if (cmac_key_len) return prepare_cmac(m, cmac_name, cipher, cmac_key_len, err);
  if (md) return prepare_digest(m, a ? a->canonical : upper, md, err);
  nta_diag_set(err, NTA_ERR_UNSUPPORTED,
               "unknown MAC type '%s' (not a digest OpenSSL knows, nor AES128/192/256 CMAC)",
               type_name);
  nta_mac_destroy(m);
  return NULL;
}

nta_mac *nta_mac_clone(const nta_mac *m) {
  if (!m) return NULL;
  nta_mac *c = calloc(1, sizeof *c);
  if (!c || !(c->key = malloc(m->key_len))) {
    free(c);
    return NULL;
  }
  memcpy(c->key, m->key, m->key_len);
  c->key_len = m->key_len;
  if (m->kind == NTA_MAC_CMAC) return prepare_cmac(c, m->name, m->cipher, m->key_len, NULL);
  if (!EVP_MD_up_ref(m->md)) {
    nta_mac_destroy(c);
    return NULL;
  }
  return prepare_digest(c, m->name, m->md, NULL);
}

/* ---- accessors and computing ------------------------------------------------------------------ */

nta_mac_kind nta_mac_get_kind(const nta_mac *m) { return m->kind; }
const char *nta_mac_name(const nta_mac *m) { return m->name; }
size_t nta_mac_output_len(const nta_mac *m) { return m->out_len; }

size_t nta_mac_compute(nta_mac *m, const uint8_t *data, size_t len, uint8_t out[NTA_MAC_MAX]) {
  if (m->kind == NTA_MAC_CMAC) {
    size_t outl = 0;
    if (!EVP_MAC_init(m->mac_ctx, NULL, 0, NULL) || !EVP_MAC_update(m->mac_ctx, data, len) ||
        !EVP_MAC_final(m->mac_ctx, out, &outl, NTA_MAC_MAX))
      return 0;
    return outl;
  }
  if (m->fast != FAST_NONE) {
    size_t n = fast_compute(m, data, len, out);
    return n ? n : fast_compute_long(m, data, len, out);
  }
  if (!EVP_DigestInit_ex2(m->md_ctx, NULL, NULL) ||
      !EVP_DigestUpdate(m->md_ctx, m->key, m->key_len) || !EVP_DigestUpdate(m->md_ctx, data, len))
    return 0;
  if (m->xof) return EVP_DigestFinalXOF(m->md_ctx, out, m->out_len) ? m->out_len : 0;
  unsigned int outl = 0;
  if (!EVP_DigestFinal_ex(m->md_ctx, out, &outl)) return 0;
  return outl;
}

bool nta_mac_len_acceptable(const nta_mac *m, size_t digest_len) {
  if (digest_len == m->out_len) return true;
  return m->out_len > NTA_MAC_TRUNC && digest_len == NTA_MAC_TRUNC;
}

/* Word-wise, every byte always read, no early exit: as constant-time as CRYPTO_memcmp() (a
 * byte loop behind a call into libcrypto, a tenth of a SHA1 verification). The empty asm hides
 * the accumulator from the optimiser so it cannot stop at the first difference. */
bool nta_ct_equal(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  uint64_t diff = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t u, v;
    memcpy(&u, x + i, 8);
    memcpy(&v, y + i, 8);
    diff |= u ^ v;
    __asm__("" : "+r"(diff));
  }
  if (i + 4 <= n) {   /* SHA1's 20 bytes: two words and this */
    uint32_t u, v;
    memcpy(&u, x + i, 4);
    memcpy(&v, y + i, 4);
    diff |= u ^ v;
    __asm__("" : "+r"(diff));
    i += 4;
  }
  for (; i < n; i++) {
    diff |= (uint64_t)(x[i] ^ y[i]);
    __asm__("" : "+r"(diff));
  }
  return diff == 0;
}

static int hex_value(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

long nta_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_cap) {
  if (hex_len % 2 != 0 || hex_len / 2 > out_cap) return -1;
  for (size_t i = 0; i < hex_len; i += 2) {
    int hi = hex_value((unsigned char)hex[i]), lo = hex_value((unsigned char)hex[i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  return (long)(hex_len / 2);
}
