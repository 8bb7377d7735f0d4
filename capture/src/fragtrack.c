/* fragtrack.c - which fragments belong to datagrams that never completed, for tools that read
 * frames themselves (the Wireshark plugin): the reader's own decoder and reassembly table, fed
 * one frame at a time, so both tools find the same unfinished datagrams on the same frames. */
#include "capture_internal.h"

#include <stdlib.h>
#include <string.h>

struct cap_frag_tracker {
  cap_decoder dec;
  char note[128];
};

cap_frag_tracker *cap_frag_tracker_create(uint16_t port) {
  cap_frag_tracker *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->dec.reasm = cap_reasm_create();
  if (!t->dec.reasm) {
    free(t);
    return NULL;
  }
  t->dec.port_map[port >> 3] |= (uint8_t)(1u << (port & 7));
  return t;
}

void cap_frag_tracker_destroy(cap_frag_tracker *t) {
  if (!t) return;
  cap_reasm_destroy(t->dec.reasm);
  free(t);
}

void cap_frag_tracker_add(cap_frag_tracker *t, uint32_t linktype, const uint8_t *data,
                          uint32_t caplen, uint32_t wirelen, uint64_t frame, int64_t ts_sec,
                          uint32_t ts_nsec) {
  cap_record rec = {.linktype = linktype, .data = data, .caplen = caplen,
                    .wirelen = wirelen < caplen ? caplen : wirelen, .frame = frame,
                    .ts_sec = ts_sec, .ts_nsec = ts_nsec};
  cap_datagram ignored;
  (void)cap_decode(&t->dec, &rec, &ignored);   /* a completed datagram is Wireshark's to show */
}

void cap_frag_tracker_finish(cap_frag_tracker *t) {
  cap_reasm_finish(t->dec.reasm);
}

bool cap_frag_tracker_next(cap_frag_tracker *t, cap_datagram *out) {
  return cap_decode_unfinished(&t->dec, out, t->note, sizeof t->note);
}
