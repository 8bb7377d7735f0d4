/* ntpauth/packet.h - decoding NTP packets (modes 1-5 and mode 6) from a byte buffer.
 *
 * No allocation: the caller owns an nta_packet and the bytes it was parsed from. The parser reads
 * through bytes.h only. It does not decide which key is used: because real traffic breaks the
 * RFC 7822 rule (chrony's full-length NTPv3 MACs, ntpdig's full-length NTPv4 MACs, key IDs whose
 * low 16 bits look like an EF length), it lists every plausible way to split the trailer
 * (extension fields + key ID + digest) and verify.h picks the split a configured key explains. */
#ifndef NTPAUTH_PACKET_H
#define NTPAUTH_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTA_HEADER_LEN 48
#define NTA_CTL_HEADER_LEN 12      /* mode 6 */
#define NTA_MAX_EFS 16             /* EFs remembered along the walk (more -> malformed) */
#define NTA_MAX_SPLITS 8
#define NTA_MAX_DIGEST 64          /* SHA512 */
#define NTA_REASON_MAX 160

enum { NTA_MODE_RESERVED = 0, NTA_MODE_ACTIVE = 1, NTA_MODE_PASSIVE = 2, NTA_MODE_CLIENT = 3,
       NTA_MODE_SERVER = 4, NTA_MODE_BROADCAST = 5, NTA_MODE_CONTROL = 6, NTA_MODE_PRIVATE = 7 };

/* What the bytes after the header/data are under one reading. */
typedef enum {
  NTA_TRAILER_NONE = 0,    /* nothing after the header / EFs */
  NTA_TRAILER_MAC,         /* key ID + digest */
  NTA_TRAILER_CRYPTO_NAK,  /* exactly 4 zero bytes right after the 48-byte header */
  NTA_TRAILER_MSSNTP,      /* NTPv3 20-byte trailer: non-zero RID (little-endian) + 16 zero bytes */
  NTA_TRAILER_MSSNTP_EXT   /* NTPv3 72-byte MS-SNTP "extended" trailer */
} nta_trailer_kind;

typedef struct {
  uint16_t type;
  uint16_t length;   /* whole field incl. 4-byte header and padding */
  uint32_t offset;   /* from the start of the NTP packet */
} nta_ef;

/* One reading of the bytes after the fixed header. Splits of the same packet share the EF walk:
 * split s uses efs[0 .. s.n_efs). */
typedef struct {
  nta_trailer_kind kind;
  uint8_t n_efs;
  bool rfc7822;          /* this is the reading RFC 7822 (and chrony) prescribes */
  uint32_t mac_offset;   /* offset of the key ID = length of the MAC'd data; for NONE: packet length */
  uint32_t key_id;       /* MAC: big-endian key ID. MS-SNTP: the RID read little-endian */
  uint16_t digest_len;   /* bytes after the key ID (0 for crypto-NAK) */
} nta_split;

typedef enum {
  NTA_PKT_OK = 0,
  NTA_PKT_MALFORMED     /* see reason; still carries the header fields if they were captured */
} nta_pkt_state;

typedef struct {
  /* Lengths: what the buffer holds vs what was on the wire (UDP payload length). */
  uint32_t captured_len;
  uint32_t wire_len;

  nta_pkt_state state;
  char reason[NTA_REASON_MAX];  /* for MALFORMED: starts with "truncated" when the capture was cut */
  bool header_ok;               /* the fixed header (48 or 12 bytes) was fully captured */

  uint8_t li, version, mode;

  /* Modes 1-5 (and 0). */
  uint8_t stratum;
  int8_t poll, precision;
  uint32_t root_delay, root_dispersion; /* NTP short format 16.16 */
  uint32_t refid;
  uint64_t ref_ts, org_ts, rec_ts, xmt_ts; /* NTP 32.32 */

  /* Mode 6 (control). */
  struct {
    bool response, error, more;
    uint8_t opcode;
    uint16_t sequence, status, assoc_id, offset, count; /* count = data bytes */
  } ctl;

  /* EF walk and trailer readings. */
  nta_ef efs[NTA_MAX_EFS];
  uint8_t n_efs;          /* EFs found along the longest walk */
  nta_split splits[NTA_MAX_SPLITS];
  uint8_t n_splits;
  int8_t primary;         /* index of the RFC 7822 reading (or the only one); -1 when none is valid */
  bool ambiguous;         /* more than one split */
  bool has_nts;           /* an NTS EF type (0x0104/0x0204/0x0304/0x0404) is present */
} nta_packet;

/* Parses `captured` bytes of an NTP message whose UDP payload was `wire_len` bytes long
 * (wire_len >= captured; pass captured when unknown). Always fills `out`; returns its state.
 * A short capture gives MALFORMED with reason "truncated: captured X of Y bytes". */
nta_pkt_state nta_packet_parse(const uint8_t *buf, size_t captured, size_t wire_len,
                               nta_packet *out);

/* Convenience: a split's digest bytes inside `buf` (the buffer given to nta_packet_parse). */
static inline const uint8_t *nta_split_digest(const nta_split *s, const uint8_t *buf) {
  return buf + s->mac_offset + 4;
}

/* Names and helpers for display. */
const char *nta_mode_name(uint8_t mode);              /* "client", "server", "control", ... */
const char *nta_trailer_kind_name(nta_trailer_kind k);
/* True when stratum 0 with an ASCII kiss code (LI 3 not required). Fills code[5]. */
bool nta_packet_kiss_code(const nta_packet *p, char code[5]);
/* Formats the reference ID: kiss code / clock name at stratum 0/1, dotted IPv4 (or hex) above. */
void nta_refid_format(const nta_packet *p, char *out, size_t outlen);
/* NTP 32.32 timestamp <-> seconds since 1900 as double. */
double nta_ts_to_double(uint64_t ts);
/* Unix time (seconds, nanoseconds) -> NTP 32.32 (era 0 wraps as NTP does). */
uint64_t nta_ts_from_unix(int64_t sec, uint32_t nsec);
/* NTP 32.32 -> Unix seconds as double, resolving the era around `pivot_unix` (0 = now-agnostic 1968-2104). */
double nta_ts_to_unix(uint64_t ts);

#endif
