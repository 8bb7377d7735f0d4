/* decompress.h - gzip, zstd and lz4 capture files, recognised by content, streamed.
 *
 * The file source hands over the compressed bytes it has already read, then pulls more through
 * a callback; the decompressor keeps one input chunk and the library's own window, so memory
 * does not grow with the file. Concatenated members/frames are read one after the other, as
 * zcat, zstdcat and lz4cat do. */
#ifndef NTPAUTH_CAPTURE_DECOMPRESS_H
#define NTPAUTH_CAPTURE_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum { CAP_COMP_NONE = 0, CAP_COMP_GZIP, CAP_COMP_ZSTD, CAP_COMP_LZ4 } cap_compression;

/* The compression format the first bytes announce (n >= 4), or CAP_COMP_NONE. */
cap_compression cap_compression_sniff(const uint8_t *b, size_t n);
/* "gzip", "zstd", "lz4". */
const char *cap_compression_name(cap_compression c);
/* For an unrecognised file: what its first bytes look like ("bzip2-compressed data", "text",
 * ...), or NULL when they look like nothing in particular. */
const char *cap_format_guess(const uint8_t *b, size_t n);

/* Reads up to `room` raw bytes into dst; returns the count, 0 at end, -1 on error. */
typedef ssize_t (*cap_raw_read_fn)(void *ctx, uint8_t *dst, size_t room);

typedef struct cap_decomp cap_decomp;

/* `first`/`n_first`: compressed bytes already read (copied). NULL when out of memory. */
cap_decomp *cap_decomp_create(cap_compression kind, const uint8_t *first, size_t n_first,
                              cap_raw_read_fn read_fn, void *ctx);
void cap_decomp_destroy(cap_decomp *d);
/* Decompressed bytes into out (up to room): the count, 0 at the end, -1 on an error (then
 * cap_decomp_error() says why). */
ssize_t cap_decomp_read(cap_decomp *d, uint8_t *out, size_t room);
const char *cap_decomp_error(const cap_decomp *d);

#endif
