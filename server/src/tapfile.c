/* tapfile.c - the capture tap's pcap file (see tapfile.h). */
#include "tapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/writer.h"

#define TF_FILE_HEADER 24
#define TF_RECORD_HEADER 16
#define TF_MAGIC_NS 0xa1b23c4du   /* pcap with nanosecond timestamps */
#define TF_LINKTYPE_RAW 101u      /* raw IPv4/IPv6 */
#define TF_SNAPLEN 65535u
#define TF_IP_UDP_MAX 48          /* IPv6 + UDP headers */

nta_status tf_check_path(const char *path, nta_diag *err) {
  struct stat st;
  if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
    return nta_diag_set(err, NTA_ERR_IO, "%s: exists and is not a regular file (%s); refusing to "
                        "write through it", path, S_ISLNK(st.st_mode) ? "a symlink" : "a special file");
  return NTA_OK;
}

nta_status tf_rotate_names(const char *path, unsigned keep, nta_diag *err) {
  char from[1100], to[1100];
  struct stat st;
  if (lstat(path, &st) != 0) return NTA_OK;   /* nothing to keep */
  snprintf(to, sizeof to, "%s.%u", path, keep);
  unlink(to);
  for (unsigned i = keep; i > 1; i--) {
    snprintf(from, sizeof from, "%s.%u", path, i - 1);
    snprintf(to, sizeof to, "%s.%u", path, i);
    rename(from, to);   /* a missing older file is fine */
  }
  snprintf(to, sizeof to, "%s.1", path);
  if (rename(path, to) != 0)
    return nta_diag_set(err, NTA_ERR_IO, "%s: cannot rotate to %s: %s", path, to, strerror(errno));
  return NTA_OK;
}

nta_status tf_create(tap_file *f, nta_diag *err) {
  int fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) return nta_diag_set(err, NTA_ERR_IO, "%s: cannot create: %s", f->path, strerror(errno));
  /* Client addresses and MAC samples: not for every user, whatever the umask. */
  if (fchmod(fd, 0640) != 0 || (f->chown && fchown(fd, f->uid, f->gid) != 0)) {
    nta_status st = nta_diag_set(err, NTA_ERR_IO, "%s: chmod/chown: %s", f->path, strerror(errno));
    close(fd);
    unlink(f->path);
    return st;
  }
  f->fd = fd;
  f->size = 0;
  f->cut_pending = false;
  return NTA_OK;
}

void tf_close(tap_file *f) {
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }   /* pcap: writer's byte order */
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static bool file_header_due(const tap_file *f) { return f->size == 0 && f->n_bounds == 0; }

size_t tf_record_size(const tap_file *f, const nta_endpoint *src, size_t len) {
  size_t hdr = src->family == 6 ? 48 : 28;
  return (file_header_due(f) ? TF_FILE_HEADER : 0) + TF_RECORD_HEADER + hdr + len;
}

static void add_file_header(tap_file *f) {
  uint8_t *p = f->pending + f->pending_len;
  put32(p, TF_MAGIC_NS);
  put16(p + 4, 2);
  put16(p + 6, 4);
  put32(p + 8, 0);
  put32(p + 12, 0);
  put32(p + 16, TF_SNAPLEN);
  put32(p + 20, TF_LINKTYPE_RAW);
  f->pending_len += TF_FILE_HEADER;
  f->bounds[f->n_bounds++] = f->pending_len;
}

/* A datagram cut short on receipt: the IP and UDP lengths claim the real size so tools show the
 * record as cut; its checksum cannot be computed and is left out. */
