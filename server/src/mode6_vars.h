/* mode6_vars.h - what ntpq sees of the server: a snapshot of the system and its associations,
 * and the "name=value, ..." text of NTP control messages (RFC 9327 section 3).
 *
 * The snapshot is plain data filled by the daemon (control.c) or by tests; everything here is a
 * pure function of it. Names, units and number formats follow ntpsec's ntpd, because ntpq,
 * check_ntp_peer and collectors parse them: times in milliseconds, timestamps as 0xSECS.FRAC,
 * reach in hex, strings quoted. Each reference clock is an association, as in ntpd, with the
 * pseudo address 127.127.TYPE.UNIT (ntpd's driver numbers); `local stratum` is 127.127.1.1. */
#ifndef NTPAUTH_SERVER_MODE6_VARS_H
#define NTPAUTH_SERVER_MODE6_VARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "refclock/refclocks.h"
#include "refclock/timesource.h"

#define M6_MAX_ASSOC (RCL_MAX_CLOCKS + 1)

/* Association selection codes (low 3 bits of the high byte of a peer status word). */
enum { M6_SEL_REJECT = 0, M6_SEL_FALSETICK, M6_SEL_EXCESS, M6_SEL_OUTLIER, M6_SEL_CANDIDATE,
       M6_SEL_BACKUP, M6_SEL_SYSPEER, M6_SEL_PPSPEER };

/* System status word clock sources. */
enum { M6_SRC_UNSPEC = 0, M6_SRC_ATOM = 1, M6_SRC_LF_RADIO = 2, M6_SRC_UHF_RADIO = 4,
       M6_SRC_LOCAL = 5 };

/* Error codes of an error response (high byte of its status). */
enum { M6_ERR_UNSPEC = 0, M6_ERR_PERMISSION = 1, M6_ERR_BADFMT = 2, M6_ERR_BADOP = 3,
       M6_ERR_BADASSOC = 4, M6_ERR_UNKNOWNVAR = 5, M6_ERR_BADVALUE = 6 };

typedef struct {
  uint16_t id;
  uint8_t clock_type;          /* ntpd's driver number: 127.127.TYPE.UNIT */
  uint8_t unit;
  char name[12];               /* ntpd's driver name: "NMEA", "PPS", "GENERIC", "SHM", "LOCAL" */
  char device[80];
  uint8_t clock_source;        /* M6_SRC_* this clock gives the system status when selected */
  uint32_t refid;              /* characters, big-endian */
  uint8_t stratum;
  int8_t precision;
  int8_t poll;
  uint8_t reach;
  uint8_t leap;
  uint8_t select;              /* M6_SEL_* */
  bool have_estimate;
  double offset, jitter, dispersion;   /* seconds */
  struct timespec update;      /* system time of the last estimate ({0,0}: none) */
  uint64_t samples, errors;
} m6_assoc;

typedef struct {
  struct timespec now;         /* CLOCK_REALTIME when the snapshot was taken */
  srv_time_state ts;           /* what the server serves */
  uint16_t sys_peer;           /* association id of the selected source, 0 for none */
  int8_t tc;                   /* poll of the selected source (log2 s) */
  double sys_jitter;           /* seconds */
  uint64_t authenticated;      /* requests whose MAC verified */
  uint64_t crypto_naks;        /* crypto-NAKs sent */
  char processor[32];
  char system[64];
  m6_assoc assoc[M6_MAX_ASSOC];
  size_t n_assoc;
} m6_snapshot;

typedef enum {
  M6_VARS_SYS,          /* READVAR on association 0 */
  M6_VARS_PEER,         /* READVAR on an association */
  M6_VARS_PEER_STATUS,  /* READSTAT on an association */
  M6_VARS_CLOCK         /* READCLOCK */
} m6_var_set;

uint16_t m6_sys_status(const m6_snapshot *s);
uint16_t m6_peer_status(const m6_assoc *a);
const m6_assoc *m6_find_assoc(const m6_snapshot *s, uint16_t id);

/* Writes the variables named in `names` (the request's data: "a,b=value, c"; values are ignored
 * as ntpd does for reads; empty: the set's default list) as ntpd lays them out (", " between
 * items, CR LF before an item that would pass column 72, CR LF at the end). `a` is the
 * association for the peer and clock sets. Returns 0 and the length in *out_len, or an
 * M6_ERR_* code + 1 (M6_ERR_UNKNOWNVAR for an unknown name, M6_ERR_UNSPEC when it does not fit). */
int m6_format_vars(m6_var_set set, const m6_snapshot *s, const m6_assoc *a, const char *names,
                   size_t names_len, char *buf, size_t cap, size_t *out_len);

#endif
