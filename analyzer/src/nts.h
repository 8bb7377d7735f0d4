/* nts.h - NTS (RFC 8915) in ntpauth-analyze: verdicts, cookie provenance and findings of NTS
 * packets, and the NTS-KE connections (TCP 4460) of a capture.
 *
 * NTS packets carry no key ID: which session's keys apply follows from the packets before them
 * (the cookie a request carries, the request a reply answers). So, unlike MACs, NTS is verified
 * in capture order, in the report stage, by the core's tracker (nta_nts_tracker); the verify
 * workers only parse. NTS-KE segments reach the same stage in capture order too, so cookies an
 * NTS-KE response delivered are known before the requests that use them. */
#ifndef NTPAUTH_ANALYZE_NTS_H
#define NTPAUTH_ANALYZE_NTS_H

#include "analyze.h"
#include "stats.h"
#include "ntpauth/nts_verify.h"
#include "ntpauth/ntske_conn.h"

#define AN_NTS_PORT 4460         /* NTS-KE (RFC 8915 §4) */
#define AN_KE_KEPT 64            /* NTS-KE connections listed per part; more are counted */

/* One NTS-KE connection as the summary shows it. */
typedef struct {
  uint64_t first_frame, last_frame;
  uint64_t response_frame;       /* the segment that completed the NTS-KE response, 0 none */
  nta_endpoint client, server;
  nta_ntske_state state;
  char session[NTA_NTS_NAME_MAX];
  char reason[128];
  bool have_request, have_response;
  char request[160], response[320];   /* nta_ntske_describe */
  uint8_t n_cookies;
  char warning[160];             /* e.g. an AEAD the key log's keys were not derived for */
} an_ke_conn;

typedef struct {
  uint64_t good, bad_mac, unverified;
} an_nts_session_stat;

/* A part's NTS counts (reset when a part begins). */
typedef struct {
  uint64_t packets;              /* NTS packets (requests, replies, NAKs) */
  uint64_t naks;
  size_t n_sessions;             /* the store's sessions */
  an_nts_session_stat *sessions; /* n_sessions entries */
  an_ke_conn ke[AN_KE_KEPT];
  size_t n_ke;
  uint64_t ke_total;
  uint64_t tcp_gaps;             /* stream directions cut by missing segments */
} an_nts_part;

/* "handshake", "no_secrets", "decrypted", "failed". */
const char *an_ke_state_name(nta_ntske_state s);

typedef struct an_nts an_nts;

/* `st` holds the sessions of --tls-keylog and --nts-dump (may have none). */
an_nts *an_nts_create(const nta_nts_store *st);
void an_nts_destroy(an_nts *n);
const nta_nts_store *an_nts_store(const an_nts *n);
/* A part starts: tracker, streams and counts afresh. False when out of memory. */
bool an_nts_part_begin(an_nts *n);
/* An NTP record in capture order. For an NTS packet (or a client's first request after an NTS
 * NAK) copies *rec to *out with the NTS verdict, fills *info and returns true; else false.
 * `duplicate` (--merge: seen before elsewhere): verified without tracking. */
bool an_nts_packet(an_nts *n, const an_record *rec, bool duplicate, an_record *out,
                   nta_nts_info *info);
/* Appends the findings of an NTS packet to xr (as far as there is room). */
void an_nts_findings(const an_nts *n, const nta_nts_info *info, const an_record *rec,
                     nta_exchange_result *xr);
/* A TCP segment record (NTS-KE), in capture order. */
void an_nts_segment(an_nts *n, const an_record *rec);
/* The part ends: open NTS-KE connections are closed, NAKs no request followed become findings
 * in `st`. Returns the part's counts (NULL when the part saw nothing of NTS). */
const an_nts_part *an_nts_part_end(an_nts *n, an_stats *st);

#endif
