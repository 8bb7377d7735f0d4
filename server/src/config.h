/* config.h - ntpauth-server's ntp.conf-like configuration file.
 *
 * One directive per line, '#' starts a comment. Parsing stops at the first bad line with
 * "file:line: reason" and the server does not start. `refclock ...` lines are handed to a
 * callback (the reference-clock layer) with their "file:line". */
#ifndef NTPAUTH_SERVER_CONFIG_H
#define NTPAUTH_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "ntpauth/status.h"

#define CFG_MAX_LISTEN 16
#define CFG_MAX_TRUST 32
#define CFG_PATH_MAX 1024
#define CFG_WHERE_MAX 1100   /* "file:line" */
#define CFG_PCAP_DEFAULT_MB 100
#define CFG_PCAP_DEFAULT_KEEP 10
#define CFG_PCAP_DEFAULT_JUNK 100
#define CFG_RATELIMIT_MIN_AGE 64

typedef struct {
  uint8_t family;       /* 4 or 6 */
  uint8_t addr[16];     /* IPv4 in the first 4 bytes */
  uint16_t port;
  char text[64];        /* as written, for messages */
  char where[CFG_WHERE_MAX];   /* "file:line" of the directive, "" for the defaults */
} cfg_listen;

typedef struct {
  char spec[256];             /* "11 12 (13 ... 20)" or "11-20" */
  char where[CFG_WHERE_MAX];
} cfg_trust;

typedef struct {
  char keys[CFG_PATH_MAX];    /* keyfile, "" for none */
  char keys_where[CFG_WHERE_MAX];
  char keys_replaced_where[CFG_WHERE_MAX];  /* an earlier `keys` line a later one replaced */
  int keys_dialect;           /* nta_dialect; NTA_DIALECT_AUTO unless `keys-dialect` pins one */
  cfg_trust trust[CFG_MAX_TRUST];
  size_t n_trust;
  cfg_listen listen[CFG_MAX_LISTEN];
  size_t n_listen;            /* 0: the defaults 0.0.0.0:123 and [::]:123 */
  int local_stratum;          /* 0: no local clock; 1-15 */
  char pcap[CFG_PATH_MAX];    /* "" for none */
  char pcap_where[CFG_WHERE_MAX];
  uint64_t pcap_max_bytes;    /* rotate at this size (default CFG_PCAP_DEFAULT_MB) */
  bool pcap_max_set;          /* maxsize was written (else the default applies) */
  unsigned pcap_keep;         /* rotated files kept */
  unsigned pcap_junk_rate;    /* unanswered datagrams recorded per second, beyond: counted */
  bool crypto_nak;            /* default yes */
  bool require_auth;          /* default no */
  bool ratelimit;             /* default off */
  int ratelimit_interval;     /* log2 seconds between requests on average (chrony's meaning) */
  int ratelimit_burst;        /* requests allowed in a burst */
  int ratelimit_min_age;      /* seconds a client's state is safe from eviction */
  char user[64];              /* "" = nobody when root, else stay */
  char user_where[CFG_WHERE_MAX];
  char logfile[CFG_PATH_MAX]; /* "" = syslog (or stderr with -n) */
  char logfile_where[CFG_WHERE_MAX];
  char status_socket[CFG_PATH_MAX];
  char status_where[CFG_WHERE_MAX];
  size_t n_refclocks;
  ctl_config control;         /* control-allow, control-require-auth, metrics-file */
} srv_config;

/* Receives `refclock` lines: args = text after the keyword, where = "file:line". NULL callback:
 * such lines are an error ("refclock support not built"). */
typedef nta_status (*cfg_refclock_fn)(void *ctx, const char *args, const char *where,
                                      nta_diag *err);

void cfg_init(srv_config *cfg);
nta_status cfg_parse_text(srv_config *cfg, const char *name, const char *text, size_t len,
                          cfg_refclock_fn refclock, void *ctx, nta_diag *err);
nta_status cfg_parse_file(srv_config *cfg, const char *path, cfg_refclock_fn refclock, void *ctx,
                          nta_diag *err);
/* Prefixes relative `keys`, `pcap`, `metrics-file` and `status-socket` paths with `cwd`: all are
 * used again after the server daemonizes (which changes to "/"), by pcap rotation and by the socket's removal. */
nta_status cfg_absolute_paths(srv_config *cfg, const char *cwd, nta_diag *err);
/* Fills the default listen addresses when none were given. */
void cfg_apply_defaults(srv_config *cfg);
/* "127.0.0.1:123", "[::1]:123", "::1", "0.0.0.0" -> endpoint (port 123 when absent). */
bool cfg_parse_listen(const char *text, cfg_listen *out);

#endif
