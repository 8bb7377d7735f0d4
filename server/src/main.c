/* main.c - ntpauth-server: set-up as root, privilege drop, and the event loop.
 *
 * Everything privileged (sockets, keyfile, pcap file, refclock devices, status socket, log file)
 * is opened first; then the process switches to the run user for good and only serves. The
 * answer to each request is computed by respond.c; this file only moves bytes and time. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "counters.h"
#include "keycheck.h"
#include "log.h"
#include "metrics.h"
#include "netio.h"
#include "ntpauth/keyring.h"
#include "privdrop.h"
#include "ratelimit.h"
#include "reload.h"
#include "respond.h"
#include "startcheck.h"
#include "statussock.h"
#include "tap.h"
#include "timestate.h"

#include "refclock/refclocks.h"

#define SRV_RATELIMIT_SLOTS 4096
#define SRV_TICK_NS 200000000L       /* refclock housekeeping: 5 times a second */
#define SRV_MAX_POLLFDS (CFG_MAX_LISTEN + 40)
#define SRV_STATUS_MAX 65536
#define SRV_METRICS_INTERVAL_S 10

typedef struct {
  srv_config cfg;
  const char *config_path;
  bool foreground, debug;
  nta_keyring *keys;
  net_socket socks[CFG_MAX_LISTEN];
  size_t n_socks;
  rl_table *ratelimit;
  srv_counters *counters;
  rsp_policy policy;
  int sig_fd;
  int status_fd;
  priv_user user;
  srv_time_state time_state;
  struct timespec last_tick;   /* CLOCK_MONOTONIC_COARSE of the last refclock/time-state tick */
  bool tap_can_rotate;
  rcl_set *rcl;
  srv_tap *tap;
  ctl_server *ctl;             /* mode 6 */
  char cwd[PATH_MAX];          /* at start-up: relative paths and SIGHUP reloads use it */
  uint64_t reloads_ok, reloads_failed;
  time_t metrics_due;          /* CLOCK_MONOTONIC_COARSE seconds */
  bool metrics_failing;        /* said once until it works again */
  uint32_t alt_logged[16];   /* keys already logged as used under another daemon's reading */
  size_t n_alt_logged;
} server;

static void usage(FILE *out) {
  fprintf(out,
          "usage: ntpauth-server -c FILE [-n] [-d] [-t]\n"
          "  -c, --config FILE  configuration file (see ntpauth-server.conf(5))\n"
          "  -n, --foreground   stay in the foreground, log to stderr (unless `logfile` is set)\n"
          "  -d, --debug        debug logging\n"
          "  -t, --check        check the configuration and keyfile, then exit\n"
          "  -h, --help         show this help and exit\n"
          "  -V, --version      show the version and exit\n"
          "exit status: 0 stopped by SIGTERM/SIGINT or configuration OK (-t), 1 set-up or\n"
          "             configuration error, 2 bad command line\n");
}

/* ---- set-up ------------------------------------------------------------------------------- */

static nta_status add_refclock(void *ctx, const char *args, const char *where, nta_diag *err) {
  return rcl_add_config((rcl_set *)ctx, args, where, err);
}

static bool load_config(server *s) {
  nta_diag err;
  cfg_init(&s->cfg);
  cfg_refclock_fn rcl_fn = NULL;
  void *rcl_ctx = NULL;
  s->rcl = rcl_create();
  if (!s->rcl) { fprintf(stderr, "ntpauth-server: out of memory\n"); return false; }
  rcl_fn = add_refclock;
  rcl_ctx = s->rcl;
  if (cfg_parse_file(&s->cfg, s->config_path, rcl_fn, rcl_ctx, &err) != NTA_OK) {
    fprintf(stderr, "ntpauth-server: %s\n", err.msg);
    return false;
  }
  cfg_apply_defaults(&s->cfg);
  if (!getcwd(s->cwd, sizeof s->cwd)) {
    fprintf(stderr, "ntpauth-server: getcwd: %s\n", strerror(errno));
    return false;
  }
  if (cfg_absolute_paths(&s->cfg, s->cwd, &err) != NTA_OK) {
    fprintf(stderr, "ntpauth-server: %s: %s\n", s->config_path, err.msg);
    return false;
  }
  return true;
}

