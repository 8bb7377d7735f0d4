/* capture/reader.h - NTP datagrams out of capture files and live interfaces.
 *
 * Reads pcap (µs and ns, both byte orders) and pcapng (every interface keeps its own link type
 * and timestamp resolution) with our own streaming reader in buffered chunks (no mmap, memory does
 * not grow with the file), several files in order, "-" for stdin; live capture through libpcap.
 * Link types: Ethernet (+802.1Q/QinQ), Linux SLL and SLL2, raw IP, BSD loopback (NULL).
 * IPv4/IPv6 (extension headers walked) with bounded fragment reassembly, then UDP to or from one
 * of the configured ports (default 123). */
#ifndef NTPAUTH_CAPTURE_READER_H
#define NTPAUTH_CAPTURE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntpauth/endpoint.h"
#include "ntpauth/status.h"
#include "ntpauth/verify.h"   /* nta_verify_result */

typedef struct cap_reader cap_reader;

typedef struct {
  uint64_t frame;          /* 1-based, counts every record/packet block across all files */
  int64_t ts_sec;          /* capture time, Unix */
  uint32_t ts_nsec;
  nta_endpoint src, dst;   /* addresses and UDP ports */
  const uint8_t *payload;  /* UDP payload bytes actually captured (valid until the next call) */
  uint32_t captured_len;   /* bytes at payload */
  uint32_t wire_len;       /* UDP payload length on the wire (from the UDP/IP length fields) */
  bool reassembled;        /* completed from IP fragments on this frame */
  /* TCP segments are delivered only on ports given to cap_reader_set_tcp_ports (NTS-KE). */
  uint8_t proto;           /* 17 UDP, 6 TCP */
  uint8_t tcp_flags;       /* TCP: FIN 0x01, SYN 0x02, RST 0x04, ... */
  uint32_t tcp_seq;        /* TCP: sequence number of the first payload byte */
  const char *note;        /* NULL, or an inconsistency of the outer lengths (a literal) */
  bool unusable;           /* no NTP bytes can be read (e.g. a UDP length below its header):
                              `note` says why; cap_note_verdict() makes it malformed */
  const char *file;        /* the file this frame came from ("-" for stdin, iface for live) */
} cap_datagram;

typedef enum {
  CAP_NEXT_DATAGRAM = 1,   /* *out filled */
  CAP_NEXT_END = 0,        /* all input consumed cleanly */
  CAP_NEXT_ERROR = -1      /* input error: err says "FILE: frame N: why" (e.g. cut mid-record);
                              datagrams before it were all delivered. Reading stops: later
                              calls return the same error. Bad magic: "FILE: not a pcap or
                              pcapng file (magic 0x...)" */
} cap_next_status;

typedef struct {
  uint64_t frames;          /* records read */
  uint64_t datagrams;       /* UDP datagrams on the ports delivered */
  uint64_t bytes;           /* file bytes consumed */
  uint64_t fragments_pending_dropped; /* reassembly entries evicted/expired */
  uint64_t undecodable;     /* frames with an unsupported link type or broken headers */
  uint64_t reassembled;     /* datagrams completed from IP fragments */
  uint64_t fragments_invalid; /* fragments refused (bad size, conflicting overlap) */
  uint64_t live_dropped;    /* packets the kernel/interface dropped (live capture only) */
} cap_stats;

cap_reader *cap_reader_create(void);
void cap_reader_destroy(cap_reader *r);
/* UDP ports to select (either direction). Default {123}. Call before reading. */
nta_status cap_reader_set_ports(cap_reader *r, const uint16_t *ports, size_t n, nta_diag *err);
/* TCP ports whose segments (either direction) are delivered too, with proto 6: the TCP payload
 * as payload, captured_len = wire_len = payload bytes present. Default none. */
