/* reader.c - the capture reader: inputs in order, frame numbering, live capture, statistics.
 *
 * Files are parsed by filesrc.c, frames decoded by decode.c. Frame numbers count every packet
 * record across all inputs (as Wireshark numbers frames), whether or not it carries NTP. */
#include "capture/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_internal.h"

#define LIVE_SNAPLEN 65535
#define LIVE_TIMEOUT_MS 200
#define LIVE_BUFFER_BYTES (4 * 1024 * 1024)

typedef struct {
  char *name;
  const uint8_t *mem;       /* memory input (tests, fuzzing) */
  size_t mem_len;
  bool is_mem;
} input;

struct cap_reader {
  input *inputs;
  size_t n_inputs, cap_inputs, next_input;
  bool file_open;
  cap_filesrc file;
  const char *cur_name;

  pcap_t *live;
  char *live_name;
  uint32_t live_linktype;
  bool live_nsec;

  volatile sig_atomic_t interrupted;
  bool ended;               /* input consumed: only reports of unfinished datagrams remain */
  bool failed;
  nta_diag failure;

  uint64_t frame;
  uint64_t bytes_closed;    /* bytes of inputs already finished */
  uint64_t total_bytes;
  bool total_known;

  cap_decoder dec;
  cap_stats stats;
  char unfinished_note[128];   /* note of the last unfinished-fragment datagram handed out */
};

cap_reader *cap_reader_create(void) {
  cap_reader *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->dec.reasm = cap_reasm_create();
  if (!r->dec.reasm) {
    free(r);
    return NULL;
  }
  r->dec.port_map[123 >> 3] |= (uint8_t)(1u << (123 & 7));
  r->total_known = true;
  return r;
}

void cap_reader_destroy(cap_reader *r) {
  if (!r) return;
  if (r->file_open) cap_filesrc_close(&r->file);
  if (r->live) pcap_close(r->live);
  for (size_t i = 0; i < r->n_inputs; i++) free(r->inputs[i].name);
  free(r->inputs);
  free(r->live_name);
  cap_reasm_destroy(r->dec.reasm);
  free(r);
}

nta_status cap_reader_set_ports(cap_reader *r, const uint16_t *ports, size_t n, nta_diag *err) {
  if (!r || (!ports && n)) return nta_diag_set(err, NTA_ERR_ARG, "invalid argument");
  if (n == 0) return nta_diag_set(err, NTA_ERR_ARG, "no UDP port selected");
  memset(r->dec.port_map, 0, sizeof r->dec.port_map);
  for (size_t i = 0; i < n; i++)
    r->dec.port_map[ports[i] >> 3] |= (uint8_t)(1u << (ports[i] & 7));
  return NTA_OK;
}

nta_status cap_reader_set_tcp_ports(cap_reader *r, const uint16_t *ports, size_t n, nta_diag *err) {
  if (!r || (n && !ports)) return nta_diag_set(err, NTA_ERR_ARG, "invalid TCP port list");
  memset(r->dec.tcp_port_map, 0, sizeof r->dec.tcp_port_map);
  for (size_t i = 0; i < n; i++) r->dec.tcp_port_map[ports[i] >> 3] |= (uint8_t)(1u << (ports[i] & 7));
  r->dec.any_tcp = n > 0;
  return NTA_OK;
}

static nta_status push_input(cap_reader *r, const char *name, const uint8_t *mem, size_t len,
                             bool is_mem, nta_diag *err) {
  if (r->live) return nta_diag_set(err, NTA_ERR_ARG, "cannot mix files and live capture");
  if (r->n_inputs == r->cap_inputs) {
    size_t ncap = r->cap_inputs ? r->cap_inputs * 2 : 4;
    input *ni = realloc(r->inputs, ncap * sizeof *ni);
    if (!ni) return nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
    r->inputs = ni;
    r->cap_inputs = ncap;
  }
  char *copy = strdup(name);
  if (!copy) return nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
  r->inputs[r->n_inputs++] = (input){.name = copy, .mem = mem, .mem_len = len, .is_mem = is_mem};
  return NTA_OK;
}

