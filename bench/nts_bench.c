/* nts_bench.c - NTS packets verified per second per core, next to SHA1 MACs in the same run
 * (not a test; bench/nts-bench.sh runs it).
 *
 * Packets are shaped like chrony 4.3's: a 228-byte request (Unique Identifier 32, cookie 100,
 * one placeholder, 16-byte nonce, empty plaintext) and a 228-byte reply (one new cookie inside
 * the ciphertext). Measured, per user CPU second of one thread:
 *   sha1:       nta_packet_parse + nta_verify of a 72-byte SHA1-authenticated request
 *   request:    nta_nts_verify of the request, the right session tried first
 *   reply:      nta_nts_verify of the reply (decrypting its cookie)
 *   search N:   the request with N known sessions, the right one tried last (the cost of a
 *               client whose session is not known yet: one AES-SIV open per session)
 * Output: "RESULT <name> <per second>" lines and a table on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_clock.h"

#include "ntpauth/nts_verify.h"
#include "ntpauth/verify.h"


/* A store of n sessions; the one with keys (c2s, s2c) is added last. */
static nta_nts_store *make_store(size_t n, const uint8_t *c2s, const uint8_t *s2c) {
  nta_nts_store *st = nta_nts_store_create();
  for (size_t i = 0; i < n; i++) {
    char text[512], k1[65], k2[65];
    for (int b = 0; b < 32; b++) {
      snprintf(k1 + 2 * b, 3, "%02x", i + 1 == n ? s2c[b] : (unsigned)(b ^ i ^ 0x5a) & 0xff);
      snprintf(k2 + 2 * b, 3, "%02x", i + 1 == n ? c2s[b] : (unsigned)(b + i * 7) & 0xff);
    }
    snprintf(text, sizeof text, "NNC0\ns%zu\n1.0\n127.0.0.1 123\n1 15 %s %s\n", i, k1, k2);
    char name[32];
    snprintf(name, sizeof name, "s%zu.nts", i);
    nta_diag err;
    if (nta_nts_load_dump_text(st, name, text, strlen(text), &err) != NTA_OK) abort();
  }
  return st;
}

typedef struct {
  const nta_keyring *kr;
  const nta_nts_store *st;
  const uint8_t *buf;
  size_t len;
  bool reply;
  int hint;
} job;

static nta_nts_result result;

static bool one(const job *j) {
  if (j->kr) {
    nta_packet pkt;
    nta_verify_result vr;
    nta_packet_parse(j->buf, j->len, j->len, &pkt);
    return nta_verify(j->kr, &pkt, j->buf, &vr) == NTA_V_GOOD;
  }
  return nta_nts_verify(j->st, j->buf, j->len, j->reply, j->hint, -1, &result) == NTA_V_GOOD;
}

static double measure(const job *j, double seconds) {
  unsigned long long ops = 0, good = 0;
  double cpu0 = bench_user_cpu(RUSAGE_SELF), end = bench_wall() + seconds;
  do {
    for (int i = 0; i < 1024; i++) good += one(j);
    ops += 1024;
  } while (bench_wall() < end);
  double cpu = bench_user_cpu(RUSAGE_SELF) - cpu0;
  return good == ops && cpu > 0 ? (double)ops / cpu : -1;
}

static void report(const char *name, double rate) {
  fprintf(stderr, "%-22s %14.0f\n", name, rate);
  printf("RESULT %s %.0f\n", name, rate);
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 2;
  if (seconds <= 0) seconds = 2;
  uint8_t c2s[32], s2c[32], uid[32], cookie[100], nonce[16], pt[104];
  for (int i = 0; i < 32; i++) c2s[i] = (uint8_t)(i * 3), s2c[i] = (uint8_t)(i * 5 + 1), uid[i] = (uint8_t)i;
  memset(cookie, 0x77, sizeof cookie);
  memset(nonce, 0x42, sizeof nonce);
  pt[0] = 0x02, pt[1] = 0x04, pt[2] = 0, pt[3] = 104;
  memset(pt + 4, 0x66, 100);
  uint8_t req[512] = {0x23}, rep[512] = {0x24, 2};
  size_t ql = nta_nts_build(req, sizeof req, uid, 32, cookie, 100, 1, c2s, nonce, 16, NULL, 0);
  size_t pl = nta_nts_build(rep, sizeof rep, uid, 32, NULL, 0, 0, s2c, nonce, 16, pt, sizeof pt);

  nta_keyring *kr = nta_keyring_create();
  nta_diag err;
  uint8_t sha[128] = {0x23};
  if (nta_keyring_add_text(kr, 1, "SHA1", "HEX:933F62BE1D604E68A81B557F18CFA200483F5B70",
                           NTA_DIALECT_CHRONY, "bench", &err) != NTA_OK)
    return 1;
  size_t sl = nta_sign(nta_keyring_find(kr, 1), sha, 48, sizeof sha, 20);
  nta_nts_store *one_st = make_store(1, c2s, s2c), *many = make_store(64, c2s, s2c);

  fprintf(stderr, "%-22s %14s   (one core, user CPU time, %.1f s each)\n", "packets", "verified/s",
          seconds);
  const struct { const char *name; job j; } jobs[] = {
    {"SHA1", {.kr = kr, .buf = sha, .len = sl}},
    {"NTS-request", {.st = one_st, .buf = req, .len = ql, .hint = 0}},
    {"NTS-reply", {.st = one_st, .buf = rep, .len = pl, .reply = true, .hint = 0}},
    {"NTS-request-search-64", {.st = many, .buf = req, .len = ql, .hint = -1}},
  };
  int rc = 0;
  for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
    double r = measure(&jobs[i].j, seconds);
    if (r < 0) {
      fprintf(stderr, "nts_bench: %s: a verification failed\n", jobs[i].name);
      rc = 1;
      continue;
    }
    report(jobs[i].name, r);
  }
  nta_keyring_destroy(kr);
  nta_nts_store_destroy(one_st);
  nta_nts_store_destroy(many);
  return rc;
}