static bool open_sockets(server *s) {
  nta_diag err;
  for (size_t i = 0; i < s->cfg.n_listen; i++) {
    if (net_open(&s->cfg.listen[i], &s->socks[s->n_socks], &err) != NTA_OK) {
      char buf[CFG_WHERE_MAX];
      log_msg(LOG_ERR, "%s: %s", sc_where(s->cfg.listen[i].where, s->config_path, buf, sizeof buf),
              err.msg);
      return false;
    }
    log_msg(LOG_INFO, "listening on %s", s->cfg.listen[i].text);
    s->n_socks++;
  }
  return true;
}

/* Last step of the start-up (the previous capture is rotated away here): as root, before the
 * drop, so the folder may be root's. */
static bool open_tap(server *s) {
  if (!s->cfg.pcap[0]) return true;
  nta_diag err;
  tap_options o = {
    .path = s->cfg.pcap, .max_bytes = s->cfg.pcap_max_bytes, .keep = s->cfg.pcap_keep,
    .junk_rate = s->cfg.pcap_junk_rate, .can_rotate = s->tap_can_rotate,
    .chown = s->user.drop, .uid = s->user.uid, .gid = s->user.gid,
  };
  s->tap = tap_open(&o, &err);
  if (!s->tap) { log_msg(LOG_ERR, "%s: pcap %s", s->cfg.pcap_where, err.msg); return false; }
  log_msg(LOG_INFO, "recording traffic to %s (maxsize %llu MB, keep %u, unanswered datagrams up "
          "to %u/s)", s->cfg.pcap, (unsigned long long)(s->cfg.pcap_max_bytes >> 20),
          s->cfg.pcap_keep, s->cfg.pcap_junk_rate);
  return true;
}

static bool open_signals(server *s) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return false;
  signal(SIGPIPE, SIG_IGN);
  s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  return s->sig_fd >= 0;
}

/* ---- status ------------------------------------------------------------------------------- */

static size_t format_status(server *s, char *buf, size_t len) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  size_t off = 0;
  const srv_time_state *t = &s->time_state;
  char refid[16];
  if (t->synced && t->stratum >= 2)
    snprintf(refid, sizeof refid, "%u.%u.%u.%u", t->refid >> 24, (t->refid >> 16) & 255,
             (t->refid >> 8) & 255, t->refid & 255);
  else
    for (int i = 0; i < 4; i++) {
      char ch = (char)(t->refid >> (24 - 8 * i));
      refid[i] = ch >= 32 && ch < 127 ? ch : '\0';
      refid[4] = '\0';
    }
  off += (size_t)snprintf(buf + off, len - off,
                          "ntpauth-server %s: %s, leap %u, stratum %u, refid %s, offset %+.9f s, "
                          "root delay %.6f s, root dispersion %.6f s\n",
                          NTPAUTH_VERSION, t->synced ? "synchronised" : "unsynchronised", t->leap,
                          t->synced ? t->stratum : 0, refid, t->offset, t->root_delay,
                          t->root_dispersion);
  if (off < len) off += cnt_format(s->counters, &now, buf + off, len - off);
  if (off < len) off += tap_format_status(s->tap, buf + off, len - off);
  if (off < len) off += ctl_format_status(s->ctl, buf + off, len - off);
  if (rcl_count(s->rcl) && off + 1 < len) {
    off += (size_t)snprintf(buf + off, len - off, "refclocks:\n");
    if (off < len) {
      size_t need = rcl_format_status(s->rcl, &now, buf + off, len - off);
      off += need < len - off ? need : len - off - 1;
    }
  }
  if (off >= len) off = len - 1;
  return off;
}

/* ---- the NTP path ------------------------------------------------------------------------- */

