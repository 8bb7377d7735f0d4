/* timestate.h - which time the server serves right now: a reference clock, the local clock
 * (`local stratum N`, like chrony's `local`), or nothing (unsynchronised). */
#ifndef NTPAUTH_SERVER_TIMESTATE_H
#define NTPAUTH_SERVER_TIMESTATE_H

#include <stdbool.h>
#include <time.h>

#include "refclock/timesource.h"

/* 127.127.1.1, the refid chrony sends for its local reference. */
#define TS_REFID_LOCAL 0x7F7F0101u

/* The local reference: synced at `stratum`, reference time `now`, offset 0. */
void ts_local_state(int stratum, const struct timespec *now, srv_time_state *out);

/* Combines a refclock state (have_rcl: one was reported) and the local fallback (stratum 0: none):
 * a synchronised refclock wins, else the local clock, else the refclock's (unsynced) state, else
 * unsynchronised. */
void ts_select(bool have_rcl, const srv_time_state *rcl, int local_stratum,
               const struct timespec *now, srv_time_state *out);

#endif
