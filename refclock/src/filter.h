/* filter.h - per-source sample filter: median over the samples of a poll interval (at most a
 * window of N), offset and jitter estimates, and ntpd's 8-bit reachability register. */
#ifndef NTPAUTH_RCL_FILTER_H
#define NTPAUTH_RCL_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RCL_FILTER_MAX 64
#define RCL_FILTER_DEFAULT 16
#define RCL_POLL_DEFAULT 4     /* 16 s between polls once reachable */
#define RCL_POLL_MIN 0
#define RCL_POLL_MAX 10
#define RCL_FAST_POLL_S 2.0    /* until four polls in a row had samples */

typedef struct {
  struct timespec sys;
  double offset;
  int leap;
} rcl_fsample;

typedef struct {
  /* configuration */
  size_t window;
  int poll;
  /* samples since the last poll (a ring of the newest `window`) */
  rcl_fsample ring[RCL_FILTER_MAX];
  size_t head, count;
  /* poll schedule and reachability */
  bool poll_started;
  struct timespec next_poll;
  uint8_t reach;
  /* the estimate of the last poll that had samples */
  bool have_estimate;
  double offset;             /* median, s (ref - sys) */
  double jitter;             /* RMS deviation from the median, s */
  struct timespec est_sys;   /* system time of the newest sample in the estimate */
  int leap;
  size_t est_samples;
  /* statistics */
  uint64_t samples_total;
  uint64_t errors_total;
  bool have_last_sample;
  struct timespec last_sample_sys;
  double last_sample_offset;
} rcl_source;

void rcl_source_init(rcl_source *s, size_t window, int poll);
void rcl_source_add(rcl_source *s, const struct timespec *sys, double offset, int leap);
/* Polls at once on the first sample, then when due: shifts reach, filters the samples collected
 * since the previous poll. Returns true when a poll happened. */
bool rcl_source_tick(rcl_source *s, const struct timespec *now);
/* Poll now regardless of the schedule (used by the tick above and by tests). */
void rcl_source_poll(rcl_source *s, const struct timespec *now);
double rcl_source_poll_interval(const rcl_source *s);

/* Median and RMS jitter of n values (sorted in place); jitter uses the middle 60 % (ntpd trims
 * the outliers the same way). n >= 1. */
void rcl_filter_median_jitter(double *v, size_t n, double *median, double *jitter);

#endif
