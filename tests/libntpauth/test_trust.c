/* test_trust.c - trust.c: the trusted-key syntax read by nta_trust_parse_spec (the parser behind
 * nta_keyring_trust): ntp.conf's "trustedkey 11 12 (13 ... 20)", the compact "11-20" and
 * "11,12", tokenising, limits, and that a bad spec leaves the list untouched. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "keyring_internal.h"   /* nta_trust_parse_spec, trust_range */

typedef struct {
  trust_range *r;
  size_t n, cap;
} range_list;

static void range_list_free(range_list *l) {
  free(l->r);
  memset(l, 0, sizeof *l);
}

/* Parses spec into a fresh list and returns the ranges as "lo-hi lo-hi ..." (or the error). */
static char *parse(const char *spec) {
  range_list l = {0};
  nta_diag err = {{0}};
  nta_status st = nta_trust_parse_spec(spec, &l.r, &l.n, &l.cap, &err);
  GString *s = g_string_new(NULL);
  if (st != NTA_OK) {
    g_assert_cmpuint(l.n, ==, 0);
    g_string_append_printf(s, "error %s: %s", nta_status_name(st), err.msg);
  }
  for (size_t i = 0; i < l.n; i++)
    g_string_append_printf(s, "%s%u-%u", i ? " " : "", l.r[i].lo, l.r[i].hi);
  range_list_free(&l);
  return g_string_free(s, FALSE);
}

static void check(const char *spec, const char *want) {
  g_autofree char *got = parse(spec);
  g_assert_cmpstr(got, ==, want);
}

static void test_forms(void) {
  check("11", "11-11");
  check("11 12 (13 ... 20)", "11-11 12-12 13-20");
  check("11-20", "11-20");
  check("11,12", "11-11 12-12");
  check("1 4294967295", "1-1 4294967295-4294967295");
  check("(7 ... 7)", "7-7");
  check("", "");
  check("  \t ,, ", "");
}

static void test_tokenising(void) {
  /* Parentheses are tokens of their own; spaces, tabs and commas all separate. */
  check("( 13 ... 20 )", "13-20");
  check("(13\t...\t20)", "13-20");
  check("5,(6 ... 8),9-10", "5-5 6-8 9-10");
  check("(1 ... 2)(3 ... 4)", "1-2 3-4");
  /* A pasted ntp.conf line: the keyword is skipped only as the first token, in any case. */
  check("trustedkey 1 2", "1-1 2-2");
  check("TrustedKey 3", "3-3");
  check("1 trustedkey",
        "error parse error: trusted keys: bad token 'trustedkey': not a key ID 1-4294967295");
}

static void test_errors(void) {
  check("013", "13-13");   /* leading zeros are still decimal, as strtoul reads them */
  check("+5", "error parse error: trusted keys: bad token '+5': not a key ID 1-4294967295");
  check("0x10", "error parse error: trusted keys: bad token '0x10': not a key ID 1-4294967295");
  check("()", "error parse error: trusted keys: bad token ')': expected a key ID 1-4294967295 "
              "after '('");
  check("(1 ... 0x2)", "error parse error: trusted keys: bad token '0x2': expected a key ID "
                       "1-4294967295 after '...'");
  check("(1 ...", "error parse error: trusted keys: unterminated '('");
  check("(1 ... 2 3)", "error parse error: trusted keys: missing ')' after '(1 ... 2'");
  check("(20 ... 11)", "error parse error: trusted keys: range 20 ... 11 runs backwards");
  check(")", "error parse error: trusted keys: bad token ')': not inside '( lo ... hi )'");
  check("1-2-3", "error parse error: trusted keys: bad token '1-2-3': a range is written LO-HI "
                 "with key IDs 1-4294967295");
}

static void test_overlong_token(void) {
  /* A token longer than the lexer's buffer is reported (cut), never read past or accepted. */
  char spec[200];
  memset(spec, '1', sizeof spec - 1);
  spec[sizeof spec - 1] = '\0';
  g_autofree char *got = parse(spec);
  g_assert_true(g_str_has_prefix(got, "error parse error: trusted keys: bad token '1111"));
  g_assert_true(g_str_has_suffix(got, "': token too long"));
}

static void test_appends_all_or_nothing(void) {
  range_list l = {0};
  nta_diag err;
  g_assert_cmpint(nta_trust_parse_spec("1 2", &l.r, &l.n, &l.cap, &err), ==, NTA_OK);
  g_assert_cmpint(nta_trust_parse_spec("(3 ... 5)", &l.r, &l.n, &l.cap, &err), ==, NTA_OK);
  g_assert_cmpuint(l.n, ==, 3);
  g_assert_cmpuint(l.r[2].lo, ==, 3);
  g_assert_cmpuint(l.r[2].hi, ==, 5);
  /* Valid ranges before a bad token are not added either. */
  g_assert_cmpint(nta_trust_parse_spec("6 7 x", &l.r, &l.n, &l.cap, &err), ==, NTA_ERR_PARSE);
  g_assert_cmpuint(l.n, ==, 3);
  /* Growth past the first allocation keeps every range. */
  for (uint32_t id = 100; id < 140; id++) {
    char one[16];
    g_snprintf(one, sizeof one, "%u", id);
    g_assert_cmpint(nta_trust_parse_spec(one, &l.r, &l.n, &l.cap, NULL), ==, NTA_OK);
  }
  g_assert_cmpuint(l.n, ==, 43);
  g_assert_cmpuint(l.r[42].lo, ==, 139);
  /* A NULL diagnostic is allowed on errors too. */
  g_assert_cmpint(nta_trust_parse_spec("(", &l.r, &l.n, &l.cap, NULL), ==, NTA_ERR_PARSE);
  range_list_free(&l);
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/trust/forms", test_forms);
  g_test_add_func("/trust/tokenising", test_tokenising);
  g_test_add_func("/trust/errors", test_errors);
  g_test_add_func("/trust/overlong-token", test_overlong_token);
  g_test_add_func("/trust/appends-all-or-nothing", test_appends_all_or_nothing);
  return g_test_run();
}
