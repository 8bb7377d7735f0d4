/* scenario.c - ntpauth-query --scenario: drives a server through the cases the sample captures
 * and the interop tests need, and checks each outcome.
 *
 * Key IDs follow the convention of samples/ntp.keys: MD5 key 1, SHA1 key 11, AES128CMAC key 21,
 * SHA256 key 31. Key 9999 must NOT be in the server's keyfile (unknown-key scenario). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/bytes.h"
#include "ntpauth/mac.h"
#include "query.h"

/* An extension field type for the EF+MAC scenarios. 0xF3A5 is not assigned in IANA's NTP
 * Extension Field Types registry as far as we know; its value means nothing to any server. */
#define Q_EF_TYPE_TEST 0xF3A5
#define Q_UNKNOWN_KEY_ID 9999
#define Q_KOD_BURST 40

typedef enum {
  EXP_GOOD,             /* a reply MAC'd with our key and digest length */
  EXP_NO_AUTH,          /* an unauthenticated reply (silence accepted: require-auth) */
  EXP_NAK_OR_SILENT,    /* crypto-NAK or nothing, never time */
  EXP_NO_TIME,          /* nothing, or a KoD; never unauthenticated time (NTS requests) */
  EXP_KOD,              /* at least one KoD RATE out of a burst */
  EXP_GOOD_AFTER_JUNK   /* garbage first, then a good exchange */
} q_expect;

typedef enum { EF_NONE, EF_16, EF_28, EF_NTS } q_ef_kind;

typedef struct {
  const char *name;
  const char *what;
  uint32_t key_id;     /* 0: unauthenticated; Q_UNKNOWN_KEY_ID: foreign MD5 key */
  int version;
  int digest;          /* 0: natural (<=20 full, longer 20), -1: full length */
  bool corrupt;
  q_ef_kind ef;
  bool ipv6, symmetric;
  q_expect expect;
} q_scenario;

static const q_scenario scenarios[] = {
  { "md5", "MD5 key 1, NTPv4", 1, 4, 0, false, EF_NONE, false, false, EXP_GOOD },
  { "sha1", "SHA1 key 11, NTPv4", 11, 4, 0, false, EF_NONE, false, false, EXP_GOOD },
  { "aes-cmac", "AES128CMAC key 21, NTPv4", 21, 4, 0, false, EF_NONE, false, false, EXP_GOOD },
  { "sha256", "SHA256 key 31, NTPv4, truncated to 20 bytes", 31, 4, 0, false, EF_NONE, false, false, EXP_GOOD },
  { "sha256-v3-full", "SHA256 key 31, NTPv3, full 32-byte MAC (chrony style)", 31, 3, -1, false, EF_NONE, false, false, EXP_GOOD },
  { "md5-v3", "MD5 key 1, NTPv3", 1, 3, 0, false, EF_NONE, false, false, EXP_GOOD },
  { "sha1-v3", "SHA1 key 11, NTPv3", 11, 3, 0, false, EF_NONE, false, false, EXP_GOOD },
  { "unauth", "no MAC, NTPv4", 0, 4, 0, false, EF_NONE, false, false, EXP_NO_AUTH },
  { "unauth-v3", "no MAC, NTPv3", 0, 3, 0, false, EF_NONE, false, false, EXP_NO_AUTH },
  { "wrong-key", "SHA1 key 11 with a wrong secret (bad MAC)", 11, 4, 0, true, EF_NONE, false, false, EXP_NAK_OR_SILENT },
  { "unknown-key", "MD5 key 9999 the server does not have", Q_UNKNOWN_KEY_ID, 4, 0, false, EF_NONE, false, false, EXP_NAK_OR_SILENT },
  { "ipv6", "SHA1 key 11 over IPv6 (--host6, same port)", 11, 4, 0, false, EF_NONE, true, false, EXP_GOOD },
  { "ef16-mac", "a 16-byte extension field 0xF3A5 + SHA1 key 11", 11, 4, 0, false, EF_16, false, false, EXP_GOOD },
  { "ef28-mac", "a 28-byte extension field 0xF3A5 + MD5 key 1", 1, 4, 0, false, EF_28, false, false, EXP_GOOD },
  { "nts", "NTS-style EFs (UID, cookie, authenticator), no legacy MAC", 0, 4, 0, false, EF_NTS, false, false, EXP_NO_TIME },
  { "symmetric", "mode 1 (symmetric active) with SHA1 key 11", 11, 4, 0, false, EF_NONE, false, true, EXP_GOOD },
  { "malformed", "garbage datagrams, then a SHA1 key 11 request", 11, 4, 0, false, EF_NONE, false, false, EXP_GOOD_AFTER_JUNK },
  { "kod", "a burst of 40 SHA1 key 11 requests against `ratelimit`", 11, 4, 0, false, EF_NONE, false, false, EXP_KOD },
};
#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

