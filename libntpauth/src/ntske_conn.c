/* ntske_conn.c - reading one NTS-KE connection: TLS 1.3 records in, NTS-KE messages out.
 *
 * Per direction: bytes collect into one TLS record (at most 5 + 2^14 + 256 bytes, RFC 8446
 * §5.2), then the record is handled. Plaintext handshake records give the client random
 * (ClientHello) and the cipher suite (ServerHello); with the key log's secrets for that client
 * random, protected records are opened with the handshake keys until that side's Finished and
 * with the application keys after it. Application data collects into one NTS-KE message per
 * direction (at most 16 KiB, chrony's limit) until its End of Message record. */
#include "ntpauth/ntske_conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/bytes.h"

#define REC_MAX (5 + 16384 + 256)
#define MSG_MAX 16384

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APP = 23 };
enum { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_FINISHED = 20 };

typedef struct {
  uint8_t rec[REC_MAX];
  size_t rec_len;
  uint8_t msg[MSG_MAX];
  size_t msg_len;
  nta_tls13_dir dir;
  bool app_keys;            /* Finished seen: application traffic keys in use */
  uint32_t hs_left;         /* bytes of a handshake message continuing in the next record */
  bool done;                /* its NTS-KE message is complete */
} direction;

struct nta_ntske_conn {
  const nta_nts_store *st;
  const nta_tls_secrets *sec;
  direction d[2];           /* [0] client -> server, [1] server -> client */
  nta_ntske_info info;
  uint8_t pt[REC_MAX];
};

nta_ntske_conn *nta_ntske_conn_create(const nta_nts_store *st) {
  nta_ntske_conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->st = st;
  c->info.session = -1;
  return c;
}

void nta_ntske_conn_destroy(nta_ntske_conn *c) { free(c); }

const nta_ntske_info *nta_ntske_conn_info(const nta_ntske_conn *c) { return &c->info; }

static void fail(nta_ntske_conn *c, const char *why) {
  c->info.state = NTA_KE_ST_FAILED;
  snprintf(c->info.reason, sizeof c->info.reason, "%.120s", why);
}

/* Sets both directions to the handshake keys once the suite and client random are known. */
static void start_decrypting(nta_ntske_conn *c) {
  nta_ntske_info *in = &c->info;
  c->sec = nta_nts_store_tls(c->st, in->client_random);
  in->session = nta_nts_store_find_random(c->st, in->client_random);
  const uint8_t need = 1u << NTA_TLS_CHTS | 1u << NTA_TLS_SHTS;
  if (!c->sec || (c->sec->have & need) != need) {
    in->state = NTA_KE_ST_NO_SECRETS;
    snprintf(in->reason, sizeof in->reason, "no handshake secrets for this client random");
    return;
  }
  if (nta_tls13_dir_init(&c->d[0].dir, in->suite, c->sec->secret[NTA_TLS_CHTS], c->sec->len) ||
      nta_tls13_dir_init(&c->d[1].dir, in->suite, c->sec->secret[NTA_TLS_SHTS], c->sec->len)) {
    fail(c, "cipher suite and key log secrets do not fit together");
    return;
  }
  in->state = NTA_KE_ST_DECRYPTING;
}

/* A plaintext handshake record: ClientHello or ServerHello. */
static void plain_handshake(nta_ntske_conn *c, bool from_server, const uint8_t *b, size_t len) {
  nta_reader r;
  nta_rd_init(&r, b, len);
  uint8_t type = nta_rd_u8(&r);
  nta_rd_skip(&r, 3 + 2);   /* length, legacy_version */
  uint8_t random[NTA_TLS_RANDOM_LEN];
  nta_rd_copy(&r, random, sizeof random);
  if (r.err) return;
  if (!from_server && type == HS_CLIENT_HELLO && !c->info.have_random) {
    memcpy(c->info.client_random, random, sizeof random);
    c->info.have_random = true;
  } else if (from_server && type == HS_SERVER_HELLO && c->info.have_random && !c->info.suite) {
    nta_rd_skip(&r, nta_rd_u8(&r));   /* legacy_session_id_echo */
    uint16_t suite = nta_rd_u16(&r);
    if (r.err) return;
    c->info.suite = suite;
    start_decrypting(c);
  }
}

