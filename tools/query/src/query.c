/* query.c - ntpauth-query: an NTP client that checks authentication like ntpdig -k -a, plus
 * `--status` (the server's status socket) and `--scenario` (the cases the sample captures need).
 *
 * Replies are verified with the core (nta_verify), the same code the server and the analyzer use. */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ntpauth/bytes.h"
#include "ntpauth/keyring.h"
#include "ntpauth/mac.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"
#include "query.h"

#define Q_DEFAULT_STATUS_SOCKET "/run/ntpauth/status.sock"

/* ---- options ------------------------------------------------------------------------------ */

static gchar *opt_keyfile;
static gint opt_keyid;
static gint opt_version = 4;
static gboolean opt_show_version = FALSE;
static gint opt_count = 1;
static gboolean opt_json;
static gchar *opt_format;
static gdouble opt_timeout = 2.0;
static gdouble opt_interval = 0.5;
static gchar *opt_digest_len;
static gboolean opt_status;
static gchar *opt_scenario;
static gchar *opt_host6;
static gboolean opt_symmetric;

static GOptionEntry entries[] = {
  { "keys", 'k', 0, G_OPTION_ARG_FILENAME, &opt_keyfile, "keyfile (ntpd, ntpsec or chrony format)", "FILE" },
  { "keyfile", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &opt_keyfile, "old name of --keys", "FILE" },
  { "auth", 'a', 0, G_OPTION_ARG_INT, &opt_keyid, "authenticate requests with key ID", "KEYID" },
  { "ntp-version", 'o', 0, G_OPTION_ARG_INT, &opt_version, "NTP version of the requests, 3 or 4 (default 4)", "3|4" },
  { "count", 'n', 0, G_OPTION_ARG_INT, &opt_count, "number of requests (default 1)", "COUNT" },
  { "format", 0, 0, G_OPTION_ARG_STRING, &opt_format, "output format: text (default) or jsonl", "FMT" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "same as --format jsonl", NULL },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_timeout, "seconds to wait for each reply (default 2)", "S" },
  { "interval", 0, 0, G_OPTION_ARG_DOUBLE, &opt_interval, "seconds between requests (default 0.5)", "S" },
  { "digest-len", 0, 0, G_OPTION_ARG_STRING, &opt_digest_len,
    "MAC length for digests longer than 20 bytes: full or 20 (default: 20 in NTPv4, full in NTPv3 as chrony does)", "full|20" },
  { "symmetric", 0, 0, G_OPTION_ARG_NONE, &opt_symmetric, "send mode 1 (symmetric active) instead of mode 3", NULL },
  { "status", 0, 0, G_OPTION_ARG_NONE, &opt_status,
    "print the status of a running ntpauth-server; the argument is its status socket (default " Q_DEFAULT_STATUS_SOCKET ")", NULL },
  { "scenario", 0, 0, G_OPTION_ARG_STRING, &opt_scenario, "run a named scenario, or all (see below)", "NAME|all" },
  { "host6", 0, 0, G_OPTION_ARG_STRING, &opt_host6, "IPv6 address for the ipv6 scenario (default ::1)", "ADDR" },
  { "version", 'V', 0, G_OPTION_ARG_NONE, &opt_show_version, "show the version and exit", NULL },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

/* ---- addresses and clocks ----------------------------------------------------------------- */

bool q_resolve(const char *text, uint16_t default_port, struct sockaddr_storage *out,
               socklen_t *out_len, char *err, size_t errlen) {
  char host[256];
  const char *port_text = NULL;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || (size_t)(close - text) >= sizeof host) { snprintf(err, errlen, "bad address '%s'", text); return false; }
    memcpy(host, text + 1, (size_t)(close - text - 1));
    host[close - text - 1] = '\0';
    if (close[1] == ':') port_text = close + 2;
  } else {
    const char *colon = strchr(text, ':');
    if (colon && strchr(colon + 1, ':')) colon = NULL;   /* bare IPv6 */
    size_t hl = colon ? (size_t)(colon - text) : strlen(text);
    if (hl >= sizeof host) { snprintf(err, errlen, "address too long"); return false; }
    memcpy(host, text, hl);
    host[hl] = '\0';
    if (colon) port_text = colon + 1;
  }
  char port[16];
  if (port_text) {
    char *end;
    long p = strtol(port_text, &end, 10);
    if (*end || p < 1 || p > 65535) { snprintf(err, errlen, "bad port in '%s'", text); return false; }
    snprintf(port, sizeof port, "%ld", p);
  } else {
    snprintf(port, sizeof port, "%u", default_port);
  }
  struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) { snprintf(err, errlen, "%s: %s", host, gai_strerror(rc)); return false; }
  memcpy(out, res->ai_addr, res->ai_addrlen);
  *out_len = res->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

