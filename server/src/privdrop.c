/* privdrop.c - switching to the run user (see privdrop.h). */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

nta_status priv_resolve(const char *name, priv_user *out, nta_diag *err) {
  memset(out, 0, sizeof *out);
  bool root = geteuid() == 0;
  if (!name || !*name) {
    if (!root) { out->drop = false; out->uid = geteuid(); out->gid = getegid(); return NTA_OK; }
    name = "nobody";
  }
  struct passwd *pw = getpwnam(name);
  if (!pw) return nta_diag_set(err, NTA_ERR_ARG, "user %s: no such user", name);
  snprintf(out->name, sizeof out->name, "%s", name);
  out->uid = pw->pw_uid;
  out->gid = pw->pw_gid;
  if (!root) {
    if (pw->pw_uid != geteuid())
      return nta_diag_set(err, NTA_ERR_ARG, "user %s: only root can switch users", name);
    out->drop = false;
    return NTA_OK;
  }
  out->drop = pw->pw_uid != 0;
  return NTA_OK;
}

bool priv_access(const priv_user *u, const char *path, int mode) {
  if (!u->drop) return access(path, mode) == 0;
  gid_t saved_groups[256];
  int n_saved = getgroups(256, saved_groups);
  bool ok = false;
  if (n_saved < 0) return false;
  if (initgroups(u->name, u->gid) != 0) return false;
  if (setegid(u->gid) == 0) {
    if (seteuid(u->uid) == 0) {
      ok = eaccess(path, mode) == 0;
      if (seteuid(0) != 0) ok = false;
    }
    if (setegid(0) != 0) ok = false;
  }
  if (setgroups((size_t)n_saved, saved_groups) != 0) ok = false;
  return ok;
}

bool priv_dir_writable(const priv_user *u, const char *dir) {
  return priv_access(u, dir, W_OK | X_OK);
}

nta_status priv_drop(const priv_user *u, nta_diag *err) {
  if (!u->drop) return NTA_OK;
  if (initgroups(u->name, u->gid) != 0)
    return nta_diag_set(err, NTA_ERR_IO, "initgroups(%s): %s", u->name, strerror(errno));
  if (setresgid(u->gid, u->gid, u->gid) != 0)
    return nta_diag_set(err, NTA_ERR_IO, "setresgid(%u): %s", (unsigned)u->gid, strerror(errno));
  if (setresuid(u->uid, u->uid, u->uid) != 0)
    return nta_diag_set(err, NTA_ERR_IO, "setresuid(%u): %s", (unsigned)u->uid, strerror(errno));
  /* Make sure the drop is permanent. */
  if (setuid(0) == 0 || seteuid(0) == 0)
    return nta_diag_set(err, NTA_ERR_IO, "privilege drop to %s failed: root can be regained",
                        u->name);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return NTA_OK;
}
