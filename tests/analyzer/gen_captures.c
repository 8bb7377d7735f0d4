/* gen_captures.c - writes the small captures used by the analyzer's golden tests.
 *
 * Run once (tests/analyzer/regen.sh) and the results are committed in tests/analyzer/data/, so
 * the golden tests read fixed bytes. Everything is deterministic: fixed times, fixed keys (the
 * keyfile data/keys.ntpd), MACs made with the core's nta_sign. Frames are built with the capture
 * library's cap_build_ip_udp (valid checksums); files on DLT_RAW/Ethernet go through the capture
 * writer, the odd link types and pcapng are written here by hand because the writer only offers
 * raw IP and Ethernet.
 *
 * Usage: gen_captures KEYFILE OUTDIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/writer.h"
#include "ntpauth/keyring.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

#define BASE_SEC 1795780800LL            /* 2026-11-27T12:00:00Z */
#define SERVER_AHEAD_NS 250000000ULL     /* the fake server's clock is 0.25 s ahead */

static nta_keyring *keys;
static const char *outdir;

static void die(const char *what, const char *msg) {
  fprintf(stderr, "gen_captures: %s: %s\n", what, msg);
  exit(1);
}

/* ---- NTP packets ---- */

static uint64_t ntp_at(int64_t unix_sec, uint64_t nsec) {
  unix_sec += (int64_t)(nsec / 1000000000ULL);
  nsec %= 1000000000ULL;
  return ((uint64_t)(unix_sec + NTA_NTP_UNIX_OFFSET) << 32) | ((nsec << 32) / 1000000000ULL);
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }

typedef struct {
  uint8_t li, vn, mode, stratum;
  uint32_t refid;
  uint64_t org, rec, xmt;
} hdr;

static size_t ntp_header(uint8_t *buf, const hdr *h) {
  nta_header out = {
    .li = h->li, .version = h->vn, .mode = h->mode, .stratum = h->stratum, .poll = 6,
    .precision = -20, .root_delay = 0x00000100, .root_dispersion = 0x00000200, .refid = h->refid,
    .ref_ts = (h->mode == 4 || h->mode == 2) && h->xmt ? h->xmt - (16ULL << 32) : 0,
    .org_ts = h->org, .rec_ts = h->rec, .xmt_ts = h->xmt,
  };
  return nta_header_write(&out, buf, NTA_HEADER_LEN);
}

static size_t sign(uint8_t *buf, size_t len, uint32_t key_id, size_t digest_len) {
  const nta_key *k = nta_keyring_find(keys, key_id);
  if (!k) die("sign", "key missing from the keyfile");
  size_t n = nta_sign(k, buf, len, 1024, digest_len);
  if (!n) die("sign", "nta_sign failed");
  return n;
}

/* Appends key ID + digest bytes that are not a valid MAC. */
static size_t fake_mac(uint8_t *buf, size_t len, uint32_t key_id, size_t digest_len, uint8_t fill) {
  put32(buf + len, key_id);
  memset(buf + len + 4, fill, digest_len);
  return len + 4 + digest_len;
}

/* ---- endpoints ---- */

static nta_endpoint ep(const char *text, uint16_t port) {
  nta_endpoint e;
  if (!cap_endpoint_parse(text, port, &e)) die("endpoint", text);
  return e;
}

/* ---- a tiny pcap writer for any link type (and the capture writer for RAW) ---- */

typedef struct {
  FILE *f;
  uint32_t linktype;
  bool ns;
} pcapw;

static char *path_of(const char *name) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/%s", outdir, name);
  return path;
}

static void w32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }  /* host order = little-endian */
static void w16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }

static pcapw pcap_open(const char *name, uint32_t linktype, bool ns) {
  pcapw w = { fopen(path_of(name), "wb"), linktype, ns };
  if (!w.f) die(name, "cannot create");
  w32(w.f, ns ? 0xa1b23c4d : 0xa1b2c3d4);
  w16(w.f, 2);
  w16(w.f, 4);
  w32(w.f, 0);
  w32(w.f, 0);
  w32(w.f, 262144);
  w32(w.f, linktype);
  return w;
}

static void pcap_rec(pcapw *w, int64_t sec, uint64_t nsec, const uint8_t *frame, size_t caplen,
                     size_t wirelen) {
  w32(w->f, (uint32_t)sec);
  w32(w->f, (uint32_t)(w->ns ? nsec : nsec / 1000));
  w32(w->f, (uint32_t)caplen);
  w32(w->f, (uint32_t)wirelen);
  fwrite(frame, 1, caplen, w->f);
}

