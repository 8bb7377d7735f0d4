/* writer.c - pcap files through libpcap's dump API, with size-based rotation.
 *
 * libpcap writes the file header and records; we build the frames. The file is flushed after
 * every packet by default so that a reader (or a crash) never sees half a record. */
#include "capture/writer.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCAP_FILE_HEADER_LEN 24
#define PCAP_RECORD_HEADER_LEN 16
#define WRITER_SNAPLEN 262144
#define ETHER_HEADER_LEN 14
#define FRAME_MAX (ETHER_HEADER_LEN + 65535 + 40)

struct cap_writer {
  pcap_t *dead;
  pcap_dumper_t *dumper;
  char *path;              /* NULL for descriptor-based writers (no rotation) */
  cap_link link;
  bool nanosecond;
  bool autoflush;
  uint64_t max_bytes;
  unsigned keep;
  uint64_t file_bytes;     /* bytes in the current file, header included */
  uint8_t frame[FRAME_MAX];
};

static int link_dlt(cap_link link) { return link == CAP_LINK_ETHERNET ? DLT_EN10MB : DLT_RAW; }

static cap_writer *writer_new(cap_link link, bool nanosecond, nta_diag *err) {
  if (link != CAP_LINK_RAW && link != CAP_LINK_ETHERNET) {
    nta_diag_set(err, NTA_ERR_ARG, "unknown link type %d", (int)link);
    return NULL;
  }
  cap_writer *w = calloc(1, sizeof *w);
  if (!w) {
    nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
    return NULL;
  }
  w->link = link;
  w->nanosecond = nanosecond;
  w->autoflush = true;
  w->dead = pcap_open_dead_with_tstamp_precision(
      link_dlt(link), WRITER_SNAPLEN,
      nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
  if (!w->dead) {
    free(w);
    nta_diag_set(err, NTA_ERR_NOMEM, "pcap_open_dead failed");
    return NULL;
  }
  return w;
}

static nta_status open_path(cap_writer *w, nta_diag *err) {
  w->dumper = pcap_dump_open(w->dead, w->path);
  if (!w->dumper)
    return nta_diag_set(err, NTA_ERR_IO, "%s: cannot open for writing: %s", w->path,
                        pcap_geterr(w->dead));
  w->file_bytes = PCAP_FILE_HEADER_LEN;
  if (pcap_dump_flush(w->dumper) != 0)
    return nta_diag_set(err, NTA_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
  return NTA_OK;
}

cap_writer *cap_writer_open(const char *path, cap_link link, bool nanosecond, uint64_t max_bytes,
                            unsigned keep, nta_diag *err) {
  if (!path || !*path) {
    nta_diag_set(err, NTA_ERR_ARG, "no output file name");
    return NULL;
  }
  cap_writer *w = writer_new(link, nanosecond, err);
  if (!w) return NULL;
  w->max_bytes = max_bytes;
  w->keep = keep;
  w->path = strdup(path);
  if (!w->path) {
    nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
    cap_writer_close(w);
    return NULL;
  }
  if (open_path(w, err) != NTA_OK) {
    cap_writer_close(w);
    return NULL;
  }
  return w;
}

cap_writer *cap_writer_open_fd(int fd, const char *name, cap_link link, bool nanosecond,
                               nta_diag *err) {
  const char *label = name ? name : "(descriptor)";
  cap_writer *w = writer_new(link, nanosecond, err);
  if (!w) return NULL;
  int own = dup(fd);
  FILE *fp = own >= 0 ? fdopen(own, "wb") : NULL;
  if (!fp) {
    nta_diag_set(err, NTA_ERR_IO, "%s: cannot write: %s", label, strerror(errno));
    if (own >= 0) close(own);
    cap_writer_close(w);
    return NULL;
  }
  w->dumper = pcap_dump_fopen(w->dead, fp);
  if (!w->dumper) {
    nta_diag_set(err, NTA_ERR_IO, "%s: cannot write: %s", label, pcap_geterr(w->dead));
    fclose(fp);
    cap_writer_close(w);
    return NULL;
  }
  w->file_bytes = PCAP_FILE_HEADER_LEN;
  return w;
}

void cap_writer_set_autoflush(cap_writer *w, bool every_packet) {
  if (w) w->autoflush = every_packet;
}

/* path.(keep-1) -> path.keep, ..., path -> path.1; the oldest beyond `keep` goes away. */
static nta_status rotate(cap_writer *w, nta_diag *err) {
  pcap_dump_close(w->dumper);
  w->dumper = NULL;
  size_t n = strlen(w->path) + 16;
  char *from = malloc(n), *to = malloc(n);
  if (!from || !to) {
    free(from);
    free(to);
    return nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
  }
  if (w->keep == 0) {
    unlink(w->path);
  } else {
    snprintf(to, n, "%s.%u", w->path, w->keep);
    unlink(to);
    for (unsigned i = w->keep; i > 1; i--) {
      snprintf(from, n, "%s.%u", w->path, i - 1);
      snprintf(to, n, "%s.%u", w->path, i);
      rename(from, to);   /* a missing older file is fine */
    }
    snprintf(to, n, "%s.1", w->path);
    if (rename(w->path, to) != 0) {
      nta_status st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot rotate to %s: %s", w->path, to,
                                   strerror(errno));
      free(from);
      free(to);
      return st;
    }
  }
  free(from);
  free(to);
  return open_path(w, err);
}

nta_status cap_writer_write_frame(cap_writer *w, int64_t ts_sec, uint32_t ts_nsec,
                                  const uint8_t *frame, size_t caplen, size_t wirelen,
                                  nta_diag *err) {
  if (!w || (!frame && caplen)) return nta_diag_set(err, NTA_ERR_ARG, "invalid argument");
  if (!w->dumper) return nta_diag_set(err, NTA_ERR_IO, "capture file is not open");
  if (caplen > WRITER_SNAPLEN || wirelen < caplen || wirelen > UINT32_MAX)
    return nta_diag_set(err, NTA_ERR_RANGE, "frame length %zu/%zu out of range", caplen, wirelen);
  if (ts_nsec >= 1000000000u || ts_sec < 0 || ts_sec > UINT32_MAX)
    return nta_diag_set(err, NTA_ERR_RANGE, "timestamp out of range for pcap");
  uint64_t rec = PCAP_RECORD_HEADER_LEN + caplen;
  if (w->path && w->max_bytes && w->file_bytes > PCAP_FILE_HEADER_LEN &&
      w->file_bytes + rec > w->max_bytes) {
    nta_status st = rotate(w, err);
    if (st != NTA_OK) return st;
  }
  struct pcap_pkthdr h;
  memset(&h, 0, sizeof h);
  h.ts.tv_sec = (time_t)ts_sec;
  /* With a nanosecond pcap_t, libpcap writes tv_usec as nanoseconds. */
  h.ts.tv_usec = (suseconds_t)(w->nanosecond ? ts_nsec : ts_nsec / 1000);
  h.caplen = (bpf_u_int32)caplen;
  h.len = (bpf_u_int32)wirelen;
  pcap_dump((u_char *)w->dumper, &h, frame);
  w->file_bytes += rec;
  if (w->autoflush) return cap_writer_flush(w, err);
  return NTA_OK;
}

nta_status cap_writer_write_udp(cap_writer *w, int64_t ts_sec, uint32_t ts_nsec,
                                const nta_endpoint *src, const nta_endpoint *dst,
                                const uint8_t *payload, size_t len, nta_diag *err) {
  if (!w || !src || !dst) return nta_diag_set(err, NTA_ERR_ARG, "invalid argument");
  size_t off = 0;
  if (w->link == CAP_LINK_ETHERNET) {
    /* Locally administered MACs: client side ...01, server side ...02. */
    static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
    static const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    memcpy(w->frame, dst_mac, 6);
    memcpy(w->frame + 6, src_mac, 6);
    uint16_t type = src->family == 6 ? 0x86dd : 0x0800;
    w->frame[12] = (uint8_t)(type >> 8);
    w->frame[13] = (uint8_t)type;
    off = ETHER_HEADER_LEN;
  }
  size_t n = cap_build_ip_udp(src, dst, payload, len, w->frame + off, sizeof w->frame - off);
  if (n == 0)
    return nta_diag_set(err, NTA_ERR_ARG,
                        "cannot build a UDP datagram (address families %d/%d, %zu bytes)",
                        src->family, dst->family, len);
  return cap_writer_write_frame(w, ts_sec, ts_nsec, w->frame, off + n, off + n, err);
}

nta_status cap_writer_flush(cap_writer *w, nta_diag *err) {
  if (!w || !w->dumper) return nta_diag_set(err, NTA_ERR_ARG, "capture file is not open");
  if (pcap_dump_flush(w->dumper) != 0 || ferror(pcap_dump_file(w->dumper)))
    return nta_diag_set(err, NTA_ERR_IO, "%s: write failed: %s",
                        w->path ? w->path : "capture", strerror(errno));
  return NTA_OK;
}

void cap_writer_close(cap_writer *w) {
  if (!w) return;
  if (w->dumper) pcap_dump_close(w->dumper);
  if (w->dead) pcap_close(w->dead);
  free(w->path);
  free(w);
}
