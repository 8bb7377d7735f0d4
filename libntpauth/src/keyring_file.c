/* keyring_file.c - reading a keyfile from disk, and explaining why it cannot be read.
 *
 * "Permission denied" on ntp.keys is the classic support question: the daemon reads the file
 * after dropping root, or AppArmor checks the path the symlink resolves to, not the symlink.
 * So the error message names the path, for a symlink the target with its owner and mode, and
 * the likely causes. The file is read with open+fstat+read: no mmap, so a file that changes or
 * shrinks underneath cannot fault. */
#include "keyring_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define KEYFILE_MAX_BYTES (16u * 1024 * 1024)

/* "ntp (uid 105)" or "uid 105" when the user is unknown. */
static void describe_uid(uid_t uid, char *out, size_t outlen) {
  struct passwd pw, *res = NULL;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) == 0 && res)
    snprintf(out, outlen, "%s (uid %u)", res->pw_name, (unsigned)uid);
  else
    snprintf(out, outlen, "uid %u", (unsigned)uid);
}

/* "owner root (uid 0), mode 0600" of an existing path, or a reason it cannot be seen. */
static void describe_target(const char *target, char *out, size_t outlen) {
  struct stat st;
  if (stat(target, &st) != 0) {
    snprintf(out, outlen, "which cannot be examined: %s", strerror(errno));
    return;
  }
  char owner[128];
  describe_uid(st.st_uid, owner, sizeof owner);
  snprintf(out, outlen, "owner %s, mode %04o", owner, (unsigned)(st.st_mode & 07777));
}

/* Fills `err` for a keyfile that could not be opened or read (errno `e`). */
static nta_status explain_open_error(const char *path, int e, nta_diag *err) {
  struct stat lst;
  bool is_link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
  char me[160];
  describe_uid(geteuid(), me, sizeof me);
  if (!is_link) {
    if (e == EACCES)
      return nta_diag_set(err, NTA_ERR_IO,
                          "%s: %s (reading as %s; a daemon reads its keyfile after dropping "
                          "privileges to its own user, which needs read access; or a security "
                          "module such as AppArmor denied it)",
                          path, strerror(e), me);
    return nta_diag_set(err, NTA_ERR_IO, "%s: %s", path, strerror(e));
  }

  char target[PATH_MAX];
  ssize_t tn = readlink(path, target, sizeof target - 1);
  if (tn < 0) tn = 0;
  target[tn] = '\0';
  char resolved[PATH_MAX];
  bool has_resolved = realpath(path, resolved) != NULL;
  struct stat tst;
  if (stat(path, &tst) != 0 && errno == ENOENT)
    return nta_diag_set(err, NTA_ERR_IO, "%s: dangling symlink to '%s' (the target does not exist)",
                        path, target);
  char about[256];
  describe_target(path, about, sizeof about);
  return nta_diag_set(err, NTA_ERR_IO,
                      "%s: %s: symlink to '%s'%s%s, %s; reading as %s. Likely causes: the daemon "
                      "reads the keyfile after dropping privileges and that user cannot read the "
                      "target; or a security module such as AppArmor checks the resolved path, "
                      "not the symlink, and the daemon's profile does not allow it",
                      path, strerror(e), target, has_resolved ? " resolved to " : "",
                      has_resolved ? resolved : "", about, me);
}

/* Warns when group or others may read or write the keyfile. */
static void check_permissions(const char *path, const struct stat *st, nta_diags *diags) {
  mode_t m = st->st_mode;
  if (!(m & (S_IRWXG | S_IRWXO) & ~(S_IXGRP | S_IXOTH))) return;
  const char *who = (m & (S_IROTH | S_IWOTH)) ? "others" : "its group";
  nta_diags_add(diags, NTA_DIAG_WARNING,
                "%s: keyfile is %s%s%s by %s (mode %04o); keys are secrets, use mode 0600 or 0640 "
                "with a trusted group",
                path, (m & (S_IRGRP | S_IROTH)) ? "readable" : "",
                ((m & (S_IRGRP | S_IROTH)) && (m & (S_IWGRP | S_IWOTH))) ? " and " : "",
                (m & (S_IWGRP | S_IWOTH)) ? "writable" : "", who, (unsigned)(m & 07777));
}

/* Reads the whole regular file behind fd into a malloc'd buffer. */
static nta_status read_all(int fd, const char *path, const struct stat *st, char **out,
                           size_t *outlen, nta_diag *err) {
  if (st->st_size > (off_t)KEYFILE_MAX_BYTES)
    return nta_diag_set(err, NTA_ERR_IO, "%s: keyfile is larger than %u bytes", path,
                        KEYFILE_MAX_BYTES);
  size_t cap = (size_t)st->st_size + 1, len = 0;
  char *buf = malloc(cap);
  if (!buf) return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", path);
  for (;;) {
    if (len == cap) {   /* the file grew while we read it: stop at the limit */
      if (cap > KEYFILE_MAX_BYTES) break;
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", path);
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      free(buf);
      return nta_diag_set(err, NTA_ERR_IO, "%s: read error: %s", path, strerror(e));
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  *out = buf;
  *outlen = len;
  return NTA_OK;
}

nta_status nta_keyring_load_file(nta_keyring *kr, const char *path, nta_dialect dialect,
                                 nta_dialect *used_dialect, nta_diags *diags, nta_diag *err) {
  if (!kr || !path) return nta_diag_set(err, NTA_ERR_ARG, "no keyring or path");
  if (used_dialect) *used_dialect = dialect;   /* until detection has seen the text */
  /* O_NONBLOCK: a FIFO must not hang the reader; it is rejected below as not a regular file. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return explain_open_error(path, errno, err);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return nta_diag_set(err, NTA_ERR_IO, "%s: %s", path, strerror(e));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return nta_diag_set(err, NTA_ERR_IO, "%s: is a directory, not a keyfile", path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return nta_diag_set(err, NTA_ERR_IO, "%s: not a regular file", path);
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  char *text = NULL;
  size_t len = 0;
  nta_status st_read = read_all(fd, path, &st, &text, &len, err);
  close(fd);
  if (st_read != NTA_OK) return st_read;
  check_permissions(path, &st, diags);
  nta_status res = nta_keyring_load_text(kr, path, text, len, dialect, used_dialect, diags, err);
  OPENSSL_cleanse(text, len);
  free(text);
  return res;
}
