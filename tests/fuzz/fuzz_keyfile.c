/* fuzz_keyfile.c - keyfile text of any dialect through nta_keyfile_examine (each daemon's reading
 * of each line) and nta_keyring_load_text (AUTO detection),
 * then every loaded key is used once, so a key that loads must also compute. The three explicit
 * dialects are run too: detection picks only one of them per input. */
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/keyfile.h"
#include "ntpauth/keyring.h"

static void load_and_use(const uint8_t *data, size_t size, nta_dialect dialect) {
  nta_keyring *kr = nta_keyring_create();
  nta_diags *diags = nta_diags_create();
  if (!kr || !diags) {
    nta_keyring_destroy(kr);
    nta_diags_destroy(diags);
    return;
  }
  nta_diag err;
  nta_keyring_load_text(kr, "fuzz", (const char *)data, size, dialect, NULL, diags, &err);
  for (size_t i = 0; i < nta_diags_count(diags); i++)
    if (!nta_diags_msg(diags, i)[0]) __builtin_trap();   /* every message says something */
  nta_diags_destroy(diags);
  static const uint8_t msg[48] = {0xe3};
  uint8_t out[NTA_MAC_MAX];
  for (size_t i = 0; i < nta_keyring_count(kr) && i < 64; i++) {
    const nta_key *k = nta_keyring_key_at(kr, i);
    if (nta_keyring_find(kr, nta_key_id(k)) != k) __builtin_trap();
    if (nta_mac_compute(nta_key_mac(k), msg, sizeof msg, out) != nta_mac_output_len(nta_key_mac(k)))
      __builtin_trap();
    char why[128];
    nta_key_is_weak(k, why, sizeof why);
  }
  nta_keyring_destroy(kr);
}

/* Every line as each daemon reads it: a loaded view must have a length, a refusal a reason. */
static bool check_line(void *ctx, const nta_kf_line *l) {
  (void)ctx;
  for (size_t i = 0; i < 3; i++) {
    if (l->by[i].state == NTA_KF_REFUSED && !l->by[i].why[0]) __builtin_trap();
    if (l->by[i].state == NTA_KF_LOADED && l->by[i].secret_len == 0) __builtin_trap();
  }
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nta_keyfile_examine((const char *)data, size, check_line, NULL);
  load_and_use(data, size, NTA_DIALECT_AUTO);
  load_and_use(data, size, NTA_DIALECT_NTPD);
  load_and_use(data, size, NTA_DIALECT_NTPSEC);
  load_and_use(data, size, NTA_DIALECT_CHRONY);
  /* The trust parser gets the same bytes (NUL-terminated copy). */
  char spec[512];
  size_t n = size < sizeof spec - 1 ? size : sizeof spec - 1;
  for (size_t i = 0; i < n; i++) spec[i] = data[i] ? (char)data[i] : ' ';
  spec[n] = '\0';
  nta_keyring *kr = nta_keyring_create();
  if (kr) {
    nta_diag err;
    nta_keyring_trust(kr, spec, &err);
    nta_keyring_is_trusted(kr, 11);
    nta_keyring_destroy(kr);
  }
  return 0;
}
