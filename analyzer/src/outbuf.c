/* outbuf.c - hand-written number, time, address and string formatting (see outbuf.h). */
#include "outbuf.h"

#include <arpa/inet.h>
#include <math.h>
#include <time.h>

static const char digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Writes v's digits ending at `end`; returns the start. Two digits per division. */
static char *digits_rev(char *end, uint64_t v) {
  while (v >= 100) {
    unsigned r = (unsigned)(v % 100);
    v /= 100;
    end -= 2;
    memcpy(end, digit_pairs + 2 * r, 2);
  }
  if (v >= 10) {
    end -= 2;
    memcpy(end, digit_pairs + 2 * v, 2);
  } else {
    *--end = (char)('0' + v);
  }
  return end;
}

void ob_u64(outbuf *ob, uint64_t v) {
  if (v < 10 && ob->len < OB_CAP) {
    ob->buf[ob->len++] = (char)('0' + v);
    return;
  }
  char tmp[24];
  char *start = digits_rev(tmp + sizeof tmp, v);
  ob_mem(ob, start, (size_t)(tmp + sizeof tmp - start));
}

void ob_i64(outbuf *ob, int64_t v) {
  if (v < 0) {
    ob_char(ob, '-');
    ob_u64(ob, (uint64_t)0 - (uint64_t)v);
  } else {
    ob_u64(ob, (uint64_t)v);
  }
}

void ob_u64_pad(outbuf *ob, uint64_t v, int width) {
  char tmp[24];
  char *start = digits_rev(tmp + sizeof tmp, v);
  while (tmp + sizeof tmp - start < width && start > tmp) *--start = '0';
  ob_mem(ob, start, (size_t)(tmp + sizeof tmp - start));
}

void ob_fixed6(outbuf *ob, double v, bool plus) {
  if (!isfinite(v)) {
    OB_LIT(ob, "0.000000");
    return;
  }
  double micro = llround(v * 1e6);
  bool neg = micro < 0;
  uint64_t m = (uint64_t)(neg ? -micro : micro);
  if (neg) ob_char(ob, '-');
  else if (plus) ob_char(ob, '+');
  ob_u64(ob, m / 1000000);
  ob_char(ob, '.');
  ob_u64_pad(ob, m % 1000000, 6);
}

void ob_time(outbuf *ob, int64_t sec, uint32_t nsec) {
  if (!ob->cached_valid || ob->cached_sec != sec) {
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) memset(&tm, 0, sizeof tm);
    char *p = ob->cached_text;
    unsigned year = (unsigned)(tm.tm_year + 1900) % 10000;
    memcpy(p, digit_pairs + 2 * (year / 100), 2);
    memcpy(p + 2, digit_pairs + 2 * (year % 100), 2);
    p[4] = '-';
    memcpy(p + 5, digit_pairs + 2 * (tm.tm_mon + 1), 2);
    p[7] = '-';
    memcpy(p + 8, digit_pairs + 2 * tm.tm_mday, 2);
    p[10] = 'T';
    memcpy(p + 11, digit_pairs + 2 * tm.tm_hour, 2);
    p[13] = ':';
    memcpy(p + 14, digit_pairs + 2 * tm.tm_min, 2);
    p[16] = ':';
    memcpy(p + 17, digit_pairs + 2 * (tm.tm_sec % 100), 2);
    p[19] = '\0';
    ob->cached_sec = sec;
    ob->cached_valid = true;
  }
  char frac[8];
  uint32_t us = (nsec % 1000000000u) / 1000u;
  frac[0] = '.';
  memcpy(frac + 1, digit_pairs + 2 * (us / 10000), 2);
  memcpy(frac + 3, digit_pairs + 2 * (us / 100 % 100), 2);
  memcpy(frac + 5, digit_pairs + 2 * (us % 100), 2);
  frac[7] = 'Z';
  ob_mem(ob, ob->cached_text, 19);
  ob_mem(ob, frac, 8);
}

void ob_addr(outbuf *ob, const nta_endpoint *ep) {
  if (ep->family == 6) {
    char s[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, ep->addr, s, sizeof s)) strcpy(s, "?");
    ob_str(ob, s);
    return;
  }
  /* Dotted quad by hand: the most frequent field of every output line. */
  char tmp[16], *p = tmp;
  for (int i = 0; i < 4; i++) {
    unsigned b = ep->addr[i];
    if (i) *p++ = '.';
    if (b >= 100) { *p++ = (char)('0' + b / 100); b %= 100; memcpy(p, digit_pairs + 2 * b, 2); p += 2; }
    else if (b >= 10) { memcpy(p, digit_pairs + 2 * b, 2); p += 2; }
    else *p++ = (char)('0' + b);
  }
  ob_mem(ob, tmp, (size_t)(p - tmp));
}

void ob_addr_port(outbuf *ob, const nta_endpoint *ep) {
  if (ep->family == 6) ob_char(ob, '[');
  ob_addr(ob, ep);
  if (ep->family == 6) ob_char(ob, ']');
  ob_char(ob, ':');
  ob_u64(ob, ep->port);
}

/* Length of a valid UTF-8 sequence starting at s, 0 when invalid. */
static size_t utf8_len(const unsigned char *s) {
  if (s[0] >= 0xc2 && s[0] <= 0xdf) return (s[1] & 0xc0) == 0x80 ? 2 : 0;
  if (s[0] >= 0xe0 && s[0] <= 0xef) {
    if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return 0;
    if (s[0] == 0xe0 && s[1] < 0xa0) return 0;
    if (s[0] == 0xed && s[1] >= 0xa0) return 0;   /* surrogates */
    return 3;
  }
  if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80) return 0;
    if (s[0] == 0xf0 && s[1] < 0x90) return 0;
    if (s[0] == 0xf4 && s[1] >= 0x90) return 0;
    return 4;
  }
  return 0;
}

void ob_json_str(outbuf *ob, const char *str) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  ob_char(ob, '"');
  while (*s) {
    const unsigned char *run = s;
    while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\') s++;
    ob_mem(ob, (const char *)run, (size_t)(s - run));
    if (!*s) break;
    unsigned char c = *s;
    if (c == '"' || c == '\\') {
      ob_char(ob, '\\');
      ob_char(ob, (char)c);
      s++;
    } else if (c == '\n') { OB_LIT(ob, "\\n"); s++; }
    else if (c == '\r') { OB_LIT(ob, "\\r"); s++; }
    else if (c == '\t') { OB_LIT(ob, "\\t"); s++; }
    else if (c >= 0x80) {
      size_t n = utf8_len(s);
      if (n) {
        ob_mem(ob, (const char *)s, n);
        s += n;
      } else {
        OB_LIT(ob, "\\u00");
        ob_char(ob, hex[c >> 4]);
        ob_char(ob, hex[c & 15]);
        s++;
      }
    } else {
      OB_LIT(ob, "\\u00");
      ob_char(ob, hex[c >> 4]);
      ob_char(ob, hex[c & 15]);
      s++;
    }
  }
  ob_char(ob, '"');
}

void ob_csv_str(outbuf *ob, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    ob_str(ob, s);
    return;
  }
  ob_char(ob, '"');
  for (; *s; s++) {
    if (*s == '"') ob_char(ob, '"');
    ob_char(ob, *s);
  }
  ob_char(ob, '"');
}

void ob_hex(outbuf *ob, const uint8_t *b, size_t n) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    ob_char(ob, digits[b[i] >> 4]);
    ob_char(ob, digits[b[i] & 15]);
  }
}
