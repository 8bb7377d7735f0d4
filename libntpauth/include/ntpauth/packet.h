/* ntpauth/packet.h - decoding NTP packets (modes 1-5 and mode 6) from a byte buffer.
 *
 * No allocation: the caller owns an nta_packet and the bytes it was parsed from. The parser reads
 * through bytes.h only. It does not decide which key is used: because real traffic breaks the
 * RFC 7822 rule (chrony's full-length NTPv3 MACs, ntpdig's full-length NTPv4 MACs, key IDs whose
 * low 16 bits look like an EF length), it lists every plausible way to split the trailer
 * (extension fields + key ID + digest) and verify.h picks the split a configured key explains.
 *
 * Readings listed (RFC 5905 section 7.5, RFC 7822 section 7, and what ntpd, ntpsec and chrony
 * actually send; see docs/trailer-readings.md):
 *  - Modes 0-5 need >= 48 bytes and a length that is a multiple of 4 (chrony's rule), VN 1-4.
 *  - Any version: exactly 4 zero bytes after the header = CRYPTO_NAK.
 *  - NTPv1-3: one reading, the whole trailer = key ID + digest (any digest length >= 0), except
 *    v3 MS-SNTP: a 20-byte trailer with non-zero key word and 16 zero bytes (MSSNTP) or any
 *    72-byte trailer (MSSNTP_EXT).
 *  - NTPv4: the RFC 7822 walk (remaining 0 = done, 20/24 = MAC, more = an EF of >= 16 bytes).
 *    Wherever the rest could be key ID + an untruncated 28/32/48/64-byte digest, that MAC reading
 *    is listed too (rfc7822 = false), before the walk goes on with the EF; this is what Wireshark
 *    4.0 misses for SHA384 with key 20 and SHA512 with key 32. A walk ending after an EF shorter
 *    than 28 bytes with no MAC (e.g. EF16 alone) is listed as NONE with rfc7822 = false.
 *  - Mode 6: the authenticator after the data padded to 8 (preferred, RFC 1305 layout), padded
 *    to 4, or at offset 12 (error replies / count 0); each only if what follows is 0 bytes or
 *    key ID + 16/20/28/32/48/64 bytes. Padding content is never checked.
 *  - Mode 7 (private): only LI/VN/mode are decoded; no split (n_splits 0, primary -1), never
 *    malformed, whatever the length: verify reports it as not checked. */
#ifndef NTPAUTH_PACKET_H
#define NTPAUTH_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTA_HEADER_LEN 48
#define NTA_NTP_UNIX_OFFSET 2208988800LL  /* seconds from 1900-01-01 (NTP era 0) to 1970-01-01 */
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
  NTA_TRAILER_MSSNTP_EXT   /* NTPv3 72-byte MS-SNTP "extended" trailer (digest_len 68) */
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
  bool rfc7822;          /* the reading RFC 7822 (and chrony) prescribes; v1-3: the only reading;
                            mode 6: the preferred layout (8-aligned, else the first that fits) */
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
  /* For MALFORMED: why; starts with "truncated" when the capture was cut. For OK with
   * primary == -1 (splits exist, none is the RFC 7822 reading): why the RFC walk failed, e.g.
   * "extension field at offset 48 has length 1 (< 16)". Empty otherwise. */
  char reason[NTA_REASON_MAX];
  bool header_ok;               /* the fixed header (48 or 12 bytes) was fully captured and
                                   decoded (mode 7: the first byte, the only one decoded) */

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
  uint8_t n_efs;          /* EFs found along the (single) walk, also past a point where a
                             long-MAC reading branched off; more than NTA_MAX_EFS -> malformed */
  nta_split splits[NTA_MAX_SPLITS];  /* in walk order (smallest mac_offset first, mode 6: by
                                        preference); no two equal */
  uint8_t n_splits;       /* 0 -> MALFORMED (except mode 7) */
  int8_t primary;         /* index of the split with rfc7822 set; -1 when there is none (mode 7,
                             malformed, or only non-RFC readings such as a full-length v4 MAC) */
  bool ambiguous;         /* more than one split */
  bool has_nts;           /* an NTS EF type (0x0104/0x0204/0x0304/0x0404) was walked */
} nta_packet;

