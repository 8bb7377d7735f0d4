/* packet_format.c - names, reference IDs and timestamps of decoded packets, for display. */
#include <stdio.h>
#include <string.h>

#include "ntpauth/packet.h"

#define NTP_ERA_SECONDS 4294967296.0   /* 2^32 */

const char *nta_mode_name(uint8_t mode) {
  switch (mode) {
  case NTA_MODE_RESERVED: return "reserved";
  case NTA_MODE_ACTIVE: return "symmetric active";
  case NTA_MODE_PASSIVE: return "symmetric passive";
  case NTA_MODE_CLIENT: return "client";
  case NTA_MODE_SERVER: return "server";
  case NTA_MODE_BROADCAST: return "broadcast";
  case NTA_MODE_CONTROL: return "control";
  case NTA_MODE_PRIVATE: return "private";
  }
  return "invalid";
}

const char *nta_trailer_kind_name(nta_trailer_kind k) {
  switch (k) {
  case NTA_TRAILER_NONE: return "none";
  case NTA_TRAILER_MAC: return "mac";
  case NTA_TRAILER_CRYPTO_NAK: return "crypto_nak";
  case NTA_TRAILER_MSSNTP: return "mssntp";
  case NTA_TRAILER_MSSNTP_EXT: return "mssntp_ext";
  }
  return "invalid";
}

/* The reference ID's bytes in wire order. */
static void refid_bytes_of(uint32_t refid, uint8_t b[4]) {
  b[0] = (uint8_t)(refid >> 24);
  b[1] = (uint8_t)(refid >> 16);
  b[2] = (uint8_t)(refid >> 8);
  b[3] = (uint8_t)refid;
}

static void refid_bytes(const nta_packet *p, uint8_t b[4]) {
  refid_bytes_of(p->refid, b);
}

/* Number of bytes left after dropping trailing NULs (the zero padding of a short name). */
static size_t refid_text_len(const uint8_t b[4]) {
  size_t n = 4;
  while (n > 0 && b[n - 1] == 0) n--;
  return n;
}

static bool has_time_header(const nta_packet *p) {
  return p->header_ok && p->mode != NTA_MODE_CONTROL && p->mode != NTA_MODE_PRIVATE;
}

bool nta_packet_kiss_code(const nta_packet *p, char code[5]) {
  memset(code, 0, 5);
  if (!has_time_header(p)) return false;
  return nta_kiss_code(p->stratum, p->refid, code);
}

bool nta_kiss_code(uint8_t stratum, uint32_t refid, char code[5]) {
  memset(code, 0, 5);
  if (stratum != 0) return false;
  uint8_t b[4];
  refid_bytes_of(refid, b);
  size_t n = refid_text_len(b);
  if (n == 0) return false;  /* refid 0: a plain client request, not a kiss */
  for (size_t i = 0; i < n; i++)
    if (b[i] < 0x21 || b[i] > 0x7e) return false;
  memcpy(code, b, n);
  return true;
}

void nta_refid_format(const nta_packet *p, char *out, size_t outlen) {
  if (!out || outlen == 0) return;
  out[0] = '\0';
  if (!has_time_header(p)) return;
  uint8_t b[4];
  refid_bytes(p, b);
  if (p->stratum > 1) {
    snprintf(out, outlen, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return;
  }
  /* Kiss code or clock name: ASCII, anything else escaped so the result is safe to print. */
  size_t n = refid_text_len(b), used = 0;
  for (size_t i = 0; i < n; i++) {
    char piece[5];
    if (b[i] >= 0x20 && b[i] <= 0x7e && b[i] != '\\')
      snprintf(piece, sizeof piece, "%c", b[i]);
    else
      snprintf(piece, sizeof piece, "\\x%02x", b[i]);
    size_t len = strlen(piece);
    if (used + len + 1 > outlen) break;
    memcpy(out + used, piece, len + 1);
    used += len;
  }
}

double nta_ts_to_double(uint64_t ts) {
  return (double)(ts >> 32) + (double)(uint32_t)ts / NTP_ERA_SECONDS;
}

uint64_t nta_ts_from_unix(int64_t sec, uint32_t nsec) {
  sec += nsec / 1000000000u;
  nsec %= 1000000000u;
  uint32_t ntp_sec = (uint32_t)((uint64_t)sec + (uint64_t)NTA_NTP_UNIX_OFFSET);  /* wraps per era */
  uint64_t frac = (((uint64_t)nsec << 32) + 500000000u) / 1000000000u;     /* rounded */
  if (frac > UINT32_MAX) frac = UINT32_MAX;
  return ((uint64_t)ntp_sec << 32) | frac;
}

double nta_ts_to_unix(uint64_t ts) {
  uint32_t ntp_sec = (uint32_t)(ts >> 32);
  double sec = (double)ntp_sec - (double)NTA_NTP_UNIX_OFFSET;
  /* The usual era rule: seconds with the top bit clear are in era 1 (from 2036-02-07), so the
   * result covers 1968-01-20 .. 2104-02-26. */
  if (!(ntp_sec & 0x80000000u)) sec += NTP_ERA_SECONDS;
  return sec + (double)(uint32_t)ts / NTP_ERA_SECONDS;
}
