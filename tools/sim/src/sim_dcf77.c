/* ntpauth-sim-dcf77 - a DCF77 receiver on a 50 (or 75) baud serial line, or its pulses as text.
 *
 * Stream mode (default): every simulated second except second 59 the carrier drop starts at the
 * second's edge and lasts 100 ms (bit 0) or 200 ms (bit 1); the UART turns it into one character
 * (0xFF << k) that is complete one character time (10 bits) after the edge, which is when it is
 * written to the pty.
 * Text mode (--pulses N): prints N seconds of "EDGE_SYSTEM_TIME WIDTH BIT SECOND" lines at once
 * (the (timestamp, pulse width) pairs the decoder takes), starting at the next minute. */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refclock/dcf77.h"
#include "simcommon.h"
#include "refclock/timeutil.h"

typedef struct {
  const char *device;
  const char *link;
  int baud;
  double offset;
  bool has_start;
  int64_t start;
  long parity_error_every;  /* corrupt P3 of every Nth frame (1 = all) */
  bool leap_announce;       /* A2 set in every frame */
  double width_jitter;      /* +- seconds of uniform noise on pulse widths */
  double duration;
  long pulses;              /* text mode: number of seconds to print */
  unsigned seed;
} dcf_opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: ntpauth-sim-dcf77 [options]\n"
          "  --device PATH        write to PATH instead of a new pty (the pty path is printed)\n"
          "  --link PATH          make PATH a symlink to the pty\n"
          "  --baud 50|75         line speed (default 50)\n"
          "  --offset SEC         simulated time = system time + SEC (default 0)\n"
          "  --start YYYY-MM-DDTHH:MM:SS  simulated UTC at the next whole second\n"
          "  --parity-error-every N  corrupt the date parity of every Nth frame (1 = all)\n"
          "  --leap-announce      set A2 (leap second announced) in every frame\n"
          "  --width-jitter SEC   random +-SEC on every pulse width (default 0.005)\n"
          "  --duration SEC       exit after SEC seconds (default: run until SIGTERM)\n"
          "  --pulses N           print N seconds of pulse pairs as text and exit\n"
          "  --seed N             random seed for the width jitter\n"
          "  -h, --help           show this help and exit\n"
          "  -V, --version        show the version and exit\n"
          "exit status: 0 done or stopped by SIGTERM/SIGINT, 1 the output cannot be opened,\n"
          "             2 bad command line\n");
}

