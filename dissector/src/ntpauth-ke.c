/* dissector/ntpauth-ke.c - NTS Key Establishment records (RFC 8915 §4) inside decrypted TLS.
 *
 * Wireshark 4.0 has no NTS-KE dissector. Its TLS dissector decrypts NTS-KE (TLS 1.3 on TCP
 * 4460) when it has the key log (tls.keylog_file), then hands the application data to the
 * dissector registered for the port: this one. The core's parser checks each message
 * (nta_ntske_parse) and walks its records (nta_ntske_record_at); record, protocol, AEAD and
 * error names are the core's too. A message split over several TLS records is put together by
 * the TLS dissector's reassembly (we ask for one more segment). The cookies of a response go to
 * the NTS tracker with the connection's session (found by its client random), so a later
 * request can say which NTS-KE frame delivered its cookie, and a request with such a cookie
 * that does not verify is bad_mac for that session. */
#define WS_LOG_DOMAIN "ntpauth"

#include "ntpauth-ke.h"

#include <epan/conversation.h>
#include <epan/expert.h>
#include <epan/dissectors/packet-tls.h>
#ifdef NTPAUTH_TLS_UTILS
#include <epan/dissectors/packet-tls-utils.h>
#endif

#include "ntpauth-nts.h"
#include "ntpauth/ntske.h"

#define NTS_KE_PORT 4460   /* IANA "ntske" (RFC 8915 §4) */

static int proto_ke = -1;
static dissector_handle_t ke_handle;

static int hf_ke_response = -1;
static int hf_ke_summary = -1;
static int hf_ke_cookies = -1;
static int hf_ke_session = -1;
static int hf_ke_record = -1;
static int hf_ke_critical = -1;
static int hf_ke_type = -1;
static int hf_ke_length = -1;
static int hf_ke_next_protocol = -1;
static int hf_ke_aead = -1;
static int hf_ke_error = -1;
static int hf_ke_warning = -1;
static int hf_ke_cookie = -1;
static int hf_ke_server = -1;
static int hf_ke_port = -1;
static int hf_ke_body = -1;
static gint ett_ke = -1;
static gint ett_ke_record = -1;
static expert_field ei_ke_error = EI_INIT;
static expert_field ei_ke_warning = EI_INIT;
static expert_field ei_ke_unknown_critical = EI_INIT;
static expert_field ei_ke_malformed = EI_INIT;
static expert_field ei_ke_incomplete = EI_INIT;

static void fmt_type(gchar *s, guint32 v) {
  snprintf(s, ITEM_LABEL_LENGTH, "%s (%u)", nta_ntske_record_name((uint16_t)v), v);
}
static void fmt_protocol(gchar *s, guint32 v) {
  snprintf(s, ITEM_LABEL_LENGTH, "%s (%u)", nta_ntske_protocol_name((uint16_t)v), v);
}
static void fmt_aead(gchar *s, guint32 v) {
  snprintf(s, ITEM_LABEL_LENGTH, "%s (%u)", nta_ntske_aead_name((uint16_t)v), v);
}
static void fmt_error(gchar *s, guint32 v) {
  snprintf(s, ITEM_LABEL_LENGTH, "%s (%u)", nta_ntske_error_name((uint16_t)v), v);
}

/* The NTS session of this connection, -1 when unknown: the client random of the TLS
 * dissector's state for the conversation (Wireshark 4.0 has no call that returns it; the
 * structure is in its installed packet-tls-utils.h), looked up among the key log's sessions. */
static int connection_session(packet_info *pinfo) {
#ifndef NTPAUTH_TLS_UTILS
  (void)pinfo;
  return -1;
#else
  int proto_tls = proto_get_id_by_filter_name("tls");
  conversation_t *conv = proto_tls >= 0 ? find_conversation_pinfo(pinfo, 0) : NULL;
  const SslDecryptSession *ssl = conv ? conversation_get_proto_data(conv, proto_tls) : NULL;
  if (!ssl || !(ssl->state & SSL_CLIENT_RANDOM) || !ssl->client_random.data ||
      ssl->client_random.data_len != NTA_TLS_RANDOM_LEN)
    return -1;
  return ntpauth_nts_session_of_random(ssl->client_random.data);
#endif
}

