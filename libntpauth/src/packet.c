/* packet.c - decoding NTP messages and listing the plausible readings of their trailer.
 *
 * The fixed header is decoded field by field through bytes.h. What follows it is ambiguous on
 * the wire (there is no type or length in front of a legacy MAC), so instead of guessing once the
 * parser lists every reading real implementations produce (docs/trailer-readings.md):
 *   - NTPv1-3: the whole trailer is key ID + digest (chrony sends full-length digests in v3), with
 *     the crypto-NAK and MS-SNTP special cases;
 *   - NTPv4: the RFC 7822 walk (remaining 20/24 = MAC, more = an extension field), plus, at each
 *     step, a full-length long digest (ntpdig) that the RFC walk would misread as an EF;
 *   - mode 6: the authenticator after 8- or 4-byte padding, or right after the 12-byte header.
 * verify.c then takes the reading that a configured key explains. */
#include "ntpauth/packet.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ntpauth/bytes.h"

#define NTA_CRYPTO_NAK_LEN 4
#define NTA_KEY_ID_LEN 4
#define NTA_EF_MIN_LEN 16          /* RFC 7822 §3 */
#define NTA_EF_LAST_MIN_LEN 28     /* RFC 7822: the last EF when no MAC follows */
#define NTA_RFC_MAC_MAX 24         /* RFC 7822: the longest legacy MAC (key ID + 20) */
#define NTA_MSSNTP_LEN 20          /* key ID (RID) + 16 zero bytes */
#define NTA_MSSNTP_EXT_LEN 72      /* RID + flags + 64-byte signature */

/* ---------------------------------------------------------------------------------------------
 * Small helpers */

static void set_reason(nta_packet *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(nta_packet *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->reason, sizeof p->reason, fmt, ap);
  va_end(ap);
}

/* Records why one reading failed, keeping the first explanation (the deepest point the walk got
 * to is where it failed, and there is only one walk). */
static void note_failure(nta_packet *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_failure(nta_packet *p, const char *fmt, ...) {
  if (p->reason[0]) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->reason, sizeof p->reason, fmt, ap);
  va_end(ap);
}

static nta_pkt_state malformed(nta_packet *p) {
  p->state = NTA_PKT_MALFORMED;
  return p->state;
}

/* Digest lengths a MAC can have: 16 (MD5, CMAC), 20 (SHA1, any digest truncated by ntpd/ntpsec),
 * and the untruncated long digests chrony (v3) and ntpdig (v3 and v4) send. */
static bool is_long_digest_len(uint32_t n) {
  return n == 28 || n == 32 || n == 48 || n == 64;  /* SHA(3)-224, -256, -384, -512 */
}

static bool is_mac_digest_len(uint32_t n) {
  return n == 16 || n == 20 || is_long_digest_len(n);
}

static bool is_nts_ef_type(uint16_t type) {
  return type == 0x0104 || type == 0x0204 || type == 0x0304 || type == 0x0404;
}

/* Appends one reading. The split refers to the EFs walked so far. False when the table is full,
 * which makes the packet malformed (the caller cannot be shown every reading). */
static bool add_split(nta_packet *p, nta_trailer_kind kind, uint32_t mac_offset, uint32_t key_id,
                      uint16_t digest_len, bool rfc7822) {
  if (p->n_splits >= NTA_MAX_SPLITS) {
    set_reason(p, "more than %d possible trailer readings", NTA_MAX_SPLITS);
    p->state = NTA_PKT_MALFORMED;
    return false;
  }
  nta_split *s = &p->splits[p->n_splits++];
  s->kind = kind;
  s->n_efs = p->n_efs;
  s->rfc7822 = rfc7822;
  s->mac_offset = mac_offset;
  s->key_id = key_id;
  s->digest_len = digest_len;
  return true;
}

static bool add_mac_split(nta_packet *p, nta_reader *r, uint32_t mac_offset, uint32_t len,
                          bool rfc7822) {
  uint32_t key_id = nta_rd_peek_u32_at(r, mac_offset);
  return add_split(p, NTA_TRAILER_MAC, mac_offset, key_id,
                   (uint16_t)(len - mac_offset - NTA_KEY_ID_LEN), rfc7822);
}

static bool all_zero(nta_reader *r, uint32_t from, uint32_t n) {
  nta_reader z = *r;
  z.off = from;
  uint32_t acc = 0;
  for (uint32_t i = 0; i < n; i++) acc |= nta_rd_u8(&z);
  return !z.err && acc == 0;
}

