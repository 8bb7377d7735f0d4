/* kg_check.h - ntpauth-keygen --check: how ntpd 4.2.8, ntpsec and chronyd read a keyfile. */
#ifndef NTPAUTH_KG_CHECK_H
#define NTPAUTH_KG_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "ntpauth/keyring.h"

typedef struct {
  const char *path;
  nta_dialect dialect;   /* AUTO: the detected one */
  const char *conf;      /* ntp.conf for trustedkey, or NULL */
  bool portable;         /* other daemons' differing readings fail too */
} kg_check_options;

/* Prints the report to `out`. Returns the exit status: 0 every line loads in the dialect's
 * daemon, 1 some line would be refused or skipped there (or differs elsewhere with portable, or
 * a trusted key is missing), 2 the file or ntp.conf cannot be read. */
int kg_check(const kg_check_options *o, FILE *out);

#endif
