/* ntpauth/nts_verify.h - verdicts for NTS-protected packets, and the state that links them.
 *
 * nta_nts_verify() checks one packet against the sessions of a store. Which session a packet
 * belongs to is not written in it (chrony even sends each request from a new port), so the
 * sessions are tried in turn: first a hint (the session that last verified this client), then
 * every other. Each try is one AES-SIV open, about 0.5 µs for a request; a packet no session
 * verifies costs one try per session.
 *
 * nta_nts_tracker follows a capture in frame order: it pairs a reply with its request by the
 * Unique Identifier, links a request's cookie to the reply (or dump) that delivered it, and notes
 * reused cookies, identifier mismatches and NTS NAKs with what the client did next.
 * A packet no session verifies is bad_mac when its session is known: a request's from the cookie
 * it carries, else the client's last verified session (unless an NTS NAK came in between: then
 * the client is expected to start a new session); a reply's from its request (same Unique
 * Identifier), else the client's last session. Otherwise it stays nts. */
#ifndef NTPAUTH_NTS_VERIFY_H
#define NTPAUTH_NTS_VERIFY_H

#include "ntpauth/nts.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

typedef struct {
  nta_verdict verdict;       /* GOOD, BAD_MAC, NTS (no session to check it), MALFORMED */
  int session;               /* index in the store that verified it / it failed with, -1 none */
  char reason[NTA_REASON_MAX];
  nta_nts_fields fields;
  size_t plain_len;          /* decrypted extension fields (GOOD only) */
  uint8_t plain[NTA_NTS_PLAIN_MAX];
  nta_nts_plain inner;       /* the cookies among them */
  unsigned tries;            /* AES-SIV opens done */
} nta_nts_result;

/* Verifies an NTPv4 packet with NTS fields: requests (`reply` false) with C2S keys, replies
 * with S2C. Tries session `hint` first when >= 0, then the others. When none verifies the
 * verdict is BAD_MAC if `expected` >= 0 (the packet is known to belong to that session) and
 * NTS otherwise. */
nta_verdict nta_nts_verify(const nta_nts_store *st, const uint8_t *buf, size_t len, bool reply,
                           int hint, int expected, nta_nts_result *res);

typedef enum {
  NTA_COOKIE_UNKNOWN = 0,  /* never seen: e.g. from an NTS-KE the capture does not show */
  NTA_COOKIE_REPLY,        /* delivered encrypted in an earlier reply (cookie_frame) */
  NTA_COOKIE_DUMP,         /* listed in a chrony dump */
  NTA_COOKIE_KE            /* delivered by a decrypted NTS-KE response (cookie_frame) */
} nta_cookie_source;

typedef enum {
  NTA_NAK_NONE = 0,
  NTA_NAK_NEW_KE,          /* the client's next NTS request used a new session */
  NTA_NAK_SAME_SESSION,    /* ... still the NAK'd session's cookies */
  NTA_NAK_UNAUTH,          /* the client's next request had no authentication */
  NTA_NAK_UNKNOWN_NTS      /* an NTS request no known session verifies */
} nta_nak_followup;

typedef struct {
  bool is_nts;                     /* NTS fields present (or an NTSN NAK) */
  bool reply;                      /* mode 4 (else a mode 3 request) */
  nta_verdict verdict;
  int session;
  char session_name[NTA_NTS_NAME_MAX];   /* "" without a session */
  char reason[NTA_REASON_MAX];
  bool nak;                        /* a KoD NTSN */
  uint32_t request_frame;          /* reply: its request (same Unique Identifier), 0 none */
  nta_cookie_source cookie_source; /* request */
  uint32_t cookie_frame;           /* request: the reply / NTS-KE frame that delivered it */
  uint32_t reused_frame;           /* request: an earlier request with the same cookie, 0 none */
  uint32_t uid_mismatch_frame;     /* reply: request it answers (origin timestamp) whose
                                      Unique Identifier differs, 0 none */
  uint8_t new_cookies;             /* reply: cookies it delivered */
  uint32_t nak_frame;              /* first request of a client after an NTS NAK: the NAK */
  nta_nak_followup nak_followup;
} nta_nts_info;

typedef struct nta_nts_tracker nta_nts_tracker;

nta_nts_tracker *nta_nts_tracker_create(const nta_nts_store *st);
void nta_nts_tracker_destroy(nta_nts_tracker *tr);
/* One client (mode 3) or server (mode 4) packet, in capture order. `client` identifies the
 * client end (address bytes; the port is ignored because chrony changes it every request).
 * Fills `info` (is_nts false for packets without NTS, which only matter for NAK follow-ups). */
void nta_nts_tracker_packet(nta_nts_tracker *tr, uint32_t frame, const void *client,
                            size_t client_len, const nta_packet *pkt, const uint8_t *buf,
                            size_t len, nta_nts_info *info);
/* Cookies an NTS-KE response in `frame` delivered for `session` (-1 when unknown). */
void nta_nts_tracker_ke_cookies(nta_nts_tracker *tr, uint32_t frame, int session,
                                const uint8_t *const *cookies, const uint16_t *lens, size_t n);
/* NAKs not followed by any request of their client: calls fn(frame) for each, in frame order. */
void nta_nts_tracker_pending_naks(const nta_nts_tracker *tr, void (*fn)(uint32_t, void *),
                                  void *arg);

const char *nta_nak_followup_text(nta_nak_followup f);

#endif
