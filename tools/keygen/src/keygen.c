/* keygen.c - ntpauth-keygen: symmetric NTP keys for ntpd, ntpsec and chrony.
 *
 * -M writes what `ntp-keygen -M` writes (10 MD5 + 10 SHA1 keys, IDs 1-20, the file
 * ntpkey_MD5key_HOST.NTPSECONDS and the symlink ntp.keys); -t adds a set of another type.
 * --append adds keys to an existing file in its own dialect. Every written file is read back with
 * libntpauth before the tool reports success. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "kg_check.h"
#include "kg_file.h"
#include "kg_keys.h"

#define KG_DEFAULT_COUNT 10
#define KG_MAX_COUNT 1000

typedef struct {
  gboolean md5_set;
  char *type;
  int count;
  gint64 first;
  char *dialect;
  char *dir;
  char *append;
  char *host;
  gboolean force;
  gboolean quiet;
  gboolean version;
  char *check;
  char *conf;
  gboolean portable;
} kg_options;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("ntpauth-keygen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return 2;
}

static bool parse_options(int *argc, char ***argv, kg_options *o) {
  GOptionEntry entries[] = {
    { "md5", 'M', 0, G_OPTION_ARG_NONE, &o->md5_set,
      "ntp-keygen -M set: 10 MD5 keys (20 printable characters) and 10 SHA1 keys, IDs 1-20 "
      "(the default when no -t is given)", NULL },
    { "type", 't', 0, G_OPTION_ARG_STRING, &o->type,
      "Generate COUNT keys of TYPE (MD5, SHA1, SHA256, SHA384, SHA512, SHA3-256, AES128CMAC, "
      "AES256CMAC, ...)", "TYPE" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &o->count, "Number of -t keys (default 10)", "COUNT" },
    { "first", 0, 0, G_OPTION_ARG_INT64, &o->first,
      "First key ID of the set (default 1; 21 for -t next to -M)", "ID" },
    { "dialect", 0, 0, G_OPTION_ARG_STRING, &o->dialect,
      "Keyfile dialect: ntpd (default), ntpsec or chrony; with --append the file's own", "D" },
    { "output-dir", 'o', 0, G_OPTION_ARG_FILENAME, &o->dir,
      "Folder for the new file and its symlink (default .)", "DIR" },
    { "append", 0, 0, G_OPTION_ARG_FILENAME, &o->append,
      "Add the keys to this existing keyfile instead of writing a new one", "FILE" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &o->host,
      "Host name used in the file name (default: this machine's)", "NAME" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &o->force,
      "Replace an existing keyfile or symlink", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "Print nothing on success", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Show the version and exit", NULL },
    { "check", 0, 0, G_OPTION_ARG_FILENAME, &o->check,
      "Check FILE: how ntpd 4.2.8, ntpsec and chronyd read each line; exit 0 when every line "
      "loads in the --dialect daemon (default: detected), 1 when one is refused there", "FILE" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->conf,
      "With --check: the ntp.conf whose trustedkey lines to show", "NTP.CONF" },
    { "portable", 0, 0, G_OPTION_ARG_NONE, &o->portable,
      "With --check: also fail when another daemon reads a line differently", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  GOptionContext *ctx = g_option_context_new("- generate NTP symmetric keys");
  g_option_context_set_summary(ctx,
      "Writes keyfiles for ntpd, ntpsec and chrony with keys from OpenSSL's RAND_bytes.\n"
      "Without -t (or with -M) it writes what `ntp-keygen -M` writes.");
  g_option_context_set_description(ctx,
      "Examples:\n"
      "  ntpauth-keygen -M -o /etc/ntpsec\n"
      "  ntpauth-keygen -t AES128CMAC -n 5 --dialect chrony\n"
      "  ntpauth-keygen --append ntp.keys -t SHA256 -n 2 --first 21\n"
      "  ntpauth-keygen --check /etc/ntpsec/ntp.keys -c /etc/ntpsec/ntp.conf\n"
      "Exit status: 0 keys written and read back identical (with --check: every line loads in\n"
      "the daemon), 1 with --check: a line that daemon would refuse or skip, 2 bad command line\n"
      "or the keyfile could not be written, read back, appended to or read.\n");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *gerr = NULL;
  bool ok = g_option_context_parse(ctx, argc, argv, &gerr);
  if (!ok) {
    fail("%s (try --help)", gerr->message);
    g_error_free(gerr);
  }
  g_option_context_free(ctx);
  return ok;
}

static int add_range(GArray *keys, const kg_type *t, gint64 first, gint64 count) {
  for (gint64 i = 0; i < count; i++) {
    kg_key k = { .id = (uint32_t)(first + i), .type = t };
    g_array_append_val(keys, k);
  }
  return 0;
}

/* Builds the list of keys (without secrets) the options ask for; returns 0 or an exit status. */
static int plan_keys(const kg_options *o, nta_dialect dialect, GArray *keys, const char **tag) {
  const kg_type *t = NULL;
  if (o->type && !(t = kg_type_find(o->type)))
    return fail("unknown key type '%s'; known: %s", o->type, kg_type_list());
  if (o->count < 1 || o->count > KG_MAX_COUNT)
    return fail("-n %d: the count must be 1-%d", o->count, KG_MAX_COUNT);
  if (!t && o->count != KG_DEFAULT_COUNT)
    return fail("-n applies to -t sets; -M always writes 10 MD5 and 10 SHA1 keys");
  if (o->first != -1 && (o->first < 1 || o->first > (gint64)kg_dialect_max_id(dialect)))
    return fail("--first %" G_GINT64_FORMAT ": key IDs are 1-%" PRIu32 " in the %s dialect",
                o->first, kg_dialect_max_id(dialect), nta_dialect_name(dialect));

  bool md5 = o->md5_set || !t;
  gint64 next = 1;
  if (md5) {
    /* Alone, -M honours --first (how --append gets a second -M set); next to -t it keeps 1-20. */
    next = (!t && o->first != -1) ? o->first : 1;
    add_range(keys, kg_type_md5(), next, 10);
    add_range(keys, kg_type_sha1(), next + 10, 10);
    next += 20;
    *tag = "MD5";
  }
  if (t) {
    gint64 first = o->first != -1 ? o->first : next;
    if (md5 && first < next)
      return fail("--first %" G_GINT64_FORMAT " overlaps the -M keys 1-20", first);
    add_range(keys, t, first, o->count);
    next = first + o->count;
    if (!md5)
      *tag = t->canonical;
  }
  if (next - 1 > (gint64)kg_dialect_max_id(dialect))
    return fail("key IDs would reach %" G_GINT64_FORMAT "; the %s dialect allows 1-%" PRIu32,
                next - 1, nta_dialect_name(dialect), kg_dialect_max_id(dialect));

  for (guint i = 0; i < keys->len; i++) {
    const kg_type *kt = g_array_index(keys, kg_key, i).type;
    if (!kg_type_name_in(kt, dialect))
      return fail("%s keys cannot be used by %s; choose another type or dialect", kt->canonical,
                  nta_dialect_name(dialect));
    if (dialect == NTA_DIALECT_NTPD && !kt->classic_ok)
      fprintf(stderr, "ntpauth-keygen: warning: Classic ntpd 4.2.8 does not know %s (it skips "
              "those keys); ntpsec and chrony do\n", kt->canonical);
  }
  return 0;
}

