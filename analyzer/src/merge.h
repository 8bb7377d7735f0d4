/* merge.h - --merge: one packet seen at two capture points, and the one-way delays it shows.
 *
 * Captures of the same traffic taken at several points (client and server side) see each packet
 * twice. A packet whose bytes equal one seen within MERGE_WINDOW seconds in another capture is
 * that packet seen again, not a replay: it is listed, but not paired or counted a second time.
 * When a request and its reply were both seen at both ends, the differences of their capture
 * times are the one-way path delays (client -> server, server -> client), as far as the clocks
 * of the two capturing hosts agree. Memory is a fixed table. */
#ifndef NTPAUTH_ANALYZE_MERGE_H
#define NTPAUTH_ANALYZE_MERGE_H

#include "analyze.h"

typedef struct {
  bool duplicate;          /* seen before at another capture point */
  const char *first_file;
  uint64_t first_frame;
  double after;            /* seconds since that first sighting */
  bool has_oneway;         /* this reply completes a request/reply seen at both ends */
  double oneway_request;   /* client side -> server side, seconds */
  double oneway_reply;     /* server side -> client side */
} an_sighting;

typedef struct an_merge an_merge;

an_merge *an_merge_create(void);
void an_merge_destroy(an_merge *m);
/* In timeline order. Fills *out (zeroed when the packet is new). */
void an_merge_observe(an_merge *m, const an_record *rec, an_sighting *out);

#endif
