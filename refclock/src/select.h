/* select.h - choosing the source to serve, and the clock model with holdover.
 *
 * A source is a candidate when it is reachable, has an estimate, is not `noselect` and (for PPS)
 * its pulses are labelled. `prefer` candidates win; otherwise the smallest distance
 * (2^precision + jitter + 15 ppm of the estimate's age). When no candidate is left the last
 * estimate is held with a dispersion growing by 15 ppm per second until it exceeds
 * RCL_MAX_DISPERSION, then the server is unsynchronised. */
#ifndef NTPAUTH_RCL_SELECT_H
#define NTPAUTH_RCL_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "filter.h"
#include "refclock/timesource.h"

#define RCL_PHI 15e-6              /* s/s: frequency tolerance of an undisciplined clock (ntpd) */
#define RCL_MAX_DISPERSION 1.0     /* s: beyond this, holdover ends (clients reject > 1.5 s) */

typedef struct {
  const rcl_source *src;
  bool prefer;
  bool noselect;
  bool usable;         /* driver-level condition, e.g. PPS pulses labelled */
  uint32_t refid;
  int precision;
} rcl_candidate;

typedef struct {
  bool have;           /* an estimate was ever selected */
  bool holdover;       /* the selected source is gone; serving its last estimate */
  int selected;        /* candidate index, -1 none */
  uint32_t refid;
  int leap;
  int precision;
  double offset;
  double jitter;
  struct timespec update_sys;
} rcl_model;

double rcl_candidate_distance(const rcl_candidate *c, const struct timespec *now);
bool rcl_candidate_eligible(const rcl_candidate *c);

/* Index of the best candidate or -1. */
int rcl_select(const rcl_candidate *c, size_t n, const struct timespec *now);

void rcl_model_init(rcl_model *m);
/* Re-runs selection and takes the chosen source's estimate (or enters holdover). */
void rcl_model_update(rcl_model *m, const rcl_candidate *c, size_t n, const struct timespec *now);
double rcl_model_dispersion(const rcl_model *m, const struct timespec *now);
void rcl_model_state(const rcl_model *m, const struct timespec *now, srv_time_state *out);

#endif
