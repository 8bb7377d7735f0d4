/* dissector/packet-ntpauth.c - "NTP Authentication": a postdissector that verifies NTP MACs.
 *
 * It runs after Wireshark's own NTP dissector, leaves that view alone, and adds a tree of its own.
 * The built-in dissector guesses the trailer layout from lengths alone and gets long MACs wrong
 * (SHA384 with key 20 or SHA512 with key 32 become a bogus extension field), so ntp.keyid and
 * ntp.mac are never used: the NTP bytes are re-parsed by libntpauth, which lists every plausible
 * reading of the trailer, and nta_verify() picks the one a configured key explains - the very
 * same call ntpauth-analyze makes, so both tools give the same verdict for a packet.
 *
 * Request/reply pairing and its findings (downgrade, key mismatch, ...) come from the core's
 * exchange module too. It needs packets in capture order, so it runs only on the first pass; its
 * per-frame results are kept in file-scoped maps for later passes (the GUI re-dissects a frame
 * whenever it is selected). Nothing here allocates with malloc per packet: all per-packet memory
 * is wmem packet or file scope. */
#define WS_LOG_DOMAIN "ntpauth"

#include <stdio.h>
#include <string.h>

#include <epan/address.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tap.h>
#include <wiretap/pcap-encap.h>
#include <wiretap/wtap.h>

#include "capture/reader.h"

#include "ntpauth/exchange.h"
#include "ntpauth/packet.h"
#include "ntpauth/verify.h"

#include "ntpauth-keys.h"
#include "ntpauth-nts.h"
#include "packet-ntpauth.h"

/* Pairing table bounds: the same as ntpauth-analyze's defaults so both report the same pairs. */
#define PAIRING_MAX_ENTRIES 32768
#define PAIRING_MAX_AGE_SEC 120

static int proto_ntpauth = -1;
static int proto_ntp = -1;         /* Wireshark's NTP protocol, looked up in the handoff */
static int proto_icmp = -1;
static int expert_tap_id = -1;     /* Wireshark's "expert" tap (tshark -z expert, Expert Info) */
static int proto_icmpv6 = -1;
static int hf_udp_length = -1;     /* to know the datagram length of a cut capture */

static int hf_verdict = -1;
static int hf_good = -1;
static int hf_reason = -1;
static int hf_keyid = -1;
static int hf_algorithm = -1;
static int hf_key_source = -1;
static int hf_digest = -1;
static int hf_digest_len = -1;
static int hf_truncated = -1;
static int hf_expected = -1;
static int hf_split = -1;
static int hf_ambiguous = -1;
static int hf_reading = -1;
static int hf_explanation = -1;
static int hf_request_in = -1;
static int hf_response_in = -1;
static int hf_finding = -1;
static int hf_keyring_problem = -1;

static gint ett_ntpauth = -1;
static gint ett_readings = -1;
static gint ett_findings = -1;

static expert_field ei_bad_mac = EI_INIT;
static expert_field ei_unknown_key = EI_INIT;
static expert_field ei_untrusted_key = EI_INIT;
static expert_field ei_crypto_nak = EI_INIT;
static expert_field ei_nts = EI_INIT;
static expert_field ei_mssntp = EI_INIT;
static expert_field ei_malformed = EI_INIT;
static expert_field ei_md5 = EI_INIT;
static expert_field ei_keyring_error = EI_INIT;
static expert_field ei_keyring_warning = EI_INIT;
static expert_field ei_finding[NTA_F_COUNT];

static dissector_handle_t ntpauth_handle;

/* The NTP locator. Finding the NTP bytes in the protocol tree would make Wireshark build a full
 * tree for every packet of every protocol (that is what set_postdissector_wanted_hfids() does),
 * which costs tshark more than all of the plugin's own work. Instead the plugin takes the
 * built-in NTP dissector's place in the udp.port/tcp.port tables, calls it unchanged, and notes
 * the tvb it was given; the postdissector then reads the message from that tvb. The locator is a
 * protocol "in name only" whose parent is NTP: it adds no layer (frame.protocols and the tree stay
 * exactly as before) and is enabled exactly when NTP is. Where NTP is reached without the
 * locator (Decode As to NTP on another port, a changed ntp.udp.port preference) the init routine
 * asks for the tree again and the postdissector falls back to finding the "ntp" item in it.
 *
 * The note of what the locator saw: the postdissector runs at the end of every dissection (while
 * ntpauth is enabled, which the locator checks) and takes the note first thing, so a note never
 * outlives its dissection and its tvb. A static rather than p_add_proto_data(), because this
 * runs for every NTP packet (the proto-data list costs a few hundred instructions a packet). */
typedef struct {
  tvbuff_t *tvb;          /* NULL: nothing noted */
  const packet_info *pinfo;
  guint32 frame;
} ntp_note;
static ntp_note noted;
static protocol_t *ntpauth_protocol;
static const char *const ntp_tables[] = { "udp.port", "tcp.port" };
static int proto_ntp_locator = -1;
static dissector_handle_t builtin_ntp_handle;   /* Wireshark's own NTP dissector */
static dissector_handle_t locator_handle;
static int tree_wanted = -1;                    /* what Wireshark was last told: -1 nothing yet */

/* Capture-file state, rebuilt by the init routine for every file (and every re-dissection). */
static nta_exchange *exchange;
static guint32 first_ntp_frame;    /* where a keyfile problem is shown */
/* Request/reply links, indexed by frame number. Frame numbers are dense and arrive in order on
 * the first pass, so a growing array (file scope) is much cheaper than a hash map per packet:
 * appends stay in cache and a later lookup is one index. Allocated when the first link is. */
typedef struct {
  guint32 request_in;     /* for a reply */
  guint32 response_in;    /* for a request: its first reply */
} link_pair;
static link_pair *links_by_frame;
static guint32 links_cap;
static wmem_map_t *findings_map;    /* frame -> stored_findings */
static wmem_map_t *info_map;        /* frame -> info_summary (see remember_info) */

typedef struct {
  guint8 kind;            /* nta_finding_kind */
  guint32 related_frame;
  const char *text;       /* file scope */
} stored_finding;

typedef struct {
  guint n;
  stored_finding f[NTA_MAX_FINDINGS_PER_PACKET];
} stored_findings;

/* What pairing says about one frame: straight from the exchange module on the first pass, from
 * the maps on later ones (so the first pass does no lookups). */
typedef struct {
  guint32 request_in;               /* 0: none */
  guint32 response_in;              /* 0: none (or not known yet on the first pass) */
  const stored_findings *findings;  /* NULL: none */
} frame_links;

/* ------------------------------------------------------------------------------------------- */
/* Finding the NTP bytes in the frame */

typedef struct {
  tvbuff_t *tvb;          /* the data source holding the NTP message */
  gint start;             /* its offset there */
  guint captured;         /* bytes present */
  guint wire;             /* UDP payload length on the wire */
} ntp_location;