static void update_time_state(server *s, const struct timespec *now) {
  srv_time_state rcl_state;
  bool have_rcl = false;
  have_rcl = rcl_get_state(s->rcl, now, &rcl_state);
  ts_select(have_rcl, &rcl_state, s->cfg.local_stratum, now, &s->time_state);
}

static void log_result(const net_packet *p, const rsp_result *r) {
  if (!log_debug_enabled()) return;
  char a[64];
  nta_endpoint_addr_str(&p->peer, a, sizeof a);
  log_msg(LOG_DEBUG, "%s port %u: %zu bytes, verdict %s (%s), %s%s%s", a, p->peer.port, p->len,
          rsp_verdict_name(r->vr.verdict), r->vr.reason, rsp_action_name(r->action),
          r->action == RSP_DROP ? " " : "",
          r->action == RSP_DROP ? rsp_drop_reason_name(r->drop_reason) : "");
}

/* A client uses another daemon's reading of a key's text: answered with that reading, and
 * logged once per key (a hint that the keyfile is shared with another daemon). */
static void log_alternate(server *s, const rsp_result *r) {
  uint32_t id = r->vr.key_id;
  for (size_t i = 0; i < s->n_alt_logged; i++)
    if (s->alt_logged[i] == id) return;
  if (s->n_alt_logged < sizeof s->alt_logged / sizeof s->alt_logged[0])
    s->alt_logged[s->n_alt_logged++] = id;
  log_msg(LOG_NOTICE, "key %u works only as %s reads it (%s); answering with that reading", id,
          nta_key_read_differently_by(r->vr.key), r->vr.reason);
}

/* Step 1 for one datagram: record it, decide, apply the rate limit. True when it gets an answer. */
static bool decide(server *s, const net_packet *p, rsp_result *r) {
  rsp_request req = { .buf = p->data, .len = p->truncated ? 0 : p->len, .rx_time = p->rx_time };
  respond_prepare(&req, &s->time_state, &s->policy, s->keys, r);
  if (r->vr.verdict == NTA_V_GOOD && r->vr.by_alternate) log_alternate(s, r);
  if (r->action != RSP_DROP && p->peer.port == 0) {   /* nobody to answer to */
    r->action = RSP_DROP;
    r->drop_reason = RSP_DROP_MALFORMED;
  }
  /* Only requests we would answer spend tokens: junk cannot starve a client. Verified requests
   * spend their own (address, key) tokens: spoofed traffic cannot earn them a signed KoD. */
  bool verified = r->vr.verdict == NTA_V_GOOD;
  if (r->action != RSP_DROP && s->ratelimit &&
      !rl_allow(s->ratelimit, p->peer.family, p->peer.addr, verified, r->vr.key_id, &p->rx_time))
    respond_rate_limited(r);
  tap_record(s->tap, &p->rx_time, &p->peer, &p->local, p->data, p->len, p->orig_len,
             r->action == RSP_DROP);
  if (r->action != RSP_DROP) return true;
  cnt_record(s->counters, p->peer.family, p->peer.addr, r);
  log_result(p, r);
  return false;
}

/* Step 2 for a batch: stamp, sign, send, record. */
static void answer(server *s, const net_socket *sock, const net_batch *batch, rsp_result *results,
                   const size_t *todo, size_t n_todo) {
  net_reply replies[NET_BATCH];
  size_t sent_of[NET_BATCH];
  size_t n_send = 0;
  /* The transmit time is read once per batch, right before signing and sending it: on VMs
   * without a vDSO clock source every clock read is a system call. */
  struct timespec tx;
  clock_gettime(CLOCK_REALTIME, &tx);
  for (size_t k = 0; k < n_todo; k++) {
    const net_packet *p = &batch->pkts[todo[k]];
    rsp_result *r = &results[todo[k]];
    if (respond_finish(r, &s->time_state, &tx, p->len)) {
      replies[n_send] = (net_reply){ r->reply, r->reply_len, p };
      sent_of[n_send++] = todo[k];
    }
    cnt_record(s->counters, p->peer.family, p->peer.addr, r);
    log_result(p, r);
  }
  if (!n_send) return;
  int e;
  size_t sent = net_send_batch(sock, replies, n_send, &e);
  if (sent < n_send) {
    for (size_t k = sent; k < n_send; k++) cnt_send_error(s->counters);
    log_msg(LOG_DEBUG, "send: %s", strerror(e));
  }
  for (size_t k = 0; k < n_send; k++) {
    const net_packet *p = &batch->pkts[sent_of[k]];
    tap_record(s->tap, &tx, &p->local, &p->peer, replies[k].data, replies[k].len, replies[k].len,
               false);
  }
}

