/* samplegen.c - ntpauth-samplegen: the deterministic sample captures.
 *
 * Builds every exchange of the sample set from a fixed clock, fixed keys (samples/ntp.keys) and a
 * fixed-seed byte generator, signs with the core (nta_sign, nta_append_crypto_nak) and writes
 * with the capture writer, so the same sources and keyfile give the same files bit for bit.
 * The server side follows what ntpauth-server does: same key and digest length as the request,
 * crypto-NAK on a failed MAC, Classic ntpd's KoD RATE layout.
 *
 *   ntpauth-samplegen -k samples/ntp.keys -o DIR [NAME...]     (-l lists the names) */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/writer.h"
#include "ntpauth/keyring.h"
#include "ntpauth/mac.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"
#include "sg_build.h"

/* 2026-01-01 12:00:00 UTC: every sample starts here. */
#define SG_EPOCH_UNIX 1767268800LL
#define SG_NS 1000000000LL

typedef enum {
  SG_REPLY_NORMAL,      /* signed with the request's key and digest length, or plain */
  SG_REPLY_CRYPTO_NAK,  /* the MAC failed: header + 4 zero bytes (RFC 5905, Classic ntpd) */
  SG_REPLY_KOD_RATE,    /* rate limit hit: Classic's KoD layout, signed like a normal reply */
  SG_REPLY_NTS,         /* NTS: UID echoed + authenticator with "encrypted" cookies */
  SG_REPLY_NTSN         /* NTS NAK: KoD NTSN with the UID only */
} sg_reply_kind;

typedef struct {
  uint8_t version;
  const nta_key *key;       /* client key; NULL: unauthenticated */
  size_t digest_len;        /* 0: full length, cut to 20 bytes when longer (ntpd style) */
  uint16_t ef_type;         /* non-zero: one extension field before the MAC */
  size_t ef_len;
  bool nts;                 /* NTS-style request (UID, cookie, placeholder, authenticator) */
  sg_reply_kind reply;
} sg_exchange;

typedef struct {
  const char *name;         /* output file */
  cap_writer *w;
  nta_endpoint client, server;
  int64_t now_ns;           /* capture clock (the server's system clock), ns since 1970 */
  int64_t client_lag_ns;    /* how far the client's clock is behind */
  uint8_t stratum;
  uint32_t refid;
  double root_delay, root_dispersion;
  sg_prng prng;
  const nta_keyring *server_keys;
  nta_diag err;
} sg_run;

static uint64_t ntp_ts(int64_t unix_ns) {
  uint64_t sec = (uint64_t)(unix_ns / SG_NS + NTA_NTP_UNIX_OFFSET);
  uint64_t frac = ((uint64_t)(unix_ns % SG_NS) << 32) / (uint64_t)SG_NS;
  return (sec << 32) | frac;
}

static size_t default_digest_len(const nta_key *key) {
  size_t full = nta_mac_output_len(nta_key_mac(key));
  return full > NTA_MAC_TRUNC ? NTA_MAC_TRUNC : full;
}

static bool write_packet(sg_run *run, int64_t at_ns, const nta_endpoint *src,
                         const nta_endpoint *dst, const uint8_t *msg, size_t len) {
  return cap_writer_write_udp(run->w, at_ns / SG_NS, (uint32_t)(at_ns % SG_NS), src, dst, msg, len,
                              &run->err) == NTA_OK;
}

static size_t build_nts_request(sg_run *run, uint8_t *msg, size_t len, uint8_t uid[32]) {
  uint8_t cookie[100];
  sg_prng_fill(&run->prng, uid, 32);
  sg_prng_fill(&run->prng, cookie, sizeof cookie);
  len = sg_put_ef(msg, len, SG_MSG_MAX, 0x0104, uid, 32, 0);
  len = len ? sg_put_ef(msg, len, SG_MSG_MAX, 0x0204, cookie, sizeof cookie, 0) : 0;
  static const uint8_t placeholder[100];
  len = len ? sg_put_ef(msg, len, SG_MSG_MAX, 0x0304, placeholder, sizeof placeholder, 0) : 0;
  /* AES-SIV-CMAC-256: 16-byte nonce, ciphertext = the 16-byte tag of an empty plaintext. */
  return len ? sg_put_nts_auth(msg, len, SG_MSG_MAX, &run->prng, 16, 16) : 0;
}

