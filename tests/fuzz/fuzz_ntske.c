/* fuzz_ntske.c - the NTS-KE record parser and the NTS-KE connection reader on arbitrary bytes.
 *
 * Checks: a complete message's length lies inside the input, the cookies lie inside it too, the
 * kept lists never exceed their bounds, the record walker stays inside the input and ends a
 * complete message at its End of Message, and the description is a terminated string that fits.
 * Then the input is read as a connection: the first byte says how many bytes (times 8) go to
 * the client direction first, the rest goes to the server in pieces of 13 bytes, then the rest
 * of the client's. The store holds the secrets of the first NTS-KE session of
 *  samples/nts/chrony-nts.pcap, so seeds made from that connection reach the decryption. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntpauth/ntske_conn.h"

#define CHECK(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      fprintf(stderr, "fuzz_ntske: invariant failed at line %d: %s\n", __LINE__, #cond); \
      abort();                                                                          \
    }                                                                                   \
  } while (0)

static const char keylog[] =
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET 476d19247dd590a6e0692ae20f4770d5837976483e8d144b6a022c056dfcb80e c318cf00cfe9c1c31242fc524f9c89172ef572e12894b96f1103e403d70b9a78d9ed5aeecb060ff2b476f73675c7ba3e\n"
    "SERVER_HANDSHAKE_TRAFFIC_SECRET 476d19247dd590a6e0692ae20f4770d5837976483e8d144b6a022c056dfcb80e 764f5c18db44e5c4df2630aa92a997ed7ea11fec45404b7253085b58e2d3743588905b9fb8fe32f1a562512ad4ce12f3\n"
    "EXPORTER_SECRET 476d19247dd590a6e0692ae20f4770d5837976483e8d144b6a022c056dfcb80e bbd510005f67dc00610a2235962fbdd530eebafe097814762e7e4ef015d5b7cdb2c16b927ee6fa077f7b5a6591fafe7e\n"
    "CLIENT_TRAFFIC_SECRET_0 476d19247dd590a6e0692ae20f4770d5837976483e8d144b6a022c056dfcb80e 97aa1223a0941a50a679a82be426bb11ada8df4cbf9ae2664f00958bd9648a00b091919f48edcf6f4252cd4ff568c1c2\n"
    "SERVER_TRAFFIC_SECRET_0 476d19247dd590a6e0692ae20f4770d5837976483e8d144b6a022c056dfcb80e 5b90415a2b08f257a1a7cc141c873a1d589a301c0fb4ca020c21ce068118dde57b4ee9f2ff957a7daf61bdf516f58b74\n";
static nta_nts_store *store;

static void read_as_connection(const uint8_t *data, size_t size) {
  if (!store) {
    store = nta_nts_store_create();
    nta_nts_load_keylog_text(store, "keylog", keylog, sizeof keylog - 1, NULL);
  }
  if (size < 1) return;
  size_t first = (size_t)data[0] * 8;
  data++, size--;
  if (first > size) first = size;
  nta_ntske_conn *c = nta_ntske_conn_create(store);
  nta_ntske_conn_feed(c, false, data, first);
  for (size_t i = first; i < size; i += 13)
    nta_ntske_conn_feed(c, true, data + i, size - i < 13 ? size - i : 13);
  nta_ntske_conn_feed(c, false, data, first);
  const nta_ntske_info *in = nta_ntske_conn_info(c);
  CHECK(in->n_cookies <= NTA_NTS_MAX_COOKIES);
  CHECK(memchr(in->reason, '\0', sizeof in->reason) != NULL);
  nta_ntske_conn_destroy(c);
}

/* The record walker (the plugin's tree): every record lies inside the input, offsets grow, and
 * a complete message's records end exactly at its End of Message. */
static void walk_records(const uint8_t *data, size_t size, const nta_ntske_msg *m, nta_status st) {
  nta_ntske_record r;
  size_t off = 0;
  while (nta_ntske_record_at(data, size, off, &r) == NTA_OK) {
    CHECK(r.off == off && r.body_len <= size - off - 4 && r.type < 0x8000);
    CHECK(nta_ntske_record_name(r.type) != NULL);
    off += 4 + (size_t)r.body_len;
    if (st == NTA_OK && r.type == NTA_KE_END && off >= m->used) break;
  }
  if (st == NTA_OK) CHECK(off == m->used);
  CHECK(nta_ntske_record_at(data, size, size + 1, &r) == NTA_ERR_RANGE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  nta_ntske_msg m;
  nta_diag why;
  nta_status st = nta_ntske_parse(data, size, &m, &why);
  CHECK(st == NTA_OK || st == NTA_ERR_RANGE || st == NTA_ERR_PARSE);
  if (st == NTA_OK) CHECK(m.complete && m.used >= 4 && m.used <= size);
  CHECK(m.n_protocols <= NTA_KE_LIST_MAX && m.n_aeads <= NTA_KE_LIST_MAX);
  CHECK(m.n_cookies_kept <= NTA_NTS_MAX_COOKIES && m.n_cookies_kept <= m.n_cookies);
  for (int i = 0; i < m.n_cookies_kept; i++)
    CHECK(m.cookies[i].off <= size && m.cookies[i].len <= size - m.cookies[i].off);
  walk_records(data, size, &m, st);
  char text[96];
  nta_ntske_describe(&m, text, sizeof text);
  CHECK(memchr(text, '\0', sizeof text) != NULL);
  read_as_connection(data, size);
  return 0;
}