static void pcap_close(pcapw *w) { fclose(w->f); }

/* Link-layer wrappers around an IP datagram. */
static size_t wrap_ether(uint8_t *out, const uint8_t *ip, size_t len, int vlans) {
  static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
  size_t o = 0;
  memcpy(out, macs, 12);
  o = 12;
  for (int i = 0; i < vlans; i++) {
    uint16_t tpid = (vlans == 2 && i == 0) ? 0x88a8 : 0x8100;
    out[o++] = (uint8_t)(tpid >> 8); out[o++] = (uint8_t)tpid;
    out[o++] = 0; out[o++] = (uint8_t)(10 + i);
  }
  uint16_t et = (ip[0] >> 4) == 6 ? 0x86dd : 0x0800;
  out[o++] = (uint8_t)(et >> 8); out[o++] = (uint8_t)et;
  memcpy(out + o, ip, len);
  return o + len;
}

static size_t wrap_sll(uint8_t *out, const uint8_t *ip, size_t len) {
  memset(out, 0, 16);
  out[1] = 0;                 /* packet type: to us */
  out[3] = 1;                 /* ARPHRD_ETHER */
  out[5] = 6;                 /* address length */
  out[6] = 2; out[11] = 1;
  uint16_t et = (ip[0] >> 4) == 6 ? 0x86dd : 0x0800;
  out[14] = (uint8_t)(et >> 8); out[15] = (uint8_t)et;
  memcpy(out + 16, ip, len);
  return 16 + len;
}

static size_t wrap_sll2(uint8_t *out, const uint8_t *ip, size_t len) {
  memset(out, 0, 20);
  uint16_t et = (ip[0] >> 4) == 6 ? 0x86dd : 0x0800;
  out[0] = (uint8_t)(et >> 8); out[1] = (uint8_t)et;
  out[7] = 1;                 /* interface index */
  out[9] = 1;                 /* ARPHRD_ETHER */
  out[10] = 0;                /* packet type */
  out[11] = 6;
  out[12] = 2; out[17] = 1;
  memcpy(out + 20, ip, len);
  return 20 + len;
}

static size_t wrap_null(uint8_t *out, const uint8_t *ip, size_t len) {
  uint32_t fam = (ip[0] >> 4) == 6 ? 30 : 2;   /* AF_INET6 on macOS, AF_INET; host order */
  memcpy(out, &fam, 4);
  memcpy(out + 4, ip, len);
  return 4 + len;
}

/* ---- scenario helpers ---- */

typedef struct {
  uint8_t payload[1024];
  size_t len;
  nta_endpoint src, dst;
  int64_t sec;
  uint64_t nsec;
} pkt;

static void at(pkt *p, int64_t ms) {
  p->sec = BASE_SEC + ms / 1000;
  p->nsec = (uint64_t)(ms % 1000) * 1000000ULL + 123456ULL;
}

/* A client request from `c` to `s` at capture time `ms`, MAC with key (0 = none). */
static pkt request(const char *c, uint16_t cport, const char *s, uint8_t vn, int64_t ms,
                   uint32_t key, size_t dlen) {
  pkt p;
  memset(&p, 0, sizeof p);
  p.src = ep(c, cport);
  p.dst = ep(s, 123);
  at(&p, ms);
  hdr h = { 0, vn, 3, 0, 0, 0, 0, ntp_at(p.sec, p.nsec) };
  p.len = ntp_header(p.payload, &h);
  if (key) p.len = sign(p.payload, p.len, key, dlen);
  return p;
}

/* The server's answer to `q`, 2 ms later, server clock SERVER_AHEAD ahead. */
static pkt reply(const pkt *q, uint32_t key, size_t dlen) {
  pkt p;
  memset(&p, 0, sizeof p);
  p.src = q->dst;
  p.dst = q->src;
  int64_t ms = (q->sec - BASE_SEC) * 1000 + (int64_t)(q->nsec / 1000000ULL) + 2;
  at(&p, ms);
  uint8_t vn = (uint8_t)((q->payload[0] >> 3) & 7);
  uint64_t org = 0;
  for (int i = 40; i < 48; i++) org = (org << 8) | q->payload[i];
  uint64_t t2 = ntp_at(q->sec, q->nsec + 1000000ULL + SERVER_AHEAD_NS);     /* +1 ms */
  uint64_t t3 = ntp_at(q->sec, q->nsec + 1100000ULL + SERVER_AHEAD_NS);     /* +1.1 ms */
  hdr h = { 0, vn, 4, 2, 0xc0000201, org, t2, t3 };
  p.len = ntp_header(p.payload, &h);
  if (key) p.len = sign(p.payload, p.len, key, dlen);
  return p;
}

