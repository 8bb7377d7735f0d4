/* kg_file.c - writing keyfiles the way ntp-keygen does, appending to them, and checking that
 * libntpauth reads back exactly the keys that were written. */
#include "kg_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "ntpauth/packet.h"

static nta_status write_all(int fd, const char *path, const char *data, size_t len,
                            nta_diag *err) {
  while (len > 0) {
    ssize_t w = write(fd, data, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return nta_diag_set(err, NTA_ERR_IO, "%s: write failed: %s", path,
                          w < 0 ? strerror(errno) : "no progress");
    data += w;
    len -= (size_t)w;
  }
  if (fsync(fd) != 0)
    return nta_diag_set(err, NTA_ERR_IO, "%s: fsync failed: %s", path, strerror(errno));
  return NTA_OK;
}

static nta_status format_keys(GString *out, const kg_key *keys, size_t n, nta_dialect dialect,
                              nta_diag *err) {
  for (size_t i = 0; i < n; i++) {
    nta_status st = kg_format_line(out, &keys[i], dialect, err);
    if (st != NTA_OK)
      return st;
  }
  return NTA_OK;
}

nta_status kg_self_check(const char *path, nta_dialect dialect, const kg_key *keys, size_t n,
                         nta_diag *err) {
  nta_keyring *kr = nta_keyring_create();
  nta_diags *diags = nta_diags_create();
  nta_diag load_err = { { 0 } };
  nta_status st = NTA_OK;
  if (!kr) {
    st = nta_diag_set(err, NTA_ERR_NOMEM, "self-check: cannot create a keyring");
    goto out;
  }
  st = nta_keyring_load_file(kr, path, dialect, NULL, diags, &load_err);
  if (st != NTA_OK) {
    nta_diag_set(err, st, "self-check: libntpauth cannot load %s: %s", path, load_err.msg);
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    const nta_key *k = nta_keyring_find(kr, keys[i].id);
    if (!k) {
      st = nta_diag_set(err, NTA_ERR_PARSE, "self-check: %s: key %" PRIu32 " (%s) did not load%s%s",
                        path, keys[i].id, keys[i].type->canonical,
                        nta_diags_count(diags) ? ": " : "", nta_diags_msg(diags, 0));
      goto out;
    }
    const char *alg = nta_key_alg_name(k);
    if (!alg || strcasecmp(alg, keys[i].type->canonical) != 0) {
      st = nta_diag_set(err, NTA_ERR_PARSE, "self-check: %s: key %" PRIu32 " loads as %s, not %s",
                        path, keys[i].id, alg ? alg : "(none)", keys[i].type->canonical);
      goto out;
    }
    if (nta_key_secret_len(k) != keys[i].secret_len ||
        memcmp(nta_key_secret(k), keys[i].secret, keys[i].secret_len) != 0) {
      st = nta_diag_set(err, NTA_ERR_PARSE,
                        "self-check: %s: key %" PRIu32 " reads back with a different secret",
                        path, keys[i].id);
      goto out;
    }
  }
out:
  nta_diags_destroy(diags);
  nta_keyring_destroy(kr);
  return st;
}

static bool path_exists(const char *path, struct stat *st) {
  return lstat(path, st) == 0;
}

static nta_status refuse_existing(const char *path, bool force, bool is_link, nta_diag *err) {
  struct stat st;
  if (!path_exists(path, &st))
    return NTA_OK;
  if (S_ISDIR(st.st_mode))
    return nta_diag_set(err, NTA_ERR_ARG, "%s is a directory; not replacing it", path);
  if (!force)
    return nta_diag_set(err, NTA_ERR_ARG, "%s already exists%s; use --force to replace it", path,
                        is_link && S_ISLNK(st.st_mode) ? " (a symlink)" : "");
  return NTA_OK;
}

nta_status kg_write_new(const kg_new_file *spec, const kg_key *keys, size_t n, char **path_out,
                        nta_diag *err) {
  nta_status st;
  struct stat dst;
  if (stat(spec->dir, &dst) != 0)
    return nta_diag_set(err, NTA_ERR_IO, "%s: %s", spec->dir, strerror(errno));
  if (!S_ISDIR(dst.st_mode))
    return nta_diag_set(err, NTA_ERR_IO, "%s: not a directory", spec->dir);

  char *name = g_strdup_printf("ntpkey_%skey_%s.%lld", spec->tag, spec->host,
                               (long long)spec->now + NTA_NTP_UNIX_OFFSET);
  char *path = g_build_filename(spec->dir, name, NULL);
  char *link = g_build_filename(spec->dir, spec->link_name, NULL);
  GString *text = g_string_new(NULL);
  int fd = -1;
  bool created = false;

  if ((st = refuse_existing(path, spec->force, false, err)) != NTA_OK ||
      (st = refuse_existing(link, spec->force, true, err)) != NTA_OK)
    goto out;

  /* ntp-keygen's header: the file name, then ctime() whose own newline leaves an empty line. */
  char when[64];
  if (!ctime_r(&spec->now, when))
    g_strlcpy(when, "(unknown time)\n", sizeof when);
  g_string_append_printf(text, "# %s\n# %s\n", name, when);
  if ((st = format_keys(text, keys, n, spec->dialect, err)) != NTA_OK)
    goto out;

  if (spec->force && unlink(path) != 0 && errno != ENOENT) {
    st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot remove the old file: %s", path, strerror(errno));
    goto out;
  }
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    goto out;
  }
  created = true;
  /* The umask may have taken bits away but never adds any; fchmod makes 0600 exact anyway. */
  if (fchmod(fd, 0600) != 0) {
    st = nta_diag_set(err, NTA_ERR_IO, "%s: chmod 0600 failed: %s", path, strerror(errno));
    goto out;
  }
  if ((st = write_all(fd, path, text->str, text->len, err)) != NTA_OK)
    goto out;
  close(fd);
  fd = -1;
  if ((st = kg_self_check(path, spec->dialect, keys, n, err)) != NTA_OK)
    goto out;

  struct stat lst;
  if (path_exists(link, &lst) && unlink(link) != 0) {
    st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot remove the old link: %s", link, strerror(errno));
    goto out;
  }
  /* Relative target, as ntp-keygen makes it: the folder can be moved as a whole. */
  if (symlink(name, link) != 0) {
    st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot create the symlink: %s", link, strerror(errno));
    goto out;
  }
  *path_out = g_steal_pointer(&path);

out:
  if (fd >= 0)
    close(fd);
  if (st != NTA_OK && created && path)
    unlink(path);
  g_string_free(text, TRUE);
  g_free(link);
  g_free(path);
  g_free(name);
  return st;
}

