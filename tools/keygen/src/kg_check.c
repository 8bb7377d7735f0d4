/* kg_check.c - ntpauth-keygen --check.
 *
 * For every line: the key ID, type and length, and how ntpd 4.2.8, ntpsec and chronyd each read
 * it (loaded, refused and why, or loaded with other bytes). Then the file-level messages of the
 * chosen reading (mixed file, duplicates, permissions), the trusted keys of an ntp.conf, and weak
 * keys. The chosen daemon decides the exit status; the others only warn unless --portable. */
#include "kg_check.h"

#include <glib.h>
#include <string.h>

#include "ntpauth/keyfile.h"

typedef struct {
  const kg_check_options *o;
  FILE *out;
  size_t target;        /* index into nta_kf_line.by */
  unsigned refused, differ;
} check_ctx;

static const char *daemon_label(size_t i) {
  static const char *const names[3] = {"ntpd 4.2.8", "ntpsec", "chronyd"};
  return i < 3 ? names[i] : "?";
}

static bool same_reading(const nta_kf_view *a, const nta_kf_view *b) {
  return a->state == NTA_KF_LOADED && b->state == NTA_KF_LOADED && a->id == b->id &&
         strcmp(a->alg, b->alg) == 0 && a->secret_len == b->secret_len &&
         memcmp(a->fingerprint, b->fingerprint, sizeof a->fingerprint) == 0;
}

static void print_view(check_ctx *c, size_t i, const nta_kf_view *v, const nta_kf_view *t) {
  FILE *out = c->out;
  fprintf(out, "  %-10s  ", daemon_label(i));
  if (v->state == NTA_KF_NOTHING)
    fprintf(out, "ignores the line (comment)");
  else if (v->state == NTA_KF_REFUSED)
    fprintf(out, "refuses it: %s%s", v->why,
            v->whole_file ? " (and then the whole file)" : "");
  else
    fprintf(out, "loads key %u as %s, %zu bytes%s%s", v->id, v->alg, v->secret_len,
            v->note[0] ? "; " : "", v->note);
  if (i != c->target && t->state == NTA_KF_LOADED && !same_reading(v, t))
    fprintf(out, "   <- differs");
  fputc('\n', out);
}

static bool on_line(void *ctx, const nta_kf_line *l) {
  check_ctx *c = ctx;
  const nta_kf_view *t = &l->by[c->target];
  const nta_kf_view *any = t->has_id ? t : l->by[0].has_id ? &l->by[0] : &l->by[2];
  fprintf(c->out, "%s:%u: ", c->o->path, l->lineno);
  if (any->has_id)
    fprintf(c->out, "key %u %s\n", any->id, any->type[0] ? any->type : "(no type)");
  else
    fprintf(c->out, "(no key ID)\n");
  bool differs = false;
  for (size_t i = 0; i < 3; i++) {
    print_view(c, i, &l->by[i], t);
    if (i != c->target && t->state == NTA_KF_LOADED && !same_reading(&l->by[i], t)) differs = true;
  }
  if (t->state != NTA_KF_LOADED) c->refused++;
  if (differs) c->differ++;
  return true;
}

/* trustedkey lines of an ntp.conf; false when it cannot be read. */
static bool apply_conf(check_ctx *c, nta_keyring *kr) {
  gchar *text = NULL;
  GError *gerr = NULL;
  if (!g_file_get_contents(c->o->conf, &text, NULL, &gerr)) {
    fprintf(stderr, "ntpauth-keygen: %s\n", gerr->message);
    g_error_free(gerr);
    return false;
  }
  gchar **lines = g_strsplit(text, "\n", -1);
  for (size_t i = 0; lines[i]; i++) {
    char *hash = strchr(lines[i], '#');
    if (hash) *hash = '\0';
    gchar *s = g_strstrip(lines[i]);
    if (strncmp(s, "trustedkey", 10) != 0 || (s[10] != ' ' && s[10] != '\t')) continue;
    nta_diag err;
    if (nta_keyring_trust(kr, s + 11, &err) != NTA_OK)
      fprintf(c->out, "%s:%zu: warning: trustedkey: %s\n", c->o->conf, i + 1, err.msg);
  }
  g_strfreev(lines);
  g_free(text);
  return true;
}

static void report_keys(check_ctx *c, const nta_keyring *kr) {
  for (size_t i = 0; i < nta_keyring_count(kr); i++) {
    const nta_key *k = nta_keyring_key_at(kr, i);
    char why[160];
    if (nta_key_is_weak(k, why, sizeof why))
      fprintf(c->out, "%s: warning: key %u is weak: %s\n", nta_key_source(k), nta_key_id(k), why);
  }
  if (!nta_keyring_has_trust_list(kr)) return;
  fprintf(c->out, "%s: trustedkey trusts:", c->o->conf);
  for (size_t i = 0; i < nta_keyring_count(kr); i++)
    if (nta_keyring_is_trusted(kr, nta_key_id(nta_keyring_key_at(kr, i))))
      fprintf(c->out, " %u", nta_key_id(nta_keyring_key_at(kr, i)));
  fputc('\n', c->out);
}

static void print_diags(check_ctx *c, const nta_diags *ds) {
  for (size_t i = 0; i < nta_diags_count(ds); i++) {
    nta_diag_level lv = nta_diags_level(ds, i);
    fprintf(c->out, "%s: %s\n", lv == NTA_DIAG_ERROR ? "error" : lv == NTA_DIAG_WARNING
            ? "warning" : "note", nta_diags_msg(ds, i));
  }
}

int kg_check(const kg_check_options *o, FILE *out) {
  check_ctx c = {.o = o, .out = out};
  nta_keyring *kr = nta_keyring_create();
  nta_diags *ds = nta_diags_create();
  nta_diag err = {{0}};
  nta_dialect used = o->dialect;
  int rc = 2;
  gchar *text = NULL;
  gsize len = 0;
  if (!kr || !ds) {
    fprintf(stderr, "ntpauth-keygen: out of memory\n");
  } else if (nta_keyring_load_file(kr, o->path, o->dialect, &used, ds, &err) != NTA_OK ||
             !g_file_get_contents(o->path, &text, &len, NULL)) {
    fprintf(stderr, "ntpauth-keygen: %s\n", err.msg[0] ? err.msg : o->path);
  } else if (!o->conf || apply_conf(&c, kr)) {
    for (size_t i = 0; i < 3; i++)
      if (nta_kf_view_dialect(i) == used) c.target = i;
    fprintf(out, "%s: read as %s (%s); every line as each daemon reads it:\n", o->path,
            nta_dialect_name(used), o->dialect == NTA_DIALECT_AUTO ? "detected" : "given");
    nta_keyfile_examine(text, len, on_line, &c);
    print_diags(&c, ds);
    report_keys(&c, kr);
    fprintf(out, "%s: %u line(s) %s refuses, %u line(s) another daemon reads differently\n",
            o->path, c.refused, daemon_label(c.target), c.differ);
    rc = c.refused || (o->portable && c.differ) ? 1 : 0;
  }
  if (text) memset(text, 0, len);
  g_free(text);
  nta_diags_destroy(ds);
  nta_keyring_destroy(kr);
  return rc;
}