static size_t build_request(sg_run *run, const sg_exchange *ex, int64_t client_ns, uint8_t *msg,
                            uint8_t uid[32]) {
  nta_header h = {
    .li = 0, .version = ex->version, .mode = 3, .poll = 6, .precision = -20,
    .xmt_ts = ntp_ts(client_ns),
  };
  size_t len = nta_header_write(&h, msg, SG_MSG_MAX);
  if (ex->nts)
    return build_nts_request(run, msg, len, uid);
  if (ex->ef_type) {
    uint8_t body[64];
    sg_prng_fill(&run->prng, body, sizeof body);
    len = sg_put_ef(msg, len, SG_MSG_MAX, ex->ef_type, body, ex->ef_len - 4, ex->ef_len);
  }
  if (len && ex->key)
    len = nta_sign(ex->key, msg, len, SG_MSG_MAX, ex->digest_len ? ex->digest_len
                                                                 : default_digest_len(ex->key));
  return len;
}

/* The reply a server holding `server_keys` sends; fills `len` = 0 on a build failure. */
static size_t build_reply(sg_run *run, const sg_exchange *ex, const uint8_t *req, size_t req_len,
                          int64_t rx_ns, int64_t tx_ns, const uint8_t uid[32], uint8_t *msg) {
  nta_packet pkt;
  nta_verify_result vr;
  nta_packet_parse(req, req_len, req_len, &pkt);
  nta_verify(run->server_keys, &pkt, req, &vr);

  nta_header h = {
    .li = 0, .version = ex->version, .mode = 4, .stratum = run->stratum, .poll = pkt.poll,
    .precision = -23, .root_delay = sg_short_from_seconds(run->root_delay),
    .root_dispersion = sg_short_from_seconds(run->root_dispersion), .refid = run->refid,
    .ref_ts = ntp_ts(rx_ns - 17 * SG_NS), .org_ts = pkt.xmt_ts, .rec_ts = ntp_ts(rx_ns),
    .xmt_ts = ntp_ts(tx_ns),
  };
  if (ex->reply == SG_REPLY_KOD_RATE) {
    /* Classic fast_xmit(): unsynchronised, stratum 0, "RATE", the request's own values, and
     * its transmit timestamp in origin, receive and transmit. */
    h = (nta_header){
      .li = 3, .version = ex->version, .mode = 4, .stratum = 0,
      .poll = pkt.poll < 10 ? 10 : pkt.poll, .precision = pkt.precision,
      .root_delay = pkt.root_delay, .root_dispersion = pkt.root_dispersion,
      .refid = sg_refid_text("RATE"), .ref_ts = pkt.ref_ts,
      .org_ts = pkt.xmt_ts, .rec_ts = pkt.xmt_ts, .xmt_ts = pkt.xmt_ts,
    };
  } else if (ex->reply == SG_REPLY_NTSN) {
    h.li = 3;
    h.stratum = 0;
    h.refid = sg_refid_text("NTSN");
    h.ref_ts = 0;
  }
  size_t len = nta_header_write(&h, msg, SG_MSG_MAX);
  switch (ex->reply) {
  case SG_REPLY_CRYPTO_NAK:
    return len ? nta_append_crypto_nak(msg, len, SG_MSG_MAX) : 0;
  case SG_REPLY_NTS:
    len = len ? sg_put_ef(msg, len, SG_MSG_MAX, 0x0104, uid, 32, 0) : 0;
    /* Two new cookies (one per cookie EF + placeholder sent) inside the encrypted part. */
    return len ? sg_put_nts_auth(msg, len, SG_MSG_MAX, &run->prng, 16, 16 + 2 * 104) : 0;
  case SG_REPLY_NTSN:
    return len ? sg_put_ef(msg, len, SG_MSG_MAX, 0x0104, uid, 32, 0) : 0;
  case SG_REPLY_NORMAL:
  case SG_REPLY_KOD_RATE:
    break;
  }
  if (len && vr.verdict == NTA_V_GOOD && vr.key)
    len = nta_sign(vr.key, msg, len, SG_MSG_MAX, vr.digest_len);
  return len;
}