/* Protected handshake messages: after this side's Finished, switch to application keys. */
static void protected_handshake(nta_ntske_conn *c, bool from_server, const uint8_t *p, size_t n) {
  direction *d = &c->d[from_server];
  size_t off = 0;
  if (d->hs_left) {
    size_t take = d->hs_left < n ? d->hs_left : n;
    d->hs_left -= (uint32_t)take;
    off = take;
  }
  while (off + 4 <= n && !d->app_keys) {
    uint8_t type = p[off];
    uint32_t mlen = (uint32_t)p[off + 1] << 16 | (uint32_t)p[off + 2] << 8 | p[off + 3];
    if (off + 4 + mlen > n) d->hs_left = (uint32_t)(off + 4 + mlen - n);
    if (type == HS_FINISHED) {
      int which = from_server ? NTA_TLS_STS0 : NTA_TLS_CTS0;
      if (!(c->sec->have & 1u << which) ||
          nta_tls13_dir_init(&d->dir, c->info.suite, c->sec->secret[which], c->sec->len)) {
        c->info.state = NTA_KE_ST_NO_SECRETS;
        snprintf(c->info.reason, sizeof c->info.reason, "no application traffic secrets");
        return;
      }
      d->app_keys = true;
    }
    off += 4 + mlen;
  }
}

/* Application data: NTS-KE bytes; true when the server's message just completed. */
static bool app_data(nta_ntske_conn *c, bool from_server, const uint8_t *p, size_t n) {
  direction *d = &c->d[from_server];
  if (d->done) return false;
  if (n > MSG_MAX - d->msg_len) {
    fail(c, "NTS-KE message longer than 16 KiB");
    return false;
  }
  memcpy(d->msg + d->msg_len, p, n);
  d->msg_len += n;
  nta_ntske_msg *m = from_server ? &c->info.response : &c->info.request;
  nta_diag why;
  nta_status st = nta_ntske_parse(d->msg, d->msg_len, m, &why);
  if (st == NTA_ERR_RANGE) return false;
  d->done = true;
  if (st != NTA_OK) {
    fail(c, why.msg);
    return false;
  }
  if (!from_server) {
    c->info.have_request = true;
    return false;
  }
  c->info.have_response = true;
  for (uint8_t i = 0; i < m->n_cookies_kept; i++) {
    nta_span s = m->cookies[i];
    uint16_t l = s.len < NTA_NTS_COOKIE_MAX ? s.len : NTA_NTS_COOKIE_MAX;
    memcpy(c->info.cookies[i], d->msg + s.off, l);
    c->info.cookie_len[i] = l;
  }
  c->info.n_cookies = m->n_cookies_kept;
  return true;
}

static bool handle_record(nta_ntske_conn *c, bool from_server, const uint8_t *rec, size_t len) {
  uint8_t type = rec[0];
  if (type == CT_HANDSHAKE && c->info.state == NTA_KE_ST_TLS) {
    plain_handshake(c, from_server, rec + 5, len - 5);
    return false;
  }
  if (type != CT_APP || c->info.state != NTA_KE_ST_DECRYPTING) return false;
  size_t n;
  uint8_t inner;
  if (!nta_tls13_open(&c->d[from_server].dir, rec, len, c->pt, &n, &inner)) {
    fail(c, from_server ? "a server record does not decrypt" : "a client record does not decrypt");
    return false;
  }
  if (inner == CT_HANDSHAKE && !c->d[from_server].app_keys) {
    protected_handshake(c, from_server, c->pt, n);
    return false;
  }
  return inner == CT_APP && app_data(c, from_server, c->pt, n);
}

bool nta_ntske_conn_feed(nta_ntske_conn *c, bool from_server, const uint8_t *data, size_t len) {
  direction *d = &c->d[from_server];
  bool completed = false;
  while (len > 0 && c->info.state != NTA_KE_ST_FAILED) {
    size_t want = 5;
    if (d->rec_len >= 5) {
      want = 5 + ((size_t)d->rec[3] << 8 | d->rec[4]);
      if (want > REC_MAX) {
        fail(c, "TLS record longer than 2^14 + 256 bytes");
        break;
      }
    }
    size_t take = want - d->rec_len < len ? want - d->rec_len : len;
    memcpy(d->rec + d->rec_len, data, take);
    d->rec_len += take;
    data += take;
    len -= take;
    if (d->rec_len < 5 || d->rec_len < 5 + ((size_t)d->rec[3] << 8 | d->rec[4])) continue;
    if (d->rec_len > 5) completed |= handle_record(c, from_server, d->rec, d->rec_len);
    d->rec_len = 0;   /* an empty record is skipped */
  }
  return completed;
}
