/* gen_capture_bench.c - writes the analyzer benchmark's capture: N SHA1-authenticated NTP
 * packets, or with --nts N NTS-protected ones (RFC 8915) and the TLS key log that verifies them.
 *
 * Usage: gen_capture_bench OUT.pcap OUT.keys [N] [--nts]   (N defaults to 1000000)
 *
 * Client requests and server replies alternate between 64 clients and one server, each reply
 * answering the request before it, so the analyzer verifies and pairs everything. SHA1: 48-byte
 * header + 24-byte trailer (NTPv4), MACs from the core's nta_sign with the key written to
 * OUT.keys. NTS: shaped like chrony 4.3's packets (Unique Identifier 32, cookie 100, one
 * placeholder, 16-byte nonce; each reply delivers one new cookie that the client's next request
 * sends), sealed by the core's nta_nts_build with the keys of one session whose EXPORTER_SECRET
 * OUT.keys holds. Frames are raw IPv4/UDP (LINKTYPE_RAW); the pcap is written here directly
 * because the bench programs link only the core. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/keyring.h"
#include "ntpauth/nts.h"
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

/* ---- packet bodies: the header is written, fill the rest; return the NTP length ---- */

typedef struct {
  const nta_key *key;                       /* SHA1 */
  uint8_t c2s[NTA_NTS_KEY_LEN], s2c[NTA_NTS_KEY_LEN];   /* NTS */
} keys;

static size_t sha1_body(const keys *k, uint8_t *ntp, size_t cap, unsigned long i, unsigned client) {
  (void)i;
  (void)client;
  return nta_sign(k->key, ntp, 48, cap, 20);
}

/* The cookie the reply to request `i` delivers, and the one request i sends (the previous
 * reply's to this client). Unique bytes: client and exchange number. */
static void cookie_of(uint8_t c[100], unsigned client, unsigned long exchange) {
  memset(c, 0x5c, 100);
  memcpy(c, &client, sizeof client);
  memcpy(c + 8, &exchange, sizeof exchange);
}

static size_t nts_body(const keys *k, uint8_t *ntp, size_t cap, unsigned long i, unsigned client) {
  unsigned long exchange = i / 2;
  uint8_t uid[32], nonce[16], cookie[100], pt[104];
  memset(uid, 0xa5, sizeof uid);
  memcpy(uid, &exchange, sizeof exchange);
  memset(nonce, 0x3c, sizeof nonce);
  memcpy(nonce, &i, sizeof i);
  if (i & 1) {   /* reply: one new cookie inside the ciphertext */
    pt[0] = 0x02, pt[1] = 0x04, pt[2] = 0, pt[3] = 104;
    cookie_of(pt + 4, client, exchange);
    return nta_nts_build(ntp, cap, uid, 32, NULL, 0, 0, k->s2c, nonce, 16, pt, sizeof pt);
  }
  cookie_of(cookie, client, exchange >= 64 ? exchange - 64 : exchange + (1ul << 40));
  return nta_nts_build(ntp, cap, uid, 32, cookie, 100, 1, k->c2s, nonce, 16, NULL, 0);
}

/* The key file: SHA1 key 11, or a key log line with the session's exporter secret. */
static bool write_keys(const char *path, bool nts, keys *k, nta_keyring *kr) {
  FILE *kf = fopen(path, "w");
  if (!kf) { perror(path); return false; }
  nta_diag err;
  if (!nts) {
    fprintf(kf, "%d SHA1 %s\n", KEY_ID, KEY_HEX);
    if (nta_keyring_add_text(kr, KEY_ID, "SHA1", KEY_HEX, NTA_DIALECT_NTPD, "bench", &err) != NTA_OK) {
      fprintf(stderr, "key: %s\n", err.msg);
      fclose(kf);
      return false;
    }
    k->key = nta_keyring_find(kr, KEY_ID);
    return fclose(kf) == 0;
  }
  uint8_t secret[48];
  fprintf(kf, "EXPORTER_SECRET ");
  for (int b = 0; b < 32; b++) fprintf(kf, "%02x", (unsigned)(0x10 + b));
  fputc(' ', kf);
  for (int b = 0; b < 48; b++) fprintf(kf, "%02x", secret[b] = (uint8_t)(b * 7 + 3));
  fputc('\n', kf);
  if (nta_nts_derive_keys(secret, sizeof secret, NTA_NTS_AEAD_AES_SIV_CMAC_256, k->c2s, k->s2c) !=
      NTA_OK) {
    fclose(kf);
    return false;
  }
  return fclose(kf) == 0;
}

static void write_global_header(FILE *f) {
  uint8_t gh[24];
  le32(gh, 0xa1b2c3d4);
  gh[4] = 2; gh[5] = 0; gh[6] = 4; gh[7] = 0;
  memset(gh + 8, 0, 8);
  le32(gh + 16, 262144);
  le32(gh + 20, 101);   /* LINKTYPE_RAW */
  fwrite(gh, 1, sizeof gh, f);
}

/* One IPv4/UDP record around `len` NTP bytes already at rec + 16 + 28. */
static void write_record(FILE *f, uint8_t *rec, size_t len, unsigned long i, unsigned client,
                         bool is_reply, uint32_t sec, uint32_t usec) {
  uint8_t *ip = rec + 16, *udp = ip + 20;
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

int main(int argc, char **argv) {
  bool nts = argc > 1 && strcmp(argv[argc - 1], "--nts") == 0;
  if (nts) argc--;
  if (argc < 3) {
    fprintf(stderr, "usage: gen_capture_bench OUT.pcap OUT.keys [N] [--nts]\n");
    return 2;
  }
  unsigned long n = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000000ul;
  keys k;
  memset(&k, 0, sizeof k);
  nta_keyring *kr = nta_keyring_create();
  if (!write_keys(argv[2], nts, &k, kr)) return 1;
  size_t (*body)(const keys *, uint8_t *, size_t, unsigned long, unsigned) =
      nts ? nts_body : sha1_body;

  FILE *f = fopen(argv[1], "wb");
  if (!f) { perror(argv[1]); return 1; }
  static char iobuf[1 << 20];
  setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
  write_global_header(f);
  static uint8_t rec[16 + 20 + 8 + 512];
  uint8_t *ntp = rec + 16 + 28;
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
    nta_header_write(&h, ntp, 512);
    size_t len = body(&k, ntp, 512, i, client);
    if (len == 0) { fprintf(stderr, "building packet %lu failed\n", i); return 1; }
    write_record(f, rec, len, i, client, is_reply, sec, usec);
  }
  if (fclose(f) != 0) { perror(argv[1]); return 1; }
  nta_keyring_destroy(kr);
  return 0;
}
