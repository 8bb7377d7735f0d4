/* outbuf.c - hand-written number, time, address and string formatting (see outbuf.h). */
#include "outbuf.h"

#include <arpa/inet.h>
#include <math.h>
#include <time.h>

void ob_u64(outbuf *ob, uint64_t v) {
  char tmp[24];
  int i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  ob_mem(ob, tmp + i, sizeof tmp - (size_t)i);
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
  int i = sizeof tmp;
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v && i > 0);
  while ((int)sizeof tmp - i < width && i > 0) tmp[--i] = '0';
  ob_mem(ob, tmp + i, sizeof tmp - (size_t)i);
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
    outbuf tmp;
    tmp.len = 0;
    if (!gmtime_r(&t, &tm)) memset(&tm, 0, sizeof tm);
    ob_u64_pad(&tmp, (uint64_t)(tm.tm_year + 1900), 4);
    ob_char(&tmp, '-');
    ob_u64_pad(&tmp, (uint64_t)(tm.tm_mon + 1), 2);
    ob_char(&tmp, '-');
    ob_u64_pad(&tmp, (uint64_t)tm.tm_mday, 2);
    ob_char(&tmp, 'T');
    ob_u64_pad(&tmp, (uint64_t)tm.tm_hour, 2);
    ob_char(&tmp, ':');
    ob_u64_pad(&tmp, (uint64_t)tm.tm_min, 2);
    ob_char(&tmp, ':');
    ob_u64_pad(&tmp, (uint64_t)tm.tm_sec, 2);
    size_t n = tmp.len < sizeof ob->cached_text - 1 ? tmp.len : sizeof ob->cached_text - 1;
    memcpy(ob->cached_text, tmp.buf, n);
    ob->cached_text[n] = '\0';
    ob->cached_sec = sec;
    ob->cached_valid = true;
  }
  ob_str(ob, ob->cached_text);
  ob_char(ob, '.');
  ob_u64_pad(ob, (nsec % 1000000000u) / 1000u, 6);
  ob_char(ob, 'Z');
}

void ob_addr(outbuf *ob, const nta_endpoint *ep) {
  if (ep->family == 6) {
    char s[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, ep->addr, s, sizeof s)) strcpy(s, "?");
    ob_str(ob, s);
    return;
  }
  for (int i = 0; i < 4; i++) {
    if (i) ob_char(ob, '.');
    ob_u64(ob, ep->addr[i]);
  }
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
