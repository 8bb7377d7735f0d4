/* decompress.c - streaming gzip (zlib), zstd (libzstd) and lz4 frame (liblz4) decompression. */
#include "decompress.h"

#include <lz4frame.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define IN_CHUNK (256 * 1024)

struct cap_decomp {
  cap_compression kind;
  cap_raw_read_fn read_fn;
  void *ctx;
  uint8_t *in;
  size_t in_pos, in_end;
  bool in_eof;
  bool in_frame;            /* inside a member/frame: input ending here is a cut file */
  bool failed;
  char error[160];
  z_stream z;
  ZSTD_DStream *zs;
  LZ4F_dctx *lz;
};

cap_compression cap_compression_sniff(const uint8_t *b, size_t n) {
  if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) return CAP_COMP_GZIP;
  if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) return CAP_COMP_ZSTD;
  if (n >= 4 && b[0] == 0x04 && b[1] == 0x22 && b[2] == 0x4d && b[3] == 0x18) return CAP_COMP_LZ4;
  return CAP_COMP_NONE;
}

const char *cap_compression_name(cap_compression c) {
  switch (c) {
  case CAP_COMP_GZIP: return "gzip";
  case CAP_COMP_ZSTD: return "zstd";
  case CAP_COMP_LZ4: return "lz4";
  case CAP_COMP_NONE: break;
  }
  return "none";
}

const char *cap_format_guess(const uint8_t *b, size_t n) {
  if (n >= 3 && memcmp(b, "BZh", 3) == 0) return "bzip2-compressed data";
  if (n >= 4 && memcmp(b, "\xfd" "7zX", 4) == 0) return "xz-compressed data";
  if (n >= 4 && memcmp(b, "PK\x03\x04", 4) == 0) return "a zip archive";
  if (n >= 4 && b[0] == 0x02 && b[1] == 0x21 && b[2] == 0x4c && b[3] == 0x18)
    return "legacy lz4 data (lz4 -l)";
  size_t printable = 0;
  for (size_t i = 0; i < n; i++)
    if ((b[i] >= 0x20 && b[i] < 0x7f) || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') printable++;
  if (n > 0 && printable == n) return "text";
  return NULL;
}

static void fail(cap_decomp *d, const char *what) {
  d->failed = true;
  snprintf(d->error, sizeof d->error, "%s data corrupt: %s", cap_compression_name(d->kind), what);
}

/* Makes compressed input available; false at its end or on a read error. */
static bool refill(cap_decomp *d) {
  if (d->in_pos < d->in_end) return true;
  if (d->in_eof) return false;
  ssize_t n = d->read_fn(d->ctx, d->in, IN_CHUNK);
  if (n < 0) {
    d->failed = true;
    snprintf(d->error, sizeof d->error, "read error");
    return false;
  }
  d->in_pos = 0;
  d->in_end = (size_t)n;
  if (n == 0) d->in_eof = true;
  return n > 0;
}

cap_decomp *cap_decomp_create(cap_compression kind, const uint8_t *first, size_t n_first,
                              cap_raw_read_fn read_fn, void *ctx) {
  cap_decomp *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->kind = kind;
  d->read_fn = read_fn;
  d->ctx = ctx;
  d->in = malloc(n_first > IN_CHUNK ? n_first : IN_CHUNK);
  bool ok = d->in != NULL;
  if (ok && kind == CAP_COMP_GZIP) ok = inflateInit2(&d->z, 15 + 16) == Z_OK;
  if (ok && kind == CAP_COMP_ZSTD) ok = (d->zs = ZSTD_createDStream()) != NULL;
  if (ok && kind == CAP_COMP_LZ4)
    ok = !LZ4F_isError(LZ4F_createDecompressionContext(&d->lz, LZ4F_VERSION));
  if (!ok || kind == CAP_COMP_NONE) {
    cap_decomp_destroy(d);
    return NULL;
  }
  memcpy(d->in, first, n_first);
  d->in_end = n_first;
  return d;
}

void cap_decomp_destroy(cap_decomp *d) {
  if (!d) return;
  if (d->kind == CAP_COMP_GZIP) inflateEnd(&d->z);
  ZSTD_freeDStream(d->zs);
  if (d->lz) LZ4F_freeDecompressionContext(d->lz);
  free(d->in);
  free(d);
}

const char *cap_decomp_error(const cap_decomp *d) { return d->error; }

/* One step of the library: consumes input at in_pos, writes at out; returns bytes written. */
static size_t step(cap_decomp *d, uint8_t *out, size_t room) {
  size_t avail = d->in_end - d->in_pos;
  if (d->kind == CAP_COMP_GZIP) {
    if (!d->in_frame) inflateReset(&d->z);   /* the next member of a concatenated file */
    d->z.next_in = d->in + d->in_pos;
    d->z.avail_in = (uInt)(avail > UINT32_MAX ? UINT32_MAX : avail);
    d->z.next_out = out;
    d->z.avail_out = (uInt)(room > UINT32_MAX ? UINT32_MAX : room);
    int rc = inflate(&d->z, Z_NO_FLUSH);
    d->in_pos += avail - d->z.avail_in;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
      fail(d, d->z.msg ? d->z.msg : "inflate failed");
    d->in_frame = rc != Z_STREAM_END;
    return room - d->z.avail_out;
  }
  if (d->kind == CAP_COMP_ZSTD) {
    ZSTD_inBuffer ib = { d->in + d->in_pos, avail, 0 };
    ZSTD_outBuffer ob = { out, room, 0 };
    size_t rc = ZSTD_decompressStream(d->zs, &ob, &ib);
    d->in_pos += ib.pos;
    if (ZSTD_isError(rc)) fail(d, ZSTD_getErrorName(rc));
    d->in_frame = rc != 0;
    return ob.pos;
  }
  size_t out_len = room, in_len = avail;
  size_t rc = LZ4F_decompress(d->lz, out, &out_len, d->in + d->in_pos, &in_len, NULL);
  d->in_pos += in_len;
  if (LZ4F_isError(rc)) fail(d, LZ4F_getErrorName(rc));
  d->in_frame = rc != 0;
  return out_len;
}

ssize_t cap_decomp_read(cap_decomp *d, uint8_t *out, size_t room) {
  if (d->failed) return -1;
  while (room > 0) {
    if (!refill(d)) {
      if (d->failed) return -1;
      if (d->in_frame) {
        d->failed = true;
        snprintf(d->error, sizeof d->error, "%s data cut short", cap_compression_name(d->kind));
        return -1;
      }
      return 0;
    }
    size_t n = step(d, out, room);
    if (d->failed) return -1;
    if (n > 0) return (ssize_t)n;
  }
  return 0;
}
