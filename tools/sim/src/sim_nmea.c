/* ntpauth-sim-nmea - a GPS receiver's NMEA 0183 output (RMC, GGA, ZDA) on a pty.
 *
 * Every simulated second S (simulated time = system time + offset) the burst of sentences starts
 * so that the first '$' has fully arrived at S + delay, and characters follow at the baud rate
 * (written in small chunks at the times a UART would deliver them). With --burst the whole burst
 * is written at once at S + delay, as a USB receiver (CDC-ACM) hands it over. Errors can be
 * injected. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simcommon.h"
#include "refclock/timeutil.h"

#define CHUNK 8

typedef struct {
  const char *device;
  const char *link;
  int baud;
  double offset;
  double delay;
  char talker[3];
  char sentences[32];      /* e.g. "RMC,GGA,ZDA" */
  long bad_checksum_every; /* every Nth sentence gets a wrong checksum (1 = all) */
  bool invalid_fix;
  long invalid_after;      /* fixes become invalid after N seconds (-1: never) */
  long silent_after;       /* stop sending (keep the pty) after N seconds (-1: never) */
  bool rollover;           /* report dates 1024 weeks early, like an old receiver */
  bool leap_second;        /* insert 23:59:60 at the next UTC midnight */
  bool burst;              /* each second's sentences in one write, not paced at the baud rate */
  double duration;         /* seconds, 0 = until signalled */
  bool has_start;
  int64_t start;
} nmea_opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: ntpauth-sim-nmea [options]\n"
          "  --device PATH        write to PATH instead of a new pty (the pty path is printed)\n"
          "  --link PATH          make PATH a symlink to the pty\n"
          "  --baud N             character pacing (default 9600)\n"
          "  --burst              write each second's sentences at once (USB receiver, pty)\n"
          "  --offset SEC         simulated time = system time + SEC (default 0)\n"
          "  --start YYYY-MM-DDTHH:MM:SS  simulated UTC at the next whole second\n"
          "  --delay SEC          '$' of the first sentence arrives SEC after the second (default 0)\n"
          "  --talker XX          GP, GN, GL, GA, BD, ... (default GP)\n"
          "  --sentences LIST     comma list of RMC,GGA,ZDA in burst order (default RMC,GGA,ZDA)\n"
          "  --bad-checksum-every N  corrupt the checksum of every Nth sentence (1 = all)\n"
          "  --invalid-fix        no fix: RMC status V, GGA quality 0, ZDA empty\n"
          "  --invalid-after N    fix lost after N seconds\n"
          "  --silent-after N     stop talking after N seconds (the pty stays)\n"
          "  --rollover           dates 1024 GPS weeks early (old receiver firmware)\n"
          "  --leap-second        insert 23:59:60 at the next UTC midnight\n"
          "  --duration SEC       exit after SEC seconds (default: run until SIGTERM)\n"
          "  -h, --help           show this help and exit\n"
          "  -V, --version        show the version and exit\n"
          "exit status: 0 done or stopped by SIGTERM/SIGINT, 1 the output cannot be opened,\n"
          "             2 bad command line\n");
}

static void add_checksum(char *s, size_t cap, bool corrupt) {
  uint8_t sum = 0;
  for (const char *p = s + 1; *p; p++) sum ^= (uint8_t)*p;
  if (corrupt) sum ^= 0x5A;
  size_t len = strlen(s);
  snprintf(s + len, cap - len, "*%02X\r\n", sum);
}

/* UTC broken down; second may be 60 during an inserted leap second. */
typedef struct { int64_t y; int mo, d, h, mi, s; } utc_fields;

static utc_fields fields_of(int64_t t, bool rollover) {
  utc_fields f;
  int64_t days = t / 86400 - (t % 86400 < 0);
  int64_t sod = t - days * 86400;
  if (rollover) days -= 1024 * 7;
  rcl_civil_from_days(days, &f.y, &f.mo, &f.d);
  f.h = (int)(sod / 3600); f.mi = (int)(sod / 60 % 60); f.s = (int)(sod % 60);
  return f;
}

