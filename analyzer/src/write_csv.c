/* write_csv.c - CSV (RFC 4180): a header row from the field table, one row per packet. Standard
 * output stays pure CSV: the summary goes to standard error, as text. */
#include "writer.h"

static void csv_begin(an_out *o) {
  bool first = true;
  for (size_t i = 0; i < an_n_fields; i++) {
    if (!an_field_shown(&an_fields[i], o->opt)) continue;
    if (!first) ob_char(&o->ob, ',');
    first = false;
    ob_str(&o->ob, an_fields[i].name);
  }
  ob_char(&o->ob, '\n');
}

static void csv_part_begin(an_out *o, const char *name) {
  (void)o;
  (void)name;
}

static void csv_value(outbuf *ob, const an_value *v, const nta_exchange_result *xr) {
  switch (v->kind) {
  case AN_VAL_ABSENT: break;
  case AN_VAL_U64: ob_u64(ob, v->u); break;
  case AN_VAL_NAME: ob_str(ob, v->s); break;
  case AN_VAL_TEXT: ob_csv_str(ob, v->s); break;
  case AN_VAL_TIME: ob_time(ob, v->sec, v->nsec); break;
  case AN_VAL_ADDR: ob_addr(ob, v->ep); break;
  case AN_VAL_FIXED6: ob_fixed6(ob, v->d, false); break;
  case AN_VAL_BOOL: ob_str(ob, v->b ? "true" : "false"); break;
  case AN_VAL_HEX: ob_hex(ob, v->bytes, v->len); break;
  case AN_VAL_FINDINGS:
    for (unsigned i = 0; i < xr->n_findings; i++) {
      if (i) ob_char(ob, ' ');
      ob_str(ob, nta_finding_name(xr->findings[i].kind));
    }
    break;
  }
}

static void csv_packet(an_out *o, const an_record *rec, const an_packet_info *pi) {
  an_packet_view pv = { .o = o, .rec = rec, .xr = pi->xr, .seen = pi->seen, .nts = pi->nts };
  bool first = true;
  for (size_t i = 0; i < an_n_fields; i++) {
    if (!an_field_shown(&an_fields[i], o->opt)) continue;
    an_value v = { .kind = AN_VAL_ABSENT };
    an_fields[i].get(&pv, &v);
    if (!first) ob_char(&o->ob, ',');
    first = false;
    csv_value(&o->ob, &v, pi->xr);
  }
  ob_char(&o->ob, '\n');
}

/* Runs a text summary writer on standard error. */
static void to_stderr(an_out *o, void (*write)(an_out *, const void *), const void *arg) {
  an_out_flush(o);
  fflush(o->out);
  FILE *saved = o->out;
  o->out = stderr;
  write(o, arg);
  an_out_flush(o);
  fflush(stderr);
  o->out = saved;
}

static void text_part_end(an_out *o, const void *s) { an_text_part_end(o, s); }
static void text_end(an_out *o, const void *t) { an_text_end(o, t); }

static void csv_part_end(an_out *o, const an_summary *s) { to_stderr(o, text_part_end, s); }
static void csv_end(an_out *o, const an_total *t) { to_stderr(o, text_end, t); }

const an_writer an_writer_csv = { csv_begin, csv_part_begin, csv_packet, csv_part_end, csv_end };
