/* decode.c - from a link-layer frame to a UDP datagram on one of the selected ports.
 *
 * Every header is read through the bounds-checked ntpauth/bytes.h reader. Lengths come from the
 * headers (wire) and from what the snap length left (captured), so a cut packet is still
 * delivered with captured_len < wire_len and the core can call it truncated. Checksums are not
 * checked: loopback captures carry partial checksums (offload), which are not errors. */
#include "capture_internal.h"

#include <stdio.h>
#include <string.h>

#include "ntpauth/bytes.h"

/* Link types (LINKTYPE_* values as stored in files; DLT_RAW is 12 or 14 depending on the OS). */
enum {
  LT_NULL = 0,
  LT_EN10MB = 1,
  LT_RAW_BSD = 12,
  LT_RAW_OPENBSD = 14,
  LT_RAW = 101,
  LT_LOOP = 108,
  LT_LINUX_SLL = 113,
  LT_IPV4 = 228,
  LT_IPV6 = 229,
  LT_LINUX_SLL2 = 276,
};

enum { ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_VLAN = 0x8100, ETH_QINQ = 0x88a8,
       ETH_QINQ_OLD = 0x9100 };
enum { IPPROTO_HOPOPTS_ = 0, IPPROTO_TCP_ = 6, IPPROTO_UDP_ = 17, IPPROTO_ROUTING_ = 43, IPPROTO_FRAGMENT_ = 44,
       IPPROTO_AH_ = 51, IPPROTO_DSTOPTS_ = 60 };

#define MAX_VLAN_TAGS 8
#define MAX_IPV6_EXT_HEADERS 16

typedef struct {
  cap_decoder *d;
  const cap_record *rec;
  cap_datagram *out;
} ctx;

static inline bool port_selected(const cap_decoder *d, uint16_t port) {
  return (d->port_map[port >> 3] >> (port & 7)) & 1;
}

static bool undecodable(ctx *c) {
  c->d->undecodable++;
  return false;
}

static void set_endpoint(nta_endpoint *ep, uint8_t family, const uint8_t *addr) {
  memset(ep, 0, sizeof *ep);
  ep->family = family;
  memcpy(ep->addr, addr, family == 4 ? 4 : 16);
}

/* `udp` holds `caplen` captured bytes of an IP payload that is `wirelen` bytes on the wire. */
static bool decode_udp(ctx *c, uint8_t family, const uint8_t *src, const uint8_t *dst,
                       const uint8_t *udp, uint32_t caplen, uint32_t wirelen, bool reassembled) {
  nta_reader r;
  nta_rd_init(&r, udp, caplen);
  uint16_t sport = nta_rd_u16(&r), dport = nta_rd_u16(&r), ulen = nta_rd_u16(&r);
  nta_rd_skip(&r, 2);
  if (r.err) return undecodable(c);
  if (!port_selected(c->d, sport) && !port_selected(c->d, dport)) return false;
  cap_datagram *o = c->out;
  set_endpoint(&o->src, family, src);
  set_endpoint(&o->dst, family, dst);
  o->src.port = sport;
  o->dst.port = dport;
  o->payload = udp + 8;
  o->reassembled = reassembled;
  o->note = NULL;
  o->unusable = false;
  if (ulen < 8) {
    /* Nothing can be read as NTP, but the datagram went to the port: it gets a line. */
    o->wire_len = o->captured_len = 0;
    o->proto = IPPROTO_UDP_;
    o->unusable = true;
    o->note = "UDP length below the 8-byte UDP header";
    return true;
  }
  if (ulen > wirelen) {
    /* The IP layer says what was sent; a longer UDP length is wrong, not a cut capture. The
     * IP payload is read (as Wireshark does) and the reason tells. */
    ulen = (uint16_t)wirelen;
    o->note = "UDP length exceeds the IP payload; the IP payload was read";
  }
  o->wire_len = (uint32_t)ulen - 8;
  uint32_t have = caplen - 8;
  o->captured_len = have < o->wire_len ? have : o->wire_len;
  o->reassembled = reassembled;
  o->proto = IPPROTO_UDP_;
  return true;
}

/* A TCP segment on one of the TCP ports (NTS-KE): `tcp` holds `caplen` captured bytes of the
 * `wirelen`-byte IP payload. Only what was captured is delivered. */