static uint64_t now_ntp(struct timespec *ts_out) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (ts_out) *ts_out = ts;
  return nta_ts_from_unix(ts.tv_sec, (uint32_t)ts.tv_nsec);
}

/* Signed difference a - b of two NTP timestamps, in seconds (era-safe for |a-b| < 68 years). */
static double ts_diff(uint64_t a, uint64_t b) {
  return (double)(int64_t)(a - b) / 4294967296.0;
}

/* ---- building requests -------------------------------------------------------------------- */

size_t q_build_request(const q_request_spec *spec, uint64_t xmt, uint8_t *buf, size_t cap) {
  if (spec->raw) {
    size_t n = spec->raw_len < cap ? spec->raw_len : cap;
    memcpy(buf, spec->raw_bytes, n);
    return n;
  }
  nta_header h = {
    .version = spec->version, .mode = spec->symmetric ? NTA_MODE_ACTIVE : NTA_MODE_CLIENT,
    .poll = 6 /* 64 s */, .precision = -20, .xmt_ts = xmt,
  };
  size_t len = nta_header_write(&h, buf, cap);
  if (!len) return 0;
  nta_writer w;
  nta_wr_init(&w, buf + len, cap - len);
  if (spec->efs_len) nta_wr_bytes(&w, spec->efs, spec->efs_len);
  if (w.err) return 0;
  len += w.off;
  if (spec->key) {
    len = nta_sign(spec->key, buf, len, cap, spec->digest_len);
    if (!len) return 0;
  } else if (spec->foreign_mac) {
    /* A key the server does not have: compute with our own MAC state. */
    uint8_t digest[NTA_MAC_MAX];
    size_t dl = nta_mac_compute(spec->foreign_mac, buf, len, digest);
    if (!dl || len + 4 + spec->digest_len > cap || spec->digest_len > dl) return 0;
    nta_wr_init(&w, buf + len, cap - len);
    nta_wr_u32(&w, spec->foreign_key_id);
    nta_wr_bytes(&w, digest, spec->digest_len);
    len += 4 + spec->digest_len;
  }
  if (spec->corrupt_mac && len > NTA_HEADER_LEN + 4) buf[len - 1] ^= 0x5A;
  return len;
}

/* ---- one exchange ------------------------------------------------------------------------- */

static void analyse_reply(const nta_keyring *kr, uint64_t t1, uint64_t t4, q_result *r) {
  nta_packet_parse(r->reply, r->reply_len, r->reply_len, &r->pkt);
  nta_verify(kr, &r->pkt, r->reply, &r->vr);
  r->crypto_nak = r->vr.verdict == NTA_V_CRYPTO_NAK;
  r->kod = r->pkt.state == NTA_PKT_OK && r->pkt.stratum == 0 && nta_packet_kiss_code(&r->pkt, r->kiss);
  if (!r->kod) r->kiss[0] = '\0';
  nta_refid_format(&r->pkt, r->refid, sizeof r->refid);
  if (r->pkt.state == NTA_PKT_OK && !r->kod && r->pkt.stratum != 0) {
    double t21 = ts_diff(r->pkt.rec_ts, t1), t34 = ts_diff(r->pkt.xmt_ts, t4);
    r->offset = (t21 + t34) / 2.0;
    r->delay = ts_diff(t4, t1) - ts_diff(r->pkt.xmt_ts, r->pkt.rec_ts);
    r->has_timing = true;
  }
}

/* Sends each request in `specs` (n of them) back to back on one socket, then collects replies
 * matched by origin timestamp until every request has an answer or `timeout` passes. */
