/* report.c - what ntpauth-analyze prints: one line/object per NTP packet, then the summary.
 *
 * Everything kept for the summary lives in fixed tables sized at start-up (keys, host pairs, a
 * list of the first findings), so memory stays flat however long the capture is. The per-packet
 * path formats into a reusable buffer (outbuf.h) and hands it over in large chunks to an
 * unbuffered stdio stream (one write() per chunk, no second copy). */
#include "analyze.h"
#include "outbuf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_SLOTS 1024          /* distinct key IDs counted one by one; more go to "other" */
#define PAIR_SLOTS 4096         /* distinct host pairs counted one by one (power of two) */
#define FINDINGS_KEPT 200       /* findings listed in the summary; the rest are counted */
#define PAIRING_ENTRIES 16384   /* outstanding requests remembered for pairing and replays */
#define PAIRING_MAX_AGE 120     /* seconds of capture time */

typedef struct {
  bool used;
  uint32_t id;
  char alg[24];
  uint64_t packets;
  uint64_t verdicts[NTA_V_COUNT];
} key_stat;

typedef struct {
  bool used;
  uint8_t family;
  uint8_t a[16], b[16];         /* a < b bytewise */
  uint64_t packets, exchanges, trusted;
  bool has_last, last_trusted;
  double last_offset, last_delay;
} pair_stat;

struct an_report {
  const an_options *opt;
  FILE *out;
  outbuf ob;
  nta_exchange *ex;
  bool no_keys;
  size_t keys_loaded;
  bool trust_list;

  uint64_t packets;
  uint64_t verdicts[NTA_V_COUNT];
  uint64_t failures;
  key_stat keys[KEY_SLOTS];
  size_t keys_used;
  uint64_t other_key_packets;
  pair_stat *pairs;             /* PAIR_SLOTS */
  uint32_t *pair_order;         /* slot indexes in first-seen order */
  size_t pairs_used;
  uint64_t other_pair_packets;
  uint64_t exchanges, trusted_exchanges;

  nta_finding *findings;        /* FINDINGS_KEPT */
  size_t n_findings;
  uint64_t findings_total;
  uint64_t finding_counts[NTA_F_COUNT];

  bool first_object;            /* --format json: no comma before the first packet */
  bool flush_each;              /* live capture or a terminal: show every line at once */
  /* The pairing API takes the core's structs: filled from the record's compact facts. */
  nta_packet xpkt;
  nta_verify_result xvr;
};

static const char *const COLOR_RESET = "\033[0m";

static const char *verdict_color(nta_verdict v) {
  switch (v) {
  case NTA_V_GOOD: return "\033[32m";
  case NTA_V_BAD_MAC: case NTA_V_UNKNOWN_KEY: case NTA_V_UNTRUSTED_KEY: return "\033[1;31m";
  case NTA_V_CRYPTO_NAK: case NTA_V_MALFORMED: return "\033[33m";
  case NTA_V_NTS: case NTA_V_MSSNTP: return "\033[36m";
  default: return NULL;
  }
}

static void flush_ob(an_report *rep) {
  if (rep->ob.len) fwrite_unlocked(rep->ob.buf, 1, rep->ob.len, rep->out);
  ob_reset(&rep->ob);
}

/* Summary code appends in small pieces: flush well before the buffer could fill. */
static void maybe_flush(an_report *rep) {
  if (rep->ob.len > OB_CAP / 2) flush_ob(rep);
}

static void record_finding(an_report *rep, const nta_finding *f) {
  rep->findings_total++;
  if ((unsigned)f->kind < NTA_F_COUNT) rep->finding_counts[f->kind]++;
  if (rep->n_findings < FINDINGS_KEPT) rep->findings[rep->n_findings++] = *f;
}

/* Findings that repeat (e.g. one KoD per reply of a burst) are listed once with their frames. */
static bool same_finding(const nta_finding *a, const nta_finding *b) {
  return a->kind == b->kind && (a->frame == 0) == (b->frame == 0) && strcmp(a->text, b->text) == 0;
}

/* Marks every kept finding equal to findings[first] as listed; returns how many there are. */
static size_t mark_same_findings(an_report *rep, size_t first, bool *listed) {
  size_t times = 0;
  for (size_t j = first; j < rep->n_findings; j++) {
    if (!listed[j] && same_finding(&rep->findings[first], &rep->findings[j])) {
      listed[j] = true;
      times++;
    }
  }
  return times;
}

