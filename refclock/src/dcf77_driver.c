/* dcf77_driver.c - serial characters -> (edge, width) pulses -> the DCF77 decoder -> samples. */
#include "dcf77_driver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "refclock/timeutil.h"

struct dcf_driver {
  rcl_sink sink;
  int baud;
  double char_time;
  double time1;
  dcf_decoder *decoder;
};

double dcf_char_width(uint8_t c, int baud) {
  double bit = 1.0 / baud;
  for (int k = 0; k <= 8; k++) {
    if (c == (uint8_t)(0xFFu << k)) {
      /* k zero data bits after the start bit; 0x00 means the pulse outlasted the character. */
      return k == 8 ? 10 * bit : (k + 1) * bit;
    }
  }
  return -1.0;
}

uint8_t dcf_width_char(double width, int baud) {
  double bit = 1.0 / baud;
  long zeros = lround(width / bit) - 1; /* bits after the start bit that stay low */
  if (zeros <= 0) return 0xFF;
  if (zeros >= 8) return 0x00;
  return (uint8_t)(0xFFu << zeros);
}

dcf_driver *dcf_driver_create(int baud, double time1, const rcl_sink *sink) {
  dcf_driver *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->sink = *sink;
  d->baud = baud > 0 ? baud : 50;
  d->char_time = 10.0 / d->baud;
  d->time1 = time1;
  /* Midway between a 100 ms pulse and the longest width a character can express. */
  double long_width = fmin(0.2, d->char_time);
  d->decoder = dcf_decoder_create((0.1 + long_width) / 2);
  if (!d->decoder) { free(d); return NULL; }
  return d;
}

void dcf_driver_destroy(dcf_driver *d) {
  if (!d) return;
  dcf_decoder_destroy(d->decoder);
  free(d);
}

const dcf_decoder *dcf_driver_decoder(const dcf_driver *d) { return d->decoder; }

static void feed_char(dcf_driver *d, uint8_t c, const struct timespec *arrival) {
  double width = dcf_char_width(c, d->baud);
  if (width < 0) {
    char msg[64];
    snprintf(msg, sizeof msg, "DCF77 character 0x%02x is not a pulse", c);
    rcl_sink_error(&d->sink, msg);
    return;
  }
  struct timespec edge = rcl_ts_add(arrival, -(d->char_time + d->time1));
  dcf_event ev;
  dcf_decoder_feed(d->decoder, &edge, width, &ev);
  if (ev.kind == DCF_EV_ERROR) {
    rcl_sink_error(&d->sink, ev.why);
  } else if (ev.kind == DCF_EV_MINUTE || ev.kind == DCF_EV_SECOND) {
    struct timespec ref = {.tv_sec = (time_t)ev.utc, .tv_nsec = 0};
    rcl_sink_sample(&d->sink, &edge, &ref, ev.leap);
  }
}

void dcf_driver_input(dcf_driver *d, const uint8_t *buf, size_t len, const struct timespec *rx_time) {
  /* Characters come one per second: when several arrive in one read the reader was late, and the
   * earlier ones arrived about a second apart. */
  for (size_t i = 0; i < len; i++) {
    struct timespec arrival = rcl_ts_add(rx_time, -(double)(len - 1 - i));
    feed_char(d, buf[i], &arrival);
  }
}
