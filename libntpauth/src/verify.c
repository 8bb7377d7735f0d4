/* verify.c - the verdict for (packet, keyring), and signing.
 *
 * The parser (packet.c) lists every plausible reading ("split") of the trailer. Here each split
 * gets its own verdict and the most convincing one is reported:
 *   good  >  untrusted key whose MAC is correct  >  known key, acceptable length, wrong digest
 *         >  known key, length its algorithm never uses  >  the RFC 7822 reading's own verdict
 * so a key that explains a split wins over the RFC reading (chrony's full-length NTPv3 MACs,
 * key IDs that look like EF lengths), and without keys the RFC reading is what is reported. */
#include "ntpauth/verify.h"
#include "mac_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "keyring_internal.h"
#include "verify_internal.h"

static const char *const verdict_names[NTA_V_COUNT] = {
  [NTA_V_GOOD] = "good",
  [NTA_V_BAD_MAC] = "bad_mac",
  [NTA_V_UNKNOWN_KEY] = "unknown_key",
  [NTA_V_UNTRUSTED_KEY] = "untrusted_key",
  [NTA_V_CRYPTO_NAK] = "crypto_nak",
  [NTA_V_NO_AUTH] = "no_auth",
  [NTA_V_NTS] = "nts",
  [NTA_V_MSSNTP] = "mssntp",
  [NTA_V_MALFORMED] = "malformed",
};

const char *nta_verdict_name(nta_verdict v) {
  return (unsigned)v < NTA_V_COUNT ? verdict_names[v] : "?";
}

bool nta_verdict_from_name(const char *name, nta_verdict *out) {
  if (!name) return false;
  for (int v = 0; v < NTA_V_COUNT; v++)
    if (strcmp(name, verdict_names[v]) == 0) {
      if (out) *out = (nta_verdict)v;
      return true;
    }
  return false;
}

bool nta_verdict_is_failure(nta_verdict v) {
  return v == NTA_V_BAD_MAC || v == NTA_V_UNKNOWN_KEY || v == NTA_V_UNTRUSTED_KEY;
}

/* How convincing a split's verdict is (higher wins). */
enum {
  RANK_OTHER = 0,        /* a non-RFC reading no key explains */
  RANK_PRIMARY = 1,      /* the RFC 7822 reading no key explains */
  RANK_KNOWN_BAD_LEN = 2,
  RANK_KNOWN_MISMATCH = 3,
  RANK_UNTRUSTED_OK = 4,
  RANK_GOOD = 5
};