/* The mode 6 view of the server right now. */
static void snapshot(server *s, const struct timespec *now, m6_snapshot *snap) {
  ctl_snapshot(snap, &s->time_state, s->rcl, s->cfg.local_stratum, now,
               cnt_verdict(s->counters, NTA_V_GOOD), cnt_action(s->counters, RSP_CRYPTO_NAK));
}

/* A control message (ntpq): admitted sources only, answered at once, one datagram per fragment. */
static void control_request(server *s, const net_socket *sock, const net_packet *p) {
  const m6_result *r = NULL;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (!p->truncated && p->peer.port != 0 &&
      ctl_admit(s->ctl, p->peer.family, p->peer.addr, &p->rx_time)) {
    static m6_snapshot snap;
    snapshot(s, &now, &snap);
    r = ctl_answer(s->ctl, p->data, p->len, &snap, s->keys);
  }
  tap_record(s->tap, &p->rx_time, &p->peer, &p->local, p->data, p->len, p->orig_len, r == NULL);
  if (!r) return;
  net_reply replies[M6_MAX_FRAGS];
  for (size_t k = 0; k < r->n_frags; k++) replies[k] = (net_reply){ r->frag[k], r->frag_len[k], p };
  int e;
  size_t sent = net_send_batch(sock, replies, r->n_frags, &e);
  if (sent < r->n_frags) log_msg(LOG_DEBUG, "send (mode 6): %s", strerror(e));
  for (size_t k = 0; k < sent; k++)
    tap_record(s->tap, &now, &p->local, &p->peer, r->frag[k], r->frag_len[k], r->frag_len[k], false);
}

static void handle_socket(server *s, const net_socket *sock) {
  static net_batch batch;
  static rsp_result results[NET_BATCH];
  size_t todo[NET_BATCH];
  /* Bounded work per wake-up so signals, refclocks and the status socket are never starved. */
  for (int round = 0; round < 16; round++) {
    int e;
    size_t n = net_recv_batch(sock, &batch, &e);
    if (e) cnt_rx_error(s->counters);
    if (n == 0) return;
    size_t n_todo = 0;
    for (size_t i = 0; i < n; i++) {
      if (m6_is_control(batch.pkts[i].data, batch.pkts[i].len)) control_request(s, sock, &batch.pkts[i]);
      else if (decide(s, &batch.pkts[i], &results[i])) todo[n_todo++] = i;
    }
    if (n_todo) answer(s, sock, &batch, results, todo, n_todo);
    tap_flush(s->tap);
    if (n < NET_BATCH) return;
  }
}

/* ---- main loop ---------------------------------------------------------------------------- */

static void dump_status(server *s) {
  static char buf[SRV_STATUS_MAX];
  format_status(s, buf, sizeof buf);
  log_lines(LOG_NOTICE, buf);
}