/* The UDP length field of the datagram carrying the NTP message: the last udp.length before it
 * in the same data source. A cut capture then gives the core "captured X of Y". Only cut frames
 * need it, so it is found by walking the tree rather than being a wanted field of every packet. */
static guint udp_payload_len(proto_tree *tree, tvbuff_t *ds, gint ntp_start) {
  if (hf_udp_length <= 0)
    return 0;
  GPtrArray *items = proto_find_finfo(tree, hf_udp_length);
  guint len = 0;
  if (!items)
    return 0;
  for (guint i = 0; i < items->len; i++) {
    field_info *fi = g_ptr_array_index(items, i);
    if (fi->ds_tvb != ds || fi->start >= ntp_start || fi->length != 2)
      continue;
    guint16 v = tvb_get_ntohs(ds, fi->start);
    len = v >= 8 ? v - 8u : 0;
  }
  g_ptr_array_free(items, TRUE);
  return len;
}

/* The built-in NTP dissector behind the locator: notes the tvb NTP is given (not inside an ICMP
 * error, which quotes a packet rather than carrying one), then dissects it as always. */
static int dissect_ntp_located(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
  if (!pinfo->flags.in_error_pkt && proto_is_protocol_enabled(ntpauth_protocol)) {
    noted.tvb = tvb;
    noted.pinfo = pinfo;
    noted.frame = pinfo->num;
  }
  int used = call_dissector_only(builtin_ntp_handle, tvb, pinfo, tree, data);
  if (!used && noted.tvb == tvb)
    noted.tvb = NULL;   /* NTP declined it */
  return used;
}

/* The NTP tvb the locator noted in this dissection (NULL if none); clears the note. */
static tvbuff_t *take_note(const packet_info *pinfo) {
  tvbuff_t *tvb = noted.pinfo == pinfo && noted.frame == pinfo->num ? noted.tvb : NULL;
  noted.tvb = NULL;
  noted.pinfo = NULL;
  return tvb;
}

/* The first "ntp" item of the tree: from the index of wanted fields when Wireshark kept one,
 * otherwise by walking the tree. */
static field_info *first_ntp_item(proto_tree *tree) {
  GPtrArray *items = proto_get_finfo_ptr_array(tree, proto_ntp);
  if (items && items->len)
    return g_ptr_array_index(items, 0);
  items = proto_find_first_finfo(tree, proto_ntp);
  if (!items)
    return NULL;
  field_info *fi = items->len ? g_ptr_array_index(items, 0) : NULL;
  g_ptr_array_free(items, TRUE);   /* the caller owns this array, not the field_info */
  return fi;
}

/* `ntp_tvb`: what the locator recorded for this packet, or NULL. */
static bool locate_ntp(tvbuff_t *ntp_tvb, proto_tree *tree, packet_info *pinfo,
                       ntp_location *loc) {
  if (ntp_tvb) {
    loc->tvb = ntp_tvb;
    loc->start = 0;
    loc->captured = tvb_captured_length(ntp_tvb);
    loc->wire = loc->captured;
    /* A cut capture: the UDP dissector gave NTP the datagram's length as its reported length. */
    if (pinfo->fd->cap_len < pinfo->fd->pkt_len && tvb_reported_length(ntp_tvb) > loc->captured)
      loc->wire = tvb_reported_length(ntp_tvb);
    return true;
  }
  if (!tree)
    return false;
  field_info *fi = first_ntp_item(tree);
  if (!fi || !fi->ds_tvb || fi->start < 0 || fi->length < 0)
    return false;
  loc->tvb = fi->ds_tvb;
  loc->start = fi->start;
  gint avail = tvb_captured_length_remaining(fi->ds_tvb, fi->start);
  if (avail < 0)
    return false;
  loc->captured = (guint)MIN(avail, fi->length);
  loc->wire = loc->captured;
  if (pinfo->fd->cap_len < pinfo->fd->pkt_len) {   /* cut by the snap length */
    guint wire = udp_payload_len(tree, fi->ds_tvb, fi->start);
    if (wire > loc->captured)
      loc->wire = wire;
  }
  return true;
}

/* Wiretap encapsulation -> pcap link type, for the link types the capture layer decodes. */
static int encap_of_linktype[10] = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };
static const guint32 decoded_linktypes[10] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };

static bool linktype_of(int encap, guint32 *linktype) {
  for (size_t i = 0; i < G_N_ELEMENTS(decoded_linktypes); i++)
    if (encap_of_linktype[i] == encap && encap >= 0) {
      *linktype = decoded_linktypes[i];
      return true;
    }
  return false;
}

/* Fragments of datagrams that never complete. Wireshark's reassembly never hands them to UDP, so
 * NTP never sees them; the capture layer's reassembly (the reader's, same policy) is fed every IP
 * fragment on the first pass and says which datagrams never completed. That is known only when
 * the datagram is evicted from its bounded table or at the end of the file, so the verdicts show
 * from the second pass on (tshark -2, and the GUI once the file is loaded); a one-pass tshark
 * prints each frame before the file's end is known and cannot show them. */
typedef struct {
  nta_endpoint src, dst;
  const char *note;       /* file scope */
} unfinished_line;
static cap_frag_tracker *frag_tracker;
static bool frag_tracker_done;      /* end of the first pass seen: every report is in the map */
static wmem_map_t *unfinished_map;  /* frame -> unfinished_line */

/* A fragment line, as it will be shown, goes to pairing at once (it marks its flow as damaged,
 * as ntpauth-analyze's record does when the reader hands it out) and into the map. */
static void keep_unfinished(const cap_datagram *dg) {
  static const guint8 empty[1];
  nta_packet pkt;
  nta_verify_result vr;
  unfinished_line *u = wmem_new(wmem_file_scope(), unfinished_line);
  u->src = dg->src;
  u->dst = dg->dst;
  u->note = wmem_strdup(wmem_file_scope(), dg->note);
  if (dg->frame <= G_MAXUINT32)
    wmem_map_insert(unfinished_map, GUINT_TO_POINTER((guint32)dg->frame), u);
  if (!exchange)
    return;
  nta_packet_parse(empty, 0, 0, &pkt);
  nta_verify(ntpauth_keys_get(), &pkt, empty, &vr);
  cap_note_verdict(dg->note, dg->unusable, &vr);
  nta_observation obs;
  nta_exchange_result xr;
  memset(&obs, 0, sizeof obs);   /* capture 0 and every field the packet does not set */
  obs.src = dg->src;
  obs.dst = dg->dst;
  obs.frame = dg->frame;
  obs.time_sec = dg->ts_sec;
  obs.time_nsec = dg->ts_nsec;
  nta_observation_set_packet(&obs, &pkt, &vr);
  nta_exchange_observe(exchange, &obs, &xr);
}