/* One request and its reply, as the server's capture tap records them; advances the clock. */
static bool run_exchange(sg_run *run, const sg_exchange *ex, int64_t gap_ns) {
  uint8_t req[SG_MSG_MAX], rep[SG_MSG_MAX], uid[32] = { 0 };
  int64_t rx = run->now_ns;
  int64_t client_tx = rx - 180000 - run->client_lag_ns;   /* 180 us on the way */
  int64_t tx = rx + 27000;
  size_t req_len = build_request(run, ex, client_tx, req, uid);
  if (!req_len) {
    nta_diag_set(&run->err, NTA_ERR_FULL, "%s: cannot build a request", run->name);
    return false;
  }
  if (!write_packet(run, rx, &run->client, &run->server, req, req_len))
    return false;
  size_t rep_len = build_reply(run, ex, req, req_len, rx, tx, uid, rep);
  if (!rep_len || rep_len > req_len) {
    nta_diag_set(&run->err, NTA_ERR_FULL, "%s: reply of %zu bytes for a %zu-byte request",
                 run->name, rep_len, req_len);
    return false;
  }
  if (!write_packet(run, tx + 4000, &run->server, &run->client, rep, rep_len))
    return false;
  run->now_ns += gap_ns;
  return true;
}

static nta_endpoint endpoint4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  nta_endpoint ep = { .family = 4, .addr = { a, b, c, d }, .port = port };
  return ep;
}

static nta_endpoint endpoint6_doc(uint8_t last, uint16_t port) {
  /* 2001:db8::<last> (documentation prefix) */
  nta_endpoint ep = { .family = 6, .addr = { 0x20, 0x01, 0x0d, 0xb8 }, .port = port };
  ep.addr[15] = last;
  return ep;
}

typedef struct {
  const nta_keyring *keys;     /* samples/ntp.keys: what client and server share */
  const nta_keyring *wrong;    /* a wrong secret for key 11 and a key 99 the server lacks */
} sg_keysets;

typedef bool (*sg_scenario_fn)(sg_run *run, const sg_keysets *ks);

static const nta_key *key(const nta_keyring *kr, uint32_t id) { return nta_keyring_find(kr, id); }

static bool s_unauth(sg_run *run, const sg_keysets *ks) {
  sg_exchange ex = { .version = 4 };
  return run_exchange(run, &ex, 64 * SG_NS) && run_exchange(run, &ex, 64 * SG_NS);
}

static bool s_md5(sg_run *run, const sg_keysets *ks) {
  sg_exchange ex = { .version = 4, .key = key(ks->keys, 1) };
  return run_exchange(run, &ex, 64 * SG_NS) && run_exchange(run, &ex, 64 * SG_NS);
}

static bool s_sha1(sg_run *run, const sg_keysets *ks) {
  static const uint32_t ids[] = { 11, 15, 19 };
  for (size_t i = 0; i < 3; i++) {
    sg_exchange ex = { .version = 4, .key = key(ks->keys, ids[i]) };
    if (!run_exchange(run, &ex, 64 * SG_NS))
      return false;
  }
  return true;
}

static bool s_aes(sg_run *run, const sg_keysets *ks) {
  sg_exchange ex = { .version = 4, .key = key(ks->keys, 21) };
  return run_exchange(run, &ex, 64 * SG_NS) && run_exchange(run, &ex, 64 * SG_NS);
}

static bool s_sha256_v4(sg_run *run, const sg_keysets *ks) {
  sg_exchange ex = { .version = 4, .key = key(ks->keys, 31), .digest_len = NTA_MAC_TRUNC };
  return run_exchange(run, &ex, 64 * SG_NS) && run_exchange(run, &ex, 64 * SG_NS);
}