nta_status cap_reader_add_file(cap_reader *r, const char *path, nta_diag *err) {
  if (!r || !path || !*path) return nta_diag_set(err, NTA_ERR_ARG, "no capture file name");
  if (strcmp(path, "-") == 0) {
    r->total_known = false;
  } else {
    struct stat st;
    if (stat(path, &st) != 0)
      return nta_diag_set(err, NTA_ERR_IO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
      return nta_diag_set(err, NTA_ERR_IO, "%s: is a directory", path);
    if (S_ISREG(st.st_mode)) r->total_bytes += (uint64_t)st.st_size;
    else r->total_known = false;
  }
  return push_input(r, path, NULL, 0, false, err);
}

nta_status cap_reader_add_memory(cap_reader *r, const char *name, const uint8_t *data,
                                 size_t len, nta_diag *err) {
  if (!r || !name || (!data && len)) return nta_diag_set(err, NTA_ERR_ARG, "invalid argument");
  r->total_bytes += len;
  return push_input(r, name, data, len, true, err);
}

nta_status cap_reader_open_live(cap_reader *r, const char *iface, const char *bpf,
                                nta_diag *err) {
  if (!r || !iface || !*iface) return nta_diag_set(err, NTA_ERR_ARG, "no interface name");
  if (r->live || r->n_inputs)
    return nta_diag_set(err, NTA_ERR_ARG, "cannot mix files and live capture");
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create(iface, errbuf);
  if (!p) return nta_diag_set(err, NTA_ERR_IO, "%s: %s", iface, errbuf);
  pcap_set_snaplen(p, LIVE_SNAPLEN);
  pcap_set_promisc(p, 1);
  pcap_set_timeout(p, LIVE_TIMEOUT_MS);
  pcap_set_buffer_size(p, LIVE_BUFFER_BYTES);
  pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);  /* best effort */
  int rc = pcap_activate(p);
  if (rc < 0) {
    nta_status st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot capture: %s (%s)", iface,
                                 pcap_statustostr(rc), pcap_geterr(p));
    pcap_close(p);
    return st;
  }
  if (bpf && *bpf) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      nta_status st = nta_diag_set(err, NTA_ERR_PARSE, "filter \"%s\": %s", bpf, pcap_geterr(p));
      pcap_close(p);
      return st;
    }
    int frc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (frc != 0) {
      nta_status st = nta_diag_set(err, NTA_ERR_IO, "%s: cannot set filter: %s", iface,
                                   pcap_geterr(p));
      pcap_close(p);
      return st;
    }
  }
  r->live_name = strdup(iface);
  if (!r->live_name) {
    pcap_close(p);
    return nta_diag_set(err, NTA_ERR_NOMEM, "out of memory");
  }
  r->live = p;
  r->live_linktype = (uint32_t)pcap_datalink(p);
  r->live_nsec = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
  r->total_known = false;
  return NTA_OK;
}

void cap_reader_interrupt(cap_reader *r) {
  if (!r) return;
  r->interrupted = 1;
  if (r->live) pcap_breakloop(r->live);
}

static cap_next_status fail(cap_reader *r, nta_diag *err) {
  r->failed = true;
  if (err) *err = r->failure;
  return CAP_NEXT_ERROR;
}

static void close_file(cap_reader *r) {
  r->bytes_closed += r->file.consumed;
  cap_filesrc_close(&r->file);
  r->file_open = false;
}

