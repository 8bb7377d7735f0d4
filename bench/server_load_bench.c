/* server_load_bench.c - load generator for ntpauth-server (and any NTP server): sends
 * authenticated client requests over loopback for a fixed time and reports MAC'd replies per
 * second, loss, crypto-NAKs and the largest reply/request size ratio.
 *
 *   server_load_bench -k KEYFILE -a KEYID [-t SECONDS] [--bad PERCENT] [--sockets N]
 *                     [--window N] [--label NAME] HOST:PORT
 *
 * Closed loop: each of N sockets keeps `window` good requests in flight (a request unanswered
 * after 200 ms counts as lost). With --bad P, P % of all datagrams are junk: half malformed (bad
 * lengths, a truncated EF) and half with a wrong MAC; they are sent besides the window and never
 * counted as replies (crypto-NAKs are counted apart). Requests are signed in advance from a pool
 * with distinct transmit timestamps, so the generator spends its time on system calls, not MACs;
 * one reply in 16 has its MAC verified with the core. Output: one line of key=value figures. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ntpauth/keyring.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

#define POOL_GOOD 16384
#define POOL_BAD 4096
#define MAX_SOCKETS 64
#define PKT_MAX 128
#define BATCH 64
#define LOSS_TIMEOUT_NS 200000000LL

typedef struct {
  uint8_t data[PKT_MAX];
  uint8_t len;
  bool in_flight;
  int64_t sent_ns;
  uint8_t sock;
} pool_pkt;

static pool_pkt good[POOL_GOOD], bad[POOL_BAD];

typedef struct {
  uint64_t good_sent, bad_sent, macd_replies, lost, naks, unauth_replies, kods, other_replies;
  uint64_t bad_answered_macd, verify_checked, verify_failed, oversize, send_errors;
  double max_ratio;
} stats;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t header(uint8_t *buf, uint32_t tag) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t xmt = (nta_ts_from_unix(ts.tv_sec, 0) & 0xFFFFFFFF00000000ull) | tag;
  nta_header h = { .version = 4, .mode = NTA_MODE_CLIENT, .poll = 6, .precision = -20,
                    .xmt_ts = xmt };
  return nta_header_write(&h, buf, PKT_MAX);
}

/* Tags: bit 31 set = junk; low bits = pool index. */
static bool build_pools(const nta_key *key, size_t digest_len) {
  for (uint32_t i = 0; i < POOL_GOOD; i++) {
    size_t len = header(good[i].data, i);
    len = nta_sign(key, good[i].data, len, PKT_MAX, digest_len);
    if (!len) return false;
    good[i].len = (uint8_t)len;
  }
  for (uint32_t i = 0; i < POOL_BAD; i++) {
    uint8_t *b = bad[i].data;
    size_t len = header(b, 0x80000000u | i);
    switch (i % 4) {
    case 0: len = nta_sign(key, b, len, PKT_MAX, digest_len); b[len - 1] ^= 0x55; break; /* wrong MAC */
    case 1: len = nta_sign(key, b, len, PKT_MAX, digest_len); b[50] ^= 0x01; break;     /* wrong key ID */
    case 2: len = 47; break;                                                             /* short */
    case 3: memset(b + len, 0, 12); b[len] = 0x12; b[len + 3] = 12; len += 12; break;   /* bad trailer */
    }
    if (!len) return false;
    bad[i].len = (uint8_t)len;
  }
  return true;
}

static int open_socket(const struct sockaddr_storage *ss, socklen_t sl) {
  int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int sz = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  if (connect(fd, (const struct sockaddr *)ss, sl) != 0) { close(fd); return -1; }
  return fd;
}

