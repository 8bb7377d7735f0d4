/* nts_fields.c - the NTS extension fields of a packet and of a decrypted reply (RFC 8915 §5).
 *
 * Layout after the 48-byte header: EFs of Type(16) Length(16) body, Length counting the whole
 * field, a multiple of 4 and at least 16 (RFC 7822 §3). NTS packets carry no legacy MAC, so the
 * walk must end exactly at the packet's end. The Authenticator and Encrypted Extension Fields
 * EF must be the last one: everything before it is the associated data. Its body is
 * Nonce Length(16) Ciphertext Length(16), the nonce padded to 4, the ciphertext (SIV tag first)
 * padded to 4, then optional padding (RFC 8915 §5.6). */
#include "ntpauth/nts.h"

#include <string.h>

#include "ntpauth/bytes.h"

#define HEADER_LEN 48
#define EF_MIN 16
#define PLAIN_EF_MIN 4

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* Reads the Authenticator body at [off, off + len) of buf into f. */
static nta_status parse_auth(const uint8_t *buf, size_t off, size_t len, nta_nts_fields *f,
                             nta_diag *why) {
  nta_reader r;
  nta_rd_init(&r, buf + off, len);
  uint16_t nlen = nta_rd_u16(&r);
  uint16_t clen = nta_rd_u16(&r);
  if (r.err)
    return nta_diag_set(why, NTA_ERR_PARSE, "NTS authenticator at offset %zu: too short",
                        off - 4);
  if (4 + pad4(nlen) + pad4(clen) > len)
    return nta_diag_set(why, NTA_ERR_PARSE,
                        "NTS authenticator at offset %zu: nonce %u + ciphertext %u bytes exceed "
                        "the field", off - 4, nlen, clen);
  if (nlen == 0 || clen < NTA_NTS_TAG_LEN)
    return nta_diag_set(why, NTA_ERR_PARSE,
                        "NTS authenticator at offset %zu: nonce %u bytes, ciphertext %u bytes "
                        "(needs >= 1 and >= %d)", off - 4, nlen, clen, NTA_NTS_TAG_LEN);
  f->has_auth = true;
  f->auth_off = (uint32_t)(off - 4);
  f->nonce = (nta_span){(uint32_t)(off + 4), nlen};
  f->ciphertext = (nta_span){(uint32_t)(off + 4 + pad4(nlen)), clen};
  return NTA_OK;
}

/* Reads an EF header at r; false with a reason when its length is not a multiple of 4 of at
 * least `min` bytes within the buffer. */
static bool ef_header(nta_reader *r, unsigned min, const char *what, uint16_t *type,
                      uint16_t *flen, nta_diag *why) {
  size_t at = r->off;
  *type = nta_rd_u16(r);
  *flen = nta_rd_u16(r);
  if (!r->err && *flen >= min && *flen % 4 == 0 && *flen <= r->len - at) return true;
  nta_diag_set(why, NTA_ERR_PARSE, "%s at offset %zu: length %u (needs a multiple of 4, >= %u, "
               "within the %zu bytes)", what, at, *flen, min, r->len);
  return false;
}

static void count(uint8_t *c) { if (*c < UINT8_MAX) (*c)++; }

/* Records one EF (type, body at [off, off + blen)) in f. */
static nta_status take_field(const uint8_t *buf, uint16_t type, size_t off, size_t blen,
                             nta_nts_fields *f, nta_diag *why) {
  switch (type) {
  case NTA_EF_NTS_UID:
    if (!f->has_uid) f->uid = (nta_span){(uint32_t)off, (uint16_t)blen};
    f->has_uid = true;
    return NTA_OK;
  case NTA_EF_NTS_COOKIE:
    if (!f->has_cookie) f->cookie = (nta_span){(uint32_t)off, (uint16_t)blen};
    f->has_cookie = true;
    count(&f->n_cookies);
    return NTA_OK;
  case NTA_EF_NTS_PLACEHOLDER:
    count(&f->n_placeholders);
    return NTA_OK;
  case NTA_EF_NTS_AUTH:
    return parse_auth(buf, off, blen, f, why);
  default:
    count(&f->n_other);
    return NTA_OK;
  }
}

nta_status nta_nts_parse(const uint8_t *buf, size_t len, nta_nts_fields *f, nta_diag *why) {
  memset(f, 0, sizeof *f);
  if (!buf || len < HEADER_LEN)
    return nta_diag_set(why, NTA_ERR_PARSE, "shorter than the %d-byte NTP header", HEADER_LEN);
  nta_reader r;
  nta_rd_init(&r, buf, len);
  nta_rd_skip(&r, HEADER_LEN);
  while (nta_rd_remaining(&r) > 0) {
    size_t at = r.off;
    if (f->has_auth)
      return nta_diag_set(why, NTA_ERR_PARSE,
                          "NTS authenticator is not the last extension field (more at offset %zu)",
                          at);
    uint16_t type, flen;
    if (!ef_header(&r, EF_MIN, "extension field", &type, &flen, why)) return NTA_ERR_PARSE;
    nta_status st = take_field(buf, type, at + 4, flen - 4u, f, why);
    if (st != NTA_OK) return st;
    nta_rd_skip(&r, flen - 4u);
  }
  return NTA_OK;
}

nta_status nta_nts_parse_plain(const uint8_t *pt, size_t len, nta_nts_plain *p, nta_diag *why) {
  memset(p, 0, sizeof *p);
  nta_reader r;
  nta_rd_init(&r, pt, len);
  while (nta_rd_remaining(&r) > 0) {
    size_t at = r.off;
    uint16_t type, flen;
    if (!ef_header(&r, PLAIN_EF_MIN, "encrypted extension field", &type, &flen, why))
      return NTA_ERR_PARSE;
    if (type != NTA_EF_NTS_COOKIE) {
      count(&p->n_other);
    } else if (p->n_cookies < NTA_NTS_MAX_COOKIES) {
      p->cookies[p->n_cookies++] = (nta_span){(uint32_t)(at + 4), (uint16_t)(flen - 4u)};
    } else {
      count(&p->n_dropped);
    }
    nta_rd_skip(&r, flen - 4u);
  }
  return NTA_OK;
}