/* The server's side: the NTS-KE port, else (Decode As on another port) the lower port. */
static gboolean from_server(const packet_info *pinfo) {
  if (pinfo->srcport == NTS_KE_PORT || pinfo->destport == NTS_KE_PORT)
    return pinfo->srcport == NTS_KE_PORT;
  return pinfo->srcport < pinfo->destport;
}

/* A record's body as the fields of its type; a list record gives one item per value. */
static void add_body(proto_tree *rt, packet_info *pinfo, tvbuff_t *tvb, const nta_ntske_record *r,
                     proto_item *ri) {
  gint at = (gint)r->off + 4, len = r->body_len;
  switch (r->type) {
  case NTA_KE_NEXT_PROTOCOL:
  case NTA_KE_AEAD:
    for (gint i = 0; i + 2 <= len; i += 2)
      proto_tree_add_item(rt, r->type == NTA_KE_AEAD ? hf_ke_aead : hf_ke_next_protocol, tvb,
                          at + i, 2, ENC_BIG_ENDIAN);
    return;
  case NTA_KE_ERROR:
  case NTA_KE_WARNING:
  case NTA_KE_PORT: {
    int hf = r->type == NTA_KE_ERROR ? hf_ke_error : r->type == NTA_KE_PORT ? hf_ke_port
                                                                           : hf_ke_warning;
    guint32 v = 0;
    if (len == 2) proto_tree_add_item_ret_uint(rt, hf, tvb, at, 2, ENC_BIG_ENDIAN, &v);
    else if (len) proto_tree_add_item(rt, hf_ke_body, tvb, at, len, ENC_NA);   /* malformed */
    if (len == 2 && r->type == NTA_KE_ERROR)
      expert_add_info_format(pinfo, ri, &ei_ke_error, "NTS-KE error: %s (%u)",
                             nta_ntske_error_name((uint16_t)v), v);
    else if (len == 2 && r->type == NTA_KE_WARNING)
      expert_add_info_format(pinfo, ri, &ei_ke_warning, "NTS-KE warning %u", v);
    return;
  }
  case NTA_KE_SERVER:
    proto_tree_add_item(rt, hf_ke_server, tvb, at, len, ENC_ASCII);
    return;
  case NTA_KE_COOKIE:
    proto_tree_add_item(rt, hf_ke_cookie, tvb, at, len, ENC_NA);
    return;
  case NTA_KE_END:
    return;
  default:
    if (len) proto_tree_add_item(rt, hf_ke_body, tvb, at, len, ENC_NA);
    if (r->critical)
      expert_add_info_format(pinfo, ri, &ei_ke_unknown_critical,
                             "Unrecognized critical record type %u: the receiver must reject "
                             "the message (RFC 8915 section 4)", r->type);
  }
}

/* The records from offset `off` up to `end`. Returns the record that broke the message (its
 * item), or NULL. */
static proto_item *add_records(proto_tree *mt, packet_info *pinfo, tvbuff_t *tvb,
                               const guint8 *buf, size_t off, size_t end, size_t bad_off) {
  proto_item *bad = NULL;
  nta_ntske_record r;
  while (off < end && nta_ntske_record_at(buf, end, off, &r) == NTA_OK) {
    proto_item *ri = proto_tree_add_none_format(mt, hf_ke_record, tvb, (gint)off,
                                                4 + r.body_len, "%s%s",
                                                nta_ntske_record_name(r.type),
                                                r.critical ? " (critical)" : "");
    proto_tree *rt = proto_item_add_subtree(ri, ett_ke_record);
    proto_tree_add_item(rt, hf_ke_critical, tvb, (gint)off, 2, ENC_BIG_ENDIAN);
    proto_tree_add_item(rt, hf_ke_type, tvb, (gint)off, 2, ENC_BIG_ENDIAN);
    proto_tree_add_item(rt, hf_ke_length, tvb, (gint)off + 2, 2, ENC_BIG_ENDIAN);
    add_body(rt, pinfo, tvb, &r, ri);
    if (off == bad_off) bad = ri;
    off += 4 + (size_t)r.body_len;
  }
  return bad;
}

/* The offset of the first record in buf[off..len) whose body is malformed (the record alone,
 * read as a message, fails to parse), SIZE_MAX if none. */
