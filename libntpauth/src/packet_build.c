/* packet_build.c - the one writer of the 48-byte NTP header, shared by the server, the query
 * client and the capture generators so that every packet we build has the same layout. */
#include "ntpauth/bytes.h"
#include "ntpauth/packet.h"

size_t nta_header_write(const nta_header *h, uint8_t *buf, size_t cap) {
  nta_writer w;
  nta_wr_init(&w, buf, cap);
  nta_wr_u8(&w, (uint8_t)((h->li & 3) << 6 | (h->version & 7) << 3 | (h->mode & 7)));
  nta_wr_u8(&w, h->stratum);
  nta_wr_u8(&w, (uint8_t)h->poll);
  nta_wr_u8(&w, (uint8_t)h->precision);
  nta_wr_u32(&w, h->root_delay);
  nta_wr_u32(&w, h->root_dispersion);
  nta_wr_u32(&w, h->refid);
  nta_wr_u64(&w, h->ref_ts);
  nta_wr_u64(&w, h->org_ts);
  nta_wr_u64(&w, h->rec_ts);
  nta_wr_u64(&w, h->xmt_ts);
  return w.err ? 0 : w.off;
}