bool q_exchange_many(const struct sockaddr_storage *addr, socklen_t alen, const nta_keyring *kr,
                     const q_request_spec *specs, q_result *results, size_t n, double timeout,
                     char *err, size_t errlen) {
  int fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) { snprintf(err, errlen, "socket: %s", strerror(errno)); return false; }
  if (connect(fd, (const struct sockaddr *)addr, alen) != 0) {
    snprintf(err, errlen, "connect: %s", strerror(errno));
    close(fd);
    return false;
  }
  uint64_t *xmts = calloc(n, sizeof *xmts);
  if (!xmts) { close(fd); snprintf(err, errlen, "out of memory"); return false; }
  for (size_t i = 0; i < n; i++) {
    q_result *r = &results[i];
    memset(r, 0, sizeof *r);
    uint64_t xmt = now_ntp(NULL);
    if (i && xmt <= xmts[i - 1]) xmt = xmts[i - 1] + 1;
    xmts[i] = xmt;
    r->request_len = q_build_request(&specs[i], xmt, r->request, sizeof r->request);
    if (!r->request_len) { snprintf(r->note, sizeof r->note, "cannot build request"); continue; }
    if (send(fd, r->request, r->request_len, 0) < 0) {
      snprintf(r->note, sizeof r->note, "send: %s", strerror(errno));
      continue;
    }
    r->sent = true;
    r->t1 = xmt;
  }
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  size_t pending = 0;
  for (size_t i = 0; i < n; i++) pending += results[i].sent;
  while (pending) {
    struct timespec nowm;
    clock_gettime(CLOCK_MONOTONIC, &nowm);
    double left = timeout - ((double)(nowm.tv_sec - start.tv_sec) + (double)(nowm.tv_nsec - start.tv_nsec) * 1e-9);
    if (left <= 0) break;
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int rc = poll(&p, 1, (int)(left * 1000) + 1);
    if (rc <= 0) continue;
    uint8_t buf[Q_BUF];
    ssize_t got = recv(fd, buf, sizeof buf, 0);
    uint64_t t4 = now_ntp(NULL);
    if (got < 0) {
      /* ICMP port unreachable and friends: nobody is listening. */
      for (size_t i = 0; i < n; i++)
        if (results[i].sent && !results[i].got_reply && !results[i].note[0])
          snprintf(results[i].note, sizeof results[i].note, "recv: %s", strerror(errno));
      break;
    }
    if (got < NTA_HEADER_LEN) continue;
    uint64_t org = 0;
    for (int k = 24; k < 32; k++) org = (org << 8) | buf[k];
    for (size_t i = 0; i < n; i++) {
      q_result *r = &results[i];
      if (!r->sent || r->got_reply || org != xmts[i]) continue;
      r->got_reply = true;
      r->reply_len = (size_t)got;
      memcpy(r->reply, buf, (size_t)got);
      analyse_reply(kr, xmts[i], t4, r);
      pending--;
      break;
    }
  }
  for (size_t i = 0; i < n; i++)
    if (results[i].sent && !results[i].got_reply && !results[i].note[0])
      snprintf(results[i].note, sizeof results[i].note, "no reply within %.1f s", timeout);
  free(xmts);
  close(fd);
  return true;
}

/* ---- verdicts and output ------------------------------------------------------------------ */

const char *q_outcome(const q_request_spec *spec, const q_result *r) {
  if (!r->sent) return "error";
  if (!r->got_reply) return "no_reply";
  if (r->pkt.state != NTA_PKT_OK) return "malformed_reply";
  if (r->crypto_nak) return "crypto_nak";
  if (r->kod) return "kod";
  bool authed = spec->key || spec->foreign_mac;
  if (r->vr.verdict == NTA_V_GOOD) {
    if (!spec->key) return "unexpected_mac";
    if (r->vr.key_id != nta_key_id(spec->key)) return "key_mismatch";
    return "good";
  }
  if (r->vr.verdict == NTA_V_NO_AUTH) return authed ? "unauthenticated_reply" : "no_auth";
  return nta_verdict_name(r->vr.verdict);
}

static void json_str(GString *s, const char *v) {
  g_string_append_c(s, '"');
  for (const char *p = v; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') g_string_append_printf(s, "\\%c", c);
    else if (c < 0x20) g_string_append_printf(s, "\\u%04x", c);
    else g_string_append_c(s, (char)c);
  }
  g_string_append_c(s, '"');
}

