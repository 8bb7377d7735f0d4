/* statussock.h - the Unix status socket: a client connects and reads one status text. */
#ifndef NTPAUTH_SERVER_STATUSSOCK_H
#define NTPAUTH_SERVER_STATUSSOCK_H

#include <sys/types.h>

#include "ntpauth/status.h"

/* Creates the listening socket at `path` (a stale socket is replaced) with mode 0600, owned by
 * uid/gid (the run user). Returns the fd or -1 with err filled. */
int status_open(const char *path, uid_t uid, gid_t gid, nta_diag *err);
/* Accepts one connection and writes `text` (non-blocking, bounded). */
void status_serve(int listen_fd, const char *text, size_t len);

/* Removes the socket at `path` once this process has ended (see statussock.c). */
void status_remove_at_exit(const char *path);

#endif
