/* stats.h - what the summary counts: verdicts, keys, host pairs, exchanges and findings.
 *
 * Every table is sized when the statistics are created (keys, host pairs, a list of the first
 * findings), so memory stays flat however long the capture is. The output writers read the
 * tables directly; only this module changes them. */
#ifndef NTPAUTH_ANALYZE_STATS_H
#define NTPAUTH_ANALYZE_STATS_H

#include "analyze.h"
#include "merge.h"

#define AN_KEY_SLOTS 1024        /* distinct key IDs counted one by one; more go to "other" */
#define AN_PAIR_SLOTS 4096       /* distinct host pairs counted one by one (power of two) */
#define AN_FINDINGS_KEPT 200     /* findings listed in the summary; the rest are counted */

typedef struct {
  bool used;
  uint32_t id;
  char alg[24];
  uint64_t packets;
  uint64_t verdicts[NTA_V_COUNT];
} an_key_stat;

typedef struct {
  bool used;
  uint8_t family;
  uint8_t a[16], b[16];          /* a < b bytewise */
  uint64_t packets, exchanges, trusted;
  uint64_t unauthenticated;      /* client/server packets without a MAC (for --require-auth) */
  bool has_last, last_trusted;
  double last_offset, last_delay;
} an_pair_stat;

typedef struct {
  bool no_keys;                  /* without keys, unknown_key is no failure */
  bool require_auth;             /* client/server packets without a MAC are failures */
  uint64_t packets;
  uint64_t verdicts[NTA_V_COUNT];
  uint64_t with_mac;             /* carried a key ID and MAC (good, bad_mac, *_key) */
  uint64_t unauthenticated;      /* client/server packets without a MAC */
  uint64_t failures;             /* bad_mac, unknown_key (with keys), untrusted_key, and
                                    unauthenticated ones under --require-auth */
  uint64_t duplicates;           /* --merge: packets seen again at another capture point */
  uint64_t oneway;               /* --merge: request/reply pairs seen at both ends */
  double oneway_request_sum, oneway_reply_sum;
  double last_oneway_request, last_oneway_reply;
  an_key_stat keys[AN_KEY_SLOTS];
  size_t keys_used;
  uint64_t other_key_packets;
  an_pair_stat *pairs;           /* AN_PAIR_SLOTS */
  uint32_t *pair_order;          /* slot indexes in first-seen order */
  size_t pairs_used;
  uint64_t other_pair_packets;
  uint64_t exchanges, trusted_exchanges;
  nta_finding *findings;         /* AN_FINDINGS_KEPT, in the order found */
  size_t n_findings;
  uint64_t findings_total;
  uint64_t finding_counts[NTA_F_COUNT];
} an_stats;

an_stats *an_stats_create(bool no_keys, bool require_auth);
void an_stats_destroy(an_stats *st);

/* Counts one packet with what pairing said of it (its findings included). */
void an_stats_packet(an_stats *st, const an_record *rec, const nta_exchange_result *xr);
/* Counts a finding. */
void an_stats_finding(an_stats *st, const nta_finding *f);
/* --merge: a packet seen again at another point (not counted as a packet); `xr` its pairing
 * at this point (a timed reply updates its host pair's last offset and delay), `seen` the
 * one-way delays when it completed a request/reply seen at both ends. */
void an_stats_seen_again(an_stats *st, const an_record *rec, const nta_exchange_result *xr,
                         const an_sighting *seen);
/* Whether the packet is a client or server packet without a MAC. */
bool an_unauthenticated(const nta_observation *o);

/* What the last line of the report adds up over every capture. */
typedef struct {
  size_t inputs;
  uint64_t frames, packets, with_mac, verified, failures, unauthenticated, duplicates;
  uint64_t exchanges, trusted_exchanges;
  uint64_t verdicts[NTA_V_COUNT];
  bool input_error;
} an_totals;

void an_totals_add(an_totals *t, const an_stats *st, uint64_t frames, bool input_error);

/* The used key slots sorted by key ID into `out` (AN_KEY_SLOTS entries); returns how many. */
size_t an_stats_sorted_keys(const an_stats *st, const an_key_stat **out);
/* The two addresses of a host pair (ports zero). */
void an_pair_endpoints(const an_pair_stat *ps, nta_endpoint *a, nta_endpoint *b);

/* Findings that repeat (one KoD per reply of a burst) are listed once with their frames. */
bool an_same_finding(const nta_finding *a, const nta_finding *b);
/* Marks every kept finding equal to findings[first] in `listed`; returns how many there are. */
size_t an_mark_same_findings(const an_stats *st, size_t first, bool *listed);

#endif