/* "46-54, 59, 61-62, ..." for the frames of the findings equal to findings[first]. */
static void write_frame_ranges(outbuf *ob, const an_report *rep, size_t first) {
  enum { MAX_RANGES = 8 };
  unsigned ranges = 0;
  uint64_t start = 0, prev = 0;
  for (size_t j = first; j <= rep->n_findings; j++) {
    bool end = j == rep->n_findings;
    if (!end && !same_finding(&rep->findings[first], &rep->findings[j])) continue;
    uint64_t fr = end ? 0 : rep->findings[j].frame;
    if (start && !end && fr == prev + 1) { prev = fr; continue; }
    if (start) {
      if (ranges < MAX_RANGES) {
        if (ranges) OB_LIT(ob, ", ");
        ob_u64(ob, start);
        if (prev != start) { ob_char(ob, '-'); ob_u64(ob, prev); }
      } else if (ranges == MAX_RANGES) {
        OB_LIT(ob, ", ...");
      }
      ranges++;
    }
    start = prev = fr;
  }
}

an_report *an_report_create(const an_options *opt, FILE *out, const nta_keyring *kr) {
  an_report *rep = calloc(1, sizeof *rep);
  if (!rep) return NULL;
  rep->opt = opt;
  rep->out = out;
  rep->pairs = calloc(PAIR_SLOTS, sizeof *rep->pairs);
  rep->pair_order = calloc(PAIR_SLOTS, sizeof *rep->pair_order);
  rep->findings = calloc(FINDINGS_KEPT, sizeof *rep->findings);
  rep->ex = nta_exchange_create(PAIRING_ENTRIES, PAIRING_MAX_AGE);
  if (!rep->pairs || !rep->pair_order || !rep->findings || !rep->ex) {
    an_report_destroy(rep);
    return NULL;
  }
  /* Output leaves in whole outbuf chunks (tens of KiB): an unbuffered stream writes each one
   * straight from the outbuf, where a stdio buffer would copy every byte once more. */
  fflush(out);
  setvbuf(out, NULL, _IONBF, 0);
  rep->no_keys = kr == NULL;
  rep->keys_loaded = nta_keyring_count(kr);
  rep->trust_list = nta_keyring_has_trust_list(kr);
  rep->first_object = true;
  rep->flush_each = opt->iface != NULL || isatty(fileno(out));

  nta_finding weak[64];
  size_t n = nta_exchange_audit_keys(kr, weak, 64);
  for (size_t i = 0; i < n; i++) record_finding(rep, &weak[i]);

  if (opt->format == AN_FMT_CSV) {
    OB_LIT(&rep->ob, "frame,time,src,sport,dst,dport,version,mode,stratum,key_id,mac_len,"
                     "algorithm,verdict,reason,request_frame,offset,delay,timing_trusted,findings\n");
  } else if (opt->format == AN_FMT_JSON) {
    OB_LIT(&rep->ob, "{\"packets\":[");
  }
  flush_ob(rep);
  return rep;
}

void an_report_destroy(an_report *rep) {
  if (!rep) return;
  if (rep->out) fflush(rep->out);
  nta_exchange_destroy(rep->ex);
  free(rep->pairs);
  free(rep->pair_order);
  free(rep->findings);
  free(rep);
}

/* ---- counters ---- */

static void count_key(an_report *rep, const an_record *rec) {
  const an_verdict_facts *vr = &rec->vr;
  if (!vr->has_key_id || vr->verdict == NTA_V_CRYPTO_NAK) return;
  size_t p = (vr->key_id * 2654435761u) & (KEY_SLOTS - 1);
  for (size_t i = 0; i < KEY_SLOTS; i++, p = (p + 1) & (KEY_SLOTS - 1)) {
    key_stat *k = &rep->keys[p];
    if (!k->used) {
      if (rep->keys_used >= KEY_SLOTS - KEY_SLOTS / 8) break;
      k->used = true;
      k->id = vr->key_id;
      rep->keys_used++;
    }
    if (k->id != vr->key_id) continue;
    if (!k->alg[0] && vr->algorithm) snprintf(k->alg, sizeof k->alg, "%s", vr->algorithm);
    k->packets++;
    k->verdicts[vr->verdict]++;
    return;
  }
  rep->other_key_packets++;
}

/* Address bytes as two words (IPv4: the first 4 bytes, the rest zero), for hashing and
 * comparing without byte loops or memcmp calls: this runs for every packet. */
typedef struct {
  uint64_t w0, w1;
} addr_words;

static addr_words addr_words_of(const nta_endpoint *ep) {
  addr_words a = { 0, 0 };
  if (ep->family == 6) {
    memcpy(&a.w0, ep->addr, 8);
    memcpy(&a.w1, ep->addr + 8, 8);
  } else {
    uint32_t v4;
    memcpy(&v4, ep->addr, 4);
    a.w0 = v4;
  }
  return a;
}

static addr_words stored_words(const uint8_t *addr, size_t alen) {
  addr_words a = { 0, 0 };
  if (alen == 16) {
    memcpy(&a.w0, addr, 8);
    memcpy(&a.w1, addr + 8, 8);
  } else {
    uint32_t v4;
    memcpy(&v4, addr, 4);
    a.w0 = v4;
  }
  return a;
}

static bool words_equal(addr_words x, addr_words y) {
  return ((x.w0 ^ y.w0) | (x.w1 ^ y.w1)) == 0;
}