static void drain_unfinished(void) {
  cap_datagram dg;
  while (cap_frag_tracker_next(frag_tracker, &dg))
    keep_unfinished(&dg);
}

static void track_fragment(packet_info *pinfo, guint32 linktype, const guint8 *data,
                           guint caplen) {
  cap_frag_tracker_add(frag_tracker, linktype, data, caplen, pinfo->fd->pkt_len, pinfo->num,
                       (int64_t)pinfo->abs_ts.secs, (uint32_t)pinfo->abs_ts.nsecs);
  drain_unfinished();
}

/* A later pass: this fragment's line, if its datagram never completed (NULL otherwise). */
static const unfinished_line *unfinished_of(packet_info *pinfo) {
  if (!PINFO_FD_VISITED(pinfo) || !frag_tracker)
    return NULL;
  if (!frag_tracker_done) {
    cap_frag_tracker_finish(frag_tracker);
    drain_unfinished();
    frag_tracker_done = true;
  }
  return wmem_map_lookup(unfinished_map, GUINT_TO_POINTER(pinfo->num));
}

/* The NTP datagram of this frame as the capture layer decodes it from the frame's own bytes -
 * the decoder ntpauth-analyze uses - so both tools read the same lengths the same way when IP,
 * UDP and the capture record disagree, and a datagram to the NTP port that Wireshark's NTP
 * dissector never sees (a UDP length below its header, nothing captured past UDP) still gets a
 * verdict. IP fragments are left to Wireshark's reassembly (the capture layer's policy matches
 * it). */
static cap_frame_kind frame_datagram(tvbuff_t *tvb, packet_info *pinfo, cap_datagram *dg,
                                     ntp_location *loc) {
  guint32 linktype;
  if (!pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET || pinfo->flags.in_error_pkt ||
      !linktype_of(pinfo->rec->rec_header.packet_header.pkt_encap, &linktype))
    return CAP_FRAME_NONE;
  guint caplen = tvb_captured_length(tvb);
  const guint8 *data = caplen ? tvb_get_ptr(tvb, 0, (gint)caplen) : NULL;
  if (!data)
    return CAP_FRAME_NONE;
  cap_frame_kind kind = cap_decode_frame(linktype, data, caplen, pinfo->fd->pkt_len, 123, dg);
  if (kind == CAP_FRAME_FRAGMENT && !PINFO_FD_VISITED(pinfo) && frag_tracker)
    track_fragment(pinfo, linktype, data, caplen);
  if (kind != CAP_FRAME_DATAGRAM)
    return kind;
  loc->tvb = tvb;
  loc->start = (gint)(dg->payload - data);
  loc->captured = dg->captured_len;
  loc->wire = dg->wire_len;
  return kind;
}

/* ------------------------------------------------------------------------------------------- */
/* First pass: pairing and findings */

static bool endpoint_from(const address *addr, guint32 port, nta_endpoint *ep) {
  memset(ep, 0, sizeof *ep);
  if (addr->type == AT_IPv4 && addr->len == 4) {
    ep->family = 4;
    memcpy(ep->addr, addr->data, 4);
  } else if (addr->type == AT_IPv6 && addr->len == 16) {
    ep->family = 6;
    memcpy(ep->addr, addr->data, 16);
  } else {
    return false;
  }
  ep->port = (uint16_t)port;
  return true;
}

/* The link slot of `frame`, growing the array (doubling, file scope) when needed. */
static link_pair *link_slot(guint32 frame) {
  if (frame >= links_cap) {
    guint32 cap = links_cap ? links_cap : 4096;
    while (cap <= frame) {
      if (cap > G_MAXUINT32 / 2 / sizeof(link_pair))
        return NULL;
      cap *= 2;
    }
    links_by_frame = wmem_realloc(wmem_file_scope(), links_by_frame, cap * sizeof(link_pair));
    memset(links_by_frame + links_cap, 0, (cap - links_cap) * sizeof(link_pair));
    links_cap = cap;
  }
  return &links_by_frame[frame];
}

/* `dg`: the datagram as the capture layer decoded it, or NULL (then the endpoints are pinfo's). */
static void observe_exchange(packet_info *pinfo, const cap_datagram *dg, const nta_packet *pkt,
                             const nta_verify_result *vr, frame_links *links) {
  nta_observation obs;
  nta_exchange_result xr;

  if (!exchange)
    return;
  if (dg) {
    obs.src = dg->src;
    obs.dst = dg->dst;
  } else if (!endpoint_from(&pinfo->src, pinfo->srcport, &obs.src) ||
             !endpoint_from(&pinfo->dst, pinfo->destport, &obs.dst)) {
    return;
  }
  obs.frame = pinfo->num;
  obs.capture = 0;   /* Wireshark shows one capture at a time */
  obs.time_sec = (int64_t)pinfo->abs_ts.secs;
  obs.time_nsec = (uint32_t)pinfo->abs_ts.nsecs;
  nta_observation_set_packet(&obs, pkt, vr);
  nta_exchange_observe(exchange, &obs, &xr);   /* fills what it reports (no 700-byte memset here) */

  if (xr.matched && xr.request_frame && xr.request_frame <= G_MAXUINT32) {
    guint32 req = (guint32)xr.request_frame;
    links->request_in = req;
    link_pair *mine = link_slot(pinfo->num);
    if (mine) {
      mine->request_in = req;
      link_pair *theirs = link_slot(req);   /* req < pinfo->num: no reallocation here */
      if (theirs && !theirs->response_in)
        theirs->response_in = pinfo->num;   /* the first reply is the request's response */
    }
  }
  if (xr.n_findings) {
    stored_findings *sf = wmem_new0(wmem_file_scope(), stored_findings);
    for (guint i = 0; i < xr.n_findings && i < NTA_MAX_FINDINGS_PER_PACKET; i++) {
      const nta_finding *f = &xr.findings[i];
      sf->f[sf->n].kind = (guint8)f->kind;
      sf->f[sf->n].related_frame = f->related_frame <= G_MAXUINT32 ? (guint32)f->related_frame : 0;
      sf->f[sf->n].text = wmem_strdup(wmem_file_scope(), f->text);
      sf->n++;
    }
    wmem_map_insert(findings_map, GUINT_TO_POINTER(pinfo->num), sf);
    links->findings = sf;
  }
}

/* Later passes: what the first pass stored for this frame. */
static void lookup_links(packet_info *pinfo, frame_links *links) {
  if (pinfo->num < links_cap) {
    links->request_in = links_by_frame[pinfo->num].request_in;
    links->response_in = links_by_frame[pinfo->num].response_in;
  }
  links->findings = wmem_map_lookup(findings_map, GUINT_TO_POINTER(pinfo->num));
}

/* ------------------------------------------------------------------------------------------- */
/* Presentation */

