/* ipudp.c - building IPv4/IPv6 + UDP datagrams with valid checksums, and endpoint parsing.
 *
 * Shared by the pcap writer, test fixtures and sample generators so that every frame the
 * project fabricates has correct lengths and checksums (tshark checks them). */
#include "capture/writer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/bytes.h"

#define IPV4_HEADER_LEN 20
#define IPV6_HEADER_LEN 40
#define UDP_HEADER_LEN 8
#define IPPROTO_UDP_NUMBER 17

/* One's complement sum over big-endian 16-bit words; an odd tail byte is padded with zero. */
static uint32_t checksum_add(uint32_t sum, const uint8_t *p, size_t len) {
  while (len >= 2) {
    sum += (uint32_t)((p[0] << 8) | p[1]);
    p += 2;
    len -= 2;
  }
  if (len) sum += (uint32_t)(p[0] << 8);
  return sum;
}

static uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

uint16_t cap_inet_checksum(const uint8_t *data, size_t len) {
  return checksum_fold(checksum_add(0, data, len));
}

uint16_t cap_udp_checksum(const nta_endpoint *src, const nta_endpoint *dst, const uint8_t *udp,
                          size_t udp_len) {
  size_t alen = src->family == 6 ? 16 : 4;
  uint32_t sum = checksum_add(0, src->addr, alen);
  sum = checksum_add(sum, dst->addr, alen);
  sum += IPPROTO_UDP_NUMBER;
  sum += (uint32_t)(udp_len & 0xffff) + (uint32_t)(udp_len >> 16);
  sum = checksum_add(sum, udp, udp_len);
  uint16_t c = checksum_fold(sum);
  /* Zero means "no checksum" in UDP over IPv4 and is forbidden over IPv6: send all ones. */
  return c == 0 ? 0xffff : c;
}

size_t cap_build_ip_udp(const nta_endpoint *src, const nta_endpoint *dst, const uint8_t *payload,
                        size_t len, uint8_t *out, size_t cap) {
  if (!src || !dst || (!payload && len) || !out) return 0;
  if (src->family != dst->family || (src->family != 4 && src->family != 6)) return 0;
  bool v6 = src->family == 6;
  size_t ip_len = v6 ? IPV6_HEADER_LEN : IPV4_HEADER_LEN;
  size_t udp_len = UDP_HEADER_LEN + len;
  size_t total = ip_len + udp_len;
  /* IPv4 total length and the IPv6 payload length are 16-bit fields. */
  if ((v6 ? udp_len : total) > 0xffff || total > cap) return 0;

  nta_writer w;
  nta_wr_init(&w, out, cap);
  if (v6) {
    nta_wr_u32(&w, 0x60000000u);          /* version 6, traffic class 0, flow label 0 */
    nta_wr_u16(&w, (uint16_t)udp_len);
    nta_wr_u8(&w, IPPROTO_UDP_NUMBER);
    nta_wr_u8(&w, 64);                    /* hop limit */
    nta_wr_bytes(&w, src->addr, 16);
    nta_wr_bytes(&w, dst->addr, 16);
  } else {
    nta_wr_u8(&w, 0x45);                  /* version 4, 5 words */
    nta_wr_u8(&w, 0);
    nta_wr_u16(&w, (uint16_t)total);
    /* ID 0 with DF: an atomic datagram (RFC 6864), and output stays deterministic. */
    nta_wr_u16(&w, 0);
    nta_wr_u16(&w, 0x4000);
    nta_wr_u8(&w, 64);
    nta_wr_u8(&w, IPPROTO_UDP_NUMBER);
    nta_wr_u16(&w, 0);                    /* header checksum, filled below */
    nta_wr_bytes(&w, src->addr, 4);
    nta_wr_bytes(&w, dst->addr, 4);
  }
  uint8_t *udp = out + w.off;
  nta_wr_u16(&w, src->port);
  nta_wr_u16(&w, dst->port);
  nta_wr_u16(&w, (uint16_t)udp_len);
  nta_wr_u16(&w, 0);                      /* checksum, filled below */
  if (len) nta_wr_bytes(&w, payload, len);
  if (w.err) return 0;

  if (!v6) {
    uint16_t hc = cap_inet_checksum(out, IPV4_HEADER_LEN);
    out[10] = (uint8_t)(hc >> 8);
    out[11] = (uint8_t)hc;
  }
  uint16_t uc = cap_udp_checksum(src, dst, udp, udp_len);
  udp[6] = (uint8_t)(uc >> 8);
  udp[7] = (uint8_t)uc;
  return total;
}

static bool parse_port(const char *text, uint16_t *port) {
  if (!*text) return false;
  for (const char *p = text; *p; p++)
    if (*p < '0' || *p > '9') return false;
  errno = 0;
  unsigned long v = strtoul(text, NULL, 10);
  if (errno || v > 65535 || strlen(text) > 5) return false;
  *port = (uint16_t)v;
  return true;
}

bool cap_endpoint_parse(const char *text, uint16_t default_port, nta_endpoint *out) {
  if (!text || !out) return false;
  char host[INET6_ADDRSTRLEN + 1];
  const char *port_text = NULL;
  size_t host_len;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close) return false;
    host_len = (size_t)(close - text - 1);
    if (close[1] == ':') port_text = close + 2;
    else if (close[1] != '\0') return false;
    text++;
  } else {
    const char *colon = strchr(text, ':');
    /* Exactly one colon: IPv4 with a port; more than one: a bare IPv6 address. */
    if (colon && !strchr(colon + 1, ':')) {
      host_len = (size_t)(colon - text);
      port_text = colon + 1;
    } else {
      host_len = strlen(text);
    }
  }
  if (host_len == 0 || host_len >= sizeof host) return false;
  memcpy(host, text, host_len);
  host[host_len] = '\0';

  nta_endpoint ep;
  memset(&ep, 0, sizeof ep);
  if (inet_pton(AF_INET, host, ep.addr) == 1) ep.family = 4;
  else if (inet_pton(AF_INET6, host, ep.addr) == 1) ep.family = 6;
  else return false;
  ep.port = default_port;
  if (port_text && !parse_port(port_text, &ep.port)) return false;
  *out = ep;
  return true;
}
