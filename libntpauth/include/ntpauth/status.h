/* ntpauth/status.h - status codes and caller-owned diagnostics.
 *
 * Library code never prints and never exits: it returns an nta_status and, where a caller wants
 * details, fills an nta_diag (one message) or an nta_diags list (file:line messages). */
#ifndef NTPAUTH_STATUS_H
#define NTPAUTH_STATUS_H

#include <stddef.h>

typedef enum {
  NTA_OK = 0,
  NTA_ERR_ARG,         /* caller passed something invalid */
  NTA_ERR_NOMEM,
  NTA_ERR_IO,          /* file missing, unreadable, ... (message names the path) */
  NTA_ERR_PARSE,       /* input text/bytes do not follow the format */
  NTA_ERR_UNSUPPORTED, /* algorithm or feature not available */
  NTA_ERR_RANGE,       /* value out of the allowed range */
  NTA_ERR_FULL         /* a fixed-size table is full */
} nta_status;

const char *nta_status_name(nta_status st);

/* One human-readable message, e.g. "ntp.keys:7: key ID 0 is reserved". */
#define NTA_DIAG_MSG_MAX 512
typedef struct {
  char msg[NTA_DIAG_MSG_MAX];
} nta_diag;

/* printf-style helper; a NULL diag is allowed and ignored. Returns `st` for tail calls. */
nta_status nta_diag_set(nta_diag *d, nta_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A growable list of diagnostics (warnings, skipped lines), created and destroyed like every
 * other ntpauth object. Messages are complete text, already prefixed "file:line: " where it
 * applies. The list holds at most NTA_DIAGS_MAX entries (a hostile 16 MB keyfile must not turn
 * into gigabytes of messages); later ones, and ones that could not be allocated, are counted by
 * nta_diags_dropped(). */
typedef enum { NTA_DIAG_NOTE, NTA_DIAG_WARNING, NTA_DIAG_ERROR } nta_diag_level;

#define NTA_DIAGS_MAX 10000

typedef struct nta_diags nta_diags;

nta_diags *nta_diags_create(void);   /* NULL when out of memory */
void nta_diags_destroy(nta_diags *ds);
void nta_diags_clear(nta_diags *ds);
/* Appends an entry; a NULL list is allowed and ignored. */
void nta_diags_add(nta_diags *ds, nta_diag_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t nta_diags_count(const nta_diags *ds);
size_t nta_diags_dropped(const nta_diags *ds);
/* Entry i (0 <= i < count). */
nta_diag_level nta_diags_level(const nta_diags *ds, size_t i);
const char *nta_diags_msg(const nta_diags *ds, size_t i);
/* Number of entries at `level` or above. */
size_t nta_diags_count_at_least(const nta_diags *ds, nta_diag_level level);

#endif
