/* timestate.c - choosing the served time state (see timestate.h). */
#include "timestate.h"

#include <string.h>

#include "respond.h"

void ts_local_state(int stratum, const struct timespec *now, srv_time_state *out) {
  memset(out, 0, sizeof *out);
  out->synced = true;
  out->leap = 0;
  out->stratum = (uint8_t)stratum;
  out->refid = TS_REFID_LOCAL;
  out->ref_time = *now;
  out->offset = 0.0;
  out->root_delay = 0.0;
  out->root_dispersion = 0.0001;
  out->precision = -23;
}

void ts_select(bool have_rcl, const srv_time_state *rcl, int local_stratum,
               const struct timespec *now, srv_time_state *out) {
  if (have_rcl && rcl->synced) *out = *rcl;
  else if (local_stratum > 0) ts_local_state(local_stratum, now, out);
  else if (have_rcl) *out = *rcl;
  else respond_unsynced_state(out);
}
