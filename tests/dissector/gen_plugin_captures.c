/* tests/dissector/gen_plugin_captures.c - test captures for the Wireshark plugin.
 *
 *   gen_plugin_captures DIR          writes DIR/plugin.keys, DIR/plugin-broken.keys and
 *                                    DIR/plugin-cases.pcap (every verdict, pairing finding and
 *                                    the trailers Wireshark 4.0 mis-splits)
 *   gen_plugin_captures --bench N FILE   writes N packets (SHA1-authenticated client/server
 *                                    pairs, 1 in 64 with a bad MAC) for bench/plugin-bench.sh
 *
 * Packets are built here and signed with the core's nta_sign(), then framed by the project's
 * capture writer, so the test depends on no external capture. The expected verdicts are not
 * written down here: the test compares the plugin with ntpauth-analyze on the same files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/writer.h"
#include "ntpauth/bytes.h"
#include "ntpauth/keyring.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

/* Keys of the test (ntpd dialect). 13 is left out of the trust list in the trust test. */
static const char KEYFILE[] =
    "# keys for the ntpauth plugin tests - published, never use them for real\n"
    " 1 MD5 abcdefghijklmnopqrst\n"
    "11 SHA1 933f62be1d604e68a81b557f18cfa200483f5b70\n"
    "12 AES128CMAC 7ea62ae64d190114d46d5a082f948ec1\n"
    "13 SHA1 0097fcaec874edf5145c47b377040e207871bffc\n"
    "20 SHA384 e21abb71dd70387cdc6f4073a71ef29c07ae9dc2b16e2fb06dc33c59a55b07ec\n"
    "31 SHA256 041c5828f83b89f80d6094bd399d0caf63c91b404ceef3394b9c10dc951f1a0d\n"
    "32 SHA512 0d8c3355ff905e692cbea8906252c12aa5de55cde5a9ff1dc470e16907279ec5\n";

/* A keyfile with a line that cannot be parsed (bad hex) and one with key ID 0. */
static const char BROKEN_KEYFILE[] =
    "11 SHA1 933f62be1d604e68a81b557f18cfa200483f5b70\n"
    "12 SHA1 zz3f62be1d604e68a81b557f18cfa200483f5b70zz\n"
    " 0 MD5 reserved\n";

#define PKT_MAX 512
#define BASE_UNIX 1795780800   /* 2026-11-27 12:00:00 UTC */

typedef struct {
  cap_writer *w;
  const nta_keyring *kr;
  int64_t sec;
  uint32_t nsec;
  uint32_t frames;
} gen;

static void die(const char *what, const nta_diag *err) {
  fprintf(stderr, "gen_plugin_captures: %s: %s\n", what, err ? err->msg : "failed");
  exit(2);
}

static nta_endpoint ep4(const char *a, uint16_t port) {
  nta_endpoint ep;
  if (!cap_endpoint_parse(a, port, &ep)) {
    fprintf(stderr, "gen_plugin_captures: bad address %s\n", a);
    exit(2);
  }
  return ep;
}

/* A 48-byte header: version, mode, and the timestamps that pair a reply with its request. */
static size_t header(uint8_t *buf, uint8_t version, uint8_t mode, uint64_t org, uint64_t xmt) {
  bool reply = mode == 4;
  nta_header h = {
    .version = version, .mode = mode, .stratum = reply ? 2 : 0, .poll = 6, .precision = -20,
    .root_delay = reply ? 0x00000100 : 0, .root_dispersion = reply ? 0x00000200 : 0,
    .refid = reply ? 0xc0000201 : 0,  /* 192.0.2.1 */
    .ref_ts = reply ? xmt - (16ull << 32) : 0, .org_ts = org, .rec_ts = reply ? xmt - 0x1000 : 0,
    .xmt_ts = xmt,
  };
  return nta_header_write(&h, buf, PKT_MAX);
}