static bool decode_tcp(ctx *c, uint8_t family, const uint8_t *src, const uint8_t *dst,
                       const uint8_t *tcp, uint32_t caplen, uint32_t wirelen) {
  if (!c->d->any_tcp) return false;
  nta_reader r;
  nta_rd_init(&r, tcp, caplen);
  uint16_t sport = nta_rd_u16(&r), dport = nta_rd_u16(&r);
  uint32_t seq = nta_rd_u32(&r);
  nta_rd_skip(&r, 4);
  uint8_t doff = nta_rd_u8(&r), flags = nta_rd_u8(&r);
  if (r.err) return undecodable(c);
  const uint8_t *map = c->d->tcp_port_map;
  if (!((map[sport >> 3] >> (sport & 7)) & 1) && !((map[dport >> 3] >> (dport & 7)) & 1))
    return false;
  uint32_t hlen = (uint32_t)(doff >> 4) * 4;
  if (hlen < 20 || hlen > caplen || hlen > wirelen) return undecodable(c);
  cap_datagram *o = c->out;
  set_endpoint(&o->src, family, src);
  set_endpoint(&o->dst, family, dst);
  o->src.port = sport;
  o->dst.port = dport;
  o->payload = tcp + hlen;
  o->captured_len = o->wire_len = caplen - hlen;
  o->reassembled = false;
  o->proto = IPPROTO_TCP_;
  o->tcp_flags = flags;
  o->tcp_seq = seq;
  o->note = NULL;
  o->unusable = false;
  return true;
}

/* Stamps a fragment with its frame for the table; false when there is none (cap_decode_frame:
 * fragments are only noted). */
static bool for_table(ctx *c, cap_fragment *f) {
  if (!c->d->reasm) {
    c->d->saw_fragment = true;
    return false;
  }
  f->ts_sec = c->rec->ts_sec;
  f->ts_nsec = c->rec->ts_nsec;
  f->frame = c->rec->frame;
  return true;
}

static bool add_fragment(ctx *c, cap_fragment *f, cap_reassembled *res) {
  if (!for_table(c, f) || !cap_reasm_add(c->d->reasm, f, res)) return false;
  c->d->reassembled++;
  return true;
}

/* A fragment the snap length cut: Wireshark 4.0 reassembles only whole fragments. A cut first
 * fragment is read on its own, as the start of its datagram (the UDP length says how long that
 * was); a cut later fragment joins its datagram's frames without bytes, so the datagram cannot
 * complete and each of its fragments gets a line (see reasm.c). */
static bool cut_fragment(ctx *c, cap_fragment *f) {
  if (f->offset == 0) {
    if (f->proto != IPPROTO_UDP_) return false;
    uint8_t family = f->family;
    if (!decode_udp(c, family, f->src, f->dst, f->data, f->caplen, CAP_REASM_MAX_BYTES, false))
      return false;
    c->out->note = "first fragment cut by the snap length: read on its own, not reassembled";
    return true;
  }
  if (for_table(c, f)) cap_reasm_note_cut(c->d->reasm, f);
  return false;
}

static bool decode_ipv4(ctx *c, const uint8_t *p, uint32_t caplen) {
  nta_reader r;
  nta_rd_init(&r, p, caplen);
  uint8_t vhl = nta_rd_u8(&r);
  nta_rd_skip(&r, 1);
  uint32_t total = nta_rd_u16(&r);
  uint32_t id = nta_rd_u16(&r);
  uint16_t frag = nta_rd_u16(&r);
  nta_rd_skip(&r, 1);
  uint8_t proto = nta_rd_u8(&r);
  if (r.err || (vhl >> 4) != 4) return undecodable(c);
  uint32_t ihl = (uint32_t)(vhl & 0x0f) * 4;
  if (ihl < 20 || ihl > caplen) return undecodable(c);
  const uint8_t *src = p + 12, *dst = p + 16;
  /* Total length 0 appears in captures of TSO/GSO output: trust the captured length then. */
  if (total == 0) total = caplen;
  if (total < ihl) return undecodable(c);
  if (proto == IPPROTO_TCP_ && !(frag & 0x3fff)) {
    uint32_t th = (caplen < total ? caplen : total) - ihl;
    return decode_tcp(c, 4, src, dst, p + ihl, th, total - ihl);
  }
  if (proto != IPPROTO_UDP_) return false;
  uint32_t wire = total - ihl;
  uint32_t have = (caplen < total ? caplen : total) - ihl;  /* trims link-layer padding */
  bool more = (frag & 0x2000) != 0;
  uint32_t offset = (uint32_t)(frag & 0x1fff) * 8;
  if (more || offset) {
    cap_fragment f = {.family = 4, .src = src, .dst = dst, .id = id, .proto = proto,
                      .offset = offset, .more = more, .data = p + ihl, .caplen = have,
                      .wirelen = wire};
    if (have < wire) return cut_fragment(c, &f);
    cap_reassembled res;
    if (!add_fragment(c, &f, &res)) return false;
    return decode_udp(c, 4, src, dst, res.data, res.caplen, res.wirelen, true);
  }
  return decode_udp(c, 4, src, dst, p + ihl, have, wire, false);
}