/* SIGHUP: a new key set replaces the old one only when it loaded without errors. */
static void reload(server *s) {
  nta_diag err;
  reload_info info;
  char path[2 * PATH_MAX + 2];   /* daemon() moved to "/": a relative -c path is the start-up cwd's */
  bool rel = s->config_path[0] != '/';
  snprintf(path, sizeof path, "%s%s%s", rel ? s->cwd : "", rel ? "/" : "", s->config_path);
  nta_keyring *kr = reload_keys(path, s->cwd, &info, &err);
  if (!kr) {
    s->reloads_failed++;
    log_msg(LOG_ERR, "SIGHUP: %s; nothing reloaded, keeping the %zu keys loaded before", err.msg,
            nta_keyring_count(s->keys));
    return;
  }
  nta_keyring_destroy(s->keys);
  s->keys = kr;
  s->reloads_ok++;
  log_msg(LOG_NOTICE, "SIGHUP: loaded %zu keys from %s%s", info.n_keys,
          info.keys_path[0] ? info.keys_path : "(no keyfile)",
          info.n_warnings ? " (with warnings, see -t)" : "");
}

static void write_metrics(server *s, const struct timespec *mono) {
  if (!s->cfg.control.metrics_file[0] || mono->tv_sec < s->metrics_due) return;
  s->metrics_due = mono->tv_sec + SRV_METRICS_INTERVAL_S;
  static m6_snapshot snap;
  static char text[SRV_STATUS_MAX];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  snapshot(s, &now, &snap);
  metrics_input in = { &snap, s->counters, ctl_get_stats(s->ctl), nta_keyring_count(s->keys),
                       s->reloads_ok, s->reloads_failed };
  size_t len = metrics_format(&in, text, sizeof text);
  nta_diag err;
  bool ok = len < sizeof text && metrics_write_file(s->cfg.control.metrics_file, text, len, &err) == NTA_OK;
  if (!ok && !s->metrics_failing) log_msg(LOG_WARNING, "%s (said once)", len < sizeof text ? err.msg : "metrics too long");
  s->metrics_failing = !ok;
}

/* Returns false when the loop should end. */
static bool handle_signals(server *s) {
  struct signalfd_siginfo si;
  bool run = true;
  while (read(s->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
    switch (si.ssi_signo) {
    case SIGTERM:
    case SIGINT:
      log_msg(LOG_NOTICE, "signal %u: shutting down", si.ssi_signo);
      run = false;
      break;
    case SIGUSR1: dump_status(s); break;
    case SIGHUP: reload(s); break;
    default: break;
    }
  }
  return run;
}

static long ns_since(const struct timespec *now, const struct timespec *then) {
  return (long)((now->tv_sec - then->tv_sec) * 1000000000L + (now->tv_nsec - then->tv_nsec));
}

/* Refclock housekeeping and the served time state, 5 times a second. Scheduling uses the coarse
 * monotonic clock (read without a system call even on VMs whose precise clocks need one); the
 * refclock layer gets the precise real time. */
static void tick(server *s, const struct timespec *mono) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  rcl_tick(s->rcl, &now);
  update_time_state(s, &now);
  s->last_tick = *mono;
  write_metrics(s, mono);
}

static bool tick_due(const server *s, const struct timespec *mono) {
  return ns_since(mono, &s->last_tick) >= SRV_TICK_NS;
}

static int run_loop(server *s) {
  struct pollfd fds[SRV_MAX_POLLFDS];
  static char status_buf[SRV_STATUS_MAX];
  struct timespec mono;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
  tick(s, &mono);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
    if (tick_due(s, &mono)) tick(s, &mono);
    size_t n = 0;
    fds[n++] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
    if (s->status_fd >= 0) fds[n++] = (struct pollfd){ .fd = s->status_fd, .events = POLLIN };
    size_t first_sock = n;
    for (size_t i = 0; i < s->n_socks; i++) fds[n++] = (struct pollfd){ .fd = s->socks[i].fd, .events = POLLIN };
    size_t first_rcl = n;
    n += rcl_poll_fds(s->rcl, fds + n, SRV_MAX_POLLFDS - n);
    long wait_ns = SRV_TICK_NS - ns_since(&mono, &s->last_tick);
    int timeout = wait_ns <= 0 ? 0 : (int)(wait_ns / 1000000L) + 1;
    int rc = poll(fds, n, timeout);
    if (rc < 0 && errno != EINTR) { log_msg(LOG_ERR, "poll: %s", strerror(errno)); return 1; }
    if (rc <= 0) continue;
    if (fds[0].revents && !handle_signals(s)) return 0;
    if (first_rcl < n) {
      /* Timestamp device input right after the wake-up. */
      struct timespec now;
      clock_gettime(CLOCK_REALTIME, &now);
      for (size_t i = first_rcl; i < n; i++)
        if (fds[i].revents) rcl_on_readable(s->rcl, fds[i].fd, &now);
    }
    for (size_t i = 0; i < s->n_socks; i++)
      if (fds[first_sock + i].revents) handle_socket(s, &s->socks[i]);
    if (s->status_fd >= 0 && fds[1].revents) {
      size_t len = format_status(s, status_buf, sizeof status_buf);
      status_serve(s->status_fd, status_buf, len);
    }
  }
}

