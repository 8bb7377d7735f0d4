/* exchange.c - request/reply pairing and the findings built on it.
 *
 * Every request (mode 3 or 1) is remembered under the key (client endpoint, server endpoint,
 * transmit timestamp). A reply (mode 4 or 2) is paired with the request whose key is (reply
 * destination, reply source, reply origin): a stateless server copies the request's transmit
 * timestamp into the origin field and swaps addresses and ports. A request whose key is already
 * stored is a replay; so is a second reply to the same request with the same transmit timestamp.
 *
 * Memory is fixed when the table is created: entries live in a ring in arrival order (capture
 * time is close to monotonic), indexed by an open-addressing hash of slot numbers. Inserting into
 * a full ring evicts the oldest entry, and entries older than max_age (by capture time) are
 * dropped before every insert, so the cost per packet is O(1) and nothing is allocated.
 *
 * Timing of a completed exchange: T1 = capture time of the request, T2/T3 = receive/transmit
 * timestamps of the reply, T4 = capture time of the reply. The offset is therefore the server's
 * clock relative to the capturing host's clock (the client's, when captured on the client). Using
 * capture times for T1/T4 instead of the request's transmit timestamp keeps the figures right for
 * clients that put a random transmit timestamp into requests (chrony does). */
#include "ntpauth/exchange.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_TABLE_SIZE 1024     /* keys tracked for shared-key/MD5 findings (power of two) */
#define HOSTS_PER_ROLE 8        /* distinct clients/servers remembered per key */

typedef struct {
  nta_endpoint src, dst;
  uint64_t xmt;
  uint64_t frame;
  int64_t time_sec;
  uint32_t time_nsec;
  uint32_t capture;         /* of frame; answer_frame's is answer_capture */
  uint32_t answer_capture;
  uint32_t key_id;
  uint32_t tag;             /* low 32 bits of the key hash */
  bool has_mac;             /* a key ID + digest trailer (any verdict) */
  bool verified;            /* verdict good */
  bool answered;            /* a reply was paired with this request */
  uint64_t answer_xmt;      /* that reply's transmit timestamp */
  uint64_t answer_frame;
} pair_entry;

/* Index slot: ring slot + 1 (0 = empty) and the hash tag, so probing and deletion never touch
 * the ring entries of other keys (they would be cache misses). */
typedef struct {
  uint32_t slot;
  uint32_t tag;
} index_slot;

typedef struct {
  uint8_t family;
  uint8_t addr[16];
} host_addr;

typedef struct {
  bool used;
  uint32_t key_id;
  uint8_t n_clients, n_servers;
  bool clients_reported, servers_reported, md5_reported;
  host_addr clients[HOSTS_PER_ROLE];
  host_addr servers[HOSTS_PER_ROLE];
} key_usage;

/* A flow on which a datagram could not be read (malformed, cut, unreassembled). */
#define DAMAGED_FLOWS 64
typedef struct {
  bool used;
  nta_endpoint src, dst;    /* canonical */
  int64_t time_sec;
} damaged_flow;

struct nta_exchange {
  damaged_flow damaged[DAMAGED_FLOWS];
  size_t damaged_next;
  size_t max_entries;
  uint32_t max_age;
  pair_entry *ring;         /* max_entries slots */
  size_t head;              /* next slot to write */
  size_t count;             /* live entries, the oldest is at (head - count) */
  index_slot *index;
  size_t index_mask;
  key_usage keys[KEY_TABLE_SIZE];
  size_t keys_used;
  const char *const *capture_names;   /* several captures as one stream: frames say whose */
  size_t n_capture_names;
};

const char *nta_finding_name(nta_finding_kind k) {
  switch (k) {
  case NTA_F_DOWNGRADE: return "downgrade";
  case NTA_F_KEY_MISMATCH: return "key_mismatch";
  case NTA_F_CRYPTO_NAK_REPLY: return "crypto_nak_reply";
  case NTA_F_UNSOLICITED: return "unsolicited_reply";
  case NTA_F_REPLAY: return "replay";
  case NTA_F_KOD: return "kod";
  case NTA_F_MD5: return "md5_in_use";
  case NTA_F_SHARED_KEY: return "shared_key";
  case NTA_F_WEAK_KEY: return "weak_key";
  case NTA_F_NTS_NAK: return "nts_nak";
  case NTA_F_NTS_AFTER_NAK: return "nts_after_nak";
  case NTA_F_NTS_BAD_REPLY: return "nts_bad_reply";
  case NTA_F_NTS_COOKIE_REUSED: return "nts_cookie_reused";
  case NTA_F_NTS_UID_MISMATCH: return "nts_uid_mismatch";
  case NTA_F_COUNT: break;
  }
  return "unknown";
}

