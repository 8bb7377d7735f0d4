/* Writer tests: frames and checksums, pcap files libpcap and tshark can read, rotation,
 * endpoint parsing; every file is read back with our reader. */
#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_test_util.h"

static char *tmpdir;

static char *tmp_path(const char *name) { return g_build_filename(tmpdir, name, NULL); }

static void test_endpoint_parse(void) {
  nta_endpoint e;
  g_assert_true(cap_endpoint_parse("127.0.0.1", 123, &e));
  g_assert_cmpuint(e.family, ==, 4);
  g_assert_cmpuint(e.port, ==, 123);
  g_assert_cmpmem(e.addr, 4, "\x7f\0\0\x01", 4);
  g_assert_true(cap_endpoint_parse("192.0.2.7:4123", 123, &e));
  g_assert_cmpuint(e.port, ==, 4123);
  g_assert_true(cap_endpoint_parse("::1", 123, &e));
  g_assert_cmpuint(e.family, ==, 6);
  g_assert_cmpuint(e.addr[15], ==, 1);
  g_assert_true(cap_endpoint_parse("[2001:db8::5]:65535", 1, &e));
  g_assert_cmpuint(e.port, ==, 65535);
  g_assert_cmpuint(e.addr[0], ==, 0x20);
  g_assert_true(cap_endpoint_parse("[::1]", 9, &e));
  g_assert_cmpuint(e.port, ==, 9);
  g_assert_false(cap_endpoint_parse("", 123, &e));
  g_assert_false(cap_endpoint_parse("127.0.0.1:", 123, &e));
  g_assert_false(cap_endpoint_parse("127.0.0.1:65536", 123, &e));
  g_assert_false(cap_endpoint_parse("127.0.0.1:12a", 123, &e));
  g_assert_false(cap_endpoint_parse("[::1", 123, &e));
  g_assert_false(cap_endpoint_parse("[::1]x", 123, &e));
  g_assert_false(cap_endpoint_parse("host.example", 123, &e));
  g_assert_false(cap_endpoint_parse("300.1.1.1", 123, &e));
}

/* Checksums verified independently: a valid IPv4 header sums to 0, and so does a UDP
 * datagram with its pseudo-header. */
static void test_build_checksums(void) {
  uint8_t payload[48], out[128];
  test_payload(payload, sizeof payload, 1);
  nta_endpoint s = ep("10.1.2.3:40000"), d = ep("10.9.8.7");
  size_t n = cap_build_ip_udp(&s, &d, payload, sizeof payload, out, sizeof out);
  g_assert_cmpuint(n, ==, 20 + 8 + 48);
  g_assert_cmpuint(cap_inet_checksum(out, 20), ==, 0);
  /* pseudo header sum over the datagram with the checksum in place must be 0xffff (-> 0) */
  uint8_t pseudo[12 + 56];
  memcpy(pseudo, out + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 17;
  pseudo[10] = 0;
  pseudo[11] = 56;
  memcpy(pseudo + 12, out + 20, 56);
  g_assert_cmpuint(cap_inet_checksum(pseudo, sizeof pseudo), ==, 0);

  nta_endpoint s6 = ep("[2001:db8::1]:123"), d6 = ep("[2001:db8::2]:50000");
  n = cap_build_ip_udp(&s6, &d6, payload, 47, out, sizeof out);
  g_assert_cmpuint(n, ==, 40 + 8 + 47);
  g_assert_cmpuint(out[0] >> 4, ==, 6);
  g_assert_cmpuint(out[6], ==, 17);
  uint8_t pseudo6[40 + 55 + 1];
  memset(pseudo6, 0, sizeof pseudo6);
  memcpy(pseudo6, out + 8, 32);
  pseudo6[35] = 55;
  pseudo6[39] = 17;
  memcpy(pseudo6 + 40, out + 40, 55);
  g_assert_cmpuint(cap_inet_checksum(pseudo6, 40 + 55), ==, 0);
  /* too small a buffer, mixed families */
  g_assert_cmpuint(cap_build_ip_udp(&s, &d, payload, 48, out, 60), ==, 0);
  g_assert_cmpuint(cap_build_ip_udp(&s, &d6, payload, 48, out, sizeof out), ==, 0);
}

static void write_mixed(const char *path, cap_link link, bool nsec) {
  nta_diag err;
  cap_writer *w = cap_writer_open(path, link, nsec, 0, 0, &err);
  g_assert_nonnull(w);
  uint8_t payload[68];
  nta_endpoint c4 = ep("192.0.2.1:50123"), s4 = ep("192.0.2.2:123");
  nta_endpoint c6 = ep("[2001:db8::1]:50124"), s6 = ep("[2001:db8::2]:123");
  for (int i = 0; i < 4; i++) {
    test_payload(payload, sizeof payload, (uint8_t)i);
    bool v6 = i & 1, reply = i & 2;
    const nta_endpoint *a = v6 ? (reply ? &s6 : &c6) : (reply ? &s4 : &c4);
    const nta_endpoint *b = v6 ? (reply ? &c6 : &s6) : (reply ? &c4 : &s4);
    g_assert_cmpint(cap_writer_write_udp(w, 1700000000 + i, 123456789u, a, b, payload,
                                         48 + (size_t)i * 5, &err), ==, NTA_OK);
  }
  cap_writer_close(w);
}

static void check_mixed(const char *path, bool nsec) {
  cap_reader *r = cap_reader_create();
  nta_diag err;
  g_assert_cmpint(cap_reader_add_file(r, path, &err), ==, NTA_OK);
  got g = read_all(r);
  cap_reader_destroy(r);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 4);
  for (guint i = 0; i < 4; i++) {
    got_dgram *x = got_at(&g, i);
    g_assert_cmpuint(x->frame, ==, i + 1);
    g_assert_cmpint(x->sec, ==, 1700000000 + (int)i);
    g_assert_cmpuint(x->nsec, ==, nsec ? 123456789u : 123456000u);
    g_assert_cmpuint(x->src.family, ==, (i & 1) ? 6 : 4);
    g_assert_cmpuint(x->wirelen, ==, 48 + i * 5);
    g_assert_cmpuint(x->caplen, ==, x->wirelen);
    g_assert_false(x->reassembled);
    uint8_t expect[68];
    test_payload(expect, sizeof expect, (uint8_t)i);
    g_assert_cmpmem(x->payload, x->caplen, expect, 48 + i * 5);
    g_assert_cmpuint((i & 2) ? x->src.port : x->dst.port, ==, 123);
    g_assert_cmpstr(x->file, ==, path);
  }
  g_assert_cmpuint(g.stats.frames, ==, 4);
  g_assert_cmpuint(g.stats.datagrams, ==, 4);
  got_free(&g);
}

