/* tap.h - the capture tap: what reaches the pcap file, within which bounds.
 *
 * Every answered request and its reply are recorded. Datagrams the server does not answer
 * (malformed, wrong mode, silent drops: what a flood of junk consists of) are recorded only up to
 * `junk_rate` per second and counted beyond, so junk cannot push real exchanges out of the kept
 * files. Files rotate at `max_bytes` and at most `keep` old ones are kept (path.1 ...): at start
 * the previous capture becomes path.1, it is never truncated. After a write error recording pauses
 * (the file ends on a whole record), is retried once a second and resumes when space returns; the
 * gap is logged. */
#ifndef NTPAUTH_SERVER_TAP_H
#define NTPAUTH_SERVER_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ntpauth/exchange.h"
#include "ntpauth/status.h"

typedef struct {
  const char *path;
  uint64_t max_bytes;
  unsigned keep;
  unsigned junk_rate;     /* per second; 0: unanswered datagrams are only counted */
  bool can_rotate;        /* the run user may create files in the folder */
  bool chown;
  uid_t uid;
  gid_t gid;
} tap_options;

typedef struct srv_tap srv_tap;

/* Rotates the previous capture away and creates the new file. Call last in the start-up: a
 * failed start must leave the old capture untouched. */
srv_tap *tap_open(const tap_options *o, nta_diag *err);
void tap_close(srv_tap *t);

/* One datagram: len bytes kept of orig_len received. junk: it got no answer. */
void tap_record(srv_tap *t, const struct timespec *ts, const nta_endpoint *src,
                const nta_endpoint *dst, const uint8_t *data, size_t len, size_t orig_len,
                bool junk);
/* Writes what was recorded since the last flush (once per received batch). */
void tap_flush(srv_tap *t);
/* One status line. */
size_t tap_format_status(const srv_tap *t, char *buf, size_t len);

#endif
