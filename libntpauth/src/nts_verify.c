/* nts_verify.c - checking an NTS Authenticator against the known sessions (RFC 8915 §5.6).
 *
 * The associated data is the packet from its first byte to the start of the Authenticator EF;
 * the nonce and ciphertext are read from that EF. A request's plaintext is normally empty; a
 * reply's holds the new cookies. */
#include "nts_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ntpauth/nts_verify.h"

static nta_verdict finish(nta_nts_result *r, nta_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static nta_verdict finish(nta_nts_result *r, nta_verdict v, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
  r->verdict = v;
  return v;
}

static bool try_session(const nta_nts_store *st, size_t i, bool reply, const uint8_t *buf,
                        nta_nts_result *r) {
  const nta_nts_fields *f = &r->fields;
  r->tries++;
  return nta_siv_ctx_open(nta_nts_store_ctx(st, i, reply), buf + f->nonce.off, f->nonce.len,
                          buf, f->auth_off, buf + f->ciphertext.off, f->ciphertext.len,
                          r->plain);
}

static nta_verdict good(const nta_nts_store *st, size_t i, nta_nts_result *r, bool reply) {
  r->session = (int)i;
  r->plain_len = r->fields.ciphertext.len - NTA_NTS_TAG_LEN;
  nta_diag why;
  if (nta_nts_parse_plain(r->plain, r->plain_len, &r->inner, &why) != NTA_OK)
    return finish(r, NTA_V_GOOD, "%s %s (%s); %s", NTA_NTS_ALG_NAME,
                  nta_nts_store_session(st, i)->name, reply ? "S2C" : "C2S", why.msg);
  return finish(r, NTA_V_GOOD, "%s %s (%s)", NTA_NTS_ALG_NAME,
                nta_nts_store_session(st, i)->name, reply ? "S2C" : "C2S");
}

nta_verdict nta_nts_verify(const nta_nts_store *st, const uint8_t *buf, size_t len, bool reply,
                           int hint, int expected, nta_nts_result *r) {
  r->session = -1;
  r->plain_len = 0;
  r->tries = 0;
  memset(&r->inner, 0, sizeof r->inner);
  nta_diag why;
  if (nta_nts_parse(buf, len, &r->fields, &why) != NTA_OK)
    return finish(r, NTA_V_MALFORMED, "NTS: %s", why.msg);
  if (!r->fields.has_auth)
    return finish(r, NTA_V_NTS, "NTS fields without an authenticator");
  size_t n = nta_nts_store_count(st);
  if (n == 0) return finish(r, NTA_V_NTS, "NTS: no session keys given (--tls-keylog, --nts-dump)");
  if (r->fields.ciphertext.len - NTA_NTS_TAG_LEN > NTA_NTS_PLAIN_MAX)
    return finish(r, NTA_V_NTS, "NTS: %u bytes of encrypted fields, more than this tool keeps",
                  r->fields.ciphertext.len - NTA_NTS_TAG_LEN);
  if (expected >= 0 && (size_t)expected < n) hint = expected;
  if (hint >= 0 && (size_t)hint < n && try_session(st, (size_t)hint, reply, buf, r))
    return good(st, (size_t)hint, r, reply);
  for (size_t i = 0; i < n; i++)
    if ((int)i != hint && try_session(st, i, reply, buf, r)) return good(st, i, r, reply);
  if (expected >= 0 && (size_t)expected < n) {
    r->session = expected;
    return finish(r, NTA_V_BAD_MAC, "%s authenticator does not verify with %s (%s)",
                  NTA_NTS_ALG_NAME, nta_nts_store_session(st, (size_t)expected)->name,
                  reply ? "S2C" : "C2S");
  }
  return finish(r, NTA_V_NTS, "NTS: none of the %zu known sessions verifies it", n);
}
