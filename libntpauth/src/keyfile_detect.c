/* keyfile_detect.c - which daemon a keyfile is written for, decided from the whole file.
 *
 * Every line is read by all three readers. A line supports a dialect when that daemon loads a
 * key from it; how much it counts for chrony depends on why chrony takes it (see weigh_line).
 * The dialect most lines support wins; ties go to ntpd over ntpsec over chrony (ntpd-style files are
 * the common case and ntpd and ntpsec read most lines alike). One odd line therefore never flips
 * a file: it is reported and skipped by the chosen reader instead. */
#include "keyfile_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 5

typedef struct {
  unsigned lines[LIST_MAX];
  size_t n, total;
} line_list;

static void list_add(line_list *l, unsigned lineno) {
  if (l->n < LIST_MAX) l->lines[l->n++] = lineno;
  l->total++;
}

static void list_text(const line_list *l, char *out, size_t cap) {
  size_t off = 0;
  out[0] = '\0';
  for (size_t i = 0; i < l->n && off < cap; i++)
    off += (size_t)snprintf(out + off, cap - off, "%s%u", i ? ", " : "", l->lines[i]);
  if (l->total > l->n && off < cap) snprintf(out + off, cap - off, " and %zu more", l->total - l->n);
}

typedef struct {
  long support[4];      /* by nta_dialect */
  line_list family_only, chrony_only;   /* lines only ntpd/ntpsec, only chrony loads */
} evidence;

static void weigh_line(const char *line, size_t line_len, unsigned lineno, evidence *ev,
                       nta_kf_reading *rd) {
  static const nta_dialect all[3] = {NTA_DIALECT_NTPD, NTA_DIALECT_NTPSEC, NTA_DIALECT_CHRONY};
  char chunk[CHRONY_LINE_BUF];
  bool loads[4] = {false}, family_hex = false, prefix = false, family_type_unknown = true;
  for (size_t i = 0; i < 3; i++) {
    size_t pos = 0;
    if (!nta_kf_next_chunk(line, line_len, &pos, nta_kf_bufsize_for(all[i]), chunk)) return;
    nta_kf_reader_for(all[i])(chunk, rd);
    loads[all[i]] = rd->outcome == KF_KEY;
    if (rd->outcome == KF_KEY && all[i] != NTA_DIALECT_CHRONY && rd->hex) family_hex = true;
    if (rd->outcome == KF_KEY && all[i] == NTA_DIALECT_CHRONY)
      prefix = strstr(chunk, "HEX:") || strstr(chunk, "ASCII:");
    if (all[i] != NTA_DIALECT_CHRONY && !(rd->outcome == KF_REFUSED && rd->weak_evidence))
      family_type_unknown = false;
  }
  bool family = loads[NTA_DIALECT_NTPD] || loads[NTA_DIALECT_NTPSEC];
  ev->support[NTA_DIALECT_NTPD] += loads[NTA_DIALECT_NTPD] ? 2 : 0;
  ev->support[NTA_DIALECT_NTPSEC] += loads[NTA_DIALECT_NTPSEC] ? 2 : 0;
  if (loads[NTA_DIALECT_CHRONY])
    /* A prefix, or a type name only chrony knows (AES128, AES256), is chrony's own mark. A line only chrony takes only because it is lenient (key 0,
     * an ID above 65535, two fields, a long key that is no hex) is weak evidence: one such line
     * must not outweigh an ntpd-style line. A long bare hex key is ntpd's, whatever chrony
     * would make of it. */
    ev->support[NTA_DIALECT_CHRONY] += prefix || family_type_unknown ? 3 : !family ? 1
                                       : family_hex ? 0 : 2;
  if (family && !loads[NTA_DIALECT_CHRONY]) list_add(&ev->family_only, lineno);
  if (!family && loads[NTA_DIALECT_CHRONY]) list_add(&ev->chrony_only, lineno);
}

static void report_mixed(const char *name, const evidence *ev, nta_dialect chosen,
                         nta_diags *diags) {
  if (!ev->family_only.total || !ev->chrony_only.total) return;
  char fam[96], chr[96];
  list_text(&ev->family_only, fam, sizeof fam);
  list_text(&ev->chrony_only, chr, sizeof chr);
  nta_diags_add(diags, NTA_DIAG_WARNING,
                "%s: mixed keyfile: %s %s only as ntpd/ntpsec read it, %s %s only as chrony "
                "reads it; reading the whole file as %s (most lines), the other lines are skipped",
                name, ev->family_only.total > 1 ? "lines" : "line", fam,
                ev->chrony_only.total > 1 ? "lines" : "line", chr, nta_dialect_name(chosen));
}

nta_dialect nta_kf_detect(const char *name, const char *text, size_t len, nta_diags *diags) {
  evidence ev;
  memset(&ev, 0, sizeof ev);
  nta_kf_reading *rd = malloc(sizeof *rd);
  if (!rd) return NTA_DIALECT_NTPD;
  nta_kf_lines it = {.text = text ? text : "", .len = text ? len : 0};
  while (nta_kf_next_line(&it)) weigh_line(it.line, it.line_len, it.lineno, &ev, rd);
  memset(rd, 0, sizeof *rd);   /* secrets */
  free(rd);
  nta_dialect d = NTA_DIALECT_NTPD;
  if (ev.support[NTA_DIALECT_NTPSEC] > ev.support[d]) d = NTA_DIALECT_NTPSEC;
  if (ev.support[NTA_DIALECT_CHRONY] > ev.support[d]) d = NTA_DIALECT_CHRONY;
  report_mixed(name, &ev, d, diags);
  return d;
}

nta_dialect nta_keyring_detect_dialect(const char *text, size_t len) {
  return nta_kf_detect("", text, len, NULL);
}
