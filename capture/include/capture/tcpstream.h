/* capture/tcpstream.h - bounded TCP stream reassembly for the few TCP streams ntpauth reads
 * (NTS-KE on port 4460).
 *
 * Segments (cap_datagram with proto 6) go in capture order; each connection's in-order bytes
 * come out through a callback, per direction. Memory is flat: at most CAP_TCP_MAX_CONNS
 * connections (the oldest is dropped when full) and, per direction, out-of-order segments up to
 * CAP_TCP_HOLD_BYTES; a segment that does not fit ends that direction's stream ("gap"). */
#ifndef NTPAUTH_CAPTURE_TCPSTREAM_H
#define NTPAUTH_CAPTURE_TCPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/reader.h"

#define CAP_TCP_MAX_CONNS 256
#define CAP_TCP_HOLD_BYTES (64 * 1024)

typedef struct cap_tcp_table cap_tcp_table;

typedef struct {
  /* New in-order bytes of one direction; *user is the connection's pointer (NULL at first). */
  void (*data)(void *arg, void **user, const cap_datagram *seg, bool from_server,
               const uint8_t *bytes, size_t len);
  /* The connection ended (FIN/RST from both sides, RST, eviction, or the table's end). */
  void (*closed)(void *arg, void *user);
  void *arg;
} cap_tcp_handler;

/* `server_port`: the port that tells the server end (4460). */
cap_tcp_table *cap_tcp_create(uint16_t server_port, const cap_tcp_handler *h);
/* Closes every connection (calling closed) and frees the table. */
void cap_tcp_destroy(cap_tcp_table *t);
void cap_tcp_segment(cap_tcp_table *t, const cap_datagram *seg);
/* Counters: connections seen, bytes delivered, gaps (directions cut by missing data). */
void cap_tcp_stats(const cap_tcp_table *t, uint64_t *conns, uint64_t *bytes, uint64_t *gaps);

#endif
