/* gen_capture_bench.c - writes the analyzer benchmark's capture: N SHA1-authenticated NTP packets.
 *
 * Usage: gen_capture_bench OUT.pcap OUT.keys [N]   (N defaults to 1000000)
 *
 * Client requests and server replies alternate (48-byte header + 24-byte SHA1 trailer, NTPv4)
 * between 64 clients and one server, each reply answering the request before it, so the
 * analyzer verifies and pairs everything. Frames are raw IPv4/UDP (LINKTYPE_RAW); the pcap is
 * written here directly because the bench programs link only the core. MACs come from the
 * core's nta_sign with the key written to OUT.keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/keyring.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

#define BASE_SEC 1795780800u       /* 2026-11-27T12:00:00Z */
#define KEY_ID 11
#define KEY_HEX "0102030405060708090a0b0c0d0e0f1011121314"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint16_t ip_checksum(const uint8_t *h) {
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += (uint32_t)(h[i] << 8 | h[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: gen_capture_bench OUT.pcap OUT.keys [N]\n");
    return 2;
  }
  unsigned long n = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000000ul;

  FILE *kf = fopen(argv[2], "w");
  if (!kf) { perror(argv[2]); return 1; }
  fprintf(kf, "%d SHA1 %s\n", KEY_ID, KEY_HEX);
  fclose(kf);

  nta_keyring *kr = nta_keyring_create();
  nta_diag err;
  if (nta_keyring_add_text(kr, KEY_ID, "SHA1", KEY_HEX, NTA_DIALECT_NTPD, "bench", &err) != NTA_OK) {
    fprintf(stderr, "key: %s\n", err.msg);
    return 1;
  }
  const nta_key *key = nta_keyring_find(kr, KEY_ID);

  FILE *f = fopen(argv[1], "wb");
  if (!f) { perror(argv[1]); return 1; }
  static char iobuf[1 << 20];
  setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
  uint8_t gh[24];
  le32(gh, 0xa1b2c3d4);
  gh[4] = 2; gh[5] = 0; gh[6] = 4; gh[7] = 0;
  memset(gh + 8, 0, 8);
  le32(gh + 16, 262144);
  le32(gh + 20, 101);   /* LINKTYPE_RAW */
  fwrite(gh, 1, sizeof gh, f);

  uint8_t rec[16 + 20 + 8 + 128];
  uint8_t *ip = rec + 16, *udp = ip + 20, *ntp = udp + 8;
  uint64_t last_xmt = 0;
  for (unsigned long i = 0; i < n; i++) {
    bool is_reply = i & 1;
    unsigned client = (unsigned)(i / 2) % 64;
    uint32_t usec = (uint32_t)(i * 37 % 1000000);
    uint32_t sec = BASE_SEC + (uint32_t)(i / 20000);
    uint64_t now = ((uint64_t)(sec + NTA_NTP_UNIX_OFFSET) << 32) | (((uint64_t)usec << 32) / 1000000u);

    nta_header h = { .version = 4, .mode = is_reply ? 4 : 3, .poll = 6, .precision = -20 };
    if (is_reply) {
      h.stratum = 2;
      h.refid = 0xc0000201;
      h.ref_ts = (uint64_t)((uint32_t)(now >> 32) - 16) << 32;
      h.org_ts = last_xmt;
      h.rec_ts = now;
      h.xmt_ts = (now & ~0xffffffffULL) | (uint32_t)((uint32_t)now + 4000);
    } else {
      /* Unique per request: the low bits carry the index. */
      last_xmt = (now & ~0xfffffULL) | (i & 0xfffff);
      h.xmt_ts = last_xmt;
    }
    nta_header_write(&h, ntp, 128);
    size_t len = nta_sign(key, ntp, 48, 128, 20);
    if (len != 72) { fprintf(stderr, "nta_sign failed\n"); return 1; }

    uint8_t cli[4] = { 10, 1, (uint8_t)(client >> 8), (uint8_t)(1 + client) };
    uint8_t srv[4] = { 10, 0, 0, 1 };
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + 8 + len));
    put16(ip + 4, (uint16_t)i);
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, is_reply ? srv : cli, 4);
    memcpy(ip + 16, is_reply ? cli : srv, 4);
    put16(ip + 10, ip_checksum(ip));
    uint16_t cport = (uint16_t)(10000 + client);
    put16(udp, is_reply ? 123 : cport);
    put16(udp + 2, is_reply ? cport : 123);
    put16(udp + 4, (uint16_t)(8 + len));
    put16(udp + 6, 0);   /* no UDP checksum (allowed over IPv4) */

    uint32_t caplen = (uint32_t)(20 + 8 + len);
    le32(rec, sec);
    le32(rec + 4, usec);
    le32(rec + 8, caplen);
    le32(rec + 12, caplen);
    fwrite(rec, 1, 16 + caplen, f);
  }
  if (fclose(f) != 0) { perror(argv[1]); return 1; }
  nta_keyring_destroy(kr);
  return 0;
}