/* memcmp(x, y, alen) > 0; IPv4 as one big-endian number. */
static bool addr_greater(const nta_endpoint *x, const nta_endpoint *y, size_t alen) {
  if (alen == 4) {
    uint32_t a, b;
    memcpy(&a, x->addr, 4);
    memcpy(&b, y->addr, 4);
    return __builtin_bswap32(a) > __builtin_bswap32(b);
  }
  return memcmp(x->addr, y->addr, alen) > 0;
}

static pair_stat *find_pair(an_report *rep, const nta_endpoint *x, const nta_endpoint *y) {
  size_t alen = x->family == 6 ? 16 : 4;
  const nta_endpoint *lo = x, *hi = y;
  if (x->family != y->family) return NULL;
  if (addr_greater(x, y, alen)) { lo = y; hi = x; }
  addr_words la = addr_words_of(lo), ha = addr_words_of(hi);
  /* Which slot a pair lands in never shows in the output (pairs are listed in first-seen
   * order), so any good mix will do. */
  /* Independent multiplies (short latency); the top bits of their sum are well mixed. */
  uint64_t h = la.w0 * 0xbf58476d1ce4e5b9ULL + ha.w0 * 0x94d049bb133111ebULL +
               la.w1 * 0xc2b2ae3d27d4eb4fULL + ha.w1 * 0x165667b19e3779f9ULL + x->family;
  size_t p = (size_t)(h >> 40) & (PAIR_SLOTS - 1);
  for (size_t i = 0; i < PAIR_SLOTS; i++, p = (p + 1) & (PAIR_SLOTS - 1)) {
    pair_stat *s = &rep->pairs[p];
    if (!s->used) {
      if (rep->pairs_used >= PAIR_SLOTS - PAIR_SLOTS / 8) return NULL;
      s->used = true;
      s->family = x->family;
      memcpy(s->a, lo->addr, alen);
      memcpy(s->b, hi->addr, alen);
      rep->pair_order[rep->pairs_used++] = (uint32_t)p;
      return s;
    }
    if (s->family == x->family && words_equal(stored_words(s->a, alen), la) &&
        words_equal(stored_words(s->b, alen), ha))
      return s;
  }
  return NULL;
}

static void count_packet(an_report *rep, const an_record *rec, const nta_exchange_result *xr) {
  rep->packets++;
  rep->verdicts[rec->vr.verdict]++;
  if (nta_verdict_is_failure(rec->vr.verdict) &&
      !(rep->no_keys && rec->vr.verdict == NTA_V_UNKNOWN_KEY))
    rep->failures++;
  count_key(rep, rec);
  pair_stat *ps = find_pair(rep, &rec->src, &rec->dst);
  if (ps) ps->packets++;
  else rep->other_pair_packets++;
  if (xr->matched && xr->has_timing) {
    rep->exchanges++;
    if (xr->timing_trusted) rep->trusted_exchanges++;
    if (ps) {
      ps->exchanges++;
      if (xr->timing_trusted) ps->trusted++;
      ps->has_last = true;
      ps->last_offset = xr->offset;
      ps->last_delay = xr->delay;
      ps->last_trusted = xr->timing_trusted;
    }
  }
  for (unsigned i = 0; i < xr->n_findings; i++) record_finding(rep, &xr->findings[i]);
}

/* ---- per-packet output ---- */

/* Without -k the core reports MAC'd packets as unknown_key; say why in plain words. */
static const char *packet_reason(const an_report *rep, const an_record *rec, char *tmp, size_t len) {
  if (rep->no_keys && rec->vr.verdict == NTA_V_UNKNOWN_KEY && rec->vr.has_key_id) {
    snprintf(tmp, len, "no keys loaded (key %" PRIu32 ", %u-byte MAC)", rec->vr.key_id,
             (unsigned)rec->vr.digest_len);
    return tmp;
  }
  return rec->vr.reason;
}

