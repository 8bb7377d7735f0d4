/* refclocks.c - the refclock set: config lines, devices, per-clock dispatch, selection, status.
 *
 * Drivers (nmea_driver, dcf77_driver, shm, pps) only turn device input into samples through an
 * rcl_sink; this file routes those samples into each clock's filter (filter.c) and lets select.c
 * decide what the server serves. */
#include "refclock/refclocks.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "dcf77_driver.h"
#include "filter.h"
#include "nmea_driver.h"
#include "pps.h"
#include "select.h"
#include "refclock/shm.h"
#include "refclock/timeutil.h"

#define RCL_REOPEN_INTERVAL_S 5.0
#define RCL_PPS_LABEL_MAX_AGE_S 10.0   /* a label older than this may be wrong after a step */
#define RCL_PPS_ACTIVE_S 3.0           /* NMEA+PPS: pulses newer than this make NMEA a label only */
#define RCL_SHM_MAX_AGE_S 5.0          /* ntpsec drops older SHM samples too */
#define RCL_READ_CHUNK 2048
#define RCL_MAX_ABS_OFFSET_S 2147483647.0  /* 2^31 - 1 s */

typedef enum { RCL_NMEA, RCL_PPS, RCL_DCF77, RCL_SHM } rcl_type;

typedef struct rcl_clock {
  rcl_set *set;
  rcl_type type;
  char where[128];
  char name[48];
  /* configuration */
  char path[256];
  char pps_path[256];
  int baud;
  int unit;
  double time1, time2;
  bool clear_edge;
  bool prefer, noselect;
  int poll;
  size_t filter;
  uint32_t refid;
  /* runtime */
  int fd;
  bool device_lost;
  struct timespec reopen_at;
  nmea_driver *nmea;
  dcf_driver *dcf;
  volatile struct rcl_shm_time *shm;
  int shm_precision;
  void *pps;
  bool pps_have_seq;
  uint32_t pps_seq;
  bool pps_have_labelled;
  struct timespec pps_last_labelled;
  rcl_source src;
  char last_error[128];
} rcl_clock;

struct rcl_set {
  rcl_clock clocks[RCL_MAX_CLOCKS];
  size_t count;
  const rcl_pps_ops *pps_ops;
  void *pps_ctx;
  rcl_model model;
  struct timespec now;     /* the latest time given to rcl_tick / rcl_on_readable */
  bool have_now;
};

static const char *type_name(rcl_type t) {
  switch (t) {
  case RCL_NMEA: return "nmea";
  case RCL_PPS: return "pps";
  case RCL_DCF77: return "dcf77";
  case RCL_SHM: return "shm";
  }
  return "?";
}

static uint32_t refid_from_text(const char *s) {
  size_t len = strnlen(s, 4);
  uint32_t v = 0;
  for (size_t i = 0; i < 4; i++) v = (v << 8) | (i < len ? (uint8_t)s[i] : 0u);
  return v;
}

/* ---- creation ---- */

rcl_set *rcl_create(void) {
  rcl_set *set = calloc(1, sizeof *set);
  if (!set) return NULL;
  set->pps_ops = rcl_pps_linux_ops();
  rcl_model_init(&set->model);
  return set;
}

static void clock_close_devices(rcl_clock *c) {
  if (c->fd >= 0) { close(c->fd); c->fd = -1; }
  if (c->shm) { rcl_shm_detach(c->shm); c->shm = NULL; }
  if (c->pps) { c->set->pps_ops->close(c->pps); c->pps = NULL; }
}

void rcl_destroy(rcl_set *set) {
  if (!set) return;
  for (size_t i = 0; i < set->count; i++) {
    rcl_clock *c = &set->clocks[i];
    clock_close_devices(c);
    nmea_driver_destroy(c->nmea);
    dcf_driver_destroy(c->dcf);
  }
  free(set);
}

size_t rcl_count(const rcl_set *set) { return set ? set->count : 0; }

void rcl_set_pps_ops(rcl_set *set, const rcl_pps_ops *ops, void *ctx) {
  set->pps_ops = ops ? ops : rcl_pps_linux_ops();
  set->pps_ctx = ops ? ctx : NULL;
}