/* ntpsec is the only dialect that names AES-CMAC "AES" (or AES-192/AES-256). */
static bool text_uses_ntpsec_names(const char *text) {
  bool found = false;
  char **lines = g_strsplit(text, "\n", -1);
  for (char **l = lines; *l && !found; l++) {
    char *hash = strchr(*l, '#');
    if (hash)
      *hash = '\0';
    char **tok = g_strsplit_set(g_strstrip(*l), " \t", -1);
    int field = 0;
    for (char **t = tok; *t && field < 2; t++) {
      if (**t == '\0')
        continue;
      if (++field == 2)
        found = g_ascii_strcasecmp(*t, "AES") == 0 || g_ascii_strncasecmp(*t, "AES-", 4) == 0;
    }
    g_strfreev(tok);
  }
  g_strfreev(lines);
  return found;
}

nta_status kg_append_dialect(const char *path, nta_dialect requested, nta_dialect *out,
                             nta_diag *err) {
  char *text = NULL;
  gsize len = 0;
  GError *gerr = NULL;
  if (!g_file_get_contents(path, &text, &len, &gerr)) {
    nta_status st = nta_diag_set(err, NTA_ERR_IO, "%s", gerr->message);
    g_error_free(gerr);
    return st;
  }
  nta_dialect found = nta_keyring_detect_dialect(text, len);
  if (found != NTA_DIALECT_CHRONY)
    found = text_uses_ntpsec_names(text) ? NTA_DIALECT_NTPSEC : NTA_DIALECT_NTPD;
  g_free(text);

  if (requested != NTA_DIALECT_AUTO &&
      (requested == NTA_DIALECT_CHRONY) != (found == NTA_DIALECT_CHRONY))
    return nta_diag_set(err, NTA_ERR_ARG, "%s is written in the %s dialect; --dialect %s does not match it",
                        path, nta_dialect_name(found), nta_dialect_name(requested));
  *out = requested != NTA_DIALECT_AUTO ? requested : found;
  return NTA_OK;
}