static void test_roundtrip(void) {
  for (int link = 0; link < 2; link++)
    for (int nsec = 0; nsec < 2; nsec++) {
      char name[64];
      snprintf(name, sizeof name, "rt-%d-%d.pcap", link, nsec);
      char *path = tmp_path(name);
      write_mixed(path, (cap_link)link, nsec);
      check_mixed(path, nsec);
      /* libpcap itself reads it: right link type and precision */
      char errbuf[PCAP_ERRBUF_SIZE];
      pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
      g_assert_nonnull(p);
      g_assert_cmpint(pcap_datalink(p), ==, link ? DLT_EN10MB : DLT_RAW);
      struct pcap_pkthdr *h;
      const u_char *d;
      int n = 0;
      while (pcap_next_ex(p, &h, &d) == 1) {
        g_assert_cmpint(h->ts.tv_usec, ==, nsec ? 123456789 : 123456000);
        n++;
      }
      g_assert_cmpint(n, ==, 4);
      pcap_close(p);
      g_free(path);
    }
}

static void test_open_fd(void) {
  char *path = tmp_path("fd.pcap");
  FILE *f = fopen(path, "wb");
  g_assert_nonnull(f);
  nta_diag err;
  cap_writer *w = cap_writer_open_fd(fileno(f), "fd.pcap", CAP_LINK_ETHERNET, false, &err);
  g_assert_nonnull(w);
  uint8_t payload[48] = {0x23};
  nta_endpoint a = ep("127.0.0.1:123"), b = ep("127.0.0.2:123");
  g_assert_cmpint(cap_writer_write_udp(w, 1, 0, &a, &b, payload, 48, &err), ==, NTA_OK);
  cap_writer_close(w);
  fclose(f);  /* the caller still owns its descriptor */
  cap_reader *r = cap_reader_create();
  g_assert_cmpint(cap_reader_add_file(r, path, &err), ==, NTA_OK);
  got g = read_all(r);
  cap_reader_destroy(r);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 1);
  got_free(&g);
  g_free(path);
}

