/* ntpauth/keyfile.h - how each daemon reads each line of a keyfile (for keyfile checkers).
 *
 * nta_keyring_load_file() applies one reading; this walks the text once and reports, for every
 * line that is not blank or a comment to all three daemons, what ntpd 4.2.8, ntpsec 1.2.2 and
 * chronyd 4.3 each make of it. */
#ifndef NTPAUTH_KEYFILE_H
#define NTPAUTH_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/keyring.h"

typedef enum { NTA_KF_NOTHING = 0, NTA_KF_LOADED, NTA_KF_REFUSED } nta_kf_state;

typedef struct {
  nta_kf_state state;
  bool has_id;
  uint32_t id;
  bool whole_file;          /* ntpd 4.2.8: this error makes it refuse the whole file */
  char type[64];            /* as written */
  char alg[64];             /* what the type means to this daemon ("AES128CMAC", ...) */
  size_t secret_len;
  uint8_t fingerprint[32];  /* SHA-256 of the secret bytes: equal readings have equal prints */
  char why[240];            /* refused: the daemon's reason in brief */
  char note[240];           /* loaded with a remark (truncated, padded ...) */
} nta_kf_view;

typedef struct {
  unsigned lineno;
  nta_kf_view by[3];   /* 0 ntpd 4.2.8, 1 ntpsec, 2 chrony */
} nta_kf_line;

/* The dialect of entry i of nta_kf_line.by. */
nta_dialect nta_kf_view_dialect(size_t i);

/* Calls fn for each line some daemon reads a key from or refuses; fn returns false to stop. */
typedef bool (*nta_kf_line_fn)(void *ctx, const nta_kf_line *line);
nta_status nta_keyfile_examine(const char *text, size_t len, nta_kf_line_fn fn, void *ctx);

#endif
