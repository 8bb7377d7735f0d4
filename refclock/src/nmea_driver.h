/* nmea_driver.h - turns an NMEA byte stream into time samples.
 *
 * Each sentence is timestamped at the arrival of its '$'. Bytes come in chunks; the last byte of a
 * chunk arrived at the chunk's rx_time and earlier bytes one character time (10 bits at the baud)
 * apart. The first valid sentence of each second labels that second; an invalid fix in the same
 * second cancels it. */
#ifndef NTPAUTH_RCL_NMEA_DRIVER_H
#define NTPAUTH_RCL_NMEA_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sink.h"

typedef struct nmea_driver nmea_driver;

/* time2: receiver delay, seconds from the top of the second to the first sentence's '$'. */
nmea_driver *nmea_driver_create(int baud, double time2, const rcl_sink *sink);
void nmea_driver_destroy(nmea_driver *d);

void nmea_driver_input(nmea_driver *d, const uint8_t *buf, size_t len, const struct timespec *rx_time);
/* Emits the pending second once no more sentences can belong to it. */
void nmea_driver_tick(nmea_driver *d, const struct timespec *now);

/* The offset (ref - sys) of the latest emitted sample and its system time; false before any. Used
 * to label PPS pulses. */
bool nmea_driver_last_offset(const nmea_driver *d, struct timespec *sys, double *offset);

#endif