static const char *describe_split(const nta_split *s, char *buf, size_t len) {
  const char *rfc = s->rfc7822 ? " (the RFC 7822 reading)" : "";
  switch (s->kind) {
  case NTA_TRAILER_MAC:
    snprintf(buf, len, "%u extension field(s), key ID %u at byte %u, %u-byte digest%s",
             s->n_efs, s->key_id, s->mac_offset, s->digest_len, rfc);
    break;
  case NTA_TRAILER_CRYPTO_NAK:
    snprintf(buf, len, "crypto-NAK: 4 zero bytes at byte %u%s", s->mac_offset, rfc);
    break;
  case NTA_TRAILER_MSSNTP:
    snprintf(buf, len, "MS-SNTP trailer, RID %u (little-endian) at byte %u%s", s->key_id,
             s->mac_offset, rfc);
    break;
  case NTA_TRAILER_MSSNTP_EXT:
    snprintf(buf, len, "MS-SNTP extended trailer at byte %u%s", s->mac_offset, rfc);
    break;
  case NTA_TRAILER_NONE:
  default:
    snprintf(buf, len, "no MAC, %u extension field(s)%s", s->n_efs, rfc);
    break;
  }
  return buf;
}

static const char *verdict_explanation(nta_verdict v) {
  switch (v) {
  case NTA_V_CRYPTO_NAK:
    return "crypto-NAK: a key ID of 0 and no digest. NTP Classic (ntpd) sends it when a request "
           "fails authentication (RFC 5905 section 9.2); NTPsec and chrony never do. It carries no "
           "MAC, so anyone can forge it.";
  case NTA_V_NTS:
    return "Network Time Security (RFC 8915): the packet is protected by NTS extension fields "
           "with keys from the NTS-KE TLS handshake, not by a symmetric key; it cannot be "
           "verified from a keyfile.";
  case NTA_V_MSSNTP:
    return "MS-SNTP (Windows domain time): the trailer holds a little-endian account RID, and the "
           "signature comes from the domain controller's machine-account secret, not from an NTP "
           "key.";
  default:
    return NULL;
  }
}

/* What the Info column needs, kept per frame when the columns are filled in a later pass that
 * has no protocol tree (Wireshark's packet list): there the NTP bytes cannot be located, so the
 * first pass's result is used. */
typedef struct {
  guint32 key_id;
  guint8 verdict;         /* nta_verdict */
  const char *algorithm;  /* file scope copy, or NULL */
} info_summary;

static info_summary summarize(const nta_verify_result *vr) {
  info_summary s = { vr->key_id, (guint8)vr->verdict, vr->algorithm };
  return s;
}

/* The Info text of a MAC verdict, "<prefix><key ID><suffix1><suffix2>]". Consecutive packets
 * nearly always carry the same text, so the last one is kept and reused: this runs for every NTP
 * packet. */
typedef struct {
  const char *prefix;     /* one of the literals in append_info */
  guint32 key_id;
  char algorithm[24];     /* a copy: the keyring (and its strings) can be rebuilt meanwhile */
  char text[96];
} key_info_text;

static const char *key_info(const char *prefix, guint32 key_id, const char *algorithm) {
  static key_info_text last;
  const char *alg = algorithm ? algorithm : "";
  if (last.prefix == prefix && last.key_id == key_id && strcmp(last.algorithm, alg) == 0)
    return last.text;

  char digits[11];
  size_t d = sizeof digits;
  guint32 v = key_id;
  do {
    digits[--d] = (char)('0' + v % 10);
    v /= 10;
  } while (v && d);
  g_strlcpy(last.algorithm, alg, sizeof last.algorithm);
  last.prefix = prefix;
  last.key_id = key_id;
  snprintf(last.text, sizeof last.text, "%s%.*s%s%s]", prefix, (int)(sizeof digits - d),
           digits + d, *alg ? " " : "", alg);
  if (strcmp(last.algorithm, alg) != 0)   /* too long to keep: never reuse it */
    last.prefix = NULL;
  return last.text;
}

/* One append with the length known (col_append_str walks the column text byte by byte twice). */
static void info_append(packet_info *pinfo, const char *text) {
  col_append_lstr(pinfo->cinfo, COL_INFO, text, COL_ADD_LSTR_TERMINATOR);
}

static void append_info(packet_info *pinfo, const info_summary *s) {
  static const char ok[] = " [MAC ok key ", bad[] = " [MAC BAD key ", other[] = " [MAC key ";
  if (s->algorithm && strcmp(s->algorithm, NTA_NTS_ALG_NAME) == 0) {
    info_append(pinfo, s->verdict == NTA_V_GOOD ? " [NTS ok]" : " [NTS BAD]");
    return;
  }
  switch ((nta_verdict)s->verdict) {
  case NTA_V_GOOD:
    info_append(pinfo, key_info(ok, s->key_id, s->algorithm));
    break;
  case NTA_V_BAD_MAC:
    info_append(pinfo, key_info(bad, s->key_id, NULL));
    break;
  case NTA_V_UNKNOWN_KEY:
    info_append(pinfo, key_info(other, s->key_id, "unknown"));
    break;
  case NTA_V_UNTRUSTED_KEY:
    info_append(pinfo, key_info(other, s->key_id, "untrusted"));
    break;
  case NTA_V_CRYPTO_NAK:
    info_append(pinfo, " [crypto-NAK]");
    break;
  case NTA_V_NTS:
    info_append(pinfo, " [NTS]");
    break;
  case NTA_V_MSSNTP:
    info_append(pinfo, " [MS-SNTP]");
    break;
  case NTA_V_MALFORMED:
    info_append(pinfo, " [NTP auth: malformed]");
    break;
  default:
    break;
  }
}

static void append_findings_info(packet_info *pinfo, const stored_findings *sf) {
  for (guint i = 0; sf && i < sf->n; i++) {
    if (sf->f[i].kind == NTA_F_DOWNGRADE)
      col_append_str(pinfo->cinfo, COL_INFO, " [downgrade]");
    else if (sf->f[i].kind == NTA_F_KEY_MISMATCH)
      col_append_str(pinfo->cinfo, COL_INFO, " [key mismatch]");
  }
}

/* First pass without columns (Wireshark reading a file): keep what the Info column will need. */
static void remember_info(packet_info *pinfo, const nta_verify_result *vr) {
  if (pinfo->cinfo || vr->verdict == NTA_V_NO_AUTH)
    return;
  info_summary *s = wmem_new(wmem_file_scope(), info_summary);
  *s = summarize(vr);
  if (s->algorithm)
    s->algorithm = wmem_strdup(wmem_file_scope(), s->algorithm);
  wmem_map_insert(info_map, GUINT_TO_POINTER(pinfo->num), s);
}

/* A pass with columns but no tree (the packet list): the Info text from the first pass. */
static void info_without_tree(packet_info *pinfo) {
  if (!pinfo->cinfo)
    return;
  const info_summary *s = wmem_map_lookup(info_map, GUINT_TO_POINTER(pinfo->num));
  if (s)
    append_info(pinfo, s);
  append_findings_info(pinfo, wmem_map_lookup(findings_map, GUINT_TO_POINTER(pinfo->num)));
}