static size_t malformed_record(const guint8 *buf, size_t off, size_t len) {
  nta_ntske_record r;
  nta_ntske_msg one;
  for (size_t o = off; nta_ntske_record_at(buf, len, o, &r) == NTA_OK; o += 4 + (size_t)r.body_len)
    if (nta_ntske_parse(buf + o, 4 + (size_t)r.body_len, &one, NULL) == NTA_ERR_PARSE) return o;
  return SIZE_MAX;
}

/* One message at buf[off..]; returns its length, or 0 when more bytes are needed and the TLS
 * dissector can supply them. */
static size_t dissect_message(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                              const guint8 *buf, size_t off, size_t len) {
  nta_ntske_msg m;
  nta_diag why;
  nta_status st = nta_ntske_parse(buf + off, len - off, &m, &why);
  if (st == NTA_ERR_RANGE && pinfo->can_desegment) return 0;
  size_t used = st == NTA_OK ? m.used : len - off;
  gboolean response = from_server(pinfo);
  char summary[192];
  nta_ntske_describe(&m, summary, sizeof summary);
  col_append_sep_fstr(pinfo->cinfo, COL_INFO, ", ", "NTS-KE %s: %s",
                      response ? "response" : "request", summary);
  proto_item *ti = proto_tree_add_item(tree, proto_ke, tvb, (gint)off, (gint)used, ENC_NA);
  proto_item_append_text(ti, ", %s: %s", response ? "Response" : "Request", summary);
  proto_tree *mt = proto_item_add_subtree(ti, ett_ke);
  proto_item *pi = proto_tree_add_boolean(mt, hf_ke_response, tvb, (gint)off, 0, response);
  proto_item_set_generated(pi);
  pi = proto_tree_add_string(mt, hf_ke_summary, tvb, (gint)off, 0, summary);
  proto_item_set_generated(pi);
  if (m.n_cookies) {
    pi = proto_tree_add_uint(mt, hf_ke_cookies, tvb, (gint)off, 0, m.n_cookies);
    proto_item_set_generated(pi);
  }
  int session = connection_session(pinfo);
  if (session >= 0) {
    pi = proto_tree_add_string(mt, hf_ke_session, tvb, (gint)off, 0,
                               ntpauth_nts_session_name(session));
    proto_item_set_generated(pi);
  }
  size_t bad_off = st == NTA_ERR_PARSE ? malformed_record(buf, off, len) : SIZE_MAX;
  proto_item *bad = add_records(mt, pinfo, tvb, buf, off, off + used, bad_off);
  if (st == NTA_ERR_PARSE)
    expert_add_info_format(pinfo, bad ? bad : ti, &ei_ke_malformed, "%s", why.msg);
  else if (st == NTA_ERR_RANGE)
    expert_add_info(pinfo, ti, &ei_ke_incomplete);
  if (st == NTA_OK && response && m.n_cookies_kept)
    ntpauth_nts_ke_cookies(pinfo, buf + off, &m, session);
  return used;
}

static int dissect_ke(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_) {
  guint len = tvb_captured_length(tvb);
  if (!len) return 0;
  col_set_str(pinfo->cinfo, COL_PROTOCOL, "NTS-KE");
  const guint8 *buf = tvb_get_ptr(tvb, 0, len);
  size_t off = 0;
  while (off < len) {
    size_t used = dissect_message(tvb, pinfo, tree, buf, off, len);
    if (!used) {   /* the rest of the message is in a later TLS record */
      pinfo->desegment_offset = (int)off;
      pinfo->desegment_len = DESEGMENT_ONE_MORE_SEGMENT;
      break;
    }
    off += used;
  }
  return (int)len;
}

