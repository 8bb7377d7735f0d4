/* test_kg_file.c - ntpauth-keygen's file handling (kg_file.c): the ntp-keygen file name and
 * header, mode 0600 and the relative symlink, refusing to replace without --force, the dialect
 * of an existing file, and appending (ID clashes refused, file untouched on refusal, mode and
 * symlink kept). */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kg_file.h"

#define NOW 1767268800  /* 2026-01-01 12:00:00 UTC = NTP 3976257600 */

typedef struct {
  char *dir;
} fixture;

static void fx_setup(fixture *fx, gconstpointer data) {
  fx->dir = g_dir_make_tmp("kgfile-XXXXXX", NULL);
  g_assert_nonnull(fx->dir);
}

static void fx_teardown(fixture *fx, gconstpointer data) {
  g_autoptr(GDir) d = g_dir_open(fx->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(fx->dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(fx->dir);
  g_free(fx->dir);
}

static kg_key key(uint32_t id, const char *type, uint8_t fill) {
  kg_key k = { .id = id, .type = kg_type_find(type) };
  k.secret_len = k.type->secret_len;
  for (size_t i = 0; i < k.secret_len; i++)
    k.secret[i] = (uint8_t)(k.type->printable ? 'A' + (fill + i) % 26 : fill + i);
  return k;
}

static kg_new_file spec_in(const char *dir, nta_dialect d, bool force) {
  return (kg_new_file){ .dir = dir, .host = "host", .tag = "MD5", .link_name = "ntp.keys",
                        .dialect = d, .now = NOW, .force = force };
}

static char *read_text(const char *path) {
  char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  return text;
}

static void test_write_new(fixture *fx, gconstpointer data) {
  kg_key keys[] = { key(1, "MD5", 0), key(2, "SHA1", 0x10) };
  kg_new_file spec = spec_in(fx->dir, NTA_DIALECT_NTPD, false);
  char *path = NULL;
  nta_diag err = { { 0 } };
  g_assert_cmpint(kg_write_new(&spec, keys, 2, &path, &err), ==, NTA_OK);
  g_autofree char *want = g_build_filename(fx->dir, "ntpkey_MD5key_host.3976257600", NULL);
  g_assert_cmpstr(path, ==, want);

  struct stat st;
  g_assert_cmpint(stat(path, &st), ==, 0);
  g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
  g_autofree char *link = g_build_filename(fx->dir, "ntp.keys", NULL);
  g_autofree char *target = g_file_read_link(link, NULL);
  g_assert_cmpstr(target, ==, "ntpkey_MD5key_host.3976257600");   /* relative */

  g_autofree char *text = read_text(path);
  g_assert_true(g_str_has_prefix(text, "# ntpkey_MD5key_host.3976257600\n# "));
  g_assert_nonnull(strstr(text, "\n 1 MD5 ABCDEFGHIJKLMNOPQRST  # MD5 key\n"));
  g_assert_nonnull(strstr(text, "\n 2 SHA1 101112131415161718191a1b1c1d1e1f20212223  # SHA1 key\n"));
  g_free(path);
}

static void test_no_replace_without_force(fixture *fx, gconstpointer data) {
  kg_key k = key(1, "MD5", 0);
  kg_new_file spec = spec_in(fx->dir, NTA_DIALECT_NTPD, false);
  char *path = NULL;
  nta_diag err = { { 0 } };
  g_assert_cmpint(kg_write_new(&spec, &k, 1, &path, &err), ==, NTA_OK);
  g_free(path);
  path = NULL;
  g_assert_cmpint(kg_write_new(&spec, &k, 1, &path, &err), ==, NTA_ERR_ARG);
  g_assert_nonnull(strstr(err.msg, "already exists; use --force to replace it"));
  g_assert_null(path);
  spec.force = true;
  k = key(1, "MD5", 5);
  g_assert_cmpint(kg_write_new(&spec, &k, 1, &path, &err), ==, NTA_OK);
  g_autofree char *text = read_text(path);
  g_assert_nonnull(strstr(text, " 1 MD5 FGHIJKLMNOPQRSTUVWXY"));
  g_free(path);
}

static void test_dialect_of_file(fixture *fx, gconstpointer data) {
  static const struct { const char *text; nta_dialect want; } files[] = {
    {"1 MD5 abcdefghijklmnopqrst\n", NTA_DIALECT_NTPD},
    {"# x\n2 AES 00112233445566778899aabbccddeeff\n", NTA_DIALECT_NTPSEC},
    {"3 SHA1 HEX:00112233445566778899AABBCCDDEEFF00112233\n", NTA_DIALECT_CHRONY},
  };
  g_autofree char *p = g_build_filename(fx->dir, "k", NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
    g_assert_true(g_file_set_contents(p, files[i].text, -1, NULL));
    nta_dialect got = NTA_DIALECT_AUTO;
    nta_diag err = { { 0 } };
    g_assert_cmpint(kg_append_dialect(p, NTA_DIALECT_AUTO, &got, &err), ==, NTA_OK);
    g_assert_cmpint(got, ==, files[i].want);
  }
  /* The file is chrony's: asking for ntpd is refused, asking for chrony is fine. */
  nta_dialect got;
  nta_diag err = { { 0 } };
  g_assert_cmpint(kg_append_dialect(p, NTA_DIALECT_NTPD, &got, &err), ==, NTA_ERR_ARG);
  g_assert_nonnull(strstr(err.msg, "chrony dialect; --dialect ntpd does not match"));
  g_assert_cmpint(kg_append_dialect(p, NTA_DIALECT_CHRONY, &got, &err), ==, NTA_OK);
  g_autofree char *missing = g_build_filename(fx->dir, "missing", NULL);
  g_assert_cmpint(kg_append_dialect(missing, NTA_DIALECT_AUTO, &got, &err), ==, NTA_ERR_IO);
}

static void test_append(fixture *fx, gconstpointer data) {
  kg_key first = key(1, "MD5", 0);
  kg_new_file spec = spec_in(fx->dir, NTA_DIALECT_NTPD, false);
  char *path = NULL;
  nta_diag err = { { 0 } };
  g_assert_cmpint(kg_write_new(&spec, &first, 1, &path, &err), ==, NTA_OK);
  g_assert_cmpint(chmod(path, 0640), ==, 0);
  g_autofree char *link = g_build_filename(fx->dir, "ntp.keys", NULL);

  /* Through the symlink: the file behind it gets the key, the link stays a link. */
  kg_key more[] = { key(7, "SHA1", 0x20), key(8, "AES128CMAC", 0x30) };
  g_assert_cmpint(kg_append(link, NTA_DIALECT_NTPD, more, 2, &err), ==, NTA_OK);
  g_autofree char *target = g_file_read_link(link, NULL);
  g_assert_nonnull(target);
  struct stat st;
  g_assert_cmpint(stat(path, &st), ==, 0);
  g_assert_cmpuint(st.st_mode & 07777, ==, 0640);
  g_assert_cmpint(kg_self_check(path, NTA_DIALECT_NTPD, more, 2, &err), ==, NTA_OK);
  g_assert_cmpint(kg_self_check(path, NTA_DIALECT_NTPD, &first, 1, &err), ==, NTA_OK);

  /* An ID the file has is refused with its line, and the file is left as it was. */
  g_autofree char *before = read_text(path);
  kg_key clash = key(7, "MD5", 3);
  g_assert_cmpint(kg_append(path, NTA_DIALECT_NTPD, &clash, 1, &err), ==, NTA_ERR_ARG);
  g_autofree char *want = g_strdup_printf("%s:5: key ID 7 is already in the file", path);
  g_assert_true(g_str_has_prefix(err.msg, want));
  g_autofree char *after = read_text(path);
  g_assert_cmpstr(after, ==, before);
  g_free(path);
}

static void test_self_check_finds_missing_key(fixture *fx, gconstpointer data) {
  g_autofree char *p = g_build_filename(fx->dir, "k", NULL);
  g_assert_true(g_file_set_contents(p, "1 MD5 ABCDEFGHIJKLMNOPQRST\n", -1, NULL));
  kg_key k = key(1, "MD5", 0);
  nta_diag err = { { 0 } };
  g_assert_cmpint(kg_self_check(p, NTA_DIALECT_NTPD, &k, 1, &err), ==, NTA_OK);
  k.secret[0] ^= 1;
  g_assert_cmpint(kg_self_check(p, NTA_DIALECT_NTPD, &k, 1, &err), ==, NTA_ERR_PARSE);
  g_assert_nonnull(strstr(err.msg, "key 1 reads back with a different secret"));
  k = key(2, "MD5", 0);
  g_assert_cmpint(kg_self_check(p, NTA_DIALECT_NTPD, &k, 1, &err), ==, NTA_ERR_PARSE);
  g_assert_nonnull(strstr(err.msg, "key 2 (MD5) did not load"));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add("/kg-file/write-new", fixture, NULL, fx_setup, test_write_new, fx_teardown);
  g_test_add("/kg-file/no-replace-without-force", fixture, NULL, fx_setup,
             test_no_replace_without_force, fx_teardown);
  g_test_add("/kg-file/dialect-of-file", fixture, NULL, fx_setup, test_dialect_of_file,
             fx_teardown);
  g_test_add("/kg-file/append", fixture, NULL, fx_setup, test_append, fx_teardown);
  g_test_add("/kg-file/self-check", fixture, NULL, fx_setup, test_self_check_finds_missing_key,
             fx_teardown);
  return g_test_run();
}