static void add_verdict_expert(packet_info *pinfo, proto_item *item, const nta_verify_result *vr) {
  switch (vr->verdict) {
  case NTA_V_BAD_MAC:
    expert_add_info_format(pinfo, item, &ei_bad_mac, "Bad MAC: %s", vr->reason);
    break;
  case NTA_V_UNKNOWN_KEY:
    expert_add_info_format(pinfo, item, &ei_unknown_key, "Unknown key: %s", vr->reason);
    break;
  case NTA_V_UNTRUSTED_KEY:
    expert_add_info_format(pinfo, item, &ei_untrusted_key, "Untrusted key: %s", vr->reason);
    break;
  case NTA_V_CRYPTO_NAK:
    expert_add_info(pinfo, item, &ei_crypto_nak);
    break;
  case NTA_V_NTS:
    expert_add_info(pinfo, item, &ei_nts);
    break;
  case NTA_V_MSSNTP:
    expert_add_info(pinfo, item, &ei_mssntp);
    break;
  case NTA_V_MALFORMED:
    expert_add_info_format(pinfo, item, &ei_malformed, "Malformed NTP message: %s", vr->reason);
    break;
  default:
    break;
  }
}

/* The MAC part of the tree: key ID, algorithm, digest and, for a bad MAC, what it should be. */
static void add_mac_items(proto_tree *at, packet_info *pinfo, const ntp_location *loc,
                          const nta_packet *pkt, const nta_verify_result *vr) {
  const nta_split *s = &pkt->splits[vr->split];
  gint key_off = loc->start + (gint)s->mac_offset;
  bool key_captured = s->mac_offset + 4u <= loc->captured;
  bool digest_captured = key_captured && s->mac_offset + 4u + vr->digest_len <= loc->captured;
  proto_item *pi;

  pi = proto_tree_add_uint(at, hf_keyid, loc->tvb, key_captured ? key_off : loc->start,
                           key_captured ? 4 : 0, vr->key_id);
  if (!key_captured)
    proto_item_set_generated(pi);

  if (vr->algorithm) {
    pi = proto_tree_add_string(at, hf_algorithm, loc->tvb, 0, 0, vr->algorithm);
    proto_item_set_generated(pi);
    if (strcmp(vr->algorithm, "MD5") == 0)
      expert_add_info(pinfo, pi, &ei_md5);
  }
  if (vr->key) {
    pi = proto_tree_add_string(at, hf_key_source, loc->tvb, 0, 0, nta_key_source(vr->key));
    proto_item_set_generated(pi);
  }
  if (vr->digest_len && digest_captured)
    proto_tree_add_item(at, hf_digest, loc->tvb, key_off + 4, vr->digest_len, ENC_NA);
  pi = proto_tree_add_uint(at, hf_digest_len, loc->tvb, 0, 0, vr->digest_len);
  proto_item_set_generated(pi);
  if (vr->truncated) {
    pi = proto_tree_add_boolean(at, hf_truncated, loc->tvb, 0, 0, TRUE);
    proto_item_set_generated(pi);
  }
  if (vr->verdict == NTA_V_BAD_MAC && vr->digest_len && vr->digest_len <= NTA_MAC_MAX) {
    pi = proto_tree_add_bytes(at, hf_expected, loc->tvb, digest_captured ? key_off + 4 : 0,
                              digest_captured ? vr->digest_len : 0, vr->expected);
    proto_item_set_generated(pi);
    if (!digest_captured)
      proto_item_append_text(pi, " (%u bytes)", vr->digest_len);
  }
}

static void add_split_items(proto_tree *at, const ntp_location *loc, const nta_packet *pkt,
                            const nta_verify_result *vr) {
  char buf[160];
  proto_item *pi;

  /* The description is formatted only when someone looks at it (tree shown or field used). */
  if (vr->split >= 0 && vr->split < pkt->n_splits && proto_field_is_referenced(at, hf_split)) {
    pi = proto_tree_add_string(at, hf_split, loc->tvb, 0, 0,
                               describe_split(&pkt->splits[vr->split], buf, sizeof buf));
    proto_item_set_generated(pi);
  }
  if (!pkt->ambiguous)
    return;
  pi = proto_tree_add_boolean(at, hf_ambiguous, loc->tvb, 0, 0, TRUE);
  proto_item_set_generated(pi);
  proto_item_append_text(pi, " (%u readings of the trailer)", pkt->n_splits);
  proto_tree *rt = proto_item_add_subtree(pi, ett_readings);
  for (guint i = 0; i < pkt->n_splits && i < NTA_MAX_SPLITS; i++) {
    pi = proto_tree_add_string_format_value(rt, hf_reading, loc->tvb, 0, 0,
        describe_split(&pkt->splits[i], buf, sizeof buf), "%s%s", buf,
        (gint)i == vr->split ? "  <- chosen" : "");
    proto_item_set_generated(pi);
  }
}

static void add_exchange_items(proto_tree *at, packet_info *pinfo, const ntp_location *loc,
                               const frame_links *links) {
  proto_item *pi;

  if (links->request_in) {
    pi = proto_tree_add_uint(at, hf_request_in, loc->tvb, 0, 0, links->request_in);
    proto_item_set_generated(pi);
  }
  if (links->response_in) {
    pi = proto_tree_add_uint(at, hf_response_in, loc->tvb, 0, 0, links->response_in);
    proto_item_set_generated(pi);
  }
  const stored_findings *sf = links->findings;
  if (!sf)
    return;
  for (guint i = 0; i < sf->n; i++) {
    const stored_finding *f = &sf->f[i];
    const char *name = nta_finding_name((nta_finding_kind)f->kind);
    pi = proto_tree_add_string_format_value(at, hf_finding, loc->tvb, 0, 0, name, "%s: %s", name,
                                            f->text);
    proto_item_set_generated(pi);
    if (f->kind < NTA_F_COUNT)
      expert_add_info_format(pinfo, pi, &ei_finding[f->kind], "%s", f->text);
  }
}

/* A broken keyfile is shown once per capture, on its first NTP packet. */
static void add_keyring_problem(proto_tree *at, packet_info *pinfo, const ntp_location *loc) {
  bool is_error;
  const char *problem = ntpauth_keys_problem(&is_error);
  if (!problem || pinfo->num != first_ntp_frame)
    return;
  proto_item *pi = proto_tree_add_string(at, hf_keyring_problem, loc->tvb, 0, 0, problem);
  proto_item_set_generated(pi);
  expert_add_info_format(pinfo, pi, is_error ? &ei_keyring_error : &ei_keyring_warning,
                         "Keys: %s", problem);
}

/* ------------------------------------------------------------------------------------------- */

