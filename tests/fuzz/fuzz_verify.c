/* fuzz_verify.c - parse + verify arbitrary bytes against a keyring holding one key of every
 * family (MD5, SHA1, SHA256, SHA384 with the ambiguous ID 20, SHA512 with ID 32, AES-CMAC).
 * Checks that the verdict is consistent with the split it names; abort()s otherwise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/keyring.h"
#include "ntpauth/verify.h"

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "fuzz_verify: invariant failed at line %d: %s\n", __LINE__, #cond); \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

static const char fuzz_keys[] =
    "1 MD5 abcdefgh\n"
    "11 SHA1 933F62BE1D604E68A81B557F18CFA200483F5B70\n"
    "20 SHA384 0123456789abcdef0123456789abcdef01234567\n"
    "21 AES128CMAC 7EA62AE64D190114D46D5A082F948EC1\n"
    "31 SHA256 933F62BE1D604E68A81B557F18CFA200483F5B70\n"
    "32 SHA512 fedcba9876543210fedcba9876543210fedcba98\n";

static nta_keyring *fuzz_keyring(void) {
  static nta_keyring *kr;
  if (!kr) {
    kr = nta_keyring_create();
    CHECK(kr != NULL);
    CHECK(nta_keyring_load_text(kr, "fuzz.keys", fuzz_keys, sizeof fuzz_keys - 1,
                                NTA_DIALECT_NTPD, NULL, NULL, NULL) == NTA_OK);
    CHECK(nta_keyring_count(kr) == 6);
    CHECK(nta_keyring_trust(kr, "1-20 31", NULL) == NTA_OK);  /* 21 and 32 untrusted */
  }
  return kr;
}

static void check_result(const nta_packet *p, const nta_verify_result *r) {
  CHECK(r->verdict < NTA_V_COUNT);
  CHECK(nta_verdict_name(r->verdict) != NULL);
  CHECK(memchr(r->reason, '\0', sizeof r->reason) != NULL);
  CHECK(r->split >= -1 && r->split < (int)p->n_splits);
  if (p->state == NTA_PKT_MALFORMED) CHECK(r->verdict == NTA_V_MALFORMED);
  if (r->verdict == NTA_V_GOOD || r->verdict == NTA_V_BAD_MAC) {
    CHECK(r->key != NULL && r->algorithm != NULL && r->has_key_id);
    CHECK(r->split >= 0 && p->splits[r->split].kind == NTA_TRAILER_MAC);
    CHECK(p->splits[r->split].key_id == r->key_id);
    CHECK(r->digest_len == p->splits[r->split].digest_len);
  }
  if (r->verdict == NTA_V_GOOD) CHECK(nta_keyring_is_trusted(fuzz_keyring(), r->key_id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nta_keyring *kr = fuzz_keyring();
  nta_packet pkt;
  nta_verify_result res;

  nta_packet_parse(data, size, size, &pkt);
  nta_verify(kr, &pkt, data, &res);
  check_result(&pkt, &res);

  /* Without keys every MAC'd packet is unknown_key, never good. */
  nta_verify(NULL, &pkt, data, &res);
  CHECK(res.verdict != NTA_V_GOOD && res.verdict != NTA_V_BAD_MAC);

  /* The same bytes as a capture cut 4 bytes short must be malformed, not a bad MAC. */
  if (size >= 4) {
    nta_packet_parse(data, size - 4, size, &pkt);
    nta_verify(kr, &pkt, data, &res);
    CHECK(res.verdict == NTA_V_MALFORMED || pkt.mode == NTA_MODE_PRIVATE);
  }
  return 0;
}
