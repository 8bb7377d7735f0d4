/* status.c - status names and caller-owned diagnostics. */
#include "ntpauth/status.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct {
  nta_diag_level level;
  char *msg;
} diag_entry;

struct nta_diags {
  diag_entry *entries;
  size_t count, cap;
  size_t dropped;
};

nta_diags *nta_diags_create(void) { return calloc(1, sizeof(nta_diags)); }

void nta_diags_clear(nta_diags *ds) {
  if (!ds) return;
  for (size_t i = 0; i < ds->count; i++) free(ds->entries[i].msg);
  ds->count = 0;
  ds->dropped = 0;
}

void nta_diags_destroy(nta_diags *ds) {
  if (!ds) return;
  nta_diags_clear(ds);
  free(ds->entries);
  free(ds);
}

/* Makes room for one more entry; false when full or out of memory. */
static bool reserve_one(nta_diags *ds) {
  if (ds->count >= NTA_DIAGS_MAX) return false;
  if (ds->count < ds->cap) return true;
  size_t ncap = ds->cap ? ds->cap * 2 : 16;
  if (ncap > NTA_DIAGS_MAX) ncap = NTA_DIAGS_MAX;
  diag_entry *ne = realloc(ds->entries, ncap * sizeof *ne);
  if (!ne) return false;
  ds->entries = ne;
  ds->cap = ncap;
  return true;
}

void nta_diags_add(nta_diags *ds, nta_diag_level level, const char *fmt, ...) {
  if (!ds) return;
  char buf[NTA_DIAG_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char *msg = reserve_one(ds) ? strdup(buf) : NULL;
  if (!msg) {
    ds->dropped++;
    return;
  }
  ds->entries[ds->count].level = level;
  ds->entries[ds->count].msg = msg;
  ds->count++;
}

size_t nta_diags_count(const nta_diags *ds) { return ds ? ds->count : 0; }
size_t nta_diags_dropped(const nta_diags *ds) { return ds ? ds->dropped : 0; }

nta_diag_level nta_diags_level(const nta_diags *ds, size_t i) {
  return ds && i < ds->count ? ds->entries[i].level : NTA_DIAG_NOTE;
}

const char *nta_diags_msg(const nta_diags *ds, size_t i) {
  return ds && i < ds->count ? ds->entries[i].msg : "";
}

size_t nta_diags_count_at_least(const nta_diags *ds, nta_diag_level level) {
  size_t n = 0;
  for (size_t i = 0; ds && i < ds->count; i++)
    if (ds->entries[i].level >= level) n++;
  return n;
}