static void classify_reply(const nta_keyring *kr, const uint8_t *buf, size_t len, stats *st) {
  if (len < NTA_HEADER_LEN) { st->other_replies++; return; }
  uint32_t tag = ((uint32_t)buf[28] << 24) | ((uint32_t)buf[29] << 16) | ((uint32_t)buf[30] << 8) | buf[31];
  bool is_bad = (tag & 0x80000000u) != 0;
  uint32_t idx = tag & 0x7FFFFFFFu;
  pool_pkt *req = is_bad ? (idx < POOL_BAD ? &bad[idx] : NULL) : (idx < POOL_GOOD ? &good[idx] : NULL);
  if (!req) { st->other_replies++; return; }
  if (len > req->len) st->oversize++;
  double ratio = (double)len / (double)req->len;
  if (ratio > st->max_ratio) st->max_ratio = ratio;
  bool kod = buf[1] == 0 && (buf[0] >> 6) == 3 && !memcmp(buf + 12, "RATE", 4);
  if (len == NTA_HEADER_LEN + 4) { st->naks++; return; }
  if (kod) { st->kods++; return; }
  if (len == NTA_HEADER_LEN) { st->unauth_replies++; return; }
  if (is_bad) { st->bad_answered_macd++; return; }
  if (!req->in_flight) { st->other_replies++; return; }   /* late reply after timeout */
  st->macd_replies++;
  req->in_flight = false;
  if ((st->macd_replies & 15) == 0) {
    nta_packet p;
    nta_verify_result vr;
    nta_packet_parse(buf, len, len, &p);
    st->verify_checked++;
    if (nta_verify(kr, &p, buf, &vr) != NTA_V_GOOD) st->verify_failed++;
  }
}

