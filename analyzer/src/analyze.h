/* analyze.h - shared types of ntpauth-analyze: options, per-packet records, the report. */
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

typedef struct {
  char **captures;        /* NULL-terminated (positional arguments and -r) */
  size_t n_captures;
  char **keyfiles;
  size_t n_keyfiles;
  char **trusted;         /* --trusted, cumulative */
  size_t n_trusted;
  nta_dialect dialect;
  const char *conf;       /* -c ntp.conf */
  uint16_t ports[AN_MAX_PORTS];
  size_t n_ports;
  const char *iface;      /* -i: live capture */
  char *bpf;              /* filter words joined */
  bool quiet;
  an_format format;
  unsigned threads;
  bool color;
  bool progress;          /* stderr is a terminal and input is files */
} an_options;

/* What the report and the pairing need of a parsed packet and its verdict. Records cross threads
 * (reader -> verify worker -> in-order stage), so they carry this compact copy rather than the
 * whole nta_packet/nta_verify_result (several hundred bytes of split tables per packet). */
typedef struct {
  bool header_ok;
  uint8_t li, version, mode, stratum;
  uint32_t refid;
  uint64_t org_ts, rec_ts, xmt_ts;
} an_packet_facts;

typedef struct {
  nta_verdict verdict;
  bool has_key_id;
  uint16_t digest_len;
  uint32_t key_id;
  const char *algorithm;   /* owned by the verifying keyring (lives until the end) */
  char reason[NTA_REASON_MAX];
} an_verdict_facts;

/* One NTP datagram on its way through the pipeline: capture facts, then parse + verify. */
typedef struct {
  uint64_t frame;
  int64_t ts_sec;
  uint32_t ts_nsec;
  nta_endpoint src, dst;
  const uint8_t *payload;
  uint32_t captured_len, wire_len;
  an_packet_facts pkt;
  an_verdict_facts vr;
} an_record;

/* Scratch space for parsing/verifying, one per thread. */
typedef struct {
  nta_packet pkt;
  nta_verify_result vr;
  bool skip_reason;       /* -q prints no per-packet reason: do not copy it into records */
} an_scratch;

/* Parses and verifies rec->payload into rec->pkt/vr. `kr` may be NULL (no keys). */
void an_record_verify(const nta_keyring *kr, an_record *rec, an_scratch *scratch);

/* ---- report (report.c): counters, per-packet output, summary ---- */
typedef struct an_report an_report;

an_report *an_report_create(const an_options *opt, FILE *out, const nta_keyring *kr);
void an_report_destroy(an_report *rep);
/* In capture order: pairing, counters, one output line/object. */
void an_report_packet(an_report *rep, const an_record *rec);
/* Ends the packet list and writes the summary. `input_error` (may be NULL) is the reason reading
 * stopped early; `frames` the number of capture records read. Returns the exit status. */
int an_report_finish(an_report *rep, const char *input_error, uint64_t frames);

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

/* ---- pipeline (pipeline.c) ---- */
typedef struct {
  cap_next_status status;   /* END or ERROR */
  char error[NTA_DIAG_MSG_MAX];
  uint64_t frames;
} an_run_result;

/* Reads every datagram from `rd`, verifies with `kr` (threads > 1: one clone per worker) and
 * feeds the report in capture order. Clones live until an_pipeline_release(): the records'
 * algorithm names point into them. */
void an_pipeline_run(cap_reader *rd, const nta_keyring *kr, const an_options *opt, an_report *rep,
                     an_run_result *res);

#endif
