/* dissector/ntpauth-nts.c - NTS verification in the plugin.
 *
 * Keys come from a TLS key log (this protocol's preference, or else the TLS dissector's own
 * "(Pre)-Master-Secret log filename", so one key log serves both) and from chrony ntsdumpdir
 * files. The tracker of the core follows the capture on the first pass, in frame order; what it
 * says about each NTS frame is kept in a file-scoped map for later passes, as the exchange
 * results are. */
#define WS_LOG_DOMAIN "ntpauth"

#include "ntpauth-nts.h"

#include <string.h>

#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/prefs-int.h>
#include <wsutil/report_message.h>

static const char *pref_keylog = "";
static const char *pref_dumps = "";
static char *loaded_keylog, *loaded_dumps;   /* what the store was built from */
static nta_nts_store *store;
static nta_nts_tracker *tracker;
static wmem_map_t *nts_frames;               /* frame -> nta_nts_info (file scope) */

static int hf_nts_session = -1;
static int hf_nts_cookie_from = -1;
static int hf_nts_cookie_source = -1;
static int hf_nts_uid_request = -1;
static int hf_nts_new_cookies = -1;
static int hf_nts_reused = -1;
static int hf_nts_uid_mismatch = -1;
static int hf_nts_nak = -1;
static int hf_nts_after_nak = -1;
static int hf_nts_nak_followup = -1;
static gint ett_nts = -1;
static expert_field ei_nts_bad = EI_INIT;
static expert_field ei_nts_reused = EI_INIT;
static expert_field ei_nts_uid_mismatch = EI_INIT;
static expert_field ei_nts_nak = EI_INIT;
static expert_field ei_nts_followup = EI_INIT;

/* The key log to use: ours, else the TLS dissector's. */
static const char *keylog_path(void) {
  if (pref_keylog && *pref_keylog) return pref_keylog;
  module_t *tls = prefs_find_module("tls");
  pref_t *p = tls ? prefs_find_preference(tls, "keylog_file") : NULL;
  const char *v = p ? prefs_get_string_value(p, pref_current) : NULL;
  return v ? v : "";
}

static void append_diags(GString *problems, const nta_diags *ds) {
  for (size_t i = 0; i < nta_diags_count(ds); i++)
    g_string_append_printf(problems, "%s%s", problems->len ? "; " : "", nta_diags_msg(ds, i));
}

static void load_dumps(nta_nts_store *st, const char *list, GString *problems) {
  gchar **parts = g_strsplit(list, ";", -1);
  for (gchar **p = parts; *p; p++) {
    g_strstrip(*p);
    if (!**p) continue;
    nta_diag err;
    nta_diags *ds = nta_diags_create();
    if (nta_nts_load_dump(st, *p, ds, &err) != NTA_OK)
      g_string_append_printf(problems, "%s%s", problems->len ? "; " : "", err.msg);
    append_diags(problems, ds);
    nta_diags_destroy(ds);
  }
  g_strfreev(parts);
}

static void reload_store(void) {
  const char *kl = keylog_path(), *dumps = pref_dumps ? pref_dumps : "";
  if (store && g_strcmp0(kl, loaded_keylog) == 0 && g_strcmp0(dumps, loaded_dumps) == 0) return;
  nta_nts_store *st = nta_nts_store_create();
  if (!st) return;
  GString *problems = g_string_new(NULL);
  if (*kl) {
    nta_diags *ds = nta_diags_create();
    nta_diag err;
    if (nta_nts_load_keylog(st, kl, ds, &err) != NTA_OK)
      g_string_append(problems, err.msg);
    append_diags(problems, ds);
    nta_diags_destroy(ds);
  }
  load_dumps(st, dumps, problems);
  if (problems->len) report_failure("NTP authentication (ntpauth), NTS keys: %s", problems->str);
  g_string_free(problems, TRUE);
  nta_nts_store_destroy(store);
  store = st;
  g_free(loaded_keylog);
  g_free(loaded_dumps);
  loaded_keylog = g_strdup(kl);
  loaded_dumps = g_strdup(dumps);
}