static bool s_sha256_v3(sg_run *run, const sg_keysets *ks) {
  /* chrony's NTPv3 with a key longer than 160 bits: full 32-byte digests both ways. */
  sg_exchange ex = { .version = 3, .key = key(ks->keys, 31), .digest_len = 32 };
  return run_exchange(run, &ex, 64 * SG_NS) && run_exchange(run, &ex, 64 * SG_NS);
}

static bool s_wrong_key(sg_run *run, const sg_keysets *ks) {
  sg_exchange ex = { .version = 4, .key = key(ks->wrong, 11), .reply = SG_REPLY_CRYPTO_NAK };
  return run_exchange(run, &ex, 64 * SG_NS) && run_exchange(run, &ex, 64 * SG_NS);
}

static bool s_unknown_key(sg_run *run, const sg_keysets *ks) {
  sg_exchange ex = { .version = 4, .key = key(ks->wrong, 99), .reply = SG_REPLY_CRYPTO_NAK };
  return run_exchange(run, &ex, 64 * SG_NS) && run_exchange(run, &ex, 64 * SG_NS);
}

static bool s_ntpv3(sg_run *run, const sg_keysets *ks) {
  sg_exchange auth = { .version = 3, .key = key(ks->keys, 12) };
  sg_exchange plain = { .version = 3 };
  return run_exchange(run, &auth, 64 * SG_NS) && run_exchange(run, &plain, 64 * SG_NS);
}

static bool s_ipv6(sg_run *run, const sg_keysets *ks) {
  run->client = endpoint6_doc(0x10, 41234);
  run->server = endpoint6_doc(0x01, 123);
  sg_exchange sha1 = { .version = 4, .key = key(ks->keys, 13) };
  sg_exchange aes = { .version = 4, .key = key(ks->keys, 21) };
  return run_exchange(run, &sha1, 64 * SG_NS) && run_exchange(run, &aes, 64 * SG_NS);
}

static bool s_ef_mac(sg_run *run, const sg_keysets *ks) {
  /* RFC 7822: with a MAC after it an EF may be 16 bytes; the server ignores it and does not
   * echo it (chrony's behaviour). Type 0x2005 is not assigned to anything. */
  sg_exchange ef16 = { .version = 4, .key = key(ks->keys, 14), .ef_type = 0x2005, .ef_len = 16 };
  sg_exchange ef28 = { .version = 4, .key = key(ks->keys, 21), .ef_type = 0x2005, .ef_len = 28 };
  return run_exchange(run, &ef16, 64 * SG_NS) && run_exchange(run, &ef28, 64 * SG_NS);
}

static bool s_gps(sg_run *run, const sg_keysets *ks) {
  run->stratum = 1;
  run->refid = sg_refid_text("GPS");
  run->root_delay = 0;
  run->root_dispersion = 0.000259;
  sg_exchange ex = { .version = 4, .key = key(ks->keys, 16) };
  for (int i = 0; i < 3; i++)
    if (!run_exchange(run, &ex, 16 * SG_NS))
      return false;
  return true;
}

static bool s_kod_rate(sg_run *run, const sg_keysets *ks) {
  /* A client polling every 2 s against `ratelimit interval 8 burst 2`: the third and fourth
   * requests get KoD RATE, still signed with the client's key. */
  sg_exchange ok = { .version = 4, .key = key(ks->keys, 17) };
  sg_exchange kod = { .version = 4, .key = key(ks->keys, 17), .reply = SG_REPLY_KOD_RATE };
  return run_exchange(run, &ok, 2 * SG_NS) && run_exchange(run, &ok, 2 * SG_NS) &&
         run_exchange(run, &kod, 2 * SG_NS) && run_exchange(run, &kod, 2 * SG_NS);
}

