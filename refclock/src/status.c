/* status.c - the refclock set as text, one line per clock like `chronyc sources` (see
 * refclocks.h), built only from the public per-clock view so every status output agrees. */
#include "refclock/refclocks.h"

#include <stdio.h>

#include "ntpauth/textbuf.h"
#include "refclock/timeutil.h"

static void refid_text(uint32_t refid, char out[5]) {
  for (int i = 0; i < 4; i++) {
    char c = (char)(refid >> (24 - 8 * i));
    out[i] = c >= 0x20 && c < 0x7f ? c : (c == 0 ? '\0' : '?');
  }
  out[4] = '\0';
}

static void clock_line(nta_textbuf *t, const rcl_clock_info *c, const struct timespec *now) {
  char refid[5], offset[24] = "-", jitter[24] = "-", last_rx[24] = "-";
  refid_text(c->refid, refid);
  if (c->have_estimate) {
    snprintf(offset, sizeof offset, "%+.6fs", c->offset);
    snprintf(jitter, sizeof jitter, "%.6fs", c->jitter);
  }
  if (c->have_last_sample) snprintf(last_rx, sizeof last_rx, "%.0fs", rcl_ts_diff(now, &c->last_sample));
  nta_textbuf_add(t, "%c %-26s %-5s %4d %5o %8llu %7llu %12s %10s %7s  %s\n", c->state, c->name, refid,
           c->poll, (unsigned)c->reach, (unsigned long long)c->samples,
           (unsigned long long)c->errors, offset, jitter, last_rx, c->last_error);
  if (c->timing) nta_textbuf_add(t, "  nmea timing: %s\n", c->timing);
}

size_t rcl_format_status(rcl_set *set, const struct timespec *now, char *buf, size_t len) {
  nta_textbuf t = nta_textbuf_init(buf, len);
  rcl_clock_info clocks[RCL_MAX_CLOCKS];
  size_t n = rcl_get_clocks(set, now, clocks, RCL_MAX_CLOCKS);
  nta_textbuf_add(&t, "S %-26s %-5s %4s %5s %8s %7s %12s %10s %7s  %s\n", "Name", "Refid", "Poll", "Reach",
           "Samples", "Errors", "Offset", "Jitter", "LastRx", "LastError");
  for (size_t i = 0; i < n; i++) clock_line(&t, &clocks[i], now);
  srv_time_state st;
  if (rcl_get_state(set, now, &st)) {
    char refid[5];
    refid_text(st.refid, refid);
    nta_textbuf_add(&t, "System: %s stratum %d refid %s leap %d offset %+.6fs root dispersion %.6fs%s\n",
             st.synced ? "synchronised" : "unsynchronised", st.stratum, refid, st.leap, st.offset,
             st.root_dispersion, rcl_in_holdover(set) && st.synced ? " (holdover)" : "");
  }
  return t.need;
}
