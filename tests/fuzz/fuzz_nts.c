/* fuzz_nts.c - the NTS field parsers and verification on arbitrary packet bytes.
 *
 * Checks, beyond "no crash": every span the parser returns lies inside the buffer, the
 * associated data ends where the authenticator starts, and a verdict is one of good, bad_mac,
 * nts, malformed. The same bytes also go through the tracker as a request and as a reply, and
 * through the parser of decrypted fields. The store holds one session with fixed keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/nts_verify.h"

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      fprintf(stderr, "fuzz_nts: invariant failed at line %d: %s\n", __LINE__, #cond); \
      abort();                                                                        \
    }                                                                                 \
  } while (0)

static nta_nts_store *store;
static nta_nts_result result;

static void setup(void) {
  if (store) return;
  store = nta_nts_store_create();
  static const char dump[] =
      "NNC0\nfuzz\n1.0\n127.0.0.1 123\n1 15 "
      "E2379C3937634139C1EC8F87112392496C25D88F41E1FBCCB2B0D2AF026A85F3 "
      "B720C8AD024A301AD0CD4ACB8B46598F288D273E18E8438E13E42F81357B1F05\n";
  nta_diag err;
  if (nta_nts_load_dump_text(store, "fuzz.nts", dump, sizeof dump - 1, &err) != NTA_OK) abort();
}

static void check_span(nta_span s, size_t size) { CHECK(s.off <= size && s.len <= size - s.off); }

static void check_fields(const uint8_t *data, size_t size) {
  nta_nts_fields f;
  nta_diag why;
  if (nta_nts_parse(data, size, &f, &why) != NTA_OK) return;
  if (f.has_uid) check_span(f.uid, size);
  if (f.has_cookie) check_span(f.cookie, size);
  if (f.has_auth) {
    CHECK(f.auth_off >= 48 && f.auth_off < size);
    check_span(f.nonce, size);
    check_span(f.ciphertext, size);
    CHECK(f.nonce.off == f.auth_off + 8 && f.ciphertext.len >= NTA_NTS_TAG_LEN);
  }
  nta_nts_plain p;
  if (nta_nts_parse_plain(data, size, &p, &why) == NTA_OK)
    for (int i = 0; i < p.n_cookies; i++) check_span(p.cookies[i], size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  check_fields(data, size);
  for (int reply = 0; reply < 2; reply++) {
    nta_verdict v = nta_nts_verify(store, data, size, reply, -1, reply ? 0 : -1, &result);
    CHECK(v == NTA_V_GOOD || v == NTA_V_BAD_MAC || v == NTA_V_NTS || v == NTA_V_MALFORMED);
    CHECK(result.plain_len <= NTA_NTS_PLAIN_MAX);
  }
  nta_packet pkt;
  nta_packet_parse(data, size, size, &pkt);
  nta_nts_tracker *tr = nta_nts_tracker_create(store);
  nta_nts_info info;
  uint8_t mode4[1024];
  nta_nts_tracker_packet(tr, 1, "c", 1, &pkt, data, size, &info);
  if (size >= 48 && size <= sizeof mode4) {   /* the same bytes as the other direction */
    memcpy(mode4, data, size);
    mode4[0] ^= 0x07;
    nta_packet_parse(mode4, size, size, &pkt);
    nta_nts_tracker_packet(tr, 2, "c", 1, &pkt, mode4, size, &info);
    CHECK(info.request_frame <= 1);
  }
  nta_nts_tracker_destroy(tr);
  return 0;
}
