/* keyaudit.h - the keyfile's weak keys, grouped, raised only when they matter.
 *
 * ntp-keygen -M writes keys 1-10 as MD5 by design: listing each of them for every capture
 * buries what matters. Weak keys that are trusted or were used in the capture are findings;
 * the others are one note per run of consecutive key IDs with the same weakness. */
#ifndef NTPAUTH_ANALYZE_KEYAUDIT_H
#define NTPAUTH_ANALYZE_KEYAUDIT_H

#include "analyze.h"

#define AN_KEYSET_SLOTS 4096

/* Key IDs seen with a MAC in the capture (bounded: IDs beyond the table count as used). */
typedef struct {
  uint32_t ids[AN_KEYSET_SLOTS];   /* 0 = empty (key 0 is never a real key) */
  size_t n;
  bool full;
} an_keyset;

void an_keyset_add(an_keyset *ks, uint32_t id);
bool an_keyset_has(const an_keyset *ks, uint32_t id);

typedef struct {
  uint32_t first, last;    /* key IDs */
  bool raised;             /* a finding (trusted or used), else a note */
  bool trusted, used;
  char text[320];          /* "keys 1-10 (ntp.keys): MD5 (...); not trusted, not used" */
} an_key_group;

/* Groups the keyring's weak keys into out (max entries); *more counts groups left out. */
size_t an_key_audit(const nta_keyring *kr, const an_keyset *used, an_key_group *out, size_t max,
                    size_t *more);

#endif