void ntpauth_nts_init(void) {
  reload_store();
  nta_nts_tracker_destroy(tracker);
  tracker = nta_nts_tracker_create(store);
}

void ntpauth_nts_cleanup(void) {
  nta_nts_tracker_destroy(tracker);
  tracker = NULL;
}

void ntpauth_nts_shutdown(void) {
  ntpauth_nts_cleanup();
  nta_nts_store_destroy(store);
  store = NULL;
  g_free(loaded_keylog);
  g_free(loaded_dumps);
  loaded_keylog = loaded_dumps = NULL;
}

/* The client end's address bytes: the source of a request, the destination of a reply. */
static const address *client_address(packet_info *pinfo, const nta_packet *pkt) {
  return pkt->mode == NTA_MODE_SERVER ? &pinfo->dst : &pinfo->src;
}

const nta_nts_info *ntpauth_nts_apply(packet_info *pinfo, const nta_packet *pkt,
                                      const guint8 *bytes, guint len, nta_verify_result *vr) {
  const nta_nts_info *info;
  if (!pkt->has_nts && pkt->mode != NTA_MODE_CLIENT) return NULL;   /* (NAK follow-ups: requests) */
  if (!PINFO_FD_VISITED(pinfo)) {
    if (!tracker || !pkt->header_ok || (pkt->mode != NTA_MODE_CLIENT && pkt->mode != NTA_MODE_SERVER))
      return NULL;
    nta_nts_info now;
    const address *a = client_address(pinfo, pkt);
    nta_nts_tracker_packet(tracker, pinfo->num, a->data, (size_t)a->len, pkt, bytes, len, &now);
    if (!now.is_nts && !now.nak_frame) return NULL;
    nta_nts_info *kept = wmem_new(wmem_file_scope(), nta_nts_info);
    *kept = now;
    wmem_map_insert(nts_frames, GUINT_TO_POINTER(pinfo->num), kept);
    info = kept;
  } else {
    info = wmem_map_lookup(nts_frames, GUINT_TO_POINTER(pinfo->num));
  }
  if (!info || !info->is_nts || vr->verdict != NTA_V_NTS) return info;
  vr->verdict = info->verdict;
  g_strlcpy(vr->reason, info->reason, sizeof vr->reason);
  if (info->verdict == NTA_V_GOOD || info->verdict == NTA_V_BAD_MAC) vr->algorithm = NTA_NTS_ALG_NAME;
  return info;
}

int ntpauth_nts_session_of_random(const guint8 *client_random) {
  return store ? nta_nts_store_find_random(store, client_random) : -1;
}

const char *ntpauth_nts_session_name(int session) {
  const nta_nts_session *s = store && session >= 0 ? nta_nts_store_session(store, (size_t)session)
                                                   : NULL;
  return s ? s->name : "";
}

void ntpauth_nts_ke_cookies(packet_info *pinfo, const guint8 *msg, const nta_ntske_msg *m,
                            int session) {
  if (PINFO_FD_VISITED(pinfo) || !tracker) return;
  const uint8_t *c[NTA_NTS_MAX_COOKIES];
  uint16_t l[NTA_NTS_MAX_COOKIES];
  for (int i = 0; i < m->n_cookies_kept; i++) {
    c[i] = msg + m->cookies[i].off;
    l[i] = (uint16_t)m->cookies[i].len;
  }
  nta_nts_tracker_ke_cookies(tracker, pinfo->num, session, c, l, m->n_cookies_kept);
}

static const char *cookie_source_name(nta_cookie_source s) {
  switch (s) {
  case NTA_COOKIE_REPLY: return "an earlier reply";
  case NTA_COOKIE_DUMP: return "a chrony dump";
  case NTA_COOKIE_KE: return "an NTS-KE response";
  default: return "not seen (an NTS-KE outside the capture)";
  }
}