/* ---- configuration ---- */

#define RCL_MAX_TOKENS 32

typedef struct {
  char buf[1024];
  char *tok[RCL_MAX_TOKENS];
  size_t n;
} rcl_tokens;

static bool tokenize(const char *args, rcl_tokens *t) {
  if (strlen(args) >= sizeof t->buf) return false;
  strcpy(t->buf, args);
  t->n = 0;
  char *save = NULL;
  for (char *p = strtok_r(t->buf, " \t\r\n", &save); p; p = strtok_r(NULL, " \t\r\n", &save)) {
    if (t->n == RCL_MAX_TOKENS) return false;
    t->tok[t->n++] = p;
  }
  return true;
}

static bool parse_long(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

static bool parse_seconds(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !isfinite(v) || fabs(v) > 10.0) return false;
  *out = v;
  return true;
}

static bool valid_nmea_baud(long b) {
  return b == 4800 || b == 9600 || b == 19200 || b == 38400 || b == 57600 || b == 115200;
}

static nta_status config_error(nta_diag *err, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static nta_status config_error(nta_diag *err, const char *where, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return nta_diag_set(err, NTA_ERR_PARSE, "%s: %s", where, msg);
}

static bool takes_option(rcl_type type, const char *opt) {
  static const struct { rcl_type type; const char *opt; } allowed[] = {
      {RCL_NMEA, "path"}, {RCL_NMEA, "baud"}, {RCL_NMEA, "pps"}, {RCL_NMEA, "time2"},
      {RCL_PPS, "path"}, {RCL_PPS, "clear"},
      {RCL_DCF77, "path"}, {RCL_DCF77, "baud"}, {RCL_DCF77, "time1"},
      {RCL_SHM, "unit"},
  };
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    if (allowed[i].type == type && strcmp(allowed[i].opt, opt) == 0) return true;
  return false;
}

static bool option_needs_value(const char *opt) {
  return strcmp(opt, "prefer") != 0 && strcmp(opt, "noselect") != 0 && strcmp(opt, "clear") != 0;
}

static void clock_defaults(rcl_clock *c, rcl_type type) {
  memset(c, 0, sizeof *c);
  c->type = type;
  c->fd = -1;
  c->unit = -1;
  c->poll = RCL_POLL_DEFAULT;
  c->filter = RCL_FILTER_DEFAULT;
  c->shm_precision = -1;
  switch (type) {
  case RCL_NMEA: c->baud = 9600; c->refid = refid_from_text("GPS"); break;
  case RCL_PPS: c->refid = refid_from_text("PPS"); break;
  case RCL_DCF77: c->baud = 50; c->refid = refid_from_text("DCF"); break;
  case RCL_SHM: c->refid = refid_from_text("SHM"); break;
  }
}

static nta_status check_duplicates(const rcl_set *set, const rcl_clock *c, const char *where, nta_diag *err) {
  for (size_t i = 0; i < set->count; i++) {
    const rcl_clock *o = &set->clocks[i];
    if (c->type == RCL_SHM && o->type == RCL_SHM && o->unit == c->unit)
      return config_error(err, where, "SHM unit %d is already used at %s", c->unit, o->where);
    if (c->path[0] && o->path[0] && strcmp(c->path, o->path) == 0)
      return config_error(err, where, "device %s is already used at %s", c->path, o->where);
    if (c->pps_path[0] && (strcmp(c->pps_path, o->path) == 0 || strcmp(c->pps_path, o->pps_path) == 0))
      return config_error(err, where, "device %s is already used at %s", c->pps_path, o->where);
  }
  return NTA_OK;
}

static void clock_name(rcl_clock *c) {
  if (c->type == RCL_SHM) {
    snprintf(c->name, sizeof c->name, "shm:%d", c->unit);
    return;
  }
  const char *p = c->path;
  size_t len = strlen(p);
  if (len > 20) p += len - 20; /* the tail names the device */
  snprintf(c->name, sizeof c->name, "%s:%.20s", type_name(c->type), p);
}

nta_status rcl_add_config(rcl_set *set, const char *args, const char *where, nta_diag *err) {
  if (!where) where = "refclock";
  rcl_tokens t;
  if (!tokenize(args ? args : "", &t)) return config_error(err, where, "refclock line too long");
  if (t.n == 0) return config_error(err, where, "refclock needs a type (nmea, pps, dcf77, shm)");
  if (set->count >= RCL_MAX_CLOCKS)
    return nta_diag_set(err, NTA_ERR_FULL, "%s: more than %d refclocks", where, RCL_MAX_CLOCKS);
  rcl_type type;
  if (strcmp(t.tok[0], "nmea") == 0) type = RCL_NMEA;
  else if (strcmp(t.tok[0], "pps") == 0) type = RCL_PPS;
  else if (strcmp(t.tok[0], "dcf77") == 0) type = RCL_DCF77;
  else if (strcmp(t.tok[0], "shm") == 0) type = RCL_SHM;
  else return config_error(err, where, "unknown refclock type '%s' (expected nmea, pps, dcf77 or shm)", t.tok[0]);

  rcl_clock c;
  clock_defaults(&c, type);
  snprintf(c.where, sizeof c.where, "%s", where);
  for (size_t i = 1; i < t.n; i++) {
    const char *opt = t.tok[i];
    bool common = strcmp(opt, "prefer") == 0 || strcmp(opt, "noselect") == 0 || strcmp(opt, "poll") == 0 ||
                  strcmp(opt, "filter") == 0 || strcmp(opt, "refid") == 0;
    if (!common && !takes_option(type, opt))
      return config_error(err, where, "option '%s' is not valid for a %s refclock", opt, type_name(type));
    const char *val = NULL;
    if (option_needs_value(opt)) {
      if (i + 1 >= t.n) return config_error(err, where, "option '%s' needs a value", opt);
      val = t.tok[++i];
    }
    long n;
    if (strcmp(opt, "prefer") == 0) c.prefer = true;
    else if (strcmp(opt, "noselect") == 0) c.noselect = true;
    else if (strcmp(opt, "clear") == 0) c.clear_edge = true;
    else if (strcmp(opt, "poll") == 0) {
      if (!parse_long(val, RCL_POLL_MIN, RCL_POLL_MAX, &n))
        return config_error(err, where, "poll '%s' is not an integer from %d to %d", val, RCL_POLL_MIN, RCL_POLL_MAX);
      c.poll = (int)n;
    } else if (strcmp(opt, "filter") == 0) {
      if (!parse_long(val, 1, RCL_FILTER_MAX, &n))
        return config_error(err, where, "filter '%s' is not an integer from 1 to %d", val, RCL_FILTER_MAX);
      c.filter = (size_t)n;
    } else if (strcmp(opt, "refid") == 0) {
      size_t len = strlen(val);
      if (len < 1 || len > 4) return config_error(err, where, "refid '%s' must be 1 to 4 characters", val);
      for (size_t k = 0; k < len; k++)
        if (val[k] < 0x21 || val[k] > 0x7e) return config_error(err, where, "refid '%s' is not printable ASCII", val);
      c.refid = refid_from_text(val);
    } else if (strcmp(opt, "path") == 0) {
      if (strlen(val) >= sizeof c.path) return config_error(err, where, "path too long");
      snprintf(c.path, sizeof c.path, "%s", val);
    } else if (strcmp(opt, "pps") == 0) {
      if (strlen(val) >= sizeof c.pps_path) return config_error(err, where, "pps path too long");
      snprintf(c.pps_path, sizeof c.pps_path, "%s", val);
    } else if (strcmp(opt, "baud") == 0) {
      if (!parse_long(val, 1, 1000000, &n)) return config_error(err, where, "baud '%s' is not a number", val);
      if (type == RCL_DCF77 && n != 50 && n != 75)
        return config_error(err, where, "dcf77 baud must be 50 or 75, not %ld", n);
      if (type == RCL_NMEA && !valid_nmea_baud(n))
        return config_error(err, where, "nmea baud %ld unsupported (4800, 9600, 19200, 38400, 57600, 115200)", n);
      c.baud = (int)n;
    } else if (strcmp(opt, "time1") == 0 || strcmp(opt, "time2") == 0) {
      double v;
      if (!parse_seconds(val, &v)) return config_error(err, where, "%s '%s' is not a number of seconds within +-10", opt, val);
      if (opt[4] == '1') c.time1 = v; else c.time2 = v;
    } else if (strcmp(opt, "unit") == 0) {
      if (!parse_long(val, 0, 255, &n)) return config_error(err, where, "unit '%s' is not an integer from 0 to 255", val);
      c.unit = (int)n;
    }
  }
  if (type == RCL_SHM && c.unit < 0) return config_error(err, where, "shm refclock needs 'unit N'");
  if (type != RCL_SHM && !c.path[0]) return config_error(err, where, "%s refclock needs 'path DEVICE'", type_name(type));
  nta_status st = check_duplicates(set, &c, where, err);
  if (st != NTA_OK) return st;
  clock_name(&c);
  set->clocks[set->count++] = c;
  return NTA_OK;
}

/* ---- sample routing ---- */

static void clock_note_error(rcl_clock *c, const char *why) {
  c->src.errors_total++;
  snprintf(c->last_error, sizeof c->last_error, "%s", why);
}

static void clock_add_sample(rcl_clock *c, const struct timespec *sys, const struct timespec *ref, int leap) {
  double offset = rcl_ts_diff(ref, sys);
  /* The daemon serves system time + offset as 32.32 fixed point: beyond +-68 years (half an NTP
   * era) the offset cannot be represented, and only a broken or hostile writer produces one. */
  if (!(fabs(offset) < RCL_MAX_ABS_OFFSET_S)) {
    clock_note_error(c, "sample offset beyond +-68 years rejected");
    return;
  }
  rcl_source_add(&c->src, sys, offset, leap);
}

static void sink_error(void *ctx, const char *why) { clock_note_error(ctx, why); }

static void nmea_sample(void *ctx, const struct timespec *sys, const struct timespec *ref, int leap) {
  rcl_clock *c = ctx;
  /* With working PPS the sentence only names the second; the pulse carries the time. */
  if (c->pps && c->pps_have_labelled && fabs(rcl_ts_diff(sys, &c->pps_last_labelled)) < RCL_PPS_ACTIVE_S) return;
  clock_add_sample(c, sys, ref, leap);
}

static void plain_sample(void *ctx, const struct timespec *sys, const struct timespec *ref, int leap) {
  clock_add_sample(ctx, sys, ref, leap);
}

/* ---- devices ---- */

static speed_t baud_constant(int baud) {
  switch (baud) {
  case 50: return B50;
  case 75: return B75;
  case 4800: return B4800;
  case 9600: return B9600;
  case 19200: return B19200;
  case 38400: return B38400;
  case 57600: return B57600;
  case 115200: return B115200;
  }
  return B9600;
}

/* Opens a serial line raw at `baud` (8N1, no flow control, receiver on); a pty works the same. A
 * FIFO or plain file (no termios) is read as is. */
static nta_status open_serial(rcl_clock *c, nta_diag *err) {
  int fd = open(c->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EISDIR))
    fd = open(c->path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return nta_diag_set(err, NTA_ERR_IO, "%s: cannot open %s: %s", c->where, c->path, strerror(errno));
  struct termios tio;
  if (tcgetattr(fd, &tio) == 0) {
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~(CRTSCTS | CSTOPB | PARENB);
    tio.c_cc[VMIN] = 1;
    tio.c_cc[VTIME] = 0;
    cfsetispeed(&tio, baud_constant(c->baud));
    cfsetospeed(&tio, baud_constant(c->baud));
    if (tcsetattr(fd, TCSANOW, &tio) < 0) {
      int e = errno;
      close(fd);
      return nta_diag_set(err, NTA_ERR_IO, "%s: cannot set %s to raw %d baud: %s", c->where, c->path, c->baud, strerror(e));
    }
    tcflush(fd, TCIFLUSH); /* bytes queued before we listened have no usable timestamp */
  } else if (errno != ENOTTY && errno != EINVAL) {
    int e = errno;
    close(fd);
    return nta_diag_set(err, NTA_ERR_IO, "%s: %s: %s", c->where, c->path, strerror(e));
  }
  c->fd = fd;
  return NTA_OK;
}

static nta_status open_pps(rcl_clock *c, const char *path, nta_diag *err) {
  nta_diag e;
  e.msg[0] = '\0';
  c->pps = c->set->pps_ops->open(c->set->pps_ctx, path, c->clear_edge, &e);
  if (!c->pps) return nta_diag_set(err, NTA_ERR_IO, "%s: %s", c->where, e.msg[0] ? e.msg : "cannot open PPS device");
  c->pps_have_seq = false;
  return NTA_OK;
}

static nta_status clock_open(rcl_clock *c, nta_diag *err) {
  rcl_sink sink = {.error = sink_error, .ctx = c};
  nta_status st = NTA_OK;
  switch (c->type) {
  case RCL_NMEA:
    sink.sample = nmea_sample;
    if (!c->nmea && !(c->nmea = nmea_driver_create(c->baud, c->time2, &sink)))
      return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", c->where);
    st = open_serial(c, err);
    if (st == NTA_OK && c->pps_path[0]) st = open_pps(c, c->pps_path, err);
    break;
  case RCL_DCF77:
    sink.sample = plain_sample;
    if (!c->dcf && !(c->dcf = dcf_driver_create(c->baud, c->time1, &sink)))
      return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", c->where);
    st = open_serial(c, err);
    break;
  case RCL_PPS:
    st = open_pps(c, c->path, err);
    break;
  case RCL_SHM: {
    nta_diag e;
    st = rcl_shm_attach(c->unit, &c->shm, &e);
    if (st != NTA_OK) nta_diag_set(err, st, "%s: %s", c->where, e.msg);
    break;
  }
  }
  return st;
}

nta_status rcl_open(rcl_set *set, nta_diag *err) {
  for (size_t i = 0; i < set->count; i++) {
    rcl_clock *c = &set->clocks[i];
    c->set = set;
    rcl_source_init(&c->src, c->filter, c->poll);
    nta_status st = clock_open(c, err);
    if (st != NTA_OK) {
      for (size_t k = 0; k <= i; k++) clock_close_devices(&set->clocks[k]);
      return st;
    }
  }
  return NTA_OK;
}

size_t rcl_poll_fds(rcl_set *set, struct pollfd *fds, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < set->count && n < max; i++) {
    if (set->clocks[i].fd < 0) continue;
    fds[n].fd = set->clocks[i].fd;
    fds[n].events = POLLIN;
    fds[n].revents = 0;
    n++;
  }
  return n;
}

