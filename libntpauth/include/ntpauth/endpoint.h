/* ntpauth/endpoint.h - an IP address and UDP port, as seen in a capture or on a socket.
 *
 * A plain value type shared by pairing (exchange.h), the capture reader and writer and the
 * server's sockets, so that none of them needs another's header for it. */
#ifndef NTPAUTH_ENDPOINT_H
#define NTPAUTH_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint8_t family;        /* 4 or 6 */
  uint8_t addr[16];      /* IPv4 in the first 4 bytes */
  uint16_t port;
} nta_endpoint;

/* "192.0.2.1" / "2001:db8::1"; "?" for an unknown family. */
void nta_endpoint_addr_str(const nta_endpoint *ep, char *out, size_t outlen);

#endif
