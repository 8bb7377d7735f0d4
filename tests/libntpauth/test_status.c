/* test_status.c - status.c: status names, the single-message diagnostic every library call
 * fills (nta_diag_set), and the diagnostics list (nta_diags): order, levels, clearing, the
 * entry limit, NULL targets and messages longer than the buffer; textbuf.c: bounded appends that
 * keep counting what the whole text needs. */
#include <glib.h>
#include <string.h>

#include "ntpauth/status.h"
#include "ntpauth/textbuf.h"

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
  nta_diags_destroy(NULL);
  g_assert_cmpuint(nta_diags_count(NULL), ==, 0);
  g_assert_cmpuint(nta_diags_dropped(NULL), ==, 0);
  g_assert_cmpuint(nta_diags_count_at_least(NULL, NTA_DIAG_NOTE), ==, 0);
  g_assert_cmpstr(nta_diags_msg(NULL, 0), ==, "");
}

static void test_diags_list(void) {
  nta_diags *ds = nta_diags_create();
  g_assert_nonnull(ds);
  nta_diags_add(ds, NTA_DIAG_NOTE, "keys:%d: note", 1);
  nta_diags_add(ds, NTA_DIAG_ERROR, "keys:%d: error", 2);
  nta_diags_add(ds, NTA_DIAG_WARNING, "keys:%d: warning", 3);
  g_assert_cmpuint(nta_diags_count(ds), ==, 3);
  g_assert_cmpstr(nta_diags_msg(ds, 0), ==, "keys:1: note");      /* in the order added */
  g_assert_cmpstr(nta_diags_msg(ds, 2), ==, "keys:3: warning");
  g_assert_cmpint(nta_diags_level(ds, 1), ==, NTA_DIAG_ERROR);
  g_assert_cmpstr(nta_diags_msg(ds, 3), ==, "");                  /* past the end: empty */
  g_assert_cmpuint(nta_diags_count_at_least(ds, NTA_DIAG_NOTE), ==, 3);
  g_assert_cmpuint(nta_diags_count_at_least(ds, NTA_DIAG_WARNING), ==, 2);
  g_assert_cmpuint(nta_diags_count_at_least(ds, NTA_DIAG_ERROR), ==, 1);
  nta_diags_clear(ds);
  g_assert_cmpuint(nta_diags_count(ds), ==, 0);
  nta_diags_add(ds, NTA_DIAG_WARNING, "again");
  g_assert_cmpstr(nta_diags_msg(ds, 0), ==, "again");
  nta_diags_destroy(ds);
}

static void test_diags_limits(void) {
  nta_diags *ds = nta_diags_create();
  char long_text[NTA_DIAG_MSG_MAX * 2];
  memset(long_text, 'b', sizeof long_text - 1);
  long_text[sizeof long_text - 1] = '\0';
  nta_diags_add(ds, NTA_DIAG_WARNING, "%s", long_text);
  g_assert_cmpuint(strlen(nta_diags_msg(ds, 0)), ==, NTA_DIAG_MSG_MAX - 1);
  /* Past NTA_DIAGS_MAX entries only the count of dropped ones grows. */
  for (size_t i = 1; i < NTA_DIAGS_MAX + 5; i++)
    nta_diags_add(ds, NTA_DIAG_NOTE, "line %zu", i);
  g_assert_cmpuint(nta_diags_count(ds), ==, NTA_DIAGS_MAX);
  g_assert_cmpuint(nta_diags_dropped(ds), ==, 5);
  g_autofree char *last = g_strdup_printf("line %d", NTA_DIAGS_MAX - 1);
  g_assert_cmpstr(nta_diags_msg(ds, NTA_DIAGS_MAX - 1), ==, last);
  nta_diags_clear(ds);
  g_assert_cmpuint(nta_diags_dropped(ds), ==, 0);
  nta_diags_destroy(ds);
}

static void test_textbuf(void) {
  char buf[8];
  nta_textbuf t = nta_textbuf_init(buf, sizeof buf);
  nta_textbuf_add(&t, "%d-%s", 12, "ab");
  g_assert_cmpstr(buf, ==, "12-ab");
  nta_textbuf_add(&t, "%s", "cdefgh");  /* does not fit: cut, NUL-terminated, fully counted */
  g_assert_cmpuint(t.need, ==, 11);
  g_assert_cmpstr(buf, ==, "12-abcd");
  nta_textbuf_add(&t, "xyz");
  g_assert_cmpuint(t.need, ==, 14);
  g_assert_cmpstr(buf, ==, "12-abcd");

  nta_textbuf m = nta_textbuf_init(NULL, 0);  /* measuring only */
  nta_textbuf_add(&m, "%05d", 7);
  g_assert_cmpuint(m.need, ==, 5);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/status/names", test_names);
  g_test_add_func("/status/diag-set", test_diag_set);
  g_test_add_func("/status/diag-truncates", test_diag_truncates);
  g_test_add_func("/status/diags-null-list", test_diags_null_list);
  g_test_add_func("/status/diags-list", test_diags_list);
  g_test_add_func("/status/diags-limits", test_diags_limits);
  g_test_add_func("/status/textbuf", test_textbuf);
  return g_test_run();
}