static void cleanup(server *s) {
  tap_close(s->tap);
  s->tap = NULL;
  for (size_t i = 0; i < s->n_socks; i++) net_close(&s->socks[i]);
  if (s->status_fd >= 0) {
    close(s->status_fd);
    unlink(s->cfg.status_socket);   /* may fail after the drop when its folder is root's */
  }
  if (s->sig_fd >= 0) close(s->sig_fd);
  rcl_destroy(s->rcl);
  rl_destroy(s->ratelimit);
  ctl_destroy(s->ctl);
  cnt_destroy(s->counters);
  nta_keyring_destroy(s->keys);
}

/* Files the server uses again after dropping root: say now when the run user cannot. */
static void check_run_user_access(server *s) {
  if (!s->user.drop) return;
  if (s->cfg.keys[0] && !priv_access(&s->user, s->cfg.keys, R_OK))
    log_msg(LOG_WARNING, "keys %s: user %s cannot read it, so SIGHUP cannot reload keys "
            "(chgrp the file to that user's group and chmod 0640)", s->cfg.keys, s->user.name);
  if (!priv_access(&s->user, s->config_path, R_OK))
    log_msg(LOG_WARNING, "%s: user %s cannot read it, so SIGHUP cannot reload keys",
            s->config_path, s->user.name);
  char dir[CFG_PATH_MAX];
  snprintf(dir, sizeof dir, "%s", s->cfg.control.metrics_file);
  if (dir[0] && !priv_dir_writable(&s->user, dirname(dir)))
    log_msg(LOG_WARNING, "metrics-file %s: user %s cannot create files in its folder",
            s->cfg.control.metrics_file, s->user.name);
}

/* The run user and the checks of a configuration that parses; for -t also every path. */
static bool check_setup(server *s, bool check_only) {
  nta_diag err;
  char buf[CFG_WHERE_MAX];
  if (priv_resolve(s->cfg.user, &s->user, &err) != NTA_OK) {
    log_msg(LOG_ERR, "%s: %s", sc_where(s->cfg.user_where, s->config_path, buf, sizeof buf), err.msg);
    return false;
  }
  bool ok = sc_config_sane(&s->cfg, s->config_path, s->keys, &s->user, check_only);
  ok = sc_tap_preflight(&s->cfg, s->config_path, &s->user, &s->tap_can_rotate) && ok;
  if (check_only) ok = sc_check_paths(&s->cfg, s->config_path) && ok;
  return ok;
}

static bool open_status_socket(server *s) {
  nta_diag err;
  char buf[CFG_WHERE_MAX];
  if (!s->cfg.status_socket[0]) return true;
  s->status_fd = status_open(s->cfg.status_socket, s->user.uid, s->user.gid, &err);
  if (s->status_fd >= 0) return true;
  log_msg(LOG_ERR, "%s: %s", sc_where(s->cfg.status_where, s->config_path, buf, sizeof buf), err.msg);
  return false;
}