/* Finds an ID the file already uses, reading it the way both daemons do: the first word of every
 * line that is not a comment (ntpd: '#'; chrony also '!', ';', '%'). */
static nta_status refuse_clashes(const char *path, const char *text, const kg_key *keys, size_t n,
                                 nta_diag *err) {
  nta_status st = NTA_OK;
  char **lines = g_strsplit(text, "\n", -1);
  for (size_t ln = 0; lines[ln] && st == NTA_OK; ln++) {
    const char *p = lines[ln];
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0' || strchr("#!;%", *p))
      continue;
    char *end;
    errno = 0;
    unsigned long long id = strtoull(p, &end, 10);
    if (end == p || errno != 0)
      continue;
    for (size_t i = 0; i < n; i++)
      if (keys[i].id == id) {
        st = nta_diag_set(err, NTA_ERR_ARG,
                          "%s:%zu: key ID %" PRIu32 " is already in the file; choose free IDs "
                          "with --first", path, ln + 1, keys[i].id);
        break;
      }
  }
  g_strfreev(lines);
  return st;
}

nta_status kg_append(const char *path, nta_dialect dialect, const kg_key *keys, size_t n,
                     nta_diag *err) {
  char real[PATH_MAX];
  if (!realpath(path, real))
    return nta_diag_set(err, NTA_ERR_IO, "%s: %s", path, strerror(errno));
  struct stat fst;
  if (stat(real, &fst) != 0)
    return nta_diag_set(err, NTA_ERR_IO, "%s: %s", real, strerror(errno));
  if (!S_ISREG(fst.st_mode))
    return nta_diag_set(err, NTA_ERR_ARG, "%s is not a regular file", real);

  char *old = NULL;
  gsize old_len = 0;
  GError *gerr = NULL;
  if (!g_file_get_contents(real, &old, &old_len, &gerr)) {
    nta_status st = nta_diag_set(err, NTA_ERR_IO, "%s", gerr->message);
    g_error_free(gerr);
    return st;
  }
  if (memchr(old, '\0', old_len)) {
    g_free(old);
    return nta_diag_set(err, NTA_ERR_PARSE, "%s: contains NUL bytes; not a keyfile", path);
  }

  nta_status st;
  GString *text = g_string_new_len(old, (gssize)old_len);
  char *tmp = g_strdup_printf("%s.XXXXXX", real);
  int fd = -1;
  bool created = false;

  if ((st = refuse_clashes(path, old, keys, n, err)) != NTA_OK)
    goto out;
  if (text->len > 0 && text->str[text->len - 1] != '\n')
    g_string_append_c(text, '\n');
  if ((st = format_keys(text, keys, n, dialect, err)) != NTA_OK)
    goto out;

  /* Write beside the original and rename over it, so a failed check leaves the file as it was. */
  fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot create a temporary file: %s", tmp,
                      strerror(errno));
    goto out;
  }
  created = true;
  if (fchmod(fd, fst.st_mode & 07777) != 0 ||
      (geteuid() == 0 && fchown(fd, fst.st_uid, fst.st_gid) != 0)) {
    st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot keep the mode and owner of %s: %s", tmp, real,
                      strerror(errno));
    goto out;
  }
  if ((st = write_all(fd, tmp, text->str, text->len, err)) != NTA_OK)
    goto out;
  close(fd);
  fd = -1;
  if ((st = kg_self_check(tmp, dialect, keys, n, err)) != NTA_OK)
    goto out;
  if (rename(tmp, real) != 0) {
    st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot replace: %s", real, strerror(errno));
    goto out;
  }
  created = false;

out:
  if (fd >= 0)
    close(fd);
  if (created)
    unlink(tmp);
  g_free(tmp);
  g_string_free(text, TRUE);
  g_free(old);
  return st;
}
