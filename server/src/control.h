/* control.h - who may send NTP control messages (mode 6), how often, and what they see.
 *
 * Control replies are larger than their requests (a classic amplification vector), so a request
 * is answered only when its source is in `control-allow` (default 127.0.0.1 and ::1) and within
 * a per-source rate limit; everything else is dropped without a word. The answer itself is
 * mode6.c's; the snapshot it describes is built here from the served time state, the reference
 * clocks and the counters. */
#ifndef NTPAUTH_SERVER_CONTROL_H
#define NTPAUTH_SERVER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mode6.h"
#include "ntpauth/status.h"
#include "refclock/refclocks.h"

#define CTL_MAX_ALLOW 32
#define CTL_RATE_INTERVAL (-2)   /* log2 s between requests on average: 4 per second */
#define CTL_RATE_BURST 32        /* ntpq -p asks once per association, all at once */
#define CTL_RATE_SLOTS 256
#define CTL_RATE_MIN_AGE 64.0     /* s a limited source keeps its bucket (ntpd's mru minage) */

typedef struct {
  uint8_t family;              /* 4 or 6 */
  uint8_t addr[16];
  uint8_t prefix;              /* bits */
} ctl_net;

typedef struct {
  ctl_net allow[CTL_MAX_ALLOW];
  size_t n_allow;
  bool allow_given;            /* a control-allow line replaced the default */
  bool require_auth;           /* control-require-auth yes */
  char metrics_file[1024];     /* metrics-file PATH ("" none) */
} ctl_config;

/* Defaults: allow 127.0.0.1/32 and ::1/128, no auth required, no metrics file. */
void ctl_config_init(ctl_config *c);
/* Handles `control-allow ADDR[/PREFIX]... | none`, `control-require-auth yes|no` and
 * `metrics-file PATH`; *handled is false for any other keyword. Errors name `where`. */
nta_status ctl_config_line(ctl_config *c, char *const *words, size_t n, const char *where,
                           bool *handled, nta_diag *err);
/* "192.0.2.0/24", "2001:db8::/32", "::1" (a full-length prefix when none). */
bool ctl_parse_net(const char *text, ctl_net *out);
bool ctl_allowed(const ctl_config *c, uint8_t family, const uint8_t addr[16]);

typedef struct {
  uint64_t requests;           /* mode 6 datagrams received */
  uint64_t not_allowed;        /* dropped: source outside control-allow */
  uint64_t rate_limited;       /* dropped: over the rate limit */
  uint64_t answered;           /* data replies */
  uint64_t errors;             /* error replies */
  uint64_t auth_refused;       /* of which: bad/unknown/untrusted MAC or missing with require-auth */
  uint64_t dropped;            /* malformed, responses, fragments */
  uint64_t signed_replies;     /* replies signed with the request's key */
  uint64_t fragments;          /* datagrams sent */
} ctl_stats;

typedef struct ctl_server ctl_server;

ctl_server *ctl_create(const ctl_config *cfg);
void ctl_destroy(ctl_server *c);
/* Step 1, before any work: allowed source within its rate? Counts the request either way. */
bool ctl_admit(ctl_server *c, uint8_t family, const uint8_t addr[16], const struct timespec *now);
/* Step 2: the reply for an admitted request (NULL: send nothing). The result lives until the
 * next call. */
const m6_result *ctl_answer(ctl_server *c, const uint8_t *buf, size_t len, const m6_snapshot *snap,
                            const nta_keyring *kr);
const ctl_stats *ctl_get_stats(const ctl_server *c);
/* One status line, snprintf-style return. */
size_t ctl_format_status(const ctl_server *c, char *buf, size_t len);

/* The snapshot mode 6 describes: `ts` is what the server serves, `rcl` its reference clocks
 * (may be NULL), `local_stratum` 0 or the `local stratum` value. */
void ctl_snapshot(m6_snapshot *out, const srv_time_state *ts, rcl_set *rcl, int local_stratum,
                  const struct timespec *now, uint64_t authenticated, uint64_t crypto_naks);

#endif