static void text_line(an_report *rep, const an_record *rec, const nta_exchange_result *xr) {
  outbuf *ob = &rep->ob;
  const an_verdict_facts *vr = &rec->vr;
  bool color = rep->opt->color;
  char tmp[NTA_REASON_MAX];
  ob_u64(ob, rec->frame);
  ob_char(ob, ' ');
  ob_time(ob, rec->ts_sec, rec->ts_nsec);
  ob_char(ob, ' ');
  ob_addr_port(ob, &rec->src);
  OB_LIT(ob, " -> ");
  ob_addr_port(ob, &rec->dst);
  OB_LIT(ob, " v");
  ob_u64(ob, rec->pkt.version);
  ob_char(ob, ' ');
  ob_str(ob, nta_mode_name(rec->pkt.mode));
  if (vr->has_key_id && vr->verdict != NTA_V_CRYPTO_NAK) {
    OB_LIT(ob, " key ");
    ob_u64(ob, vr->key_id);
    ob_char(ob, ' ');
    ob_str(ob, vr->algorithm ? vr->algorithm : "?");
    ob_char(ob, '/');
    ob_u64(ob, vr->digest_len);
  } else {
    OB_LIT(ob, " -");
  }
  ob_char(ob, ' ');
  const char *c = color ? verdict_color(vr->verdict) : NULL;
  if (c) ob_str(ob, c);
  ob_str(ob, nta_verdict_name(vr->verdict));
  if (c) ob_str(ob, COLOR_RESET);
  if (vr->verdict != NTA_V_GOOD) {
    OB_LIT(ob, " (");
    ob_str(ob, packet_reason(rep, rec, tmp, sizeof tmp));
    ob_char(ob, ')');
  }
  if (xr->matched) {
    OB_LIT(ob, " [reply to ");
    ob_u64(ob, xr->request_frame);
    if (xr->has_timing) {
      OB_LIT(ob, ", offset ");
      ob_fixed6(ob, xr->offset, true);
      OB_LIT(ob, " s, delay ");
      ob_fixed6(ob, xr->delay, false);
      OB_LIT(ob, " s, ");
      if (xr->timing_trusted) OB_LIT(ob, "trusted");
      else OB_LIT(ob, "untrusted");
    }
    ob_char(ob, ']');
  }
  for (unsigned i = 0; i < xr->n_findings; i++) {
    OB_LIT(ob, " !");
    if (color) OB_LIT(ob, "\033[35m");
    ob_str(ob, nta_finding_name(xr->findings[i].kind));
    if (color) ob_str(ob, COLOR_RESET);
  }
  ob_char(ob, '\n');
}

static void json_findings(outbuf *ob, const nta_exchange_result *xr) {
  OB_LIT(ob, ",\"findings\":[");
  for (unsigned i = 0; i < xr->n_findings; i++) {
    const nta_finding *f = &xr->findings[i];
    if (i) ob_char(ob, ',');
    OB_LIT(ob, "{\"kind\":\"");
    ob_str(ob, nta_finding_name(f->kind));
    OB_LIT(ob, "\",\"text\":");
    ob_json_str(ob, f->text);
    if (f->related_frame) {
      OB_LIT(ob, ",\"related_frame\":");
      ob_u64(ob, f->related_frame);
    }
    ob_char(ob, '}');
  }
  ob_char(ob, ']');
}

static void json_object(an_report *rep, const an_record *rec, const nta_exchange_result *xr) {
  outbuf *ob = &rep->ob;
  const an_verdict_facts *vr = &rec->vr;
  char tmp[NTA_REASON_MAX];
  OB_LIT(ob, "{\"frame\":");
  ob_u64(ob, rec->frame);
  OB_LIT(ob, ",\"time\":\"");
  ob_time(ob, rec->ts_sec, rec->ts_nsec);
  OB_LIT(ob, "\",\"src\":\"");
  ob_addr(ob, &rec->src);
  OB_LIT(ob, "\",\"sport\":");
  ob_u64(ob, rec->src.port);
  OB_LIT(ob, ",\"dst\":\"");
  ob_addr(ob, &rec->dst);
  OB_LIT(ob, "\",\"dport\":");
  ob_u64(ob, rec->dst.port);
  OB_LIT(ob, ",\"version\":");
  ob_u64(ob, rec->pkt.version);
  OB_LIT(ob, ",\"mode\":");
  ob_u64(ob, rec->pkt.mode);
  OB_LIT(ob, ",\"stratum\":");
  ob_u64(ob, rec->pkt.stratum);
  if (vr->has_key_id) {
    OB_LIT(ob, ",\"key_id\":");
    ob_u64(ob, vr->key_id);
    OB_LIT(ob, ",\"mac_len\":");
    ob_u64(ob, vr->digest_len);
  } else {
    OB_LIT(ob, ",\"key_id\":null,\"mac_len\":null");
  }
  OB_LIT(ob, ",\"algorithm\":");
  if (vr->algorithm) ob_json_str(ob, vr->algorithm);
  else OB_LIT(ob, "null");
  OB_LIT(ob, ",\"verdict\":\"");
  ob_str(ob, nta_verdict_name(vr->verdict));
  OB_LIT(ob, "\",\"reason\":");
  ob_json_str(ob, packet_reason(rep, rec, tmp, sizeof tmp));
  if (xr->matched) {
    OB_LIT(ob, ",\"request_frame\":");
    ob_u64(ob, xr->request_frame);
    if (xr->has_timing) {
      OB_LIT(ob, ",\"offset\":");
      ob_fixed6(ob, xr->offset, false);
      OB_LIT(ob, ",\"delay\":");
      ob_fixed6(ob, xr->delay, false);
      OB_LIT(ob, ",\"timing_trusted\":");
      if (xr->timing_trusted) OB_LIT(ob, "true");
      else OB_LIT(ob, "false");
    }
  }
  if (xr->n_findings) json_findings(ob, xr);
  ob_char(ob, '}');
}

