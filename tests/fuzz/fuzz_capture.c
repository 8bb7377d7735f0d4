/* fuzz_capture: bytes as a capture file (pcap or pcapng, plain or gzip/zstd/lz4), given twice
 * as two inputs and read to the end, once with the default port filter and once also selecting
 * a port taken from the input, so every decoder path (link layers, IPv4/IPv6, extension headers,
 * fragment reassembly, decompression) sees the input. Touches every payload byte handed out so
 * ASan checks the bounds. The second pass also selects that port for TCP and feeds the segments
 * to the bounded TCP reassembly. Last, the input cut into raw-IP frames goes through the
 * fragment tracker (the plugin's view of datagrams that never complete). */
#include <stddef.h>
#include <stdint.h>

#include "capture/reader.h"
#include "capture/tcpstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t sink;  /* keeps the payload reads */

static void on_stream(void *arg, void **user, const cap_datagram *seg, bool from_server,
                      const uint8_t *b, size_t len) {
  uint32_t *sum = arg;
  for (size_t i = 0; i < len; i++) *sum += b[i];
}

/* Frames of up to 255 bytes, each as long as its first byte says, fed as raw IP. */
static void track_fragments(const uint8_t *data, size_t size) {
  cap_frag_tracker *t = cap_frag_tracker_create(123);
  if (!t) return;
  uint64_t frame = 0;
  for (size_t off = 0; off < size;) {
    size_t n = data[off++];
    if (n > size - off) n = size - off;
    cap_frag_tracker_add(t, 101, data + off, (uint32_t)n, (uint32_t)n, ++frame, 0, 0);
    off += n;
  }
  cap_frag_tracker_finish(t);
  cap_datagram dg;
  uint64_t last = 0;
  while (cap_frag_tracker_next(t, &dg)) {
    if (!dg.unusable || !dg.note || dg.captured_len || dg.frame > frame) __builtin_trap();
    last += dg.frame;
  }
  sink = (uint32_t)last;
  cap_frag_tracker_destroy(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  track_fragments(data, size);
  for (int pass = 0; pass < 2; pass++) {
    cap_reader *r = cap_reader_create();
    if (!r) return 0;
    nta_diag err;
    if (pass == 1 && size >= 2) {
      /* a port taken from the input's last bytes, so mutated ports still reach the decoder */
      uint16_t ports[2] = {123, (uint16_t)((data[size - 2] << 8) | data[size - 1])};
      cap_reader_set_ports(r, ports, 2, &err);
      cap_reader_set_tcp_ports(r, ports + 1, 1, &err);
    }
    uint32_t sum = 0;
    cap_tcp_handler h = {on_stream, NULL, &sum};
    cap_tcp_table *tcp = cap_tcp_create(pass == 1 && size >= 2 ? (uint16_t)((data[size - 2] << 8) | data[size - 1]) : 4460, &h);
    /* the same bytes twice: the second file continues frame numbering */
    cap_reader_add_memory(r, "fuzz-a", data, size, &err);
    cap_reader_add_memory(r, "fuzz-b", data, size, &err);
    cap_datagram dg;
    for (;;) {
      cap_next_status st = cap_reader_next(r, &dg, &err);
      if (st != CAP_NEXT_DATAGRAM) break;
      for (uint32_t i = 0; i < dg.captured_len; i++) sum += dg.payload[i];
      if (dg.captured_len > dg.wire_len) __builtin_trap();
      if (dg.proto == 6) cap_tcp_segment(tcp, &dg);
    }
    cap_tcp_destroy(tcp);
    sink = sum;
    uint64_t done, total;
    cap_reader_progress(r, &done, &total);
    (void)cap_reader_stats(r);
    cap_reader_destroy(r);
  }
  return 0;
}