static size_t sign(const gen *g, uint32_t key_id, uint8_t *buf, size_t len, size_t digest_len) {
  const nta_key *k = nta_keyring_find(g->kr, key_id);
  if (!k) {
    fprintf(stderr, "gen_plugin_captures: key %u missing\n", key_id);
    exit(2);
  }
  size_t n = nta_sign(k, buf, len, PKT_MAX, digest_len);
  if (!n) {
    fprintf(stderr, "gen_plugin_captures: nta_sign(key %u, %zu bytes) failed\n", key_id,
            digest_len);
    exit(2);
  }
  return n;
}

static void emit(gen *g, const nta_endpoint *src, const nta_endpoint *dst, const uint8_t *p,
                 size_t len) {
  nta_diag err;
  g->nsec += 250000;
  if (g->nsec >= 1000000000u) {
    g->nsec -= 1000000000u;
    g->sec++;
  }
  if (cap_writer_write_udp(g->w, g->sec, g->nsec, src, dst, p, len, &err) != NTA_OK)
    die("write", &err);
  g->frames++;
}

/* A datagram whose capture was cut to `caplen` bytes of the frame. */
static void emit_cut(gen *g, const nta_endpoint *src, const nta_endpoint *dst, const uint8_t *p,
                     size_t len, size_t cut) {
  uint8_t frame[PKT_MAX + 64];
  nta_diag err;
  size_t flen = cap_build_ip_udp(src, dst, p, len, frame, sizeof frame);
  if (!flen || cut > flen)
    die("frame", NULL);
  g->sec++;
  if (cap_writer_write_frame(g->w, g->sec, g->nsec, frame, cut, flen, &err) != NTA_OK)
    die("write", &err);
  g->frames++;
}

static uint64_t ts(const gen *g, uint32_t n) {
  return nta_ts_from_unix(g->sec, g->nsec) + ((uint64_t)n << 12);
}

/* One client request (and optionally a reply) with the given trailers. key 0 = no MAC;
 * digest length 0 = the algorithm's wire default (truncated to 20 when longer). */
typedef struct {
  uint8_t version;
  uint32_t req_key;
  size_t req_dlen;
  bool req_corrupt;
  int reply;               /* 0 none, 1 signed, 2 unsigned, 3 crypto-NAK */
  uint32_t rep_key;
  size_t rep_dlen;
  bool rep_corrupt;
  size_t ef_len;           /* an unknown extension field of this length before the MAC */
} exchange_case;

static size_t default_dlen(const gen *g, uint32_t key_id) {
  size_t full = nta_mac_output_len(nta_key_mac(nta_keyring_find(g->kr, key_id)));
  return full > NTA_MAC_TRUNC ? NTA_MAC_TRUNC : full;
}

static void exchange_pair(gen *g, const nta_endpoint *cli, const nta_endpoint *srv,
                          const exchange_case *c) {
  static uint32_t serial;
  uint8_t req[PKT_MAX], rep[PKT_MAX];
  uint64_t t1 = ts(g, ++serial);
  size_t len = header(req, c->version, 3, 0, t1);
  if (c->ef_len) {
    nta_writer w;
    nta_wr_init(&w, req + len, PKT_MAX - len);
    nta_wr_u16(&w, 0x2005);                /* an experimental type nobody knows */
    nta_wr_u16(&w, (uint16_t)c->ef_len);
    for (size_t i = 4; i < c->ef_len; i++)
      nta_wr_u8(&w, (uint8_t)i);
    len += w.off;
  }
  if (c->req_key)
    len = sign(g, c->req_key, req, len, c->req_dlen ? c->req_dlen : default_dlen(g, c->req_key));
  if (c->req_corrupt)
    req[len - 1] ^= 0x5a;
  emit(g, cli, srv, req, len);
  if (!c->reply)
    return;

  size_t rlen = header(rep, c->version, 4, t1, t1 + 0x3000);
  if (c->reply == 1)
    rlen = sign(g, c->rep_key, rep, rlen, c->rep_dlen ? c->rep_dlen : default_dlen(g, c->rep_key));
  else if (c->reply == 3)
    rlen = nta_append_crypto_nak(rep, rlen, PKT_MAX);
  if (c->rep_corrupt)
    rep[rlen - 1] ^= 0x5a;
  emit(g, srv, cli, rep, rlen);
}