static void device_lost(rcl_clock *c, const struct timespec *now, const char *why) {
  char msg[128];
  snprintf(msg, sizeof msg, "%.60s: %.60s", c->path, why);
  clock_note_error(c, msg);
  if (c->fd >= 0) { close(c->fd); c->fd = -1; }
  c->device_lost = true;
  c->reopen_at = rcl_ts_add(now, RCL_REOPEN_INTERVAL_S);
}

void rcl_on_readable(rcl_set *set, int fd, const struct timespec *rx_time) {
  rcl_clock *c = NULL;
  for (size_t i = 0; i < set->count; i++)
    if (set->clocks[i].fd == fd && fd >= 0) c = &set->clocks[i];
  if (!c) return;
  uint8_t buf[RCL_READ_CHUNK];
  size_t len = 0;
  bool lost = false;
  const char *why = NULL;
  /* Drain what is queued: all of it arrived by rx_time, the drivers spread it back in time. */
  while (len < sizeof buf) {
    ssize_t r = read(fd, buf + len, sizeof buf - len);
    if (r > 0) { len += (size_t)r; continue; }
    if (r == 0) { lost = true; why = "end of file (device hung up)"; break; }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) { lost = true; why = strerror(errno); }
    break;
  }
  if (len > 0) {
    if (c->type == RCL_NMEA) nmea_driver_input(c->nmea, buf, len, rx_time);
    else if (c->type == RCL_DCF77) dcf_driver_input(c->dcf, buf, len, rx_time);
  }
  if (lost) device_lost(c, rx_time, why);
}

