/* refclocks.h - the reference-clock layer of ntpauth-server (implements refclock/include/refclock/timesource.h).
 *
 * A set of reference clocks (NMEA, PPS, DCF77, SHM) configured with ntpsec-style lines, read
 * through poll(), filtered per source, and reduced to one srv_time_state: what the server serves.
 *
 * All timestamps passed in and out are CLOCK_REALTIME. The layer never adjusts any clock: it only
 * measures offset = reference time - system clock.
 *
 * Typical daemon use:
 *   rcl_set *rc = rcl_create();
 *   for each "refclock ARGS" line: rcl_add_config(rc, ARGS, "file:line", &err);
 *   rcl_open(rc, &err);                            // as root, before dropping privileges
 *   loop: n = rcl_poll_fds(rc, fds, max) + own fds; poll(..., <= 200 ms);
 *         clock_gettime(CLOCK_REALTIME, &now);
 *         for each ready refclock fd: rcl_on_readable(rc, fd, &now);
 *         rcl_tick(rc, &now);                      // at least 5 times a second
 *   per reply: rcl_get_state(rc, &now, &state);    // served time = CLOCK_REALTIME + state.offset
 *   SIGUSR1 / status query: rcl_format_status(rc, &now, buf, sizeof buf);
 *   rcl_destroy(rc);
 */
#ifndef NTPAUTH_REFCLOCKS_H
#define NTPAUTH_REFCLOCKS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ntpauth/status.h"
#include "refclock/timesource.h"

typedef struct rcl_set rcl_set;

/* Maximum number of `refclock` lines in one set. */
#define RCL_MAX_CLOCKS 16

rcl_set *rcl_create(void);
void rcl_destroy(rcl_set *set);

/* One configuration line: `args` is the text after the `refclock` keyword, e.g.
 *   "nmea path /dev/ttyAMA0 baud 9600 pps /dev/pps0 time2 0.350 refid GPS prefer"
 *   "pps path /dev/pps0 clear"
 *   "dcf77 path /dev/ttyUSB0 baud 50 time1 0.058"
 *   "shm unit 2 refid GPS poll 3 filter 8"
 * `where` ("file:line") prefixes every message in *err. Nothing is opened here. */
nta_status rcl_add_config(rcl_set *set, const char *args, const char *where, nta_diag *err);

/* Number of configured reference clocks (0: the daemon uses `local stratum` or serves INIT). */
size_t rcl_count(const rcl_set *set);

/* Opens every device and SHM segment (needs root for /dev/pps*, serial lines and SHM units 0-1).
 * Call before dropping privileges. On error *err names the config line and the reason. */
nta_status rcl_open(rcl_set *set, nta_diag *err);

/* Fills up to `max` pollfd entries (events = POLLIN) with the descriptors the layer wants to read;
 * returns how many. The set can change between calls (a device that hung up is closed and
 * reopened later), so call it before every poll(). */
size_t rcl_poll_fds(rcl_set *set, struct pollfd *fds, size_t max);

/* A descriptor returned by rcl_poll_fds is readable (or hung up). `rx_time` is the time the
 * daemon woke up for it (taken right after poll() returned): it timestamps the bytes read now. */
void rcl_on_readable(rcl_set *set, int fd, const struct timespec *rx_time);

/* Housekeeping: SHM reads, PPS fetches, polls (filter, reach), selection. Call at least 5 times a
 * second, and with non-decreasing `now`. */
void rcl_tick(rcl_set *set, const struct timespec *now);

/* Fills *out with what the server should serve at `now`. Returns false when no refclock is
 * configured (then *out is untouched). With refclocks but no usable source, out->synced is false
 * (LI 3, stratum 0). During holdover out->root_dispersion grows by 15 ppm of the elapsed time. */
bool rcl_get_state(rcl_set *set, const struct timespec *now, srv_time_state *out);

/* One header line plus one line per refclock, like `chronyc sources`:
 *   S Name              Refid Poll Reach Samples Errors     Offset     Jitter  LastRx
 * S is '*' selected, '+' candidate, '-' not selected, 'x' noselect, '?' unreachable.
 * Writes at most len-1 characters plus NUL; returns the length the full text needs (snprintf
 * style). */
size_t rcl_format_status(rcl_set *set, const struct timespec *now, char *buf, size_t len);

/* One reference clock as the status views (the text above, ntpq through mode 6, metrics) see it. */
typedef struct {
  char name[48];              /* "shm:4", "nmea:/dev/ttyAMA0" */
  const char *driver;         /* "nmea", "pps", "dcf77", "shm" */
  const char *device;         /* the configured path ("" for SHM) */
  int unit;                   /* SHM: its unit; others: 0, 1, ... among clocks of that driver */
  uint32_t refid;
  int poll;                   /* log2 seconds */
  int precision;              /* log2 seconds */
  uint8_t reach;              /* ntpd's 8-bit reachability register */
  char state;                 /* as in the text status: '*' '+' '-' 'x' '?' */
  bool prefer;
  bool have_estimate;
  double offset, jitter;      /* seconds, of the last poll that had samples */
  int leap;
  struct timespec estimate_time;  /* system time of the newest sample in the estimate */
  bool have_last_sample;
  struct timespec last_sample;    /* system time of the newest sample */
  uint64_t samples, errors;
  char last_error[128];
  const char *timing;         /* NMEA: how sentences are timed (nmea_timing_name), else NULL */
} rcl_clock_info;

/* Fills up to `max` entries, in configuration order; returns how many. */
size_t rcl_get_clocks(rcl_set *set, const struct timespec *now, rcl_clock_info *out, size_t max);
/* The selected source is gone and its last estimate is being served. */
bool rcl_in_holdover(const rcl_set *set);

/* ---- Device seams (for tests and simulators; the daemon needs none of this) ---- */

/* A PPS pulse source. The default implementation uses the Linux /dev/ppsN ioctls; tests install a
 * simulated one before rcl_open(). */
typedef struct rcl_pps_ops {
  /* Opens `path` capturing the assert (or clear) edge; returns a handle or NULL with *err set. */
  void *(*open)(void *ctx, const char *path, bool clear_edge, nta_diag *err);
  /* Latest captured edge: returns 1 and fills *edge and *seq when a pulse has been captured
   * (seq increases with every pulse), 0 when none yet, -1 on a device error. Never blocks. */
  int (*fetch)(void *handle, struct timespec *edge, uint32_t *seq);
  void (*close)(void *handle);
} rcl_pps_ops;

/* Replaces the PPS device implementation for the whole set (NULL restores the Linux one). */
void rcl_set_pps_ops(rcl_set *set, const rcl_pps_ops *ops, void *ctx);

#endif
