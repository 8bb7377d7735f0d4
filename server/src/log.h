/* log.h - the daemon's log: syslog, stderr (-n) or a log file opened before the privilege drop. */
#ifndef NTPAUTH_SERVER_LOG_H
#define NTPAUTH_SERVER_LOG_H

#include <stdbool.h>
#include <syslog.h>
#include <sys/types.h>

typedef enum { LOG_TO_SYSLOG, LOG_TO_STDERR, LOG_TO_FILE } log_target;

/* Returns false (errno set) when the log file cannot be opened. */
bool log_open(log_target target, const char *path, bool debug);
/* Gives the open log file to the run user (by descriptor, so it is the file that was opened). */
bool log_chown(uid_t uid, gid_t gid);
void log_close(void);
/* While starting up (before detaching) syslog and file messages are also copied to stderr, so
 * a start-up error is seen by whoever started the server. On by default. */
void log_stderr_copy(bool on);
bool log_debug_enabled(void);
/* priority: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Multi-line text (status dumps): one log record per line. */
void log_lines(int priority, const char *text);

#endif
