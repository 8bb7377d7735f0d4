/* mode6.c - NTP control messages (see mode6.h). No I/O, no clocks. */
#include "mode6.h"

#include <stdio.h>
#include <string.h>

#include "ntpauth/bytes.h"

#define M6_TEXT_MAX (M6_DATA_MAX * M6_MAX_FRAGS)
#define M6_R_RESPONSE 0x80
#define M6_R_ERROR 0x40
#define M6_R_MORE 0x20

typedef struct {
  uint16_t status;
  const uint8_t *data;
  size_t len;
} m6_body;

const char *m6_outcome_name(m6_outcome o) {
  switch (o) {
  case M6_ANSWER: return "answer";
  case M6_ERROR: return "error";
  case M6_DROP: return "drop";
  }
  return "?";
}

bool m6_is_control(const uint8_t *buf, size_t len) {
  return len >= 1 && (buf[0] & 7) == NTA_MODE_CONTROL;
}

static uint8_t reply_li(const m6_snapshot *s) {
  return s->ts.synced ? (uint8_t)(s->ts.leap & 3) : 3;
}

static void put_header(uint8_t *f, const m6_result *res, const m6_snapshot *s, uint8_t flags,
                       uint16_t status, uint16_t offset, uint16_t count) {
  nta_writer w;
  nta_wr_init(&w, f, NTA_CTL_HEADER_LEN);
  nta_wr_u8(&w, (uint8_t)(reply_li(s) << 6 | (res->pkt.version & 7) << 3 | NTA_MODE_CONTROL));
  nta_wr_u8(&w, (uint8_t)(M6_R_RESPONSE | flags | (res->pkt.ctl.opcode & 0x1f)));
  nta_wr_u16(&w, res->pkt.ctl.sequence);
  nta_wr_u16(&w, status);
  nta_wr_u16(&w, res->pkt.ctl.assoc_id);
  nta_wr_u16(&w, offset);
  nta_wr_u16(&w, count);
}

/* Appends the MAC of a verified request's key (ntpd puts it on a 64-bit boundary after the
 * data; an error reply has it right after the header). Returns the new length, 0 on failure. */
static size_t sign(m6_result *res, uint8_t *f, size_t len, bool align8) {
  if (!res->signed_reply) return len;
  if (align8)
    while (len & 7) f[len++] = 0;
  return nta_sign(res->vr.key, f, len, M6_FRAG_MAX, res->vr.digest_len);
}

static m6_outcome set_error(m6_result *res, const m6_snapshot *s, uint8_t code) {
  res->outcome = M6_ERROR;
  res->error_code = code;
  put_header(res->frag[0], res, s, M6_R_ERROR, (uint16_t)(code << 8), 0, 0);
  size_t len = sign(res, res->frag[0], NTA_CTL_HEADER_LEN, false);
  if (!len) { res->outcome = M6_DROP; res->n_frags = 0; return M6_DROP; }
  res->frag_len[0] = len;
  res->n_frags = 1;
  return M6_ERROR;
}

static m6_outcome build_fragments(m6_result *res, const m6_snapshot *s, const m6_body *b) {
  size_t off = 0;
  res->n_frags = 0;
  do {
    size_t chunk = b->len - off > M6_DATA_MAX ? M6_DATA_MAX : b->len - off;
    bool more = off + chunk < b->len;
    if (res->n_frags == M6_MAX_FRAGS) return set_error(res, s, M6_ERR_UNSPEC);
    uint8_t *f = res->frag[res->n_frags];
    put_header(f, res, s, more ? M6_R_MORE : 0, b->status, (uint16_t)off, (uint16_t)chunk);
    if (chunk) memcpy(f + NTA_CTL_HEADER_LEN, b->data + off, chunk);
    size_t len = NTA_CTL_HEADER_LEN + chunk;
    while (len & 3) f[len++] = 0;
    len = sign(res, f, len, true);
    if (!len) { res->outcome = M6_DROP; res->n_frags = 0; return M6_DROP; }
    res->frag_len[res->n_frags++] = len;
    off += chunk;
  } while (off < b->len);
  res->outcome = M6_ANSWER;
  return M6_ANSWER;
}

/* READSTAT on association 0: (id, status) pairs, in id order. */
static size_t assoc_list(const m6_snapshot *s, uint8_t *out, size_t cap) {
  nta_writer w;
  nta_wr_init(&w, out, cap);
  uint16_t last = 0;
  for (size_t k = 0; k < s->n_assoc; k++) {
    const m6_assoc *next = NULL;
    for (size_t i = 0; i < s->n_assoc; i++)
      if (s->assoc[i].id > last && (!next || s->assoc[i].id < next->id)) next = &s->assoc[i];
    if (!next) break;
    nta_wr_u16(&w, next->id);
    nta_wr_u16(&w, m6_peer_status(next));
    last = next->id;
  }
  return w.off;
}

