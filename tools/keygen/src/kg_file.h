/* kg_file.h - writing keyfiles the way ntp-keygen does, appending to them, and checking that
 * libntpauth reads back exactly the keys that were written. */
#ifndef NTPAUTH_KG_FILE_H
#define NTPAUTH_KG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kg_keys.h"

typedef struct {
  const char *dir;        /* output folder */
  const char *host;       /* host part of the file name */
  const char *tag;        /* "MD5" gives ntpkey_MD5key_HOST.STAMP */
  const char *link_name;  /* "ntp.keys" */
  nta_dialect dialect;
  time_t now;
  bool force;             /* replace an existing file or link */
} kg_new_file;

/* Writes DIR/ntpkey_<TAG>key_<HOST>.<NTP seconds> with mode 0600, checks it, and points
 * DIR/<link_name> at it. Nothing is replaced unless `force`. On success `*path_out` (g_free) is
 * the written file. */
nta_status kg_write_new(const kg_new_file *spec, const kg_key *keys, size_t n, char **path_out,
                        nta_diag *err);

/* The dialect of an existing keyfile: chrony, ntpsec (when it uses ntpsec's "AES" name) or ntpd.
 * `requested` other than AUTO must agree with what the file holds. */
nta_status kg_append_dialect(const char *path, nta_dialect requested, nta_dialect *out,
                             nta_diag *err);

/* Adds keys to an existing keyfile in its own dialect. Refuses an ID the file already has. The
 * file is rewritten through a temporary file and rename(), keeping its mode and owner; a symlink
 * is followed and stays a symlink. */
nta_status kg_append(const char *path, nta_dialect dialect, const kg_key *keys, size_t n,
                     nta_diag *err);

/* Loads `path` with libntpauth and checks that every key is there with the same algorithm and
 * secret. */
nta_status kg_self_check(const char *path, nta_dialect dialect, const kg_key *keys, size_t n,
                         nta_diag *err);

#endif