void q_print_result(const char *target, const char *scenario, bool pass, const q_request_spec *spec,
                    const q_result *r, bool json) {
  const char *outcome = q_outcome(spec, r);
  char keydesc[64] = "none";
  if (spec->key) snprintf(keydesc, sizeof keydesc, "%u %s", nta_key_id(spec->key), nta_key_alg_name(spec->key));
  else if (spec->foreign_mac) snprintf(keydesc, sizeof keydesc, "%u %s (not the server's)", spec->foreign_key_id, nta_mac_name(spec->foreign_mac));
  if (json) {
    GString *s = g_string_new("{");
    g_string_append(s, "\"server\":"); json_str(s, target);
    if (scenario) { g_string_append(s, ",\"scenario\":"); json_str(s, scenario);
      g_string_append_printf(s, ",\"pass\":%s", pass ? "true" : "false"); }
    g_string_append_printf(s, ",\"version\":%d,\"request_len\":%zu", spec->raw ? 0 : spec->version, r->request_len);
    if (spec->key || spec->foreign_mac)
      g_string_append_printf(s, ",\"key_id\":%u", spec->key ? nta_key_id(spec->key) : spec->foreign_key_id);
    g_string_append(s, ",\"outcome\":"); json_str(s, outcome);
    if (r->got_reply) {
      g_string_append_printf(s, ",\"reply_len\":%zu,\"mode\":%u,\"reply_version\":%u,\"leap\":%u,\"stratum\":%u",
                             r->reply_len, r->pkt.mode, r->pkt.version, r->pkt.li, r->pkt.stratum);
      g_string_append(s, ",\"refid\":"); json_str(s, r->refid);
      g_string_append(s, ",\"verdict\":"); json_str(s, nta_verdict_name(r->vr.verdict));
      g_string_append(s, ",\"reason\":"); json_str(s, r->vr.reason);
      if (r->vr.has_key_id) g_string_append_printf(s, ",\"reply_key_id\":%u,\"reply_digest_len\":%u", r->vr.key_id, r->vr.digest_len);
      if (r->kod) { g_string_append(s, ",\"kiss_code\":"); json_str(s, r->kiss); }
      if (r->has_timing) g_string_append_printf(s, ",\"offset\":%.9f,\"delay\":%.9f", r->offset, r->delay);
    }
    if (r->note[0]) { g_string_append(s, ",\"note\":"); json_str(s, r->note); }
    g_string_append(s, "}");
    printf("%s\n", s->str);
    g_string_free(s, TRUE);
  } else {
    if (scenario) printf("%-16s %s  ", scenario, pass ? "PASS" : "FAIL");
    printf("%s v%d key %s: %s", target, spec->version, keydesc, outcome);
    if (r->got_reply) {
      printf(" (%zu->%zu bytes, mode %u, v%u, LI %u, stratum %u, refid %s", r->request_len, r->reply_len,
             r->pkt.mode, r->pkt.version, r->pkt.li, r->pkt.stratum, r->refid);
      if (r->kod) printf(", kiss %s", r->kiss);
      if (r->has_timing) printf(", offset %+.6f s, delay %.6f s", r->offset, r->delay);
      printf("; verdict %s: %s)", nta_verdict_name(r->vr.verdict), r->vr.reason);
    }
    if (r->note[0]) printf(" - %s", r->note);
    printf("\n");
  }
  fflush(stdout);
}

/* ---- status ------------------------------------------------------------------------------- */

static int run_status(const char *path) {
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  if (strlen(path) >= sizeof sun.sun_path) { fprintf(stderr, "ntpauth-query: %s: path too long\n", path); return 2; }
  strcpy(sun.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
    fprintf(stderr, "ntpauth-query: status socket %s: %s\n", path, strerror(errno));
    if (fd >= 0) close(fd);
    return 1;
  }
  struct timeval tv = { .tv_sec = (time_t)opt_timeout, .tv_usec = (suseconds_t)(fmod(opt_timeout, 1.0) * 1e6) };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  ssize_t n;
  size_t total = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0) { fwrite(buf, 1, (size_t)n, stdout); total += (size_t)n; }
  close(fd);
  if (n < 0 || total == 0) { fprintf(stderr, "ntpauth-query: status socket %s: no status received\n", path); return 1; }
  return 0;
}

/* ---- plain queries ------------------------------------------------------------------------ */

