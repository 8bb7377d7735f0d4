/* nts_store.h - adding to an NTS store (nts_store.c), for the key log and dump readers. */
#ifndef NTPAUTH_NTS_STORE_H
#define NTPAUTH_NTS_STORE_H

#include "nts_internal.h"

/* Adds a session unless the same keys are known; *index (may be NULL) gets its index. */
nta_status nta_nts_store_add(nta_nts_store *st, const nta_nts_session *s, int *index);
/* Records secret `which` (NTA_TLS_*) of the connection with client random `cr`. NTA_ERR_PARSE
 * when its length differs from the connection's other secrets. */
nta_status nta_nts_store_add_tls(nta_nts_store *st, const uint8_t cr[NTA_TLS_RANDOM_LEN],
                                 int which, const uint8_t *secret, size_t len);
/* Remembers an unused cookie a dump lists for `session`. */
nta_status nta_nts_store_add_cookie(nta_nts_store *st, int session, const uint8_t *c, size_t len);

#endif
