/* tapfile.h - the capture tap's pcap file: whole records only, rotation, no symlinks.
 *
 * Records are collected in memory and written with one write(2) per flush. A write that fails
 * half-way (ENOSPC, EIO) is cut back to the last whole record, so the file never ends in a torn
 * record; the records that did not fit are reported as lost. Files are created 0640 with
 * O_EXCL|O_NOFOLLOW (never through a planted symlink) and handed to the run user. The configured
 * path is always the current file: rotation renames path -> path.1 -> path.2 ... and keeps at
 * most `keep` old files. */
#ifndef NTPAUTH_SERVER_TAPFILE_H
#define NTPAUTH_SERVER_TAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "ntpauth/exchange.h"
#include "ntpauth/status.h"

#define TF_PENDING_MAX (256 * 1024)

typedef struct {
  int fd;
  char path[1024];
  unsigned keep;
  uid_t uid;
  gid_t gid;
  bool chown;
  uint64_t size;             /* bytes on disk in the current file */
  bool cut_pending;          /* a cut-back failed: retry before the next write */
  uint8_t pending[TF_PENDING_MAX];
  size_t pending_len;
  size_t bounds[TF_PENDING_MAX / 44];   /* end offset of each pending record (header first) */
  size_t n_bounds;
} tap_file;

/* Refuses a path that exists and is not a regular file (symlink, device, folder). */
nta_status tf_check_path(const char *path, nta_diag *err);
/* path.(keep-1) -> path.keep, ..., path -> path.1 (the oldest beyond keep is removed). */
nta_status tf_rotate_names(const char *path, unsigned keep, nta_diag *err);
/* Creates the (new, empty) current file. */
nta_status tf_create(tap_file *f, nta_diag *err);
void tf_close(tap_file *f);

/* Bytes one record of this datagram takes in the file (with the file header if it is first). */
size_t tf_record_size(const tap_file *f, const nta_endpoint *src, size_t len);
/* Adds one record to the pending buffer; false when it is full (flush first) or the endpoints'
 * families differ. orig_len: the
 * datagram's real length (more than len when it was truncated on receipt). */
bool tf_add(tap_file *f, const struct timespec *ts, const nta_endpoint *src,
            const nta_endpoint *dst, const uint8_t *data, size_t len, size_t orig_len);
/* Writes the pending records. Returns how many records were lost (0 on success); on an error
 * *err_no is set and the file still ends on a record boundary. */
size_t tf_flush(tap_file *f, int *err_no);
/* Drops the pending records; returns how many. */
size_t tf_discard(tap_file *f);

#endif