static proto_item *add_frame(proto_tree *t, int hf, tvbuff_t *tvb, guint32 frame) {
  proto_item *pi = proto_tree_add_uint(t, hf, tvb, 0, 0, frame);
  proto_item_set_generated(pi);
  return pi;
}

static void add_findings(proto_tree *t, packet_info *pinfo, tvbuff_t *tvb, const nta_nts_info *in) {
  proto_item *pi;
  if (in->reused_frame) {
    pi = add_frame(t, hf_nts_reused, tvb, in->reused_frame);
    expert_add_info_format(pinfo, pi, &ei_nts_reused,
                           "Cookie reused: frame %u sent it already (RFC 8915 section 5.7)",
                           in->reused_frame);
  }
  if (in->uid_mismatch_frame) {
    pi = add_frame(t, hf_nts_uid_mismatch, tvb, in->uid_mismatch_frame);
    expert_add_info_format(pinfo, pi, &ei_nts_uid_mismatch,
                           "Unique Identifier differs from its request's (frame %u)",
                           in->uid_mismatch_frame);
  }
  if (in->nak) {
    pi = proto_tree_add_boolean(t, hf_nts_nak, tvb, 0, 0, TRUE);
    proto_item_set_generated(pi);
    expert_add_info(pinfo, pi, &ei_nts_nak);
  }
  if (in->nak_frame) {
    add_frame(t, hf_nts_after_nak, tvb, in->nak_frame);
    pi = proto_tree_add_string(t, hf_nts_nak_followup, tvb, 0, 0,
                               nta_nak_followup_text(in->nak_followup));
    proto_item_set_generated(pi);
    expert_add_info_format(pinfo, pi, &ei_nts_followup, "After the NTS NAK in frame %u %s",
                           in->nak_frame, nta_nak_followup_text(in->nak_followup));
  }
}

void ntpauth_nts_add_items(proto_tree *at, packet_info *pinfo, tvbuff_t *tvb,
                           const nta_nts_info *in) {
  if (!in) return;
  /* No session: the field is empty, as the analyzer's nts_session is null; the tree says so. */
  proto_item *ti = proto_tree_add_string(at, hf_nts_session, tvb, 0, 0, in->session_name);
  if (!in->session_name[0]) proto_item_set_text(ti, "NTS session: (unknown)");
  proto_item_set_generated(ti);
  proto_tree *t = proto_item_add_subtree(ti, ett_nts);
  if (in->is_nts && in->verdict == NTA_V_BAD_MAC)
    expert_add_info_format(pinfo, ti, &ei_nts_bad, "NTS authentication failed: %s", in->reason);
  if (in->request_frame) add_frame(t, hf_nts_uid_request, tvb, in->request_frame);
  if (in->is_nts && !in->reply) {
    proto_item *pi = proto_tree_add_string(t, hf_nts_cookie_source, tvb, 0, 0,
                                           cookie_source_name(in->cookie_source));
    proto_item_set_generated(pi);
    if (in->cookie_frame) add_frame(t, hf_nts_cookie_from, tvb, in->cookie_frame);
  }
  if (in->new_cookies) {
    proto_item *pi = proto_tree_add_uint(t, hf_nts_new_cookies, tvb, 0, 0, in->new_cookies);
    proto_item_set_generated(pi);
  }
  add_findings(t, pinfo, tvb, in);
}