static void test_rotation(void) {
  char *path = tmp_path("rot.pcap");
  nta_diag err;
  /* each record: 16 + 20 + 8 + 48 = 92 bytes; 24 + 2 * 92 = 208 fits, a third does not */
  cap_writer *w = cap_writer_open(path, CAP_LINK_RAW, false, 210, 2, &err);
  g_assert_nonnull(w);
  uint8_t payload[48] = {0};
  nta_endpoint a = ep("127.0.0.1:123"), b = ep("127.0.0.2:123");
  for (int i = 0; i < 9; i++) {
    payload[0] = (uint8_t)i;
    g_assert_cmpint(cap_writer_write_udp(w, i, 0, &a, &b, payload, 48, &err), ==, NTA_OK);
  }
  cap_writer_close(w);
  /* 9 packets -> files of 2,2,2,2,1: current has #8, .1 has #6-7, .2 has #4-5, .3 gone */
  struct stat st;
  g_assert_cmpint(g_stat(path, &st), ==, 0);
  g_assert_cmpint(st.st_size, ==, 24 + 92);
  char *p1 = g_strconcat(path, ".1", NULL), *p2 = g_strconcat(path, ".2", NULL),
       *p3 = g_strconcat(path, ".3", NULL);
  g_assert_cmpint(g_stat(p3, &st), !=, 0);
  cap_reader *r = cap_reader_create();
  g_assert_cmpint(cap_reader_add_file(r, p2, &err), ==, NTA_OK);
  g_assert_cmpint(cap_reader_add_file(r, p1, &err), ==, NTA_OK);
  g_assert_cmpint(cap_reader_add_file(r, path, &err), ==, NTA_OK);
  got g = read_all(r);
  cap_reader_destroy(r);
  g_assert_cmpint(g.last, ==, CAP_NEXT_END);
  g_assert_cmpuint(g.d->len, ==, 5);
  for (guint i = 0; i < 5; i++) {
    g_assert_cmpuint(got_at(&g, i)->payload[0], ==, 4 + i);
    g_assert_cmpuint(got_at(&g, i)->frame, ==, i + 1);
  }
  got_free(&g);
  g_free(p1);
  g_free(p2);
  g_free(p3);
  g_free(path);
}

static void test_write_errors(void) {
  nta_diag err;
  g_assert_null(cap_writer_open("/nonexistent-dir/x.pcap", CAP_LINK_RAW, false, 0, 0, &err));
  g_assert_nonnull(strstr(err.msg, "/nonexistent-dir/x.pcap"));
  char *path = tmp_path("err.pcap");
  cap_writer *w = cap_writer_open(path, CAP_LINK_RAW, false, 0, 0, &err);
  nta_endpoint a = ep("127.0.0.1"), b6 = ep("::1");
  uint8_t payload[8] = {0};
  g_assert_cmpint(cap_writer_write_udp(w, 0, 0, &a, &b6, payload, 8, &err), !=, NTA_OK);
  g_assert_cmpint(cap_writer_write_frame(w, 0, 1000000000u, payload, 8, 8, &err), ==,
                  NTA_ERR_RANGE);
  g_assert_cmpint(cap_writer_write_frame(w, 0, 0, payload, 8, 4, &err), ==, NTA_ERR_RANGE);
  cap_writer_close(w);
  g_free(path);
}

/* Runs tshark over a writer-made file: all UDP and IPv4 header checksums must verify. */
static void check_tshark(const char *path) {
  char *argv[] = {"tshark", "-n", "-r", (char *)path, "-o", "udp.check_checksum:TRUE",
                  "-o", "ip.check_checksum:TRUE", "-T", "fields", "-e", "frame.number",
                  "-e", "udp.checksum.status", "-e", "ip.checksum.status", "-e", "udp.srcport",
                  NULL};
  char *out = NULL, *errout = NULL;
  gint status = 0;
  GError *gerr = NULL;
  gboolean ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout,
                             &status, &gerr);
  if (!ok) g_error("tshark is required for this test and could not run: %s", gerr->message);
  g_assert_true(g_spawn_check_wait_status(status, NULL));
  gchar **lines = g_strsplit(g_strstrip(out), "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 4);
  for (int i = 0; lines[i]; i++) {
    gchar **f = g_strsplit(lines[i], "\t", -1);
    g_assert_cmpuint(g_strv_length(f), >=, 4);
    g_assert_cmpstr(f[1], ==, "1");   /* udp.checksum.status: Good */
    if (i % 2 == 0) g_assert_cmpstr(f[2], ==, "1");  /* IPv4 header checksum: Good */
    g_strfreev(f);
  }
  g_strfreev(lines);
  g_free(out);
  g_free(errout);
}

static void test_tshark_reads_writer_files(void) {
  for (int link = 0; link < 2; link++)
    for (int nsec = 0; nsec < 2; nsec++) {
      char name[64];
      snprintf(name, sizeof name, "ts-%d-%d.pcap", link, nsec);
      char *path = tmp_path(name);
      write_mixed(path, (cap_link)link, nsec);
      check_tshark(path);
      g_free(path);
    }
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp("capture-writer-XXXXXX", NULL);
  g_assert_nonnull(tmpdir);
  g_test_add_func("/capture/writer/endpoint_parse", test_endpoint_parse);
  g_test_add_func("/capture/writer/build_checksums", test_build_checksums);
  g_test_add_func("/capture/writer/roundtrip", test_roundtrip);
  g_test_add_func("/capture/writer/open_fd", test_open_fd);
  g_test_add_func("/capture/writer/rotation", test_rotation);
  g_test_add_func("/capture/writer/errors", test_write_errors);
  g_test_add_func("/capture/writer/tshark_checksums", test_tshark_reads_writer_files);
  int rc = g_test_run();
  char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  if (system(cmd) != 0) rc = rc ? rc : 1;
  g_free(cmd);
  g_free(tmpdir);
  return rc;
}
