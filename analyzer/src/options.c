/* options.c - ntpauth-analyze's command line: GOption parsing, checks, ntp.conf's key lines. */
#include "analyze.h"

#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "ntpauth-analyze"

/* Everything parsing allocates; freed by an_options_free(). */
struct an_options_store {
  GOptionContext *ctx;
  gchar **read, **keys, **trusted, **ports, **rest, **tls_keylogs, **nts_dumps;
  gchar *dialect, *conf, *iface, *format, *bpf;
  gboolean quiet, no_color, version, merge, require_auth, show_expected;
  gint threads;
  an_ntpconf ntpconf;
};

static void usage_error(an_options *opt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void usage_error(an_options *opt, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, PROG ": ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
  an_options_free(opt);
  exit(AN_EXIT_ERROR);
}

static GOptionContext *make_context(struct an_options_store *s) {
  GOptionEntry entries[] = {
    { "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &s->read,
      "Read a capture file (pcap or pcapng, plain or gzip/zstd/lz4; '-' = standard input); "
      "repeatable", "FILE" },
    { "keys", 'k', 0, G_OPTION_ARG_FILENAME_ARRAY, &s->keys,
      "Keyfile (ntpd, ntpsec or chrony format); repeatable", "FILE" },
    { "trusted", 0, 0, G_OPTION_ARG_STRING_ARRAY, &s->trusted,
      "Trusted key IDs, ntp.conf syntax: '11 12 (13 ... 20)' or '11-20' (default: all keys)",
      "LIST" },
    { "keys-dialect", 0, 0, G_OPTION_ARG_STRING, &s->dialect,
      "Keyfile dialect: ntpd, ntpsec, chrony or auto (default)", "NAME" },
    { "tls-keylog", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &s->tls_keylogs,
      "NTS: a TLS key log (SSLKEYLOGFILE) of the NTS-KE sessions; its EXPORTER_SECRET lines give "
      "the NTS keys, its traffic secrets decrypt NTS-KE (TCP 4460); repeatable", "FILE" },
    { "nts-dump", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &s->nts_dumps,
      "NTS: chrony's ntsdumpdir (or one of its .nts client files) with a session's keys and "
      "cookies; repeatable", "DIR" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &s->conf,
      "Take 'keys' and 'trustedkey' lines from this ntp.conf (also chrony's 'keyfile')", "FILE" },
    { "port", 0, 0, G_OPTION_ARG_STRING_ARRAY, &s->ports,
      "Also treat this UDP port as NTP (123 always is); repeatable", "N" },
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &s->iface,
      "Capture live on IFACE; remaining arguments form a BPF filter; Ctrl-C ends with the summary",
      "IFACE" },
    { "merge", 0, 0, G_OPTION_ARG_NONE, &s->merge,
      "Captures of the same traffic at several points: one timeline by capture time; a packet "
      "seen again elsewhere is no replay; one-way delays", NULL },
    { "require-auth", 0, 0, G_OPTION_ARG_NONE, &s->require_auth,
      "Client and server packets without a MAC are failures", NULL },
    { "show-expected", 0, 0, G_OPTION_ARG_NONE, &s->show_expected,
      "Also print the digest a bad_mac packet should have carried (a valid MAC for it!)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &s->quiet, "Print the summary only", NULL },
    { "format", 0, 0, G_OPTION_ARG_STRING, &s->format,
      "Output format: text (default), jsonl, json or csv", "FMT" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &s->threads,
      "Verify on N threads, this one included (files only; output order is kept; default 1)", "N" },
    { "no-color", 0, 0, G_OPTION_ARG_NONE, &s->no_color,
      "No colours (also when NO_COLOR is set or stdout is not a terminal)", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &s->version, "Print the version and exit", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &s->rest, NULL, "CAPTURE..." },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  GOptionContext *ctx = g_option_context_new("| -i IFACE [BPF-FILTER...]");
  g_option_context_set_summary(ctx,
      "Verify the MACs of every NTP packet in pcap/pcapng captures against ntpd, ntpsec or\n"
      "chrony keyfiles, pair requests with replies and report downgrades, key mismatches,\n"
      "spoofed or replayed replies, Kiss-o'-Death codes, MD5 use, shared and weak keys.");
  g_option_context_set_description(ctx,
      "Verdicts: good, bad_mac, unknown_key, untrusted_key, crypto_nak, no_auth, nts, mssntp,\n"
      "malformed. Without -k or -c, MAC'd packets are listed with key ID and MAC length ('no\n"
      "keys loaded'): they are no failures, but nothing is verified either (exit 1).\n"
      "NTS (RFC 8915) packets are good or bad_mac (AES-SIV-CMAC-256, with the session in\n"
      "nts_session) when --tls-keylog or --nts-dump has their session's keys, else nts.\n"
      "Each capture is its own part (frame numbers as tshark counts them, its own pairing and\n"
      "summary), then a total; --merge makes them one timeline.\n"
      "Exit status, over all captures: 0 every MAC verified and at least one packet verified;\n"
      "1 a failure (bad_mac, unknown_key, untrusted_key; no_auth under --require-auth) or\n"
      "nothing verified (no NTP packet, none with a MAC, no keys given, or none good); 2 usage\n"
      "or input error (a cut or corrupt capture: every packet before the damage is still\n"
      "reported).\n"
      "Offset/delay of a paired exchange use the capture times of request and reply as T1/T4:\n"
      "the offset is the server's clock minus the capturing host's clock.\n"
      "Example: " PROG " capture.pcap -k /etc/ntpsec/ntp.keys --trusted '1-10'");
  g_option_context_add_main_entries(ctx, entries, NULL);
  return ctx;
}

static bool parse_port(const char *s, uint16_t *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < 1 || v > 65535) return false;
  *out = (uint16_t)v;
  return true;
}

static char **append_all(char **list, size_t *n, char **more) {
  for (size_t i = 0; more && more[i]; i++) {
    list = g_renew(char *, list, *n + 2);
    list[(*n)++] = more[i];
    list[*n] = NULL;
  }
  return list;
}

/* --format, --threads, --keys-dialect, --port. */
static void check_values(an_options *opt) {
  struct an_options_store *s = opt->store;
  static const char *const formats[] = { "text", "jsonl", "json", "csv" };
  opt->format = AN_FMT_TEXT;
  if (s->format) {
    size_t f = 0;
    while (f < 4 && strcmp(s->format, formats[f]) != 0) f++;
    if (f == 4) usage_error(opt, "unknown --format '%s' (text, jsonl, json, csv)", s->format);
    opt->format = (an_format)f;
  }
  if (s->threads < 1 || s->threads > 64) usage_error(opt, "--threads must be 1 to 64");
  opt->threads = (unsigned)s->threads;
  opt->dialect = NTA_DIALECT_AUTO;
  if (s->dialect && !nta_dialect_from_name(s->dialect, &opt->dialect))
    usage_error(opt, "unknown --keys-dialect '%s' (ntpd, ntpsec, chrony, auto)", s->dialect);
  opt->ports[opt->n_ports++] = 123;
  for (size_t i = 0; s->ports && s->ports[i]; i++) {
    uint16_t p;
    if (!parse_port(s->ports[i], &p)) usage_error(opt, "invalid --port '%s'", s->ports[i]);
    if (opt->n_ports >= AN_MAX_PORTS) usage_error(opt, "too many --port options");
    opt->ports[opt->n_ports++] = p;
  }
}

/* Capture files, or -i with the rest of the arguments as a BPF filter. */
static void choose_inputs(an_options *opt) {
  struct an_options_store *s = opt->store;
  opt->captures = append_all(opt->captures, &opt->n_captures, s->read);
  if (s->iface) {
    if (opt->n_captures) usage_error(opt, "-i cannot be combined with capture files (-r)");
    if (s->merge) usage_error(opt, "--merge needs capture files, not -i");
    if (s->rest) s->bpf = g_strjoinv(" ", s->rest);
    opt->iface = s->iface;
    opt->bpf = s->bpf;
  } else {
    opt->captures = append_all(opt->captures, &opt->n_captures, s->rest);
    if (opt->n_captures == 0) usage_error(opt, "no capture given (CAPTURE... or -i IFACE)");
  }
}

/* Keys: -c's lines first, then -k files; trust lists from both add up. */
static void choose_keys(an_options *opt) {
  struct an_options_store *s = opt->store;
  if (s->conf) {
    char err[1024];
    if (!an_ntpconf_read(s->conf, &s->ntpconf, err, sizeof err)) {
      fprintf(stderr, PROG ": %s\n", err);
      an_options_free(opt);
      exit(AN_EXIT_ERROR);
    }
    if (s->ntpconf.n_keyfiles == 0)
      fprintf(stderr, PROG ": warning: %s has no 'keys' line\n", s->conf);
    opt->keyfiles = append_all(opt->keyfiles, &opt->n_keyfiles, s->ntpconf.keyfiles);
    opt->trusted = append_all(opt->trusted, &opt->n_trusted, s->ntpconf.trusted);
  }
  opt->keyfiles = append_all(opt->keyfiles, &opt->n_keyfiles, s->keys);
  opt->trusted = append_all(opt->trusted, &opt->n_trusted, s->trusted);
  opt->tls_keylogs = append_all(opt->tls_keylogs, &opt->n_tls_keylogs, s->tls_keylogs);
  opt->nts_dumps = append_all(opt->nts_dumps, &opt->n_nts_dumps, s->nts_dumps);
}

void an_options_parse(int argc, char **argv, an_options *opt) {
  memset(opt, 0, sizeof *opt);
  struct an_options_store *s = g_new0(struct an_options_store, 1);
  opt->store = s;
  s->threads = 1;
  setlocale(LC_CTYPE, "");   /* help text in the terminal's charset; numbers stay C-locale */
  s->ctx = make_context(s);
  GError *gerr = NULL;
  if (!g_option_context_parse(s->ctx, &argc, &argv, &gerr)) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", gerr->message);
    g_error_free(gerr);
    usage_error(opt, "%s", msg);
  }
  if (s->version) {
    printf(PROG " " NTPAUTH_VERSION "\n");
    an_options_free(opt);
    exit(AN_EXIT_OK);
  }
  opt->quiet = s->quiet;
  opt->merge = s->merge;
  opt->require_auth = s->require_auth;
  opt->show_expected = s->show_expected;
  check_values(opt);
  choose_inputs(opt);
  const char *no_color_env = getenv("NO_COLOR");
  opt->color = opt->format == AN_FMT_TEXT && !s->no_color && isatty(STDOUT_FILENO) &&
               !(no_color_env && no_color_env[0]);
  opt->progress = !opt->iface && isatty(STDERR_FILENO) && (opt->quiet || !isatty(STDOUT_FILENO));
  choose_keys(opt);
}

void an_options_free(an_options *opt) {
  struct an_options_store *s = opt->store;
  g_free(opt->captures);
  g_free(opt->keyfiles);
  g_free(opt->trusted);
  g_free(opt->tls_keylogs);
  g_free(opt->nts_dumps);
  if (s) {
    an_ntpconf_free(&s->ntpconf);
    g_strfreev(s->read);
    g_strfreev(s->keys);
    g_strfreev(s->trusted);
    g_strfreev(s->ports);
    g_strfreev(s->tls_keylogs);
    g_strfreev(s->nts_dumps);
    g_strfreev(s->rest);
    g_free(s->dialect);
    g_free(s->conf);
    g_free(s->iface);
    g_free(s->format);
    g_free(s->bpf);
    if (s->ctx) g_option_context_free(s->ctx);
    g_free(s);
  }
  memset(opt, 0, sizeof *opt);
}
