/* status.c - status names and caller-owned diagnostics. */
#include "ntpauth/status.h"

#include <stdarg.h>
#include <stdio.h>

const char *nta_status_name(nta_status st) {
  switch (st) {
  case NTA_OK: return "ok";
  case NTA_ERR_ARG: return "invalid argument";
  case NTA_ERR_NOMEM: return "out of memory";
  case NTA_ERR_IO: return "I/O error";
  case NTA_ERR_PARSE: return "parse error";
  case NTA_ERR_UNSUPPORTED: return "unsupported";
  case NTA_ERR_RANGE: return "out of range";
  case NTA_ERR_FULL: return "table full";
  }
  return "unknown status";
}

nta_status nta_diag_set(nta_diag *d, nta_status st, const char *fmt, ...) {
  if (!d) return st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(d->msg, sizeof d->msg, fmt, ap);
  va_end(ap);
  return st;
}

void nta_diags_clear(nta_diags *ds) {
  if (!ds) return;
  ds->count = 0;
  ds->dropped = 0;
}

void nta_diags_add(nta_diags *ds, nta_diag_level level, const char *fmt, ...) {
  if (!ds) return;
  if (ds->count >= NTA_DIAGS_MAX) { ds->dropped++; return; }
  nta_diag_entry *e = &ds->entries[ds->count++];
  e->level = level;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
}