static bool s_nts(sg_run *run, const sg_keysets *ks) {
  sg_exchange good = { .version = 4, .nts = true, .reply = SG_REPLY_NTS };
  sg_exchange nak = { .version = 4, .nts = true, .reply = SG_REPLY_NTSN };
  return run_exchange(run, &good, 64 * SG_NS) && run_exchange(run, &nak, 64 * SG_NS);
}

static bool s_missplit(sg_run *run, const sg_keysets *ks) {
  /* ntpdig sends SHA384/SHA512 MACs untruncated even in NTPv4: 48- and 64-byte digests behind
   * key IDs 20 (0x0014) and 32 (0x0020), which Wireshark 4.0 reads as extension fields. */
  sg_exchange k20 = { .version = 4, .key = key(ks->keys, 20), .digest_len = 48 };
  sg_exchange k32 = { .version = 4, .key = key(ks->keys, 32), .digest_len = 64 };
  return run_exchange(run, &k20, 64 * SG_NS) && run_exchange(run, &k32, 64 * SG_NS);
}

typedef struct {
  const char *file;
  sg_scenario_fn fn;
  cap_link link;
  bool nanosecond;
} sg_scenario;

static const sg_scenario sg_scenarios[] = {
  { "unauth.pcap", s_unauth, CAP_LINK_RAW, false },
  { "md5.pcap", s_md5, CAP_LINK_RAW, false },
  { "sha1.pcap", s_sha1, CAP_LINK_RAW, false },
  { "aes128cmac.pcap", s_aes, CAP_LINK_RAW, false },
  { "sha256-v4-truncated.pcap", s_sha256_v4, CAP_LINK_RAW, false },
  { "sha256-v3-full.pcap", s_sha256_v3, CAP_LINK_RAW, false },
  { "wrong-key-crypto-nak.pcap", s_wrong_key, CAP_LINK_RAW, false },
  { "unknown-key.pcap", s_unknown_key, CAP_LINK_RAW, false },
  { "ntpv3.pcap", s_ntpv3, CAP_LINK_RAW, false },
  { "ipv6.pcap", s_ipv6, CAP_LINK_ETHERNET, true },
  { "ef-with-mac.pcap", s_ef_mac, CAP_LINK_RAW, false },
  { "gps-stratum1.pcap", s_gps, CAP_LINK_ETHERNET, false },
  { "kod-rate.pcap", s_kod_rate, CAP_LINK_RAW, false },
  { "nts-ef.pcap", s_nts, CAP_LINK_RAW, true },
  { "wireshark-missplit.pcap", s_missplit, CAP_LINK_RAW, false },
};

#define SG_N_SCENARIOS (sizeof sg_scenarios / sizeof sg_scenarios[0])

static int generate(const sg_scenario *sc, size_t index, const char *dir, const sg_keysets *ks) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", dir, sc->file) >= (int)sizeof path) {
    fprintf(stderr, "ntpauth-samplegen: %s/%s: path too long\n", dir, sc->file);
    return 1;
  }
  sg_run run = {
    .name = sc->file,
    .client = endpoint4(192, 0, 2, 10, 41234),
    .server = endpoint4(192, 0, 2, 1, 123),
    /* Each file starts an hour after the previous one, so merged captures stay ordered. */
    .now_ns = (SG_EPOCH_UNIX + (int64_t)index * 3600) * SG_NS,
    .client_lag_ns = 12345678,
    .stratum = 2,
    .refid = sg_refid_ipv4(192, 0, 2, 123),
    .root_delay = 0.0153,
    .root_dispersion = 0.0211,
    .server_keys = ks->keys,
  };
  sg_prng_seed(&run.prng, 0x6e747061757468ULL + index);   /* "ntpauth" + file index */
  run.w = cap_writer_open(path, sc->link, sc->nanosecond, 0, 0, &run.err);
  if (!run.w) {
    fprintf(stderr, "ntpauth-samplegen: %s\n", run.err.msg);
    return 1;
  }
  bool ok = sc->fn(&run, ks);
  cap_writer_close(run.w);
  if (!ok) {
    fprintf(stderr, "ntpauth-samplegen: %s: %s\n", path, run.err.msg[0] ? run.err.msg : "failed");
    remove(path);
    return 1;
  }
  return 0;
}