/* Walks IPv6 extension headers from `nh` over `data` (captured `have` of `wire` bytes). */
static bool walk_ipv6(ctx *c, const uint8_t *src, const uint8_t *dst, uint8_t nh,
                      const uint8_t *data, uint32_t have, uint32_t wire, bool reassembled) {
  uint32_t off = 0;
  for (int i = 0; i < MAX_IPV6_EXT_HEADERS; i++) {
    nta_reader r;
    nta_rd_init(&r, data + off, have - off);
    switch (nh) {
    case IPPROTO_UDP_:
      return decode_udp(c, 6, src, dst, data + off, have - off, wire - off, reassembled);
    case IPPROTO_TCP_:
      return !reassembled && decode_tcp(c, 6, src, dst, data + off, have - off, wire - off);
    case IPPROTO_HOPOPTS_:
    case IPPROTO_ROUTING_:
    case IPPROTO_DSTOPTS_:
    case IPPROTO_AH_: {
      uint8_t next = nta_rd_u8(&r);
      uint32_t hlen = nta_rd_u8(&r);
      if (r.err) return undecodable(c);
      hlen = nh == IPPROTO_AH_ ? (hlen + 2) * 4 : (hlen + 1) * 8;
      if (hlen > have - off) return undecodable(c);
      off += hlen;
      nh = next;
      break;
    }
    case IPPROTO_FRAGMENT_: {
      uint8_t next = nta_rd_u8(&r);
      nta_rd_skip(&r, 1);
      uint16_t fo = nta_rd_u16(&r);
      uint32_t id = nta_rd_u32(&r);
      if (r.err || reassembled) return undecodable(c);
      off += 8;
      uint32_t offset = fo & 0xfff8u;
      bool more = (fo & 1) != 0;
      if (offset == 0 && !more) {  /* atomic fragment (RFC 6946): nothing to reassemble */
        nh = next;
        break;
      }
      /* Every fragment names the first header of the fragmentable part: reassemble only what
       * can lead to UDP, so TCP or ESP fragments take no table space. */
      if (next != IPPROTO_UDP_ && next != IPPROTO_DSTOPTS_ && next != IPPROTO_ROUTING_ &&
          next != IPPROTO_AH_)
        return false;
      cap_fragment f = {.family = 6, .src = src, .dst = dst, .id = id, .proto = next,
                        .offset = offset, .more = more, .data = data + off,
                        .caplen = have - off, .wirelen = wire - off};
      /* Cut by the snap length: Wireshark 4.0 neither reassembles it nor, unlike IPv4, reads a
       * cut first fragment on its own; its datagram stays incomplete. */
      if (f.caplen < f.wirelen) {
        if (for_table(c, &f)) cap_reasm_note_cut(c->d->reasm, &f);
        return false;
      }
      cap_reassembled res;
      if (!add_fragment(c, &f, &res)) return false;
      return walk_ipv6(c, src, dst, res.proto, res.data, res.caplen, res.wirelen, true);
    }
    default:
      return false;  /* ESP, no next header, TCP, ICMPv6, ...: no UDP to find */
    }
    if (off > wire) return undecodable(c);
  }
  return undecodable(c);
}

static bool decode_ipv6(ctx *c, const uint8_t *p, uint32_t caplen) {
  nta_reader r;
  nta_rd_init(&r, p, caplen);
  uint32_t vtf = nta_rd_u32(&r);
  uint32_t plen = nta_rd_u16(&r);
  uint8_t nh = nta_rd_u8(&r);
  nta_rd_skip(&r, 33);
  if (r.err || (vtf >> 28) != 6) return undecodable(c);
  if (plen == 0) return undecodable(c);  /* jumbogram: not NTP */
  uint32_t have = caplen - 40;
  if (have > plen) have = plen;  /* trims link-layer padding */
  return walk_ipv6(c, p + 8, p + 24, nh, p + 40, have, plen, false);
}

static bool decode_by_version(ctx *c, const uint8_t *p, uint32_t len) {
  if (len < 1) return undecodable(c);
  switch (p[0] >> 4) {
  case 4: return decode_ipv4(c, p, len);
  case 6: return decode_ipv6(c, p, len);
  default: return undecodable(c);
  }
}

static bool decode_ethertype(ctx *c, uint16_t type, const uint8_t *p, uint32_t len) {
  if (type == ETH_IPV4) return decode_ipv4(c, p, len);
  if (type == ETH_IPV6) return decode_ipv6(c, p, len);
  return false;  /* ARP, LLDP, ...: not IP, not an error */
}

/* Skips stacked 802.1Q / 802.1ad tags; `r` is at the type field. */
static bool skip_vlan_tags(nta_reader *r, uint16_t *type) {
  *type = nta_rd_u16(r);
  for (int i = 0; i < MAX_VLAN_TAGS; i++) {
    if (*type != ETH_VLAN && *type != ETH_QINQ && *type != ETH_QINQ_OLD) return !r->err;
    nta_rd_skip(r, 2);  /* TCI */
    *type = nta_rd_u16(r);
  }
  return false;
}