/* NTP in this frame, and not quoted inside an ICMP error (which is not traffic; ntpauth-analyze
 * skips it too). One walk over the frame's layer list, comparing protocol ids. */
static bool is_ntp_traffic(packet_info *pinfo) {
  bool ntp = false;
  if (proto_ntp <= 0 || !pinfo->layers)
    return false;
  for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f; f = wmem_list_frame_next(f)) {
    int id = GPOINTER_TO_INT(wmem_list_frame_data(f));
    if (id == proto_ntp)
      ntp = true;
    else if ((id == proto_icmp && proto_icmp > 0) || (id == proto_icmpv6 && proto_icmpv6 > 0))
      return false;
  }
  return ntp;
}

/* Where this frame's NTP message is: decoded from the frame by the capture layer (*from_frame),
 * else where the locator noted it or the tree shows it. false: no NTP message here. */
static bool find_ntp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, cap_datagram *dg,
                     ntp_location *loc, bool *from_frame, cap_frame_kind *kind) {
  tvbuff_t *located = take_note(pinfo);   /* first: the note must not outlive this dissection */
  *kind = frame_datagram(tvb, pinfo, dg, loc);
  *from_frame = *kind == CAP_FRAME_DATAGRAM;
  if (*from_frame)
    return true;
  if (!located) {
    if (!tree && !PINFO_FD_VISITED(pinfo))
      return false;   /* no NTP here (summary lines: decided without walking the layers) */
    if (!is_ntp_traffic(pinfo))
      return false;
  }
  if (!locate_ntp(located, tree, pinfo, loc)) {
    /* Neither the locator nor a tree: the packet list of a capture read with the tree asked
     * for (see ntpauth_init) - show what the first pass found. */
    if (PINFO_FD_VISITED(pinfo))
      info_without_tree(pinfo);
    return false;
  }
  return true;
}

/* This frame's NTP message, or else the line of a fragment whose datagram never completed (then
 * *dg is that line: no bytes, unusable, the capture layer's note). */
static bool find_message(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, cap_datagram *dg,
                         ntp_location *loc, bool *from_frame) {
  cap_frame_kind kind;
  if (find_ntp(tvb, pinfo, tree, dg, loc, from_frame, &kind))
    return true;
  const unfinished_line *u = kind == CAP_FRAME_FRAGMENT ? unfinished_of(pinfo) : NULL;
  if (!u)
    return false;
  memset(dg, 0, sizeof *dg);
  dg->frame = pinfo->num;
  dg->src = u->src;
  dg->dst = u->dst;
  dg->note = u->note;
  dg->unusable = true;
  loc->tvb = tvb;
  loc->start = 0;
  loc->captured = loc->wire = 0;
  *from_frame = true;
  return true;
}

static int dissect_ntpauth(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_) {
  ntp_location loc;
  nta_packet pkt;
  nta_verify_result vr;
  cap_datagram dg;
  bool from_frame;

  if (!find_message(tvb, pinfo, tree, &dg, &loc, &from_frame))
    return 0;
  const guint8 *bytes = loc.captured ? tvb_get_ptr(loc.tvb, loc.start, (gint)loc.captured) : NULL;
  static const guint8 empty[1];
  if (!bytes)
    bytes = empty;
  nta_packet_parse(bytes, loc.captured, loc.wire, &pkt);
  nta_verify(ntpauth_keys_get(), &pkt, bytes, &vr);
  const nta_nts_info *nts = ntpauth_nts_apply(pinfo, &pkt, bytes, loc.captured, &vr);
  if (from_frame)
    cap_note_verdict(dg.note, dg.unusable, &vr);

  frame_links links = { 0, 0, NULL };
  if (!PINFO_FD_VISITED(pinfo)) {
    if (!first_ntp_frame)
      first_ntp_frame = pinfo->num;
    observe_exchange(pinfo, from_frame ? &dg : NULL, &pkt, &vr, &links);
    remember_info(pinfo, &vr);
  } else {
    lookup_links(pinfo, &links);
  }

  info_summary summary = summarize(&vr);
  append_info(pinfo, &summary);
  append_findings_info(pinfo, links.findings);

  /* Nobody looks at the tree (tshark printing summary lines: no tree at all): no field of ours
   * is shown, filtered on or extracted, and no expert listener runs, so every item below would
   * be discarded. (With no tree but an expert listener the items are NULL and only the expert
   * infos are kept, as Wireshark does for every dissector.) */
  if (!proto_field_is_referenced(tree, proto_ntpauth) &&
      (expert_tap_id < 0 || !have_tap_listener(expert_tap_id)))
    return (int)loc.captured;

  proto_item *ti = proto_tree_add_item(tree, proto_ntpauth, loc.tvb, loc.start,
                                       (gint)loc.captured, ENC_NA);
  /* The label is built only when it is shown or the protocol is filtered on (it costs a
   * printf per packet otherwise). */
  if (proto_field_is_referenced(tree, proto_ntpauth)) {
    const char *alg_sep = vr.algorithm ? " " : "", *alg = vr.algorithm ? vr.algorithm : "";
    if (vr.has_key_id)
      proto_item_append_text(ti, ": %s, key %u%s%s", nta_verdict_name(vr.verdict), vr.key_id,
                             alg_sep, alg);
    else
      proto_item_append_text(ti, ": %s%s%s", nta_verdict_name(vr.verdict), alg_sep, alg);
  }
  proto_tree *at = proto_item_add_subtree(ti, ett_ntpauth);

  proto_item *pi = proto_tree_add_string(at, hf_verdict, loc.tvb, 0, 0,
                                         nta_verdict_name(vr.verdict));
  proto_item_set_generated(pi);
  add_verdict_expert(pinfo, pi, &vr);
  pi = proto_tree_add_boolean(at, hf_good, loc.tvb, 0, 0, vr.verdict == NTA_V_GOOD);
  proto_item_set_generated(pi);
  pi = proto_tree_add_string(at, hf_reason, loc.tvb, 0, 0, vr.reason);
  proto_item_set_generated(pi);

  const char *why = verdict_explanation(vr.verdict);
  if (why) {
    pi = proto_tree_add_string(at, hf_explanation, loc.tvb, 0, 0, why);
    proto_item_set_generated(pi);
  }
  if (vr.split >= 0 && vr.split < pkt.n_splits && vr.has_key_id &&
      pkt.splits[vr.split].kind == NTA_TRAILER_MAC)
    add_mac_items(at, pinfo, &loc, &pkt, &vr);
  else if (vr.has_key_id) {
    pi = proto_tree_add_uint(at, hf_keyid, loc.tvb, 0, 0, vr.key_id);
    proto_item_set_generated(pi);
  }
  add_split_items(at, &loc, &pkt, &vr);
  add_exchange_items(at, pinfo, &loc, &links);
  ntpauth_nts_add_items(at, pinfo, loc.tvb, nts);
  add_keyring_problem(at, pinfo, &loc);
  return (int)loc.captured;
}

