/* capture/writer.h - writing NTP traffic into pcap files with libpcap's dump API.
 *
 * Builds real frames around a UDP payload: IPv4 or IPv6 with a valid UDP checksum, on a
 * DLT_RAW (default) or Ethernet link. Used by the server's traffic tap, the sample generators,
 * test fixtures and benchmarks, so every pcap the project writes comes from one place. */
#ifndef NTPAUTH_CAPTURE_WRITER_H
#define NTPAUTH_CAPTURE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/endpoint.h"
#include "ntpauth/status.h"

typedef enum { CAP_LINK_RAW = 0, CAP_LINK_ETHERNET } cap_link;

typedef struct cap_writer cap_writer;

/* Opens `path` for writing (truncates). nanosecond = pcap with ns timestamps.
 * max_bytes > 0: rotate when the next record would make the file exceed it (a file always takes
 * at least one record): path is renamed path.1, path.1 -> path.2, ... and at most `keep` old
 * files are kept (path.1 .. path.keep; keep = 0 starts `path` afresh). Flushes after every
 * packet so the file is always readable (see cap_writer_set_autoflush). */
cap_writer *cap_writer_open(const char *path, cap_link link, bool nanosecond, uint64_t max_bytes,
                            unsigned keep, nta_diag *err);
/* Same over an already-open descriptor (e.g. opened before a privilege drop); the descriptor is
 * duplicated, so the caller still owns `fd`. No rotation. `name` is used in messages. */
cap_writer *cap_writer_open_fd(int fd, const char *name, cap_link link, bool nanosecond,
                               nta_diag *err);
nta_status cap_writer_write_udp(cap_writer *w, int64_t ts_sec, uint32_t ts_nsec,
                                const nta_endpoint *src, const nta_endpoint *dst,
                                const uint8_t *payload, size_t len, nta_diag *err);
/* Writes an already built link-layer frame (tests that need fragments, VLANs, odd links). */
nta_status cap_writer_write_frame(cap_writer *w, int64_t ts_sec, uint32_t ts_nsec,
                                  const uint8_t *frame, size_t caplen, size_t wirelen,
                                  nta_diag *err);
nta_status cap_writer_flush(cap_writer *w, nta_diag *err);
/* Default true: flush after each packet. Generators writing millions of packets turn it off
 * (then call cap_writer_flush or cap_writer_close at the end). */
void cap_writer_set_autoflush(cap_writer *w, bool every_packet);
void cap_writer_close(cap_writer *w);

/* Frame building without a file: fills `out` with an IPv4/IPv6 + UDP datagram (valid
 * checksums) and returns its length, 0 if it does not fit. */
size_t cap_build_ip_udp(const nta_endpoint *src, const nta_endpoint *dst, const uint8_t *payload,
                        size_t len, uint8_t *out, size_t cap);

/* Internet checksum (RFC 1071) of `len` bytes, and the UDP checksum of a UDP header + payload
 * (checksum field as given, normally 0) with its pseudo-header; 0 is returned as 0xffff. */
uint16_t cap_inet_checksum(const uint8_t *data, size_t len);
uint16_t cap_udp_checksum(const nta_endpoint *src, const nta_endpoint *dst, const uint8_t *udp,
                          size_t udp_len);

/* Parses "127.0.0.1", "::1", "[::1]:123", "127.0.0.1:123" into an endpoint (port default_port
 * when absent). */
bool cap_endpoint_parse(const char *text, uint16_t default_port, nta_endpoint *out);

#endif