static bool decode_null(ctx *c, const uint8_t *p, uint32_t len, bool network_order) {
  if (len < 4) return undecodable(c);
  uint32_t af;
  if (network_order) {
    af = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
  } else {
    /* Host byte order of the capturing machine: small values tell which it was. */
    af = ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
    if (af > 0xffff) af = __builtin_bswap32(af);
  }
  switch (af) {
  case 2: return decode_ipv4(c, p + 4, len - 4);
  case 24: case 28: case 30: return decode_ipv6(c, p + 4, len - 4);  /* BSDs, macOS */
  default: return false;
  }
}

bool cap_decode(cap_decoder *d, const cap_record *rec, cap_datagram *out) {
  ctx c = {.d = d, .rec = rec, .out = out};
  const uint8_t *p = rec->data;
  uint32_t len = rec->caplen;
  nta_reader r;
  nta_rd_init(&r, p, len);
  uint16_t type;
  switch (rec->linktype) {
  case LT_EN10MB:
    nta_rd_skip(&r, 12);
    if (!skip_vlan_tags(&r, &type)) return undecodable(&c);
    return decode_ethertype(&c, type, p + r.off, len - (uint32_t)r.off);
  case LT_LINUX_SLL:
    nta_rd_skip(&r, 14);
    if (!skip_vlan_tags(&r, &type)) return undecodable(&c);
    return decode_ethertype(&c, type, p + r.off, len - (uint32_t)r.off);
  case LT_LINUX_SLL2:
    type = nta_rd_u16(&r);
    nta_rd_skip(&r, 18);
    if (r.err) return undecodable(&c);
    if (type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD) {
      nta_rd_skip(&r, 2);
      if (!skip_vlan_tags(&r, &type)) return undecodable(&c);
    }
    return decode_ethertype(&c, type, p + r.off, len - (uint32_t)r.off);
  case LT_RAW:
  case LT_RAW_BSD:
  case LT_RAW_OPENBSD:
    return decode_by_version(&c, p, len);
  case LT_IPV4: return decode_ipv4(&c, p, len);
  case LT_IPV6: return decode_ipv6(&c, p, len);
  case LT_NULL: return decode_null(&c, p, len, false);
  case LT_LOOP: return decode_null(&c, p, len, true);
  default: return undecodable(&c);
  }
}

cap_frame_kind cap_decode_frame(uint32_t linktype, const uint8_t *data, uint32_t caplen,
                                uint32_t wirelen, uint16_t port, cap_datagram *out) {
  cap_decoder d;
  memset(&d, 0, sizeof d);   /* no reassembly table: fragments are only noted */
  d.port_map[port >> 3] |= (uint8_t)(1u << (port & 7));
  cap_record rec = {.linktype = linktype, .data = data, .caplen = caplen,
                    .wirelen = wirelen < caplen ? caplen : wirelen};
  if (cap_decode(&d, &rec, out)) return CAP_FRAME_DATAGRAM;
  return d.saw_fragment ? CAP_FRAME_FRAGMENT : CAP_FRAME_NONE;
}

bool cap_decode_unfinished(cap_decoder *d, cap_datagram *out, char *note, size_t note_len) {
  static const uint8_t nothing[1];
  cap_unfinished u;
  while (d->reasm && cap_reasm_next_unfinished(d->reasm, &u)) {
    if (!port_selected(d, u.sport) && !port_selected(d, u.dport)) continue;
    memset(out, 0, sizeof *out);
    out->frame = u.frame;
    out->ts_sec = u.ts_sec;
    out->ts_nsec = u.ts_nsec;
    set_endpoint(&out->src, u.family, u.src);
    set_endpoint(&out->dst, u.family, u.dst);
    out->src.port = u.sport;
    out->dst.port = u.dport;
    out->payload = nothing;
    out->proto = IPPROTO_UDP_;
    out->unusable = true;
    snprintf(note, note_len, "%s", u.note);
    out->note = note;
    return true;
  }
  return false;
}

void cap_note_verdict(const char *note, bool unusable, nta_verify_result *vr) {
  if (unusable) {
    vr->verdict = NTA_V_MALFORMED;
    snprintf(vr->reason, sizeof vr->reason, "%s", note ? note : "unreadable datagram");
    return;
  }
  cap_note_append(note, vr->reason, sizeof vr->reason);
}

void cap_note_append(const char *note, char *reason, size_t size) {
  if (!note || !size) return;
  size_t n = strnlen(reason, size);
  if (n < size - 1) snprintf(reason + n, size - n, "%s%s", n ? "; " : "", note);
}
