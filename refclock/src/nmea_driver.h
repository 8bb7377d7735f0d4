/* nmea_driver.h - turns an NMEA byte stream into time samples.
 *
 * Each sentence is timestamped at the arrival of its '$'. Bytes come in chunks. From a UART they
 * trickle in at the line rate: the last byte of a chunk arrived at the chunk's rx_time and earlier
 * bytes one character time (10 bits at the baud) apart. A USB receiver (CDC-ACM), a USB-serial
 * adapter's buffer or a pty hands a whole burst over at once: then the '$' arrived with the read
 * that brought it, and back-dating it by the characters after it would make the time early by
 * the whole burst. The device type does not tell (TIOCGSERIAL works on ttyACM too), so each
 * sentence's reads do: characters that came in faster than the line can carry them, or a long
 * sentence in a single read, mean bursts. The first valid sentence of each second labels that
 * second; an invalid fix in the same second cancels it. */
#ifndef NTPAUTH_RCL_NMEA_DRIVER_H
#define NTPAUTH_RCL_NMEA_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sink.h"

typedef struct nmea_driver nmea_driver;

typedef enum { NMEA_TIMING_UNKNOWN = 0, NMEA_TIMING_PACED, NMEA_TIMING_BURST } nmea_timing;

/* time2: receiver delay, seconds from the top of the second to the first sentence's '$'. */
nmea_driver *nmea_driver_create(int baud, double time2, const rcl_sink *sink);
void nmea_driver_destroy(nmea_driver *d);

void nmea_driver_input(nmea_driver *d, const uint8_t *buf, size_t len, const struct timespec *rx_time);
/* Emits the pending second once no more sentences can belong to it. */
void nmea_driver_tick(nmea_driver *d, const struct timespec *now);

/* The offset (ref - sys) of the latest emitted sample and its system time; false before any. Used
 * to label PPS pulses. */
bool nmea_driver_last_offset(const nmea_driver *d, struct timespec *sys, double *offset);

/* The correction in use, learnt from the latest sentence that told (for the status). */
nmea_timing nmea_driver_timing(const nmea_driver *d);
const char *nmea_timing_name(nmea_timing t);

#endif
