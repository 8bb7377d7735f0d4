/* startcheck.c - start-up checks (see startcheck.h). */
#include "startcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

const char *sc_where(const char *where, const char *config_path, char *buf, size_t len) {
  if (where && where[0]) return where;
  snprintf(buf, len, "%s (default)", config_path);
  return buf;
}

static void problem(bool strict, int *count, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(bool strict, int *count, const char *fmt, ...) {
  char msg[1800];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  log_msg(strict ? LOG_ERR : LOG_WARNING, "%s", msg);
  (*count)++;
}

bool sc_config_sane(const srv_config *cfg, const char *config_path, const nta_keyring *keys,
                    const priv_user *user, bool strict) {
  int n = 0;
  if (!cfg->local_stratum && !cfg->n_refclocks)
    problem(strict, &n, "%s: no time source (no refclock and no 'local stratum' line): every "
            "client would get LI 3, stratum 0, refid INIT", config_path);
  if (cfg->keys[0] && keys && nta_keyring_count(keys) == 0)
    problem(strict, &n, "%s: keyfile %s holds no keys: every request with a MAC fails",
            cfg->keys_where, cfg->keys);
  if (cfg->keys_replaced_where[0])
    problem(strict, &n, "%s: a second 'keys' line replaces the one at %s (only one keyfile is used)",
            cfg->keys_where, cfg->keys_replaced_where);
  if (geteuid() == 0 && !user->drop) {
    char buf[CFG_WHERE_MAX];
    problem(strict, &n, "%s: user root: the server would keep every capability, CAP_SYS_TIME "
            "included; name an unprivileged user", sc_where(cfg->user_where, config_path, buf, sizeof buf));
  }
  return !strict || n == 0;
}

static bool dir_of(const char *path, char *dir, size_t len) {
  char tmp[CFG_PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s", path);
  snprintf(dir, len, "%s", dirname(tmp));
  return true;
}

bool sc_tap_preflight(const srv_config *cfg, const char *config_path, const priv_user *user,
                      bool *can_rotate) {
  (void)config_path;
  const char *path = cfg->pcap;
  char dir[CFG_PATH_MAX];
  struct stat st;
  *can_rotate = false;
  if (!path[0]) return true;
  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    log_msg(LOG_ERR, "%s: pcap %s: exists and is not a regular file (%s); refusing to write "
            "through it", cfg->pcap_where, path, S_ISLNK(st.st_mode) ? "a symlink" : "a special file");
    return false;
  }
  dir_of(path, dir, sizeof dir);
  if (access(dir, W_OK | X_OK) != 0) {
    log_msg(LOG_ERR, "%s: pcap %s: folder %s: %s", cfg->pcap_where, path, dir, strerror(errno));
    return false;
  }
  /* Rotation creates new files after the privilege drop. */
  *can_rotate = priv_dir_writable(user, dir);
  if (*can_rotate) return true;
  const char *who = user->drop ? user->name : "(current)";
  if (cfg->pcap_max_set) {
    log_msg(LOG_ERR, "%s: pcap %s maxsize: folder %s is not writable by user %s (needed to rotate "
            "files after dropping privileges); chown/chmod it or drop maxsize", cfg->pcap_where,
            path, dir, who);
    return false;
  }
  log_msg(LOG_WARNING, "%s: pcap %s: folder %s is not writable by user %s: the file cannot rotate "
          "and recording stops at the default maxsize of %u MB", cfg->pcap_where, path, dir, who,
          CFG_PCAP_DEFAULT_MB);
  return true;
}

static bool check_logfile(const srv_config *cfg) {
  if (!cfg->logfile[0]) return true;
  int fd = open(cfg->logfile, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) { close(fd); return true; }
  char dir[CFG_PATH_MAX];
  dir_of(cfg->logfile, dir, sizeof dir);
  if (errno == ENOENT && access(dir, W_OK | X_OK) == 0) return true;
  log_msg(LOG_ERR, "%s: logfile %s: %s", cfg->logfile_where, cfg->logfile,
          strerror(errno == ENOENT ? ENOENT : errno));
  return false;
}

/* A missing folder the server creates at start (status_open makes one level). */
static bool creatable_dir(const char *dir) {
  if (errno != ENOENT) return false;
  char parent[CFG_PATH_MAX];
  dir_of(dir, parent, sizeof parent);
  bool ok = access(parent, W_OK | X_OK) == 0;
  errno = ENOENT;
  return ok;
}

static bool check_status_socket(const srv_config *cfg, const char *config_path) {
  const char *path = cfg->status_socket;
  char buf[CFG_WHERE_MAX], dir[CFG_PATH_MAX];
  const char *where = sc_where(cfg->status_where, config_path, buf, sizeof buf);
  struct stat st;
  if (!path[0]) return true;
  if (strlen(path) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
    log_msg(LOG_ERR, "%s: status socket %s: path too long", where, path);
    return false;
  }
  if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
    log_msg(LOG_ERR, "%s: status socket %s: exists and is not a socket", where, path);
    return false;
  }
  dir_of(path, dir, sizeof dir);
  if (access(dir, W_OK | X_OK) != 0 && !creatable_dir(dir)) {
    log_msg(LOG_ERR, "%s: status socket %s: folder %s: %s", where, path, dir, strerror(errno));
    return false;
  }
  return true;
}

/* The address must be one of this host's: bound on port 0, so a running server's sockets do not
 * make the check fail. */
static bool check_listen(const cfg_listen *l, const char *config_path) {
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  if (l->family == 4) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_addr, l->addr, 4);
    len = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    memcpy(&sin6->sin6_addr, l->addr, 16);
    len = sizeof *sin6;
  }
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int e = fd < 0 ? errno : bind(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
  if (fd >= 0) close(fd);
  if (!e) return true;
  char buf[CFG_WHERE_MAX];
  log_msg(LOG_ERR, "%s: listen %s: %s", sc_where(l->where, config_path, buf, sizeof buf), l->text,
          strerror(e));
  return false;
}

bool sc_check_paths(const srv_config *cfg, const char *config_path) {
  bool ok = check_logfile(cfg);
  ok = check_status_socket(cfg, config_path) && ok;
  for (size_t i = 0; i < cfg->n_listen; i++) ok = check_listen(&cfg->listen[i], config_path) && ok;
  return ok;
}