static char *default_host(void) {
  char name[HOST_NAME_MAX + 1] = "localhost";
  if (gethostname(name, sizeof name) != 0)
    g_strlcpy(name, "localhost", sizeof name);
  name[HOST_NAME_MAX] = '\0';
  return g_strdup(name);
}

static const char *id_range_text(const GArray *keys, char *buf, size_t len) {
  uint32_t lo = UINT32_MAX, hi = 0;
  for (guint i = 0; i < keys->len; i++) {
    uint32_t id = g_array_index(keys, kg_key, i).id;
    lo = id < lo ? id : lo;
    hi = id > hi ? id : hi;
  }
  if (lo == hi)
    snprintf(buf, len, "ID %" PRIu32, lo);
  else
    snprintf(buf, len, "IDs %" PRIu32 "-%" PRIu32, lo, hi);
  return buf;
}

/* Generates the keys and writes or appends them; returns the exit status. */
static int generate(const kg_options *o, GArray *keys) {
  nta_dialect dialect = NTA_DIALECT_NTPD;
  if (o->dialect && (!nta_dialect_from_name(o->dialect, &dialect) || dialect == NTA_DIALECT_AUTO))
    return fail("--dialect '%s': use ntpd, ntpsec or chrony", o->dialect);

  nta_diag err = { { 0 } };
  if (o->append &&
      kg_append_dialect(o->append, o->dialect ? dialect : NTA_DIALECT_AUTO, &dialect, &err) != NTA_OK)
    return fail("%s", err.msg);

  const char *tag = "MD5";
  int rc = plan_keys(o, dialect, keys, &tag);
  if (rc != 0)
    return rc;
  for (guint i = 0; i < keys->len; i++)
    if (kg_key_randomize(&g_array_index(keys, kg_key, i), &err) != NTA_OK)
      return fail("%s", err.msg);

  char range[48];
  id_range_text(keys, range, sizeof range);
  if (o->append) {
    if (kg_append(o->append, dialect, (kg_key *)keys->data, keys->len, &err) != NTA_OK)
      return fail("%s", err.msg);
    if (!o->quiet)
      printf("%s: added %u key%s, %s (%s dialect)\n", o->append, keys->len,
             keys->len == 1 ? "" : "s", range, nta_dialect_name(dialect));
    return 0;
  }

  char *host = o->host ? g_strdup(o->host) : default_host();
  if (strchr(host, '/') || host[0] == '\0' || host[0] == '.') {
    rc = fail("host name '%s' cannot be part of a file name", host);
    g_free(host);
    return rc;
  }
  kg_new_file spec = {
    .dir = o->dir ? o->dir : ".", .host = host, .tag = tag,
    .link_name = dialect == NTA_DIALECT_CHRONY ? "chrony.keys" : "ntp.keys",
    .dialect = dialect, .now = time(NULL), .force = o->force,
  };
  char *path = NULL;
  if (kg_write_new(&spec, (kg_key *)keys->data, keys->len, &path, &err) != NTA_OK) {
    rc = fail("%s", err.msg);
  } else if (!o->quiet) {
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    printf("%s: %u keys, %s (%s dialect); %s -> %s\n", path, keys->len, range,
           nta_dialect_name(dialect), spec.link_name, base);
  }
  g_free(path);
  g_free(host);
  return rc;
}

