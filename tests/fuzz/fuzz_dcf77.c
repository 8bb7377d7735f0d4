/* fuzz_dcf77: arbitrary bytes as (gap, width) pulse pairs for the decoder, as 50/75-baud serial
 * characters for the driver, and as a frame of bits. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "refclock/dcf77.h"
#include "dcf77_driver.h"
#include "refclock/timeutil.h"

static void on_sample(void *ctx, const struct timespec *sys, const struct timespec *ref, int leap) {
  (void)ctx; (void)sys; (void)ref; (void)leap;
}
static void on_error(void *ctx, const char *why) { (void)ctx; (void)why; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Pulses: 3 bytes each, gap in ms (u16) and width in ms (u8). */
  dcf_decoder *dec = dcf_decoder_create(0.15);
  if (!dec) return 0;
  struct timespec edge = {1795780000, 0};
  for (size_t i = 0; i + 3 <= size; i += 3) {
    unsigned gap_ms = (unsigned)data[i] << 8 | data[i + 1];
    edge = rcl_ts_add(&edge, gap_ms / 1000.0);
    dcf_event ev;
    dcf_decoder_feed(dec, &edge, data[i + 2] / 1000.0, &ev);
  }
  dcf_decoder_destroy(dec);
  /* Serial characters, one a second with occasional bursts. */
  rcl_sink sink = {on_sample, on_error, NULL};
  dcf_driver *drv = dcf_driver_create(size % 2 ? 75 : 50, 0.01, &sink);
  if (!drv) return 0;
  struct timespec rx = {1795780000, 200000000};
  for (size_t i = 0; i < size; i++) {
    size_t n = (data[i] & 0x0F) == 0x0F && i + 2 <= size ? 2 : 1;
    dcf_driver_input(drv, data + i, n, &rx);
    i += n - 1;
    rx = rcl_ts_add(&rx, (data[i] & 0x30) == 0x30 ? 2.0 : 1.0);
  }
  dcf_driver_destroy(drv);
  /* A frame of bits. */
  uint8_t bits[DCF_FRAME_BITS + 1];
  size_t nbits = size < sizeof bits ? size : sizeof bits;
  for (size_t i = 0; i < nbits; i++) bits[i] = data[i] & 1;
  dcf_minute m;
  char why[64];
  dcf_decode_frame(bits, nbits, &m, why, sizeof why);
  return 0;
}