static size_t ip_frame(const pkt *p, uint8_t *out, size_t cap) {
  size_t n = cap_build_ip_udp(&p->src, &p->dst, p->payload, p->len, out, cap);
  if (!n) die("cap_build_ip_udp", "frame does not fit");
  return n;
}

/* Writes packets through the capture writer (DLT_RAW). */
static void write_raw(const char *name, const pkt *pk, size_t n, bool ns) {
  nta_diag err;
  cap_writer *w = cap_writer_open(path_of(name), CAP_LINK_RAW, ns, 0, 0, &err);
  if (!w) die(name, err.msg);
  for (size_t i = 0; i < n; i++)
    if (cap_writer_write_udp(w, pk[i].sec, (uint32_t)pk[i].nsec, &pk[i].src, &pk[i].dst,
                             pk[i].payload, pk[i].len, &err) != NTA_OK)
      die(name, err.msg);
  cap_writer_close(w);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- scenarios ---- */

/* Every verdict once (and the algorithms). Keyfile: 1 MD5, 2 SHA1, 3 SHA256, 4 AES128CMAC,
 * 11/12 SHA1; the tests trust 1-4 and 11 so key 12 is untrusted. */
static void gen_verdicts(void) {
  pkt pk[32];
  size_t n = 0;
  pk[n] = request("192.0.2.1", 40001, "192.0.2.100", 4, 0, 2, 20); n++;        /* good SHA1 */
  pk[n] = reply(&pk[n - 1], 2, 20); n++;                                        /* good, trusted */
  pk[n] = request("192.0.2.1", 40002, "192.0.2.100", 4, 10, 3, 20); n++;       /* SHA256 trunc */
  pk[n] = reply(&pk[n - 1], 3, 20); n++;
  pk[n] = request("192.0.2.1", 40003, "192.0.2.100", 4, 20, 3, 32); n++;       /* SHA256 full */
  pk[n] = request("192.0.2.1", 40004, "192.0.2.100", 4, 30, 4, 16); n++;       /* AES128CMAC */
  pk[n] = reply(&pk[n - 1], 4, 16); n++;
  pk[n] = request("192.0.2.1", 40005, "192.0.2.100", 4, 40, 2, 20); n++;       /* bad_mac */
  pk[n - 1].payload[pk[n - 1].len - 1] ^= 0x55;
  pk[n] = request("192.0.2.1", 40006, "192.0.2.100", 4, 50, 0, 0); n++;        /* unknown_key */
  pk[n - 1].len = fake_mac(pk[n - 1].payload, pk[n - 1].len, 99, 20, 0xab);
  pk[n] = request("192.0.2.1", 40007, "192.0.2.100", 4, 60, 12, 20); n++;      /* untrusted */
  pk[n] = reply(&pk[n - 1], 0, 0); n++;                                         /* crypto-NAK */
  pk[n - 1].len = nta_append_crypto_nak(pk[n - 1].payload, pk[n - 1].len, sizeof pk[0].payload);
  pk[n] = request("192.0.2.1", 40008, "192.0.2.100", 4, 70, 0, 0); n++;        /* no_auth */
  pk[n] = reply(&pk[n - 1], 0, 0); n++;
  /* NTS: a Unique Identifier EF (0x0104, 36 bytes) and nothing else. */
  pk[n] = request("192.0.2.1", 40009, "192.0.2.100", 4, 80, 0, 0);
  put32(pk[n].payload + 48, 0x01040024);
  memset(pk[n].payload + 52, 0x5a, 32);
  pk[n].len = 84;
  n++;
  /* MS-SNTP: NTPv3, RID 0x00000457 little-endian, then 16 zero bytes. */
  pk[n] = request("192.0.2.1", 40010, "192.0.2.100", 3, 90, 0, 0);
  memset(pk[n].payload + 48, 0, 20);
  pk[n].payload[48] = 0x57; pk[n].payload[49] = 0x04;
  pk[n].len = 68;
  n++;
  /* Malformed: 46 bytes. */
  pk[n] = request("192.0.2.1", 40011, "192.0.2.100", 4, 100, 0, 0);
  pk[n].len = 46;
  n++;
  write_raw("verdicts.pcap", pk, n, false);

  /* The same traffic, nanosecond pcap: split in two files to test several inputs. */
  write_raw("part1.pcap", pk, 5, true);
  write_raw("part2.pcap", pk + 5, n - 5, false);
}

/* One authenticated exchange captured at both ends (--merge): the client's capture sees the
 * request leave at 0 ms and the reply arrive at 12 ms; the server's capture sees the request
 * arrive at 5 ms and the reply leave at 6 ms (one-way delays 5 and 6 ms). Then a request only
 * the client saw (lost on the way). */
static void gen_merge(void) {
  pkt client[3], server[2];
  client[0] = request("192.0.2.1", 40101, "192.0.2.100", 4, 0, 2, 20);
  client[1] = reply(&client[0], 2, 20);
  at(&client[1], 12);
  server[0] = client[0];
  at(&server[0], 5);
  server[1] = client[1];
  at(&server[1], 6);
  client[2] = request("192.0.2.1", 40102, "192.0.2.100", 4, 1000, 2, 20);
  write_raw("merge-client.pcap", client, 3, false);
  write_raw("merge-server.pcap", server, 2, false);
}

/* Findings on a merged timeline name their capture. Both ends see: request A (key 2) and the
 * crypto-NAK answering it; request B with MD5 (key 1) and its reply; request C. Only the server
 * sees C's reply (lost on the way back: timed against the server's sighting of C). Each capture
 * alone has a reply with a zero origin (unsolicited: one finding line naming both frames). */
static void gen_merge_findings(void) {
  pkt c[6], s[7];
  s[0] = c[0] = request("192.0.2.1", 40301, "192.0.2.100", 4, 0, 2, 20);
  at(&s[0], 5);
  s[1] = c[1] = reply(&c[0], 0, 0);
  c[1].len = s[1].len = nta_append_crypto_nak(c[1].payload, c[1].len, sizeof c[1].payload);
  memcpy(s[1].payload, c[1].payload, c[1].len);
  at(&s[1], 6);
  at(&c[1], 12);
  s[2] = c[2] = request("192.0.2.1", 40302, "192.0.2.100", 4, 100, 1, 16);
  at(&s[2], 105);
  s[3] = c[3] = reply(&c[2], 1, 16);
  at(&s[3], 106);
  at(&c[3], 112);
  s[4] = c[4] = request("192.0.2.1", 40303, "192.0.2.100", 4, 200, 2, 20);
  at(&s[4], 205);
  s[5] = reply(&c[4], 2, 20);
  at(&s[5], 206);
  c[5] = reply(&c[4], 0, 0);
  memset(c[5].payload + 24, 0, 8);
  at(&c[5], 300);
  s[6] = reply(&c[4], 0, 0);
  memset(s[6].payload + 24, 0, 8);
  s[6].payload[2] = 7;   /* another poll value: other bytes than the client's */
  at(&s[6], 310);
  write_raw("mergef-client.pcap", c, N_OF(c), false);
  write_raw("mergef-server.pcap", s, N_OF(s), false);
}

/* UDP that is not NTP (DNS), to show what a capture without NTP says. */
static void gen_no_ntp(void) {
  pkt p = request("192.0.2.1", 40200, "192.0.2.53", 4, 0, 0, 0);
  p.dst.port = 53;
  write_raw("no-ntp.pcap", &p, 1, false);
}

/* Every finding. */
static void gen_findings(void) {
  pkt pk[32];
  size_t n = 0;
  /* downgrade: SHA1 request, reply without MAC */
  pk[n] = request("198.51.100.1", 41001, "198.51.100.100", 4, 0, 2, 20); n++;
  pk[n] = reply(&pk[n - 1], 0, 0); n++;
  /* key mismatch: request key 2, reply key 11 */
  pk[n] = request("198.51.100.1", 41002, "198.51.100.100", 4, 10, 2, 20); n++;
  pk[n] = reply(&pk[n - 1], 11, 20); n++;
  /* crypto-NAK reply to an authenticated request */
  pk[n] = request("198.51.100.1", 41003, "198.51.100.100", 4, 20, 2, 20); n++;
  pk[n] = reply(&pk[n - 1], 0, 0);
  pk[n].len = nta_append_crypto_nak(pk[n].payload, pk[n].len, sizeof pk[0].payload);
  n++;
  /* unsolicited: zero origin, then an origin nobody sent */
  pk[n] = request("198.51.100.1", 41004, "198.51.100.100", 4, 30, 2, 20);
  pk[n] = reply(&pk[n], 0, 0);
  memset(pk[n].payload + 24, 0, 8);
  pk[n].len = sign(pk[n].payload, 48, 2, 20);
  n++;
  pk[n] = request("198.51.100.1", 41005, "198.51.100.100", 4, 40, 2, 20);
  pk[n] = reply(&pk[n], 0, 0);
  put64(pk[n].payload + 24, 0x1122334455667788ULL);
  pk[n].len = sign(pk[n].payload, 48, 2, 20);
  n++;
  /* replay: the same request twice */
  pk[n] = request("198.51.100.1", 41006, "198.51.100.100", 4, 50, 2, 20); n++;
  pk[n] = pk[n - 1];
  at(&pk[n], 1050);
  n++;
  /* KoD RATE as ntpd sends it: LI 3, stratum 0, origin = receive = transmit = request transmit */
  pk[n] = request("198.51.100.1", 41007, "198.51.100.100", 4, 60, 0, 0); n++;
  pk[n] = reply(&pk[n - 1], 0, 0);
  {
    uint64_t org = 0;
    for (int i = 40; i < 48; i++) org = (org << 8) | pk[n - 1].payload[i];
    hdr h = { 3, 4, 4, 0, 0x52415445, org, org, org };
    pk[n].len = ntp_header(pk[n].payload, &h);
  }
  n++;
  /* MD5 in use: key 1, answered */
  pk[n] = request("198.51.100.1", 41008, "198.51.100.100", 4, 70, 1, 16); n++;
  pk[n] = reply(&pk[n - 1], 1, 16); n++;
  /* shared key: key 11 from a second and third client */
  pk[n] = request("198.51.100.2", 41009, "198.51.100.100", 4, 80, 11, 20); n++;
  pk[n] = reply(&pk[n - 1], 11, 20); n++;
  pk[n] = request("198.51.100.3", 41010, "198.51.100.100", 4, 90, 11, 20); n++;
  pk[n] = reply(&pk[n - 1], 11, 20); n++;
  write_raw("findings.pcap", pk, n, false);
}

/* Link layers: the same good exchange on each. */
static void gen_links(void) {
  pkt q4 = request("203.0.113.1", 42001, "203.0.113.100", 4, 0, 2, 20);
  pkt a4 = reply(&q4, 2, 20);
  pkt q6 = request("2001:db8::1", 42002, "2001:db8::100", 4, 10, 11, 20);
  pkt a6 = reply(&q6, 11, 20);
  const pkt *all[4] = { &q4, &a4, &q6, &a6 };
  uint8_t ipb[2048], fr[2048];

  struct { const char *name; uint32_t lt; int kind; } links[] = {
    { "link-ether.pcap", 1, 0 }, { "link-vlan.pcap", 1, 1 }, { "link-qinq.pcap", 1, 2 },
    { "link-sll.pcap", 113, 3 }, { "link-sll2.pcap", 276, 4 }, { "link-null.pcap", 0, 5 },
  };
  for (size_t l = 0; l < N_OF(links); l++) {
    pcapw w = pcap_open(links[l].name, links[l].lt, false);
    for (int i = 0; i < 4; i++) {
      size_t n = ip_frame(all[i], ipb, sizeof ipb), m = 0;
      switch (links[l].kind) {
      case 0: m = wrap_ether(fr, ipb, n, 0); break;
      case 1: m = wrap_ether(fr, ipb, n, 1); break;
      case 2: m = wrap_ether(fr, ipb, n, 2); break;
      case 3: m = wrap_sll(fr, ipb, n); break;
      case 4: m = wrap_sll2(fr, ipb, n); break;
      case 5: m = wrap_null(fr, ipb, n); break;
      }
      pcap_rec(&w, all[i]->sec, all[i]->nsec, fr, m, m);
    }
    pcap_close(&w);
  }

  /* IPv6 with extension headers (hop-by-hop, destination options) before UDP. */
  {
    pcapw w = pcap_open("ipv6-ext.pcap", 101, false);   /* LINKTYPE_RAW */
    for (int i = 2; i < 4; i++) {
      size_t n = ip_frame(all[i], ipb, sizeof ipb);
      /* Insert two 8-byte extension headers after the 40-byte IPv6 header. */
      memcpy(fr, ipb, 40);
      fr[6] = 0;                                    /* next: hop-by-hop */
      uint8_t hbh[8] = { 60, 0, 1, 4, 0, 0, 0, 0 }; /* next: dest opts; PadN */
      uint8_t dst[8] = { 17, 0, 1, 4, 0, 0, 0, 0 }; /* next: UDP */
      memcpy(fr + 40, hbh, 8);
      memcpy(fr + 48, dst, 8);
      memcpy(fr + 56, ipb + 40, n - 40);
      uint16_t plen = (uint16_t)(n - 40 + 16);
      fr[4] = (uint8_t)(plen >> 8); fr[5] = (uint8_t)plen;
      pcap_rec(&w, all[i]->sec, all[i]->nsec, fr, n + 16, n + 16);
    }
    pcap_close(&w);
  }

  /* IPv4 fragments: an NTPv3 SHA1 request (72 bytes) cut into 2 fragments; the reply whole. */
  {
    pkt q = request("203.0.113.1", 42003, "203.0.113.100", 3, 20, 2, 20);
    pkt a = reply(&q, 2, 20);
    pcapw w = pcap_open("frag4.pcap", 101, false);
    size_t n = ip_frame(&q, ipb, sizeof ipb);       /* 20 IP + 8 UDP + 72 */
    size_t first = 48;                               /* bytes of IP payload in fragment 1 */
    /* fragment 1: IP header + 48 bytes (UDP header + 40 payload), MF set, offset 0 */
    memcpy(fr, ipb, 20 + first);
    fr[2] = (uint8_t)((20 + first) >> 8); fr[3] = (uint8_t)(20 + first);
    fr[4] = 0x12; fr[5] = 0x34;
    fr[6] = 0x20; fr[7] = 0;
    fr[10] = fr[11] = 0;
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (uint32_t)(fr[i] << 8 | fr[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    fr[10] = (uint8_t)(~sum >> 8); fr[11] = (uint8_t)~sum;
    pcap_rec(&w, q.sec, q.nsec, fr, 20 + first, 20 + first);
    /* fragment 2: rest, offset 48/8 = 6 */
    size_t rest = n - 20 - first;
    memcpy(fr, ipb, 20);
    memcpy(fr + 20, ipb + 20 + first, rest);
    fr[2] = (uint8_t)((20 + rest) >> 8); fr[3] = (uint8_t)(20 + rest);
    fr[4] = 0x12; fr[5] = 0x34;
    fr[6] = 0; fr[7] = (uint8_t)(first / 8);
    fr[10] = fr[11] = 0;
    sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (uint32_t)(fr[i] << 8 | fr[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    fr[10] = (uint8_t)(~sum >> 8); fr[11] = (uint8_t)~sum;
    pcap_rec(&w, q.sec, q.nsec + 100000, fr, 20 + rest, 20 + rest);
    n = ip_frame(&a, ipb, sizeof ipb);
    pcap_rec(&w, a.sec, a.nsec, ipb, n, n);
    pcap_close(&w);
  }

  /* IPv6 fragments: the IPv6 request in two fragments (fragment header), the reply whole. */
  {
    pcapw w = pcap_open("frag6.pcap", 101, false);
    size_t n = ip_frame(&q6, ipb, sizeof ipb);       /* 40 + 8 + 72 */
    size_t upl = n - 40, first = 40;
    for (int part = 0; part < 2; part++) {
      size_t off = part ? first : 0, len = part ? upl - first : first;
      memcpy(fr, ipb, 40);
      fr[6] = 44;
      uint16_t plen = (uint16_t)(8 + len);
      fr[4] = (uint8_t)(plen >> 8); fr[5] = (uint8_t)plen;
      uint8_t fh[8] = { 17, 0, 0, 0, 0, 0, 0x56, 0x78 };
      /* offset in 8-byte units in the top 13 bits of bytes 2-3, M flag in bit 0 */
      uint16_t offw = (uint16_t)(((off / 8) << 3) | (part ? 0 : 1));
      fh[2] = (uint8_t)(offw >> 8); fh[3] = (uint8_t)offw;
      memcpy(fr + 40, fh, 8);
      memcpy(fr + 48, ipb + 40 + off, len);
      pcap_rec(&w, q6.sec, q6.nsec + (uint64_t)part * 100000, fr, 48 + len, 48 + len);
    }
    n = ip_frame(&a6, ipb, sizeof ipb);
    pcap_rec(&w, a6.sec, a6.nsec, ipb, n, n);
    pcap_close(&w);
  }

  /* Snap length: the reply cut after 60 bytes of NTP payload (its MAC is missing). */
  {
    pcapw w = pcap_open("snaplen.pcap", 101, false);
    size_t n = ip_frame(&q4, ipb, sizeof ipb);
    pcap_rec(&w, q4.sec, q4.nsec, ipb, n, n);
    n = ip_frame(&a4, ipb, sizeof ipb);
    pcap_rec(&w, a4.sec, a4.nsec, ipb, 28 + 60, n);
    pcap_close(&w);
  }

  /* A packet on port 1123: only seen with --port 1123. */
  {
    pkt q = request("203.0.113.1", 42004, "203.0.113.100", 4, 30, 2, 20);
    q.dst.port = 1123;
    pkt a = reply(&q, 2, 20);
    pkt two[2] = { q, a };
    write_raw("port1123.pcap", two, 2, false);
  }
}

/* pcapng with two interfaces of different link types and timestamp resolutions. */
static void pad4(FILE *f, size_t n) {
  static const uint8_t z[4];
  fwrite(z, 1, (4 - n % 4) % 4, f);
}

static void gen_pcapng(void) {
  FILE *f = fopen(path_of("multi.pcapng"), "wb");
  if (!f) die("multi.pcapng", "cannot create");
  /* Section header block */
  w32(f, 0x0a0d0d0a); w32(f, 28); w32(f, 0x1a2b3c4d); w16(f, 1); w16(f, 0);
  w32(f, 0xffffffff); w32(f, 0xffffffff); w32(f, 28);
  /* IDB 0: Ethernet, default microseconds */
  w32(f, 1); w32(f, 20); w16(f, 1); w16(f, 0); w32(f, 262144); w32(f, 20);
  /* IDB 1: raw IP, if_tsresol = 9 (nanoseconds) */
  w32(f, 1); w32(f, 32); w16(f, 101); w16(f, 0); w32(f, 262144);
  w16(f, 9); w16(f, 1); fputc(9, f); fputc(0, f); fputc(0, f); fputc(0, f);
  w16(f, 0); w16(f, 0);
  w32(f, 32);

  pkt q = request("203.0.113.1", 43001, "203.0.113.100", 4, 0, 2, 20);
  pkt a = reply(&q, 2, 20);
  pkt q2 = request("203.0.113.1", 43002, "203.0.113.100", 4, 10, 4, 16);
  pkt a2 = reply(&q2, 4, 16);
  const pkt *all[4] = { &q, &a, &q2, &a2 };
  uint8_t ipb[2048], fr[2048];
  for (int i = 0; i < 4; i++) {
    uint32_t ifc = (uint32_t)(i & 1);
    size_t n = ip_frame(all[i], ipb, sizeof ipb), m;
    const uint8_t *data = ipb;
    if (ifc == 0) { m = wrap_ether(fr, ipb, n, 0); data = fr; } else m = n;
    uint64_t ts = ifc == 0 ? (uint64_t)all[i]->sec * 1000000ULL + all[i]->nsec / 1000
                           : (uint64_t)all[i]->sec * 1000000000ULL + all[i]->nsec;
    uint32_t total = (uint32_t)(28 + m + (4 - m % 4) % 4 + 4);
    w32(f, 6); w32(f, total); w32(f, ifc); w32(f, (uint32_t)(ts >> 32)); w32(f, (uint32_t)ts);
    w32(f, (uint32_t)m); w32(f, (uint32_t)m);
    fwrite(data, 1, m, f);
    pad4(f, m);
    w32(f, total);
  }
  fclose(f);
}

/* Damaged files: cut in the middle of a record, and a record with an absurd length. */
static void gen_damaged(void) {
  pkt pk[4];
  pk[0] = request("192.0.2.1", 44001, "192.0.2.100", 4, 0, 2, 20);
  pk[1] = reply(&pk[0], 2, 20);
  pk[2] = request("192.0.2.1", 44002, "192.0.2.100", 4, 10, 2, 20);
  pk[3] = reply(&pk[2], 2, 20);
  uint8_t ipb[2048];
  pcapw w = pcap_open("truncated.pcap", 101, false);
  for (int i = 0; i < 3; i++) {
    size_t n = ip_frame(&pk[i], ipb, sizeof ipb);
    pcap_rec(&w, pk[i].sec, pk[i].nsec, ipb, n, n);
  }
  size_t n = ip_frame(&pk[3], ipb, sizeof ipb);
  /* record header says n bytes, only 30 follow */
  w32(w.f, (uint32_t)pk[3].sec); w32(w.f, (uint32_t)(pk[3].nsec / 1000));
  w32(w.f, (uint32_t)n); w32(w.f, (uint32_t)n);
  fwrite(ipb, 1, 30, w.f);
  pcap_close(&w);

  w = pcap_open("corrupt.pcap", 101, false);
  for (int i = 0; i < 2; i++) {
    n = ip_frame(&pk[i], ipb, sizeof ipb);
    pcap_rec(&w, pk[i].sec, pk[i].nsec, ipb, n, n);
  }
  /* a record claiming 3 GB */
  w32(w.f, (uint32_t)pk[2].sec); w32(w.f, 0); w32(w.f, 0xc0000000u); w32(w.f, 0xc0000000u);
  fwrite(ipb, 1, 64, w.f);
  pcap_close(&w);

  /* Not a capture at all. */
  FILE *f = fopen(path_of("notacapture.pcap"), "wb");
  if (!f) die("notacapture.pcap", "cannot create");
  fputs("this is not a capture file\n", f);
  fclose(f);
}

/* A longer mixed capture (many batches for the threaded pipeline): requests from 40 clients with
 * keys 1, 2, 3, 4, 11 in turn, every 7th MAC broken, every request answered. */
static void gen_many(const char *name, unsigned n) {
  static const uint32_t key_ids[5] = { 1, 2, 3, 4, 11 };
  static const size_t dlens[5] = { 16, 20, 20, 16, 20 };
  nta_diag err;
  cap_writer *w = cap_writer_open(path_of(name), CAP_LINK_RAW, false, 0, 0, &err);
  if (!w) die(name, err.msg);
  for (unsigned i = 0; i < n / 2; i++) {
    char host[32];
    snprintf(host, sizeof host, "10.0.%u.%u", (i % 40) / 200, 1 + i % 40);
    unsigned k = i % 5;
    pkt q = request(host, (uint16_t)(20000 + i % 30000), "10.0.9.9", 4, (int64_t)i * 3,
                    key_ids[k], dlens[k]);
    if (i % 7 == 3) q.payload[q.len - 2] ^= 1;
    pkt a = reply(&q, key_ids[k], dlens[k]);
    const pkt *two[2] = { &q, &a };
    for (int j = 0; j < 2; j++)
      if (cap_writer_write_udp(w, two[j]->sec, (uint32_t)two[j]->nsec, &two[j]->src, &two[j]->dst,
                               two[j]->payload, two[j]->len, &err) != NTA_OK)
        die(name, err.msg);
  }
  cap_writer_close(w);
}

int main(int argc, char **argv) {
  if (argc != 3 && !(argc == 5 && strcmp(argv[3], "--many") == 0)) {
    fprintf(stderr, "usage: gen_captures KEYFILE OUTDIR [--many N]\n");
    return 2;
  }
  outdir = argv[2];
  keys = nta_keyring_create();
  nta_diag err = { { 0 } };
  if (nta_keyring_load_file(keys, argv[1], NTA_DIALECT_AUTO, NULL, NULL, &err) != NTA_OK)
    die(argv[1], err.msg);
  if (argc == 5) {
    gen_many("many.pcap", (unsigned)strtoul(argv[4], NULL, 10));
    nta_keyring_destroy(keys);
    return 0;
  }
  gen_verdicts();
  gen_merge();
  gen_merge_findings();
  gen_no_ntp();
  gen_findings();
  gen_links();
  gen_pcapng();
  gen_damaged();
  nta_keyring_destroy(keys);
  return 0;
}