static nta_status open_next_input(cap_reader *r) {
  input *in = &r->inputs[r->next_input++];
  int fd = -1;
  bool own = false;
  if (!in->is_mem) {
    if (strcmp(in->name, "-") == 0) {
      fd = STDIN_FILENO;
    } else {
      fd = open(in->name, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return nta_diag_set(&r->failure, NTA_ERR_IO, "%s: %s", in->name, strerror(errno));
      own = true;
      posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
  }
  r->cur_name = in->name;
  r->file_open = true;
  nta_status st = cap_filesrc_open(&r->file, in->name, fd, own, in->mem, in->mem_len,
                                   &r->interrupted, &r->failure);
  if (st != NTA_OK) close_file(r);
  return st;
}

/* The next link-layer record from the current input, moving on to the next input at the end. */
static cap_src_status next_record(cap_reader *r, cap_record *rec) {
  if (r->live) {
    for (;;) {
      if (r->interrupted) return CAP_SRC_END;
      struct pcap_pkthdr *h;
      const u_char *data;
      int rc = pcap_next_ex(r->live, &h, &data);
      if (rc == 1) {
        rec->linktype = r->live_linktype;
        rec->ts_sec = h->ts.tv_sec;
        rec->ts_nsec = (uint32_t)(r->live_nsec ? h->ts.tv_usec : h->ts.tv_usec * 1000);
        rec->data = data;
        rec->caplen = h->caplen;
        rec->wirelen = h->len < h->caplen ? h->caplen : h->len;
        rec->not_packet = false;
        return CAP_SRC_RECORD;
      }
      if (rc == 0) continue;           /* timeout: look at the interrupt flag again */
      if (rc == PCAP_ERROR_BREAK) return CAP_SRC_END;
      nta_diag_set(&r->failure, NTA_ERR_IO, "%s: capture failed: %s", r->live_name,
                   pcap_geterr(r->live));
      return CAP_SRC_ERROR;
    }
  }
  for (;;) {
    if (r->interrupted) return CAP_SRC_END;
    if (!r->file_open) {
      if (r->next_input >= r->n_inputs) return CAP_SRC_END;
      if (open_next_input(r) != NTA_OK) return CAP_SRC_ERROR;
    }
    cap_src_status st = cap_filesrc_next(&r->file, r->frame + 1, rec, &r->failure);
    /* A read cut short by the interrupting signal is the end the user asked for. */
    if (st == CAP_SRC_ERROR && r->interrupted) return CAP_SRC_END;
    if (st != CAP_SRC_END) return st;
    close_file(r);
  }
}

/* Fragments of datagrams that can no longer complete come out when that is known: at once after
 * the frame that made it impossible (an eviction, a second different end), and after the last
 * record (or before the error that stops reading). Their frame numbers are their own, so these
 * lines can follow lines of later frames. */
cap_next_status cap_reader_next(cap_reader *r, cap_datagram *out, nta_diag *err) {
  if (!r || !out) {
    nta_diag_set(err, NTA_ERR_ARG, "invalid argument");
    return CAP_NEXT_ERROR;
  }
  for (;;) {
    if (cap_decode_unfinished(&r->dec, out, r->unfinished_note, sizeof r->unfinished_note)) {
      out->file = r->live ? r->live_name : r->cur_name;
      r->stats.datagrams++;
      return CAP_NEXT_DATAGRAM;
    }
    if (r->failed) return fail(r, err);
    if (r->ended) return CAP_NEXT_END;
    cap_record rec;
    cap_src_status st = next_record(r, &rec);
    if (st != CAP_SRC_RECORD) {
      r->ended = st == CAP_SRC_END;
      r->failed = st == CAP_SRC_ERROR;
      cap_reasm_finish(r->dec.reasm);
      continue;
    }
    rec.frame = ++r->frame;
    if (rec.not_packet || !cap_decode(&r->dec, &rec, out)) continue;
    out->frame = r->frame;
    out->ts_sec = rec.ts_sec;
    out->ts_nsec = rec.ts_nsec;
    out->file = r->live ? r->live_name : r->cur_name;
    r->stats.datagrams++;
    return CAP_NEXT_DATAGRAM;
  }
}

void cap_reader_progress(const cap_reader *r, uint64_t *done, uint64_t *total) {
  uint64_t d = r->bytes_closed + (r->file_open ? r->file.consumed : 0);
  if (done) *done = d;
  if (total) *total = r->total_known ? r->total_bytes : 0;
}

const cap_stats *cap_reader_stats(const cap_reader *r) {
  cap_reader *m = (cap_reader *)r;  /* counters are gathered lazily from the modules */
  m->stats.frames = r->frame;
  m->stats.bytes = r->bytes_closed + (r->file_open ? r->file.consumed : 0);
  m->stats.undecodable = r->dec.undecodable;
  m->stats.fragments_pending_dropped = cap_reasm_dropped(r->dec.reasm);
  m->stats.reassembled = r->dec.reassembled;
  m->stats.fragments_invalid = cap_reasm_invalid(r->dec.reasm);
  if (r->live) {
    struct pcap_stat ps;
    if (pcap_stats(r->live, &ps) == 0) m->stats.live_dropped = ps.ps_drop + ps.ps_ifdrop;
  }
  return &m->stats;
}