/* A mode 6 (ntpq) read-variables request, signed like ntpq does. */
static void control_request(gen *g, const nta_endpoint *cli, const nta_endpoint *srv,
                            uint32_t key_id, bool corrupt) {
  uint8_t p[PKT_MAX];
  static const char vars[] = "version,stratum";
  nta_writer w;
  nta_wr_init(&w, p, PKT_MAX);
  nta_wr_u8(&w, (0 << 6) | (2 << 3) | 6);
  nta_wr_u8(&w, 2);                     /* opcode: read variables */
  nta_wr_u16(&w, 7);                    /* sequence */
  nta_wr_u16(&w, 0);                    /* status */
  nta_wr_u16(&w, 0);                    /* association */
  nta_wr_u16(&w, 0);                    /* offset */
  nta_wr_u16(&w, sizeof vars - 1);      /* count */
  nta_wr_bytes(&w, vars, sizeof vars - 1);
  while (w.off % 8)                     /* ntpq pads to 8 before the MAC */
    nta_wr_u8(&w, 0);
  size_t len = sign(g, key_id, p, w.off, default_dlen(g, key_id));
  if (corrupt)
    p[len - 3] ^= 1;
  emit(g, cli, srv, p, len);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
    fprintf(stderr, "gen_plugin_captures: cannot write %s\n", path);
    exit(2);
  }
}

static nta_keyring *load_keys(void) {
  nta_keyring *kr = nta_keyring_create();
  nta_diag err;
  if (!kr || nta_keyring_load_text(kr, "plugin.keys", KEYFILE, strlen(KEYFILE), NTA_DIALECT_NTPD,
                                   NULL, NULL, &err) != NTA_OK)
    die("keys", &err);
  return kr;
}

