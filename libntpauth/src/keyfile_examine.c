/* keyfile_examine.c - every line as each of the three daemons reads it (nta_keyfile_examine).
 * Only the first fgets chunk of a line is shown: longer lines are what the loader reports. */
#include "ntpauth/keyfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "keyfile_internal.h"

static const nta_dialect view_dialects[3] = {NTA_DIALECT_NTPD, NTA_DIALECT_NTPSEC,
                                             NTA_DIALECT_CHRONY};

nta_dialect nta_kf_view_dialect(size_t i) { return i < 3 ? view_dialects[i] : NTA_DIALECT_AUTO; }

static void to_view(const nta_kf_reading *r, nta_kf_view *v) {
  memset(v, 0, sizeof *v);
  v->state = r->outcome == KF_KEY ? NTA_KF_LOADED
           : r->outcome == KF_REFUSED ? NTA_KF_REFUSED : NTA_KF_NOTHING;
  v->has_id = r->has_id;
  v->id = r->id;
  v->whole_file = r->counted;
  snprintf(v->type, sizeof v->type, "%s", r->type);
  snprintf(v->alg, sizeof v->alg, "%s", r->alg);
  snprintf(v->why, sizeof v->why, "%s", r->why);
  snprintf(v->note, sizeof v->note, "%s", r->note);
  if (v->state != NTA_KF_LOADED) return;
  v->secret_len = r->secret_len;
  unsigned int n = 0;
  EVP_Digest(r->secret, r->secret_len, v->fingerprint, &n, EVP_sha256(), NULL);
}

nta_status nta_keyfile_examine(const char *text, size_t len, nta_kf_line_fn fn, void *ctx) {
  if ((!text && len) || !fn) return NTA_ERR_ARG;
  nta_kf_reading *rd = malloc(sizeof *rd);
  char *chunk = malloc(CHRONY_LINE_BUF);
  nta_kf_line *out = malloc(sizeof *out);
  nta_status st = rd && chunk && out ? NTA_OK : NTA_ERR_NOMEM;
  nta_kf_lines it = {.text = text ? text : "", .len = text ? len : 0};
  bool go = st == NTA_OK;
  while (go && nta_kf_next_line(&it)) {
    bool any = false;
    out->lineno = it.lineno;
    for (size_t i = 0; i < 3; i++) {
      size_t pos = 0;
      nta_kf_next_chunk(it.line, it.line_len, &pos, nta_kf_bufsize_for(view_dialects[i]), chunk);
      nta_kf_reader_for(view_dialects[i])(chunk, rd);
      to_view(rd, &out->by[i]);
      any = any || rd->outcome != KF_NOTHING;
    }
    if (any) go = fn(ctx, out);
  }
  if (rd) OPENSSL_cleanse(rd, sizeof *rd);
  if (chunk) OPENSSL_cleanse(chunk, CHRONY_LINE_BUF);
  free(rd);
  free(chunk);
  free(out);
  return st;
}
