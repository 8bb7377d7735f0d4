/* simcommon.c - output device, sleeping and parsing helpers for the simulators. */
#include "simcommon.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "refclock/timeutil.h"

volatile sig_atomic_t sim_stop = 0;

static void on_stop(int sig) { (void)sig; sim_stop = 1; }

void sim_install_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
}

static speed_t speed_of(int baud) {
  switch (baud) {
  case 50: return B50;
  case 75: return B75;
  case 4800: return B4800;
  case 19200: return B19200;
  case 38400: return B38400;
  case 57600: return B57600;
  case 115200: return B115200;
  default: return B9600;
  }
}

bool sim_output_open(sim_output *out, const char *path, const char *link, int baud) {
  memset(out, 0, sizeof *out);
  out->fd = out->slave_fd = -1;
  if (path) {
    out->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (out->fd < 0) { fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno)); return false; }
    snprintf(out->path, sizeof out->path, "%s", path);
  } else {
    struct termios tio;
    memset(&tio, 0, sizeof tio);
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    cfsetispeed(&tio, speed_of(baud));
    cfsetospeed(&tio, speed_of(baud));
    char name[256];
    if (openpty(&out->fd, &out->slave_fd, name, &tio, NULL) < 0) {
      fprintf(stderr, "openpty: %s\n", strerror(errno));
      return false;
    }
    /* openpty's termios argument is applied to the slave; set it again to be sure of raw mode
     * (no CR/LF translation) before any reader opens it. */
    tcsetattr(out->slave_fd, TCSANOW, &tio);
    fcntl(out->fd, F_SETFL, fcntl(out->fd, F_GETFL) | O_NONBLOCK);
    fcntl(out->fd, F_SETFD, FD_CLOEXEC);
    fcntl(out->slave_fd, F_SETFD, FD_CLOEXEC);
    snprintf(out->path, sizeof out->path, "%s", name);
    chmod(name, 0666);
  }
  if (link) {
    unlink(link);
    if (symlink(out->path, link) < 0) {
      fprintf(stderr, "symlink %s: %s\n", link, strerror(errno));
      sim_output_close(out);
      return false;
    }
    snprintf(out->link, sizeof out->link, "%s", link);
  }
  printf("%s\n", out->path);
  fflush(stdout);
  return true;
}

void sim_output_close(sim_output *out) {
  if (out->link[0]) unlink(out->link);
  if (out->fd >= 0) close(out->fd);
  if (out->slave_fd >= 0) close(out->slave_fd);
  out->fd = out->slave_fd = -1;
}

void sim_output_write(sim_output *out, const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len > 0) {
    ssize_t n = write(out->fd, p, len);
    if (n > 0) { p += n; len -= (size_t)n; continue; }
    if (n < 0 && errno == EINTR) continue;
    /* EAGAIN: nobody drains the pty, so the bytes are lost, as on a real line. Drain our own
     * slave side so the queue does not keep stale data for the next reader. */
    if (out->slave_fd >= 0) tcflush(out->slave_fd, TCIFLUSH);
    return;
  }
}

bool sim_sleep_until(const struct timespec *t) {
  while (!sim_stop) {
    int r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, t, NULL);
    if (r == 0) return !sim_stop;
    if (r != EINTR) return false;
  }
  return false;
}

bool sim_parse_utc(const char *s, int64_t *out) {
  int y, mo, d, h, mi, se;
  char tail;
  if (sscanf(s, "%d-%d-%dT%d:%d:%d%c", &y, &mo, &d, &h, &mi, &se, &tail) != 6 &&
      sscanf(s, "%d-%d-%d %d:%d:%d%c", &y, &mo, &d, &h, &mi, &se, &tail) != 6)
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > rcl_days_in_month(y, mo) || h > 23 || mi > 59 || se > 59 ||
      h < 0 || mi < 0 || se < 0)
    return false;
  *out = rcl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  return true;
}

bool sim_parse_double(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !isfinite(v)) return false;
  *out = v;
  return true;
}

bool sim_parse_int(const char *s, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 0);
  if (errno || end == s || *end || v < lo || v > hi) return false;
  *out = v;
  return true;
}

void sim_clock_init(sim_clock *c, bool has_start, int64_t start_utc, double offset) {
  memset(c, 0, sizeof *c);
  clock_gettime(CLOCK_REALTIME, &c->t0);
  c->has_start = has_start;
  c->start_utc = start_utc;
  c->offset = offset;
  if (has_start) {
    /* Start on the next whole system second so the simulated seconds align to it. */
    c->offset = (double)(start_utc - (int64_t)c->t0.tv_sec - 1) + offset;
  }
}

double sim_clock_offset(const sim_clock *c) { return c->offset; }
