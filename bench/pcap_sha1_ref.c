/* pcap_sha1_ref.c - the least work a SHA1 check of a capture needs: the reference loop that
 * bench/analyzer-bench.sh puts next to ntpauth-analyze.
 *
 * Usage: pcap_sha1_ref CAPTURE.pcap KEYFILE
 *
 * Reads the capture with libpcap's pcap_next_ex(), takes every IPv4/UDP datagram to or from
 * port 123 (raw IP or Ethernet frames), and for a 48-byte NTP header followed by a 24-byte
 * SHA1 trailer computes OpenSSL SHA1(key || header) and compares it with the received digest.
 * The key is the first line of KEYFILE ("ID SHA1 HEX", as gen_capture_bench writes it). No
 * pairing, no statistics, no output per packet: it prints the counts and exits 0 when every
 * digest matched. */

/* The low-level SHA1 functions are deprecated in OpenSSL 3.0 but are the cheapest way to hash
 * 68 bytes (no provider dispatch); the core's fast path uses the same. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <pcap/pcap.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTP_HEADER 48
#define SHA1_TRAILER 24

/* The key of the keyfile's first line, hex (40 digits) or ASCII. Returns its length, 0 if none. */
static size_t read_key(const char *path, uint8_t *key, size_t max) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  unsigned id;
  char type[32], text[256];
  int n = fscanf(f, "%u %31s %255s", &id, type, text);
  fclose(f);
  if (n != 3) return 0;
  size_t len = strlen(text);
  if (len == 40) {
    long got = 0;
    unsigned char *bin = OPENSSL_hexstr2buf(text, &got);
    if (!bin || got != 20) {
      OPENSSL_free(bin);
      return 0;
    }
    memcpy(key, bin, 20);
    OPENSSL_free(bin);
    return 20;
  }
  if (len > max) return 0;
  memcpy(key, text, len);
  return len;
}

/* The UDP payload of an NTP datagram in an IPv4 frame, or NULL. */
static const uint8_t *ntp_payload(const uint8_t *p, uint32_t caplen, int linktype,
                                  uint32_t *len) {
  if (linktype == DLT_EN10MB) {
    if (caplen < 14 || p[12] != 0x08 || p[13] != 0x00) return NULL;
    p += 14;
    caplen -= 14;
  }
  if (caplen < 20 || (p[0] >> 4) != 4 || p[9] != 17) return NULL;
  uint32_t ihl = (uint32_t)(p[0] & 15) * 4;
  if (ihl < 20 || caplen < ihl + 8) return NULL;
  const uint8_t *udp = p + ihl;
  uint16_t sport = (uint16_t)(udp[0] << 8 | udp[1]), dport = (uint16_t)(udp[2] << 8 | udp[3]);
  if (sport != 123 && dport != 123) return NULL;
  *len = caplen - ihl - 8;
  return udp + 8;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pcap_sha1_ref CAPTURE.pcap KEYFILE\n");
    return 2;
  }
  uint8_t key[64];
  size_t key_len = read_key(argv[2], key, sizeof key);
  if (!key_len) {
    fprintf(stderr, "%s: no key on the first line\n", argv[2]);
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *pc = pcap_open_offline(argv[1], errbuf);
  if (!pc) {
    fprintf(stderr, "%s: %s\n", argv[1], errbuf);
    return 2;
  }
  int linktype = pcap_datalink(pc);
  struct pcap_pkthdr *hdr;
  const uint8_t *data;
  unsigned long frames = 0, checked = 0, good = 0;
  int rc;
  while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
    frames++;
    uint32_t len;
    const uint8_t *ntp = ntp_payload(data, hdr->caplen, linktype, &len);
    if (!ntp || len != NTP_HEADER + SHA1_TRAILER) continue;
    SHA_CTX c;
    uint8_t md[SHA_DIGEST_LENGTH];
    SHA1_Init(&c);
    SHA1_Update(&c, key, key_len);
    SHA1_Update(&c, ntp, NTP_HEADER);
    SHA1_Final(md, &c);
    checked++;
    if (memcmp(md, ntp + NTP_HEADER + 4, SHA_DIGEST_LENGTH) == 0) good++;
  }
  if (rc == -1) fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(pc));
  pcap_close(pc);
  printf("%lu frames, %lu SHA1 MACs checked, %lu good\n", frames, checked, good);
  return rc == -1 ? 2 : good == checked && checked ? 0 : 1;
}
