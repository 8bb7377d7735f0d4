/* ratelimit.h - per-client token buckets in a bounded table (chrony-style `ratelimit`).
 *
 * Each client address earns one token every 2^interval seconds, up to `burst` tokens; a request
 * spends one. The table has a fixed number of slots: a new client evicts the least recently seen
 * client of its probe window, so memory never grows with the number of clients. */
#ifndef NTPAUTH_SERVER_RATELIMIT_H
#define NTPAUTH_SERVER_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct rl_table rl_table;

rl_table *rl_create(size_t slots, int interval_log2, int burst);
void rl_destroy(rl_table *t);
/* family 4 or 6, addr 16 bytes (IPv4 in the first 4). True: within the limit. */
bool rl_allow(rl_table *t, uint8_t family, const uint8_t addr[16], const struct timespec *now);

#endif
