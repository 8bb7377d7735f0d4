/* fuzz_nmea: arbitrary bytes as NMEA sentences (parser) and as a serial stream (driver). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "refclock/nmea.h"
#include "nmea_driver.h"
#include "refclock/timeutil.h"

static void on_sample(void *ctx, const struct timespec *sys, const struct timespec *ref, int leap) {
  (void)ctx; (void)sys; (void)ref; (void)leap;
}
static void on_error(void *ctx, const char *why) { (void)ctx; (void)why; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Every line on its own through the parser and the date helpers. */
  size_t start = 0;
  for (size_t i = 0; i <= size; i++) {
    if (i == size || data[i] == '\n' || data[i] == '\r') {
      nmea_sentence s;
      char why[64];
      if (nmea_parse(data + start, i - start, &s, why, sizeof why) <= NMEA_INVALID_FIX) {
        struct timespec t;
        nmea_sentence_time(&s, &t);
        nmea_time_near(&s, 1795780000, &t);
      }
      start = i + 1;
    }
  }
  /* The whole input as a byte stream in uneven chunks with advancing time. */
  rcl_sink sink = {on_sample, on_error, NULL};
  nmea_driver *d = nmea_driver_create(size % 2 ? 4800 : 9600, 0.1, &sink);
  if (!d) return 0;
  struct timespec rx = {1795780000, 0};
  size_t at = 0, chunk = 1;
  while (at < size) {
    size_t n = size - at < chunk ? size - at : chunk;
    nmea_driver_input(d, data + at, n, &rx);
    at += n;
    chunk = chunk * 3 % 17 + 1;
    rx = rcl_ts_add(&rx, 0.037);
    nmea_driver_tick(d, &rx);
  }
  rx = rcl_ts_add(&rx, 5);
  nmea_driver_tick(d, &rx);
  nmea_driver_destroy(d);
  return 0;
}