/* ---- periodic work ---- */

static void try_reopen(rcl_clock *c, const struct timespec *now) {
  if (!c->device_lost || rcl_ts_cmp(now, &c->reopen_at) < 0) return;
  nta_diag e;
  if (open_serial(c, &e) == NTA_OK) {
    c->device_lost = false;
  } else {
    c->reopen_at = rcl_ts_add(now, RCL_REOPEN_INTERVAL_S);
  }
}

/* The offset that names a standalone PPS pulse's second: the served clock when another (non-PPS)
 * source is selected, or the running system clock when no other refclock is configured. */
static bool standalone_pps_label(const rcl_set *set, const rcl_clock *self, double *offset) {
  bool other = false;
  for (size_t i = 0; i < set->count; i++)
    if (&set->clocks[i] != self && set->clocks[i].type != RCL_PPS) other = true;
  if (!other) { *offset = 0.0; return true; }
  const rcl_model *m = &set->model;
  if (m->selected < 0 || set->clocks[m->selected].type == RCL_PPS) return false;
  *offset = m->offset;
  return true;
}

static void pps_fetch(rcl_clock *c, const struct timespec *now) {
  struct timespec edge;
  uint32_t seq;
  int r = c->set->pps_ops->fetch(c->pps, &edge, &seq);
  if (r < 0) { clock_note_error(c, "PPS fetch failed"); return; }
  if (r == 0 || (c->pps_have_seq && seq == c->pps_seq)) return;
  c->pps_have_seq = true;
  c->pps_seq = seq;
  double offset;
  double lo = -0.4, hi = 0.4;
  if (c->type == RCL_NMEA) {
    struct timespec label_sys;
    if (!nmea_driver_last_offset(c->nmea, &label_sys, &offset) ||
        fabs(rcl_ts_diff(&edge, &label_sys)) > RCL_PPS_LABEL_MAX_AGE_S) {
      clock_note_error(c, "PPS pulse without a recent NMEA label");
      return;
    }
    /* The label came from a '$' arrival (corrected by time2) a little after the pulse. */
    lo = -0.9; hi = 0.1;
  } else if (!standalone_pps_label(c->set, c, &offset)) {
    clock_note_error(c, "PPS pulse but no other source labels the second");
    return;
  }
  struct timespec ref;
  if (!rcl_pps_label(&edge, offset, lo, hi, &ref)) {
    clock_note_error(c, "PPS pulse too far from the labelled second");
    return;
  }
  c->pps_have_labelled = true;
  c->pps_last_labelled = edge;
  clock_add_sample(c, &edge, &ref, c->type == RCL_NMEA ? c->src.leap : c->set->model.leap);
  (void)now;
}

