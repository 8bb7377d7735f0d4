/* main.c - ntpauth-analyze: verify NTP symmetric-key authentication in captures.
 *
 * Options and keys are set up here; reading/verifying is pipeline.c, output is report.c. */
#include "analyze.h"

#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "ntpauth-analyze"

static cap_reader *volatile interrupt_target;

static void on_sigint(int sig) {
  (void)sig;
  cap_reader *r = interrupt_target;
  if (r) cap_reader_interrupt(r);
}

static void usage_error(GOptionContext *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void usage_error(GOptionContext *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, PROG ": ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
  g_option_context_free(ctx);
  exit(AN_EXIT_ERROR);
}

static void print_diags(const nta_diags *ds) {
  for (size_t i = 0; i < nta_diags_count(ds); i++) {
    const char *level = nta_diags_level(ds, i) == NTA_DIAG_NOTE ? "note" : "warning";
    fprintf(stderr, PROG ": %s: %s\n", level, nta_diags_msg(ds, i));
  }
  if (nta_diags_dropped(ds))
    fprintf(stderr, PROG ": warning: %zu more keyfile messages not shown\n",
            nta_diags_dropped(ds));
}

/* Loads every keyfile and trust list; exits 2 on a fatal error. Returns NULL without keyfiles. */
static nta_keyring *load_keys(char **files, size_t nfiles, char **trusted, size_t ntrusted,
                              nta_dialect dialect) {
  if (nfiles == 0) {
    if (ntrusted > 0)
      fprintf(stderr, PROG ": warning: a trust list without keys (-k) has no effect\n");
    return NULL;
  }
  nta_keyring *kr = nta_keyring_create();
  nta_diags *diags = nta_diags_create();
  if (!kr || !diags) {
    fprintf(stderr, PROG ": out of memory\n");
    exit(AN_EXIT_ERROR);
  }
  for (size_t i = 0; i < nfiles; i++) {
    nta_diag err = { { 0 } };
    nta_diags_clear(diags);
    nta_status st = nta_keyring_load_file(kr, files[i], dialect, NULL, diags, &err);
    print_diags(diags);
    if (st != NTA_OK) {
      nta_diags_destroy(diags);
      fprintf(stderr, PROG ": %s\n", err.msg[0] ? err.msg : nta_status_name(st));
      nta_keyring_destroy(kr);
      exit(AN_EXIT_ERROR);
    }
  }
  nta_diags_destroy(diags);
  for (size_t i = 0; i < ntrusted; i++) {
    nta_diag err = { { 0 } };
    if (nta_keyring_trust(kr, trusted[i], &err) != NTA_OK) {
      fprintf(stderr, PROG ": trusted keys '%s': %s\n", trusted[i], err.msg);
      nta_keyring_destroy(kr);
      exit(AN_EXIT_ERROR);
    }
  }
  if (nta_keyring_count(kr) == 0)
    fprintf(stderr, PROG ": warning: no usable keys in the keyfile(s)\n");
  return kr;
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

int main(int argc, char **argv) {
  gchar **opt_read = NULL, **opt_keys = NULL, **opt_trusted = NULL, **opt_ports = NULL;
  gchar **opt_rest = NULL;
  gchar *opt_dialect = NULL, *opt_conf = NULL, *opt_iface = NULL, *opt_format = NULL;
  gboolean opt_quiet = FALSE, opt_no_color = FALSE, opt_version = FALSE;
  gint opt_threads = 1;

  GOptionEntry entries[] = {
    { "read", 'r', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_read,
      "Read a capture file (pcap or pcapng; '-' = standard input); repeatable", "FILE" },
    { "keys", 'k', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_keys,
      "Keyfile (ntpd, ntpsec or chrony format); repeatable", "FILE" },
    { "trusted", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_trusted,
      "Trusted key IDs, ntp.conf syntax: '11 12 (13 ... 20)' or '11-20' (default: all keys)",
      "LIST" },
    { "keys-dialect", 0, 0, G_OPTION_ARG_STRING, &opt_dialect,
      "Keyfile dialect: ntpd, ntpsec, chrony or auto (default)", "NAME" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_conf,
      "Take 'keys' and 'trustedkey' lines from this ntp.conf (also chrony's 'keyfile')", "FILE" },
    { "port", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_ports,
      "Also treat this UDP port as NTP (123 always is); repeatable", "N" },
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &opt_iface,
      "Capture live on IFACE; remaining arguments form a BPF filter; Ctrl-C ends with the summary",
      "IFACE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "Print the summary only", NULL },
    { "format", 0, 0, G_OPTION_ARG_STRING, &opt_format,
      "Output format: text (default), jsonl, json or csv", "FMT" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &opt_threads,
      "Verify on N threads, this one included (files only; output order is kept; default 1)", "N" },
    { "no-color", 0, 0, G_OPTION_ARG_NONE, &opt_no_color,
      "No colours (also when NO_COLOR is set or stdout is not a terminal)", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_rest, NULL,
      "CAPTURE..." },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };

  setlocale(LC_CTYPE, "");   /* help text in the terminal's charset; numbers stay C-locale */
  GOptionContext *ctx = g_option_context_new("| -i IFACE [BPF-FILTER...]");
  g_option_context_set_summary(ctx,
      "Verify the MACs of every NTP packet in pcap/pcapng captures against ntpd, ntpsec or\n"
      "chrony keyfiles, pair requests with replies and report downgrades, key mismatches,\n"
      "spoofed or replayed replies, Kiss-o'-Death codes, MD5 use, shared and weak keys.");
  g_option_context_set_description(ctx,
      "Verdicts: good, bad_mac, unknown_key, untrusted_key, crypto_nak, no_auth, nts, mssntp,\n"
      "malformed. Without -k, MAC'd packets are listed with key ID and MAC length ('no keys\n"
      "loaded') and do not count as failures.\n"
      "Exit status: 0 no packet failed verification, 1 some packet is bad_mac, unknown_key or\n"
      "untrusted_key, 2 usage or input error (a cut or corrupt capture: every packet before the\n"
      "damage is still reported).\n"
      "Offset/delay of a paired exchange use the capture times of request and reply as T1/T4:\n"
      "the offset is the server's clock minus the capturing host's clock.\n"
      "Example: " PROG " capture.pcap -k /etc/ntpsec/ntp.keys --trusted '1-10'");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *gerr = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", gerr->message);
    g_error_free(gerr);
    usage_error(ctx, "%s", msg);
  }
  if (opt_version) {
    printf(PROG " " NTPAUTH_VERSION "\n");
    g_option_context_free(ctx);
    return AN_EXIT_OK;
  }

  an_options opt;
  memset(&opt, 0, sizeof opt);
  opt.quiet = opt_quiet;
  opt.format = AN_FMT_TEXT;
  if (opt_format) {
    if (strcmp(opt_format, "text") == 0) opt.format = AN_FMT_TEXT;
    else if (strcmp(opt_format, "jsonl") == 0) opt.format = AN_FMT_JSONL;
    else if (strcmp(opt_format, "json") == 0) opt.format = AN_FMT_JSON;
    else if (strcmp(opt_format, "csv") == 0) opt.format = AN_FMT_CSV;
    else usage_error(ctx, "unknown --format '%s' (text, jsonl, json, csv)", opt_format);
  }
  if (opt_threads < 1 || opt_threads > 64) usage_error(ctx, "--threads must be 1 to 64");
  opt.threads = (unsigned)opt_threads;
  opt.dialect = NTA_DIALECT_AUTO;
  if (opt_dialect && !nta_dialect_from_name(opt_dialect, &opt.dialect))
    usage_error(ctx, "unknown --keys-dialect '%s' (ntpd, ntpsec, chrony, auto)", opt_dialect);
  opt.ports[opt.n_ports++] = 123;
  for (size_t i = 0; opt_ports && opt_ports[i]; i++) {
    uint16_t p;
    if (!parse_port(opt_ports[i], &p)) usage_error(ctx, "invalid --port '%s'", opt_ports[i]);
    if (opt.n_ports >= AN_MAX_PORTS) usage_error(ctx, "too many --port options");
    opt.ports[opt.n_ports++] = p;
  }

  char **captures = NULL;
  size_t ncaptures = 0;
  captures = append_all(captures, &ncaptures, opt_read);
  gchar *bpf = NULL;
  if (opt_iface) {
    if (ncaptures) usage_error(ctx, "-i cannot be combined with capture files (-r)");
    if (opt_rest) bpf = g_strjoinv(" ", opt_rest);
    opt.iface = opt_iface;
    opt.bpf = bpf;
  } else {
    captures = append_all(captures, &ncaptures, opt_rest);
    if (ncaptures == 0) usage_error(ctx, "no capture given (CAPTURE... or -i IFACE)");
  }
  opt.captures = captures;
  opt.n_captures = ncaptures;
  const char *no_color_env = getenv("NO_COLOR");
  opt.color = opt.format == AN_FMT_TEXT && !opt_no_color && isatty(STDOUT_FILENO) &&
              !(no_color_env && no_color_env[0]);
  opt.progress = !opt.iface && isatty(STDERR_FILENO) && (opt.quiet || !isatty(STDOUT_FILENO));

  /* Keys: -c's lines first, then -k files; trust lists from both add up. */
  char **keyfiles = NULL, **trusted = NULL;
  size_t nkeyfiles = 0, ntrusted = 0;
  an_ntpconf conf;
  memset(&conf, 0, sizeof conf);
  if (opt_conf) {
    char err[1024];
    if (!an_ntpconf_read(opt_conf, &conf, err, sizeof err)) {
      fprintf(stderr, PROG ": %s\n", err);
      exit(AN_EXIT_ERROR);
    }
    if (conf.n_keyfiles == 0)
      fprintf(stderr, PROG ": warning: %s has no 'keys' line\n", opt_conf);
    keyfiles = append_all(keyfiles, &nkeyfiles, conf.keyfiles);
    trusted = append_all(trusted, &ntrusted, conf.trusted);
  }
  keyfiles = append_all(keyfiles, &nkeyfiles, opt_keys);
  trusted = append_all(trusted, &ntrusted, opt_trusted);
  nta_keyring *kr = load_keys(keyfiles, nkeyfiles, trusted, ntrusted, opt.dialect);

  int status = AN_EXIT_ERROR;
  an_report *rep = NULL;
  nta_diag err = { { 0 } };
  cap_reader *rd = cap_reader_create();
  if (!rd) {
    fprintf(stderr, PROG ": out of memory\n");
    goto done;
  }
  if (cap_reader_set_ports(rd, opt.ports, opt.n_ports, &err) != NTA_OK) {
    fprintf(stderr, PROG ": %s\n", err.msg);
    goto done;
  }
  if (opt.iface) {
    if (cap_reader_open_live(rd, opt.iface, opt.bpf, &err) != NTA_OK) {
      fprintf(stderr, PROG ": %s\n", err.msg);
      goto done;
    }
    interrupt_target = rd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
  } else {
    for (size_t i = 0; i < ncaptures; i++) {
      if (cap_reader_add_file(rd, captures[i], &err) != NTA_OK) {
        fprintf(stderr, PROG ": %s\n", err.msg);
        goto done;
      }
    }
  }

  rep = an_report_create(&opt, stdout, kr);
  if (!rep) {
    fprintf(stderr, PROG ": out of memory\n");
    goto done;
  }
  an_run_result res;
  an_pipeline_run(rd, kr, &opt, rep, &res);
  const char *input_error = res.status == CAP_NEXT_ERROR ? res.error : NULL;
  if (input_error) {
    fflush(stdout);
    fprintf(stderr, PROG ": %s\n", input_error);
  }
  status = an_report_finish(rep, input_error, res.frames);
  if (ferror(stdout)) {
    fprintf(stderr, PROG ": error writing standard output\n");
    status = AN_EXIT_ERROR;
  }
done:
  interrupt_target = NULL;
  an_report_destroy(rep);
  cap_reader_destroy(rd);
  nta_keyring_destroy(kr);
  an_ntpconf_free(&conf);
  g_free(keyfiles);
  g_free(trusted);
  g_free(captures);
  g_free(bpf);
  g_strfreev(opt_read);
  g_strfreev(opt_keys);
  g_strfreev(opt_trusted);
  g_strfreev(opt_ports);
  g_strfreev(opt_rest);
  g_free(opt_dialect);
  g_free(opt_conf);
  g_free(opt_iface);
  g_free(opt_format);
  g_option_context_free(ctx);
  return status;
}