/* The client's side of the two failure samples. Fixed secrets, unlike the sample keyfile's. */
static nta_keyring *wrong_keys(nta_diag *err) {
  nta_keyring *kr = nta_keyring_create();
  if (!kr)
    return NULL;
  if (nta_keyring_add_text(kr, 11, "SHA1", "00112233445566778899aabbccddeeff00112233",
                           NTA_DIALECT_NTPD, "samplegen wrong key 11", err) != NTA_OK ||
      nta_keyring_add_text(kr, 99, "SHA1", "99887766554433221100ffeeddccbbaa99887766",
                           NTA_DIALECT_NTPD, "samplegen unknown key 99", err) != NTA_OK) {
    nta_keyring_destroy(kr);
    return NULL;
  }
  return kr;
}

static bool check_keys(const nta_keyring *kr, const char *path) {
  static const uint32_t needed[] = { 1, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21, 31, 32 };
  bool ok = true;
  for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
    if (!nta_keyring_find(kr, needed[i])) {
      fprintf(stderr, "ntpauth-samplegen: %s: key %u is missing\n", path, needed[i]);
      ok = false;
    }
  if (nta_keyring_find(kr, 99)) {
    fprintf(stderr, "ntpauth-samplegen: %s: key 99 must stay absent (the unknown-key sample)\n",
            path);
    ok = false;
  }
  return ok;
}

static void usage(FILE *out) {
  fprintf(out, "usage: ntpauth-samplegen -k KEYFILE -o DIR [NAME...]\n"
               "       ntpauth-samplegen -l\n"
               "Writes the deterministic sample captures (all, or the NAMEs given) into DIR.\n");
}

int main(int argc, char **argv) {
  const char *keyfile = NULL, *dir = NULL;
  int c;
  while ((c = getopt(argc, argv, "k:o:lh")) != -1) {
    switch (c) {
    case 'k': keyfile = optarg; break;
    case 'o': dir = optarg; break;
    case 'l':
      for (size_t i = 0; i < SG_N_SCENARIOS; i++)
        puts(sg_scenarios[i].file);
      return 0;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (!keyfile || !dir) {
    usage(stderr);
    return 2;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr, "ntpauth-samplegen: %s: not a directory\n", dir);
    return 2;
  }

  nta_diag err = { { 0 } };
  nta_keyring *keys = nta_keyring_create();
  /* Messages about the sample keyfile are not wanted here: a NULL list ignores them. */
  if (!keys || nta_keyring_load_file(keys, keyfile, NTA_DIALECT_NTPD, NULL, NULL, &err) != NTA_OK) {
    fprintf(stderr, "ntpauth-samplegen: %s\n", keys ? err.msg : "out of memory");
    return 2;
  }
  nta_keyring *wrong = wrong_keys(&err);
  if (!wrong) {
    fprintf(stderr, "ntpauth-samplegen: %s\n", err.msg);
    return 2;
  }
  if (!check_keys(keys, keyfile))
    return 2;

  sg_keysets ks = { .keys = keys, .wrong = wrong };
  int failures = 0;
  for (size_t i = 0; i < SG_N_SCENARIOS; i++) {
    bool wanted = optind >= argc;
    for (int a = optind; a < argc && !wanted; a++)
      wanted = strcmp(argv[a], sg_scenarios[i].file) == 0;
    if (wanted)
      failures += generate(&sg_scenarios[i], i, dir, &ks);
  }
  for (int a = optind; a < argc; a++) {
    bool known = false;
    for (size_t i = 0; i < SG_N_SCENARIOS; i++)
      known = known || strcmp(argv[a], sg_scenarios[i].file) == 0;
    if (!known) {
      fprintf(stderr, "ntpauth-samplegen: unknown sample '%s' (see -l)\n", argv[a]);
      failures++;
    }
  }
  nta_keyring_destroy(wrong);
  nta_keyring_destroy(keys);
  return failures ? 1 : 0;
}
