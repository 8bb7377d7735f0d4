/* analyze.h - shared types of ntpauth-analyze: options, the per-packet record, and the entry
 * points of its parts (options.c, ntpconf.c, pipeline.c, report.c). */
#ifndef NTPAUTH_ANALYZE_H
#define NTPAUTH_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/reader.h"
#include "ntpauth/exchange.h"
#include "ntpauth/keyring.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

#define AN_EXIT_OK 0
#define AN_EXIT_FAILED 1
#define AN_EXIT_ERROR 2

typedef enum { AN_FMT_TEXT, AN_FMT_JSONL, AN_FMT_JSON, AN_FMT_CSV } an_format;

#define AN_MAX_PORTS 32

/* ---- ntp.conf (ntpconf.c) ---- */
typedef struct {
  char **keyfiles;        /* absolute or relative to the current directory */
  size_t n_keyfiles;
  char **trusted;
  size_t n_trusted;
} an_ntpconf;

/* Reads `keys`/`keyfile` and `trustedkey` lines. Returns false with a message in err. */
bool an_ntpconf_read(const char *path, an_ntpconf *out, char *err, size_t errlen);
void an_ntpconf_free(an_ntpconf *c);

typedef struct {
  char **captures;        /* files to read, in command-line order ("-" = standard input) */
  size_t n_captures;
  char **keyfiles;        /* ntp.conf's first (-c), then -k */
  size_t n_keyfiles;
  char **trusted;         /* trust lists of ntp.conf and --trusted; they add up */
  size_t n_trusted;
  nta_dialect dialect;
  uint16_t ports[AN_MAX_PORTS];   /* 123 first */
  size_t n_ports;
  const char *iface;      /* -i: live capture instead of files */
  const char *bpf;        /* the filter words after -i IFACE, joined */
  bool quiet;
  an_format format;
  unsigned threads;
  bool color;
  bool progress;          /* stderr is a terminal and input is files */
  struct an_options_store *store;   /* what parsing allocated (options.c) */
} an_options;

/* Parses the command line into `opt`; prints the usage error and exits 2 on a mistake, prints
 * the version and exits 0 for -V. Free with an_options_free(). */
void an_options_parse(int argc, char **argv, an_options *opt);
void an_options_free(an_options *opt);

/* One NTP datagram on its way through the pipeline. Records cross threads (reader -> verify
 * worker -> in-order stage), so they hold the few facts the report needs rather than the whole
 * nta_packet/nta_verify_result (several hundred bytes of split tables per packet). */
typedef struct {
  nta_observation obs;    /* frame, time, endpoints, header fields, verdict: what pairing reads */
  const uint8_t *payload;
  uint32_t captured_len, wire_len;
  uint8_t version;
  uint16_t digest_len;
  char reason[NTA_REASON_MAX];   /* empty under -q */
} an_record;

/* Scratch space for parsing/verifying, one per thread. */
typedef struct {
  nta_packet pkt;
  nta_verify_result vr;
  bool skip_reason;       /* -q prints no per-packet reason: do not copy it into records */
} an_scratch;

/* Parses and verifies rec->payload into rec's facts. `kr` may be NULL (no keys). */
void an_record_verify(const nta_keyring *kr, an_record *rec, an_scratch *scratch);

/* ---- report (report.c): pairing, statistics, the chosen output format ---- */
typedef struct an_report an_report;

an_report *an_report_create(const an_options *opt, FILE *out, const nta_keyring *kr);
void an_report_destroy(an_report *rep);
/* In capture order: pairing, counters, one output line/object. */
void an_report_packet(an_report *rep, const an_record *rec);
/* Ends the packet list and writes the summary. `input_error` (may be NULL) is the reason reading
 * stopped early; `frames` the number of capture records read. Returns the exit status. */
int an_report_finish(an_report *rep, const char *input_error, uint64_t frames);

/* ---- pipeline (pipeline.c) ---- */
typedef struct {
  cap_next_status status;   /* END or ERROR */
  char error[NTA_DIAG_MSG_MAX];
  uint64_t frames;
} an_run_result;

/* Reads every datagram from `rd`, verifies with `kr` (threads > 1: one clone per worker) and
 * feeds the report in capture order. */
void an_pipeline_run(cap_reader *rd, const nta_keyring *kr, const an_options *opt, an_report *rep,
                     an_run_result *res);

#endif
