/* mac_bench.c - MAC verifications per second per core (not a test; see bench/mac-bench.sh,
 * which prints these next to `openssl speed` for the same algorithm and input size).
 *
 * For MD5, SHA1, SHA256 (truncated to 20 bytes, as ntpd sends it) and AES-128-CMAC it builds a
 * 48-byte NTPv4 client packet with a MAC, parses it once, and then measures
 *   verify:  nta_verify() on the parsed packet (key lookup, MAC, constant-time compare)
 *   compute: nta_mac_compute() over the 48 bytes alone
 *   parse+verify: nta_packet_parse() + nta_verify() per packet, what the analyzer does.
 * Rates are operations per second of the thread's user CPU time, which is what `openssl speed`
 * divides by, so a busy shared machine affects both sides alike. With --threads N each thread
 * uses its own keyring clone (nta_keyring_clone) and the rate printed is per thread.
 *
 * Output: one "RESULT <alg> <verify/s> <compute/s> <parse+verify/s>" line per algorithm, plus
 * a readable table on stderr. */
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_clock.h"

#include "ntpauth/verify.h"

typedef struct {
  const char *label;   /* as printed and as mac-bench.sh matches it with openssl */
  const char *type;
  const char *key;     /* chrony syntax */
  size_t digest_len;
} bench_alg;

/* 20-byte digest keys: H(key || 48-byte packet) hashes 68 bytes, like `openssl speed -bytes 68`. */
static const bench_alg algs[] = {
  {"MD5", "MD5", "ASCII:01234567890123456789", 16},
  {"SHA1", "SHA1", "HEX:933F62BE1D604E68A81B557F18CFA200483F5B70", 20},
  {"SHA256", "SHA256", "HEX:933F62BE1D604E68A81B557F18CFA200483F5B70", 20},
  {"AES128CMAC", "AES128", "HEX:7EA62AE64D190114D46D5A082F948EC1", 16},
};

typedef enum { MODE_VERIFY, MODE_COMPUTE, MODE_PARSE_VERIFY } bench_mode;

typedef struct {
  const nta_keyring *shared;
  const bench_alg *alg;
  bench_mode mode;
  double seconds;
  double rate;   /* out: operations per CPU second */
  bool failed;
} bench_job;


static void *bench_thread(void *arg) {
  bench_job *job = arg;
  nta_keyring *kr = nta_keyring_clone(job->shared);
  if (!kr) {
    job->failed = true;
    return NULL;
  }
  const nta_key *key = nta_keyring_find(kr, 1);
  uint8_t buf[128];
  memset(buf, 0, sizeof buf);
  buf[0] = 0x23;   /* NTPv4 client */
  for (int i = 40; i < 48; i++) buf[i] = (uint8_t)(i * 11);
  size_t len = nta_sign(key, buf, 48, sizeof buf, job->alg->digest_len);
  nta_packet pkt;
  nta_verify_result res;
  if (!len || nta_packet_parse(buf, len, len, &pkt) != NTA_PKT_OK ||
      nta_verify(kr, &pkt, buf, &res) != NTA_V_GOOD) {
    job->failed = true;
    nta_keyring_destroy(kr);
    return NULL;
  }
  nta_mac *mac = nta_key_mac(key);
  uint8_t out[NTA_MAC_MAX];
  unsigned long long ops = 0;
  unsigned good = 0;
  double cpu0 = bench_user_cpu(RUSAGE_THREAD), wall_end = bench_wall() + job->seconds;
  do {
    for (int i = 0; i < 4096; i++) {
      switch (job->mode) {
      case MODE_VERIFY:
        good += nta_verify(kr, &pkt, buf, &res) == NTA_V_GOOD;
        break;
      case MODE_COMPUTE:
        good += nta_mac_compute(mac, buf, 48, out) != 0;
        break;
      case MODE_PARSE_VERIFY:
        nta_packet_parse(buf, len, len, &pkt);
        good += nta_verify(kr, &pkt, buf, &res) == NTA_V_GOOD;
        break;
      }
    }
    ops += 4096;
  } while (bench_wall() < wall_end);
  double cpu = bench_user_cpu(RUSAGE_THREAD) - cpu0;
  if (good != (unsigned)ops) job->failed = true;   /* every operation must succeed */
  job->rate = cpu > 0 ? (double)ops / cpu : 0;
  nta_keyring_destroy(kr);
  return NULL;
}

