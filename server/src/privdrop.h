/* privdrop.h - dropping root for good, OpenNTPD style, after everything privileged is open. */
#ifndef NTPAUTH_SERVER_PRIVDROP_H
#define NTPAUTH_SERVER_PRIVDROP_H

#include <stdbool.h>
#include <sys/types.h>

#include "ntpauth/status.h"

typedef struct {
  bool drop;          /* false: not root and no user asked: stay as we are */
  char name[64];
  uid_t uid;
  gid_t gid;
} priv_user;

/* Resolves the run user: `name` ("" = nobody when root, else the current user). A named user
 * when not root is an error (we cannot switch). */
nta_status priv_resolve(const char *name, priv_user *out, nta_diag *err);
/* access(2) with u's identity (effective IDs switched briefly): mode R_OK, W_OK, X_OK. */
bool priv_access(const priv_user *u, const char *path, int mode);
/* Can `u` create files in `dir`? Checked with u's identity (effective IDs switched briefly). */
bool priv_dir_writable(const priv_user *u, const char *dir);
/* setgroups/setgid/setuid, then checks that root cannot be regained. */
nta_status priv_drop(const priv_user *u, nta_diag *err);

#endif
