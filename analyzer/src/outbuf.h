/* outbuf.h - append-only formatting into a caller buffer, without stdio or locale.
 *
 * The per-packet output path formats millions of lines: printf's format parsing and locale
 * lookups would dominate, so numbers, addresses, times and JSON strings are written by hand. */
#ifndef NTPAUTH_ANALYZE_OUTBUF_H
#define NTPAUTH_ANALYZE_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ntpauth/exchange.h"

#define OB_CAP 65536
#define OB_FLUSH_AT (OB_CAP - 16384)   /* one packet line or object stays far below 16 KiB */

typedef struct {
  char buf[OB_CAP];
  size_t len;
  /* Cache of the formatted date/time for the last whole second seen (gmtime_r is not free). */
  int64_t cached_sec;
  bool cached_valid;
  char cached_text[24];   /* "YYYY-MM-DDTHH:MM:SS" */
} outbuf;

/* Every append is bounded: anything past the capacity is dropped (lines are far shorter). */
static inline void ob_reset(outbuf *ob) { ob->len = 0; }
static inline void ob_mem(outbuf *ob, const char *s, size_t n) {
  if (__builtin_expect(n <= OB_CAP - ob->len, 1)) {
    memcpy(ob->buf + ob->len, s, n);   /* n is a constant for literals: inlined */
    ob->len += n;
  } else {
    memcpy(ob->buf + ob->len, s, OB_CAP - ob->len);
    ob->len = OB_CAP;
  }
}
static inline void ob_str(outbuf *ob, const char *s) { ob_mem(ob, s, strlen(s)); }
/* `lit` must be a string literal ("" lit does not compile otherwise): sizeof of a pointer
 * would cut the text. */
#define OB_LIT(ob, lit) ob_mem((ob), "" lit, sizeof(lit) - 1)
static inline void ob_char(outbuf *ob, char c) {
  if (ob->len < OB_CAP) ob->buf[ob->len++] = c;
}

void ob_u64(outbuf *ob, uint64_t v);
void ob_i64(outbuf *ob, int64_t v);
/* Zero-padded to `width` digits. */
void ob_u64_pad(outbuf *ob, uint64_t v, int width);
/* Fixed point with 6 decimals ("%.6f" in the C locale), with a leading '+' when plus is set. */
void ob_fixed6(outbuf *ob, double v, bool plus);
/* RFC 3339 UTC with microseconds: 2026-11-27T12:00:00.123456Z */
void ob_time(outbuf *ob, int64_t sec, uint32_t nsec);
/* Address only; IPv4 dotted, IPv6 via inet_ntop. */
void ob_addr(outbuf *ob, const nta_endpoint *ep);
/* "addr:port", IPv6 as "[addr]:port". */
void ob_addr_port(outbuf *ob, const nta_endpoint *ep);
/* A JSON string literal with quotes; escapes per RFC 8259, bytes >= 0x80 copied when they form
 * valid UTF-8, else \u00XX. */
void ob_json_str(outbuf *ob, const char *s);
/* Bytes as lowercase hex, two digits each. */
void ob_hex(outbuf *ob, const uint8_t *b, size_t n);
/* A CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
void ob_csv_str(outbuf *ob, const char *s);

#endif