static void csv_row(an_report *rep, const an_record *rec, const nta_exchange_result *xr) {
  outbuf *ob = &rep->ob;
  const an_verdict_facts *vr = &rec->vr;
  char tmp[NTA_REASON_MAX];
  ob_u64(ob, rec->frame);
  ob_char(ob, ',');
  ob_time(ob, rec->ts_sec, rec->ts_nsec);
  ob_char(ob, ',');
  ob_addr(ob, &rec->src);
  ob_char(ob, ',');
  ob_u64(ob, rec->src.port);
  ob_char(ob, ',');
  ob_addr(ob, &rec->dst);
  ob_char(ob, ',');
  ob_u64(ob, rec->dst.port);
  ob_char(ob, ',');
  ob_u64(ob, rec->pkt.version);
  ob_char(ob, ',');
  ob_u64(ob, rec->pkt.mode);
  ob_char(ob, ',');
  ob_u64(ob, rec->pkt.stratum);
  ob_char(ob, ',');
  if (vr->has_key_id) ob_u64(ob, vr->key_id);
  ob_char(ob, ',');
  if (vr->has_key_id) ob_u64(ob, vr->digest_len);
  ob_char(ob, ',');
  if (vr->algorithm) ob_csv_str(ob, vr->algorithm);
  ob_char(ob, ',');
  ob_str(ob, nta_verdict_name(vr->verdict));
  ob_char(ob, ',');
  ob_csv_str(ob, packet_reason(rep, rec, tmp, sizeof tmp));
  ob_char(ob, ',');
  if (xr->matched) ob_u64(ob, xr->request_frame);
  ob_char(ob, ',');
  if (xr->matched && xr->has_timing) ob_fixed6(ob, xr->offset, false);
  ob_char(ob, ',');
  if (xr->matched && xr->has_timing) ob_fixed6(ob, xr->delay, false);
  ob_char(ob, ',');
  if (xr->matched && xr->has_timing) ob_str(ob, xr->timing_trusted ? "true" : "false");
  ob_char(ob, ',');
  for (unsigned i = 0; i < xr->n_findings; i++) {
    if (i) ob_char(ob, ' ');
    ob_str(ob, nta_finding_name(xr->findings[i].kind));
  }
  ob_char(ob, '\n');
}

void an_report_packet(an_report *rep, const an_record *rec) {
  nta_packet *xp = &rep->xpkt;
  nta_verify_result *xv = &rep->xvr;
  xp->header_ok = rec->pkt.header_ok;
  xp->state = rec->vr.verdict == NTA_V_MALFORMED ? NTA_PKT_MALFORMED : NTA_PKT_OK;
  xp->li = rec->pkt.li;
  xp->version = rec->pkt.version;
  xp->mode = rec->pkt.mode;
  xp->stratum = rec->pkt.stratum;
  xp->refid = rec->pkt.refid;
  xp->org_ts = rec->pkt.org_ts;
  xp->rec_ts = rec->pkt.rec_ts;
  xp->xmt_ts = rec->pkt.xmt_ts;
  xv->verdict = rec->vr.verdict;
  xv->has_key_id = rec->vr.has_key_id;
  xv->key_id = rec->vr.key_id;
  xv->digest_len = rec->vr.digest_len;
  xv->algorithm = rec->vr.algorithm;
  nta_observation obs = {
    .frame = rec->frame, .time_sec = rec->ts_sec, .time_nsec = rec->ts_nsec,
    .src = rec->src, .dst = rec->dst, .pkt = xp, .vr = xv,
  };
  nta_exchange_result xr;
  nta_exchange_observe(rep->ex, &obs, &xr);
  count_packet(rep, rec, &xr);
  if (rep->opt->quiet) return;
  switch (rep->opt->format) {
  case AN_FMT_TEXT:
    text_line(rep, rec, &xr);
    break;
  case AN_FMT_JSONL:
    json_object(rep, rec, &xr);
    ob_char(&rep->ob, '\n');
    break;
  case AN_FMT_JSON:
    ob_mem(&rep->ob, rep->first_object ? "\n" : ",\n", rep->first_object ? 1 : 2);
    rep->first_object = false;
    json_object(rep, rec, &xr);
    break;
  case AN_FMT_CSV:
    csv_row(rep, rec, &xr);
    break;
  }
  if (rep->flush_each) {
    flush_ob(rep);
    fflush(rep->out);
  } else if (rep->ob.len >= OB_FLUSH_AT) {
    flush_ob(rep);
  }
}

/* ---- summary ---- */

static int cmp_key_slot(const void *a, const void *b) {
  const key_stat *x = *(const key_stat *const *)a, *y = *(const key_stat *const *)b;
  return x->id < y->id ? -1 : x->id > y->id;
}

