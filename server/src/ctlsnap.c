/* ctlsnap.c - the snapshot mode 6 describes (see control.h): each reference clock becomes an
 * association the way ntpd shows its drivers, and `local stratum` the association 127.127.1.1. */
#include "control.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "timestate.h"

#define CTL_PHI 15e-6          /* dispersion growth, RFC 5905 */
#define CTL_LOCAL_POLL 6
#define CTL_REFID_LOCL 0x4C4F434Cu   /* "LOCL", the refid of ntpd's local clock driver */

typedef struct {
  const char *driver;          /* ours */
  uint8_t type;                /* ntpd's driver number */
  const char *name;            /* ntpd's driver name */
  uint8_t source;              /* system status clock source when selected */
} ctl_driver_map;

static const ctl_driver_map drivers[] = {
  {"nmea", 20, "NMEA", M6_SRC_UHF_RADIO},
  {"pps", 22, "PPS", M6_SRC_ATOM},
  {"dcf77", 8, "GENERIC", M6_SRC_LF_RADIO},   /* ntpd reads DCF77 through its parse driver */
  {"shm", 28, "SHM", M6_SRC_UHF_RADIO},
};

static uint8_t selection(char state) {
  switch (state) {
  case '*': return M6_SEL_SYSPEER;
  case '+': return M6_SEL_CANDIDATE;
  case '-': return M6_SEL_OUTLIER;
  default: return M6_SEL_REJECT;     /* noselect, unreachable */
  }
}

static double age(const struct timespec *now, const struct timespec *then) {
  return (double)(now->tv_sec - then->tv_sec) + (double)(now->tv_nsec - then->tv_nsec) * 1e-9;
}

static void clock_assoc(m6_assoc *a, const rcl_clock_info *c, const struct timespec *now) {
  const ctl_driver_map *d = &drivers[0];
  for (size_t k = 0; k < sizeof drivers / sizeof drivers[0]; k++)
    if (!strcmp(drivers[k].driver, c->driver)) d = &drivers[k];
  a->clock_type = d->type;
  a->unit = (uint8_t)(c->unit < 0 ? 0 : c->unit > 255 ? 255 : c->unit);
  snprintf(a->name, sizeof a->name, "%s", d->name);
  snprintf(a->device, sizeof a->device, "%.79s", c->device[0] ? c->device : c->name);
  a->clock_source = d->source;
  a->refid = c->refid;
  a->stratum = 0;
  a->precision = (int8_t)c->precision;
  a->poll = (int8_t)c->poll;
  a->reach = c->reach;
  a->leap = (uint8_t)(c->leap & 3);
  a->select = selection(c->state);
  a->have_estimate = c->have_estimate;
  if (c->have_estimate) {
    a->offset = c->offset;
    a->jitter = c->jitter;
    double since = age(now, &c->estimate_time);
    a->dispersion = since > 0 ? CTL_PHI * since : 0.0;
    a->update = c->estimate_time;
  }
  a->samples = c->samples;
  a->errors = c->errors;
}

static void local_assoc(m6_assoc *a, int stratum, bool selected, const srv_time_state *ts,
                        const struct timespec *now) {
  a->clock_type = 1;
  a->unit = 1;
  snprintf(a->name, sizeof a->name, "LOCAL");
  snprintf(a->device, sizeof a->device, "local clock (local stratum %d)", stratum);
  a->clock_source = M6_SRC_LOCAL;
  a->refid = CTL_REFID_LOCL;
  a->stratum = (uint8_t)(stratum - 1);   /* the server serves one more, as ntpd's LOCAL driver */
  a->precision = ts->precision;
  a->poll = CTL_LOCAL_POLL;
  a->reach = 0xFF;
  a->select = selected ? M6_SEL_SYSPEER : M6_SEL_BACKUP;
  a->have_estimate = true;
  a->update = selected ? ts->ref_time : *now;
}

static void system_names(m6_snapshot *out) {
  struct utsname u;
  if (uname(&u) != 0) return;
  snprintf(out->processor, sizeof out->processor, "%.31s", u.machine);
  snprintf(out->system, sizeof out->system, "%.30s/%.30s", u.sysname, u.release);
}

void ctl_snapshot(m6_snapshot *out, const srv_time_state *ts, rcl_set *rcl, int local_stratum,
                  const struct timespec *now, uint64_t authenticated, uint64_t crypto_naks) {
  memset(out, 0, sizeof *out);
  out->now = *now;
  out->ts = *ts;
  out->authenticated = authenticated;
  out->crypto_naks = crypto_naks;
  system_names(out);
  rcl_clock_info clocks[RCL_MAX_CLOCKS];
  size_t n = rcl ? rcl_get_clocks(rcl, now, clocks, RCL_MAX_CLOCKS) : 0;
  for (size_t i = 0; i < n; i++) {
    m6_assoc *a = &out->assoc[out->n_assoc++];
    a->id = (uint16_t)out->n_assoc;
    clock_assoc(a, &clocks[i], now);
    if (a->select == M6_SEL_SYSPEER && ts->synced && !out->sys_peer) {
      out->sys_peer = a->id;
      out->tc = a->poll;
      out->sys_jitter = a->jitter;
    } else if (a->select == M6_SEL_SYSPEER) {
      a->select = M6_SEL_CANDIDATE;
    }
  }
  if (local_stratum > 0) {
    m6_assoc *a = &out->assoc[out->n_assoc++];
    a->id = (uint16_t)out->n_assoc;
    bool selected = ts->synced && ts->refid == TS_REFID_LOCAL && !out->sys_peer;
    local_assoc(a, local_stratum, selected, ts, now);
    if (selected) {
      out->sys_peer = a->id;
      out->tc = a->poll;
    }
  }
}