/* Runs `threads` jobs at once; returns the mean per-thread rate, or -1 on failure. */
static double run_mode(const nta_keyring *kr, const bench_alg *alg, bench_mode mode,
                       double seconds, int threads) {
  bench_job jobs[64];
  pthread_t tids[64];
  for (int t = 0; t < threads; t++) {
    jobs[t] = (bench_job){.shared = kr, .alg = alg, .mode = mode, .seconds = seconds};
    if (pthread_create(&tids[t], NULL, bench_thread, &jobs[t]) != 0) return -1;
  }
  double sum = 0;
  bool failed = false;
  for (int t = 0; t < threads; t++) {
    pthread_join(tids[t], NULL);
    failed |= jobs[t].failed;
    sum += jobs[t].rate;
  }
  return failed ? -1 : sum / threads;
}

int main(int argc, char **argv) {
  double seconds = 3;
  int threads = 1;
  gchar *only = NULL;
  GOptionEntry entries[] = {
    {"seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds, "seconds per measurement (3)", "S"},
    {"threads", 't', 0, G_OPTION_ARG_INT, &threads, "threads, each with its own keyring clone (1)", "N"},
    {"alg", 'a', 0, G_OPTION_ARG_STRING, &only, "only this algorithm (MD5, SHA1, SHA256, AES128CMAC)", "ALG"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  GOptionContext *ctx = g_option_context_new("- NTP MAC verifications per second per core");
  g_option_context_add_main_entries(ctx, entries, NULL);
  GError *gerr = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &gerr)) {
    fprintf(stderr, "mac_bench: %s\n", gerr->message);
    return 2;
  }
  g_option_context_free(ctx);
  if (threads < 1 || threads > 64 || seconds <= 0) {
    fprintf(stderr, "mac_bench: --threads must be 1-64 and --seconds positive\n");
    return 2;
  }

  fprintf(stderr, "%-11s %14s %14s %14s   (per core, 48-byte packets, %d thread(s), %.1f s each)\n",
          "algorithm", "verify/s", "compute/s", "parse+verify/s", threads, seconds);
  int rc = 0;
  for (size_t i = 0; i < G_N_ELEMENTS(algs); i++) {
    if (only && g_ascii_strcasecmp(only, algs[i].label) != 0) continue;
    nta_keyring *kr = nta_keyring_create();
    nta_diag err;
    if (nta_keyring_add_text(kr, 1, algs[i].type, algs[i].key, NTA_DIALECT_CHRONY, "bench", &err) != NTA_OK) {
      fprintf(stderr, "mac_bench: %s\n", err.msg);
      return 1;
    }
    double v = run_mode(kr, &algs[i], MODE_VERIFY, seconds, threads);
    double c = run_mode(kr, &algs[i], MODE_COMPUTE, seconds, threads);
    double pv = run_mode(kr, &algs[i], MODE_PARSE_VERIFY, seconds, threads);
    nta_keyring_destroy(kr);
    if (v < 0 || c < 0 || pv < 0) {
      fprintf(stderr, "mac_bench: %s: a verification failed\n", algs[i].label);
      rc = 1;
      continue;
    }
    fprintf(stderr, "%-11s %14.0f %14.0f %14.0f\n", algs[i].label, v, c, pv);
    printf("RESULT %s %.0f %.0f %.0f\n", algs[i].label, v, c, pv);
    fflush(stdout);
  }
  g_free(only);
  return rc;
}