/* Parses `captured` bytes of an NTP message whose UDP payload was `wire_len` bytes long
 * (wire_len >= captured; pass captured when unknown; a smaller value is taken as captured).
 * Always fills `out`; returns its state. A short capture gives MALFORMED with reason
 * "truncated: captured X of Y bytes" and no splits, but the header fields that were captured
 * are decoded. `buf` may be NULL only with captured == 0. */
nta_pkt_state nta_packet_parse(const uint8_t *buf, size_t captured, size_t wire_len,
                               nta_packet *out);

/* The fields of a mode 0-5 header (RFC 5905 section 7.3), for building one. */
typedef struct {
  uint8_t li, version, mode, stratum;
  int8_t poll, precision;
  uint32_t root_delay, root_dispersion;  /* NTP short format 16.16 */
  uint32_t refid;
  uint64_t ref_ts, org_ts, rec_ts, xmt_ts;  /* NTP 32.32 */
} nta_header;

/* Writes h as the 48-byte wire header at the start of buf (LI, VN and mode masked to their
 * bits). Returns NTA_HEADER_LEN, or 0 when cap is smaller. */
size_t nta_header_write(const nta_header *h, uint8_t *buf, size_t cap);

/* Convenience: a split's digest bytes inside `buf` (the buffer given to nta_packet_parse). */
static inline const uint8_t *nta_split_digest(const nta_split *s, const uint8_t *buf) {
  return buf + s->mac_offset + 4;
}

/* Names and helpers for display. */
/* "reserved", "symmetric active", "symmetric passive", "client", "server", "broadcast",
 * "control", "private"; "invalid" above 7. */
const char *nta_mode_name(uint8_t mode);
/* "none", "mac", "crypto_nak", "mssntp", "mssntp_ext". */
const char *nta_trailer_kind_name(nta_trailer_kind k);
/* True when a decoded mode 0-5 header has stratum 0 and a refid of 1-4 printable ASCII characters
 * (no space) followed only by NULs (LI 3 not required; refid 0 is a plain request, not a kiss).
 * Fills code[5] with the NUL-terminated code ("" when false). */
bool nta_packet_kiss_code(const nta_packet *p, char code[5]);
/* The same test on a stratum and reference ID alone. */
bool nta_kiss_code(uint8_t stratum, uint32_t refid, char code[5]);
/* Formats the reference ID into out (always NUL-terminated, cut to outlen): at stratum 0/1 the
 * kiss code / clock name with trailing NULs stripped and other non-printables and '\' escaped as
 * \xHH; above, dotted IPv4 (for IPv6 upstreams that is the MD5 hash, shown the same way).
 * Empty for mode 6/7 or when the header was not captured. */
void nta_refid_format(const nta_packet *p, char *out, size_t outlen);
/* NTP 32.32 timestamp -> seconds since the start of its era (1900 for era 0) as double. */
double nta_ts_to_double(uint64_t ts);
/* Unix time (seconds, nanoseconds; nsec >= 1e9 carries) -> NTP 32.32, seconds wrapping per era
 * as NTP does (2036-02-07T06:28:16Z is 0); fraction rounded. */
uint64_t nta_ts_from_unix(int64_t sec, uint32_t nsec);
/* NTP 32.32 -> Unix seconds as double with the usual era rule: seconds with the top bit set are
 * era 0, clear are era 1, so results span 1968-01-20 .. 2104-02-26. An all-zero timestamp
 * ("unset") maps to 2036-02-07: check for 0 before calling. */
double nta_ts_to_unix(uint64_t ts);

#endif
