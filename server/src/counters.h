/* counters.h - what the server did, per verdict, per action, per key and per client.
 *
 * The key and client tables are bounded and only verified requests (which spoofed traffic cannot
 * produce) make rows: per-key rows count verified requests, failures are summed in one "unknown
 * keys" / "failed MACs" line; client rows are the busiest verified clients, the rest is summed
 * in an "other" row so the totals stay right while memory stays fixed. */
#ifndef NTPAUTH_SERVER_COUNTERS_H
#define NTPAUTH_SERVER_COUNTERS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ntpauth/verify.h"
#include "respond.h"

#define CNT_MAX_KEYS 64
#define CNT_MAX_CLIENTS 256

typedef struct srv_counters srv_counters;

srv_counters *cnt_create(void);
void cnt_destroy(srv_counters *c);

/* One processed request and what we did with it. */
void cnt_record(srv_counters *c, uint8_t family, const uint8_t addr[16], const rsp_result *res);
void cnt_send_error(srv_counters *c);
void cnt_rx_error(srv_counters *c);

/* Human-readable status (for SIGUSR1 and the status socket). Returns bytes written (excluding
 * NUL), truncated to fit. */
size_t cnt_format(const srv_counters *c, const struct timespec *now, char *buf, size_t len);

uint64_t cnt_total(const srv_counters *c);
uint64_t cnt_verdict(const srv_counters *c, nta_verdict v);
uint64_t cnt_action(const srv_counters *c, rsp_action a);

#endif
