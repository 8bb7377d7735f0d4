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
  char **tls_keylogs;     /* --tls-keylog: NTS keys and NTS-KE secrets */
  size_t n_tls_keylogs;
  char **nts_dumps;       /* --nts-dump: chrony ntsdumpdir folders or files */
  size_t n_nts_dumps;
  nta_dialect dialect;
  uint16_t ports[AN_MAX_PORTS];   /* 123 first */
  size_t n_ports;
  const char *iface;      /* -i: live capture instead of files */
  const char *bpf;        /* the filter words after -i IFACE, joined */
  bool merge;             /* --merge: one timeline over all captures */
  bool require_auth;      /* --require-auth: client/server packets without a MAC fail */
  bool show_expected;     /* --show-expected: print the digest a bad_mac packet should carry */
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
  const char *file;       /* the capture as named on the command line (or the interface) */
  size_t input;           /* its index among the captures */
  const uint8_t *payload;
  uint32_t captured_len, wire_len;
  uint64_t bytes_hash;    /* of the payload, for --merge (same packet seen at two points) */
  const char *note;        /* the capture layer's (cap_datagram) */
  bool unusable;
  uint8_t proto;          /* 17: an NTP datagram; 6: an NTS-KE TCP segment (not verified) */
  uint8_t tcp_flags;
  uint32_t tcp_seq;
  bool has_nts;           /* NTS extension fields: verified in capture order (nts.h) */
  uint8_t version;
  uint16_t digest_len;
  uint8_t digest_shown;   /* received digest bytes captured (<= digest_len) */
  bool has_expected;      /* bad_mac under --show-expected: expected[] is set */
  uint8_t digest[NTA_MAC_MAX];
  uint8_t expected[NTA_MAC_MAX];
  char reason[NTA_REASON_MAX];   /* empty under -q */
} an_record;

/* Scratch space for parsing/verifying, one per thread. */
typedef struct {
  nta_packet pkt;
  nta_verify_result vr;
  bool skip_reason;       /* -q prints no per-packet reason: do not copy it into records */
  bool want_expected;     /* --show-expected */
  bool want_hash;         /* --merge */
} an_scratch;

/* Parses and verifies rec->payload into rec's facts. `kr` may be NULL (no keys). */
void an_record_verify(const nta_keyring *kr, an_record *rec, an_scratch *scratch);

/* ---- report (report.c): pairing, statistics, the chosen output format ---- */
typedef struct an_report an_report;

an_report *an_report_create(const an_options *opt, FILE *out, const nta_keyring *kr);
/* NTS keys (--tls-keylog, --nts-dump; the store may hold none): NTS packets are tracked and
 * verified, NTS-KE connections read. False when out of memory. */
struct nta_nts_store;
bool an_report_set_nts(an_report *rep, const struct nta_nts_store *st);
void an_report_destroy(an_report *rep);
/* A part of the report starts: one capture (`name` as given on the command line, or the
 * interface) or all of them merged (NULL). Pairing and counters start afresh. False when out
 * of memory. */
bool an_report_part_begin(an_report *rep, const char *name);
/* In capture order: pairing, counters, one output line/object. */
void an_report_packet(an_report *rep, const an_record *rec);
/* Ends the part with its summary. `input_error` (may be NULL) is the reason reading stopped
 * early; `frames` the number of capture records read. */
void an_report_part_end(an_report *rep, const char *input_error, uint64_t frames);
/* Writes the end (keys, totals, notes, result). Returns the exit status: 2 after an input
 * error, 1 when a packet failed or nothing was verified, else 0. */
int an_report_finish(an_report *rep);

/* ---- input (source.c) ---- */
typedef struct an_source an_source;

/* Opens captures[first .. first + count) (count > 1 only to merge them), or the live interface
 * of -i. NULL with the reason in err. */
an_source *an_source_open(const an_options *opt, size_t first, size_t count, nta_diag *err);
void an_source_destroy(an_source *s);
/* Next datagram (the earliest of all inputs when merging); *input_index says whose. */
cap_next_status an_source_next(an_source *s, cap_datagram *out, size_t *input_index,
                               nta_diag *err);
/* Async-signal-safe: ends reading soon (Ctrl-C). */
void an_source_interrupt(an_source *s);
void an_source_progress(const an_source *s, uint64_t *done, uint64_t *total);
uint64_t an_source_frames(const an_source *s);

/* ---- pipeline (pipeline.c) ---- */
typedef struct {
  cap_next_status status;   /* END or ERROR */
  char error[NTA_DIAG_MSG_MAX];
  uint64_t frames;
} an_run_result;

/* Reads every datagram from `rd`, verifies with `kr` (threads > 1: one clone per worker) and
 * feeds the report in capture order. */
void an_pipeline_run(an_source *src, const nta_keyring *kr, const an_options *opt, an_report *rep,
                     an_run_result *res);

#endif
