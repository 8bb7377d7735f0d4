/* write_csv.c - CSV (RFC 4180): a header row from the field table, one row per packet. Standard
 * output stays pure CSV: the summary goes to standard error, as text. */
#include "writer.h"

static void csv_begin(an_out *o) {
  for (size_t i = 0; i < an_n_fields; i++) {
    if (i) ob_char(&o->ob, ',');
    ob_str(&o->ob, an_fields[i].name);
  }
  ob_char(&o->ob, '\n');
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
  case AN_VAL_FINDINGS:
    for (unsigned i = 0; i < xr->n_findings; i++) {
      if (i) ob_char(ob, ' ');
      ob_str(ob, nta_finding_name(xr->findings[i].kind));
    }
    break;
  }
}

static void csv_packet(an_out *o, const an_record *rec, const nta_exchange_result *xr) {
  an_packet_view pv = { .o = o, .rec = rec, .xr = xr };
  for (size_t i = 0; i < an_n_fields; i++) {
    an_value v = { .kind = AN_VAL_ABSENT };
    an_fields[i].get(&pv, &v);
    if (i) ob_char(&o->ob, ',');
    csv_value(&o->ob, &v, xr);
  }
  ob_char(&o->ob, '\n');
}

static void csv_summary(an_out *o, const an_summary *s) {
  an_out_flush(o);
  fflush(o->out);
  FILE *saved = o->out;
  o->out = stderr;
  an_writer_text.summary(o, s);
  an_out_flush(o);
  fflush(stderr);
  o->out = saved;
}

const an_writer an_writer_csv = { csv_begin, csv_packet, csv_summary };