static bool parse_args(int argc, char **argv, dcf_opts *o) {
  enum { O_DEVICE = 1, O_LINK, O_BAUD, O_OFFSET, O_START, O_PARITY, O_LEAP, O_JITTER, O_DURATION, O_PULSES,
         O_SEED };
  static const struct option longopts[] = {
      {"device", required_argument, NULL, O_DEVICE}, {"link", required_argument, NULL, O_LINK},
      {"baud", required_argument, NULL, O_BAUD}, {"offset", required_argument, NULL, O_OFFSET},
      {"start", required_argument, NULL, O_START}, {"parity-error-every", required_argument, NULL, O_PARITY},
      {"leap-announce", no_argument, NULL, O_LEAP}, {"width-jitter", required_argument, NULL, O_JITTER},
      {"duration", required_argument, NULL, O_DURATION}, {"pulses", required_argument, NULL, O_PULSES},
      {"seed", required_argument, NULL, O_SEED}, {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->baud = 50;
  o->width_jitter = 0.005;
  o->seed = 1;
  int ch;
  long v;
  while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
    switch (ch) {
    case O_DEVICE: o->device = optarg; break;
    case O_LINK: o->link = optarg; break;
    case O_BAUD:
      if (!sim_parse_int(optarg, 50, 75, &v) || (v != 50 && v != 75)) { fprintf(stderr, "--baud must be 50 or 75\n"); return false; }
      o->baud = (int)v; break;
    case O_OFFSET:
      if (!sim_parse_double(optarg, &o->offset)) { fprintf(stderr, "bad --offset %s\n", optarg); return false; }
      break;
    case O_START:
      if (!sim_parse_utc(optarg, &o->start)) { fprintf(stderr, "bad --start %s (YYYY-MM-DDTHH:MM:SS)\n", optarg); return false; }
      o->has_start = true; break;
    case O_PARITY:
      if (!sim_parse_int(optarg, 1, 1000000, &o->parity_error_every)) { fprintf(stderr, "bad --parity-error-every\n"); return false; }
      break;
    case O_LEAP: o->leap_announce = true; break;
    case O_JITTER:
      if (!sim_parse_double(optarg, &o->width_jitter) || o->width_jitter < 0 || o->width_jitter > 0.04) {
        fprintf(stderr, "bad --width-jitter (0 to 0.04)\n"); return false;
      }
      break;
    case O_DURATION:
      if (!sim_parse_double(optarg, &o->duration) || o->duration < 0) { fprintf(stderr, "bad --duration\n"); return false; }
      break;
    case O_PULSES:
      if (!sim_parse_int(optarg, 1, 100000, &o->pulses)) { fprintf(stderr, "bad --pulses\n"); return false; }
      break;
    case O_SEED:
      if (!sim_parse_int(optarg, 0, 0x7fffffff, &v)) { fprintf(stderr, "bad --seed\n"); return false; }
      o->seed = (unsigned)v; break;
    case 'h': usage(stdout); exit(0);
    case 'V': printf("ntpauth-sim-dcf77 %s\n", NTPAUTH_VERSION); exit(0);
    default: usage(stderr); return false;
    }
  }
  if (optind != argc) { usage(stderr); return false; }
  return true;
}

/* The bit sent in simulated second `t` (-1: no pulse, the minute mark). */
static int bit_at(const dcf_opts *o, int64_t t) {
  int64_t minute = t - (t % 60 + 60) % 60;
  int sec = (int)(t - minute);
  if (sec == 59) return -1;
  uint8_t bits[DCF_FRAME_BITS];
  /* Seconds 0..58 of minute M carry the frame describing M + 60. */
  dcf_encode_frame(minute + 60, o->leap_announce, bits);
  if (o->parity_error_every > 0 && ((minute / 60) % o->parity_error_every) == 0) bits[58] ^= 1;
  return bits[sec];
}

static double jitter(const dcf_opts *o, unsigned *state) {
  if (o->width_jitter <= 0) return 0;
  double u = (double)rand_r(state) / RAND_MAX;
  return (2 * u - 1) * o->width_jitter;
}

int main(int argc, char **argv) {
  dcf_opts o;
  if (!parse_args(argc, argv, &o)) return 2;
  unsigned rng = o.seed;
  sim_clock clk;
  sim_clock_init(&clk, o.has_start, o.start, o.offset);
  double offset = sim_clock_offset(&clk);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec sim_now = rcl_ts_add(&now, offset);
  int64_t first = (int64_t)sim_now.tv_sec + 1;

  if (o.pulses > 0) {
    /* Text mode: start at a minute boundary so the output holds whole frames. */
    if (!o.has_start) first = first - (first % 60) + 60;
    for (int64_t t = first; t < first + o.pulses; t++) {
      int bit = bit_at(&o, t);
      if (bit < 0) continue;
      struct timespec tt = {.tv_sec = (time_t)t, .tv_nsec = 0};
      struct timespec edge = rcl_ts_add(&tt, -offset);
      double width = (bit ? 0.2 : 0.1) + jitter(&o, &rng);
      printf("%" PRId64 ".%09ld %.3f %d %" PRId64 "\n", (int64_t)edge.tv_sec, edge.tv_nsec, width, bit, t);
    }
    return 0;
  }

  sim_install_signals();
  sim_output out;
  if (!sim_output_open(&out, o.device, o.link, o.baud)) return 1;
  double char_time = 10.0 / o.baud;
  for (int64_t t = first; !sim_stop; t++) {
    if (o.duration > 0 && t - first >= (int64_t)ceil(o.duration)) break;
    struct timespec tt = {.tv_sec = (time_t)t, .tv_nsec = 0};
    struct timespec edge = rcl_ts_add(&tt, -offset);
    int bit = bit_at(&o, t);
    if (bit < 0) {
      struct timespec when = rcl_ts_add(&edge, 0.5);
      sim_sleep_until(&when);
      continue;
    }
    double width = (bit ? 0.2 : 0.1) + jitter(&o, &rng);
    uint8_t c = dcf_width_char(width, o.baud);
    struct timespec when = rcl_ts_add(&edge, char_time);
    if (!sim_sleep_until(&when)) break;
    sim_output_write(&out, &c, 1);
  }
  sim_output_close(&out);
  return 0;
}
