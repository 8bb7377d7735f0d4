/* ntpconf.c - the two lines of an existing ntp.conf that matter for verification.
 *
 * `keys PATH` (ntpd/ntpsec; chrony.conf's `keyfile PATH` too) and `trustedkey ...` (cumulative).
 * A relative keys path is taken relative to the configuration file's folder, which is where a
 * user looking at the file expects it. Everything else in the file is ignored. */
#include "analyze.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool push(char ***list, size_t *n, char *s) {
  char **grown = realloc(*list, (*n + 2) * sizeof **list);
  if (!grown) {
    free(s);
    return false;
  }
  grown[(*n)++] = s;
  grown[*n] = NULL;
  *list = grown;
  return true;
}

static char *resolve_relative(const char *conf, const char *path) {
  if (path[0] == '/') return strdup(path);
  const char *slash = strrchr(conf, '/');
  if (!slash) return strdup(path);
  size_t dirlen = (size_t)(slash - conf) + 1;
  char *out = malloc(dirlen + strlen(path) + 1);
  if (!out) return NULL;
  memcpy(out, conf, dirlen);
  strcpy(out + dirlen, path);
  return out;
}

bool an_ntpconf_read(const char *path, an_ntpconf *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (errlen) err[0] = '\0';
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "%s: cannot open configuration: %s", path, strerror(errno));
    return false;
  }
  char line[4096];
  unsigned lineno = 0;
  bool ok = true;
  while (ok && fgets(line, sizeof line, f)) {
    lineno++;
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *save = NULL;
    char *word = strtok_r(line, " \t\r\n", &save);
    if (!word) continue;
    if (strcmp(word, "keys") == 0 || strcmp(word, "keyfile") == 0) {
      char *p = strtok_r(NULL, " \t\r\n", &save);
      if (!p) {
        snprintf(err, errlen, "%s:%u: '%s' needs a path", path, lineno, word);
        ok = false;
        break;
      }
      char *resolved = resolve_relative(path, p);
      ok = resolved && push(&out->keyfiles, &out->n_keyfiles, resolved);
    } else if (strcmp(word, "trustedkey") == 0) {
      char *rest = save ? save + strspn(save, " \t") : NULL;
      if (!rest || !*rest || *rest == '\n' || *rest == '\r') {
        snprintf(err, errlen, "%s:%u: 'trustedkey' needs key IDs", path, lineno);
        ok = false;
        break;
      }
      rest[strcspn(rest, "\r\n")] = '\0';
      char *copy = strdup(rest);
      ok = copy && push(&out->trusted, &out->n_trusted, copy);
    }
    if (!ok && !err[0]) snprintf(err, errlen, "%s: out of memory", path);
  }
  if (ok && ferror(f)) {
    snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
    ok = false;
  }
  fclose(f);
  if (!ok) an_ntpconf_free(out);
  return ok;
}

void an_ntpconf_free(an_ntpconf *c) {
  for (size_t i = 0; i < c->n_keyfiles; i++) free(c->keyfiles[i]);
  for (size_t i = 0; i < c->n_trusted; i++) free(c->trusted[i]);
  free(c->keyfiles);
  free(c->trusted);
  memset(c, 0, sizeof *c);
}
