/* dissector/ntpauth-keys.c - preferences and the UAT key table -> one libntpauth keyring. */
#define WS_LOG_DOMAIN "ntpauth"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/uat.h>
#include <wsutil/report_message.h>
#include <wsutil/wslog.h>

#include "ntpauth-keys.h"

/* Preference values (Wireshark owns the strings). */
static const char *pref_keyfile = "";
static gint pref_dialect = NTA_DIALECT_AUTO;
static const char *pref_trusted = "";

static const enum_val_t dialect_values[] = {
  { "auto", "Detect from the keyfile", NTA_DIALECT_AUTO },
  { "ntpd", "ntpd (Classic): up to 20 characters ASCII, longer hex", NTA_DIALECT_NTPD },
  { "ntpsec", "NTPsec: up to 20 characters ASCII, longer hex", NTA_DIALECT_NTPSEC },
  { "chrony", "chrony: HEX:/ASCII: prefixes, no prefix means ASCII", NTA_DIALECT_CHRONY },
  { NULL, NULL, 0 }
};

/* One UAT row, all text so that the GUI keeps exactly what the user typed. */
typedef struct {
  char *key_id;
  char *type;
  char *key;
} uat_key_row;

static uat_key_row *uat_rows;
static guint uat_row_count;

UAT_CSTRING_CB_DEF(ntpauth_uat, key_id, uat_key_row)
UAT_CSTRING_CB_DEF(ntpauth_uat, type, uat_key_row)
UAT_CSTRING_CB_DEF(ntpauth_uat, key, uat_key_row)

static nta_keyring *keyring;
static char *problem_text;          /* NULL when the last rebuild had nothing to say */
static bool problem_is_error;
static char *last_reported;         /* the last text handed to report_failure/ws_warning */

/* Parses a decimal key ID 1..2^32-1; false on anything else. */
static bool parse_key_id(const char *text, uint32_t *out) {
  if (!text || !*text)
    return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || *end || text[0] == '-' || text[0] == '+' || v == 0 || v > UINT32_MAX)
    return false;
  *out = (uint32_t)v;
  return true;
}

/* In "auto" mode a UAT key follows the rule its own text suggests: a HEX:/ASCII: prefix or an ID
 * above 65535 can only be chrony, anything else is read like ntpd/ntpsec. */
static nta_dialect row_dialect(const uat_key_row *row) {
  if (pref_dialect != NTA_DIALECT_AUTO)
    return (nta_dialect)pref_dialect;
  char *line = g_strdup_printf("%s %s %s\n", row->key_id ? row->key_id : "",
                               row->type ? row->type : "", row->key ? row->key : "");
  nta_dialect d = nta_keyring_detect_dialect(line, strlen(line));
  g_free(line);
  return d == NTA_DIALECT_AUTO ? NTA_DIALECT_NTPD : d;
}

/* Adds one UAT row to `kr`; on failure writes the reason into err. */
static nta_status add_row(nta_keyring *kr, const uat_key_row *row, nta_diag *err) {
  uint32_t id;
  if (!parse_key_id(row->key_id, &id))
    return nta_diag_set(err, NTA_ERR_PARSE, "key ID \"%s\" is not a number from 1 to 4294967295",
                        row->key_id ? row->key_id : "");
  if (!row->type || !*row->type)
    return nta_diag_set(err, NTA_ERR_PARSE, "key %u has no type", id);
  if (!row->key || !*row->key)
    return nta_diag_set(err, NTA_ERR_PARSE, "key %u has no key text", id);
  return nta_keyring_add_text(kr, id, row->type, row->key, row_dialect(row), "uat", err);
}

static void append_problem(GString *s, bool *is_error, bool error, const char *text) {
  if (s->len)
    g_string_append(s, "; ");
  g_string_append(s, text);
  if (error)
    *is_error = true;
}

/* Reports a problem text once per distinct text: a dialog (GUI) or stderr line (tshark) for
 * errors, a log line for warnings. Never per packet. */
static void report_once(void) {
  if (!problem_text) {
    g_free(last_reported);
    last_reported = NULL;
    return;
  }
  if (last_reported && strcmp(last_reported, problem_text) == 0)
    return;
  g_free(last_reported);
  last_reported = g_strdup(problem_text);
  if (problem_is_error)
    report_failure("NTP authentication (ntpauth): %s", problem_text);
  else
    ws_warning("NTP authentication (ntpauth): %s", problem_text);
}