const char *q_scenario_help(void) {
  static char help[4096];
  size_t off = (size_t)snprintf(help, sizeof help,
    "Scenarios (--scenario NAME or all; keys from -k with these IDs: MD5 key 1, SHA1 key 11,\n"
    "AES128CMAC key 21, SHA256 key 31; key 9999 must not exist on the server; `kod` needs a server\n"
    "with `ratelimit` and is run last by `all`):\n");
  for (size_t i = 0; i < N_SCENARIOS && off < sizeof help; i++)
    off += (size_t)snprintf(help + off, sizeof help - off, "  %-16s %s\n", scenarios[i].name, scenarios[i].what);
  if (off < sizeof help)
    snprintf(help + off, sizeof help - off,
             "Example: ntpauth-query --scenario all -k samples/ntp.keys 127.0.0.1:123\n");
  return help;
}

static size_t build_efs(q_ef_kind kind, uint8_t *buf, size_t cap) {
  nta_writer w;
  nta_wr_init(&w, buf, cap);
  switch (kind) {
  case EF_16:
  case EF_28: {
    uint16_t len = kind == EF_16 ? 16 : 28;
    nta_wr_u16(&w, Q_EF_TYPE_TEST);
    nta_wr_u16(&w, len);
    for (uint16_t i = 4; i < len; i++) nta_wr_u8(&w, (uint8_t)(0xA0 + i));
    break;
  }
  case EF_NTS: {
    /* Unique Identifier (32 bytes), an opaque 64-byte cookie, and an authenticator with a
     * 16-byte nonce and 16 bytes of "ciphertext" (just the SIV tag): NTS-shaped, not valid NTS. */
    nta_wr_u16(&w, 0x0104); nta_wr_u16(&w, 36);
    for (int i = 0; i < 32; i++) nta_wr_u8(&w, (uint8_t)(i * 7 + 1));
    nta_wr_u16(&w, 0x0204); nta_wr_u16(&w, 68);
    for (int i = 0; i < 64; i++) nta_wr_u8(&w, (uint8_t)(i * 13 + 5));
    nta_wr_u16(&w, 0x0404); nta_wr_u16(&w, 40);
    nta_wr_u16(&w, 16); nta_wr_u16(&w, 16);
    for (int i = 0; i < 32; i++) nta_wr_u8(&w, (uint8_t)(i * 3 + 9));
    break;
  }
  case EF_NONE: break;
  }
  return w.err ? 0 : w.off;
}

/* Port of `target` so the IPv6 scenario reaches the same server port. */
static bool target_port(const char *target, uint16_t *port) {
  struct sockaddr_storage ss;
  socklen_t sl;
  char err[128];
  if (!q_resolve(target, 123, &ss, &sl, err, sizeof err)) return false;
  *port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                        : ((struct sockaddr_in6 *)&ss)->sin6_port);
  return true;
}

static bool check_good(const q_request_spec *spec, const q_result *r, char *why, size_t wl) {
  const char *o = q_outcome(spec, r);
  if (strcmp(o, "good")) { snprintf(why, wl, "expected a good reply, got %s", o); return false; }
  uint8_t want_mode = spec->symmetric ? NTA_MODE_PASSIVE : NTA_MODE_SERVER;
  if (r->pkt.mode != want_mode) { snprintf(why, wl, "reply mode %u, expected %u", r->pkt.mode, want_mode); return false; }
  if (r->pkt.version != spec->version) { snprintf(why, wl, "reply version %u, expected %d", r->pkt.version, spec->version); return false; }
  if (r->vr.digest_len != spec->digest_len) { snprintf(why, wl, "reply digest %u bytes, request %zu", r->vr.digest_len, spec->digest_len); return false; }
  if (r->reply_len > r->request_len) { snprintf(why, wl, "reply (%zu bytes) larger than request (%zu)", r->reply_len, r->request_len); return false; }
  return true;
}

