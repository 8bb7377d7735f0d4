/* test_tcpstream.c - TCP segments from the reader and bounded stream reassembly, ending in the
 * NTS-KE reader: the two NTS-KE connections of samples/nts/chrony-nts.pcap decrypt with the
 * sample's key log; segments out of order, duplicated or beyond the hold bound. */
#include <glib.h>
#include <string.h>

#include "capture/reader.h"
#include "capture/tcpstream.h"
#include "ntpauth/ntske_conn.h"

typedef struct {
  const nta_nts_store *st;
  GString *streams[2];     /* for the synthetic tests: what came out per direction */
  unsigned conns_closed, decrypted, cookies;
} sink;

static void on_data(void *arg, void **user, const cap_datagram *seg, bool from_server,
                    const uint8_t *b, size_t len) {
  sink *s = arg;
  if (s->streams[0]) {
    g_string_append_len(s->streams[from_server], (const char *)b, (gssize)len);
    return;
  }
  if (!*user) *user = nta_ntske_conn_create(s->st);
  nta_ntske_conn_feed(*user, from_server, b, len);
}

static void on_closed(void *arg, void *user) {
  sink *s = arg;
  s->conns_closed++;
  if (!user) return;
  const nta_ntske_info *in = nta_ntske_conn_info(user);
  if (in->state == NTA_KE_ST_DECRYPTING && in->have_response) s->decrypted++;
  s->cookies += in->n_cookies;
  nta_ntske_conn_destroy(user);
}

static void test_sample(void) {
  const char *src = g_getenv("NTPAUTH_SOURCE_DIR");
  g_assert_nonnull(src);
  gchar *pcap = g_build_filename(src, "samples", "nts", "chrony-nts.pcap", NULL);
  gchar *kl = g_build_filename(src, "samples", "nts", "keylog.txt", NULL);
  nta_nts_store *st = nta_nts_store_create();
  nta_diag err;
  g_assert_cmpint(nta_nts_load_keylog(st, kl, NULL, &err), ==, NTA_OK);
  sink s = {.st = st};
  cap_tcp_handler h = {on_data, on_closed, &s};
  cap_tcp_table *t = cap_tcp_create(4460, &h);
  cap_reader *rd = cap_reader_create();
  const uint16_t ke = 4460;
  g_assert_cmpint(cap_reader_set_tcp_ports(rd, &ke, 1, &err), ==, NTA_OK);
  g_assert_cmpint(cap_reader_add_file(rd, pcap, &err), ==, NTA_OK);
  cap_datagram dg;
  unsigned udp = 0, tcp = 0;
  while (cap_reader_next(rd, &dg, &err) == CAP_NEXT_DATAGRAM) {
    if (dg.proto == 6) {
      tcp++;
      cap_tcp_segment(t, &dg);
    } else {
      udp++;
    }
  }
  g_assert_cmpuint(udp, ==, 40);
  g_assert_cmpuint(tcp, >, 30);
  cap_tcp_destroy(t);
  g_assert_cmpuint(s.conns_closed, ==, 2);
  g_assert_cmpuint(s.decrypted, ==, 2);
  g_assert_cmpuint(s.cookies, ==, 16);
  cap_reader_destroy(rd);
  nta_nts_store_destroy(st);
  g_free(pcap);
  g_free(kl);
}

static cap_datagram seg(bool from_server, uint32_t seq, uint8_t flags, const char *data) {
  cap_datagram d;
  memset(&d, 0, sizeof d);
  d.proto = 6;
  d.src.family = d.dst.family = 4;
  d.src.addr[0] = from_server ? 10 : 11;
  d.dst.addr[0] = from_server ? 11 : 10;
  d.src.port = from_server ? 4460 : 40000;
  d.dst.port = from_server ? 40000 : 4460;
  d.tcp_seq = seq;
  d.tcp_flags = flags;
  d.payload = (const uint8_t *)data;
  d.captured_len = d.wire_len = (uint32_t)strlen(data);
  return d;
}

static void test_reorder(void) {
  sink s = {.streams = {g_string_new(NULL), g_string_new(NULL)}};
  cap_tcp_handler h = {on_data, on_closed, &s};
  cap_tcp_table *t = cap_tcp_create(4460, &h);
  const cap_datagram segs[] = {
    seg(false, 0xfffffffe, 0x02, ""),        /* SYN: data starts at 0xffffffff (wraps) */
    seg(false, 0x00000003, 0x00, "EFG"),     /* early: held */
    seg(false, 0xffffffff, 0x00, "ABCDE"),   /* fills the gap, overlaps the held one */
    seg(false, 0xffffffff, 0x00, "ABC"),     /* retransmission */
    seg(false, 0x00000006, 0x01, "HI"),      /* with FIN */
    seg(true, 1000, 0x00, "xyz"),            /* server joined mid-stream */
    seg(true, 1003, 0x01, ""),
  };
  for (size_t i = 0; i < G_N_ELEMENTS(segs); i++) cap_tcp_segment(t, &segs[i]);
  g_assert_cmpstr(s.streams[0]->str, ==, "ABCDEFGHI");
  g_assert_cmpstr(s.streams[1]->str, ==, "xyz");
  g_assert_cmpuint(s.conns_closed, ==, 1);
  /* A gap wider than the hold bound ends the direction. */
  static char big[CAP_TCP_HOLD_BYTES / 2 + 2];   /* two of them exceed the bound */
  memset(big, 'z', sizeof big - 1);
  cap_datagram a = seg(false, 100, 0x02, ""), b = seg(false, 5000, 0, big),
               c = seg(false, 90000, 0, big);
  a.src.port = b.src.port = c.src.port = 40001;
  cap_tcp_segment(t, &a);
  cap_tcp_segment(t, &b);
  cap_tcp_segment(t, &c);
  uint64_t conns, bytes, gaps;
  cap_tcp_stats(t, &conns, &bytes, &gaps);
  g_assert_cmpuint(conns, ==, 2);
  g_assert_cmpuint(gaps, ==, 1);
  cap_tcp_destroy(t);
  g_assert_cmpuint(s.conns_closed, ==, 2);
  g_string_free(s.streams[0], TRUE);
  g_string_free(s.streams[1], TRUE);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/tcpstream/nts_sample", test_sample);
  g_test_add_func("/tcpstream/reorder", test_reorder);
  return g_test_run();
}