static uint32_t read_u32_le_at(nta_reader *r, uint32_t at) {
  uint32_t be = nta_rd_peek_u32_at(r, at);
  return ((be & 0xffu) << 24) | ((be & 0xff00u) << 8) | ((be >> 8) & 0xff00u) | (be >> 24);
}

/* ---------------------------------------------------------------------------------------------
 * Modes 0-5: the 48-byte header */

static void decode_header(nta_packet *p, nta_reader *r) {
  nta_reader h = *r;
  h.off = 1;
  p->stratum = nta_rd_u8(&h);
  p->poll = (int8_t)nta_rd_u8(&h);
  p->precision = (int8_t)nta_rd_u8(&h);
  p->root_delay = nta_rd_u32(&h);
  p->root_dispersion = nta_rd_u32(&h);
  p->refid = nta_rd_u32(&h);
  p->ref_ts = nta_rd_u64(&h);
  p->org_ts = nta_rd_u64(&h);
  p->rec_ts = nta_rd_u64(&h);
  p->xmt_ts = nta_rd_u64(&h);
  p->header_ok = !h.err;
}

/* NTPv1-3: no extension fields, so everything after the header is the authenticator. */
static void split_legacy_trailer(nta_packet *p, nta_reader *r, uint32_t len) {
  uint32_t off = NTA_HEADER_LEN, rem = len - off;

  if (rem == 0) {
    add_split(p, NTA_TRAILER_NONE, len, 0, 0, true);
  } else if (rem < NTA_KEY_ID_LEN) {
    note_failure(p, "%u-byte trailer at offset %u is shorter than a key ID", rem, off);
  } else if (rem == NTA_CRYPTO_NAK_LEN && nta_rd_peek_u32_at(r, off) == 0) {
    add_split(p, NTA_TRAILER_CRYPTO_NAK, off, 0, 0, true);
  } else if (p->version == 3 && rem == NTA_MSSNTP_LEN && nta_rd_peek_u32_at(r, off) != 0 &&
             all_zero(r, off + NTA_KEY_ID_LEN, NTA_MSSNTP_LEN - NTA_KEY_ID_LEN)) {
    add_split(p, NTA_TRAILER_MSSNTP, off, read_u32_le_at(r, off),
              NTA_MSSNTP_LEN - NTA_KEY_ID_LEN, true);
  } else if (p->version == 3 && rem == NTA_MSSNTP_EXT_LEN) {
    add_split(p, NTA_TRAILER_MSSNTP_EXT, off, read_u32_le_at(r, off),
              NTA_MSSNTP_EXT_LEN - NTA_KEY_ID_LEN, true);
  } else if (rem - NTA_KEY_ID_LEN > UINT16_MAX) {
    note_failure(p, "%u-byte trailer at offset %u is too long for a MAC", rem, off);
  } else {
    add_mac_split(p, r, off, len, true);
  }
}

/* Checks the extension field at `off` (RFC 7822: length >= 16, a multiple of 4, inside the
 * packet) and records it. Returns its length, or 0 when it is not valid (reason noted). */
static uint16_t take_extension_field(nta_packet *p, nta_reader *r, uint32_t off, uint32_t rem) {
  uint32_t word = nta_rd_peek_u32_at(r, off);
  uint16_t type = (uint16_t)(word >> 16), ef_len = (uint16_t)word;
  if (ef_len < NTA_EF_MIN_LEN) {
    note_failure(p, "extension field at offset %u has length %u (< 16)", off, ef_len);
    return 0;
  }
  if (ef_len % 4 != 0) {
    note_failure(p, "extension field at offset %u has length %u (not a multiple of 4)", off,
                 ef_len);
    return 0;
  }
  if (ef_len > rem) {
    note_failure(p, "extension field at offset %u has length %u but only %u bytes are left", off,
                 ef_len, rem);
    return 0;
  }
  if (p->n_efs >= NTA_MAX_EFS) {
    set_reason(p, "more than %d extension fields (at offset %u)", NTA_MAX_EFS, off);
    p->state = NTA_PKT_MALFORMED;
    return 0;
  }
  p->efs[p->n_efs++] = (nta_ef){ .type = type, .length = ef_len, .offset = off };
  if (is_nts_ef_type(type)) p->has_nts = true;
  return ef_len;
}

/* NTPv4: the RFC 7822 walk, which chrony implements: remaining 0 = done, 20 or 24 = the MAC,
 * more = an extension field of at least 16 bytes. At each step where the rest could also be a
 * key ID + untruncated long digest, that reading is listed too (not RFC 7822: ntpdig sends it,
 * and a key ID whose low 16 bits are an EF length makes the RFC walk misread it, as Wireshark 4.0
 * does for SHA384 with key 20 and SHA512 with key 32). */