static size_t build_burst(const nmea_opts *o, const utc_fields *f, bool valid, long *sentence_no,
                          char *out, size_t cap) {
  size_t len = 0;
  char list[32];
  snprintf(list, sizeof list, "%s", o->sentences);
  char *save = NULL;
  for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
    char s[128];
    char tm[16];
    snprintf(tm, sizeof tm, "%02d%02d%02d.00", f->h, f->mi, f->s);
    if (strcmp(name, "RMC") == 0) {
      snprintf(s, sizeof s, "$%sRMC,%s,%c,4807.0380,N,01131.0000,E,000.0,000.0,%02d%02d%02d,,,%c", o->talker, tm,
               valid ? 'A' : 'V', f->d, f->mo, (int)(f->y % 100), valid ? 'A' : 'N');
    } else if (strcmp(name, "GGA") == 0) {
      if (valid)
        snprintf(s, sizeof s, "$%sGGA,%s,4807.0380,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,", o->talker, tm);
      else
        snprintf(s, sizeof s, "$%sGGA,%s,,,,,0,00,99.99,,,,,,", o->talker, tm);
    } else if (strcmp(name, "ZDA") == 0) {
      if (valid)
        snprintf(s, sizeof s, "$%sZDA,%s,%02d,%02d,%04d,00,00", o->talker, tm, f->d, f->mo, (int)f->y);
      else
        snprintf(s, sizeof s, "$%sZDA,,,,,,", o->talker);
    } else {
      continue;
    }
    (*sentence_no)++;
    bool corrupt = o->bad_checksum_every > 0 && *sentence_no % o->bad_checksum_every == 0;
    add_checksum(s, sizeof s, corrupt);
    size_t n = strlen(s);
    if (len + n < cap) { memcpy(out + len, s, n); len += n; }
  }
  return len;
}

