/* main.c - ntpauth-analyze: verify NTP symmetric-key authentication in captures.
 *
 * Options are options.c; here keys are loaded and the inputs opened, then pipeline.c reads and
 * verifies and report.c prints. */
#include "analyze.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define PROG "ntpauth-analyze"

static cap_reader *volatile interrupt_target;

static void on_sigint(int sig) {
  (void)sig;
  cap_reader *r = interrupt_target;
  if (r) cap_reader_interrupt(r);
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

/* The live interface or the capture files; Ctrl-C ends a live capture with the summary. */
static cap_reader *open_inputs(const an_options *opt) {
  nta_diag err = { { 0 } };
  cap_reader *rd = cap_reader_create();
  if (!rd) {
    fprintf(stderr, PROG ": out of memory\n");
    return NULL;
  }
  if (cap_reader_set_ports(rd, opt->ports, opt->n_ports, &err) != NTA_OK) goto fail;
  if (opt->iface) {
    if (cap_reader_open_live(rd, opt->iface, opt->bpf, &err) != NTA_OK) goto fail;
    interrupt_target = rd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return rd;
  }
  for (size_t i = 0; i < opt->n_captures; i++)
    if (cap_reader_add_file(rd, opt->captures[i], &err) != NTA_OK) goto fail;
  return rd;
fail:
  fprintf(stderr, PROG ": %s\n", err.msg);
  cap_reader_destroy(rd);
  return NULL;
}

/* Reads everything, prints the report; returns the exit status. */
static int analyze(const an_options *opt, cap_reader *rd, const nta_keyring *kr) {
  an_report *rep = an_report_create(opt, stdout, kr);
  if (!rep) {
    fprintf(stderr, PROG ": out of memory\n");
    return AN_EXIT_ERROR;
  }
  an_run_result res;
  an_pipeline_run(rd, kr, opt, rep, &res);
  const char *input_error = res.status == CAP_NEXT_ERROR ? res.error : NULL;
  if (input_error) {
    fflush(stdout);
    fprintf(stderr, PROG ": %s\n", input_error);
  }
  int status = an_report_finish(rep, input_error, res.frames);
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
  int status = AN_EXIT_ERROR;
  if (load_keys(&opt, &kr)) {
    cap_reader *rd = open_inputs(&opt);
    if (rd) status = analyze(&opt, rd, kr);
    interrupt_target = NULL;
    cap_reader_destroy(rd);
  }
  nta_keyring_destroy(kr);
  an_options_free(&opt);
  return status;
}