static void walk_v4_trailer(nta_packet *p, nta_reader *r, uint32_t len) {
  uint32_t off = NTA_HEADER_LEN;
  bool rfc_path = true;  /* false once an EF was taken where RFC 7822 reads a MAC or nothing */

  if (len - off == NTA_CRYPTO_NAK_LEN) {
    uint32_t word = nta_rd_peek_u32_at(r, off);
    if (word == 0)
      add_split(p, NTA_TRAILER_CRYPTO_NAK, off, 0, 0, true);
    else
      note_failure(p, "4-byte trailer at offset %u has non-zero key ID %u "
                   "(only a crypto-NAK is 4 bytes)", off, word);
    return;
  }

  for (;;) {
    uint32_t rem = len - off;

    if (rem == 0) {
      bool last_ok = p->n_efs == 0 || p->efs[p->n_efs - 1].length >= NTA_EF_LAST_MIN_LEN;
      if (!last_ok)
        note_failure(p, "last extension field (offset %u, %u bytes) is shorter than %d bytes "
                     "and no MAC follows", p->efs[p->n_efs - 1].offset,
                     p->efs[p->n_efs - 1].length, NTA_EF_LAST_MIN_LEN);
      add_split(p, NTA_TRAILER_NONE, len, 0, 0, rfc_path && last_ok);
      return;
    }
    if (rem == NTA_KEY_ID_LEN + 16 || rem == NTA_KEY_ID_LEN + 20) {
      add_mac_split(p, r, off, len, rfc_path);
      return;
    }
    if (rem > NTA_RFC_MAC_MAX && is_long_digest_len(rem - NTA_KEY_ID_LEN)) {
      if (!add_mac_split(p, r, off, len, false)) return;
    }
    if (rem < NTA_EF_MIN_LEN) {
      note_failure(p, "%u bytes left at offset %u: neither an extension field (>= 16 bytes) "
                   "nor a MAC (20 or 24 bytes)", rem, off);
      return;
    }

    uint16_t ef_len = take_extension_field(p, r, off, rem);
    if (ef_len == 0) return;
    /* RFC 7822 (and chrony) read an EF only when more than 24 bytes remain. */
    if (rem <= NTA_RFC_MAC_MAX) rfc_path = false;
    off += ef_len;
  }
}

static nta_pkt_state parse_time_packet(nta_packet *p, nta_reader *r, uint32_t len) {
  if (len < NTA_HEADER_LEN) {
    set_reason(p, "packet of %u bytes is shorter than the %d-byte NTP header", len,
               NTA_HEADER_LEN);
    return malformed(p);
  }
  if (len % 4 != 0) {
    set_reason(p, "packet length %u is not a multiple of 4", len);
    return malformed(p);
  }
  if (p->version <= 3)
    split_legacy_trailer(p, r, len);
  else
    walk_v4_trailer(p, r, len);
  return p->state;
}

/* ---------------------------------------------------------------------------------------------
 * Mode 6: 12-byte control header, data, padding, optional key ID + MAC */

static void decode_ctl_header(nta_packet *p, nta_reader *r) {
  nta_reader h = *r;
  h.off = 1;
  uint8_t rem_op = nta_rd_u8(&h);
  p->ctl.response = (rem_op & 0x80) != 0;
  p->ctl.error = (rem_op & 0x40) != 0;
  p->ctl.more = (rem_op & 0x20) != 0;
  p->ctl.opcode = rem_op & 0x1f;
  p->ctl.sequence = nta_rd_u16(&h);
  p->ctl.status = nta_rd_u16(&h);
  p->ctl.assoc_id = nta_rd_u16(&h);
  p->ctl.offset = nta_rd_u16(&h);
  p->ctl.count = nta_rd_u16(&h);
  p->header_ok = !h.err;
}

/* Adds the reading with the authenticator (or nothing) at `at`, unless an equal one is listed. */
static void try_ctl_split(nta_packet *p, nta_reader *r, uint32_t at, uint32_t len, bool preferred) {
  if (at > len) return;
  uint32_t rem = len - at;
  bool none = rem == 0;
  if (!none && !(rem > NTA_KEY_ID_LEN && is_mac_digest_len(rem - NTA_KEY_ID_LEN))) return;
  for (uint8_t i = 0; i < p->n_splits; i++)
    if (p->splits[i].mac_offset == (none ? len : at)) return;
  if (none)
    add_split(p, NTA_TRAILER_NONE, len, 0, 0, preferred);
  else
    add_mac_split(p, r, at, len, preferred);
}