static void claim_length(uint8_t *frame, const nta_endpoint *src, size_t orig_len) {
  size_t udp_len = 8 + orig_len;
  if (src->family == 6) {
    frame[4] = (uint8_t)(udp_len >> 8); frame[5] = (uint8_t)udp_len;
    frame[44] = (uint8_t)(udp_len >> 8); frame[45] = (uint8_t)udp_len;
    frame[46] = frame[47] = 0;
    return;
  }
  size_t total = 20 + udp_len;
  frame[2] = (uint8_t)(total >> 8); frame[3] = (uint8_t)total;
  frame[10] = frame[11] = 0;
  uint16_t hc = cap_inet_checksum(frame, 20);
  frame[10] = (uint8_t)(hc >> 8); frame[11] = (uint8_t)hc;
  frame[24] = (uint8_t)(udp_len >> 8); frame[25] = (uint8_t)udp_len;
  frame[26] = frame[27] = 0;   /* "no checksum" in UDP over IPv4 */
}

bool tf_add(tap_file *f, const struct timespec *ts, const nta_endpoint *src,
            const nta_endpoint *dst, const uint8_t *data, size_t len, size_t orig_len) {
  size_t need = tf_record_size(f, src, len);
  if (f->pending_len + need > TF_PENDING_MAX || f->n_bounds + 2 > sizeof f->bounds / sizeof f->bounds[0])
    return false;
  if (file_header_due(f)) add_file_header(f);
  uint8_t *rec = f->pending + f->pending_len;
  size_t n = cap_build_ip_udp(src, dst, data, len, rec + TF_RECORD_HEADER,
                              TF_PENDING_MAX - f->pending_len - TF_RECORD_HEADER);
  if (n == 0) return false;
  size_t wire = n;
  if (orig_len > len && orig_len <= 65507) {
    claim_length(rec + TF_RECORD_HEADER, src, orig_len);
    wire = n + (orig_len - len);
  }
  put32(rec, (uint32_t)ts->tv_sec);
  put32(rec + 4, (uint32_t)ts->tv_nsec);
  put32(rec + 8, (uint32_t)n);
  put32(rec + 12, (uint32_t)wire);
  f->pending_len += TF_RECORD_HEADER + n;
  f->bounds[f->n_bounds++] = f->pending_len;
  return true;
}

size_t tf_discard(tap_file *f) {
  size_t lost = 0;
  /* The file header is not a record. */
  for (size_t i = 0; i < f->n_bounds; i++) {
    size_t start = i ? f->bounds[i - 1] : 0;
    if (!(start == 0 && f->size == 0 && f->bounds[i] == TF_FILE_HEADER)) lost++;
  }
  f->pending_len = 0;
  f->n_bounds = 0;
  return lost;
}

/* After a short write: cut the file back to the last whole record (or header) written. */
static size_t cut_back(tap_file *f, size_t written, int *err_no) {
  size_t keep = 0, i = 0;
  while (i < f->n_bounds && f->bounds[i] <= written) keep = f->bounds[i++];
  if (written != keep && ftruncate(f->fd, (off_t)(f->size + keep)) != 0) {
    f->cut_pending = true;
    if (!*err_no) *err_no = errno;
  }
  /* Records written whole stay; the rest is lost. */
  memmove(f->bounds, f->bounds + i, (f->n_bounds - i) * sizeof f->bounds[0]);
  f->n_bounds -= i;
  for (size_t k = 0; k < f->n_bounds; k++) f->bounds[k] -= keep;
  memmove(f->pending, f->pending + keep, f->pending_len - keep);
  f->pending_len -= keep;
  f->size += keep;
  return tf_discard(f);
}

size_t tf_flush(tap_file *f, int *err_no) {
  *err_no = 0;
  if (f->fd < 0 || !f->pending_len) return tf_discard(f);
  if (f->cut_pending) {
    if (ftruncate(f->fd, (off_t)f->size) != 0) { *err_no = errno; return tf_discard(f); }
    f->cut_pending = false;
  }
  size_t written = 0;
  while (written < f->pending_len) {
    ssize_t n = write(f->fd, f->pending + written, f->pending_len - written);
    if (n > 0) { written += (size_t)n; continue; }
    if (n < 0 && errno == EINTR) continue;
    *err_no = n < 0 ? errno : EIO;
    return cut_back(f, written, err_no);
  }
  f->size += f->pending_len;
  f->pending_len = 0;
  f->n_bounds = 0;
  return 0;
}