static void rebuild_keyring(void) {
  nta_keyring *kr = nta_keyring_create();
  GString *problems = g_string_new(NULL);
  bool is_error = false;
  bool unreadable = false;  /* a keyfile or trust list preference that could not be read */
  nta_diag err;

  if (!kr) {
    append_problem(problems, &is_error, true, "out of memory while building the keyring");
  } else {
    if (pref_keyfile && *pref_keyfile) {
      nta_diags *diags = nta_diags_create();
      err.msg[0] = '\0';
      nta_status st = nta_keyring_load_file(kr, pref_keyfile, (nta_dialect)pref_dialect, NULL,
                                            diags, &err);
      if (st != NTA_OK) {
        char *t = g_strdup_printf("keyfile %s: %s", pref_keyfile,
                                  err.msg[0] ? err.msg : nta_status_name(st));
        unreadable = true;
        append_problem(problems, &is_error, true, t);
        g_free(t);
      }
      for (size_t i = 0; i < nta_diags_count(diags); i++)
        append_problem(problems, &is_error, nta_diags_level(diags, i) == NTA_DIAG_ERROR,
                       nta_diags_msg(diags, i));
      if (nta_diags_dropped(diags)) {
        char *t = g_strdup_printf("%zu more keyfile messages", nta_diags_dropped(diags));
        append_problem(problems, &is_error, false, t);
        g_free(t);
      }
      nta_diags_destroy(diags);
    }
    for (guint i = 0; i < uat_row_count; i++) {
      err.msg[0] = '\0';
      if (add_row(kr, &uat_rows[i], &err) != NTA_OK) {
        char *t = g_strdup_printf("key table row %u: %s", i + 1, err.msg);
        append_problem(problems, &is_error, true, t);
        g_free(t);
      }
    }
    if (pref_trusted && *pref_trusted) {
      err.msg[0] = '\0';
      if (nta_keyring_trust(kr, pref_trusted, &err) != NTA_OK) {
        char *t = g_strdup_printf("trusted keys \"%s\": %s", pref_trusted, err.msg);
        unreadable = true;
        append_problem(problems, &is_error, true, t);
        g_free(t);
      }
    }
  }

  /* Settings that cannot be read must not turn into "every key trusted": until they are fixed
   * no key is trusted (an empty trust list), so no MAC shows as good. */
  if (kr && unreadable) {
    nta_keyring_trust(kr, "", &err);
    append_problem(problems, &is_error, true, "no key is trusted until this is fixed");
  }
  if (kr) {
    if (keyring)
      nta_keyring_destroy(keyring);
    keyring = kr;
  }
  g_free(problem_text);
  problem_text = problems->len ? g_strdup(problems->str) : NULL;
  problem_is_error = is_error;
  g_string_free(problems, TRUE);
  report_once();
}

/* Checks a row when it is entered in the GUI or read from the UAT file, with the same code that
 * later loads it, so a row the dialog accepts is a row that verifies. */
static gboolean uat_row_update(void *r, char **error) {
  const uat_key_row *row = r;
  nta_keyring *probe = nta_keyring_create();
  nta_diag err;
  err.msg[0] = '\0';
  nta_status st = probe ? add_row(probe, row, &err) : NTA_ERR_NOMEM;
  if (probe)
    nta_keyring_destroy(probe);
  if (st == NTA_OK)
    return TRUE;
  *error = g_strdup(err.msg[0] ? err.msg : nta_status_name(st));
  return FALSE;
}

static void *uat_row_copy(void *dst, const void *src, size_t len) {
  const uat_key_row *s = src;
  uat_key_row *d = dst;
  d->key_id = g_strdup(s->key_id);
  d->type = g_strdup(s->type);
  d->key = g_strdup(s->key);
  return d;
}

static void uat_row_free(void *r) {
  uat_key_row *row = r;
  g_free(row->key_id);
  g_free(row->type);
  g_free(row->key);
}

static void keys_changed(void) {
  rebuild_keyring();
}

void ntpauth_keys_register(int proto) {
  static uat_field_t fields[] = {
    UAT_FLD_CSTRING(ntpauth_uat, key_id, "Key ID", "Key number, 1-65535 (chrony: up to 4294967295)"),
    UAT_FLD_CSTRING(ntpauth_uat, type, "Type",
                    "MD5, SHA1, SHA256, SHA384, SHA512, AES128CMAC, AES256CMAC, ... as in a keyfile"),
    UAT_FLD_CSTRING(ntpauth_uat, key, "Key",
                    "Key text as in a keyfile of the selected dialect (ntpd/ntpsec: up to 20 "
                    "characters ASCII, longer is hex; chrony: HEX:... or ASCII:...)"),
    UAT_END_FIELDS
  };

  module_t *module = prefs_register_protocol(proto, keys_changed);
  prefs_register_filename_preference(module, "keyfile", "Keyfile",
      "ntpd, NTPsec or chrony keyfile (ntp.keys, chrony.keys) used to verify MACs",
      &pref_keyfile, FALSE);
  prefs_register_enum_preference(module, "keys_dialect", "Keyfile dialect",
      "How key text is read: ntpd/NTPsec (<= 20 characters ASCII, longer hex) or chrony "
      "(HEX:/ASCII: prefixes); auto detects it from the file",
      &pref_dialect, dialect_values, FALSE);
  prefs_register_string_preference(module, "trusted_keys", "Trusted keys",
      "Key IDs in ntp.conf trustedkey syntax, e.g. \"11 12 (13 ... 20)\"; empty = every key trusted",
      &pref_trusted);

  uat_t *uat = uat_new("NTP authentication keys", sizeof(uat_key_row), "ntpauth_keys", TRUE,
                       &uat_rows, &uat_row_count, UAT_AFFECTS_DISSECTION,
                       NULL, uat_row_copy, uat_row_update, uat_row_free, keys_changed, NULL,
                       fields);
  prefs_register_uat_preference(module, "keys", "Key table",
      "Keys entered here are added to those of the keyfile", uat);
}

const nta_keyring *ntpauth_keys_get(void) {
  if (!keyring)
    rebuild_keyring();
  return keyring;
}

const char *ntpauth_keys_problem(bool *is_error) {
  if (is_error)
    *is_error = problem_is_error;
  return problem_text;
}

void ntpauth_keys_shutdown(void) {
  if (keyring)
    nta_keyring_destroy(keyring);
  keyring = NULL;
  g_free(problem_text);
  problem_text = NULL;
  g_free(last_reported);
  last_reported = NULL;
}