/* Keys sorted by ID. Returns the count; `out` has KEY_SLOTS entries. */
static size_t sorted_keys(an_report *rep, const key_stat **out) {
  size_t n = 0;
  for (size_t i = 0; i < KEY_SLOTS; i++)
    if (rep->keys[i].used) out[n++] = &rep->keys[i];
  qsort(out, n, sizeof *out, cmp_key_slot);
  return n;
}

static void pair_addr(const pair_stat *ps, const uint8_t *addr, nta_endpoint *ep) {
  memset(ep, 0, sizeof *ep);
  ep->family = ps->family;
  memcpy(ep->addr, addr, 16);
}

static void text_summary(an_report *rep, const char *input_error, uint64_t frames, int status) {
  outbuf *ob = &rep->ob;
  bool color = rep->opt->color;
  if (!rep->opt->quiet) ob_char(ob, '\n');
  OB_LIT(ob, "Summary: ");
  ob_u64(ob, frames);
  OB_LIT(ob, " frames, ");
  ob_u64(ob, rep->packets);
  OB_LIT(ob, " NTP packets\n");
  if (rep->no_keys)
    OB_LIT(ob, "Keys: none loaded (-k): MAC'd packets are listed with key ID and MAC length\n");
  else {
    OB_LIT(ob, "Keys: ");
    ob_u64(ob, rep->keys_loaded);
    OB_LIT(ob, " loaded, ");
    if (rep->trust_list) OB_LIT(ob, "trust list applied\n");
    else OB_LIT(ob, "all trusted (no trust list)\n");
  }
  OB_LIT(ob, "Verdicts:");
  for (int v = 0; v < NTA_V_COUNT; v++) {
    OB_LIT(ob, " ");
    ob_str(ob, nta_verdict_name((nta_verdict)v));
    ob_char(ob, ' ');
    ob_u64(ob, rep->verdicts[v]);
  }
  ob_char(ob, '\n');

  const key_stat **keys = malloc(KEY_SLOTS * sizeof *keys);
  size_t nk = keys ? sorted_keys(rep, keys) : 0;
  OB_LIT(ob, "Per key:");
  if (nk == 0 && rep->other_key_packets == 0) OB_LIT(ob, " none");
  ob_char(ob, '\n');
  for (size_t i = 0; i < nk; i++) {
    OB_LIT(ob, "  key ");
    ob_u64(ob, keys[i]->id);
    OB_LIT(ob, " (");
    ob_str(ob, keys[i]->alg[0] ? keys[i]->alg : "?");
    OB_LIT(ob, "): ");
    ob_u64(ob, keys[i]->packets);
    OB_LIT(ob, " packets:");
    for (int v = 0; v < NTA_V_COUNT; v++) {
      if (!keys[i]->verdicts[v]) continue;
      ob_char(ob, ' ');
      ob_str(ob, nta_verdict_name((nta_verdict)v));
      ob_char(ob, ' ');
      ob_u64(ob, keys[i]->verdicts[v]);
    }
    ob_char(ob, '\n');
    maybe_flush(rep);
  }
  if (rep->other_key_packets) {
    OB_LIT(ob, "  other keys (table full): ");
    ob_u64(ob, rep->other_key_packets);
    OB_LIT(ob, " packets\n");
  }
  free(keys);

  OB_LIT(ob, "Host pairs:");
  if (rep->pairs_used == 0) OB_LIT(ob, " none");
  ob_char(ob, '\n');
  for (size_t i = 0; i < rep->pairs_used; i++) {
    const pair_stat *ps = &rep->pairs[rep->pair_order[i]];
    nta_endpoint a, b;
    pair_addr(ps, ps->a, &a);
    pair_addr(ps, ps->b, &b);
    OB_LIT(ob, "  ");
    ob_addr(ob, &a);
    OB_LIT(ob, " <-> ");
    ob_addr(ob, &b);
    OB_LIT(ob, ": ");
    ob_u64(ob, ps->packets);
    OB_LIT(ob, " packets, ");
    ob_u64(ob, ps->exchanges);
    OB_LIT(ob, " exchanges (");
    ob_u64(ob, ps->trusted);
    OB_LIT(ob, " trusted)");
    if (ps->has_last) {
      OB_LIT(ob, ", last offset ");
      ob_fixed6(ob, ps->last_offset, true);
      OB_LIT(ob, " s delay ");
      ob_fixed6(ob, ps->last_delay, false);
      OB_LIT(ob, " s ");
      ob_str(ob, ps->last_trusted ? "(trusted)" : "(untrusted: not verified both ways)");
    }
    ob_char(ob, '\n');
    maybe_flush(rep);
  }
  if (rep->other_pair_packets) {
    OB_LIT(ob, "  other pairs (table full): ");
    ob_u64(ob, rep->other_pair_packets);
    OB_LIT(ob, " packets\n");
  }
  OB_LIT(ob, "Exchanges: ");
  ob_u64(ob, rep->exchanges);
  OB_LIT(ob, " completed, ");
  ob_u64(ob, rep->trusted_exchanges);
  OB_LIT(ob, " trusted (both directions verified)\n");

  OB_LIT(ob, "Findings: ");
  ob_u64(ob, rep->findings_total);
  if (rep->findings_total) {
    OB_LIT(ob, " (");
    bool first = true;
    for (int k = 0; k < NTA_F_COUNT; k++) {
      if (!rep->finding_counts[k]) continue;
      if (!first) OB_LIT(ob, ", ");
      first = false;
      ob_str(ob, nta_finding_name((nta_finding_kind)k));
      ob_char(ob, ' ');
      ob_u64(ob, rep->finding_counts[k]);
    }
    ob_char(ob, ')');
  }
  ob_char(ob, '\n');
  bool listed[FINDINGS_KEPT] = {false};
  for (size_t i = 0; i < rep->n_findings; i++) {
    if (listed[i]) continue;
    const nta_finding *f = &rep->findings[i];
    size_t times = mark_same_findings(rep, i, listed);
    if (!f->frame) {
      OB_LIT(ob, "  keyfile");
    } else if (times == 1) {
      OB_LIT(ob, "  frame ");
      ob_u64(ob, f->frame);
    } else {
      OB_LIT(ob, "  frames ");
      write_frame_ranges(ob, rep, i);
    }
    OB_LIT(ob, ": ");
    if (color) OB_LIT(ob, "\033[35m");
    ob_str(ob, nta_finding_name(f->kind));
    if (color) ob_str(ob, COLOR_RESET);
    OB_LIT(ob, ": ");
    ob_str(ob, f->text);
    if (times > 1) {
      OB_LIT(ob, " (");
      ob_u64(ob, times);
      OB_LIT(ob, " times)");
    }
    ob_char(ob, '\n');
    maybe_flush(rep);
  }
  if (rep->findings_total > rep->n_findings) {
    OB_LIT(ob, "  ... ");
    ob_u64(ob, rep->findings_total - rep->n_findings);
    OB_LIT(ob, " more\n");
  }
  if (input_error) {
    OB_LIT(ob, "Input error: ");
    ob_str(ob, input_error);
    ob_char(ob, '\n');
  }
  OB_LIT(ob, "Result: ");
  if (status == AN_EXIT_ERROR) OB_LIT(ob, "input error, ");
  ob_u64(ob, rep->failures);
  OB_LIT(ob, " packets failed verification (exit ");
  ob_u64(ob, (uint64_t)status);
  OB_LIT(ob, ")\n");
  flush_ob(rep);
}

