/* log.c - logging for ntpauth-server (see log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static log_target target = LOG_TO_STDERR;
static FILE *logfile;
static bool debug_on;
static bool stderr_copy = true;

void log_stderr_copy(bool on) { stderr_copy = on; }

bool log_open(log_target t, const char *path, bool debug) {
  target = t;
  debug_on = debug;
  if (t == LOG_TO_FILE) {
    /* Opened as root: never through a symlink, which whoever can write the folder could have
     * planted to make root append to (and later chown) any file. */
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    logfile = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!logfile) {
      int e = errno;
      if (fd >= 0) close(fd);
      target = LOG_TO_STDERR;
      errno = e;
      return false;
    }
    setvbuf(logfile, NULL, _IOLBF, 0);
  } else if (t == LOG_TO_SYSLOG) {
    openlog("ntpauth-server", LOG_PID | LOG_NDELAY, LOG_DAEMON);
  }
  return true;
}

bool log_chown(uid_t uid, gid_t gid) {
  return !logfile || fchown(fileno(logfile), uid, gid) == 0;
}

void log_close(void) {
  if (logfile) fclose(logfile);
  logfile = NULL;
  if (target == LOG_TO_SYSLOG) closelog();
  target = LOG_TO_STDERR;
}

bool log_debug_enabled(void) { return debug_on; }

static const char *prio_name(int priority) {
  switch (priority) {
  case LOG_ERR: return "error";
  case LOG_WARNING: return "warning";
  case LOG_NOTICE: return "notice";
  case LOG_DEBUG: return "debug";
  default: return "info";
  }
}

static void emit_to(FILE *out, int priority, const char *msg) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  fprintf(out, "%s ntpauth-server %s: %s\n", stamp, prio_name(priority), msg);
}

static void emit(int priority, const char *msg) {
  if (target == LOG_TO_SYSLOG) syslog(priority, "%s", msg);
  else emit_to(target == LOG_TO_FILE ? logfile : stderr, priority, msg);
  /* Until the server detaches, errors also reach the terminal that started it. */
  if (target != LOG_TO_STDERR && stderr_copy && priority <= LOG_WARNING) emit_to(stderr, priority, msg);
}

void log_msg(int priority, const char *fmt, ...) {
  if (priority == LOG_DEBUG && !debug_on) return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  emit(priority, msg);
}

void log_lines(int priority, const char *text) {
  while (*text) {
    const char *nl = strchr(text, '\n');
    size_t n = nl ? (size_t)(nl - text) : strlen(text);
    char line[1024];
    if (n >= sizeof line) n = sizeof line - 1;
    memcpy(line, text, n);
    line[n] = '\0';
    if (n) emit(priority, line);
    text += nl ? (size_t)(nl - text) + 1 : strlen(text);
  }
}
