/* nmea.c - NMEA 0183 sentence parser (RMC, GGA, ZDA from any talker).
 *
 * The checksum is the XOR of every byte strictly between '$' and '*'. We insist on it for every
 * sentence: a time label from a corrupted line would be worse than no label. */
#include "refclock/nmea.h"

#include <stdio.h>
#include <string.h>

#include "ntpauth/bytes.h"
#include "refclock/timeutil.h"

#define NMEA_MAX_FIELDS 24

typedef struct {
  const uint8_t *p;
  size_t len;
} nmea_field;

const char *nmea_result_name(nmea_result r) {
  switch (r) {
  case NMEA_OK: return "ok";
  case NMEA_INVALID_FIX: return "invalid fix";
  case NMEA_IGNORED: return "ignored";
  case NMEA_BAD_FORMAT: return "bad format";
  case NMEA_BAD_CHECKSUM: return "bad checksum";
  }
  return "?";
}

static nmea_result fail(nmea_result r, char *why, size_t why_len, const char *msg) {
  if (why && why_len) snprintf(why, why_len, "%s", msg);
  return r;
}

static int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

static bool is_alnum(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Reads `n` decimal digits from a field at `at`; -1 when they are not all digits. */
static int digits(const nmea_field *f, size_t at, size_t n) {
  nta_reader r;
  nta_rd_init(&r, f->p, f->len);
  if (!nta_rd_skip(&r, at)) return -1;
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = nta_rd_u8(&r);
    if (r.err || c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

static bool all_digits(const nmea_field *f) {
  for (size_t i = 0; i < f->len; i++)
    if (f->p[i] < '0' || f->p[i] > '9') return false;
  return true;
}

/* hhmmss[.f...] */
static bool parse_time(const nmea_field *f, nmea_sentence *s) {
  if (f->len < 6) return false;
  int hh = digits(f, 0, 2), mm = digits(f, 2, 2), ss = digits(f, 4, 2);
  if (hh < 0 || mm < 0 || ss < 0 || hh > 23 || mm > 59 || ss > 60) return false;
  long ns = 0;
  if (f->len > 6) {
    if (f->p[6] != '.' || f->len > 6 + 1 + 9) return false;
    long scale = 100000000L;
    for (size_t i = 7; i < f->len; i++) {
      if (f->p[i] < '0' || f->p[i] > '9') return false;
      ns += (f->p[i] - '0') * scale;
      scale /= 10;
    }
  }
  s->hour = hh; s->minute = mm; s->second = ss; s->nsec = ns;
  s->has_time = true;
  return true;
}

static bool parse_int_field(const nmea_field *f, size_t min_len, size_t max_len, int *out) {
  if (f->len < min_len || f->len > max_len || !all_digits(f)) return false;
  *out = digits(f, 0, f->len);
  return *out >= 0;
}

/* Splits "$TTSSS,a,b*HH" into fields after checking framing and checksum. */
static nmea_result split(const uint8_t *text, size_t len, nmea_field *fields, size_t *nfields,
                         char *why, size_t why_len) {
  nta_reader r;
  nta_rd_init(&r, text, len);
  if (len < 1 || nta_rd_u8(&r) != '$') return fail(NMEA_BAD_FORMAT, why, why_len, "does not start with '$'");
  if (len > NMEA_MAX_SENTENCE) return fail(NMEA_BAD_FORMAT, why, why_len, "sentence longer than 80 characters");
  uint8_t sum = 0;
  size_t n = 0;
  size_t field_start = 1;
  bool star = false;
  while (nta_rd_remaining(&r) > 0) {
    size_t at = r.off;
    uint8_t c = nta_rd_u8(&r);
    if (c == '*' || c == ',') {
      if (n >= NMEA_MAX_FIELDS) return fail(NMEA_BAD_FORMAT, why, why_len, "too many fields");
      fields[n].p = text + field_start;
      fields[n].len = at - field_start;
      n++;
      field_start = at + 1;
      if (c == '*') { star = true; break; }
    } else if (c < 0x20 || c > 0x7e || c == '$') {
      return fail(NMEA_BAD_FORMAT, why, why_len, "unexpected character");
    }
    sum ^= c;
  }
  if (!star) return fail(NMEA_BAD_CHECKSUM, why, why_len, "no checksum");
  if (nta_rd_remaining(&r) != 2) return fail(NMEA_BAD_CHECKSUM, why, why_len, "checksum is not two hex digits");
  int hi = hex_value(nta_rd_u8(&r)), lo = hex_value(nta_rd_u8(&r));
  if (hi < 0 || lo < 0) return fail(NMEA_BAD_CHECKSUM, why, why_len, "checksum is not two hex digits");
  if ((uint8_t)(hi << 4 | lo) != sum) return fail(NMEA_BAD_CHECKSUM, why, why_len, "checksum mismatch");
  *nfields = n;
  return NMEA_OK;
}

static nmea_result parse_rmc(const nmea_field *f, size_t n, nmea_sentence *s, char *why, size_t wl) {
  /* 1 time, 2 status, 3-6 position, 7 speed, 8 course, 9 ddmmyy, 10-11 variation, [12 mode] */
  if (n < 10) return fail(NMEA_BAD_FORMAT, why, wl, "RMC has too few fields");
  bool valid = f[2].len == 1 && f[2].p[0] == 'A';
  if (n > 12 && f[12].len == 1 && f[12].p[0] == 'N') valid = false; /* NMEA 2.3 mode: no fix */
  if (f[1].len > 0 && !parse_time(&f[1], s)) return fail(NMEA_BAD_FORMAT, why, wl, "RMC time field malformed");
  if (f[9].len > 0) {
    if (f[9].len != 6) return fail(NMEA_BAD_FORMAT, why, wl, "RMC date field malformed");
    s->day = digits(&f[9], 0, 2); s->month = digits(&f[9], 2, 2); s->year = digits(&f[9], 4, 2);
    if (s->day < 1 || s->day > 31 || s->month < 1 || s->month > 12 || s->year < 0)
      return fail(NMEA_BAD_FORMAT, why, wl, "RMC date out of range");
    s->has_date = true;
  }
  if (!valid) return fail(NMEA_INVALID_FIX, why, wl, "RMC status is not 'A'");
  if (!s->has_time || !s->has_date) return fail(NMEA_BAD_FORMAT, why, wl, "valid RMC without time or date");
  return NMEA_OK;
}

static nmea_result parse_gga(const nmea_field *f, size_t n, nmea_sentence *s, char *why, size_t wl) {
  /* 1 time, 2-5 position, 6 fix quality (0 = invalid) */
  if (n < 7) return fail(NMEA_BAD_FORMAT, why, wl, "GGA has too few fields");
  if (f[1].len > 0 && !parse_time(&f[1], s)) return fail(NMEA_BAD_FORMAT, why, wl, "GGA time field malformed");
  if (f[6].len != 1 || f[6].p[0] < '0' || f[6].p[0] > '9')
    return f[6].len == 0 ? fail(NMEA_INVALID_FIX, why, wl, "GGA fix quality empty")
                         : fail(NMEA_BAD_FORMAT, why, wl, "GGA fix quality malformed");
  if (f[6].p[0] == '0') return fail(NMEA_INVALID_FIX, why, wl, "GGA fix quality is 0");
  if (!s->has_time) return fail(NMEA_BAD_FORMAT, why, wl, "valid GGA without time");
  return NMEA_OK;
}

static nmea_result parse_zda(const nmea_field *f, size_t n, nmea_sentence *s, char *why, size_t wl) {
  /* 1 time, 2 day, 3 month, 4 year (4 digits), 5-6 local zone. No validity flag: receivers
   * without a fix leave the fields empty. */
  if (n < 5) return fail(NMEA_BAD_FORMAT, why, wl, "ZDA has too few fields");
  if (f[1].len == 0 || f[2].len == 0 || f[3].len == 0 || f[4].len == 0)
    return fail(NMEA_INVALID_FIX, why, wl, "ZDA fields empty");
  if (!parse_time(&f[1], s)) return fail(NMEA_BAD_FORMAT, why, wl, "ZDA time field malformed");
  if (!parse_int_field(&f[2], 1, 2, &s->day) || !parse_int_field(&f[3], 1, 2, &s->month) ||
      !parse_int_field(&f[4], 4, 4, &s->year))
    return fail(NMEA_BAD_FORMAT, why, wl, "ZDA date field malformed");
  if (s->day < 1 || s->day > 31 || s->month < 1 || s->month > 12)
    return fail(NMEA_BAD_FORMAT, why, wl, "ZDA date out of range");
  s->has_date = true;
  return NMEA_OK;
}

nmea_result nmea_parse(const uint8_t *text, size_t len, nmea_sentence *out, char *why, size_t why_len) {
  nmea_field f[NMEA_MAX_FIELDS];
  size_t n = 0;
  memset(out, 0, sizeof *out);
  if (why && why_len) why[0] = '\0';
  nmea_result r = split(text, len, f, &n, why, why_len);
  if (r != NMEA_OK) return r;
  if (f[0].len < 5) return fail(NMEA_BAD_FORMAT, why, why_len, "sentence name shorter than 5 characters");
  for (size_t i = 0; i < f[0].len; i++)
    if (!is_alnum(f[0].p[i])) return fail(NMEA_BAD_FORMAT, why, why_len, "sentence name not alphanumeric");
  if (f[0].p[0] == 'P' || f[0].len != 5) return fail(NMEA_IGNORED, why, why_len, "proprietary sentence");
  out->talker[0] = (char)f[0].p[0];
  out->talker[1] = (char)f[0].p[1];
  const uint8_t *type = f[0].p + 2;
  if (memcmp(type, "RMC", 3) == 0) { out->kind = NMEA_KIND_RMC; return parse_rmc(f, n, out, why, why_len); }
  if (memcmp(type, "GGA", 3) == 0) { out->kind = NMEA_KIND_GGA; return parse_gga(f, n, out, why, why_len); }
  if (memcmp(type, "ZDA", 3) == 0) { out->kind = NMEA_KIND_ZDA; return parse_zda(f, n, out, why, why_len); }
  return fail(NMEA_IGNORED, why, why_len, "sentence type not used");
}

static int64_t resolve_rollover(int64_t days) {
  /* Old receivers count GPS weeks in 10 bits and fall back 1024 weeks every 19.6 years. */
  const int64_t pivot_days = NMEA_GPS_PIVOT_UNIX / 86400;
  for (int i = 0; i < 8 && days < pivot_days; i++) days += NMEA_GPS_ROLLOVER_DAYS;
  return days;
}

bool nmea_sentence_time(const nmea_sentence *s, struct timespec *out) {
  if (!s->has_time || !s->has_date) return false;
  int64_t year = s->year;
  if (year < 100) year += year >= 80 ? 1900 : 2000; /* GPS began in 1980 */
  if (s->day > rcl_days_in_month(year, s->month)) return false;
  int64_t days = resolve_rollover(rcl_days_from_civil(year, s->month, s->day));
  out->tv_sec = (time_t)(days * 86400 + s->hour * 3600 + s->minute * 60 + s->second);
  out->tv_nsec = s->nsec;
  return true;
}

bool nmea_time_near(const nmea_sentence *s, time_t anchor, struct timespec *out) {
  if (!s->has_time) return false;
  int64_t tod = s->hour * 3600 + s->minute * 60 + s->second;
  int64_t day_start = (int64_t)anchor - (((int64_t)anchor % 86400) + 86400) % 86400;
  int64_t t = day_start + tod;
  if (t - (int64_t)anchor > 43200) t -= 86400;
  else if ((int64_t)anchor - t > 43200) t += 86400;
  out->tv_sec = (time_t)t;
  out->tv_nsec = s->nsec;
  return true;
}
