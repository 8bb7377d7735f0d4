/* merge.h - --merge: one packet seen at two capture points, and the one-way delays it shows.
 *
 * Captures of the same traffic taken at several points (client and server side) see each packet
 * twice. A packet whose bytes equal one seen within MERGE_WINDOW seconds in another capture is
 * that packet seen again, not a replay: it is listed, but not paired or counted a second time.
 *
 * Pairing stays within one capture point: each sighting of a reply is paired with the sighting
 * of its request in the same capture, so offset and delay come from one capturing clock (the
 * client side's figures on the client-side capture). The exchange table pairs a reply's first
 * sighting with the request's latest one (nta_exchange_seen_again), normally the server side's;
 * the reply seen again later is timed here. When a request and its reply were both
 * seen at both ends, the differences of their capture times are the one-way path delays
 * (client -> server, server -> client), as far as the clocks of the two capturing hosts agree.
 * Memory is a fixed table. */
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
/* After an_merge_observe: makes what pairing says of a reply sighting (`xr`: the exchange
 * table's result for a first sighting, zeroed for one seen `again`) refer to its request's
 * sighting in the reply's own capture, with offset and delay from those two capture times.
 * Without such a sighting a request seen in another capture keeps its reference but loses the
 * timing (two clocks). A first sighting the table did not pair stays unpaired. */
void an_merge_pair(const an_merge *m, const an_record *rec, bool again,
                   nta_exchange_result *xr);

#endif
