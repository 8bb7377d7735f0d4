/* ntske.c - NTS-KE record parsing (RFC 8915 §4) and a one-line description. */
#include "ntpauth/ntske.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ntpauth/bytes.h"

#define CRITICAL 0x8000u

/* A record whose body is a list of 16-bit values (next protocols, AEAD algorithms). */
static bool take_list(nta_reader *r, uint16_t blen, uint16_t *list, uint8_t *n) {
  if (blen % 2) return false;
  for (uint16_t i = 0; i < blen / 2; i++) {
    uint16_t v = nta_rd_u16(r);
    if (*n < NTA_KE_LIST_MAX) list[(*n)++] = v;
  }
  return true;
}

static bool take_u16(nta_reader *r, uint16_t blen, bool *has, uint16_t *v) {
  if (blen != 2) return false;
  *v = nta_rd_u16(r);
  *has = true;
  return true;
}

static void take_server(nta_reader *r, uint16_t blen, nta_ntske_msg *m) {
  size_t n = blen < sizeof m->server - 1 ? blen : sizeof m->server - 1;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = r->data[r->off + i];
    m->server[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  m->server[n] = '\0';
  m->has_server = true;
  nta_rd_skip(r, blen);
}

/* One record's body at r (blen bytes, inside the buffer). False when it is malformed. */
static bool take_record(nta_reader *r, uint16_t type, uint16_t blen, nta_ntske_msg *m) {
  switch (type) {
  case NTA_KE_END:
    return blen == 0;
  case NTA_KE_NEXT_PROTOCOL:
    return take_list(r, blen, m->protocols, &m->n_protocols);
  case NTA_KE_AEAD:
    return take_list(r, blen, m->aeads, &m->n_aeads);
  case NTA_KE_ERROR:
    return take_u16(r, blen, &m->has_error, &m->error);
  case NTA_KE_WARNING:
    return take_u16(r, blen, &m->has_warning, &m->warning);
  case NTA_KE_PORT:
    return take_u16(r, blen, &m->has_port, &m->port);
  case NTA_KE_SERVER:
    take_server(r, blen, m);
    return true;
  case NTA_KE_COOKIE:
    if (m->n_cookies_kept < NTA_NTS_MAX_COOKIES)
      m->cookies[m->n_cookies_kept++] = (nta_span){(uint32_t)r->off, blen};
    if (m->n_cookies < UINT16_MAX) m->n_cookies++;
    return nta_rd_skip(r, blen);
  default:
    if (m->n_unknown < UINT16_MAX) m->n_unknown++;
    return nta_rd_skip(r, blen);
  }
}

nta_status nta_ntske_record_at(const uint8_t *buf, size_t len, size_t off, nta_ntske_record *rec) {
  nta_reader r;
  nta_rd_init(&r, buf, len);
  if (off > len || !nta_rd_skip(&r, off)) return NTA_ERR_RANGE;
  uint16_t word = nta_rd_u16(&r), blen = nta_rd_u16(&r);
  if (r.err || blen > nta_rd_remaining(&r)) return NTA_ERR_RANGE;
  *rec = (nta_ntske_record){.type = word & ~CRITICAL, .critical = (word & CRITICAL) != 0,
                            .off = off, .body_len = blen};
  return NTA_OK;
}

nta_status nta_ntske_parse(const uint8_t *buf, size_t len, nta_ntske_msg *m, nta_diag *why) {
  memset(m, 0, sizeof *m);
  nta_ntske_record rec;
  for (size_t off = 0; nta_ntske_record_at(buf, len, off, &rec) == NTA_OK;) {
    if (m->n_records < UINT16_MAX) m->n_records++;
    if (rec.type > NTA_KE_PORT && rec.critical) m->unknown_critical = true;
    nta_reader r;   /* the body only, offsets still counted from buf */
    nta_rd_init(&r, buf, off + 4 + rec.body_len);
    r.off = off + 4;
    if (!take_record(&r, rec.type, rec.body_len, m))
      return nta_diag_set(why, NTA_ERR_PARSE, "NTS-KE record type %u at offset %zu: body of %u "
                          "bytes is malformed", rec.type, off, rec.body_len);
    off += 4 + (size_t)rec.body_len;
    if (rec.type == NTA_KE_END) {
      m->complete = true;
      m->used = off;
      return NTA_OK;
    }
  }
  return NTA_ERR_RANGE;
}

const char *nta_ntske_record_name(uint16_t type) {
  switch (type) {
  case NTA_KE_END: return "End of Message";
  case NTA_KE_NEXT_PROTOCOL: return "NTS Next Protocol Negotiation";
  case NTA_KE_ERROR: return "Error";
  case NTA_KE_WARNING: return "Warning";
  case NTA_KE_AEAD: return "AEAD Algorithm Negotiation";
  case NTA_KE_COOKIE: return "New Cookie for NTPv4";
  case NTA_KE_SERVER: return "NTPv4 Server Negotiation";
  case NTA_KE_PORT: return "NTPv4 Port Negotiation";
  default: return "Unknown";
  }
}

/* IANA "AEAD Algorithms" registry: the ids NTS implementations use. */
const char *nta_ntske_aead_name(uint16_t id) {
  switch (id) {
  case 1: return "AEAD_AES_128_GCM";
  case 2: return "AEAD_AES_256_GCM";
  case NTA_NTS_AEAD_AES_SIV_CMAC_256: return "AEAD_AES_SIV_CMAC_256";
  case 16: return "AEAD_AES_SIV_CMAC_384";
  case 17: return "AEAD_AES_SIV_CMAC_512";
  case 30: return "AEAD_AES_128_GCM_SIV";
  case 31: return "AEAD_AES_256_GCM_SIV";
  default: return "Unknown";
  }
}

const char *nta_ntske_protocol_name(uint16_t id) { return id == 0 ? "NTPv4" : "Unknown"; }

const char *nta_ntske_error_name(uint16_t code) {
  switch (code) {
  case 0: return "unrecognized critical record";
  case 1: return "bad request";
  case 2: return "internal server error";
  default: return "unknown";
  }
}

static void add(char *out, size_t outlen, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *out, size_t outlen, size_t *n, const char *fmt, ...) {
  if (*n >= outlen) return;
  va_list ap;
  va_start(ap, fmt);
  int w = vsnprintf(out + *n, outlen - *n, fmt, ap);
  va_end(ap);
  if (w > 0) *n += (size_t)w;
}

void nta_ntske_describe(const nta_ntske_msg *m, char *out, size_t outlen) {
  size_t n = 0;
  if (!outlen) return;
  out[0] = '\0';
  for (int i = 0; i < m->n_protocols; i++)
    add(out, outlen, &n, "%snext protocol %s", n ? ", " : "",
        m->protocols[i] == 0 ? "NTPv4" : "unknown");
  for (int i = 0; i < m->n_aeads; i++) {
    if (m->aeads[i] == NTA_NTS_AEAD_AES_SIV_CMAC_256)
      add(out, outlen, &n, "%sAEAD %s", n ? ", " : "", NTA_NTS_ALG_NAME);
    else
      add(out, outlen, &n, "%sAEAD %u", n ? ", " : "", m->aeads[i]);
  }
  if (m->n_cookies)
    add(out, outlen, &n, "%s%u cookie%s of %u bytes", n ? ", " : "", m->n_cookies,
        m->n_cookies == 1 ? "" : "s", m->n_cookies_kept ? m->cookies[0].len : 0);
  if (m->has_server) add(out, outlen, &n, "%sserver %s", n ? ", " : "", m->server);
  if (m->has_port) add(out, outlen, &n, "%sport %u", n ? ", " : "", m->port);
  if (m->has_error)
    add(out, outlen, &n, "%serror %u (%s)", n ? ", " : "", m->error, nta_ntske_error_name(m->error));
  if (m->has_warning) add(out, outlen, &n, "%swarning %u", n ? ", " : "", m->warning);
  if (m->n_unknown)
    add(out, outlen, &n, "%s%u unknown record%s%s", n ? ", " : "", m->n_unknown,
        m->n_unknown == 1 ? "" : "s", m->unknown_critical ? " (critical)" : "");
  if (!n) add(out, outlen, &n, "empty message");
}
