/* netio.h - UDP sockets with kernel receive timestamps, batched receive and send.
 *
 * Sockets ask for SO_TIMESTAMPNS (the receive timestamp) and the packet-info control message
 * (the local address a request came to, so a wildcard socket answers from that address). */
#ifndef NTPAUTH_SERVER_NETIO_H
#define NTPAUTH_SERVER_NETIO_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "ntpauth/endpoint.h"
#include "ntpauth/status.h"
#include "config.h"

#define NET_BATCH 64
#define NET_BUF 1024     /* larger datagrams are truncated and then dropped as malformed */

typedef struct {
  int fd;
  uint8_t family;
  uint16_t port;       /* bound port */
  bool wildcard;       /* bound to 0.0.0.0 / [::]: replies name their source address */
  char name[64];
} net_socket;

typedef struct {
  uint8_t data[NET_BUF];
  size_t len;              /* bytes in data */
  size_t orig_len;         /* the datagram's real length (more than len when truncated) */
  bool truncated;
  struct timespec rx_time;
  nta_endpoint peer;       /* the client */
  nta_endpoint local;      /* the address/port it was sent to */
  int ifindex;
  bool have_local;
} net_packet;

typedef struct {
  net_packet pkts[NET_BATCH];
  size_t n;
} net_batch;

/* Opens and binds a socket for `l` (IPV6_V6ONLY on IPv6). */
nta_status net_open(const cfg_listen *l, net_socket *out, nta_diag *err);
void net_close(net_socket *s);

/* Receives up to NET_BATCH datagrams without blocking. Returns how many (0 when none). */
size_t net_recv_batch(const net_socket *s, net_batch *b, int *err_no);

typedef struct {
  const uint8_t *data;
  size_t len;
  const net_packet *request;   /* peer, local address and interface to answer from/to */
} net_reply;

/* Sends replies; returns how many were sent. */
size_t net_send_batch(const net_socket *s, const net_reply *r, size_t n, int *err_no);

#endif
