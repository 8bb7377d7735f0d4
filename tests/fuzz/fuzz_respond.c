/* fuzz_respond.c - any bytes into respond(): no crash, and a reply is never larger than its
 * request. The first byte picks the policy and the time state so every path gets exercised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/keyring.h"
#include "respond.h"
#include "timestate.h"

static const char keys_text[] =
  "1 MD5 abcdefghijklmnopqrst\n"
  "11 SHA1 933f62be1d604e68a81b557f18cfa200483f5b70\n"
  "21 AES128CMAC 7ea62ae64d190114d46d5a082f948ec1\n"
  "31 SHA256 c2a7f7e0d3b4c5a6978867564534231201f0e0d0c0b0a090807060504030201a\n"
  "65535 SHA512 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n";

static nta_keyring *keyring(void) {
  static nta_keyring *kr;
  if (!kr) {
    nta_diag err;
    kr = nta_keyring_create();
    if (!kr || nta_keyring_load_text(kr, "fuzz.keys", keys_text, strlen(keys_text),
                                     NTA_DIALECT_NTPD, NULL, NULL, &err) != NTA_OK)
      abort();
    nta_keyring_trust(kr, "1 11 21 65535", &err);
  }
  return kr;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t sel = data[0];
  const uint8_t *pkt = data + 1;
  size_t len = size - 1;
  /* Copy to an exact-size heap buffer so ASan sees any overread. */
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return 0;
  if (len) memcpy(buf, pkt, len);
  srv_time_state ts;
  struct timespec now = { 1700000000 + sel, 123456789 };
  if (sel & 1) respond_unsynced_state(&ts);
  else ts_local_state(1 + (sel >> 4), &now, &ts);
  ts.offset = (sel & 2) ? -0.75 : 0.25;
  rsp_policy pol = { .crypto_nak = (sel & 4) != 0, .require_auth = (sel & 8) != 0 };
  rsp_request req = { .buf = buf, .len = len, .rx_time = now, .rate_exceeded = (sel & 0x80) != 0 };
  static rsp_result res;
  rsp_action a = respond(&req, &ts, &pol, keyring(), &now, &res);
  if (a != RSP_DROP && (res.reply_len > len || res.reply_len < 48)) abort();
  if (a == RSP_DROP && res.reply_len != 0) abort();
  free(buf);
  return 0;
}
