/* fuzz_nts_keys.c - the NSS key log and chrony NTS dump readers on arbitrary text.
 *
 * Every session a reader adds must have a name and AES-SIV-CMAC-256 as its AEAD; a dump that
 * fails must say where ("name:LINE: "). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/nts.h"

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "fuzz_nts_keys: invariant failed at line %d: %s\n", __LINE__, #cond); \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nta_nts_store *st = nta_nts_store_create();
  nta_diags *ds = nta_diags_create();
  nta_nts_load_keylog_text(st, "kl", (const char *)data, size, ds);
  for (size_t i = 0; i < nta_diags_count(ds); i++) CHECK(strncmp(nta_diags_msg(ds, i), "kl:", 3) == 0);
  nta_diags_destroy(ds);
  nta_diag err;
  if (nta_nts_load_dump_text(st, "d.nts", (const char *)data, size, &err) != NTA_OK)
    CHECK(strncmp(err.msg, "d.nts:", 6) == 0);
  for (size_t i = 0; i < nta_nts_store_count(st); i++) {
    const nta_nts_session *s = nta_nts_store_session(st, i);
    CHECK(s->name[0] && s->aead == NTA_NTS_AEAD_AES_SIV_CMAC_256);
  }
  nta_nts_store_destroy(st);
  return 0;
}
