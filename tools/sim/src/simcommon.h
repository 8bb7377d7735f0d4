/* simcommon.h - shared pieces of the refclock simulators: output device (a new pty or a given
 * path), absolute sleeps, time parsing, stop signals. */
#ifndef NTPAUTH_SIM_COMMON_H
#define NTPAUTH_SIM_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct {
  int fd;            /* where the stream is written (pty master, or the given path) */
  int slave_fd;      /* kept open so the pty outlives readers that come and go */
  char path[256];    /* what readers open */
  char link[256];    /* optional symlink to path */
} sim_output;

extern volatile sig_atomic_t sim_stop;

void sim_install_signals(void);
/* Opens `path` for writing or, when NULL, creates a pty in raw mode at `baud` and prints its
 * slave path on stdout. `link` (optional) becomes a symlink to the reader's path. */
bool sim_output_open(sim_output *out, const char *path, const char *link, int baud);
void sim_output_close(sim_output *out);
/* Writes all bytes; on a full pty (nobody reading) the bytes are dropped like on a serial line. */
void sim_output_write(sim_output *out, const void *buf, size_t len);

/* Sleeps until the absolute CLOCK_REALTIME time `t`; false when interrupted by a stop signal. */
bool sim_sleep_until(const struct timespec *t);

/* Parses "YYYY-MM-DDTHH:MM:SS" (UTC) into POSIX seconds. */
bool sim_parse_utc(const char *s, int64_t *out);
bool sim_parse_double(const char *s, double *out);
bool sim_parse_int(const char *s, long lo, long hi, long *out);

/* The simulated clock: either the system clock plus an offset, or a start time that runs from
 * the moment the program started. */
typedef struct {
  bool has_start;
  int64_t start_utc;
  struct timespec t0;
  double offset;
} sim_clock;

void sim_clock_init(sim_clock *c, bool has_start, int64_t start_utc, double offset);
/* The offset (sim - system) in force: constant for the whole run. */
double sim_clock_offset(const sim_clock *c);

#endif
