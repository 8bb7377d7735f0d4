/* nts_store.c - the NTS sessions known from key logs and dumps, with prepared AEAD contexts.
 *
 * Sessions are few (one per NTS-KE handshake), so they live in a plain array; the same key pair
 * from a key log and a dump is kept once. Dump cookies and TLS secrets are looked up linearly:
 * both are consulted once per cookie / per TCP connection, not per packet. */
#include "nts_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

typedef struct {
  nta_nts_session s;
  nta_siv_ctx c2s_ctx, s2c_ctx;
} store_session;

typedef struct {
  int session;
  uint16_t len;
  uint8_t bytes[NTA_NTS_COOKIE_MAX];
} dump_cookie;

struct nta_nts_store {
  store_session *sessions;
  size_t n_sessions, cap_sessions;
  nta_tls_secrets *tls;
  size_t n_tls, cap_tls;
  dump_cookie *cookies;
  size_t n_cookies, cap_cookies;
};

/* Makes room for one more element of `size` bytes in *arr. */
static bool grow(void **arr, size_t n, size_t *cap, size_t size) {
  if (n < *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 8;
  void *p = realloc(*arr, ncap * size);
  if (!p) return false;
  *arr = p;
  *cap = ncap;
  return true;
}

nta_nts_store *nta_nts_store_create(void) {
  return calloc(1, sizeof(nta_nts_store));
}

void nta_nts_store_destroy(nta_nts_store *st) {
  if (!st) return;
  if (st->sessions) OPENSSL_cleanse(st->sessions, st->cap_sessions * sizeof *st->sessions);
  if (st->tls) OPENSSL_cleanse(st->tls, st->cap_tls * sizeof *st->tls);
  free(st->sessions);
  free(st->tls);
  free(st->cookies);
  free(st);
}

nta_status nta_nts_store_add(nta_nts_store *st, const nta_nts_session *s, int *index) {
  for (size_t i = 0; i < st->n_sessions; i++) {
    nta_nts_session *o = &st->sessions[i].s;
    if (CRYPTO_memcmp(o->c2s, s->c2s, NTA_NTS_KEY_LEN) == 0 &&
        CRYPTO_memcmp(o->s2c, s->s2c, NTA_NTS_KEY_LEN) == 0 && o->aead == s->aead) {
      if (o->source != s->source) o->in_both = true;
      if (!o->server[0]) memcpy(o->server, s->server, sizeof o->server);
      if (!o->has_random && s->has_random) {
        o->has_random = true;
        memcpy(o->client_random, s->client_random, sizeof o->client_random);
      }
      if (index) *index = (int)i;
      return NTA_OK;
    }
  }
  if (!grow((void **)&st->sessions, st->n_sessions, &st->cap_sessions, sizeof *st->sessions))
    return NTA_ERR_NOMEM;
  store_session *n = &st->sessions[st->n_sessions];
  n->s = *s;
  nta_siv_ctx_init(&n->c2s_ctx, s->c2s);
  nta_siv_ctx_init(&n->s2c_ctx, s->s2c);
  if (index) *index = (int)st->n_sessions;
  st->n_sessions++;
  return NTA_OK;
}

nta_status nta_nts_store_add_tls(nta_nts_store *st, const uint8_t cr[NTA_TLS_RANDOM_LEN],
                                 int which, const uint8_t *secret, size_t len) {
  if (which < 0 || which > NTA_TLS_EXPORTER || len > NTA_TLS_SECRET_MAX) return NTA_ERR_ARG;
  nta_tls_secrets *t = (nta_tls_secrets *)nta_nts_store_tls(st, cr);
  if (!t) {
    if (!grow((void **)&st->tls, st->n_tls, &st->cap_tls, sizeof *st->tls)) return NTA_ERR_NOMEM;
    t = &st->tls[st->n_tls++];
    memset(t, 0, sizeof *t);
    memcpy(t->client_random, cr, NTA_TLS_RANDOM_LEN);
  }
  if (t->have && t->len != len) return NTA_ERR_PARSE;
  t->len = (uint8_t)len;
  t->have |= (uint8_t)(1u << which);
  memcpy(t->secret[which], secret, len);
  return NTA_OK;
}

nta_status nta_nts_store_add_cookie(nta_nts_store *st, int session, const uint8_t *c, size_t len) {
  if (len == 0 || len > NTA_NTS_COOKIE_MAX) return NTA_ERR_RANGE;
  if (!grow((void **)&st->cookies, st->n_cookies, &st->cap_cookies, sizeof *st->cookies))
    return NTA_ERR_NOMEM;
  dump_cookie *d = &st->cookies[st->n_cookies++];
  d->session = session;
  d->len = (uint16_t)len;
  memcpy(d->bytes, c, len);
  return NTA_OK;
}

size_t nta_nts_store_count(const nta_nts_store *st) { return st ? st->n_sessions : 0; }

const nta_nts_session *nta_nts_store_session(const nta_nts_store *st, size_t i) {
  return st && i < st->n_sessions ? &st->sessions[i].s : NULL;
}

const nta_siv_ctx *nta_nts_store_ctx(const nta_nts_store *st, size_t i, bool s2c) {
  if (!st || i >= st->n_sessions) return NULL;
  return s2c ? &st->sessions[i].s2c_ctx : &st->sessions[i].c2s_ctx;
}

const nta_tls_secrets *nta_nts_store_tls(const nta_nts_store *st,
                                         const uint8_t client_random[NTA_TLS_RANDOM_LEN]) {
  for (size_t i = 0; st && i < st->n_tls; i++)
    if (memcmp(st->tls[i].client_random, client_random, NTA_TLS_RANDOM_LEN) == 0)
      return &st->tls[i];
  return NULL;
}

int nta_nts_store_dump_cookie(const nta_nts_store *st, const uint8_t *cookie, size_t len) {
  for (size_t i = 0; st && i < st->n_cookies; i++)
    if (st->cookies[i].len == len && memcmp(st->cookies[i].bytes, cookie, len) == 0)
      return st->cookies[i].session;
  return -1;
}

int nta_nts_store_find_random(const nta_nts_store *st,
                              const uint8_t client_random[NTA_TLS_RANDOM_LEN]) {
  for (size_t i = 0; st && i < st->n_sessions; i++)
    if (st->sessions[i].s.has_random &&
        memcmp(st->sessions[i].s.client_random, client_random, NTA_TLS_RANDOM_LEN) == 0)
      return (int)i;
  return -1;
}

nta_status nta_read_small_file(const char *path, size_t max, char **text, size_t *len,
                               nta_diag *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nta_diag_set(err, NTA_ERR_IO, "%s: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > max) {
    close(fd);
    return nta_diag_set(err, NTA_ERR_IO, "%s: not a regular file of at most %zu bytes", path, max);
  }
  char *buf = malloc((size_t)sb.st_size + 1);
  if (!buf) {
    close(fd);
    return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", path);
  }
  size_t got = 0;
  while (got < (size_t)sb.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      free(buf);
      return nta_diag_set(err, NTA_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (r == 0) break;   /* the file shrank: use what was read */
    got += (size_t)r;
  }
  close(fd);
  buf[got] = '\0';
  *text = buf;
  *len = got;
  return NTA_OK;
}