void ntpauth_ke_register(void) {
  static hf_register_info hf[] = {
    { &hf_ke_response, { "Response", "ntpauth.ke.response", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
        "From the NTS-KE server (else the client's request)", HFILL } },
    { &hf_ke_summary, { "Summary", "ntpauth.ke.summary", FT_STRING, BASE_NONE, NULL, 0x0,
        "The message in one line", HFILL } },
    { &hf_ke_cookies, { "Cookies", "ntpauth.ke.cookies", FT_UINT16, BASE_DEC, NULL, 0x0,
        "New Cookie for NTPv4 records in the message", HFILL } },
    { &hf_ke_session, { "NTS session", "ntpauth.ke.session", FT_STRING, BASE_NONE, NULL, 0x0,
        "The key log session of this connection (tls:<client random>), as in ntpauth.nts_session",
        HFILL } },
    { &hf_ke_record, { "Record", "ntpauth.ke.record", FT_NONE, BASE_NONE, NULL, 0x0,
        NULL, HFILL } },
    { &hf_ke_critical, { "Critical", "ntpauth.ke.critical", FT_BOOLEAN, 16, NULL, 0x8000,
        "The receiver must understand the record", HFILL } },
    { &hf_ke_type, { "Record Type", "ntpauth.ke.type", FT_UINT16, BASE_CUSTOM, CF_FUNC(fmt_type),
        0x7fff, NULL, HFILL } },
    { &hf_ke_length, { "Body Length", "ntpauth.ke.length", FT_UINT16, BASE_DEC, NULL, 0x0,
        NULL, HFILL } },
    { &hf_ke_next_protocol, { "Next Protocol", "ntpauth.ke.next_protocol", FT_UINT16,
        BASE_CUSTOM, CF_FUNC(fmt_protocol), 0x0, NULL, HFILL } },
    { &hf_ke_aead, { "AEAD Algorithm", "ntpauth.ke.aead", FT_UINT16, BASE_CUSTOM,
        CF_FUNC(fmt_aead), 0x0, NULL, HFILL } },
    { &hf_ke_error, { "Error Code", "ntpauth.ke.error", FT_UINT16, BASE_CUSTOM,
        CF_FUNC(fmt_error), 0x0, NULL, HFILL } },
    { &hf_ke_warning, { "Warning Code", "ntpauth.ke.warning", FT_UINT16, BASE_DEC, NULL, 0x0,
        NULL, HFILL } },
    { &hf_ke_cookie, { "Cookie", "ntpauth.ke.cookie", FT_BYTES, BASE_NONE, NULL, 0x0,
        NULL, HFILL } },
    { &hf_ke_server, { "Server", "ntpauth.ke.server", FT_STRING, BASE_NONE, NULL, 0x0,
        "NTPv4 server the client should use", HFILL } },
    { &hf_ke_port, { "Port", "ntpauth.ke.port", FT_UINT16, BASE_DEC, NULL, 0x0,
        "NTPv4 port the client should use", HFILL } },
    { &hf_ke_body, { "Body", "ntpauth.ke.body", FT_BYTES, BASE_NONE, NULL, 0x0,
        "Body of an unknown record type, or a malformed one", HFILL } },
  };
  static gint *ett[] = { &ett_ke, &ett_ke_record };
  static ei_register_info ei[] = {
    { &ei_ke_error, { "ntpauth.ke.error.expert", PI_RESPONSE_CODE, PI_ERROR,
        "NTS-KE error", EXPFILL } },
    { &ei_ke_warning, { "ntpauth.ke.warning.expert", PI_RESPONSE_CODE, PI_WARN,
        "NTS-KE warning", EXPFILL } },
    { &ei_ke_unknown_critical, { "ntpauth.ke.unknown_critical", PI_PROTOCOL, PI_WARN,
        "Unrecognized critical NTS-KE record", EXPFILL } },
    { &ei_ke_malformed, { "ntpauth.ke.malformed", PI_MALFORMED, PI_ERROR,
        "Malformed NTS-KE record", EXPFILL } },
    { &ei_ke_incomplete, { "ntpauth.ke.incomplete", PI_MALFORMED, PI_WARN,
        "NTS-KE message without End of Message", EXPFILL } },
  };
  proto_ke = proto_register_protocol("NTS Key Establishment (ntpauth)", "NTS-KE", "ntpauth.ke");
  proto_register_field_array(proto_ke, hf, array_length(hf));
  proto_register_subtree_array(ett, array_length(ett));
  expert_module_t *em = expert_register_protocol(proto_ke);
  expert_register_field_array(em, ei, array_length(ei));
  ke_handle = register_dissector("ntpauth.ke", dissect_ke, proto_ke);
}

void ntpauth_ke_handoff(void) {
  /* Also makes TCP 4460 TLS (and offers the port in Decode As, "TLS port"). */
  ssl_dissector_add(NTS_KE_PORT, ke_handle);
}