static void json_summary(an_report *rep, const char *input_error, uint64_t frames, int status) {
  outbuf *ob = &rep->ob;
  OB_LIT(ob, "{\"frames\":");
  ob_u64(ob, frames);
  OB_LIT(ob, ",\"packets\":");
  ob_u64(ob, rep->packets);
  OB_LIT(ob, ",\"keys_loaded\":");
  if (rep->no_keys) OB_LIT(ob, "null");
  else ob_u64(ob, rep->keys_loaded);
  OB_LIT(ob, ",\"trust_list\":");
  ob_str(ob, rep->trust_list ? "true" : "false");
  OB_LIT(ob, ",\"verdicts\":{");
  for (int v = 0; v < NTA_V_COUNT; v++) {
    if (v) ob_char(ob, ',');
    ob_char(ob, '"');
    ob_str(ob, nta_verdict_name((nta_verdict)v));
    OB_LIT(ob, "\":");
    ob_u64(ob, rep->verdicts[v]);
  }
  OB_LIT(ob, "},\"failed\":");
  ob_u64(ob, rep->failures);

  OB_LIT(ob, ",\"keys\":[");
  const key_stat **keys = malloc(KEY_SLOTS * sizeof *keys);
  size_t nk = keys ? sorted_keys(rep, keys) : 0;
  for (size_t i = 0; i < nk; i++) {
    if (i) ob_char(ob, ',');
    OB_LIT(ob, "{\"key_id\":");
    ob_u64(ob, keys[i]->id);
    OB_LIT(ob, ",\"algorithm\":");
    if (keys[i]->alg[0]) ob_json_str(ob, keys[i]->alg);
    else OB_LIT(ob, "null");
    OB_LIT(ob, ",\"packets\":");
    ob_u64(ob, keys[i]->packets);
    OB_LIT(ob, ",\"verdicts\":{");
    bool first = true;
    for (int v = 0; v < NTA_V_COUNT; v++) {
      if (!keys[i]->verdicts[v]) continue;
      if (!first) ob_char(ob, ',');
      first = false;
      ob_char(ob, '"');
      ob_str(ob, nta_verdict_name((nta_verdict)v));
      OB_LIT(ob, "\":");
      ob_u64(ob, keys[i]->verdicts[v]);
    }
    OB_LIT(ob, "}}");
    maybe_flush(rep);
  }
  free(keys);
  OB_LIT(ob, "],\"other_key_packets\":");
  ob_u64(ob, rep->other_key_packets);

  OB_LIT(ob, ",\"host_pairs\":[");
  for (size_t i = 0; i < rep->pairs_used; i++) {
    const pair_stat *ps = &rep->pairs[rep->pair_order[i]];
    nta_endpoint a, b;
    pair_addr(ps, ps->a, &a);
    pair_addr(ps, ps->b, &b);
    if (i) ob_char(ob, ',');
    OB_LIT(ob, "{\"a\":\"");
    ob_addr(ob, &a);
    OB_LIT(ob, "\",\"b\":\"");
    ob_addr(ob, &b);
    OB_LIT(ob, "\",\"packets\":");
    ob_u64(ob, ps->packets);
    OB_LIT(ob, ",\"exchanges\":");
    ob_u64(ob, ps->exchanges);
    OB_LIT(ob, ",\"trusted_exchanges\":");
    ob_u64(ob, ps->trusted);
    if (ps->has_last) {
      OB_LIT(ob, ",\"last_offset\":");
      ob_fixed6(ob, ps->last_offset, false);
      OB_LIT(ob, ",\"last_delay\":");
      ob_fixed6(ob, ps->last_delay, false);
      OB_LIT(ob, ",\"last_trusted\":");
      ob_str(ob, ps->last_trusted ? "true" : "false");
    }
    ob_char(ob, '}');
    maybe_flush(rep);
  }
  OB_LIT(ob, "],\"other_pair_packets\":");
  ob_u64(ob, rep->other_pair_packets);
  OB_LIT(ob, ",\"exchanges\":{\"completed\":");
  ob_u64(ob, rep->exchanges);
  OB_LIT(ob, ",\"trusted\":");
  ob_u64(ob, rep->trusted_exchanges);
  OB_LIT(ob, "},\"finding_counts\":{");
  for (int k = 0; k < NTA_F_COUNT; k++) {
    if (k) ob_char(ob, ',');
    ob_char(ob, '"');
    ob_str(ob, nta_finding_name((nta_finding_kind)k));
    OB_LIT(ob, "\":");
    ob_u64(ob, rep->finding_counts[k]);
  }
  OB_LIT(ob, "},\"findings\":[");
  for (size_t i = 0; i < rep->n_findings; i++) {
    const nta_finding *f = &rep->findings[i];
    if (i) ob_char(ob, ',');
    OB_LIT(ob, "{\"kind\":\"");
    ob_str(ob, nta_finding_name(f->kind));
    OB_LIT(ob, "\",\"frame\":");
    if (f->frame) ob_u64(ob, f->frame);
    else OB_LIT(ob, "null");
    OB_LIT(ob, ",\"related_frame\":");
    if (f->related_frame) ob_u64(ob, f->related_frame);
    else OB_LIT(ob, "null");
    OB_LIT(ob, ",\"key_id\":");
    if (f->key_id) ob_u64(ob, f->key_id);
    else OB_LIT(ob, "null");
    OB_LIT(ob, ",\"text\":");
    ob_json_str(ob, f->text);
    ob_char(ob, '}');
    maybe_flush(rep);
  }
  OB_LIT(ob, "],\"findings_omitted\":");
  ob_u64(ob, rep->findings_total - rep->n_findings);
  OB_LIT(ob, ",\"input_error\":");
  if (input_error) ob_json_str(ob, input_error);
  else OB_LIT(ob, "null");
  OB_LIT(ob, ",\"exit_status\":");
  ob_u64(ob, (uint64_t)status);
  ob_char(ob, '}');
}

int an_report_finish(an_report *rep, const char *input_error, uint64_t frames) {
  int status = input_error ? AN_EXIT_ERROR : rep->failures ? AN_EXIT_FAILED : AN_EXIT_OK;
  switch (rep->opt->format) {
  case AN_FMT_TEXT:
    text_summary(rep, input_error, frames, status);
    break;
  case AN_FMT_JSONL:
    OB_LIT(&rep->ob, "{\"summary\":");
    json_summary(rep, input_error, frames, status);
    OB_LIT(&rep->ob, "}\n");
    break;
  case AN_FMT_JSON:
    ob_str(&rep->ob, rep->first_object ? "],\n\"summary\":" : "\n],\n\"summary\":");
    json_summary(rep, input_error, frames, status);
    OB_LIT(&rep->ob, "}\n");
    break;
  case AN_FMT_CSV: {
    /* Standard output stays pure CSV: the summary goes to standard error. */
    flush_ob(rep);
    fflush(rep->out);
    FILE *saved = rep->out;
    rep->out = stderr;
    text_summary(rep, input_error, frames, status);
    fflush(stderr);
    rep->out = saved;
    break;
  }
  }
  flush_ob(rep);
  fflush(rep->out);
  return status;
}