static m6_outcome answer_vars(m6_result *res, const m6_snapshot *s, m6_var_set set,
                              const m6_assoc *a, uint16_t status, const uint8_t *req) {
  char text[M6_TEXT_MAX];
  size_t len;
  const char *names = (const char *)req + NTA_CTL_HEADER_LEN;
  int rc = m6_format_vars(set, s, a, names, res->pkt.ctl.count, text, sizeof text, &len);
  if (rc) return set_error(res, s, (uint8_t)(rc - 1));
  m6_body b = {status, (const uint8_t *)text, len};
  return build_fragments(res, s, &b);
}

static m6_outcome dispatch(m6_result *res, const m6_snapshot *s, const uint8_t *req) {
  uint16_t id = res->pkt.ctl.assoc_id;
  const m6_assoc *a = m6_find_assoc(s, id);
  uint8_t list[4 * M6_MAX_ASSOC];
  switch (res->pkt.ctl.opcode) {
  case M6_OP_UNSPEC:
  case M6_OP_READSTAT:
    if (id != 0 && !a) return set_error(res, s, M6_ERR_BADASSOC);
    if (id != 0 && res->pkt.ctl.opcode == M6_OP_READSTAT)
      return answer_vars(res, s, M6_VARS_PEER_STATUS, a, m6_peer_status(a), req);
    {
      m6_body b = {m6_sys_status(s), list, 0};
      if (res->pkt.ctl.opcode == M6_OP_READSTAT) b.len = assoc_list(s, list, sizeof list);
      if (id != 0) b.status = m6_peer_status(a);
      return build_fragments(res, s, &b);
    }
  case M6_OP_READVAR:
    if (id == 0) return answer_vars(res, s, M6_VARS_SYS, NULL, m6_sys_status(s), req);
    if (!a) return set_error(res, s, M6_ERR_BADASSOC);
    return answer_vars(res, s, M6_VARS_PEER, a, m6_peer_status(a), req);
  case M6_OP_READCLOCK:
    if (id == 0) a = m6_find_assoc(s, s->sys_peer);
    if (!a) return set_error(res, s, M6_ERR_BADASSOC);
    return answer_vars(res, s, M6_VARS_CLOCK, a, 0, req);
  case M6_OP_WRITEVAR:
  case M6_OP_WRITECLOCK:
  case M6_OP_CONFIGURE:
  case M6_OP_SAVECONFIG:
  case M6_OP_READ_ORDLIST_A:
    return set_error(res, s, M6_ERR_PERMISSION);
  default:
    return set_error(res, s, M6_ERR_BADOP);
  }
}

static m6_outcome drop(m6_result *res) {
  res->outcome = M6_DROP;
  res->n_frags = 0;
  return M6_DROP;
}

m6_outcome m6_respond(const uint8_t *buf, size_t len, const m6_snapshot *snap,
                      const m6_policy *pol, const nta_keyring *kr, m6_result *res) {
  res->error_code = 0;
  res->signed_reply = false;
  memset(&res->vr, 0, sizeof res->vr);
  res->vr.verdict = NTA_V_MALFORMED;
  res->vr.split = -1;
  drop(res);
  if (nta_packet_parse(buf, len, len, &res->pkt) != NTA_PKT_OK || !res->pkt.header_ok ||
      res->pkt.mode != NTA_MODE_CONTROL)
    return drop(res);
  /* Never answer a response (no loops between two servers), a request fragment (ntpd takes
   * single-datagram requests only), or a version ntpd would not. */
  const nta_packet *p = &res->pkt;
  if (p->ctl.response || p->ctl.error || p->ctl.more || p->ctl.offset != 0 ||
      p->version < 1 || p->version > 4)
    return drop(res);
  switch (nta_verify(kr, p, buf, &res->vr)) {
  case NTA_V_GOOD:
    res->signed_reply = res->vr.key != NULL;
    if (!res->signed_reply) return drop(res);
    break;
  case NTA_V_NO_AUTH:
    if (pol->require_auth) return set_error(res, snap, M6_ERR_PERMISSION);
    break;
  case NTA_V_BAD_MAC:
  case NTA_V_UNKNOWN_KEY:
  case NTA_V_UNTRUSTED_KEY:
    return set_error(res, snap, M6_ERR_PERMISSION);
  default:
    return drop(res);
  }
  return dispatch(res, snap, buf);
}
