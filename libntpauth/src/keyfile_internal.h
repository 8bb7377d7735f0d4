/* keyfile_internal.h - reading one keyfile line the way each daemon does (internal).
 *
 * Each dialect has its own reader (keyfile_ntpd.c, keyfile_ntpsec.c, keyfile_chrony.c). A reader
 * sees what its daemon's fgets() would hand it: a chunk of at most NTPD_LINE_BUF - 1 (ntpd,
 * ntpsec) or CHRONY_LINE_BUF - 1 (chrony) characters, ending at the first NUL, and turns it into
 * an nta_kf_reading: nothing (blank, comment), a key with its fitted secret, or a refusal with
 * the daemon's reason. The loader (keyfile_load.c) weighs the readings of all three for
 * detection (keyfile_detect.c) and fills the keyring with the chosen one. */
#ifndef NTPAUTH_KEYFILE_INTERNAL_H
#define NTPAUTH_KEYFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyring_internal.h"

#define NTPD_LINE_BUF 512     /* ntpd 4.2.8 and ntpsec: char buf[512] for fgets */
#define CHRONY_LINE_BUF 2048  /* chronyd: char line[2048] */
#define KF_WHY_MAX 240

typedef enum {
  KF_NOTHING = 0,   /* blank line or comment */
  KF_KEY,           /* the daemon loads a key */
  KF_REFUSED        /* the daemon refuses the line or the key */
} nta_kf_outcome;

typedef struct {
  nta_kf_outcome outcome;
  bool has_id;
  uint32_t id;
  bool counted;        /* ntpd 4.2.8: an error it counts, so it refuses the whole file */
  bool weak_evidence;  /* refused only because of a detail (type name): less telling for detection */
  char type[KEY_TYPE_TEXT_MAX];   /* as written */
  char alg[KEY_TYPE_TEXT_MAX];    /* name for nta_mac_create */
  bool hex;            /* the secret was decoded from hex */
  size_t secret_len;
  char why[KF_WHY_MAX];   /* refused: the daemon's reason in brief */
  char note[KF_WHY_MAX];  /* loaded with a remark (truncated, padded, ...) */
  uint8_t secret[KEY_SECRET_MAX];   /* last: a reader clears everything before it */
} nta_kf_reading;

/* The three readers: `chunk` is NUL-terminated (it may end in '\n'). */
void nta_kf_read_ntpd(const char *chunk, nta_kf_reading *r);
void nta_kf_read_ntpsec(const char *chunk, nta_kf_reading *r);
void nta_kf_read_chrony(const char *chunk, nta_kf_reading *r);

/* Shared by the ntpd and ntpsec readers (keyfile_ntpd.c). */
/* Their tokenizer: skips spaces and tabs, a token ends at space, tab, '\n', '#' or NUL; '\r'
 * and other characters belong to the token. Returns NULL at the end of the line. */
char *nta_kf_nexttok(char **cursor);
/* The key ID and type tokens, as both read them (atoi, 1-65535). Returns the type token, or
 * NULL for a blank line or with `r` refused (`counted`: by ntpd 4.2.8's rules). */
char *nta_kf_id_and_type(char **cursor, nta_kf_reading *r, bool counted, const char *reserved_tail);
/* atoi() as glibc does it, converted to the 32-bit key ID type. */
uint32_t nta_kf_atoi_id(const char *s);
/* Fits a CMAC key to the cipher's key length, zero-padding or truncating; notes what happened. */
void nta_kf_fit_cmac(nta_kf_reading *r, size_t want, const char *daemon);
/* Key length of a CMAC type name resolved for nta_mac_create, 0 for digests. */
size_t nta_kf_cmac_key_len(const char *alg);

void nta_kf_refuse(nta_kf_reading *r, bool counted, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- physical lines and fgets chunks -------------------------------------------------------- */

typedef struct {
  const char *text;
  size_t len, off;
  unsigned lineno;
  const char *line;   /* current physical line, including its '\n' when present */
  size_t line_len;
} nta_kf_lines;

bool nta_kf_next_line(nta_kf_lines *it);
/* The chunks fgets(buf, bufsize) returns for one physical line: call with *pos = 0, then while
 * it returns true. Each chunk is copied NUL-terminated into out (bufsize bytes) and stops at a
 * NUL byte like a C string. */
bool nta_kf_next_chunk(const char *line, size_t line_len, size_t *pos, size_t bufsize, char *out);

typedef void (*nta_kf_reader)(const char *chunk, nta_kf_reading *r);
nta_kf_reader nta_kf_reader_for(nta_dialect d);
size_t nta_kf_bufsize_for(nta_dialect d);

/* ---- detection (keyfile_detect.c) ------------------------------------------------------------ */

/* Weighs every line's readings by the three daemons and picks the dialect most lines support.
 * With `diags`, a file whose lines disagree is reported as mixed, naming lines on each side. */
nta_dialect nta_kf_detect(const char *name, const char *text, size_t len, nta_diags *diags);

#endif
