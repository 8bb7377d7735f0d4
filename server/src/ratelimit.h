/* ratelimit.h - token buckets per client in a bounded table (chrony-style `ratelimit`).
 *
 * Each bucket earns one token every 2^interval seconds, up to `burst` tokens; a request spends
 * one. Requests whose MAC verified are limited per (address, key) in buckets of their own, apart
 * from unauthenticated (or unverified) requests from the same address: traffic with a spoofed
 * source address can empty only the unauthenticated bucket, so it can never earn a real client a
 * signed Kiss-o'-Death.
 *
 * The table has a fixed number of slots. A new bucket takes a free slot of its probe window, or
 * one whose bucket has refilled (it holds no state worth keeping), or the least recently used one
 * that has been idle for at least `min_age` seconds (like ntpd's `mru minage`): a flood of new
 * addresses cannot evict a client that is being limited. A request that finds no slot is allowed
 * when it verified and otherwise spends a token of one shared overflow bucket. */
#ifndef NTPAUTH_SERVER_RATELIMIT_H
#define NTPAUTH_SERVER_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct rl_table rl_table;

/* min_age: seconds a bucket stays protected from eviction after its last request. */
rl_table *rl_create(size_t slots, int interval_log2, int burst, double min_age);
void rl_destroy(rl_table *t);

/* family 4 or 6, addr 16 bytes (IPv4 in the first 4). verified: the request's MAC verified with
 * key `key_id` (ignored otherwise). True: within the limit. */
bool rl_allow(rl_table *t, uint8_t family, const uint8_t addr[16], bool verified, uint32_t key_id,
              const struct timespec *now);

#endif
