/* respond.h - the server's answer to one NTP request, as a pure function.
 *
 * respond_prepare() decides what to do with a request (verdict, reply or crypto-NAK or KoD or
 * drop) and builds the reply header; respond_finish() stamps the transmit timestamp and signs.
 * The split lets the daemon take the transmit time as late as possible (right before sending)
 * while keeping both steps free of I/O and clocks: tests and fuzzers pass fixed times. */
#ifndef NTPAUTH_SERVER_RESPOND_H
#define NTPAUTH_SERVER_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ntpauth/keyring.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"
#include "refclock/timesource.h"

/* Largest reply we ever build: header + key ID + longest digest. */
#define RSP_REPLY_MAX (NTA_HEADER_LEN + 4 + NTA_MAC_MAX)

typedef struct {
  bool crypto_nak;     /* answer auth failures with a crypto-NAK (else stay silent) */
  bool require_auth;   /* drop requests that carry no MAC */
} rsp_policy;

typedef enum {
  RSP_REPLY = 0,       /* normal reply (signed when the request verified good) */
  RSP_CRYPTO_NAK,      /* header + 4 zero bytes */
  RSP_KOD_RATE,        /* Kiss-o'-Death RATE */
  RSP_DROP
} rsp_action;

/* Why a request got no answer (RSP_DROP), for the counters. */
typedef enum {
  RSP_DROP_NONE = 0,
  RSP_DROP_MALFORMED,    /* unparseable, wrong length, bad version */
  RSP_DROP_MODE,         /* mode 0, 2, 4, 5, 6, 7 */
  RSP_DROP_AUTH_SILENT,  /* auth failure with crypto-nak no */
  RSP_DROP_NO_AUTH,      /* no MAC with require-auth yes */
  RSP_DROP_NTS,          /* NTS extension fields: not supported */
  RSP_DROP_MSSNTP,       /* MS-SNTP signing request: not supported */
  RSP_DROP_NAK_REQUEST,  /* a request carrying a crypto-NAK trailer */
  RSP_DROP_OVERSIZE,     /* the reply would be larger than the request */
  RSP_DROP_SIGN,         /* signing failed */
  RSP_DROP_COUNT
} rsp_drop_reason;

const char *rsp_action_name(rsp_action a);       /* "reply", "crypto_nak", "kod_rate", "drop" */
const char *rsp_drop_reason_name(rsp_drop_reason r);

/* res->vr.verdict of a packet that was not verified because its mode is not answered (replies,
 * broadcasts, control messages): no MAC is computed for traffic we would not answer anyway. */
#define RSP_NOT_VERIFIED NTA_V_COUNT

/* nta_verdict_name(), plus "not_verified" for RSP_NOT_VERIFIED. */
const char *rsp_verdict_name(nta_verdict v);

typedef struct {
  const uint8_t *buf;          /* request bytes (UDP payload) */
  size_t len;
  struct timespec rx_time;     /* kernel receive time, CLOCK_REALTIME */
  bool rate_exceeded;          /* answer with KoD RATE (same as respond_rate_limited) */
} rsp_request;

typedef struct {
  rsp_action action;
  rsp_drop_reason drop_reason;
  nta_packet pkt;              /* the parsed request */
  nta_verify_result vr;        /* its verdict (malformed when it did not parse) */
  const nta_key *sign_key;     /* key to sign the reply with, NULL for none */
  size_t sign_digest_len;      /* digest length the request used */
  uint8_t reply[RSP_REPLY_MAX];
  size_t reply_len;            /* 0 until respond_finish succeeded */
} rsp_result;

/* Step 1: verdict and reply header (everything but the transmit timestamp and the MAC).
 * `kr` may be NULL (no keys). Returns res->action. */
rsp_action respond_prepare(const rsp_request *req, const srv_time_state *ts, const rsp_policy *pol,
                           const nta_keyring *kr, rsp_result *res);

/* Turns a prepared answer (not a drop) into a KoD RATE: the daemon calls this when its rate
 * limiter refuses a request that would have been answered (so dropped junk costs no tokens). */
void respond_rate_limited(rsp_result *res);

/* Step 2: for RSP_REPLY / RSP_CRYPTO_NAK / RSP_KOD_RATE, writes the transmit timestamp
 * (tx_time = CLOCK_REALTIME right before sending; the served offset is added here) and appends
 * the MAC or crypto-NAK. Sets reply_len; on failure turns the result into a drop and returns
 * false. */
bool respond_finish(rsp_result *res, const srv_time_state *ts, const struct timespec *tx_time,
                    size_t request_len);

/* Both steps with one time (tests, fuzzing, deterministic sample generation). */
rsp_action respond(const rsp_request *req, const srv_time_state *ts, const rsp_policy *pol,
                   const nta_keyring *kr, const struct timespec *tx_time, rsp_result *res);

/* The time state of an unsynchronised server (LI 3, stratum 0, "INIT"). */
void respond_unsynced_state(srv_time_state *out);

/* Served time as an NTP timestamp: t (CLOCK_REALTIME) + offset. */
uint64_t respond_served_ts(const struct timespec *t, double offset);

#endif