static nta_pkt_state parse_control(nta_packet *p, nta_reader *r, uint32_t len) {
  if (len < NTA_CTL_HEADER_LEN) {
    set_reason(p, "mode 6 message of %u bytes is shorter than the %d-byte control header", len,
               NTA_CTL_HEADER_LEN);
    return malformed(p);
  }
  uint32_t data_end = NTA_CTL_HEADER_LEN + (uint32_t)p->ctl.count;
  if (data_end > len) {
    set_reason(p, "mode 6 count %u runs past the end of the %u-byte message", p->ctl.count, len);
    return malformed(p);
  }
  /* Where the authenticator starts is not on the wire and implementations differ (ntpsec 1.2.2
   * pads to 8, older code to 4, error replies put it right after the header). Padding content is
   * never checked: ntpsec leaves stale bytes there. The first candidate is the RFC 1305 layout
   * (authenticator 64-bit aligned) and is the preferred reading. */
  uint32_t a8 = (data_end + 7) & ~7u, a4 = (data_end + 3) & ~3u;
  try_ctl_split(p, r, a8, len, true);
  if (len <= a8 && p->n_splits == 0) try_ctl_split(p, r, len, len, true);  /* unpadded, no MAC */
  try_ctl_split(p, r, a4, len, false);
  if (p->ctl.error || p->ctl.count == 0) try_ctl_split(p, r, NTA_CTL_HEADER_LEN, len, false);

  if (p->n_splits > 0 && !p->splits[0].rfc7822)
    p->splits[0].rfc7822 = true;  /* only non-preferred layouts fit: the first one stands in */
  if (p->n_splits == 0)
    note_failure(p, "mode 6: %u bytes after the data (offset %u) fit no padding + key ID + MAC "
                 "layout", len - data_end, data_end);
  return p->state;
}

/* ---------------------------------------------------------------------------------------------
 * Entry point */

static void finish(nta_packet *p) {
  p->primary = -1;
  for (uint8_t i = 0; i < p->n_splits; i++)
    if (p->splits[i].rfc7822) { p->primary = (int8_t)i; break; }
  p->ambiguous = p->n_splits > 1;
  if (p->state == NTA_PKT_MALFORMED) return;
  if (p->n_splits == 0) {
    if (!p->reason[0]) set_reason(p, "no valid trailer reading");
    p->state = NTA_PKT_MALFORMED;
  } else if (p->primary >= 0) {
    p->reason[0] = '\0';  /* a failed alternative is not news when the RFC reading exists */
  }
}

nta_pkt_state nta_packet_parse(const uint8_t *buf, size_t captured, size_t wire_len,
                               nta_packet *out) {
  memset(out, 0, sizeof *out);
  out->primary = -1;
  if (!buf) captured = 0;
  if (wire_len < captured) wire_len = captured;
  if (wire_len > UINT32_MAX) {
    out->captured_len = (uint32_t)(captured > UINT32_MAX ? UINT32_MAX : captured);
    out->wire_len = UINT32_MAX;
    set_reason(out, "packet of %zu bytes is too long", wire_len);
    return malformed(out);
  }
  out->captured_len = (uint32_t)captured;
  out->wire_len = (uint32_t)wire_len;

  if (captured == 0) {
    if (wire_len > 0)
      set_reason(out, "truncated: captured 0 of %zu bytes", wire_len);
    else
      set_reason(out, "empty packet");
    return malformed(out);
  }

  nta_reader r;
  nta_rd_init(&r, buf, captured);
  uint8_t first = nta_rd_u8(&r);
  out->li = first >> 6;
  out->version = (first >> 3) & 7;
  out->mode = first & 7;

  /* Mode 7 (ntpdc "private") has its own layout and no authentication we check: only the first
   * byte is decoded, no split is listed, and the packet is not malformed. */
  if (out->mode == NTA_MODE_PRIVATE) {
    out->header_ok = true;
    return out->state;
  }

  if (out->mode == NTA_MODE_CONTROL)
    decode_ctl_header(out, &r);
  else
    decode_header(out, &r);

  if (captured < wire_len) {
    set_reason(out, "truncated: captured %zu of %zu bytes", captured, wire_len);
    return malformed(out);
  }
  if (out->version == 0 || out->version > 4) {
    set_reason(out, "unsupported NTP version %u", out->version);
    return malformed(out);
  }

  uint32_t len = (uint32_t)captured;
  if (out->mode == NTA_MODE_CONTROL)
    parse_control(out, &r, len);
  else
    parse_time_packet(out, &r, len);
  finish(out);
  return out->state;
}
