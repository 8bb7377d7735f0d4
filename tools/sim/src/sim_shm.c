/* ntpauth-sim-shm - writes ntpd SHM samples the way gpsd does (ntpshmwrite): a reference time at
 * a chosen offset from the system clock, once per interval, in mode 0 or 1. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refclock/shm.h"
#include "simcommon.h"
#include "refclock/timeutil.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: ntpauth-sim-shm --unit N [options]\n"
          "  --unit N          SHM unit (key 0x4E545030 + N); 0-3 belong to gpsd/ntpd, tests use 4+\n"
          "  --offset SEC      reference = system time + SEC (default 0)\n"
          "  --mode 0|1        SHM mode (default 1, the count protocol)\n"
          "  --leap N          NTP leap indicator written (0-3, default 0)\n"
          "  --precision N     log2 seconds (default -20)\n"
          "  --interval SEC    time between samples (default 1)\n"
          "  --count N         write N samples and exit (default: until SIGTERM)\n"
          "  --remove          remove the segment on exit\n"
          "  -h, --help        show this help and exit\n"
          "  -V, --version     show the version and exit\n"
          "exit status: 0 done or stopped by SIGTERM/SIGINT, 1 the segment cannot be attached,\n"
          "             2 bad command line\n");
}

int main(int argc, char **argv) {
  enum { O_UNIT = 1, O_OFFSET, O_MODE, O_LEAP, O_PREC, O_INTERVAL, O_COUNT, O_REMOVE };
  static const struct option longopts[] = {
      {"unit", required_argument, NULL, O_UNIT}, {"offset", required_argument, NULL, O_OFFSET},
      {"mode", required_argument, NULL, O_MODE}, {"leap", required_argument, NULL, O_LEAP},
      {"precision", required_argument, NULL, O_PREC}, {"interval", required_argument, NULL, O_INTERVAL},
      {"count", required_argument, NULL, O_COUNT}, {"remove", no_argument, NULL, O_REMOVE},
      {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
  long unit = -1, mode = 1, leap = 0, precision = -20, count = 0;
  double offset = 0, interval = 1.0;
  bool remove_seg = false;
  int ch;
  while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
    bool ok = true;
    switch (ch) {
    case O_UNIT: ok = sim_parse_int(optarg, 0, 255, &unit); break;
    case O_OFFSET: ok = sim_parse_double(optarg, &offset); break;
    case O_MODE: ok = sim_parse_int(optarg, 0, 1, &mode); break;
    case O_LEAP: ok = sim_parse_int(optarg, 0, 3, &leap); break;
    case O_PREC: ok = sim_parse_int(optarg, -30, 0, &precision); break;
    case O_INTERVAL: ok = sim_parse_double(optarg, &interval) && interval >= 0.01 && interval <= 3600; break;
    case O_COUNT: ok = sim_parse_int(optarg, 1, 100000000, &count); break;
    case O_REMOVE: remove_seg = true; break;
    case 'h': usage(stdout); return 0;
    case 'V': printf("ntpauth-sim-shm %s\n", NTPAUTH_VERSION); return 0;
    default: usage(stderr); return 2;
    }
    if (!ok) { fprintf(stderr, "bad value '%s'\n", optarg); usage(stderr); return 2; }
  }
  if (unit < 0 || optind != argc) { usage(stderr); return 2; }
  sim_install_signals();
  volatile struct rcl_shm_time *seg;
  nta_diag err;
  if (rcl_shm_attach((int)unit, &seg, &err) != NTA_OK) {
    fprintf(stderr, "ntpauth-sim-shm: %s\n", err.msg);
    return 1;
  }
  printf("SHM unit %ld key 0x%08lx\n", unit, (unsigned long)(RCL_SHM_KEY_BASE + unit));
  fflush(stdout);
  struct timespec next;
  clock_gettime(CLOCK_REALTIME, &next);
  for (long n = 0; !sim_stop && (count == 0 || n < count); n++) {
    struct timespec sys;
    clock_gettime(CLOCK_REALTIME, &sys);
    struct timespec ref = rcl_ts_add(&sys, offset);
    rcl_shm_write(seg, (int)mode, &ref, &sys, (int)leap, (int)precision);
    next = rcl_ts_add(&next, interval);
    if (count != 0 && n + 1 == count) break;
    if (!sim_sleep_until(&next)) break;
  }
  rcl_shm_detach(seg);
  if (remove_seg) rcl_shm_remove((int)unit);
  return 0;
}