/* Everything that can fail comes before the tap, which rotates the previous capture away. */
static bool setup(server *s, bool check_only) {
  nta_diag err;
  if (!load_config(s)) return false;
  log_target target = check_only ? LOG_TO_STDERR : s->cfg.logfile[0] ? LOG_TO_FILE
                      : s->foreground ? LOG_TO_STDERR : LOG_TO_SYSLOG;
  if (!log_open(target, s->cfg.logfile, s->debug)) {
    fprintf(stderr, "ntpauth-server: %s: logfile %s: %s\n", s->cfg.logfile_where, s->cfg.logfile,
            strerror(errno));
    return false;
  }
  /* -t goes on to the other checks after a keyfile problem, to list them all */
  bool keys_ok = kc_load_keys(&s->cfg, check_only, &s->keys);
  if (!keys_ok && !check_only) return false;
  bool ok = check_setup(s, check_only) && keys_ok;
  if (ok) check_run_user_access(s);
  if (check_only || !ok) return ok;
  if (s->user.drop && s->cfg.logfile[0] && !log_chown(s->user.uid, s->user.gid))
    log_msg(LOG_WARNING, "logfile %s: chown: %s", s->cfg.logfile, strerror(errno));
  s->policy.crypto_nak = s->cfg.crypto_nak;
  s->policy.require_auth = s->cfg.require_auth;
  s->counters = cnt_create();
  s->ctl = ctl_create(&s->cfg.control);
  if (!s->counters || !s->ctl) return false;
  if (s->cfg.ratelimit) {
    s->ratelimit = rl_create(SRV_RATELIMIT_SLOTS, s->cfg.ratelimit_interval, s->cfg.ratelimit_burst,
                             s->cfg.ratelimit_min_age);
    if (!s->ratelimit) return false;
  }
  if (!open_sockets(s)) return false;
  if (rcl_count(s->rcl) && rcl_open(s->rcl, &err) != NTA_OK) { log_msg(LOG_ERR, "%s", err.msg); return false; }
  if (!open_status_socket(s)) return false;
  if (!open_signals(s)) { log_msg(LOG_ERR, "signalfd: %s", strerror(errno)); return false; }
  return open_tap(s);
}

int main(int argc, char **argv) {
  static server s;
  bool check_only = false;
  int opt;
  s.sig_fd = -1;
  s.status_fd = -1;
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'}, {"foreground", no_argument, NULL, 'n'},
      {"debug", no_argument, NULL, 'd'}, {"check", no_argument, NULL, 't'},
      {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
  while ((opt = getopt_long(argc, argv, "c:ndtVh", longopts, NULL)) != -1) {
    switch (opt) {
    case 'c': s.config_path = optarg; break;
    case 'n': s.foreground = true; break;
    case 'd': s.debug = true; break;
    case 't': check_only = true; break;
    case 'V': printf("ntpauth-server %s\n", NTPAUTH_VERSION); return 0;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (!s.config_path || optind != argc) { usage(stderr); return 2; }

  if (!setup(&s, check_only)) { cleanup(&s); log_close(); return 1; }
  if (check_only) {
    printf("%s: configuration OK\n", s.config_path);
    cleanup(&s);
    return 0;
  }
  if (!s.foreground && daemon(0, 0) != 0) {
    log_msg(LOG_ERR, "daemon: %s", strerror(errno));
    cleanup(&s);
    return 1;
  }
  log_stderr_copy(false);   /* detached: from now on the log target only */
  nta_diag err;
  if (s.status_fd >= 0) status_remove_at_exit(s.cfg.status_socket);
  if (priv_drop(&s.user, &err) != NTA_OK) { log_msg(LOG_ERR, "%s", err.msg); cleanup(&s); return 1; }
  log_msg(LOG_NOTICE, "ntpauth-server %s started%s%s, crypto-nak %s, require-auth %s", NTPAUTH_VERSION,
          s.user.drop ? ", running as " : "", s.user.drop ? s.user.name : "",
          s.cfg.crypto_nak ? "yes" : "no", s.cfg.require_auth ? "yes" : "no");
  int rc = run_loop(&s);
  dump_status(&s);
  cleanup(&s);
  log_msg(LOG_NOTICE, "stopped");
  log_close();
  return rc;
}