static bool judge(q_expect exp, const q_request_spec *spec, const q_result *r, char *why, size_t wl) {
  const char *o = q_outcome(spec, r);
  why[0] = '\0';
  switch (exp) {
  case EXP_GOOD:
  case EXP_GOOD_AFTER_JUNK:
    return check_good(spec, r, why, wl);
  case EXP_NO_AUTH:
    if (!strcmp(o, "no_auth") || !strcmp(o, "no_reply")) return true;
    snprintf(why, wl, "expected an unauthenticated reply or silence, got %s", o);
    return false;
  case EXP_NAK_OR_SILENT:
    if (!strcmp(o, "crypto_nak") || !strcmp(o, "no_reply")) return true;
    snprintf(why, wl, "expected a crypto-NAK or silence, got %s", o);
    return false;
  case EXP_NO_TIME:
    if (!strcmp(o, "no_reply") || !strcmp(o, "kod")) return true;
    snprintf(why, wl, "expected silence or a KoD, got %s", o);
    return false;
  case EXP_KOD:
    return !strcmp(o, "kod") && !strcmp(r->kiss, "RATE");
  }
  return false;
}

/* Where the scenario sends: the target, or for the IPv6 scenario host6 on the target's port. */
static void scenario_where(const q_scenario *sc, const char *target, const char *host6,
                          char *where, size_t wl) {
  snprintf(where, wl, "%s", target);
  if (sc->ipv6) {
    uint16_t port;
    if (!target_port(target, &port)) port = 123;
    snprintf(where, wl, "[%s]:%u", host6, port);
  }
}

/* Fills the request's key, digest length, corruption and extension fields (into efs, 256
 * bytes). The unknown-key scenario signs with a MAC state of its own (*foreign; the caller
 * destroys it). False, after printing why, when the keyfile does not fit the scenario. */
static bool scenario_request(const q_scenario *sc, const nta_keyring *kr, bool json,
                             q_request_spec *spec, uint8_t *efs, nta_mac **foreign) {
  *spec = (q_request_spec){ .version = sc->version, .symmetric = sc->symmetric };
  if (sc->key_id == Q_UNKNOWN_KEY_ID) {
    nta_diag err;
    static const uint8_t secret[] = "not-the-servers-key";
    if (nta_keyring_find(kr, Q_UNKNOWN_KEY_ID)) {
      printf("%-16s FAIL  key %u is in the keyfile; this scenario needs it absent\n", sc->name, Q_UNKNOWN_KEY_ID);
      return false;
    }
    *foreign = nta_mac_create("MD5", secret, sizeof secret - 1, &err);
    if (!*foreign) { printf("%-16s FAIL  %s\n", sc->name, err.msg); return false; }
    spec->foreign_mac = *foreign;
    spec->foreign_key_id = Q_UNKNOWN_KEY_ID;
    spec->digest_len = 16;
  } else if (sc->key_id) {
    spec->key = nta_keyring_find(kr, sc->key_id);
    if (!spec->key) {
      if (json) printf("{\"scenario\":\"%s\",\"pass\":false,\"note\":\"key %u missing from the keyfile (-k)\"}\n", sc->name, sc->key_id);
      else printf("%-16s FAIL  needs key %u in the keyfile given with -k\n", sc->name, sc->key_id);
      return false;
    }
    size_t full = nta_mac_output_len(nta_key_mac(spec->key));
    spec->digest_len = sc->digest == -1 || full <= NTA_MAC_TRUNC ? full : NTA_MAC_TRUNC;
  }
  spec->corrupt_mac = sc->corrupt;
  if (sc->ef != EF_NONE) { spec->efs = efs; spec->efs_len = build_efs(sc->ef, efs, 256); }
  return true;
}

/* Three kinds of junk, answers ignored: too short, not a multiple of 4, and a mode-4 packet
 * with a bad extension field. */
static void send_junk(const struct sockaddr_storage *addr, socklen_t alen, const nta_keyring *kr) {
  static const uint8_t junk1[13] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
  static uint8_t junk2[50], junk3[48 + 12];
  char err[256];
  memset(junk2, 0x23, sizeof junk2);
  memset(junk3, 0, sizeof junk3);
  junk3[0] = 0x24; junk3[48] = 0x12; junk3[49] = 0x34; junk3[51] = 0x0c;
  q_request_spec j[3] = {
    { .raw = true, .raw_bytes = junk1, .raw_len = sizeof junk1 },
    { .raw = true, .raw_bytes = junk2, .raw_len = sizeof junk2 },
    { .raw = true, .raw_bytes = junk3, .raw_len = sizeof junk3 },
  };
  q_result jr[3];
  q_exchange_many(addr, alen, kr, j, jr, 3, 0.2, err, sizeof err);
}