nta_status cap_reader_set_tcp_ports(cap_reader *r, const uint16_t *ports, size_t n, nta_diag *err);
/* Input: files (in order) or one live interface with an optional BPF filter. */
nta_status cap_reader_add_file(cap_reader *r, const char *path, nta_diag *err);
/* A capture held in memory (tests, fuzzing); `data` must stay valid while reading. */
nta_status cap_reader_add_memory(cap_reader *r, const char *name, const uint8_t *data,
                                 size_t len, nta_diag *err);
/* Live: promiscuous, snap length 65535, ns timestamps when the kernel offers them. No default
 * filter (the port filter applies after decoding). Files and live capture cannot be mixed. */
nta_status cap_reader_open_live(cap_reader *r, const char *iface, const char *bpf, nta_diag *err);
/* Makes a blocking live read return CAP_NEXT_END soon (async-signal-safe: call from SIGINT).
 * Also ends file reading at the next record (Ctrl-C on a long file still gets a summary). */
void cap_reader_interrupt(cap_reader *r);

cap_next_status cap_reader_next(cap_reader *r, cap_datagram *out, nta_diag *err);

/* What the capture layer knows about a datagram, applied to the verdict of its NTP bytes: an
 * unusable datagram is malformed with the capture's reason, an inconsistency of the outer lengths
 * is added to the reason. ntpauth-analyze and the Wireshark plugin both call this, so one rule
 * holds in both. */
void cap_note_verdict(const char *note, bool unusable, nta_verify_result *vr);
/* The note's part of that: `note` (if any) appended to the reason text in `reason`. */
void cap_note_append(const char *note, char *reason, size_t size);

/* Decodes one link-layer frame on its own (no reassembly) as the reader would, for tools that
 * read frames themselves (the Wireshark plugin). `linktype` is the pcap LINKTYPE_ value.
 * Returns CAP_FRAME_DATAGRAM with *out filled (frame, ts and file left alone) for a UDP datagram
 * to or from `port`, CAP_FRAME_FRAGMENT for an IP fragment (the reader reassembles those),
 * CAP_FRAME_NONE otherwise. */
typedef enum { CAP_FRAME_NONE = 0, CAP_FRAME_DATAGRAM, CAP_FRAME_FRAGMENT } cap_frame_kind;
cap_frame_kind cap_decode_frame(uint32_t linktype, const uint8_t *data, uint32_t caplen,
                                uint32_t wirelen, uint16_t port, cap_datagram *out);
/* Fragments of datagrams that never complete, for tools that read frames themselves: the
 * reader's reassembly (same policy, same bounds) fed frame by frame. Feed every IP fragment
 * (cap_decode_frame said CAP_FRAME_FRAGMENT) in frame order; cap_frag_tracker_next then hands out
 * what the reader would deliver for them: unusable datagrams (frame, time, endpoints from the
 * offset-0 fragment, a note saying which bytes arrived) to or from `port`, as soon as a datagram
 * can no longer complete, and for every datagram still pending after cap_frag_tracker_finish.
 * The note is valid until the next call. */
typedef struct cap_frag_tracker cap_frag_tracker;
cap_frag_tracker *cap_frag_tracker_create(uint16_t port);
void cap_frag_tracker_destroy(cap_frag_tracker *t);
void cap_frag_tracker_add(cap_frag_tracker *t, uint32_t linktype, const uint8_t *data,
                          uint32_t caplen, uint32_t wirelen, uint64_t frame, int64_t ts_sec,
                          uint32_t ts_nsec);
void cap_frag_tracker_finish(cap_frag_tracker *t);
bool cap_frag_tracker_next(cap_frag_tracker *t, cap_datagram *out);

/* Bytes consumed so far over all inputs, and the total size of all inputs when every one is a
 * regular file (else *total = 0: unknown, e.g. stdin or live). For a progress display. */
void cap_reader_progress(const cap_reader *r, uint64_t *done, uint64_t *total);
const cap_stats *cap_reader_stats(const cap_reader *r);

#endif