static void shm_poll(rcl_clock *c, const struct timespec *now) {
  rcl_shm_sample s;
  char why[96];
  rcl_shm_result r = rcl_shm_read(c->shm, &s, why, sizeof why);
  if (r == RCL_SHM_NONE) return;
  if (r != RCL_SHM_SAMPLE) { clock_note_error(c, why); return; }
  if (fabs(rcl_ts_diff(now, &s.sys)) > RCL_SHM_MAX_AGE_S) {
    clock_note_error(c, "SHM sample older than 5 s");
    return;
  }
  if (s.leap == 3) {
    clock_note_error(c, "SHM writer reports no sync (leap 3)");
    return;
  }
  c->shm_precision = s.precision < -30 ? -30 : s.precision > 0 ? 0 : s.precision;
  clock_add_sample(c, &s.sys, &s.ref, s.leap);
}

static bool pps_active(const rcl_clock *c, const struct timespec *now) {
  return c->pps_have_labelled && rcl_ts_diff(now, &c->pps_last_labelled) < RCL_PPS_ACTIVE_S + 1.0;
}

static int clock_precision(const rcl_clock *c, const struct timespec *now) {
  switch (c->type) {
  case RCL_NMEA: return pps_active(c, now) ? -20 : -10;
  case RCL_PPS: return -20;
  case RCL_DCF77: return -7;
  case RCL_SHM: return c->shm_precision;
  }
  return -10;
}

