/* ntpauth/verify.h - the one place a verdict is computed for (packet bytes, keyring).
 *
 * The analyzer, the Wireshark plugin and the server all call nta_verify(), so they cannot
 * disagree. The MAC'd data is every byte before the key ID. A MAC is good when it equals the first
 * N bytes of the computed value, N = the full output length or, for outputs longer than 20 bytes,
 * 20, in any NTP version. Comparison is constant-time. */
#ifndef NTPAUTH_VERIFY_H
#define NTPAUTH_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/keyring.h"
#include "ntpauth/packet.h"

typedef enum {
  NTA_V_GOOD = 0,
  NTA_V_BAD_MAC,
  NTA_V_UNKNOWN_KEY,
  NTA_V_UNTRUSTED_KEY,
  NTA_V_CRYPTO_NAK,
  NTA_V_NO_AUTH,
  NTA_V_NTS,
  NTA_V_MSSNTP,
  NTA_V_MALFORMED,
  NTA_V_COUNT
} nta_verdict;

/* Exactly: "good", "bad_mac", "unknown_key", "untrusted_key", "crypto_nak", "no_auth", "nts",
 * "mssntp", "malformed". */
const char *nta_verdict_name(nta_verdict v);
bool nta_verdict_from_name(const char *name, nta_verdict *out);
/* True for bad_mac, unknown_key, untrusted_key: the verdicts that make the analyzer exit 1. */
bool nta_verdict_is_failure(nta_verdict v);

typedef struct {
  nta_verdict verdict;
  char reason[NTA_REASON_MAX];   /* e.g. "digest mismatch for key 11 (SHA1)" */
  int8_t split;                  /* index into packet.splits used for the verdict, -1 none */
  bool has_key_id;
  uint32_t key_id;
  uint16_t digest_len;           /* MAC bytes after the key ID (0 when none) */
  const nta_key *key;            /* the key that was tried (NULL when unknown / no MAC) */
  const char *algorithm;         /* "MD5", "SHA1", ... or NULL when no key */
  bool truncated;                /* digest_len < the algorithm's full output */
  bool by_alternate;             /* good only with another daemon's reading of the key text */
  bool split_ambiguous;          /* the trailer had several readings (packet.ambiguous) */
  uint8_t expected[NTA_MAC_MAX]; /* for bad_mac: the digest we computed (digest_len bytes) */
} nta_verify_result;

/* For a bad MAC, nta_verify looks for the likely mistake and says it in the reason: another key
 * of the keyring (at most NTA_EXPLAIN_MAX_KEYS are tried), the same secret under another
 * algorithm, the other reading of the key text (hex vs ASCII), or a trailing CR or white space.
 * The verdict stays bad_mac. This costs nothing for packets that verify. */
#define NTA_EXPLAIN_MAX_KEYS 32

/* Verifies `pkt` (parsed from `buf`) against `kr` (may be NULL: no keys; then MAC'd packets are
 * reported unknown_key, and the RFC 7822 reading is used). Fills `res`, returns the verdict.
 * Split choice: a split whose key verifies wins; else a split with a known key whose algorithm
 * allows that digest length (bad_mac); else the RFC 7822 reading. */
nta_verdict nta_verify(const nta_keyring *kr, const nta_packet *pkt, const uint8_t *buf,
                       nta_verify_result *res);

/* Appends key ID + MAC to a message of `len` bytes in buf (capacity `cap`), using `key`, with
 * `digest_len` bytes of the MAC (full length or NTA_MAC_TRUNC; the server passes the length the
 * request used). Returns the new length, or 0 if it does not fit or the length is not allowed. */
size_t nta_sign(const nta_key *key, uint8_t *buf, size_t len, size_t cap, size_t digest_len);
/* Same, with the reading of the key that verified the request: pass the request's
 * nta_verify_result.by_alternate, so a client that uses another daemon's reading of the key
 * text gets a reply it can verify. */
size_t nta_sign_reading(const nta_key *key, bool alternate, uint8_t *buf, size_t len, size_t cap,
                        size_t digest_len);

/* Appends a crypto-NAK (4 zero bytes). Returns the new length or 0. */
size_t nta_append_crypto_nak(uint8_t *buf, size_t len, size_t cap);

#endif
