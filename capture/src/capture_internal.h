/* capture_internal.h - pieces shared by the capture reader's modules (not installed). */
#ifndef NTPAUTH_CAPTURE_INTERNAL_H
#define NTPAUTH_CAPTURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "capture/reader.h"
#include "decompress.h"
#include "ntpauth/status.h"

/* Link-layer frame as read from a file or an interface, before decoding. */
typedef struct {
  uint32_t linktype;
  int64_t ts_sec;
  uint32_t ts_nsec;
  const uint8_t *data;
  uint32_t caplen;
  uint32_t wirelen;
  uint64_t frame;         /* its frame number (set by the reader before decoding) */
  bool not_packet;        /* a pcapng block Wireshark numbers as a frame but that holds no packet
                             (custom, systemd journal, sysdig event): counted, not decoded */
} cap_record;

/* ---- filesrc.c: streaming pcap/pcapng parser over a descriptor or a memory block ---- */

typedef struct {
  uint32_t linktype;
  uint32_t snaplen;
  bool resol_pow2;        /* timestamp unit 2^-exp s, else 10^-exp s */
  uint8_t resol_exp;
  int64_t ts_offset;      /* if_tsoffset, seconds */
} cap_iface;

typedef enum { CAP_FMT_UNKNOWN = 0, CAP_FMT_PCAP, CAP_FMT_PCAPNG } cap_format;

typedef struct {
  const char *name;       /* for messages */
  int fd;                 /* -1 when reading memory */
  bool own_fd;
  const uint8_t *mem;     /* memory input */
  size_t mem_len, mem_off;
  const volatile sig_atomic_t *interrupted;  /* a read interrupted by a signal stops when set */

  uint8_t *buf;
  size_t cap, pos, end;
  bool eof;
  int read_errno;
  uint64_t consumed;      /* file offset of buf[pos] (of the decompressed stream) */
  cap_decomp *dz;         /* gzip/zstd/lz4 file: buf holds decompressed bytes */
  cap_compression dz_kind;

  cap_format fmt;
  bool big_endian;        /* byte order of the file / current pcapng section */
  bool pcap_nsec;
  uint32_t pcap_linktype;
  cap_iface *ifaces;      /* pcapng: interfaces of the current section */
  size_t n_ifaces, cap_ifaces;
} cap_filesrc;

typedef enum { CAP_SRC_RECORD = 1, CAP_SRC_END = 0, CAP_SRC_ERROR = -1 } cap_src_status;

/* Opens over a descriptor (fd >= 0) or memory. Reads the file header; errors name the file. */
nta_status cap_filesrc_open(cap_filesrc *s, const char *name, int fd, bool own_fd,
                            const uint8_t *mem, size_t mem_len,
                            const volatile sig_atomic_t *interrupted, nta_diag *err);
/* Next record. `frame` is the number the record would get (for messages). pcapng blocks that
 * Wireshark does not number as frames (interface, statistics, name resolution, decryption
 * secrets, unknown types) are consumed silently; blocks it numbers without a packet come back
 * with rec->not_packet set. A block Wireshark's reader refuses stops reading with an error. */
cap_src_status cap_filesrc_next(cap_filesrc *s, uint64_t frame, cap_record *rec, nta_diag *err);
void cap_filesrc_close(cap_filesrc *s);

/* ---- reasm.c: bounded IPv4/IPv6 fragment reassembly ---- */

#define CAP_REASM_MAX_PENDING 64
#define CAP_REASM_MAX_BYTES 65535

typedef struct cap_reasm cap_reasm;

typedef struct {
  uint8_t family;           /* 4 or 6 */
  const uint8_t *src, *dst; /* 4 or 16 bytes */
  uint32_t id;
  uint8_t proto;            /* IPv4 protocol, IPv6 next header after the fragment header */
  uint32_t offset;          /* bytes */
  bool more;
  const uint8_t *data;      /* captured fragment bytes */
  uint32_t caplen, wirelen;
  uint64_t frame;           /* where it was captured, for the line of an unfinished datagram */
  int64_t ts_sec;
  uint32_t ts_nsec;
} cap_fragment;

typedef struct {
  uint8_t proto;            /* of the whole datagram (IPv6: next header of the offset-0 fragment) */
  const uint8_t *data;      /* valid until the next cap_reasm_add */
  uint32_t caplen, wirelen;
} cap_reassembled;

cap_reasm *cap_reasm_create(void);
void cap_reasm_destroy(cap_reasm *ra);
/* Adds a fragment; true when it completed a datagram (then *out is filled). The policy (no
 * timeout, overlaps, fragments past the end) is described in reasm.c. */
bool cap_reasm_add(cap_reasm *ra, const cap_fragment *f, cap_reassembled *out);
/* A fragment of a datagram that can no longer complete: evicted from the full table, given two
 * different ends, or still pending at the end of input. Only datagrams whose offset-0 fragment
 * was seen with a UDP header are reported (the ports say whether it was NTP), one report per
 * fragment frame. */
typedef struct {
  uint64_t frame;
  int64_t ts_sec;
  uint32_t ts_nsec;
  uint8_t family;
  uint8_t src[16], dst[16];
  uint16_t sport, dport;
  char note[112];           /* "IPv4 fragment: datagram never completed (have bytes 0-39 of ?)" */
} cap_unfinished;
/* Ends input: every pending datagram is reported. Reports come out in frame order per call. */
void cap_reasm_finish(cap_reasm *ra);
/* The next queued report, oldest first; false when none. */
bool cap_reasm_next_unfinished(cap_reasm *ra, cap_unfinished *out);
/* A fragment cut by the snap length: it joins its datagram's frames (and gives its ports if it
 * is the first) but places no bytes. */
void cap_reasm_note_cut(cap_reasm *ra, const cap_fragment *f);
uint64_t cap_reasm_dropped(const cap_reasm *ra);
uint64_t cap_reasm_invalid(const cap_reasm *ra);

/* ---- decode.c: link layer -> IP -> UDP ---- */

typedef struct {
  uint8_t port_map[65536 / 8];
  uint8_t tcp_port_map[65536 / 8];
  bool any_tcp;
  cap_reasm *reasm;         /* NULL: fragments are only noted (saw_fragment) */
  bool saw_fragment;
  uint64_t undecodable;
  uint64_t reassembled;
} cap_decoder;

/* true when the record carries a UDP datagram on one of the ports (out filled except frame,
 * file). Records that cannot be decoded count in d->undecodable. */
bool cap_decode(cap_decoder *d, const cap_record *rec, cap_datagram *out);
/* The next fragment of a datagram that never completed (see cap_reasm_finish) to or from one of
 * the ports: an unusable datagram whose note (written to `note`) says what arrived. */
bool cap_decode_unfinished(cap_decoder *d, cap_datagram *out, char *note, size_t note_len);

#endif