void ntpauth_nts_register(int proto) {
  static hf_register_info hf[] = {
    { &hf_nts_session, { "NTS session", "ntpauth.nts_session", FT_STRING, BASE_NONE, NULL, 0x0,
        "The NTS-KE session whose keys verify the packet: tls:<client random> from a key log, "
        "dump:<server> from a chrony dump", HFILL } },
    { &hf_nts_cookie_source, { "Cookie from", "ntpauth.nts.cookie_source", FT_STRING, BASE_NONE,
        NULL, 0x0, "Where the request's cookie was delivered", HFILL } },
    { &hf_nts_cookie_from, { "Cookie delivered in", "ntpauth.nts.cookie_from", FT_FRAMENUM,
        BASE_NONE, NULL, 0x0, "The reply (or NTS-KE) frame that delivered the request's cookie",
        HFILL } },
    { &hf_nts_uid_request, { "Request (Unique Identifier)", "ntpauth.nts.request_in",
        FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0,
        "The request with this reply's Unique Identifier", HFILL } },
    { &hf_nts_new_cookies, { "New cookies", "ntpauth.nts.new_cookies", FT_UINT32, BASE_DEC, NULL,
        0x0, "Cookies delivered in the reply's encrypted fields", HFILL } },
    { &hf_nts_reused, { "Cookie reused from", "ntpauth.nts.reused_cookie", FT_FRAMENUM,
        BASE_NONE, NULL, 0x0, "An earlier request sent the same cookie", HFILL } },
    { &hf_nts_uid_mismatch, { "Unique Identifier mismatch with", "ntpauth.nts.uid_mismatch",
        FT_FRAMENUM, BASE_NONE, NULL, 0x0,
        "The request this reply answers (origin timestamp) has another Unique Identifier",
        HFILL } },
    { &hf_nts_nak, { "NTS NAK", "ntpauth.nts.nak", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
        "Kiss-o'-Death NTSN: the server could not use the cookie", HFILL } },
    { &hf_nts_after_nak, { "After NTS NAK in", "ntpauth.nts.after_nak", FT_FRAMENUM, BASE_NONE,
        NULL, 0x0, "The client's first request after an NTS NAK", HFILL } },
    { &hf_nts_nak_followup, { "After the NAK", "ntpauth.nts.nak_followup", FT_STRING, BASE_NONE,
        NULL, 0x0, "What the client did after the NTS NAK", HFILL } },
  };
  static gint *ett[] = { &ett_nts };
  static ei_register_info ei[] = {
    { &ei_nts_bad, { "ntpauth.nts.bad.expert", PI_SECURITY, PI_ERROR,
        "NTS authentication failed", EXPFILL } },
    { &ei_nts_reused, { "ntpauth.nts.reused_cookie.expert", PI_SECURITY, PI_WARN,
        "NTS cookie reused", EXPFILL } },
    { &ei_nts_uid_mismatch, { "ntpauth.nts.uid_mismatch.expert", PI_SECURITY, PI_WARN,
        "NTS Unique Identifier mismatch", EXPFILL } },
    { &ei_nts_nak, { "ntpauth.nts.nak.expert", PI_RESPONSE_CODE, PI_WARN,
        "NTS NAK (KoD NTSN)", EXPFILL } },
    { &ei_nts_followup, { "ntpauth.nts.nak_followup.expert", PI_SEQUENCE, PI_NOTE,
        "Client reaction to an NTS NAK", EXPFILL } },
  };
  proto_register_field_array(proto, hf, array_length(hf));
  proto_register_subtree_array(ett, array_length(ett));
  expert_module_t *em = expert_register_protocol(proto);
  expert_register_field_array(em, ei, array_length(ei));

  module_t *module = prefs_find_module("ntpauth");
  if (module) {
    prefs_register_filename_preference(module, "tls_keylog", "TLS key log (NTS)",
        "NSS key log (SSLKEYLOGFILE) with EXPORTER_SECRET lines of the NTS-KE sessions; empty: "
        "the TLS protocol's (Pre)-Master-Secret log file", &pref_keylog, FALSE);
    prefs_register_string_preference(module, "nts_dump", "chrony NTS dumps",
        "chrony ntsdumpdir folders or .nts files with client keys and cookies, separated by ;",
        &pref_dumps);
  }
  nts_frames = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), g_direct_hash,
                                      g_direct_equal);
}
