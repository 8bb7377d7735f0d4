/* pps.c - Linux PPS (RFC 2783 over <linux/pps.h> ioctls) and pulse labelling.
 *
 * Untested against real hardware here: CI has no /dev/ppsN. The logic above the device is tested
 * with a simulated pulse source through rcl_pps_ops. */
#include "pps.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/pps.h>

#include "refclock/timeutil.h"

typedef struct {
  int fd;
  bool clear_edge;
} linux_pps;

static void *linux_open(void *ctx, const char *path, bool clear_edge, nta_diag *err) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    nta_diag_set(err, NTA_ERR_IO, "cannot open PPS device %s: %s", path, strerror(errno));
    return NULL;
  }
  int caps = 0;
  if (ioctl(fd, PPS_GETCAP, &caps) < 0) {
    nta_diag_set(err, NTA_ERR_IO, "%s is not a PPS device (PPS_GETCAP: %s)", path, strerror(errno));
    close(fd);
    return NULL;
  }
  int want = clear_edge ? PPS_CAPTURECLEAR : PPS_CAPTUREASSERT;
  if (!(caps & want)) {
    nta_diag_set(err, NTA_ERR_UNSUPPORTED, "PPS device %s cannot capture the %s edge", path,
                 clear_edge ? "clear" : "assert");
    close(fd);
    return NULL;
  }
  struct pps_kparams params;
  memset(&params, 0, sizeof params);
  if (ioctl(fd, PPS_GETPARAMS, &params) < 0) {
    nta_diag_set(err, NTA_ERR_IO, "PPS_GETPARAMS on %s: %s", path, strerror(errno));
    close(fd);
    return NULL;
  }
  params.api_version = PPS_API_VERS;
  params.mode = (params.mode & ~(PPS_CAPTUREBOTH)) | want | PPS_TSFMT_TSPEC;
  if (ioctl(fd, PPS_SETPARAMS, &params) < 0) {
    nta_diag_set(err, NTA_ERR_IO, "PPS_SETPARAMS on %s: %s", path, strerror(errno));
    close(fd);
    return NULL;
  }
  linux_pps *h = calloc(1, sizeof *h);
  if (!h) { close(fd); nta_diag_set(err, NTA_ERR_NOMEM, "out of memory"); return NULL; }
  h->fd = fd;
  h->clear_edge = clear_edge;
  return h;
}

static int linux_fetch(void *handle, struct timespec *edge, uint32_t *seq) {
  linux_pps *h = handle;
  struct pps_fdata data;
  memset(&data, 0, sizeof data);
  /* A zero timeout without PPS_TIME_INVALID returns the latest event at once. */
  if (ioctl(h->fd, PPS_FETCH, &data) < 0) return -1;
  const struct pps_ktime *t = h->clear_edge ? &data.info.clear_tu : &data.info.assert_tu;
  uint32_t s = h->clear_edge ? data.info.clear_sequence : data.info.assert_sequence;
  if (s == 0) return 0;
  edge->tv_sec = (time_t)t->sec;
  edge->tv_nsec = t->nsec;
  *seq = s;
  return 1;
}

static void linux_close(void *handle) {
  linux_pps *h = handle;
  if (!h) return;
  close(h->fd);
  free(h);
}

static const rcl_pps_ops linux_ops = {linux_open, linux_fetch, linux_close};

const rcl_pps_ops *rcl_pps_linux_ops(void) { return &linux_ops; }

bool rcl_pps_label(const struct timespec *edge, double label_offset, double lo, double hi,
                   struct timespec *ref) {
  struct timespec x = rcl_ts_add(edge, label_offset);
  struct timespec y = rcl_ts_add(&x, -lo);
  struct timespec whole = {.tv_sec = y.tv_sec, .tv_nsec = 0}; /* floor(x - lo) */
  double residual = rcl_ts_diff(&x, &whole);
  if (residual < lo || residual >= hi) return false;
  *ref = whole;
  return true;
}
