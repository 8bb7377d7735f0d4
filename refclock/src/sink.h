/* sink.h - how a driver hands its output to the layer: time samples and counted errors.
 *
 * A sample pairs the system clock (CLOCK_REALTIME) at an instant with the reference time of the
 * same instant; offset = ref - sys. Drivers only make samples; filtering and selection are shared. */
#ifndef NTPAUTH_RCL_SINK_H
#define NTPAUTH_RCL_SINK_H

#include <time.h>

typedef struct {
  void (*sample)(void *ctx, const struct timespec *sys, const struct timespec *ref, int leap);
  void (*error)(void *ctx, const char *why);
  void *ctx;
} rcl_sink;

static inline void rcl_sink_sample(const rcl_sink *s, const struct timespec *sys,
                                   const struct timespec *ref, int leap) {
  if (s->sample) s->sample(s->ctx, sys, ref, leap);
}
static inline void rcl_sink_error(const rcl_sink *s, const char *why) {
  if (s->error) s->error(s->ctx, why);
}

#endif
