/* dcf77_driver.h - DCF77 receiver on a serial line (50 or 75 baud, 8N1): one character per second.
 *
 * The pulse's leading edge acts as a start bit; the character's low bits stay 0 for as long as the
 * pulse lasts, so a pulse arrives as 0xFF << k. The character is complete one character time
 * (10 bits) after the edge: edge = arrival - 10 bits - time1. */
#ifndef NTPAUTH_RCL_DCF77_DRIVER_H
#define NTPAUTH_RCL_DCF77_DRIVER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "refclock/dcf77.h"
#include "sink.h"

typedef struct dcf_driver dcf_driver;

dcf_driver *dcf_driver_create(int baud, double time1, const rcl_sink *sink);
void dcf_driver_destroy(dcf_driver *d);

void dcf_driver_input(dcf_driver *d, const uint8_t *buf, size_t len, const struct timespec *rx_time);

const dcf_decoder *dcf_driver_decoder(const dcf_driver *d);

#endif
