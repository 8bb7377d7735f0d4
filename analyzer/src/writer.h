/* writer.h - the output formats of ntpauth-analyze behind one interface.
 *
 * A writer turns each packet (its record and what pairing said of it) and, at the end, the
 * summary into text, JSONL, JSON or CSV. It appends to the report's output buffer (outbuf.h);
 * the report hands full buffers to an unbuffered stdio stream (one write() per chunk). The
 * per-packet fields of JSON and CSV are described once, in the field table (fields.c). */
#ifndef NTPAUTH_ANALYZE_WRITER_H
#define NTPAUTH_ANALYZE_WRITER_H

#include "analyze.h"
#include "keyaudit.h"
#include "merge.h"
#include "nts.h"
#include "outbuf.h"
#include "stats.h"

/* Where the writers append, and what they need of the options. */
typedef struct {
  outbuf ob;
  FILE *out;
  const an_options *opt;
  bool no_keys;            /* no -k: MAC'd packets are listed, not judged */
  bool first_object;       /* --format json: no comma before the first packet of a part */
  bool first_part;         /* --format json: no comma before the first part */
  bool several;            /* more than one capture, not merged: a heading per capture */
} an_out;

/* Writes ob to out and empties it. */
void an_out_flush(an_out *o);
/* Summary code appends in small pieces: flush well before the buffer could fill. */
void an_out_maybe_flush(an_out *o);

/* What pairing and --merge said of one packet. */
typedef struct {
  const nta_exchange_result *xr;
  const an_sighting *seen;     /* --merge, else NULL */
  const nta_nts_info *nts;     /* an NTS packet (or a request after an NTS NAK), else NULL */
} an_packet_info;

/* The summary of one part of the report: one capture, or all of them merged. */
typedef struct {
  const char *name;            /* the capture; NULL for a single capture or the merged timeline */
  const an_stats *st;
  uint64_t frames;             /* capture records read */
  const char *input_error;     /* why reading stopped early, or NULL */
  const an_nts_part *nts;      /* NTS packets and NTS-KE connections, NULL when none */
  const nta_nts_store *nts_store;   /* the sessions nts's indexes refer to */
} an_summary;

#define AN_MAX_NOTES 4

/* The end of the report, over every capture. */
typedef struct {
  const an_totals *tot;
  size_t keys_loaded;
  const nta_nts_store *nts_store;   /* sessions of --tls-keylog / --nts-dump, or NULL */
  bool trust_list;
  const an_key_group *groups;  /* weak keyfile keys */
  size_t n_groups, groups_omitted;
  const char *notes[AN_MAX_NOTES];   /* plain statements: nothing verified, no NTP, ... */
  size_t n_notes;
  int status;                  /* the exit status */
} an_total;

/* One output format. Calls come in this order: begin; for each part (a capture, or the merged
 * timeline) part_begin, packet..., part_end; end. */
typedef struct {
  void (*begin)(an_out *o);
  void (*part_begin)(an_out *o, const char *name);
  void (*packet)(an_out *o, const an_record *rec, const an_packet_info *pi);
  void (*part_end)(an_out *o, const an_summary *s);
  void (*end)(an_out *o, const an_total *t);
} an_writer;

extern const an_writer an_writer_text, an_writer_jsonl, an_writer_json, an_writer_csv;

/* Text pieces the CSV writer borrows (its summary goes to standard error as text). */
void an_text_part_end(an_out *o, const an_summary *s);
void an_text_end(an_out *o, const an_total *t);

/* The reason shown for a packet: without -k the core reports MAC'd packets as unknown_key,
 * this says why in plain words. */
const char *an_packet_reason(const an_out *o, const an_record *rec, char *tmp, size_t len);

/* The capture an observation's or finding's `capture` index names (--merge). */
const char *an_capture_name(const an_options *opt, uint32_t capture);

/* ---- the per-packet field table (fields.c) ---- */

typedef enum {
  AN_VAL_ABSENT,           /* JSON null or no key (see an_field), empty CSV cell */
  AN_VAL_U64,
  AN_VAL_NAME,             /* a fixed machine name: no escaping needed */
  AN_VAL_TEXT,             /* free text: JSON/CSV escaping */
  AN_VAL_TIME,
  AN_VAL_ADDR,
  AN_VAL_FIXED6,
  AN_VAL_BOOL,
  AN_VAL_HEX,              /* bytes (b, len) as lowercase hex */
  AN_VAL_FINDINGS          /* the packet's findings (the writer formats them its own way) */
} an_value_kind;

typedef struct {
  an_value_kind kind;
  uint64_t u;
  const char *s;
  double d;
  bool b;
  const nta_endpoint *ep;
  int64_t sec;
  uint32_t nsec;
  const uint8_t *bytes;
  size_t len;
} an_value;

/* One packet as the field getters see it. */
typedef struct {
  const an_out *o;
  const an_record *rec;
  const nta_exchange_result *xr;
  const an_sighting *seen;
  const nta_nts_info *nts;
  char tmp[NTA_REASON_MAX];
} an_packet_view;

/* Which runs show a field. */
typedef enum { AN_SHOW_ALWAYS, AN_SHOW_EXPECTED, AN_SHOW_MERGE } an_show;

typedef struct {
  const char *name;        /* JSON key and CSV column */
  bool omit_absent;        /* JSON leaves the key out when absent (else null) */
  an_show show;
  void (*get)(an_packet_view *pv, an_value *v);
} an_field;

extern const an_field an_fields[];
extern const size_t an_n_fields;

/* Where an NTS request's cookie came from: "reply", "nts-ke", "dump" or "unseen" (from an
 * NTS-KE outside the capture). */
const char *an_cookie_source_name(nta_cookie_source s);

/* Whether this run's options show the field (CSV columns and JSON keys stay fixed per run). */
bool an_field_shown(const an_field *f, const an_options *opt);

#endif