static bool clock_usable(const rcl_clock *c, const struct timespec *now) {
  if (c->type != RCL_PPS) return true;
  return c->pps_have_labelled && rcl_ts_diff(now, &c->pps_last_labelled) < RCL_PPS_LABEL_MAX_AGE_S;
}

static size_t build_candidates(rcl_set *set, const struct timespec *now, rcl_candidate *cand) {
  for (size_t i = 0; i < set->count; i++) {
    const rcl_clock *c = &set->clocks[i];
    cand[i] = (rcl_candidate){.src = &c->src, .prefer = c->prefer, .noselect = c->noselect,
                              .usable = clock_usable(c, now), .refid = c->refid,
                              .precision = clock_precision(c, now)};
  }
  return set->count;
}

void rcl_tick(rcl_set *set, const struct timespec *now) {
  set->now = *now;
  set->have_now = true;
  for (size_t i = 0; i < set->count; i++) {
    rcl_clock *c = &set->clocks[i];
    if (!c->set) continue; /* not opened */
    switch (c->type) {
    case RCL_NMEA:
      try_reopen(c, now);
      nmea_driver_tick(c->nmea, now);
      if (c->pps) pps_fetch(c, now);
      break;
    case RCL_DCF77:
      try_reopen(c, now);
      break;
    case RCL_PPS:
      if (c->pps) pps_fetch(c, now);
      break;
    case RCL_SHM:
      if (c->shm) shm_poll(c, now);
      break;
    }
    rcl_source_tick(&c->src, now);
  }
  rcl_candidate cand[RCL_MAX_CLOCKS];
  size_t n = build_candidates(set, now, cand);
  rcl_model_update(&set->model, cand, n, now);
}