static int run_queries(const char *target, const nta_keyring *kr) {
  struct sockaddr_storage addr;
  socklen_t alen;
  char err[256];
  if (!q_resolve(target, 123, &addr, &alen, err, sizeof err)) { fprintf(stderr, "ntpauth-query: %s\n", err); return 2; }
  q_request_spec spec = { .version = opt_version, .symmetric = opt_symmetric };
  if (opt_keyid) {
    spec.key = nta_keyring_find(kr, (uint32_t)opt_keyid);
    if (!spec.key) { fprintf(stderr, "ntpauth-query: key %d is not in %s\n", opt_keyid, opt_keyfile); return 2; }
    size_t full = nta_mac_output_len(nta_key_mac(spec.key));
    bool want_full = opt_digest_len ? !strcmp(opt_digest_len, "full") : opt_version <= 3;
    spec.digest_len = full > NTA_MAC_TRUNC && !want_full ? NTA_MAC_TRUNC : full;
  }
  int failures = 0;
  for (int i = 0; i < opt_count; i++) {
    if (i) g_usleep((gulong)(opt_interval * 1e6));
    q_result r;
    if (!q_exchange_many(&addr, alen, kr, &spec, &r, 1, opt_timeout, err, sizeof err)) {
      fprintf(stderr, "ntpauth-query: %s\n", err);
      return 1;
    }
    const char *o = q_outcome(&spec, &r);
    bool ok = !strcmp(o, spec.key ? "good" : "no_auth");
    if (!ok) failures++;
    q_print_result(target, NULL, ok, &spec, &r, opt_json);
  }
  return failures ? 1 : 0;
}

int main(int argc, char **argv) {
  GError *gerr = NULL;
  GOptionContext *ctx = g_option_context_new("HOST[:PORT] | --status [SOCKET]");
  g_option_context_set_summary(ctx,
    "Sends NTP requests (authenticated with -k/-a or not), verifies the reply's MAC with the ntpauth\n"
    "core, recognises crypto-NAKs and Kiss-o'-Death packets, and prints offset, delay, stratum, refid\n"
    "and the verdict. Exit status 0 when every reply verified, 1 on authentication failure or no reply,\n"
    "2 on a bad command line or keyfile.");
  g_option_context_set_description(ctx, q_scenario_help());
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
    fprintf(stderr, "ntpauth-query: %s\n", gerr->message);
    g_error_free(gerr);
    g_option_context_free(ctx);
    return 2;
  }
  g_option_context_free(ctx);
  if (opt_show_version) { printf("ntpauth-query %s\n", NTPAUTH_VERSION); return 0; }
  if (opt_status) {
    if (argc > 2) { fprintf(stderr, "ntpauth-query: --status takes at most one socket path\n"); return 2; }
    return run_status(argc == 2 ? argv[1] : Q_DEFAULT_STATUS_SOCKET);
  }
  if (argc != 2) { fprintf(stderr, "ntpauth-query: give one HOST[:PORT] (see --help)\n"); return 2; }
  if (opt_version < 1 || opt_version > 4) { fprintf(stderr, "ntpauth-query: -o must be 1-4\n"); return 2; }
  if (opt_count < 1 || opt_count > 100000) { fprintf(stderr, "ntpauth-query: -n must be 1-100000\n"); return 2; }
  if (opt_format && strcmp(opt_format, "text") && strcmp(opt_format, "jsonl")) {
    fprintf(stderr, "ntpauth-query: --format takes text or jsonl\n"); return 2;
  }
  if (opt_format) opt_json = !strcmp(opt_format, "jsonl");
  if (!(opt_timeout > 0 && opt_timeout <= 60)) { fprintf(stderr, "ntpauth-query: --timeout must be in (0, 60]\n"); return 2; }
  if (opt_digest_len && strcmp(opt_digest_len, "full") && strcmp(opt_digest_len, "20")) {
    fprintf(stderr, "ntpauth-query: --digest-len takes full or 20\n"); return 2;
  }
  if (opt_keyid && !opt_keyfile) { fprintf(stderr, "ntpauth-query: -a needs -k KEYFILE\n"); return 2; }

  nta_keyring *kr = nta_keyring_create();
  if (!kr) return 1;
  if (opt_keyfile) {
    nta_diag derr;
    nta_diags *diags = nta_diags_create();
    if (nta_keyring_load_file(kr, opt_keyfile, NTA_DIALECT_AUTO, NULL, diags, &derr) != NTA_OK) {
      fprintf(stderr, "ntpauth-query: %s\n", derr.msg);
      nta_diags_destroy(diags);
      nta_keyring_destroy(kr);
      return 2;
    }
    for (size_t i = 0; i < nta_diags_count(diags); i++)
      if (nta_diags_level(diags, i) == NTA_DIAG_ERROR)
        fprintf(stderr, "ntpauth-query: %s\n", nta_diags_msg(diags, i));
    nta_diags_destroy(diags);
  }
  int rc;
  if (opt_scenario) rc = q_run_scenarios(opt_scenario, argv[1], opt_host6 ? opt_host6 : "::1", kr, opt_timeout, opt_json);
  else rc = run_queries(argv[1], kr);
  nta_keyring_destroy(kr);
  return rc;
}
