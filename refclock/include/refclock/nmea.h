/* nmea.h - NMEA 0183 sentence parser for the time-carrying sentences RMC, GGA and ZDA.
 *
 * Pure functions over one sentence (from '$' up to, not including, CR/LF): no I/O, no state. */
#ifndef NTPAUTH_RCL_NMEA_H
#define NTPAUTH_RCL_NMEA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The longest sentence we accept: '$' + 80 body characters + "*HH" (NMEA 0183 allows 82 with CRLF). */
#define NMEA_MAX_SENTENCE 84

typedef enum { NMEA_KIND_RMC, NMEA_KIND_GGA, NMEA_KIND_ZDA } nmea_kind;

typedef enum {
  NMEA_OK = 0,        /* a time sentence with a valid fix */
  NMEA_INVALID_FIX,   /* well-formed, but the receiver says the fix is not valid */
  NMEA_IGNORED,       /* well-formed sentence of a type we do not use (GSV, proprietary, ...) */
  NMEA_BAD_FORMAT,    /* not a sentence or a field is malformed */
  NMEA_BAD_CHECKSUM   /* checksum missing or wrong */
} nmea_result;

typedef struct {
  nmea_kind kind;
  char talker[3];        /* "GP", "GN", ... */
  bool has_time;         /* time field present (invalid fixes often send empty fields) */
  bool has_date;         /* RMC and ZDA carry a date */
  int year, month, day;  /* year as transmitted: 2 digits (RMC) or 4 digits (ZDA) */
  int hour, minute, second; /* second may be 60 during a leap second */
  long nsec;             /* fraction of the time field */
} nmea_sentence;

const char *nmea_result_name(nmea_result r);

/* Parses one sentence. On any result other than NMEA_OK/NMEA_INVALID_FIX, `why` (may be NULL)
 * receives a short reason. */
nmea_result nmea_parse(const uint8_t *text, size_t len, nmea_sentence *out, char *why, size_t why_len);

/* Dates before this pivot are treated as a GPS week-number rollover (1024 weeks) and moved
 * forward; also the window used for 2-digit years. 2024-01-01T00:00:00Z. */
#define NMEA_GPS_PIVOT_UNIX 1704067200LL
#define NMEA_GPS_ROLLOVER_DAYS (1024 * 7)

/* UTC of a sentence with a date (resolving 2-digit years and GPS rollover). Second 60 maps to the
 * next minute's second 0 as POSIX time does. Returns false for an impossible date. */
bool nmea_sentence_time(const nmea_sentence *s, struct timespec *out);

/* UTC of a time-of-day-only sentence (GGA) next to a known recent UTC time `anchor`: the day is
 * chosen so that the result lies within 12 h of the anchor. */
bool nmea_time_near(const nmea_sentence *s, time_t anchor, struct timespec *out);

#endif