/* ------------------------------------------------------------------------------------------- */
/* Capture-file lifetime */

/* Is the built-in NTP dissector bound anywhere without the locator in front of it? */
typedef struct {
  bool plain_ntp;
  bool located;
} binding_census;

static void census_entry(const gchar *table _U_, ftenum_t type _U_, gpointer key _U_,
                         gpointer value, gpointer user_data) {
  binding_census *c = user_data;
  dissector_handle_t h = dtbl_entry_get_handle((dtbl_entry_t *)value);
  if (h && h == builtin_ntp_handle)
    c->plain_ntp = true;
  else if (h && h == locator_handle)
    c->located = true;
}

/* Before each capture file (tshark decides whether to build trees right after this): the tree
 * is asked for only when some NTP message could reach the built-in dissector directly. */
static void choose_ntp_location_method(void) {
  binding_census c = { false, false };
  if (locator_handle) {
    for (size_t i = 0; i < G_N_ELEMENTS(ntp_tables); i++)
      dissector_table_foreach(ntp_tables[i], census_entry, &c);
    dissector_all_tables_foreach_changed(census_entry, &c);   /* Decode As, in any table */
  }
  int need_tree = (!locator_handle || c.plain_ntp || !c.located) && proto_ntp > 0;
  if (need_tree == tree_wanted)
    return;
  GArray *wanted = NULL;   /* NULL: no fields wanted, no tree forced */
  if (need_tree) {
    wanted = g_array_new(FALSE, FALSE, (guint)sizeof(int));
    g_array_append_val(wanted, proto_ntp);
  }
  set_postdissector_wanted_hfids(ntpauth_handle, wanted);   /* takes ownership */
  tree_wanted = need_tree;
}

static void ntpauth_init(void) {
  choose_ntp_location_method();
  ntpauth_nts_init();
  exchange = nta_exchange_create(PAIRING_MAX_ENTRIES, PAIRING_MAX_AGE_SEC);
  first_ntp_frame = 0;
  links_by_frame = NULL;
  links_cap = 0;
  frag_tracker = cap_frag_tracker_create(123);
  frag_tracker_done = false;
}

static void ntpauth_cleanup(void) {
  ntpauth_nts_cleanup();
  links_by_frame = NULL;   /* file scope: freed with the capture file */
  links_cap = 0;
  if (exchange)
    nta_exchange_destroy(exchange);
  exchange = NULL;
  cap_frag_tracker_destroy(frag_tracker);
  frag_tracker = NULL;
}

static void ntpauth_shutdown(void) {
  ntpauth_keys_shutdown();
  ntpauth_nts_shutdown();
}

/* ------------------------------------------------------------------------------------------- */
/* Registration */