static bool parse_args(int argc, char **argv, nmea_opts *o) {
  enum { O_DEVICE = 1, O_LINK, O_BAUD, O_OFFSET, O_START, O_DELAY, O_TALKER, O_SENTENCES, O_BADCK, O_INVALID,
         O_INVALID_AFTER, O_SILENT_AFTER, O_ROLLOVER, O_LEAP, O_DURATION, O_BURST };
  static const struct option longopts[] = {
      {"device", required_argument, NULL, O_DEVICE}, {"link", required_argument, NULL, O_LINK},
      {"baud", required_argument, NULL, O_BAUD}, {"offset", required_argument, NULL, O_OFFSET},
      {"start", required_argument, NULL, O_START}, {"delay", required_argument, NULL, O_DELAY},
      {"talker", required_argument, NULL, O_TALKER}, {"sentences", required_argument, NULL, O_SENTENCES},
      {"bad-checksum-every", required_argument, NULL, O_BADCK}, {"invalid-fix", no_argument, NULL, O_INVALID},
      {"invalid-after", required_argument, NULL, O_INVALID_AFTER},
      {"silent-after", required_argument, NULL, O_SILENT_AFTER}, {"rollover", no_argument, NULL, O_ROLLOVER},
      {"leap-second", no_argument, NULL, O_LEAP}, {"duration", required_argument, NULL, O_DURATION},
      {"burst", no_argument, NULL, O_BURST}, {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof *o);
  o->baud = 9600;
  strcpy(o->talker, "GP");
  strcpy(o->sentences, "RMC,GGA,ZDA");
  o->invalid_after = o->silent_after = -1;
  int ch;
  long v;
  while ((ch = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
    switch (ch) {
    case O_DEVICE: o->device = optarg; break;
    case O_LINK: o->link = optarg; break;
    case O_BURST: o->burst = true; break;
    case O_BAUD:
      if (!sim_parse_int(optarg, 300, 115200, &v)) { fprintf(stderr, "bad --baud %s\n", optarg); return false; }
      o->baud = (int)v; break;
    case O_OFFSET:
      if (!sim_parse_double(optarg, &o->offset)) { fprintf(stderr, "bad --offset %s\n", optarg); return false; }
      break;
    case O_START:
      if (!sim_parse_utc(optarg, &o->start)) { fprintf(stderr, "bad --start %s (YYYY-MM-DDTHH:MM:SS)\n", optarg); return false; }
      o->has_start = true; break;
    case O_DELAY:
      if (!sim_parse_double(optarg, &o->delay) || o->delay < 0 || o->delay > 0.9) {
        fprintf(stderr, "bad --delay %s (0 to 0.9)\n", optarg); return false;
      }
      break;
    case O_TALKER:
      if (strlen(optarg) != 2) { fprintf(stderr, "--talker needs two letters\n"); return false; }
      strcpy(o->talker, optarg); break;
    case O_SENTENCES:
      if (strlen(optarg) >= sizeof o->sentences) { fprintf(stderr, "--sentences too long\n"); return false; }
      strcpy(o->sentences, optarg); break;
    case O_BADCK:
      if (!sim_parse_int(optarg, 1, 1000000, &o->bad_checksum_every)) { fprintf(stderr, "bad --bad-checksum-every\n"); return false; }
      break;
    case O_INVALID: o->invalid_fix = true; break;
    case O_INVALID_AFTER:
      if (!sim_parse_int(optarg, 0, 100000000, &o->invalid_after)) { fprintf(stderr, "bad --invalid-after\n"); return false; }
      break;
    case O_SILENT_AFTER:
      if (!sim_parse_int(optarg, 0, 100000000, &o->silent_after)) { fprintf(stderr, "bad --silent-after\n"); return false; }
      break;
    case O_ROLLOVER: o->rollover = true; break;
    case O_LEAP: o->leap_second = true; break;
    case O_DURATION:
      if (!sim_parse_double(optarg, &o->duration) || o->duration < 0) { fprintf(stderr, "bad --duration\n"); return false; }
      break;
    case 'h': usage(stdout); exit(0);
    case 'V': printf("ntpauth-sim-nmea %s\n", NTPAUTH_VERSION); exit(0);
    default: usage(stderr); return false;
    }
  }
  if (optind != argc) { usage(stderr); return false; }
  return true;
}

int main(int argc, char **argv) {
  nmea_opts o;
  if (!parse_args(argc, argv, &o)) return 2;
  sim_install_signals();
  sim_clock clk;
  sim_clock_init(&clk, o.has_start, o.start, o.offset);
  sim_output out;
  if (!sim_output_open(&out, o.device, o.link, o.baud)) return 1;
  double offset = sim_clock_offset(&clk);
  double ct = 10.0 / o.baud;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec sim_now = rcl_ts_add(&now, offset);
  int64_t first_sec = (int64_t)sim_now.tv_sec + 1; /* first simulated second to announce */
  /* With --leap-second the tick that would be midnight is labelled 23:59:60 and every later label
   * runs one second behind the ticks (POSIX time repeats a second). */
  int64_t leap_at = o.leap_second ? (first_sec / 86400 + 1) * 86400 : -1;
  long sentence_no = 0;
  for (int64_t i = 0; !sim_stop; i++) {
    if (o.duration > 0 && i >= (int64_t)ceil(o.duration)) break;
    int64_t tick = first_sec + i;
    utc_fields f;
    if (leap_at >= 0 && tick == leap_at) {
      f = fields_of(tick - 1, o.rollover);
      f.s = 60;
    } else {
      f = fields_of(leap_at >= 0 && tick > leap_at ? tick - 1 : tick, o.rollover);
    }
    struct timespec tick_ts = {.tv_sec = (time_t)tick, .tv_nsec = 0};
    struct timespec sys_start = rcl_ts_add(&tick_ts, -offset);
    bool valid = !o.invalid_fix && !(o.invalid_after >= 0 && i >= o.invalid_after);
    bool silent = o.silent_after >= 0 && i >= o.silent_after;
    if (silent) {
      struct timespec when = rcl_ts_add(&sys_start, 0.5);
      sim_sleep_until(&when);
      continue;
    }
    char burst[1024];
    size_t len = build_burst(&o, &f, valid, &sentence_no, burst, sizeof burst);
    size_t chunk = o.burst ? len : CHUNK;
    for (size_t at = 0; at < len && !sim_stop; at += chunk) {
      size_t n = len - at < chunk ? len - at : chunk;
      /* The chunk is handed over when its last character has been received; a burst at once. */
      double after = o.burst ? 0.0 : (double)(at + n - 1) * ct;
      struct timespec when = rcl_ts_add(&sys_start, o.delay + after);
      if (!sim_sleep_until(&when)) break;
      sim_output_write(&out, burst + at, n);
    }
  }
  sim_output_close(&out);
  return 0;
}
