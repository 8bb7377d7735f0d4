/* dcf77.h - DCF77 time code: minute frames (decode/encode) and a pulse decoder.
 *
 * The decoder takes (edge timestamp, pulse width) pairs, one per second, so it is independent of
 * how pulses are captured (serial characters, GPIO, a simulator). */
#ifndef NTPAUTH_RCL_DCF77_H
#define NTPAUTH_RCL_DCF77_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DCF_FRAME_BITS 59   /* seconds 0..58 carry bits; 59 is silent (the minute mark) */

typedef struct {
  int64_t utc;          /* UTC (POSIX seconds) of the start of the minute the frame describes */
  int year, month, day, weekday, hour, minute; /* local (CET/CEST) fields as transmitted */
  bool cest;            /* Z1: summer time; else Z2 (CET) */
  bool dst_announced;   /* A1: a CET/CEST change at the end of this hour */
  bool leap_announced;  /* A2: a leap second at the end of this hour */
  bool call_bit;        /* R */
} dcf_minute;

/* Decodes a frame of `nbits` bits (59, or 60 in a leap-second minute whose bit 59 is 0).
 * Checks start/S bits, Z1 != Z2, even parities P1-P3, BCD digits, calendar plausibility
 * (day of month, weekday matches the date). On failure writes a reason to `why`. */
bool dcf_decode_frame(const uint8_t *bits, size_t nbits, dcf_minute *out, char *why, size_t why_len);

/* Encodes the frame sent during the minute before `utc_minute` (i.e. describing utc_minute), with
 * CET/CEST from the EU rule (last Sunday of March/October at 01:00 UTC). bits[0..58]. */
void dcf_encode_frame(int64_t utc_minute, bool announce_leap, uint8_t bits[DCF_FRAME_BITS]);

/* True when `utc` falls in EU summer time. */
bool dcf_is_cest(int64_t utc);

typedef enum {
  DCF_EV_NONE,     /* pulse taken, no time label yet */
  DCF_EV_MINUTE,   /* minute mark of a cleanly decoded frame: edge = start of ev.utc */
  DCF_EV_SECOND,   /* a second of a minute already labelled: edge = start of ev.utc */
  DCF_EV_ERROR     /* a frame or pulse was rejected: ev.why says why */
} dcf_event_kind;

typedef struct {
  dcf_event_kind kind;
  int64_t utc;
  int leap;        /* NTP LI: 1 while a leap second is announced */
  dcf_minute frame;   /* valid for DCF_EV_MINUTE */
  char why[112];
} dcf_event;

typedef struct dcf_decoder dcf_decoder;

/* `initial_cutoff`: pulse width (s) separating 0 from 1 before the adaptive estimate has data
 * (0.15 for ideal 100/200 ms pulses). */
dcf_decoder *dcf_decoder_create(double initial_cutoff);
void dcf_decoder_destroy(dcf_decoder *d);

/* One pulse: `edge` is the system time of the leading edge, `width` its length in seconds. */
void dcf_decoder_feed(dcf_decoder *d, const struct timespec *edge, double width, dcf_event *ev);

/* The 0/1 decision threshold currently in use (seconds). */
double dcf_decoder_cutoff(const dcf_decoder *d);

/* Serial line coding of a pulse (a DCF77 receiver on a 50 or 75 baud line): the pulse width (s)
 * a character stands for, or a negative value when it is not of the form 0xFF << k (noise). */
double dcf_char_width(uint8_t c, int baud);

/* The character a pulse of `width` seconds produces at `baud` (used by the simulator). */
uint8_t dcf_width_char(double width, int baud);

#endif
