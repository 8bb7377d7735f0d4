/* fuzz_respond.c - any bytes into respond() or, for mode 6, m6_respond(): no crash, a time reply
 * is never larger than its request, and control replies keep their fragment bounds. The first
 * byte picks the policy and the time state so every path gets exercised. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/keyring.h"
#include "mode6.h"
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

/* A server with one SHM clock (selected when `sel` says synchronised) and a local clock. */
static void control(uint8_t sel, const uint8_t *buf, size_t len, const srv_time_state *ts) {
  static m6_snapshot snap;
  static m6_result res;
  memset(&snap, 0, sizeof snap);
  snap.ts = *ts;
  snap.now = ts->ref_time;
  snap.assoc[0] = (m6_assoc){.id = 1, .clock_type = 28, .unit = 4, .name = "SHM", .refid = 0x47505300,
                             .reach = sel, .select = (sel & 1) ? M6_SEL_REJECT : M6_SEL_SYSPEER};
  snap.assoc[1] = (m6_assoc){.id = 2, .clock_type = 1, .unit = 1, .name = "LOCAL", .reach = 0xFF,
                             .select = M6_SEL_BACKUP};
  snap.n_assoc = 2;
  snap.sys_peer = (sel & 1) ? 0 : 1;
  m6_policy pol = { .require_auth = (sel & 8) != 0 };
  m6_outcome o = m6_respond(buf, len, &snap, &pol, keyring(), &res);
  if ((o == M6_DROP) != (res.n_frags == 0) || res.n_frags > M6_MAX_FRAGS) abort();
  for (size_t i = 0; i < res.n_frags; i++)
    if (res.frag_len[i] < NTA_CTL_HEADER_LEN || res.frag_len[i] > M6_FRAG_MAX) abort();
  /* Outside a verified request, a refusal is never larger than the request. */
  if (o == M6_ERROR && !res.signed_reply && res.frag_len[0] > len) abort();
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
  if (m6_is_control(buf, len)) {
    control(sel, buf, len, &ts);
    free(buf);
    return 0;
  }
  rsp_policy pol = { .crypto_nak = (sel & 4) != 0, .require_auth = (sel & 8) != 0 };
  rsp_request req = { .buf = buf, .len = len, .rx_time = now, .rate_exceeded = (sel & 0x80) != 0 };
  static rsp_result res;
  rsp_action a = respond(&req, &ts, &pol, keyring(), &now, &res);
  if (a != RSP_DROP && (res.reply_len > len || res.reply_len < 48)) abort();
  if (a == RSP_DROP && res.reply_len != 0) abort();
  free(buf);
  return 0;
}
