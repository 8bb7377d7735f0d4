/* ntpauth/textbuf.h - formatted text into a caller's fixed buffer, counting what it needed.
 *
 * Status and metrics texts are built by many small printf-style appends into one buffer the
 * caller owns. Appends never write past the buffer and never stop counting: once the text is
 * done, `need` is the full length it wanted, so a caller can tell truncation (need >= len) and
 * retry with a larger buffer, like snprintf for a whole document. */
#ifndef NTPAUTH_TEXTBUF_H
#define NTPAUTH_TEXTBUF_H

#include <stddef.h>

typedef struct {
  char *buf;    /* the caller's buffer, NUL-terminated after every append when len > 0 */
  size_t len;   /* its size */
  size_t need;  /* characters the text has so far (excluding the NUL), written or not */
} nta_textbuf;

static inline nta_textbuf nta_textbuf_init(char *buf, size_t len) {
  if (len) buf[0] = '\0';
  return (nta_textbuf){.buf = buf, .len = len, .need = 0};
}

/* Appends printf-formatted text; what does not fit is counted in `need` but not written. */
void nta_textbuf_add(nta_textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
