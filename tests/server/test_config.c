/* test_config.c - ntpauth-server's configuration parser. */
#include <glib.h>
#include <string.h>

#include "config.h"

static nta_status parse(srv_config *cfg, const char *text, nta_diag *err) {
  cfg_init(cfg);
  return cfg_parse_text(cfg, "t.conf", text, strlen(text), NULL, NULL, err);
}

static void test_full(void) {
  srv_config cfg;
  nta_diag err;
  const char *text =
    "# sample\n"
    "keys /etc/ntpauth/ntp.keys\n"
    "trustedkey 1 11 (21 ... 30)   # ntp.conf range syntax\n"
    "trustedkey 31-35\n"
    "listen 127.0.0.1:1123\n"
    "listen [::1]:1123\n"
    "listen 0.0.0.0\n"
    "listen ::\n"
    "local stratum 8\n"
    "pcap /var/lib/ntpauth/server.pcap maxsize 10 keep 3 junk 5\n"
    "crypto-nak no\n"
    "require-auth yes\n"
    "ratelimit interval 2 burst 4 minage 30\n"
    "user ntpauth\n"
    "logfile /var/log/ntpauth.log\n"
    "status-socket /run/x.sock\n"
    "keys /etc/ntpauth/other.keys\n"
    "\n   \t\n";
  g_assert_cmpint(parse(&cfg, text, &err), ==, NTA_OK);
  g_assert_cmpstr(cfg.keys, ==, "/etc/ntpauth/other.keys");   /* the last one; -t refuses it */
  g_assert_cmpstr(cfg.keys_replaced_where, ==, "t.conf:2");
  g_assert_cmpstr(cfg.keys_where, ==, "t.conf:17");
  g_assert_cmpstr(cfg.listen[1].where, ==, "t.conf:6");
  g_assert_cmpstr(cfg.pcap_where, ==, "t.conf:10");
  g_assert_cmpstr(cfg.user_where, ==, "t.conf:14");
  g_assert_cmpstr(cfg.logfile_where, ==, "t.conf:15");
  g_assert_cmpstr(cfg.status_where, ==, "t.conf:16");
  g_assert_cmpuint(cfg.n_trust, ==, 2);
  g_assert_cmpstr(cfg.trust[0].spec, ==, "1 11 (21 ... 30)");
  g_assert_cmpstr(cfg.trust[1].where, ==, "t.conf:4");
  g_assert_cmpuint(cfg.n_listen, ==, 4);
  g_assert_cmpuint(cfg.listen[0].family, ==, 4);
  g_assert_cmpuint(cfg.listen[0].port, ==, 1123);
  g_assert_cmpuint(cfg.listen[1].family, ==, 6);
  g_assert_cmpuint(cfg.listen[1].addr[15], ==, 1);
  g_assert_cmpuint(cfg.listen[2].port, ==, 123);
  g_assert_cmpuint(cfg.listen[3].family, ==, 6);
  g_assert_cmpint(cfg.local_stratum, ==, 8);
  g_assert_cmpuint(cfg.pcap_max_bytes, ==, 10u * 1024 * 1024);
  g_assert_cmpuint(cfg.pcap_keep, ==, 3);
  g_assert_cmpuint(cfg.pcap_junk_rate, ==, 5);
  g_assert_true(cfg.pcap_max_set);
  g_assert_false(cfg.crypto_nak);
  g_assert_true(cfg.require_auth);
  g_assert_true(cfg.ratelimit);
  g_assert_cmpint(cfg.ratelimit_interval, ==, 2);
  g_assert_cmpint(cfg.ratelimit_burst, ==, 4);
  g_assert_cmpint(cfg.ratelimit_min_age, ==, 30);
  g_assert_cmpstr(cfg.user, ==, "ntpauth");
  g_assert_cmpstr(cfg.status_socket, ==, "/run/x.sock");
}