static void free_options(kg_options *o) {
  g_free(o->type);
  g_free(o->dialect);
  g_free(o->dir);
  g_free(o->append);
  g_free(o->host);
  g_free(o->check);
  g_free(o->conf);
}

static int run_check(const kg_options *o) {
  kg_check_options c = { .path = o->check, .conf = o->conf, .portable = o->portable };
  if (o->dialect && !nta_dialect_from_name(o->dialect, &c.dialect))
    return fail("--dialect %s: use ntpd, ntpsec, chrony or auto", o->dialect);
  if (o->type || o->md5_set || o->append || o->dir)
    return fail("--check reads a keyfile; it takes no -M, -t, --append or -o");
  return kg_check(&c, stdout);
}

int main(int argc, char **argv) {
  kg_options o = { .count = KG_DEFAULT_COUNT, .first = -1 };
  int rc;
  if (!parse_options(&argc, &argv, &o))
    rc = 2;
  else if (o.version)
    rc = (printf("ntpauth-keygen %s\n", NTPAUTH_VERSION), 0);
  else if (argc > 1)
    rc = fail("unexpected argument '%s' (try --help)", argv[1]);
  else if (o.check)
    rc = run_check(&o);
  else if ((o.conf || o.portable) && !o.check)
    rc = fail("-c and --portable go with --check");
  else if (o.append && o.dir)
    rc = fail("--append writes into the given file; -o does not apply");
  else {
    GArray *keys = g_array_new(FALSE, TRUE, sizeof(kg_key));
    rc = generate(&o, keys);
    /* Wipe the secrets from memory before leaving. */
    if (keys->len)
      memset(keys->data, 0, keys->len * sizeof(kg_key));
    g_array_free(keys, TRUE);
  }
  free_options(&o);
  return rc;
}