/* ---- pairing table ------------------------------------------------------------------------ */

static uint64_t mix64(uint64_t h) {
  h ^= h >> 33; h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

static uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

static uint32_t key_hash(const nta_endpoint *src, const nta_endpoint *dst, uint64_t xmt) {
  /* Endpoints are canonical (unused address bytes zero), so hashing all 16 bytes is exact. */
  uint64_t ports = ((uint64_t)src->port << 16) | dst->port | ((uint64_t)src->family << 32);
  uint64_t h = xmt * 0x9e3779b97f4a7c15ULL;
  h ^= (load64(src->addr) + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;
  h ^= (load64(dst->addr) + ports) * 0x165667b19e3779f9ULL;
  if (src->family == 6)
    h ^= (load64(src->addr + 8) * 0x27d4eb2f165667c5ULL) ^ (load64(dst->addr + 8) * 0x94d049bb133111ebULL);
  return (uint32_t)mix64(h);
}

/* Equality of the first 4 or 16 address bytes; constant sizes so the compiler compares with
 * a load or two instead of calling memcmp (this runs for every packet). */
static bool addr_equal(const uint8_t *a, const uint8_t *b, bool v6) {
  return v6 ? memcmp(a, b, 16) == 0 : memcmp(a, b, 4) == 0;
}

static bool endpoint_equal(const nta_endpoint *a, const nta_endpoint *b) {
  return a->family == b->family && a->port == b->port && addr_equal(a->addr, b->addr, a->family == 6);
}

/* Canonical copy: unused address bytes zeroed so hashing and comparison see only real bytes. */
static void endpoint_canon(nta_endpoint *out, const nta_endpoint *in) {
  memset(out, 0, sizeof *out);
  out->family = in->family == 6 ? 6 : 4;
  out->port = in->port;
  if (out->family == 6)
    memcpy(out->addr, in->addr, 16);
  else
    memcpy(out->addr, in->addr, 4);
}

nta_exchange *nta_exchange_create(size_t max_entries, uint32_t max_age_sec) {
  if (max_entries == 0 || max_entries > (1u << 30)) return NULL;
  nta_exchange *ex = calloc(1, sizeof *ex);
  if (!ex) return NULL;
  size_t slots = 16;
  while (slots < max_entries * 2) slots <<= 1;
  ex->ring = calloc(max_entries, sizeof *ex->ring);
  ex->index = calloc(slots, sizeof *ex->index);
  if (!ex->ring || !ex->index) {
    nta_exchange_destroy(ex);
    return NULL;
  }
  ex->max_entries = max_entries;
  ex->max_age = max_age_sec;
  ex->index_mask = slots - 1;
  return ex;
}

void nta_exchange_destroy(nta_exchange *ex) {
  if (!ex) return;
  free(ex->ring);
  free(ex->index);
  free(ex);
}

static pair_entry *table_find(nta_exchange *ex, const nta_endpoint *src, const nta_endpoint *dst,
                              uint64_t xmt, uint32_t tag) {
  for (size_t p = tag & ex->index_mask;; p = (p + 1) & ex->index_mask) {
    const index_slot *is = &ex->index[p];
    if (is->slot == 0) return NULL;
    if (is->tag != tag) continue;
    pair_entry *e = &ex->ring[is->slot - 1];
    if (e->xmt == xmt && endpoint_equal(&e->src, src) && endpoint_equal(&e->dst, dst)) return e;
  }
}

/* Removes the index slot that points at ring slot `slot` (backward-shift deletion keeps linear
 * probing correct without tombstones). */
static void index_remove(nta_exchange *ex, size_t slot) {
  size_t p = ex->ring[slot].tag & ex->index_mask;
  while (ex->index[p].slot != slot + 1) p = (p + 1) & ex->index_mask;
  size_t hole = p;
  for (size_t q = (hole + 1) & ex->index_mask; ex->index[q].slot != 0;
       q = (q + 1) & ex->index_mask) {
    size_t home = ex->index[q].tag & ex->index_mask;
    /* Move q into the hole when its home position is not within (hole, q]. */
    bool between = hole <= q ? (home > hole && home <= q) : (home > hole || home <= q);
    if (!between) {
      ex->index[hole] = ex->index[q];
      hole = q;
    }
  }
  ex->index[hole].slot = 0;
}

/* Ring slot of the oldest entry. Without `%`: a division by a run-time value costs more than
 * the rest of the bookkeeping of a packet (head < max_entries and count <= max_entries). */
static size_t ring_oldest(const nta_exchange *ex) {
  return ex->head >= ex->count ? ex->head - ex->count : ex->head + ex->max_entries - ex->count;
}

static void ring_drop_oldest(nta_exchange *ex) {
  size_t oldest = ring_oldest(ex);
  index_remove(ex, oldest);
  ex->count--;
}

static void ring_expire(nta_exchange *ex, int64_t now_sec) {
  while (ex->count > 0) {
    size_t oldest = ring_oldest(ex);
    /* Capture times come from files and can be anything: no signed overflow, and time
     * running backwards expires nothing. */
    int64_t then = ex->ring[oldest].time_sec;
    if (now_sec <= then || (uint64_t)now_sec - (uint64_t)then <= ex->max_age) break;
    ring_drop_oldest(ex);
  }
}

static void table_insert(nta_exchange *ex, const pair_entry *proto) {
  if (ex->count == ex->max_entries) ring_drop_oldest(ex);
  size_t slot = ex->head;
  ex->ring[slot] = *proto;
  ex->head = ex->head + 1 == ex->max_entries ? 0 : ex->head + 1;
  /* When the ring is full, the entries just ahead of head are the oldest: the next ones
   * ring_expire() reads and table_insert() overwrites, each long out of cache by then. Fetch
   * them a few inserts early (an entry may straddle two cache lines). */
  size_t ahead = ex->head + 4 < ex->max_entries ? ex->head + 4 : ex->head + 4 - ex->max_entries;
  if (ahead < ex->max_entries) {
    __builtin_prefetch(&ex->ring[ahead], 1);
    __builtin_prefetch((const char *)&ex->ring[ahead] + sizeof(pair_entry) - 1, 1);
  }
  ex->count++;
  size_t p = proto->tag & ex->index_mask;
  while (ex->index[p].slot != 0) p = (p + 1) & ex->index_mask;
  ex->index[p].slot = (uint32_t)(slot + 1);
  ex->index[p].tag = proto->tag;
}

/* ---- per-key usage (shared keys, MD5) ------------------------------------------------------ */

static key_usage *key_usage_get(nta_exchange *ex, uint32_t key_id) {
  size_t p = (size_t)mix64(key_id) & (KEY_TABLE_SIZE - 1);
  for (size_t i = 0; i < KEY_TABLE_SIZE; i++, p = (p + 1) & (KEY_TABLE_SIZE - 1)) {
    key_usage *u = &ex->keys[p];
    if (u->used && u->key_id == key_id) return u;
    if (!u->used) {
      /* Keep a few slots free so lookups of unknown IDs always terminate quickly. */
      if (ex->keys_used >= KEY_TABLE_SIZE - KEY_TABLE_SIZE / 8) return NULL;
      u->used = true;
      u->key_id = key_id;
      ex->keys_used++;
      return u;
    }
  }
  return NULL;
}

/* Adds the host to the list; returns true when it is new and the list now has two or more. */
static bool host_note(host_addr *list, uint8_t *n, const nta_endpoint *ep) {
  size_t alen = ep->family == 6 ? 16 : 4;
  for (uint8_t i = 0; i < *n; i++)
    if (list[i].family == ep->family && addr_equal(list[i].addr, ep->addr, alen == 16)) return false;
  if (*n >= HOSTS_PER_ROLE) return false;
  host_addr *h = &list[(*n)++];
  memset(h, 0, sizeof *h);
  h->family = ep->family;
  memcpy(h->addr, ep->addr, alen);
  return *n >= 2;
}

static void hosts_format(const host_addr *list, uint8_t n, char *out, size_t outlen) {
  size_t off = 0;
  out[0] = '\0';
  for (uint8_t i = 0; i < n && off + 1 < outlen; i++) {
    nta_endpoint ep = { .family = list[i].family };
    memcpy(ep.addr, list[i].addr, 16);
    char a[64];
    nta_endpoint_addr_str(&ep, a, sizeof a);
    int w = snprintf(out + off, outlen - off, "%s%s", i ? ", " : "", a);
    if (w < 0) break;
    off += (size_t)w;
  }
  if (off >= outlen && outlen > 4) memcpy(out + outlen - 4, "...", 4);
}

/* ---- findings ----------------------------------------------------------------------------- */

void nta_exchange_name_captures(nta_exchange *ex, const char *const *names, size_t n) {
  if (!ex) return;
  ex->capture_names = names;
  ex->n_capture_names = names ? n : 0;
}

/* "frame N", or "NAME:frame N" when the table observes several named captures. */
typedef struct {
  char s[96];
} frame_ref;

static frame_ref frame_name(const nta_exchange *ex, uint32_t capture, uint64_t frame) {
  frame_ref r;
  if (capture < ex->n_capture_names && ex->capture_names[capture])
    snprintf(r.s, sizeof r.s, "%.60s:frame %" PRIu64, ex->capture_names[capture], frame);
  else
    snprintf(r.s, sizeof r.s, "frame %" PRIu64, frame);
  return r;
}

static nta_finding *finding_add(nta_exchange_result *out, nta_finding_kind kind,
                                const nta_observation *obs, uint64_t related,
                                uint32_t related_capture, uint32_t key_id) {
  if (out->n_findings >= NTA_MAX_FINDINGS_PER_PACKET) return NULL;
  nta_finding *f = &out->findings[out->n_findings++];
  f->kind = kind;
  f->frame = obs->frame;
  f->capture = obs->capture;
  f->related_frame = related;
  f->related_capture = related ? related_capture : 0;
  f->key_id = key_id;
  f->text[0] = '\0';
  return f;
}

/* A finding on obs's frame; `related` (0 = none) is a frame of capture `rcap`. */
#define FINDING(out, kind, obs, related, rcap, key, ...)                                   \
  do {                                                                                     \
    nta_finding *f_ = finding_add((out), (kind), (obs), (related), (rcap), (key));         \
    if (f_) snprintf(f_->text, sizeof f_->text, __VA_ARGS__);                              \
  } while (0)

static bool verdict_has_mac(const nta_observation *obs) {
  switch (obs->verdict) {
  case NTA_V_GOOD: case NTA_V_BAD_MAC: case NTA_V_UNKNOWN_KEY: case NTA_V_UNTRUSTED_KEY:
    return obs->has_key_id;
  default:
    return false;
  }
}

static inline bool is_request_mode(uint8_t mode) {
  return mode == NTA_MODE_CLIENT || mode == NTA_MODE_ACTIVE;
}
static bool is_reply_mode(uint8_t mode) {
  return mode == NTA_MODE_SERVER || mode == NTA_MODE_PASSIVE;
}

/* Signed difference a - b of two NTP timestamps in seconds, wrap-safe across eras. */
static double ts_diff(uint64_t a, uint64_t b) {
  return (double)(int64_t)(a - b) / 4294967296.0;
}

/* A datagram from src to dst that could not be read may have been a request: remember the flow
 * (the latest damage of each, in a small ring) so that a reply coming back without a matching
 * request is not reported as unsolicited - the request may be the damaged datagram. */
static void damage_note(nta_exchange *ex, const nta_endpoint *src, const nta_endpoint *dst,
                        int64_t now) {
  damaged_flow *slot = NULL;
  for (size_t i = 0; i < DAMAGED_FLOWS && !slot; i++)
    if (ex->damaged[i].used && endpoint_equal(&ex->damaged[i].src, src) &&
        endpoint_equal(&ex->damaged[i].dst, dst))
      slot = &ex->damaged[i];
  if (!slot) {
    slot = &ex->damaged[ex->damaged_next];
    ex->damaged_next = (ex->damaged_next + 1) % DAMAGED_FLOWS;
  }
  *slot = (damaged_flow){.used = true, .src = *src, .dst = *dst, .time_sec = now};
}

/* Damage on src -> dst no longer than the pairing age before `now`. */
static bool damage_seen(const nta_exchange *ex, const nta_endpoint *src, const nta_endpoint *dst,
                        int64_t now) {
  for (size_t i = 0; i < DAMAGED_FLOWS; i++) {
    const damaged_flow *d = &ex->damaged[i];
    if (d->used && endpoint_equal(&d->src, src) && endpoint_equal(&d->dst, dst) &&
        now >= d->time_sec && (uint64_t)now - (uint64_t)d->time_sec <= ex->max_age)
      return true;
  }
  return false;
}

/* nta_exchange_timing, inlined into the pairing of every reply. */
static inline bool reply_timing(int64_t t1_sec, uint32_t t1_nsec, const nta_observation *reply,
                                double *offset, double *delay) {
  char kiss[5];
  if (reply->rec_ts == 0 || reply->xmt_ts == 0 || nta_kiss_code(reply->stratum, reply->refid, kiss))
    return false;   /* a KoD's receive/transmit timestamps are undefined */
  uint64_t t1 = nta_ts_from_unix(t1_sec, t1_nsec);
  uint64_t t4 = nta_ts_from_unix(reply->time_sec, reply->time_nsec);
  double d21 = ts_diff(reply->rec_ts, t1), d34 = ts_diff(reply->xmt_ts, t4);
  *offset = (d21 + d34) / 2.0;
  *delay = ts_diff(t4, t1) - ts_diff(reply->xmt_ts, reply->rec_ts);
  return true;
}

bool nta_exchange_timing(int64_t t1_sec, uint32_t t1_nsec, const nta_observation *reply,
                         double *offset, double *delay) {
  return reply && offset && delay && reply_timing(t1_sec, t1_nsec, reply, offset, delay);
}

/* What a matched reply says about its request: crypto-NAK, downgrade, another key. */
static void reply_findings(const nta_exchange *ex, const nta_observation *obs,
                           const pair_entry *req, nta_exchange_result *out) {
  /* The request's name is formatted only for a finding: most replies have none. */
#define REQUEST_NAME frame_name(ex, req->capture, req->frame).s
  if (obs->verdict == NTA_V_CRYPTO_NAK) {
    if (req->has_mac)
      FINDING(out, NTA_F_CRYPTO_NAK_REPLY, obs, req->frame, req->capture, req->key_id,
              "request in %s (key %" PRIu32 ") answered by a crypto-NAK", REQUEST_NAME,
              req->key_id);
    else
      FINDING(out, NTA_F_CRYPTO_NAK_REPLY, obs, req->frame, req->capture, 0,
              "request in %s answered by a crypto-NAK", REQUEST_NAME);
  } else if (req->has_mac && obs->verdict == NTA_V_NO_AUTH) {
    FINDING(out, NTA_F_DOWNGRADE, obs, req->frame, req->capture, req->key_id,
            "request in %s was authenticated with key %" PRIu32 ", the reply has no MAC",
            REQUEST_NAME, req->key_id);
  } else if (req->has_mac && verdict_has_mac(obs) && obs->key_id != req->key_id) {
    FINDING(out, NTA_F_KEY_MISMATCH, obs, req->frame, req->capture, obs->key_id,
            "reply signed with key %" PRIu32 ", its request in %s used key %" PRIu32,
            obs->key_id, REQUEST_NAME, req->key_id);
  }
#undef REQUEST_NAME
}

/* `h`: key_hash(dst, src, origin), computed by the caller when the origin is not zero. */
static void pair_reply(nta_exchange *ex, const nta_observation *obs, const nta_endpoint *src,
                       const nta_endpoint *dst, uint32_t h, nta_exchange_result *out) {
  if (obs->org_ts == 0) {
    FINDING(out, NTA_F_UNSOLICITED, obs, 0, 0, obs->has_key_id ? obs->key_id : 0,
            "reply with a zero origin timestamp answers no request (possible spoofing)");
    return;
  }
  pair_entry *req = table_find(ex, dst, src, obs->org_ts, h);
  if (!req && damage_seen(ex, dst, src, obs->time_sec))
    return;   /* its request may be a datagram that could not be read: claim nothing */
  if (!req) {
    FINDING(out, NTA_F_UNSOLICITED, obs, 0, 0, obs->has_key_id ? obs->key_id : 0,
            "reply origin %08" PRIx32 ".%08" PRIx32 " matches no request seen (possible spoofing)",
            (uint32_t)(obs->org_ts >> 32), (uint32_t)obs->org_ts);
    return;
  }
  out->matched = true;
  out->request_frame = req->frame;
  out->request_capture = req->capture;
  /* The same answer twice: a replayed reply (a second genuine answer has a new transmit time). */
  if (req->answered && req->answer_xmt == obs->xmt_ts) {
    FINDING(out, NTA_F_REPLAY, obs, req->answer_frame, req->answer_capture,
            obs->has_key_id ? obs->key_id : 0,
            "reply transmit timestamp %08" PRIx32 ".%08" PRIx32 " already sent in %s",
            (uint32_t)(obs->xmt_ts >> 32), (uint32_t)obs->xmt_ts,
            frame_name(ex, req->answer_capture, req->answer_frame).s);
  } else if (!req->answered) {
    req->answered = true;
    req->answer_xmt = obs->xmt_ts;
    req->answer_frame = obs->frame;
    req->answer_capture = obs->capture;
  }
  reply_findings(ex, obs, req, out);
  if (reply_timing(req->time_sec, req->time_nsec, obs, &out->offset, &out->delay)) {
    out->has_timing = true;
    out->timing_trusted = req->verified && obs->verdict == NTA_V_GOOD;
  }
}

static void note_key_usage(nta_exchange *ex, const nta_observation *obs, const nta_endpoint *src,
                           nta_exchange_result *out) {
  uint8_t mode = obs->mode;
  /* Key ID 0 is reserved (verify.c reports it as unknown_key): several hosts sending it is
   * no shared key. */
  bool uses_key = obs->has_key_id && obs->key_id != 0 &&
                  (obs->verdict == NTA_V_GOOD || obs->verdict == NTA_V_UNKNOWN_KEY ||
                   obs->verdict == NTA_V_UNTRUSTED_KEY);
  /* algorithm is set only when the keyfile has the key. */
  bool md5 = obs->has_key_id && obs->algorithm && obs->algorithm[0] == 'M' &&
             strcmp(obs->algorithm, "MD5") == 0 &&
             (obs->verdict == NTA_V_GOOD || obs->verdict == NTA_V_UNTRUSTED_KEY);
  if (!uses_key && !md5) return;
  key_usage *u = key_usage_get(ex, obs->key_id);
  if (!u) return;
  if (md5 && !u->md5_reported) {
    u->md5_reported = true;
    FINDING(out, NTA_F_MD5, obs, 0, 0, obs->key_id,
            "key %" PRIu32 " uses MD5 (deprecated by RFC 8573; trust only SHA1 or better)",
            obs->key_id);
  }
  if (!uses_key) return;
  char hosts[NTA_REASON_MAX - 48];
  if (mode == NTA_MODE_CLIENT && !u->clients_reported) {
    if (host_note(u->clients, &u->n_clients, src)) {
      u->clients_reported = true;
      hosts_format(u->clients, u->n_clients, hosts, sizeof hosts);
      FINDING(out, NTA_F_SHARED_KEY, obs, 0, 0, obs->key_id,
              "key %" PRIu32 " used by several clients: %s", obs->key_id, hosts);
    }
  } else if (mode == NTA_MODE_SERVER && !u->servers_reported) {
    if (host_note(u->servers, &u->n_servers, src)) {
      u->servers_reported = true;
      hosts_format(u->servers, u->n_servers, hosts, sizeof hosts);
      FINDING(out, NTA_F_SHARED_KEY, obs, 0, 0, obs->key_id,
              "key %" PRIu32 " used by several servers: %s", obs->key_id, hosts);
    }
  }
}

void nta_exchange_observe(nta_exchange *ex, const nta_observation *obs, nta_exchange_result *out) {
  memset(out, 0, offsetof(nta_exchange_result, findings));
  out->n_findings = 0;
  if (!ex || !obs)
    return;
  nta_endpoint src, dst;
  endpoint_canon(&src, &obs->src);
  endpoint_canon(&dst, &obs->dst);
  if (!obs->header_ok || obs->verdict == NTA_V_MALFORMED) {
    damage_note(ex, &src, &dst, obs->time_sec);
    return;
  }
  if (obs->mode == NTA_MODE_CONTROL || obs->mode == NTA_MODE_PRIVATE)
    return;
  out->is_reply = is_reply_mode(obs->mode);
  /* The table key this packet looks up: hashed first so its index slot (a random place in a
   * table larger than the L1 cache) is fetched while the expiry below runs. */
  uint32_t h = 0;
  if (out->is_reply && obs->org_ts != 0)
    h = key_hash(&dst, &src, obs->org_ts);
  else if (is_request_mode(obs->mode) && obs->xmt_ts != 0)
    h = key_hash(&src, &dst, obs->xmt_ts);
  __builtin_prefetch(&ex->index[h & ex->index_mask]);

  ring_expire(ex, obs->time_sec);   /* forget what is too old before looking anything up */

  if (out->is_reply) pair_reply(ex, obs, &src, &dst, h, out);

  char kiss[5];
  if (obs->mode != NTA_MODE_CLIENT && obs->mode != NTA_MODE_ACTIVE &&
      nta_kiss_code(obs->stratum, obs->refid, kiss))
    FINDING(out, NTA_F_KOD, obs, out->matched ? out->request_frame : 0, out->request_capture,
            obs->has_key_id ? obs->key_id : 0, "Kiss-o'-Death %s", kiss);

  /* Remember requests by transmit timestamp: for pairing, and the same key again is a replay.
   * Replies are not stored; a replayed reply shows up as a second identical answer above. */
  if (is_request_mode(obs->mode) && obs->xmt_ts != 0) {
    pair_entry *seen = table_find(ex, &src, &dst, obs->xmt_ts, h);
    if (seen) {
      FINDING(out, NTA_F_REPLAY, obs, seen->frame, seen->capture,
              obs->has_key_id ? obs->key_id : 0,
              "transmit timestamp %08" PRIx32 ".%08" PRIx32 " already sent in %s",
              (uint32_t)(obs->xmt_ts >> 32), (uint32_t)obs->xmt_ts,
              frame_name(ex, seen->capture, seen->frame).s);
    } else {
      pair_entry e = {
        .src = src, .dst = dst, .xmt = obs->xmt_ts, .tag = h, .frame = obs->frame,
        .capture = obs->capture,
        .time_sec = obs->time_sec, .time_nsec = obs->time_nsec,
        .key_id = obs->has_key_id ? obs->key_id : 0, .has_mac = verdict_has_mac(obs),
        .verified = obs->verdict == NTA_V_GOOD,
      };
      table_insert(ex, &e);
    }
  }

  note_key_usage(ex, obs, &src, out);
}

void nta_exchange_seen_again(nta_exchange *ex, const nta_observation *obs) {
  if (!ex || !obs || !obs->header_ok || !is_request_mode(obs->mode) || obs->xmt_ts == 0)
    return;
  nta_endpoint src, dst;
  endpoint_canon(&src, &obs->src);
  endpoint_canon(&dst, &obs->dst);
  pair_entry *e = table_find(ex, &src, &dst, obs->xmt_ts, key_hash(&src, &dst, obs->xmt_ts));
  if (!e || e->answered) return;
  e->frame = obs->frame;
  e->capture = obs->capture;
  e->time_sec = obs->time_sec;
  e->time_nsec = obs->time_nsec;
}

void nta_observation_set_packet(nta_observation *obs, const nta_packet *p,
                                const nta_verify_result *vr) {
  obs->header_ok = p->header_ok;
  obs->mode = p->mode;
  obs->stratum = p->stratum;
  obs->refid = p->refid;
  obs->org_ts = p->org_ts;
  obs->rec_ts = p->rec_ts;
  obs->xmt_ts = p->xmt_ts;
  obs->verdict = vr->verdict;
  obs->has_key_id = vr->has_key_id;
  obs->key_id = vr->key_id;
  obs->algorithm = vr->algorithm;
}

size_t nta_exchange_audit_keys(const nta_keyring *kr, nta_finding *out, size_t max) {
  size_t n = 0;
  if (!kr) return 0;
  size_t count = nta_keyring_count(kr);
  for (size_t i = 0; i < count && n < max; i++) {
    const nta_key *k = nta_keyring_key_at(kr, i);
    char why[NTA_REASON_MAX - 40];
    if (!k || !nta_key_is_weak(k, why, sizeof why)) continue;
    nta_finding *f = &out[n++];
    memset(f, 0, sizeof *f);
    f->kind = NTA_F_WEAK_KEY;
    f->key_id = nta_key_id(k);
    snprintf(f->text, sizeof f->text, "key %" PRIu32 " (%s): %s", nta_key_id(k),
             nta_key_source(k) ? nta_key_source(k) : "?", why);
  }
  return n;
}
