/* test_outbuf.c - the analyzer's hand-written formatting: numbers, times, addresses, JSON and CSV
 * escaping (the golden tests cover whole lines; this covers the corner cases). */
#include <glib.h>
#include <string.h>

#include "outbuf.h"

static outbuf ob;

static const char *text(void) {
  ob.buf[ob.len < OB_CAP ? ob.len : OB_CAP - 1] = '\0';
  return ob.buf;
}

static void test_numbers(void) {
  ob_reset(&ob); ob_u64(&ob, 0); g_assert_cmpstr(text(), ==, "0");
  ob_reset(&ob); ob_u64(&ob, 7); g_assert_cmpstr(text(), ==, "7");
  ob_reset(&ob); ob_u64(&ob, 10); g_assert_cmpstr(text(), ==, "10");
  ob_reset(&ob); ob_u64(&ob, 4294967295u); g_assert_cmpstr(text(), ==, "4294967295");
  ob_reset(&ob); ob_u64(&ob, UINT64_MAX); g_assert_cmpstr(text(), ==, "18446744073709551615");
  ob_reset(&ob); ob_i64(&ob, -42); g_assert_cmpstr(text(), ==, "-42");
  ob_reset(&ob); ob_i64(&ob, INT64_MIN); g_assert_cmpstr(text(), ==, "-9223372036854775808");
  ob_reset(&ob); ob_u64_pad(&ob, 42, 6); g_assert_cmpstr(text(), ==, "000042");
  ob_reset(&ob); ob_u64_pad(&ob, 1234567, 6); g_assert_cmpstr(text(), ==, "1234567");
  ob_reset(&ob); ob_fixed6(&ob, 0.25005, true); g_assert_cmpstr(text(), ==, "+0.250050");
  ob_reset(&ob); ob_fixed6(&ob, -0.0000024, false); g_assert_cmpstr(text(), ==, "-0.000002");
  ob_reset(&ob); ob_fixed6(&ob, 12.5, false); g_assert_cmpstr(text(), ==, "12.500000");
  ob_reset(&ob); ob_fixed6(&ob, 0.0, true); g_assert_cmpstr(text(), ==, "+0.000000");
}

static void test_time(void) {
  ob_reset(&ob);
  ob_time(&ob, 1795780800, 123456789);
  g_assert_cmpstr(text(), ==, "2026-11-27T12:00:00.123456Z");
  ob_reset(&ob);
  ob_time(&ob, 1795780800, 999);   /* same second: cached date, new fraction */
  g_assert_cmpstr(text(), ==, "2026-11-27T12:00:00.000000Z");
  ob_reset(&ob);
  ob_time(&ob, 0, 1000);
  g_assert_cmpstr(text(), ==, "1970-01-01T00:00:00.000001Z");
  ob_reset(&ob);
  ob_time(&ob, 951782400, 0);      /* leap day */
  g_assert_cmpstr(text(), ==, "2000-02-29T00:00:00.000000Z");
}

static void test_addresses(void) {
  nta_endpoint ep;
  memset(&ep, 0, sizeof ep);
  ep.family = 4;
  ep.addr[0] = 192; ep.addr[1] = 0; ep.addr[2] = 2; ep.addr[3] = 255;
  ep.port = 123;
  ob_reset(&ob); ob_addr_port(&ob, &ep); g_assert_cmpstr(text(), ==, "192.0.2.255:123");
  ep.addr[0] = 0; ep.addr[1] = 9; ep.addr[2] = 10; ep.addr[3] = 100;
  ob_reset(&ob); ob_addr(&ob, &ep); g_assert_cmpstr(text(), ==, "0.9.10.100");
  memset(&ep, 0, sizeof ep);
  ep.family = 6;
  ep.addr[15] = 1;
  ep.port = 40000;
  ob_reset(&ob); ob_addr_port(&ob, &ep); g_assert_cmpstr(text(), ==, "[::1]:40000");
}

static void test_json(void) {
  ob_reset(&ob); ob_json_str(&ob, "plain"); g_assert_cmpstr(text(), ==, "\"plain\"");
  ob_reset(&ob); ob_json_str(&ob, "a\"b\\c"); g_assert_cmpstr(text(), ==, "\"a\\\"b\\\\c\"");
  ob_reset(&ob); ob_json_str(&ob, "l1\nl2\t\r\x01"); g_assert_cmpstr(text(), ==, "\"l1\\nl2\\t\\r\\u0001\"");
  ob_reset(&ob); ob_json_str(&ob, "caf\xc3\xa9"); g_assert_cmpstr(text(), ==, "\"caf\xc3\xa9\"");
  ob_reset(&ob); ob_json_str(&ob, "bad\xff\xc3"); g_assert_cmpstr(text(), ==, "\"bad\\u00ff\\u00c3\"");
  ob_reset(&ob); ob_json_str(&ob, "\xed\xa0\x80"); /* a surrogate: not valid UTF-8 */
  g_assert_cmpstr(text(), ==, "\"\\u00ed\\u00a0\\u0080\"");
  ob_reset(&ob); ob_json_str(&ob, ""); g_assert_cmpstr(text(), ==, "\"\"");
}

static void test_csv(void) {
  ob_reset(&ob); ob_csv_str(&ob, "key 11 (SHA1)"); g_assert_cmpstr(text(), ==, "key 11 (SHA1)");
  ob_reset(&ob); ob_csv_str(&ob, "a,b"); g_assert_cmpstr(text(), ==, "\"a,b\"");
  ob_reset(&ob); ob_csv_str(&ob, "say \"hi\""); g_assert_cmpstr(text(), ==, "\"say \"\"hi\"\"\"");
}

static void test_bounded(void) {
  /* Appends past the capacity are dropped, never written beyond the buffer. */
  ob_reset(&ob);
  char chunk[1000];
  memset(chunk, 'x', sizeof chunk);
  for (int i = 0; i < 100; i++) ob_mem(&ob, chunk, sizeof chunk);
  g_assert_cmpuint(ob.len, ==, OB_CAP);
  ob_u64(&ob, 123456);
  ob_char(&ob, 'y');
  ob_json_str(&ob, "z\n");
  g_assert_cmpuint(ob.len, ==, OB_CAP);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/outbuf/numbers", test_numbers);
  g_test_add_func("/outbuf/time", test_time);
  g_test_add_func("/outbuf/addresses", test_addresses);
  g_test_add_func("/outbuf/json", test_json);
  g_test_add_func("/outbuf/csv", test_csv);
  g_test_add_func("/outbuf/bounded", test_bounded);
  return g_test_run();
}
