/* test_status.c - status.c: status names and the single-message diagnostic every library call
 * fills (nta_diag_set), including NULL targets and messages longer than the buffer. */
#include <glib.h>
#include <string.h>

#include "ntpauth/status.h"

static void test_names(void) {
  static const struct { nta_status st; const char *name; } names[] = {
    {NTA_OK, "ok"},
    {NTA_ERR_ARG, "invalid argument"},
    {NTA_ERR_NOMEM, "out of memory"},
    {NTA_ERR_IO, "I/O error"},
    {NTA_ERR_PARSE, "parse error"},
    {NTA_ERR_UNSUPPORTED, "unsupported"},
    {NTA_ERR_RANGE, "out of range"},
    {NTA_ERR_FULL, "table full"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
    g_assert_cmpstr(nta_status_name(names[i].st), ==, names[i].name);
  g_assert_cmpstr(nta_status_name((nta_status)99), ==, "unknown status");
  g_assert_cmpstr(nta_status_name((nta_status)-1), ==, "unknown status");
}

static void test_diag_set(void) {
  nta_diag d;
  memset(&d, 'x', sizeof d);
  g_assert_cmpint(nta_diag_set(&d, NTA_ERR_PARSE, "%s:%d: %s", "ntp.keys", 7, "bad"), ==,
                  NTA_ERR_PARSE);
  g_assert_cmpstr(d.msg, ==, "ntp.keys:7: bad");
  /* The status is handed back whatever it is, so callers can `return nta_diag_set(...)`. */
  g_assert_cmpint(nta_diag_set(&d, NTA_OK, "fine"), ==, NTA_OK);
  g_assert_cmpstr(d.msg, ==, "fine");
  /* A NULL diagnostic is ignored, the status still returned. */
  g_assert_cmpint(nta_diag_set(NULL, NTA_ERR_IO, "%s", "nowhere"), ==, NTA_ERR_IO);
}

static void test_diag_truncates(void) {
  char long_text[NTA_DIAG_MSG_MAX * 2];
  memset(long_text, 'a', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  nta_diag d;
  nta_diag_set(&d, NTA_ERR_RANGE, "%s", long_text);
  g_assert_cmpuint(strlen(d.msg), ==, NTA_DIAG_MSG_MAX - 1);
  g_assert_cmpint(d.msg[0], ==, 'a');
}

static void test_diags_null_list(void) {
  /* Diagnostics lists are optional everywhere: a NULL list must be accepted. */
  nta_diags_add(NULL, NTA_DIAG_WARNING, "%s", "ignored");
  nta_diags_clear(NULL);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/status/names", test_names);
  g_test_add_func("/status/diag-set", test_diag_set);
  g_test_add_func("/status/diag-truncates", test_diag_truncates);
  g_test_add_func("/status/diags-null-list", test_diags_null_list);
  return g_test_run();
}