bool rcl_get_state(rcl_set *set, const struct timespec *now, srv_time_state *out) {
  if (!set || set->count == 0) return false;
  rcl_model_state(&set->model, now, out);
  return true;
}

/* ---- status ---- */

static char state_char(const rcl_set *set, size_t i, const rcl_candidate *cand) {
  const rcl_clock *c = &set->clocks[i];
  if ((int)i == set->model.selected) return '*';
  if (c->noselect) return 'x';
  if (c->src.reach == 0 || !cand[i].usable) return '?';
  return rcl_candidate_eligible(&cand[i]) ? '+' : '-';
}

size_t rcl_get_clocks(rcl_set *set, const struct timespec *now, rcl_clock_info *out, size_t max) {
  rcl_candidate cand[RCL_MAX_CLOCKS];
  build_candidates(set, now, cand);
  size_t n = 0, per_type[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < set->count && n < max; i++, n++) {
    const rcl_clock *c = &set->clocks[i];
    rcl_clock_info *o = &out[n];
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", c->name);
    o->driver = type_name(c->type);
    o->device = c->path;
    o->unit = c->type == RCL_SHM ? c->unit : (int)per_type[c->type]++;
    o->refid = c->refid;
    o->poll = c->poll;
    o->precision = cand[i].precision;
    o->reach = c->src.reach;
    o->state = state_char(set, i, cand);
    o->prefer = c->prefer;
    o->have_estimate = c->src.have_estimate;
    o->offset = c->src.offset;
    o->jitter = c->src.jitter;
    o->leap = c->src.leap;
    o->estimate_time = c->src.est_sys;
    o->have_last_sample = c->src.have_last_sample;
    o->last_sample = c->src.last_sample_sys;
    o->samples = c->src.samples_total;
    o->errors = c->src.errors_total;
    snprintf(o->last_error, sizeof o->last_error, "%s", c->last_error);
    o->timing = c->type == RCL_NMEA && c->nmea ? nmea_timing_name(nmea_driver_timing(c->nmea)) : NULL;
  }
  return n;
}

bool rcl_in_holdover(const rcl_set *set) { return set && set->model.holdover; }
