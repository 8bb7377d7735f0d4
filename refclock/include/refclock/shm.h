/* shm.h - ntpd shared-memory refclock segments (the layout gpsd and chrony use).
 *
 * Key 0x4E545030 + unit ("NTP0"...). Writer protocol (gpsd): valid = 0; count++; write fields;
 * count++; valid = 1. Reader: mode 1 rejects a record whose count changed during the copy. */
#ifndef NTPAUTH_RCL_SHM_H
#define NTPAUTH_RCL_SHM_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "ntpauth/status.h"

#define RCL_SHM_KEY_BASE 0x4E545030

struct rcl_shm_time {
  int mode;                 /* 0: no count check, 1: count protocol */
  volatile int count;
  time_t clockTimeStampSec; /* reference ("true") time */
  int clockTimeStampUSec;
  time_t receiveTimeStampSec; /* system clock when the reference time was taken */
  int receiveTimeStampUSec;
  int leap;                 /* NTP LI */
  int precision;            /* log2 s */
  int nsamples;
  volatile int valid;
  unsigned clockTimeStampNSec;
  unsigned receiveTimeStampNSec;
  int dummy[8];
};

typedef enum {
  RCL_SHM_NONE,    /* valid flag not set: no new sample */
  RCL_SHM_SAMPLE,
  RCL_SHM_CLASH,   /* mode 1 and the writer changed the record while we copied it */
  RCL_SHM_BAD      /* unknown mode or out-of-range fields */
} rcl_shm_result;

typedef struct {
  struct timespec ref;      /* clock time */
  struct timespec sys;      /* receive time */
  int leap;
  int precision;
} rcl_shm_sample;

/* Attaches unit's segment, creating it if missing with ntpsec's permissions (0600 for units 0-1,
 * 0666 above). */
nta_status rcl_shm_attach(int unit, volatile struct rcl_shm_time **out, nta_diag *err);
void rcl_shm_detach(volatile struct rcl_shm_time *seg);
/* Removes the unit's segment (tests and simulators clean up with it). */
bool rcl_shm_remove(int unit);

/* Reads and consumes (clears valid) one sample. */
rcl_shm_result rcl_shm_read(volatile struct rcl_shm_time *seg, rcl_shm_sample *out, char *why, size_t why_len);

/* Writes one sample the way gpsd's ntpshmwrite does (mode 0 or 1). */
void rcl_shm_write(volatile struct rcl_shm_time *seg, int mode, const struct timespec *ref,
                   const struct timespec *sys, int leap, int precision);

#endif