static void gen_cases(const char *dir) {
  char path[4096];
  nta_diag err;
  nta_keyring *kr = load_keys();
  snprintf(path, sizeof path, "%s/plugin.keys", dir);
  write_text(path, KEYFILE);
  snprintf(path, sizeof path, "%s/plugin-broken.keys", dir);
  write_text(path, BROKEN_KEYFILE);
  snprintf(path, sizeof path, "%s/plugin-cases.pcap", dir);
  gen g = { .kr = kr, .sec = BASE_UNIX };
  g.w = cap_writer_open(path, CAP_LINK_RAW, false, 0, 0, &err);
  if (!g.w)
    die(path, &err);

  nta_endpoint cli = ep4("192.0.2.10:40123", 123), srv = ep4("192.0.2.1:123", 123);
  nta_endpoint cli2 = ep4("192.0.2.11:40124", 123), srv2 = ep4("192.0.2.2:123", 123);
  nta_endpoint cli6 = ep4("[2001:db8::10]:40125", 123), srv6 = ep4("[2001:db8::1]:123", 123);

  /* good SHA1 both ways */
  exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 11, 0, false, 1, 11, 0, false, 0 });
  /* bad MAC in the request; server (ntpd-like) answers a crypto-NAK */
  exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 11, 0, true, 3, 0, 0, false, 0 });
  /* good request, bad MAC in the reply */
  exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 11, 0, false, 1, 11, 0, true, 0 });
  /* unknown key 99: sign with 11 and rewrite the key ID */
  {
    uint8_t p[PKT_MAX];
    size_t len = sign(&g, 11, p, header(p, 4, 3, 0, ts(&g, 900)), 20);
    p[48] = 0; p[49] = 0; p[50] = 0; p[51] = 99;
    emit(&g, &cli2, &srv2, p, len);
  }
  /* key 13: untrusted when the trust list leaves it out */
  exchange_pair(&g, &cli2, &srv2, &(exchange_case){ 4, 13, 0, false, 1, 13, 0, false, 0 });
  /* MD5 good */
  exchange_pair(&g, &cli2, &srv2, &(exchange_case){ 4, 1, 0, false, 1, 1, 0, false, 0 });
  /* no authentication at all */
  exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 0, 0, false, 2, 0, 0, false, 0 });
  /* downgrade: authenticated request answered without a MAC */
  exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 11, 0, false, 2, 0, 0, false, 0 });
  /* key mismatch: request with 11, reply with 12 (AES-CMAC) */
  exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 11, 0, false, 1, 12, 0, false, 0 });
  /* AES-128-CMAC good */
  exchange_pair(&g, &cli2, &srv2, &(exchange_case){ 4, 12, 0, false, 1, 12, 0, false, 0 });
  /* the cases Wireshark 4.0 mis-splits: ntpdig's full-length SHA384 key 20 / SHA512 key 32 in
   * NTPv4, answered with 20-byte truncations */
  exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 20, 48, false, 1, 20, 20, false, 0 });
  exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 32, 64, false, 1, 32, 20, false, 0 });
  exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 32, 64, true, 0, 0, 0, false, 0 });
  /* chrony NTPv3 with a full SHA256 digest */
  exchange_pair(&g, &cli2, &srv2, &(exchange_case){ 3, 31, 32, false, 1, 31, 32, false, 0 });
  /* an extension field before the MAC */
  exchange_pair(&g, &cli2, &srv2, &(exchange_case){ 4, 11, 0, false, 1, 11, 0, false, 16 });
  exchange_pair(&g, &cli2, &srv2, &(exchange_case){ 4, 11, 0, false, 1, 11, 0, false, 28 });
  /* IPv6, good and bad */
  exchange_pair(&g, &cli6, &srv6, &(exchange_case){ 4, 11, 0, false, 1, 11, 0, false, 0 });
  exchange_pair(&g, &cli6, &srv6, &(exchange_case){ 4, 12, 0, true, 0, 0, 0, false, 0 });
  /* mode 6 control requests, good and bad */
  control_request(&g, &cli, &srv, 11, false);
  control_request(&g, &cli, &srv, 11, true);
  /* malformed: not a multiple of 4 */
  {
    uint8_t p[PKT_MAX];
    size_t len = header(p, 4, 3, 0, ts(&g, 901));
    memset(p + len, 0xab, 6);
    emit(&g, &cli, &srv, p, len + 6);
  }
  /* cut by the snap length inside the MAC */
  {
    uint8_t p[PKT_MAX];
    size_t len = sign(&g, 11, p, header(p, 4, 3, 0, ts(&g, 902)), 20);
    emit_cut(&g, &cli, &srv, p, len, 20 + 8 + 60);
  }
  /* an unsolicited signed reply (origin matches no request) */
  {
    uint8_t p[PKT_MAX];
    size_t len = sign(&g, 11, p, header(p, 4, 4, ts(&g, 903), ts(&g, 904)), 20);
    emit(&g, &srv, &cli, p, len);
  }
  cap_writer_close(g.w);
  nta_keyring_destroy(kr);
  printf("%s: %u frames\n", path, g.frames);
}

static void gen_bench(unsigned long n, const char *path) {
  nta_diag err;
  nta_keyring *kr = load_keys();
  gen g = { .kr = kr, .sec = BASE_UNIX };
  g.w = cap_writer_open(path, CAP_LINK_RAW, false, 0, 0, &err);
  if (!g.w)
    die(path, &err);
  nta_endpoint cli = ep4("192.0.2.10:40123", 123), srv = ep4("192.0.2.1:123", 123);
  for (unsigned long i = 0; i + 2 <= n; i += 2) {
    cli.port = (uint16_t)(1024 + (i / 2) % 60000);
    bool bad = (i / 2) % 64 == 63;
    exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 11, 0, bad, 1, 11, 0, false, 0 });
  }
  if (n % 2)
    exchange_pair(&g, &cli, &srv, &(exchange_case){ 4, 11, 0, false, 0, 0, 0, false, 0 });
  cap_writer_close(g.w);
  nta_keyring_destroy(kr);
  printf("%s: %u frames\n", path, g.frames);
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "--bench") == 0) {
    char *end;
    unsigned long n = strtoul(argv[2], &end, 10);
    if (*end || n == 0 || n > 100000000ul) {
      fprintf(stderr, "gen_plugin_captures: bad packet count %s\n", argv[2]);
      return 2;
    }
    gen_bench(n, argv[3]);
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: gen_plugin_captures DIR\n       gen_plugin_captures --bench N FILE\n");
    return 2;
  }
  gen_cases(argv[1]);
  return 0;
}
