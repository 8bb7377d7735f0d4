/* capture_dump: prints what the capture reader delivers, one line per datagram, in the layout
 * test_capture_realworld.sh compares against tshark:
 *   FRAME  SEC.NSEC  SRC  SPORT  DST  DPORT  WIRE_LEN  CAPTURED_LEN   (tab-separated)
 * Usage: capture_dump [-p PORT]... FILE...   (exit 2 on a reader error, message on stderr) */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/reader.h"

static void addr_text(const nta_endpoint *ep, char *out, size_t len) {
  inet_ntop(ep->family == 6 ? AF_INET6 : AF_INET, ep->addr, out, (socklen_t)len);
}

int main(int argc, char **argv) {
  cap_reader *r = cap_reader_create();
  if (!r) return 2;
  uint16_t ports[64];
  size_t n_ports = 0;
  nta_diag err;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-p") == 0 && i + 1 < argc && n_ports < 64) {
      ports[n_ports++] = (uint16_t)atoi(argv[++i]);
      continue;
    }
    if (cap_reader_add_file(r, argv[i], &err) != NTA_OK) {
      fprintf(stderr, "%s\n", err.msg);
      return 2;
    }
  }
  if (n_ports && cap_reader_set_ports(r, ports, n_ports, &err) != NTA_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 2;
  }
  cap_datagram d;
  cap_next_status st;
  char src[64], dst[64];
  while ((st = cap_reader_next(r, &d, &err)) == CAP_NEXT_DATAGRAM) {
    addr_text(&d.src, src, sizeof src);
    addr_text(&d.dst, dst, sizeof dst);
    printf("%llu\t%lld.%09u\t%s\t%u\t%s\t%u\t%u\t%u\n", (unsigned long long)d.frame,
           (long long)d.ts_sec, d.ts_nsec, src, d.src.port, dst, d.dst.port, d.wire_len,
           d.captured_len);
  }
  const cap_stats *s = cap_reader_stats(r);
  fprintf(stderr, "frames %llu datagrams %llu undecodable %llu reassembled %llu\n",
          (unsigned long long)s->frames, (unsigned long long)s->datagrams,
          (unsigned long long)s->undecodable, (unsigned long long)s->reassembled);
  int rc = 0;
  if (st == CAP_NEXT_ERROR) {
    fprintf(stderr, "%s\n", err.msg);
    rc = 2;
  }
  cap_reader_destroy(r);
  return rc;
}