void proto_register_ntpauth(void) {
  static hf_register_info hf[] = {
    { &hf_verdict, { "Verdict", "ntpauth.verdict", FT_STRING, BASE_NONE, NULL, 0x0,
        "good, bad_mac, unknown_key, untrusted_key, crypto_nak, no_auth, nts, mssntp or "
        "malformed (the names ntpauth-analyze prints)", HFILL } },
    { &hf_good, { "MAC verified", "ntpauth.good", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
        "True when the MAC verified with a trusted key", HFILL } },
    { &hf_reason, { "Reason", "ntpauth.reason", FT_STRING, BASE_NONE, NULL, 0x0,
        "Why the verdict was reached", HFILL } },
    { &hf_keyid, { "Key ID", "ntpauth.keyid", FT_UINT32, BASE_DEC, NULL, 0x0,
        "Key ID of the MAC, as re-parsed by ntpauth (not ntp.keyid)", HFILL } },
    { &hf_algorithm, { "Algorithm", "ntpauth.algorithm", FT_STRING, BASE_NONE, NULL, 0x0,
        "MAC algorithm of the configured key (MD5, SHA1, SHA256, AES128CMAC, ...)", HFILL } },
    { &hf_key_source, { "Key from", "ntpauth.key_source", FT_STRING, BASE_NONE, NULL, 0x0,
        "Where the key was configured (keyfile:line or the key table)", HFILL } },
    { &hf_digest, { "Digest", "ntpauth.digest", FT_BYTES, BASE_NONE, NULL, 0x0,
        "MAC bytes after the key ID", HFILL } },
    { &hf_digest_len, { "Digest length", "ntpauth.digest_len", FT_UINT32, BASE_DEC, NULL, 0x0,
        "Number of MAC bytes after the key ID", HFILL } },
    { &hf_truncated, { "Truncated digest", "ntpauth.truncated", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
        "The digest is shorter than the algorithm's output (ntpd/NTPsec/chrony NTPv4 keep 20 "
        "bytes)", HFILL } },
    { &hf_expected, { "Expected digest", "ntpauth.expected", FT_BYTES, BASE_NONE, NULL, 0x0,
        "The digest the configured key gives for this packet", HFILL } },
    { &hf_split, { "Trailer reading", "ntpauth.split", FT_STRING, BASE_NONE, NULL, 0x0,
        "How the bytes after the NTP header were split into extension fields, key ID and "
        "digest", HFILL } },
    { &hf_ambiguous, { "Ambiguous trailer", "ntpauth.split.ambiguous", FT_BOOLEAN, BASE_NONE,
        NULL, 0x0, "The trailer could be read in several ways; the one a key explains was chosen",
        HFILL } },
    { &hf_reading, { "Possible reading", "ntpauth.split.reading", FT_STRING, BASE_NONE, NULL, 0x0,
        NULL, HFILL } },
    { &hf_explanation, { "Note", "ntpauth.explanation", FT_STRING, BASE_NONE, NULL, 0x0,
        "What a crypto-NAK, NTS or MS-SNTP trailer is", HFILL } },
    { &hf_request_in, { "Request in", "ntpauth.request_in", FT_FRAMENUM, BASE_NONE,
        FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0, "The request this reply answers", HFILL } },
    { &hf_response_in, { "Response in", "ntpauth.response_in", FT_FRAMENUM, BASE_NONE,
        FRAMENUM_TYPE(FT_FRAMENUM_RESPONSE), 0x0, "The reply to this request", HFILL } },
    { &hf_finding, { "Finding", "ntpauth.finding", FT_STRING, BASE_NONE, NULL, 0x0,
        "downgrade, key_mismatch, crypto_nak_reply, unsolicited_reply, replay, kod, md5_in_use, "
        "shared_key (the names ntpauth-analyze prints)", HFILL } },
    { &hf_keyring_problem, { "Key configuration problem", "ntpauth.keyring_problem", FT_STRING,
        BASE_NONE, NULL, 0x0, "Shown on the first NTP packet when the keyfile or key table is "
        "broken", HFILL } },
  };
  static gint *ett[] = { &ett_ntpauth, &ett_readings, &ett_findings };
  static ei_register_info ei[] = {
    { &ei_bad_mac, { "ntpauth.bad_mac.expert", PI_SECURITY, PI_ERROR,
        "Bad MAC", EXPFILL } },
    { &ei_unknown_key, { "ntpauth.unknown_key.expert", PI_SECURITY, PI_WARN,
        "Unknown key", EXPFILL } },
    { &ei_untrusted_key, { "ntpauth.untrusted_key.expert", PI_SECURITY, PI_WARN,
        "Untrusted key", EXPFILL } },
    { &ei_crypto_nak, { "ntpauth.crypto_nak.expert", PI_SECURITY, PI_WARN,
        "Crypto-NAK (unauthenticated negative answer; forgeable)", EXPFILL } },
    { &ei_nts, { "ntpauth.nts.expert", PI_SECURITY, PI_NOTE,
        "NTS-protected packet (not verifiable with symmetric keys)", EXPFILL } },
    { &ei_mssntp, { "ntpauth.mssntp.expert", PI_SECURITY, PI_NOTE,
        "MS-SNTP signature (not an NTP symmetric key)", EXPFILL } },
    { &ei_malformed, { "ntpauth.malformed.expert", PI_MALFORMED, PI_ERROR,
        "Malformed NTP message", EXPFILL } },
    { &ei_md5, { "ntpauth.md5.expert", PI_SECURITY, PI_NOTE,
        "MD5 key in use (deprecated by RFC 8573; prefer SHA1 or AES-CMAC)", EXPFILL } },
    { &ei_keyring_error, { "ntpauth.keyring_error.expert", PI_PROTOCOL, PI_ERROR,
        "Keyfile or key table problem", EXPFILL } },
    { &ei_keyring_warning, { "ntpauth.keyring_warning.expert", PI_PROTOCOL, PI_WARN,
        "Keyfile warning", EXPFILL } },
    { &ei_finding[NTA_F_DOWNGRADE], { "ntpauth.finding.downgrade", PI_SECURITY, PI_WARN,
        "Downgrade: authenticated request answered without a MAC", EXPFILL } },
    { &ei_finding[NTA_F_KEY_MISMATCH], { "ntpauth.finding.key_mismatch", PI_SECURITY, PI_WARN,
        "Reply signed with another key than its request", EXPFILL } },
    { &ei_finding[NTA_F_CRYPTO_NAK_REPLY], { "ntpauth.finding.crypto_nak_reply", PI_SECURITY,
        PI_WARN, "Request answered by a crypto-NAK", EXPFILL } },
    { &ei_finding[NTA_F_UNSOLICITED], { "ntpauth.finding.unsolicited_reply", PI_SECURITY, PI_WARN,
        "Reply to no request seen (possible spoofing)", EXPFILL } },
    { &ei_finding[NTA_F_REPLAY], { "ntpauth.finding.replay", PI_SECURITY, PI_WARN,
        "Transmit timestamp seen before (replay?)", EXPFILL } },
    { &ei_finding[NTA_F_KOD], { "ntpauth.finding.kod", PI_RESPONSE_CODE, PI_NOTE,
        "Kiss-o'-Death", EXPFILL } },
    { &ei_finding[NTA_F_MD5], { "ntpauth.finding.md5_in_use", PI_SECURITY, PI_NOTE,
        "MD5 still in use", EXPFILL } },
    { &ei_finding[NTA_F_SHARED_KEY], { "ntpauth.finding.shared_key", PI_SECURITY, PI_NOTE,
        "One key used by several clients or servers", EXPFILL } },
    { &ei_finding[NTA_F_WEAK_KEY], { "ntpauth.finding.weak_key", PI_SECURITY, PI_NOTE,
        "Weak key", EXPFILL } },
  };

  proto_ntpauth = proto_register_protocol("NTP Authentication", "NTPAUTH", "ntpauth");
  proto_register_field_array(proto_ntpauth, hf, array_length(hf));
  proto_register_subtree_array(ett, array_length(ett));
  expert_module_t *em = expert_register_protocol(proto_ntpauth);
  expert_register_field_array(em, ei, array_length(ei));

  ntpauth_keys_register(proto_ntpauth);
  ntpauth_nts_register(proto_ntpauth);

  findings_map = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                        g_direct_equal);
  info_map = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                    g_direct_equal);
  unfinished_map = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                          g_direct_equal);
  register_init_routine(ntpauth_init);
  register_cleanup_routine(ntpauth_cleanup);
  register_shutdown_routine(ntpauth_shutdown);

  ntpauth_handle = register_dissector("ntpauth", dissect_ntpauth, proto_ntpauth);

  /* Built-in protocols are registered before plugins, so NTP exists already. */
  int ntp = proto_get_id_by_filter_name("ntp");
  if (ntp > 0)
    proto_ntp_locator = proto_register_protocol_in_name_only(
        "Network Time Protocol (message located for NTP Authentication)", "NTP/ntpauth",
        "ntpauth.ntp", ntp, FT_PROTOCOL);
}

/* Puts the locator in front of the built-in NTP dissector wherever that is bound by default. */
static void install_locator(void) {
  dissector_table_t udp = find_dissector_table("udp.port");
  builtin_ntp_handle = udp ? dissector_get_uint_handle(udp, 123) : NULL;
  if (!builtin_ntp_handle || proto_ntp_locator <= 0 ||
      dissector_handle_get_protocol_index(builtin_ntp_handle) != proto_ntp) {
    builtin_ntp_handle = NULL;   /* not what 4.0 does: keep finding NTP in the tree */
    return;
  }
  ntpauth_protocol = find_protocol_by_id(proto_ntpauth);
  locator_handle = create_dissector_handle(dissect_ntp_located, proto_ntp_locator);
  for (size_t i = 0; i < G_N_ELEMENTS(ntp_tables); i++) {
    dissector_table_t t = find_dissector_table(ntp_tables[i]);
    if (t && dissector_get_uint_handle(t, 123) == builtin_ntp_handle)
      dissector_add_uint(ntp_tables[i], 123, locator_handle);
  }
}

void proto_reg_handoff_ntpauth(void) {
  proto_ntp = proto_get_id_by_filter_name("ntp");
  proto_icmp = proto_get_id_by_filter_name("icmp");
  proto_icmpv6 = proto_get_id_by_filter_name("icmpv6");
  expert_tap_id = find_tap_id("expert");
  hf_udp_length = proto_registrar_get_id_byname("udp.length");

  for (size_t i = 0; i < G_N_ELEMENTS(decoded_linktypes); i++)
    encap_of_linktype[i] = wtap_pcap_encap_to_wtap_encap((int)decoded_linktypes[i]);
  install_locator();
  register_postdissector(ntpauth_handle);
  choose_ntp_location_method();   /* again before every capture file, in ntpauth_init */
}
