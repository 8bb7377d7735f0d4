/* main.c - ntpauth-analyze: verify NTP symmetric-key authentication in captures.
 *
 * Options are options.c; here keys are loaded and each part of the report (one capture, or all
 * merged) gets its input opened (source.c), read and verified (pipeline.c) and printed
 * (report.c). */
#include "analyze.h"
#include "ntpauth/nts.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define PROG "ntpauth-analyze"

static an_source *volatile interrupt_target;

static void on_signal(int sig) {
  (void)sig;
  an_source *s = interrupt_target;
  if (s) an_source_interrupt(s);
}

/* Ctrl-C (or SIGTERM) ends reading with the summary: live captures run until then. */
static void catch_interrupts(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
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

/* Loads every keyfile and trust list. Returns false (message printed) on a fatal error; *out is
 * NULL without keyfiles. */
static bool load_keys(const an_options *opt, nta_keyring **out) {
  *out = NULL;
  if (opt->n_keyfiles == 0) {
    if (opt->n_trusted > 0)
      fprintf(stderr, PROG ": warning: a trust list without keys (-k) has no effect\n");
    return true;
  }
  nta_keyring *kr = nta_keyring_create();
  nta_diags *diags = nta_diags_create();
  if (!kr || !diags) {
    fprintf(stderr, PROG ": out of memory\n");
    nta_keyring_destroy(kr);
    nta_diags_destroy(diags);
    return false;
  }
  for (size_t i = 0; i < opt->n_keyfiles; i++) {
    nta_diag err = { { 0 } };
    nta_diags_clear(diags);
    nta_status st = nta_keyring_load_file(kr, opt->keyfiles[i], opt->dialect, NULL, diags, &err);
    print_diags(diags);
    if (st != NTA_OK) {
      nta_diags_destroy(diags);
      fprintf(stderr, PROG ": %s\n", err.msg[0] ? err.msg : nta_status_name(st));
      nta_keyring_destroy(kr);
      return false;
    }
  }
  nta_diags_destroy(diags);
  for (size_t i = 0; i < opt->n_trusted; i++) {
    nta_diag err = { { 0 } };
    if (nta_keyring_trust(kr, opt->trusted[i], &err) != NTA_OK) {
      fprintf(stderr, PROG ": trusted keys '%s': %s\n", opt->trusted[i], err.msg);
      nta_keyring_destroy(kr);
      return false;
    }
  }
  if (nta_keyring_count(kr) == 0)
    fprintf(stderr, PROG ": warning: no usable keys in the keyfile(s)\n");
  *out = kr;
  return true;
}

/* One --tls-keylog or --nts-dump input into the store. Malformed key log lines are warnings
 * ("FILE:LINE: why"); an unreadable input, a broken dump or a key log without any TLS 1.3
 * exporter secret is an error. */
static bool load_nts_input(nta_nts_store *st, const char *path, bool dump) {
  nta_diags *diags = nta_diags_create();
  nta_diag err = { { 0 } };
  if (!diags) {
    fprintf(stderr, PROG ": out of memory\n");
    return false;
  }
  size_t before = nta_nts_store_count(st);
  nta_status rc = dump ? nta_nts_load_dump(st, path, diags, &err)
                       : nta_nts_load_keylog(st, path, diags, &err);
  print_diags(diags);
  nta_diags_destroy(diags);
  if (rc != NTA_OK) {
    fprintf(stderr, PROG ": %s\n", err.msg[0] ? err.msg : nta_status_name(rc));
    return false;
  }
  if (!dump && nta_nts_store_count(st) == before) {
    fprintf(stderr, PROG ": %s: no new EXPORTER_SECRET line (a TLS 1.3 key log as SSLKEYLOGFILE "
            "writes it?)\n", path);
    return false;
  }
  return true;
}

/* The NTS sessions of every --tls-keylog and --nts-dump (an empty store without them: NTS
 * packets are still followed, and stay nts). NULL (message printed) on an error. */
static nta_nts_store *load_nts(const an_options *opt) {
  nta_nts_store *st = nta_nts_store_create();
  if (!st) {
    fprintf(stderr, PROG ": out of memory\n");
    return NULL;
  }
  bool ok = true;
  for (size_t i = 0; ok && i < opt->n_tls_keylogs; i++)
    ok = load_nts_input(st, opt->tls_keylogs[i], false);
  for (size_t i = 0; ok && i < opt->n_nts_dumps; i++)
    ok = load_nts_input(st, opt->nts_dumps[i], true);
  if (!ok) {
    nta_nts_store_destroy(st);
    return NULL;
  }
  return st;
}

/* One part of the report: one capture, the live interface, or every capture merged. */
static void analyze_part(const an_options *opt, const nta_keyring *kr, an_report *rep,
                         size_t first, size_t count) {
  const char *name = opt->iface ? opt->iface : opt->merge ? NULL : opt->captures[first];
  nta_diag err = { { 0 } };
  if (!an_report_part_begin(rep, name)) {
    fprintf(stderr, PROG ": out of memory\n");
    an_report_part_end(rep, "out of memory", 0);
    return;
  }
  an_source *src = an_source_open(opt, first, count, &err);
  if (!src) {
    fprintf(stderr, PROG ": %s\n", err.msg);
    an_report_part_end(rep, err.msg, 0);
    return;
  }
  interrupt_target = src;
  an_run_result res;
  an_pipeline_run(src, kr, opt, rep, &res);
  interrupt_target = NULL;
  const char *input_error = res.status == CAP_NEXT_ERROR ? res.error : NULL;
  if (input_error) {
    fflush(stdout);
    fprintf(stderr, PROG ": %s\n", input_error);
  }
  an_report_part_end(rep, input_error, res.frames);
  an_source_destroy(src);
}

/* Reads everything, prints the report; returns the exit status. */
static int analyze(const an_options *opt, const nta_keyring *kr, const nta_nts_store *nts) {
  an_report *rep = an_report_create(opt, stdout, kr);
  if (rep && !an_report_set_nts(rep, nts)) {
    an_report_destroy(rep);
    rep = NULL;
  }
  if (!rep) {
    fprintf(stderr, PROG ": out of memory\n");
    return AN_EXIT_ERROR;
  }
  catch_interrupts();
  if (opt->iface || opt->merge) {
    analyze_part(opt, kr, rep, 0, opt->iface ? 1 : opt->n_captures);
  } else {
    for (size_t i = 0; i < opt->n_captures; i++) analyze_part(opt, kr, rep, i, 1);
  }
  int status = an_report_finish(rep);
  if (ferror(stdout)) {
    fprintf(stderr, PROG ": error writing standard output\n");
    status = AN_EXIT_ERROR;
  }
  an_report_destroy(rep);
  return status;
}

int main(int argc, char **argv) {
  an_options opt;
  an_options_parse(argc, argv, &opt);
  nta_keyring *kr = NULL;
  nta_nts_store *nts = NULL;
  int status = AN_EXIT_ERROR;
  if (load_keys(&opt, &kr) && (nts = load_nts(&opt)) != NULL) status = analyze(&opt, kr, nts);
  nta_keyring_destroy(kr);
  nta_nts_store_destroy(nts);
  an_options_free(&opt);
  return status;
}
