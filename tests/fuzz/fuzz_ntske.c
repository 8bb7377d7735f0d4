/* fuzz_ntske.c - the NTS-KE record parser on arbitrary bytes.
 *
 * Checks: a complete message's length lies inside the input, the cookies lie inside it too, the
 * kept lists never exceed their bounds, and the description is a terminated string that fits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/ntske.h"

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      fprintf(stderr, "fuzz_ntske: invariant failed at line %d: %s\n", __LINE__, #cond); \
      abort();                                                                          \
    }                                                                                   \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nta_ntske_msg m;
  nta_diag why;
  nta_status st = nta_ntske_parse(data, size, &m, &why);
  CHECK(st == NTA_OK || st == NTA_ERR_RANGE || st == NTA_ERR_PARSE);
  if (st == NTA_OK) CHECK(m.complete && m.used >= 4 && m.used <= size);
  CHECK(m.n_protocols <= NTA_KE_LIST_MAX && m.n_aeads <= NTA_KE_LIST_MAX);
  CHECK(m.n_cookies_kept <= NTA_NTS_MAX_COOKIES && m.n_cookies_kept <= m.n_cookies);
  for (int i = 0; i < m.n_cookies_kept; i++)
    CHECK(m.cookies[i].off <= size && m.cookies[i].len <= size - m.cookies[i].off);
  char text[96];
  nta_ntske_describe(&m, text, sizeof text);
  CHECK(memchr(text, '\0', sizeof text) != NULL);
  return 0;
}
