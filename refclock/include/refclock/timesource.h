/* timesource.h - what the server serves: the contract between the reference-clock
 * layer (refclock/) and the daemon (server/).
 *
 * The daemon never adjusts the system clock. It serves  system clock + offset, where offset is
 * what the selected reference clock measured (as `chronyd -x` does). */
#ifndef NTPAUTH_SERVER_TIMESOURCE_H
#define NTPAUTH_SERVER_TIMESOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct {
  bool synced;            /* false: LI 3, stratum 0 ("INIT") on the wire */
  uint8_t leap;           /* LI 0..3 */
  uint8_t stratum;        /* 1 with a refclock, N with `local stratum N` */
  uint32_t refid;         /* e.g. 'G''P''S''\0' as big-endian u32; 127.127.1.1 style for local */
  struct timespec ref_time; /* reference (served) time of the last update */
  double offset;          /* seconds to ADD to CLOCK_REALTIME to get the served time */
  double root_delay;      /* seconds */
  double root_dispersion; /* seconds, grows during holdover */
  int8_t precision;       /* log2 seconds */
} srv_time_state;

/* The reference-clock layer (refclock/refclocks.h) implements this set of calls:
 *   rcl_set *rcl_create(void);  void rcl_destroy(rcl_set *);
 *   nta_status rcl_add_config(rcl_set *, const char *args, const char *where, nta_diag *err);
 *       args = the text after the `refclock` keyword; where = "file:line" for messages
 *   nta_status rcl_open(rcl_set *, nta_diag *err);        before the privilege drop
 *   size_t rcl_poll_fds(rcl_set *, struct pollfd *fds, size_t max);
 *   void rcl_on_readable(rcl_set *, int fd, const struct timespec *rx_time);
 *   void rcl_tick(rcl_set *, const struct timespec *now); at least 5 times a second
 *   bool rcl_get_state(rcl_set *, const struct timespec *now, srv_time_state *out);
 *       false when no refclock is configured
 *   size_t rcl_format_status(rcl_set *, const struct timespec *now, char *buf, size_t len);
 */

#endif