static void set_reason(nta_verify_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(nta_verify_result *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
}

/* "key 11 (SHA1)" or "key 13 (SHA256), truncated digest": the reason of almost every packet.
 * Copied from the label the keyring prepared; formatting it here with snprintf() costs about
 * a seventh of a verification. */
static void good_reason(nta_verify_result *r, const nta_key *key) {
  static const char suffix[] = ", truncated digest";
  const char *label = nta_key_label(key);
  /* One pass, inline: labels are ~15 bytes, where strlen() + memcpy() are two library calls. */
  size_t n = 0;
  while (n < sizeof r->reason - sizeof suffix && label[n]) {
    r->reason[n] = label[n];
    n++;
  }
  if (r->truncated) {
    memcpy(r->reason + n, suffix, sizeof suffix);
  } else {
    r->reason[n] = '\0';
  }
}

/* Verdict for a key ID that names no usable key. */
static int judge_unknown_key(const nta_keyring *kr, const nta_split *s, nta_verify_result *r) {
  r->verdict = NTA_V_UNKNOWN_KEY;
  if (s->key_id == 0)
    set_reason(r, "key ID 0 is reserved and never valid");
  else if (nta_keyring_count(kr) == 0)
    set_reason(r, "key %u: no keys loaded", s->key_id);
  else
    set_reason(r, "key %u not in keyfile", s->key_id);
  return RANK_OTHER;
}

/* Verdict for a digest length the key's algorithm never appears with. */
static int judge_bad_length(const nta_split *s, size_t full, bool trusted, nta_verify_result *r) {
  char lengths[48];
  if (full > NTA_MAC_TRUNC)
    snprintf(lengths, sizeof lengths, "%zu- or %d-byte", full, NTA_MAC_TRUNC);
  else
    snprintf(lengths, sizeof lengths, "%zu-byte", full);
  r->verdict = trusted ? NTA_V_BAD_MAC : NTA_V_UNTRUSTED_KEY;
  if (trusted)
    set_reason(r, "key %u (%s) expects %s digest, packet has %u", s->key_id, r->algorithm,
               lengths, s->digest_len);
  else
    set_reason(r, "key %u not trusted (and %s expects %s digest, packet has %u)", s->key_id,
               r->algorithm, lengths, s->digest_len);
  return RANK_KNOWN_BAD_LEN;
}

/* Computes the key's MAC over the split's data and compares it with the packet's digest in
 * constant time; on a mismatch keeps the expected digest in r and tries the key's alternate
 * reading (another daemon's reading of the same key text). Returns whether either matched.
 * *computed is the length of the key's own MAC (0 when OpenSSL failed). */
static bool mac_matches(const nta_key *key, const uint8_t *buf, const nta_split *s,
                        nta_verify_result *r, size_t *computed, bool *by_alt) {
  uint8_t mac[NTA_MAC_MAX];
  size_t n = nta_mac_compute(nta_key_mac(key), buf, s->mac_offset, mac);
  *computed = n;
  *by_alt = false;
  bool ok = n >= s->digest_len && nta_ct_equal(mac, nta_split_digest(s, buf), s->digest_len);
  if (!ok && n >= s->digest_len) memcpy(r->expected, mac, s->digest_len);
  nta_mac *alt = nta_key_alt_mac(key);
  if (!ok && alt) {
    size_t m = nta_mac_compute(alt, buf, s->mac_offset, mac);
    ok = *by_alt = m >= s->digest_len && nta_ct_equal(mac, nta_split_digest(s, buf), s->digest_len);
  }
  return ok;
}

/* Verdict of a MAC split. */
static int judge_mac(const nta_keyring *kr, const nta_packet *pkt, const uint8_t *buf,
                     const nta_split *s, nta_verify_result *r) {
  r->has_key_id = true;
  r->key_id = s->key_id;
  r->digest_len = s->digest_len;
  const nta_key *key = s->key_id ? nta_keyring_find(kr, s->key_id) : NULL;
  if (!key) return judge_unknown_key(kr, s, r);
  nta_mac *mac = nta_key_mac(key);
  size_t full = nta_mac_output_len(mac);
  bool trusted = nta_keyring_is_trusted(kr, s->key_id);
  r->key = key;
  r->algorithm = nta_mac_name(mac);
  r->truncated = s->digest_len < full;
  if (!nta_mac_len_acceptable(mac, s->digest_len)) return judge_bad_length(s, full, trusted, r);
  /* Defensive: the parser promises the digest lies inside the captured bytes. */
  if ((size_t)s->mac_offset + 4 + s->digest_len > pkt->captured_len) {
    r->verdict = NTA_V_MALFORMED;
    set_reason(r, "truncated: MAC of key %u ends after the captured bytes", s->key_id);
    return RANK_OTHER;
  }
  size_t n;
  bool by_alt;
  bool ok = mac_matches(key, buf, s, r, &n, &by_alt);
  if (!trusted) {
    r->verdict = NTA_V_UNTRUSTED_KEY;
    set_reason(r, "key %u not trusted (MAC %s)", s->key_id, ok ? "correct" : "incorrect");
    return ok ? RANK_UNTRUSTED_OK : RANK_KNOWN_MISMATCH;
  }
  if (ok) {
    r->verdict = NTA_V_GOOD;
    r->by_alternate = by_alt;
    if (by_alt)
      set_reason(r, "%s%s, key as %s reads it", nta_key_label(key),
                 r->truncated ? ", truncated digest" : "", nta_key_alt_reader(key));
    else
      good_reason(r, key);
    return RANK_GOOD;
  }
  r->verdict = NTA_V_BAD_MAC;
  char why[NTA_REASON_MAX];
  if (n == 0)
    set_reason(r, "key %u (%s): the MAC could not be computed", s->key_id, r->algorithm);
  else if (nta_keyring_explains(kr) &&
           nta_explain_bad_mac(kr, key, buf, s->mac_offset, nta_split_digest(s, buf),
                               s->digest_len, why, sizeof why))
    set_reason(r, "digest mismatch for key %u (%s): %s", s->key_id, r->algorithm, why);
  else
    set_reason(r, "digest mismatch for key %u (%s)", s->key_id, r->algorithm);
  return RANK_KNOWN_MISMATCH;
}

/* Verdict of one split alone. */
static int judge_split(const nta_keyring *kr, const nta_packet *pkt, const uint8_t *buf, int i,
                       nta_verify_result *r) {
  const nta_split *s = &pkt->splits[i];
  r->split = (int8_t)i;
  int rank = RANK_OTHER;
  switch (s->kind) {
  case NTA_TRAILER_NONE:
    r->verdict = NTA_V_NO_AUTH;
    set_reason(r, "no MAC");
    break;
  case NTA_TRAILER_CRYPTO_NAK:
    r->verdict = NTA_V_CRYPTO_NAK;
    r->has_key_id = true;
    r->key_id = 0;
    set_reason(r, "crypto-NAK: key ID 0, no digest");
    break;
  case NTA_TRAILER_MSSNTP:
  case NTA_TRAILER_MSSNTP_EXT:
    r->verdict = NTA_V_MSSNTP;
    r->digest_len = s->digest_len;
    set_reason(r, "MS-SNTP%s trailer (RID %u): signed by a Windows domain controller, not a keyfile",
               s->kind == NTA_TRAILER_MSSNTP_EXT ? " extended" : "", s->key_id);
    break;
  case NTA_TRAILER_MAC:
    rank = judge_mac(kr, pkt, buf, s, r);
    break;
  default:
    r->verdict = NTA_V_MALFORMED;
    set_reason(r, "unknown trailer reading");
    break;
  }
  if (rank == RANK_OTHER && (i == pkt->primary || (pkt->primary < 0 && i == 0)))
    rank = RANK_PRIMARY;
  return rank;
}

/* Field by field, not memset: clearing the 160-byte reason and the 64-byte `expected` (which
 * only bad_mac fills, digest_len bytes of it) cost a tenth of a CMAC verification. */
static void result_init(nta_verify_result *res, const nta_packet *pkt) {
  res->verdict = NTA_V_MALFORMED;
  res->reason[0] = '\0';
  res->split = -1;
  res->has_key_id = false;
  res->key_id = 0;
  res->digest_len = 0;
  res->key = NULL;
  res->algorithm = NULL;
  res->truncated = false;
  res->split_ambiguous = pkt->ambiguous;
}

/* NTS extension fields make the packet NTS-protected, unless a key explains a legacy MAC
 * reading: a chrony key ID such as 0x0104xxxx looks like an NTS field header. */
static nta_verdict nts_unless_good(const nta_packet *pkt, nta_verify_result *res) {
  if (pkt->has_nts && res->verdict != NTA_V_GOOD) {
    result_init(res, pkt);
    res->verdict = NTA_V_NTS;
    set_reason(res, "NTS extension fields: protected by NTS, not a keyfile");
  }
  return res->verdict;
}

nta_verdict nta_verify(const nta_keyring *kr, const nta_packet *pkt, const uint8_t *buf,
                       nta_verify_result *res) {
  result_init(res, pkt);
  if (pkt->state == NTA_PKT_MALFORMED) {
    res->verdict = NTA_V_MALFORMED;
    set_reason(res, "%s", pkt->reason[0] ? pkt->reason : "malformed packet");
    return res->verdict;
  }
  if (pkt->n_splits == 0) {
    res->verdict = NTA_V_NO_AUTH;
    if (pkt->mode == NTA_MODE_PRIVATE)
      set_reason(res, "mode 7 (ntpdc private) message: not checked");
    else
      set_reason(res, "no MAC");
    return res->verdict;
  }

  int n = pkt->n_splits < NTA_MAX_SPLITS ? pkt->n_splits : NTA_MAX_SPLITS;
  if (n == 1) {   /* the common case: no choice to make, no copies */
    judge_split(kr, pkt, buf, 0, res);
    return nts_unless_good(pkt, res);
  }
  /* Each reading is judged into whichever of two buffers does not hold the best so far: no
   * result (~300 bytes) is copied per reading, at most once at the end. */
  nta_verify_result spare;
  nta_verify_result *best = NULL, *cur = res;
  int best_rank = -1;
  for (int i = 0; i < n; i++) {
    if (cur != res || i > 0) result_init(cur, pkt);
    int rank = judge_split(kr, pkt, buf, i, cur);
    if (rank > best_rank) {
      best_rank = rank;
      best = cur;
      cur = cur == res ? &spare : res;
    }
    if (best_rank == RANK_GOOD) break;   /* a key explains this reading: done */
  }
  if (best != res) *res = *best;
  return nts_unless_good(pkt, res);
}

size_t nta_sign(const nta_key *key, uint8_t *buf, size_t len, size_t cap, size_t digest_len) {
  return nta_sign_reading(key, false, buf, len, cap, digest_len);
}

size_t nta_sign_reading(const nta_key *key, bool alternate, uint8_t *buf, size_t len, size_t cap,
                        size_t digest_len) {
  if (!key || !buf) return 0;
  nta_mac *mac = alternate && nta_key_alt_mac(key) ? nta_key_alt_mac(key) : nta_key_mac(key);
  if (!nta_mac_len_acceptable(mac, digest_len)) return 0;
  if (len > cap || cap - len < 4 + digest_len) return 0;
  uint8_t computed[NTA_MAC_MAX];
  size_t n = nta_mac_compute(mac, buf, len, computed);
  if (n < digest_len) return 0;
  uint32_t id = nta_key_id(key);
  buf[len] = (uint8_t)(id >> 24);
  buf[len + 1] = (uint8_t)(id >> 16);
  buf[len + 2] = (uint8_t)(id >> 8);
  buf[len + 3] = (uint8_t)id;
  memcpy(buf + len + 4, computed, digest_len);
  return len + 4 + digest_len;
}

size_t nta_append_crypto_nak(uint8_t *buf, size_t len, size_t cap) {
  if (!buf || len > cap || cap - len < 4) return 0;
  memset(buf + len, 0, 4);
  return len + 4;
}