int main(int argc, char **argv) {
  const char *keyfile = NULL, *label = "server";
  uint32_t key_id = 0;
  double seconds = 5.0;
  int bad_pct = 0, n_socks = 16, window = 16;
  static const struct option opts[] = {
    { "bad", required_argument, NULL, 'b' }, { "sockets", required_argument, NULL, 's' },
    { "window", required_argument, NULL, 'w' }, { "label", required_argument, NULL, 'l' },
    { NULL, 0, NULL, 0 }
  };
  int c;
  while ((c = getopt_long(argc, argv, "k:a:t:", opts, NULL)) != -1) {
    switch (c) {
    case 'k': keyfile = optarg; break;
    case 'a': key_id = (uint32_t)strtoul(optarg, NULL, 10); break;
    case 't': seconds = atof(optarg); break;
    case 'b': bad_pct = atoi(optarg); break;
    case 's': n_socks = atoi(optarg); break;
    case 'w': window = atoi(optarg); break;
    case 'l': label = optarg; break;
    default: goto usage;
    }
  }
  if (optind != argc - 1 || !keyfile || !key_id || seconds <= 0 || seconds > 600 || bad_pct < 0 ||
      bad_pct > 90 || n_socks < 1 || n_socks > MAX_SOCKETS || window < 1 || window > 256) {
usage:
    fprintf(stderr, "usage: server_load_bench -k KEYFILE -a KEYID [-t SECONDS] [--bad PERCENT] "
                    "[--sockets N] [--window N] [--label NAME] HOST:PORT\n");
    return 2;
  }
  nta_keyring *kr = nta_keyring_create();
  nta_diag err;
  if (nta_keyring_load_file(kr, keyfile, NTA_DIALECT_AUTO, NULL, NULL, &err) != NTA_OK) {
    fprintf(stderr, "server_load_bench: %s\n", err.msg);
    return 2;
  }
  const nta_key *key = nta_keyring_find(kr, key_id);
  if (!key) { fprintf(stderr, "server_load_bench: key %u not in %s\n", key_id, keyfile); return 2; }
  size_t full = nta_mac_output_len(nta_key_mac(key));
  if (!build_pools(key, full > NTA_MAC_TRUNC ? NTA_MAC_TRUNC : full)) {
    fprintf(stderr, "server_load_bench: cannot sign requests\n");
    return 2;
  }

  char host[128], *target = argv[optind], *colon = strrchr(target, ':');
  if (!colon) goto usage;
  snprintf(host, sizeof host, "%.*s", (int)(colon - target), target);
  if (host[0] == '[') { memmove(host, host + 1, strlen(host)); host[strlen(host) - 1] = '\0'; }
  struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *ai;
  if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) { fprintf(stderr, "server_load_bench: bad target\n"); return 2; }
  struct sockaddr_storage ss;
  memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
  socklen_t sl = ai->ai_addrlen;
  freeaddrinfo(ai);

  int fds[MAX_SOCKETS], outstanding[MAX_SOCKETS] = { 0 };
  struct pollfd pfd[MAX_SOCKETS];
  for (int i = 0; i < n_socks; i++) {
    fds[i] = open_socket(&ss, sl);
    if (fds[i] < 0) { perror("socket"); return 2; }
    pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
  }

  stats st = { 0 };
  uint32_t next_good = 0, next_bad = 0;
  double bad_credit = 0.0, bad_per_good = bad_pct / (100.0 - bad_pct);
  int64_t start = now_ns(), end = start + (int64_t)(seconds * 1e9), last_scan = start;
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static uint8_t rbuf[BATCH][PKT_MAX * 2];
  bool sending = true;
  int64_t drain_until = end + LOSS_TIMEOUT_NS;
  for (;;) {
    int64_t t = now_ns();
    if (sending && t >= end) sending = false;
    if (!sending && t >= drain_until) break;
    /* Refill every socket's window (plus junk), batched with sendmmsg. */
    for (int s = 0; sending && s < n_socks; s++) {
      int n = 0;
      while (outstanding[s] < window && n < BATCH) {
        pool_pkt *p = &good[next_good];
        for (int tries = 0; p->in_flight && tries < POOL_GOOD; tries++) {
          next_good = (next_good + 1) % POOL_GOOD;
          p = &good[next_good];
        }
        next_good = (next_good + 1) % POOL_GOOD;
        p->in_flight = true; p->sent_ns = t; p->sock = (uint8_t)s;
        outstanding[s]++;
        st.good_sent++;
        iov[n] = (struct iovec){ p->data, p->len };
        msgs[n].msg_hdr = (struct msghdr){ .msg_iov = &iov[n], .msg_iovlen = 1 };
        n++;
        bad_credit += bad_per_good;
        while (bad_credit >= 1.0 && n < BATCH) {
          pool_pkt *b = &bad[next_bad];
          next_bad = (next_bad + 1) % POOL_BAD;
          bad_credit -= 1.0;
          st.bad_sent++;
          iov[n] = (struct iovec){ b->data, b->len };
          msgs[n].msg_hdr = (struct msghdr){ .msg_iov = &iov[n], .msg_iovlen = 1 };
          n++;
        }
      }
      int off = 0;
      while (off < n) {
        int k = sendmmsg(fds[s], msgs + off, (unsigned)(n - off), 0);
        if (k <= 0) { st.send_errors += (uint64_t)(n - off); break; }
        off += k;
      }
    }
    int rc = poll(pfd, (nfds_t)n_socks, 1);
    if (rc > 0) {
      for (int s = 0; s < n_socks; s++) {
        if (!(pfd[s].revents & POLLIN)) continue;
        for (int i = 0; i < BATCH; i++) {
          iov[i] = (struct iovec){ rbuf[i], sizeof rbuf[i] };
          msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
        }
        int k = recvmmsg(fds[s], msgs, BATCH, MSG_DONTWAIT, NULL);
        for (int i = 0; i < k; i++) {
          uint64_t before = st.macd_replies;
          classify_reply(kr, rbuf[i], msgs[i].msg_len, &st);
          if (st.macd_replies != before) outstanding[s]--;
        }
      }
    }
    /* Expire requests that got no answer in time. */
    t = now_ns();
    if (t - last_scan > 10000000LL) {
      last_scan = t;
      for (uint32_t i = 0; i < POOL_GOOD; i++) {
        if (good[i].in_flight && t - good[i].sent_ns > LOSS_TIMEOUT_NS) {
          good[i].in_flight = false;
          outstanding[good[i].sock]--;
          st.lost++;
        }
      }
    }
  }
  for (uint32_t i = 0; i < POOL_GOOD; i++) if (good[i].in_flight) st.lost++;
  double secs = seconds;
  printf("label=%s bad_pct=%d seconds=%.1f good_sent=%llu macd_replies=%llu macd_per_s=%.0f loss_pct=%.3f "
         "bad_sent=%llu crypto_naks=%llu unauth_replies=%llu kods=%llu bad_answered_with_mac=%llu "
         "verified=%llu verify_failed=%llu oversize_replies=%llu max_reply_request_ratio=%.3f send_errors=%llu\n",
         label, bad_pct, secs, (unsigned long long)st.good_sent, (unsigned long long)st.macd_replies,
         (double)st.macd_replies / secs,
         st.good_sent ? 100.0 * (double)st.lost / (double)st.good_sent : 0.0,
         (unsigned long long)st.bad_sent, (unsigned long long)st.naks, (unsigned long long)st.unauth_replies,
         (unsigned long long)st.kods, (unsigned long long)st.bad_answered_macd,
         (unsigned long long)st.verify_checked, (unsigned long long)st.verify_failed,
         (unsigned long long)st.oversize, st.max_ratio, (unsigned long long)st.send_errors);
  for (int i = 0; i < n_socks; i++) close(fds[i]);
  nta_keyring_destroy(kr);
  return st.verify_failed || st.oversize || st.bad_answered_macd ? 1 : 0;
}