static void test_defaults(void) {
  srv_config cfg;
  nta_diag err;
  g_assert_cmpint(parse(&cfg, "", &err), ==, NTA_OK);
  g_assert_true(cfg.crypto_nak);
  g_assert_false(cfg.require_auth);
  g_assert_false(cfg.ratelimit);
  g_assert_cmpint(cfg.local_stratum, ==, 0);
  /* The tap is bounded unless told otherwise. */
  g_assert_cmpuint(cfg.pcap_max_bytes, ==, (uint64_t)CFG_PCAP_DEFAULT_MB * 1024 * 1024);
  g_assert_false(cfg.pcap_max_set);
  g_assert_cmpuint(cfg.pcap_keep, ==, CFG_PCAP_DEFAULT_KEEP);
  g_assert_cmpuint(cfg.pcap_junk_rate, ==, CFG_PCAP_DEFAULT_JUNK);
  cfg_apply_defaults(&cfg);
  g_assert_cmpuint(cfg.n_listen, ==, 2);
  g_assert_cmpstr(cfg.listen[0].text, ==, "0.0.0.0:123");
  g_assert_cmpstr(cfg.listen[1].text, ==, "[::]:123");
}

static void test_errors(void) {
  static const struct { const char *text, *msg; } cases[] = {
    { "keys\n", "t.conf:1: 'keys' takes one path" },
    { "# c\nfoo bar\n", "t.conf:2: unknown directive 'foo'" },
    { "local stratum 16\n", "t.conf:1: local stratum must be 1-15, got '16'" },
    { "local 8\n", "t.conf:1: expected 'local stratum N'" },
    { "listen 127.0.0.1:99999\n", "t.conf:1: bad listen address '127.0.0.1:99999' (ADDR[:PORT] or [ADDR6]:PORT)" },
    { "listen [::1:123\n", "t.conf:1: bad listen address '[::1:123' (ADDR[:PORT] or [ADDR6]:PORT)" },
    { "listen 127.0.0.1:123\nlisten 127.0.0.1:123\n", "t.conf:2: duplicate listen address '127.0.0.1:123'" },
    { "crypto-nak maybe\n", "t.conf:1: 'crypto-nak' takes yes or no" },
    { "require-auth\n", "t.conf:1: 'require-auth' takes yes or no" },
    { "pcap /x maxsize 0\n", "t.conf:1: pcap maxsize must be 1-1048576 MB, got '0'" },
    { "pcap /x size 3\n", "t.conf:1: unknown pcap option 'size' (maxsize MB, keep N, junk N)" },
    { "ratelimit interval\n", "t.conf:1: 'interval' needs a value" },
    { "ratelimit burst 0\n", "t.conf:1: ratelimit burst must be 1-255, got '0'" },
    { "refclock shm unit 2\n", "t.conf:1: refclock support not built" },
    { "user a b\n", "t.conf:1: 'user': wrong number of arguments" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    srv_config cfg;
    nta_diag err;
    g_assert_cmpint(parse(&cfg, cases[i].text, &err), !=, NTA_OK);
    g_assert_cmpstr(err.msg, ==, cases[i].msg);
  }
  /* A bad trustedkey list names the line. */
  srv_config cfg;
  nta_diag err;
  g_assert_cmpint(parse(&cfg, "\ntrustedkey 1 x\n", &err), !=, NTA_OK);
  g_assert_true(g_str_has_prefix(err.msg, "t.conf:2: bad trustedkey list"));
}

typedef struct { int calls; char args[128]; char where[64]; } rcl_capture;

static nta_status fake_refclock(void *ctx, const char *args, const char *where, nta_diag *err) {
  rcl_capture *c = ctx;
  c->calls++;
  g_strlcpy(c->args, args, sizeof c->args);
  g_strlcpy(c->where, where, sizeof c->where);
  if (strstr(args, "bogus")) return nta_diag_set(err, NTA_ERR_PARSE, "unknown driver 'bogus'");
  return NTA_OK;
}

static void test_refclock_lines(void) {
  srv_config cfg;
  nta_diag err;
  rcl_capture c = { 0 };
  const char *text = "refclock  shm unit 2  refid GPS   # gpsd\n";
  cfg_init(&cfg);
  g_assert_cmpint(cfg_parse_text(&cfg, "r.conf", text, strlen(text), fake_refclock, &c, &err), ==, NTA_OK);
  g_assert_cmpint(c.calls, ==, 1);
  g_assert_cmpstr(c.args, ==, "shm unit 2  refid GPS");
  g_assert_cmpstr(c.where, ==, "r.conf:1");
  g_assert_cmpuint(cfg.n_refclocks, ==, 1);
  text = "\nrefclock bogus\n";
  g_assert_cmpint(cfg_parse_text(&cfg, "r.conf", text, strlen(text), fake_refclock, &c, &err), !=, NTA_OK);
  g_assert_cmpstr(err.msg, ==, "r.conf:2: unknown driver 'bogus'");
}

static void test_missing_file(void) {
  srv_config cfg;
  nta_diag err;
  cfg_init(&cfg);
  g_assert_cmpint(cfg_parse_file(&cfg, "/nonexistent/ntpauth.conf", NULL, NULL, &err), ==, NTA_ERR_IO);
  g_assert_true(g_str_has_prefix(err.msg, "/nonexistent/ntpauth.conf: cannot open"));
}

/* Relative pcap/status-socket paths are used again after daemon() changed to "/" (pcap
 * rotation, the socket's removal): they are anchored to the start-up folder. */
static void test_absolute_paths(void) {
  srv_config cfg;
  nta_diag err;
  g_assert_cmpint(parse(&cfg, "pcap traces/s.pcap maxsize 1\nstatus-socket run/s.sock\n", &err), ==, NTA_OK);
  g_assert_cmpint(cfg_absolute_paths(&cfg, "/srv/ntp", &err), ==, NTA_OK);
  g_assert_cmpstr(cfg.pcap, ==, "/srv/ntp/traces/s.pcap");
  g_assert_cmpstr(cfg.status_socket, ==, "/srv/ntp/run/s.sock");
  g_assert_cmpint(parse(&cfg, "pcap /var/s.pcap\n", &err), ==, NTA_OK);
  g_assert_cmpint(cfg_absolute_paths(&cfg, "/srv/ntp", &err), ==, NTA_OK);
  g_assert_cmpstr(cfg.pcap, ==, "/var/s.pcap");
  g_assert_cmpstr(cfg.status_socket, ==, "/run/ntpauth/status.sock");
  g_assert_cmpint(parse(&cfg, "status-socket none\n", &err), ==, NTA_OK);  /* no socket at all */
  g_assert_cmpint(cfg_absolute_paths(&cfg, "/srv/ntp", &err), ==, NTA_OK);
  g_assert_cmpstr(cfg.status_socket, ==, "");
  /* No pcap stays no pcap; too long once joined is an error, not a truncation. */
  g_assert_cmpint(parse(&cfg, "", &err), ==, NTA_OK);
  g_assert_cmpint(cfg_absolute_paths(&cfg, "/srv", &err), ==, NTA_OK);
  g_assert_cmpstr(cfg.pcap, ==, "");
  char cwd[CFG_PATH_MAX];
  memset(cwd, 'd', sizeof cwd - 1);
  cwd[0] = '/';
  cwd[sizeof cwd - 1] = '\0';
  g_assert_cmpint(parse(&cfg, "pcap x.pcap\n", &err), ==, NTA_OK);
  g_assert_cmpint(cfg_absolute_paths(&cfg, cwd, &err), !=, NTA_OK);
  g_assert_nonnull(strstr(err.msg, "too long"));
}

int main(int argc, char **argv) {
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/full", test_full);
  g_test_add_func("/config/defaults", test_defaults);
  g_test_add_func("/config/errors", test_errors);
  g_test_add_func("/config/refclock", test_refclock_lines);
  g_test_add_func("/config/missing-file", test_missing_file);
  g_test_add_func("/config/absolute-paths", test_absolute_paths);
  return g_test_run();
}
