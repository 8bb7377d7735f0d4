/* ntpauth/exchange.h - request/reply pairing and the findings built on it.
 *
 * Shared by the analyzer and the Wireshark plugin so that both report the same downgrade,
 * key-mismatch and spoofing findings. Memory is bounded: the pairing table holds at most
 * `max_entries` outstanding requests and forgets those older than `max_age` seconds. */
#ifndef NTPAUTH_EXCHANGE_H
#define NTPAUTH_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/endpoint.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

/* What pairing needs to know of one packet: where and when it was seen, a few header fields and
 * the verdict. Scalars only, so a caller that keeps packets around (the analyzer's batches) or
 * builds them from elsewhere needs no parsed packet or verify result. */
typedef struct {
  uint64_t frame;        /* 1-based frame number */
  uint32_t capture;      /* which capture the frame is in, when packets of several captures
                            are observed together (see nta_exchange_name_captures); else 0 */
  int64_t time_sec;      /* capture time, Unix */
  uint32_t time_nsec;
  nta_endpoint src, dst;
  bool header_ok;        /* a 48-byte NTP header was decoded */
  uint8_t mode, stratum;
  uint32_t refid;
  uint64_t org_ts, rec_ts, xmt_ts;
  nta_verdict verdict;
  bool has_key_id;       /* a key ID was read (the MAC trailer, or a crypto-NAK) */
  uint32_t key_id;
  const char *algorithm; /* the key's algorithm when the keyring has it, else NULL; must outlive
                            the call only */
} nta_observation;

/* Copies the header fields and the verdict of a parsed and verified packet into `obs` (frame,
 * time and endpoints are left as they are). */
void nta_observation_set_packet(nta_observation *obs, const nta_packet *p,
                                const nta_verify_result *vr);

typedef enum {
  NTA_F_DOWNGRADE = 0,     /* authenticated request answered without a MAC */
  NTA_F_KEY_MISMATCH,      /* reply signed with another key than its request */
  NTA_F_CRYPTO_NAK_REPLY,  /* request answered by a crypto-NAK */
  NTA_F_UNSOLICITED,       /* reply answering no request seen (zero/unknown origin): spoofing? */
  NTA_F_REPLAY,            /* transmit timestamp seen before from the same source */
  NTA_F_KOD,               /* Kiss-o'-Death (code in text) */
  NTA_F_MD5,               /* MD5 still in use */
  NTA_F_SHARED_KEY,        /* one key used by several clients or servers */
  NTA_F_WEAK_KEY,          /* a keyfile key that is weak (MD5, short) - from nta_exchange_audit_keys */
  /* NTS (RFC 8915), from the NTS tracker's per-packet facts (nts_verify.h): */
  NTA_F_NTS_NAK,           /* NTS NAK (KoD NTSN): the server could not use the cookie */
  NTA_F_NTS_AFTER_NAK,     /* what the client did after an NTS NAK */
  NTA_F_NTS_BAD_REPLY,     /* an NTS reply that fails authentication with its session's keys */
  NTA_F_NTS_COOKIE_REUSED, /* a request resends a cookie (RFC 8915 §5.7 forbids it) */
  NTA_F_NTS_UID_MISMATCH,  /* a reply's Unique Identifier differs from its request's */
  NTA_F_COUNT
} nta_finding_kind;

/* Stable machine names: "downgrade", "key_mismatch", "crypto_nak_reply", "unsolicited_reply",
 * "replay", "kod", "md5_in_use", "shared_key", "weak_key", "nts_nak", "nts_after_nak",
 * "nts_bad_reply", "nts_cookie_reused", "nts_uid_mismatch". */
const char *nta_finding_name(nta_finding_kind k);

typedef struct {
  nta_finding_kind kind;
  uint64_t frame;          /* frame it was found on (0 for keyfile audits) */
  uint64_t related_frame;  /* e.g. the request frame; 0 if none */
  uint32_t capture, related_capture;   /* the observations' `capture` of those frames */
  uint32_t key_id;
  char text[NTA_REASON_MAX];
} nta_finding;

#define NTA_MAX_FINDINGS_PER_PACKET 4

/* Timing of a matched reply: T1 = capture time of the request, T2/T3 = the reply's receive and
 * transmit timestamps, T4 = capture time of the reply; offset = ((T2-T1)+(T3-T4))/2 and
 * delay = (T4-T1)-(T3-T2). The offset is the server's clock minus the capturing host's clock
 * (the client's when captured there), and stays right for clients that randomise the request's
 * transmit timestamp (chrony). No timing for KoD replies (their timestamps are undefined). */
typedef struct {
  bool is_reply;           /* mode 2 or 4 (answer to mode 1 / 3) */
  bool matched;            /* a reply that matched a request */
  uint64_t request_frame;  /* for a matched reply */
  uint32_t request_capture;   /* the request's `capture` */
  bool has_timing;
  double offset, delay;    /* seconds, for a matched reply (client clock vs server) */
  bool timing_trusted;     /* both directions verified good */
  nta_finding findings[NTA_MAX_FINDINGS_PER_PACKET];
  uint8_t n_findings;
} nta_exchange_result;

typedef struct nta_exchange nta_exchange;

nta_exchange *nta_exchange_create(size_t max_entries, uint32_t max_age_sec);
void nta_exchange_destroy(nta_exchange *ex);

/* Packets of several captures observed as one stream: `names[capture]` (n of them, kept by
 * the caller for the table's lifetime) names the capture in finding texts ("a.pcap:frame 3"
 * instead of "frame 3"). Without names (the default) frames are numbers alone. */
void nta_exchange_name_captures(nta_exchange *ex, const char *const *names, size_t n);

/* The same request seen again at another capture point (not a new packet, not a replay): its
 * entry now names this sighting (frame, capture, time), so that the reply, which the server
 * sends after its own capture point saw the request, is paired and timed within one capture. */
void nta_exchange_seen_again(nta_exchange *ex, const nta_observation *obs);

/* Offset and delay of a reply (its receive/transmit timestamps and capture time T4) to a
 * request captured at T1 = (t1_sec, t1_nsec), as in nta_exchange_result. False when the reply
 * has no usable timing (a KoD, or a zero receive/transmit timestamp). */
bool nta_exchange_timing(int64_t t1_sec, uint32_t t1_nsec, const nta_observation *reply,
                         double *offset, double *delay);

/* Feed packets in capture order. Fills `out`. Shared-key and MD5 findings are reported once per
 * key (the first time they become true). Replay: a request whose (client, server, transmit
 * timestamp) is still in the table, or a second reply to one request with the same transmit
 * timestamp. Malformed packets and modes 6/7 are ignored. No allocation. */
void nta_exchange_observe(nta_exchange *ex, const nta_observation *obs, nta_exchange_result *out);

/* Findings about the keyfile itself (weak keys). Returns how many were written. */
size_t nta_exchange_audit_keys(const nta_keyring *kr, nta_finding *out, size_t max);

#endif
