/* filter.c - median filter, offset/jitter estimate and reachability for one source. */
#include "filter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "refclock/timeutil.h"

void rcl_source_init(rcl_source *s, size_t window, int poll) {
  memset(s, 0, sizeof *s);
  s->window = window < 1 ? 1 : window > RCL_FILTER_MAX ? RCL_FILTER_MAX : window;
  s->poll = poll < RCL_POLL_MIN ? RCL_POLL_MIN : poll > RCL_POLL_MAX ? RCL_POLL_MAX : poll;
}

void rcl_source_add(rcl_source *s, const struct timespec *sys, double offset, int leap) {
  size_t at = (s->head + s->count) % s->window;
  if (s->count == s->window) {
    s->head = (s->head + 1) % s->window; /* drop the oldest */
  } else {
    s->count++;
  }
  s->ring[at] = (rcl_fsample){.sys = *sys, .offset = offset, .leap = leap};
  s->samples_total++;
  s->have_last_sample = true;
  s->last_sample_sys = *sys;
  s->last_sample_offset = offset;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

void rcl_filter_median_jitter(double *v, size_t n, double *median, double *jitter) {
  qsort(v, n, sizeof *v, cmp_double);
  *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  size_t keep = (size_t)ceil(n * 0.6);
  if (keep < 1) keep = 1;
  size_t first = (n - keep) / 2;
  double sum = 0;
  for (size_t i = first; i < first + keep; i++) sum += (v[i] - *median) * (v[i] - *median);
  *jitter = sqrt(sum / (double)keep);
}

double rcl_source_poll_interval(const rcl_source *s) {
  /* Poll fast until the last four polls all had samples: a new or returning source gets a
   * settled median quickly, then the configured interval applies. */
  return (s->reach & 0x0F) != 0x0F ? RCL_FAST_POLL_S : ldexp(1.0, s->poll);
}

void rcl_source_poll(rcl_source *s, const struct timespec *now) {
  s->reach <<= 1;
  if (s->count > 0) {
    double v[RCL_FILTER_MAX];
    struct timespec newest = s->ring[s->head].sys;
    int leap = 0;
    for (size_t i = 0; i < s->count; i++) {
      const rcl_fsample *f = &s->ring[(s->head + i) % s->window];
      v[i] = f->offset;
      if (rcl_ts_cmp(&f->sys, &newest) >= 0) { newest = f->sys; leap = f->leap; }
    }
    rcl_filter_median_jitter(v, s->count, &s->offset, &s->jitter);
    s->est_sys = newest;
    s->leap = leap;
    s->est_samples = s->count;
    s->have_estimate = true;
    s->reach |= 1;
    s->head = 0;
    s->count = 0;
  }
  s->next_poll = rcl_ts_add(now, rcl_source_poll_interval(s));
}

bool rcl_source_tick(rcl_source *s, const struct timespec *now) {
  if (!s->poll_started) {
    if (s->count == 0) return false;
    /* The first sample is usable at once: drivers only emit checked samples (a clean DCF77
     * minute, a valid NMEA fix), so the source is selectable on the tick after it. */
    s->poll_started = true;
    rcl_source_poll(s, now);
    return true;
  }
  if (rcl_ts_cmp(now, &s->next_poll) < 0) return false;
  rcl_source_poll(s, now);
  return true;
}
