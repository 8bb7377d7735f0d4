/* bench_clock.h - the two clocks the benchmarks use: user CPU time (what `openssl speed` divides
 * by) and a monotonic wall clock (how long a measurement runs). */
#ifndef NTPAUTH_BENCH_CLOCK_H
#define NTPAUTH_BENCH_CLOCK_H

#include <sys/resource.h>
#include <time.h>

/* User CPU seconds of the calling thread (`who` RUSAGE_THREAD) or process (RUSAGE_SELF). */
static inline double bench_user_cpu(int who) {
  struct rusage ru;
  getrusage(who, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

static inline double bench_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
