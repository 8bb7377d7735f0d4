/* timeutil.h - small timespec helpers shared by the refclock modules. */
#ifndef NTPAUTH_RCL_TIMEUTIL_H
#define NTPAUTH_RCL_TIMEUTIL_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* a - b in seconds; exact to the nanosecond for differences that fit a double's mantissa. The
 * seconds are subtracted as doubles: SHM writers may put any time_t there, and an integer
 * subtraction of such values would overflow. */
static inline double rcl_ts_diff(const struct timespec *a, const struct timespec *b) {
  return ((double)a->tv_sec - (double)b->tv_sec) + (double)(a->tv_nsec - b->tv_nsec) * 1e-9;
}

static inline struct timespec rcl_ts_add(const struct timespec *a, double sec) {
  double whole = floor(sec);
  struct timespec r;
  r.tv_sec = a->tv_sec + (time_t)whole;
  long ns = a->tv_nsec + lround((sec - whole) * 1e9);
  while (ns >= 1000000000L) { ns -= 1000000000L; r.tv_sec++; }
  while (ns < 0) { ns += 1000000000L; r.tv_sec--; }
  r.tv_nsec = ns;
  return r;
}

static inline int rcl_ts_cmp(const struct timespec *a, const struct timespec *b) {
  if (a->tv_sec != b->tv_sec) return a->tv_sec < b->tv_sec ? -1 : 1;
  if (a->tv_nsec != b->tv_nsec) return a->tv_nsec < b->tv_nsec ? -1 : 1;
  return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static inline int64_t rcl_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static inline bool rcl_is_leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static inline int rcl_days_in_month(int64_t y, int m) {
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  return dim[m - 1] + (m == 2 && rcl_is_leap_year(y));
}

/* Inverse of rcl_days_from_civil. */
static inline void rcl_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* ISO weekday (1 = Monday ... 7 = Sunday) of a day number; 1970-01-01 was a Thursday. */
static inline int rcl_weekday(int64_t days) { return (int)(((days + 3) % 7 + 7) % 7) + 1; }

#endif
