/* capture_bench - throughput of the capture reader, next to libpcap's own record loop.
 *   capture_bench gen FILE N [eth]   write N NTP datagrams (68-byte payload) with the writer
 *   capture_bench read FILE...       read with cap_reader (decoding to UDP on port 123)
 *   capture_bench libpcap FILE...    pcap_next_ex over the records (no decoding at all)
 * read/libpcap print: "<records> records <cpu> s cpu <rate> records/s <rss> KiB peak rss". */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "capture/reader.h"
#include "capture/writer.h"

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void report(unsigned long long records, double cpu) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("%llu records %.3f s cpu %.0f records/s %ld KiB peak rss\n", records, cpu,
         cpu > 0 ? (double)records / cpu : 0.0, ru.ru_maxrss);
}

static int gen(const char *path, long n, bool eth) {
  nta_diag err;
  cap_writer *w = cap_writer_open(path, eth ? CAP_LINK_ETHERNET : CAP_LINK_RAW, false, 0, 0, &err);
  if (!w) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  cap_writer_set_autoflush(w, false);
  nta_endpoint client, server;
  cap_endpoint_parse("192.0.2.10:40123", 123, &client);
  cap_endpoint_parse("192.0.2.1", 123, &server);
  uint8_t payload[68] = {0x23};
  for (long i = 0; i < n; i++) {
    payload[40] = (uint8_t)i;
    bool reply = i & 1;
    if (cap_writer_write_udp(w, 1700000000 + i / 1000, (uint32_t)(i % 1000) * 1000000u,
                             reply ? &server : &client, reply ? &client : &server, payload,
                             sizeof payload, &err) != NTA_OK) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
  }
  if (cap_writer_flush(w, &err) != NTA_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  cap_writer_close(w);
  return 0;
}

static int read_ours(int n, char **files) {
  double t0 = cpu_seconds();
  cap_reader *r = cap_reader_create();
  nta_diag err;
  for (int i = 0; i < n; i++)
    if (cap_reader_add_file(r, files[i], &err) != NTA_OK) {
      fprintf(stderr, "%s\n", err.msg);
      return 1;
    }
  cap_datagram d;
  cap_next_status st;
  unsigned long long sum = 0;
  while ((st = cap_reader_next(r, &d, &err)) == CAP_NEXT_DATAGRAM) sum += d.payload[0];
  if (st == CAP_NEXT_ERROR) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  unsigned long long records = cap_reader_stats(r)->frames;
  cap_reader_destroy(r);
  report(records, cpu_seconds() - t0);
  return sum == 0;  /* every payload starts with 0x23: guards against reading nothing */
}

static int read_libpcap(int n, char **files) {
  double t0 = cpu_seconds();
  unsigned long long records = 0, sum = 0;
  for (int i = 0; i < n; i++) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(files[i], errbuf);
    if (!p) {
      fprintf(stderr, "%s\n", errbuf);
      return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    while (pcap_next_ex(p, &h, &data) == 1) {
      records++;
      if (h->caplen) sum += data[h->caplen - 1];
    }
    pcap_close(p);
  }
  report(records, cpu_seconds() - t0);
  return records == 0 || sum == (unsigned long long)-1;  /* sum keeps the reads */
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "gen") == 0)
    return gen(argv[2], atol(argv[3]), argc > 4 && strcmp(argv[4], "eth") == 0);
  if (argc >= 3 && strcmp(argv[1], "read") == 0) return read_ours(argc - 2, argv + 2);
  if (argc >= 3 && strcmp(argv[1], "libpcap") == 0) return read_libpcap(argc - 2, argv + 2);
  fprintf(stderr, "usage: capture_bench gen FILE N [eth] | read FILE... | libpcap FILE...\n");
  return 2;
}
