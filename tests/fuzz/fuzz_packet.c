/* fuzz_packet.c - nta_packet_parse on arbitrary bytes, complete and truncated captures.
 *
 * Beyond "no crash" (ASan/UBSan), it checks the promises verify.c and the display code rely on,
 * and abort()s when one breaks: every split lies inside the buffer and ends exactly at the end of
 * the packet, EFs chain from offset 48, primary points at the one RFC reading, a short capture is
 * always "truncated", and the display helpers stay inside their buffers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/packet.h"

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "fuzz_packet: invariant failed at line %d: %s\n", __LINE__, #cond); \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

static void check_splits(const nta_packet *p, const uint8_t *buf, size_t size) {
  int rfc = 0;
  CHECK(p->n_splits <= NTA_MAX_SPLITS);
  CHECK(p->ambiguous == (p->n_splits > 1));
  CHECK(p->primary >= -1 && p->primary < (int)p->n_splits);
  for (int i = 0; i < p->n_splits; i++) {
    const nta_split *s = &p->splits[i];
    CHECK(s->kind <= NTA_TRAILER_MSSNTP_EXT);
    CHECK(s->n_efs <= p->n_efs);
    CHECK(s->mac_offset <= size);
    if (s->rfc7822) rfc++;
    if (s->kind == NTA_TRAILER_NONE) {
      CHECK(s->mac_offset == size && s->digest_len == 0);
    } else {
      CHECK((uint64_t)s->mac_offset + 4 + s->digest_len == size);
      const uint8_t *d = nta_split_digest(s, buf);
      CHECK(d >= buf && d + s->digest_len <= buf + size);
    }
    if (s->kind == NTA_TRAILER_CRYPTO_NAK) CHECK(s->mac_offset == NTA_HEADER_LEN);
    if (s->kind == NTA_TRAILER_MSSNTP || s->kind == NTA_TRAILER_MSSNTP_EXT)
      CHECK(p->version == 3 && s->mac_offset == NTA_HEADER_LEN);
    if (s->kind == NTA_TRAILER_MAC && p->mode != NTA_MODE_CONTROL && p->version == 4 &&
        s->n_efs == 0 && s->mac_offset == NTA_HEADER_LEN)
      CHECK(s->digest_len == 16 || s->digest_len == 20 || s->digest_len == 28 ||
            s->digest_len == 32 || s->digest_len == 48 || s->digest_len == 64);
    if (s->n_efs > 0) {
      const nta_ef *last = &p->efs[s->n_efs - 1];
      CHECK((uint32_t)last->offset + last->length == s->mac_offset);
    }
    for (int j = 0; j < i; j++)
      CHECK(p->splits[j].mac_offset != s->mac_offset || p->splits[j].kind != s->kind);
  }
  CHECK(rfc <= 1);
  if (rfc == 1) CHECK(p->primary >= 0 && p->splits[p->primary].rfc7822);
  else CHECK(p->primary == -1);
}

static void check_efs(const nta_packet *p, size_t size) {
  CHECK(p->n_efs <= NTA_MAX_EFS);
  uint32_t off = NTA_HEADER_LEN;
  bool nts = false;
  for (int i = 0; i < p->n_efs; i++) {
    const nta_ef *e = &p->efs[i];
    CHECK(e->offset == off && e->length >= 16 && e->length % 4 == 0);
    off += e->length;
    CHECK(off <= size);
    nts |= e->type == 0x0104 || e->type == 0x0204 || e->type == 0x0304 || e->type == 0x0404;
  }
  CHECK(nts == p->has_nts);
  if (p->n_efs > 0) CHECK(p->version == 4 && p->mode != NTA_MODE_CONTROL);
}

static void check_helpers(const nta_packet *p) {
  char code[5], refid[24], tiny[3];
  memset(code, 'x', sizeof code);
  if (nta_packet_kiss_code(p, code)) CHECK(p->stratum == 0 && strlen(code) >= 1);
  CHECK(code[4] == '\0');
  nta_refid_format(p, refid, sizeof refid);
  CHECK(memchr(refid, '\0', sizeof refid) != NULL);
  nta_refid_format(p, tiny, sizeof tiny);
  CHECK(memchr(tiny, '\0', sizeof tiny) != NULL);
  CHECK(nta_mode_name(p->mode) != NULL);
  for (int i = 0; i < p->n_splits; i++) CHECK(nta_trailer_kind_name(p->splits[i].kind) != NULL);
  double u = nta_ts_to_unix(p->xmt_ts);
  CHECK(u >= -2208988800.0 + 2147483648.0 - 1.0 && u < 4294967296.0 + 2147483648.0);
  CHECK(nta_ts_to_double(p->xmt_ts) >= 0.0);
}

static void check_packet(const nta_packet *p, const uint8_t *buf, size_t size, size_t wire) {
  CHECK(p->captured_len == size);
  CHECK(p->wire_len == (wire < size ? size : wire));
  CHECK(memchr(p->reason, '\0', sizeof p->reason) != NULL);
  CHECK(p->state == NTA_PKT_OK || p->state == NTA_PKT_MALFORMED);
  if (p->state == NTA_PKT_MALFORMED) CHECK(p->reason[0] != '\0');
  if (size > 0) CHECK(p->mode == (buf[0] & 7) && p->version == ((buf[0] >> 3) & 7));
  if (p->n_splits == 0 && (size == 0 || p->mode != NTA_MODE_PRIVATE))
    CHECK(p->state == NTA_PKT_MALFORMED);
  if (p->mode == NTA_MODE_PRIVATE && size > 0)
    CHECK(p->state == NTA_PKT_OK && p->n_splits == 0 && p->primary == -1);
  if (p->header_ok && p->mode != NTA_MODE_PRIVATE)
    CHECK(size >= (p->mode == NTA_MODE_CONTROL ? NTA_CTL_HEADER_LEN : NTA_HEADER_LEN));
  check_splits(p, buf, size);
  check_efs(p, size);
  check_helpers(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nta_packet a, b;

  nta_packet_parse(data, size, size, &a);
  check_packet(&a, data, size, size);

  /* Deterministic: parsing again gives the same result, byte for byte. */
  nta_packet_parse(data, size, size, &b);
  CHECK(memcmp(&a, &b, sizeof a) == 0);

  /* The same bytes as a cut capture of a longer packet: always "truncated", never a MAC split. */
  size_t wire = size + 1 + (size ? data[size - 1] % 64 : 0);
  nta_packet_parse(data, size, wire, &b);
  check_packet(&b, data, size, wire);
  if (size == 0 || b.mode != NTA_MODE_PRIVATE) {
    CHECK(b.state == NTA_PKT_MALFORMED);
    CHECK(strncmp(b.reason, "truncated", 9) == 0);
    CHECK(b.n_splits == 0);
  }

  /* Every prefix of a short input, as a complete packet (exercises each length rule). */
  if (size <= 128)
    for (size_t n = 0; n < size; n += 4) {
      nta_packet_parse(data, n, n, &b);
      check_packet(&b, data, n, n);
    }
  return 0;
}