/* The KoD scenario: a burst of identical requests, passed when at least one KoD RATE comes back. */
static bool run_kod_burst(const q_scenario *sc, const char *where,
                          const struct sockaddr_storage *addr, socklen_t alen,
                          const nta_keyring *kr, const q_request_spec *spec, double timeout,
                          bool json) {
  static q_request_spec burst[Q_KOD_BURST];
  static q_result results[Q_KOD_BURST];
  char err[256], why[200];
  for (int i = 0; i < Q_KOD_BURST; i++) burst[i] = *spec;
  if (!q_exchange_many(addr, alen, kr, burst, results, Q_KOD_BURST, timeout, err, sizeof err)) {
    printf("%-16s FAIL  %s\n", sc->name, err);
    return false;
  }
  int kods = 0, replies = 0, first_kod = -1;
  for (int i = 0; i < Q_KOD_BURST; i++) {
    if (results[i].got_reply) replies++;
    if (judge(EXP_KOD, spec, &results[i], why, sizeof why)) { kods++; if (first_kod < 0) first_kod = i; }
  }
  bool pass = kods > 0;
  snprintf(results[first_kod >= 0 ? first_kod : 0].note, sizeof results[0].note,
           "%d requests, %d answers, %d KoD RATE%s", Q_KOD_BURST, replies, kods,
           pass ? "" : " (is `ratelimit` configured on the server?)");
  q_print_result(where, sc->name, pass, spec, &results[first_kod >= 0 ? first_kod : 0], json);
  return pass;
}

/* One request and its reply, judged against the scenario's expectation. */
static bool run_single(const q_scenario *sc, const char *where,
                       const struct sockaddr_storage *addr, socklen_t alen,
                       const nta_keyring *kr, const q_request_spec *spec, double timeout,
                       bool json) {
  q_result r;
  char err[256], why[200] = "";
  if (!q_exchange_many(addr, alen, kr, spec, &r, 1, timeout, err, sizeof err)) {
    printf("%-16s FAIL  %s\n", sc->name, err);
    return false;
  }
  bool pass = judge(sc->expect, spec, &r, why, sizeof why);
  if (!pass && why[0] && !r.note[0]) snprintf(r.note, sizeof r.note, "%.*s", (int)sizeof r.note - 1, why);
  q_print_result(where, sc->name, pass, spec, &r, json);
  return pass;
}

/* Runs one scenario; returns true when it behaved as expected. */
static bool run_one(const q_scenario *sc, const char *target, const char *host6, const nta_keyring *kr,
                    double timeout, bool json) {
  q_request_spec spec;
  uint8_t efs[256];
  char where[300];
  nta_mac *foreign = NULL;
  scenario_where(sc, target, host6, where, sizeof where);
  if (!scenario_request(sc, kr, json, &spec, efs, &foreign)) return false;

  struct sockaddr_storage addr;
  socklen_t alen;
  char err[256];
  bool pass;
  if (!q_resolve(where, 123, &addr, &alen, err, sizeof err)) {
    printf("%-16s FAIL  %s\n", sc->name, err);
    pass = false;
  } else {
    if (sc->expect == EXP_GOOD_AFTER_JUNK) send_junk(&addr, alen, kr);
    if (sc->expect == EXP_KOD)
      pass = run_kod_burst(sc, where, &addr, alen, kr, &spec, timeout, json);
    else
      pass = run_single(sc, where, &addr, alen, kr, &spec, timeout, json);
  }
  nta_mac_destroy(foreign);
  return pass;
}

int q_run_scenarios(const char *name, const char *target, const char *host6, const nta_keyring *kr,
                    double timeout, bool json) {
  bool all = !strcmp(name, "all");
  int failed = 0, run = 0;
  for (size_t i = 0; i < N_SCENARIOS; i++) {
    if (!all && strcmp(name, scenarios[i].name)) continue;
    run++;
    if (!run_one(&scenarios[i], target, host6, kr, timeout, json)) failed++;
  }
  if (!run) {
    fprintf(stderr, "ntpauth-query: unknown scenario '%s'\n%s", name, q_scenario_help());
    return 2;
  }
  if (!json) printf("%d of %d scenarios passed\n", run - failed, run);
  return failed ? 1 : 0;
}
