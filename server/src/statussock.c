/* statussock.c - the status socket (see statussock.h). */
#include "statussock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* The default socket lives in its own folder (/run/ntpauth, as the unit's RuntimeDirectory makes
 * it). Started by hand the folder does not exist yet: create that one level, owned by the run
 * user so the server can still remove its socket after dropping root. */
static bool make_parent(const char *path, uid_t uid, gid_t gid, nta_diag *err) {
  char dir[sizeof ((struct sockaddr_un *)0)->sun_path];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return true;
  *slash = '\0';
  struct stat st;
  if (stat(dir, &st) == 0 || errno != ENOENT) return true;  /* bind reports other problems */
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    nta_diag_set(err, NTA_ERR_IO, "status socket %s: cannot create folder %s: %s", path, dir,
                 strerror(errno));
    return false;
  }
  if (geteuid() == 0 && chown(dir, uid, gid) != 0) {
    nta_diag_set(err, NTA_ERR_IO, "status socket %s: chown %s: %s", path, dir, strerror(errno));
    return false;
  }
  return true;
}

int status_open(const char *path, uid_t uid, gid_t gid, nta_diag *err) {
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sun.sun_path) {
    nta_diag_set(err, NTA_ERR_ARG, "status socket %s: path too long", path);
    return -1;
  }
  strcpy(sun.sun_path, path);
  if (!make_parent(path, uid, gid, err)) return -1;
  struct stat st;
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      nta_diag_set(err, NTA_ERR_IO, "status socket %s: exists and is not a socket", path);
      return -1;
    }
    unlink(path);
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    nta_diag_set(err, NTA_ERR_IO, "status socket: %s", strerror(errno));
    return -1;
  }
  /* Nobody but the owner may connect: create it with no group/other access at all. */
  mode_t old = umask(0177);
  int rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
  umask(old);
  if (rc != 0 || chmod(path, 0600) != 0 || listen(fd, 8) != 0) {
    nta_diag_set(err, NTA_ERR_IO, "status socket %s: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  if (geteuid() == 0 && lchown(path, uid, gid) != 0) {
    nta_diag_set(err, NTA_ERR_IO, "status socket %s: chown: %s", path, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

void status_serve(int listen_fd, const char *text, size_t len) {
  int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0) return;
  size_t off = 0;
  /* A slow reader must not stall the NTP loop: give it at most ~200 ms in total. */
  for (int tries = 0; off < len && tries < 20; tries++) {
    ssize_t n = send(c, text + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) { off += (size_t)n; continue; }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
    struct pollfd p = { .fd = c, .events = POLLOUT };
    poll(&p, 1, 10);
  }
  close(c);
}

/* The socket's folder is often root's (/run) while the server runs as another user: a child that
 * keeps root, holds nothing but a pipe and waits for the server to end removes the socket then,
 * if it is still the one we made. */
void status_remove_at_exit(const char *path) {
  struct stat made;
  int p[2];
  if (lstat(path, &made) != 0 || pipe2(p, O_CLOEXEC) != 0) return;
  pid_t pid = fork();
  if (pid < 0) { close(p[0]); close(p[1]); return; }
  if (pid > 0) { close(p[0]); return; }   /* the server keeps the write end until it exits */
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); }
  int rd = dup2(p[0], 3) < 0 ? p[0] : 3;
  close_range((unsigned)rd + 1, ~0u, 0);   /* no sockets, keys or files stay with this child */
  char c;
  for (;;) {
    ssize_t r = read(rd, &c, 1);
    if (r == 0 || (r < 0 && errno != EINTR)) break;
  }
  struct stat now;
  if (lstat(path, &now) == 0 && S_ISSOCK(now.st_mode) && now.st_ino == made.st_ino &&
      now.st_dev == made.st_dev)
    unlink(path);
  _exit(0);
}
