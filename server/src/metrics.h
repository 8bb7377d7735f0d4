/* metrics.h - the server's status in the Prometheus text exposition format (version 0.0.4, which
 * node_exporter's textfile collector and Prometheus scrapes read), written to `metrics-file`.
 * Metric names and labels are listed in docs/server-mode6.md. */
#ifndef NTPAUTH_SERVER_METRICS_H
#define NTPAUTH_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "counters.h"
#include "mode6_vars.h"

typedef struct {
  const m6_snapshot *snap;      /* time state and associations (the mode 6 view) */
  const srv_counters *counters; /* NTP requests */
  const ctl_stats *control;     /* mode 6 requests (may be NULL) */
  size_t n_keys;
  uint64_t reloads_ok, reloads_failed;
} metrics_input;

/* snprintf-style: writes at most len-1 bytes plus NUL, returns the length the text needs. */
size_t metrics_format(const metrics_input *in, char *buf, size_t len);

/* Writes `text` to PATH.tmp and renames it over PATH (readers never see half a file). */
nta_status metrics_write_file(const char *path, const char *text, size_t len, nta_diag *err);

#endif
