/* filesrc.c - streaming pcap and pcapng parser.
 *
 * Reads the input in large chunks into one buffer and hands out records that point into it, so
 * the per-packet path makes no system call and no allocation, and memory stays the same however
 * large the file is (no mmap: mapped pages would count as resident memory). pcapng interfaces
 * keep their own link type, snap length and timestamp resolution, so files mixing link types
 * (which libpcap refuses) read fine. */
#include "capture_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK_SIZE (256 * 1024)
/* Larger packet records (and pcapng header/interface blocks) are taken as corruption: real
 * snap lengths stop at 256 KiB, and the bound keeps the buffer (resident memory) small. Blocks
 * we do not need are skipped in pieces whatever their size, up to MAX_SKIPPED_BLOCK. */
#define MAX_RECORD (1024u * 1024)
#define MAX_SKIPPED_BLOCK (1024u * 1024 * 1024)
/* Wireshark's readers refuse a packet longer than this (its standard maximum packet size): the
 * file is damaged there for it, so it is for us too and both stop at the same frame. */
#define MAX_PACKET 262144u

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_FILE_HEADER_LEN 24
#define PCAP_RECORD_HEADER_LEN 16

#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_PB 0x00000002u   /* obsolete Packet Block */
#define PCAPNG_SPB 0x00000003u
#define PCAPNG_NRB 0x00000004u
#define PCAPNG_ISB 0x00000005u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_JOURNAL 0x00000009u
#define PCAPNG_DSB 0x0000000au
#define PCAPNG_SYSDIG_EVENT 0x00000204u
#define PCAPNG_SYSDIG_EVENT_V2 0x00000216u
#define PCAPNG_CB_COPY 0x00000badu
#define PCAPNG_CB_NOCOPY 0x40000badu
#define PCAPNG_BOM 0x1a2b3c4du

#define OPT_ENDOFOPT 0
#define OPT_IF_TSRESOL 9
#define OPT_IF_TSOFFSET 14

static inline uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint32_t le32(const uint8_t *p) {
  return ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[1] << 8) | p[0];
}
static inline uint32_t get32(const cap_filesrc *s, const uint8_t *p) {
  return s->big_endian ? be32(p) : le32(p);
}
static inline uint16_t get16(const cap_filesrc *s, const uint8_t *p) {
  return s->big_endian ? (uint16_t)((p[0] << 8) | p[1]) : (uint16_t)((p[1] << 8) | p[0]);
}

/* Reads up to `room` bytes of the file itself (compressed or not) into dst. Returns bytes read,
 * 0 at end of input, -1 on error (read_errno set). */
static ssize_t read_raw(void *ctx, uint8_t *dst, size_t room) {
  cap_filesrc *s = ctx;
  if (s->fd < 0) {
    size_t n = s->mem_len - s->mem_off;
    if (n > room) n = room;
    if (n == 0) return 0;   /* an empty buffer may be NULL: memcpy must not see it */
    memcpy(dst, s->mem + s->mem_off, n);
    s->mem_off += n;
    return (ssize_t)n;
  }
  for (;;) {
    ssize_t n = read(s->fd, dst, room);
    if (n >= 0) return n;
    if (errno == EINTR && !(s->interrupted && *s->interrupted)) continue;
    s->read_errno = errno;
    return -1;
  }
}

/* Reads more input into buf[end..cap), decompressed when the file is. Returns bytes read, 0 at
 * end of input or on error. */
static size_t read_more(cap_filesrc *s) {
  size_t room = s->cap - s->end;
  ssize_t n = s->dz ? cap_decomp_read(s->dz, s->buf + s->end, room)
                    : read_raw(s, s->buf + s->end, room);
  if (n < 0 && !s->read_errno) s->read_errno = EIO;
  return n > 0 ? (size_t)n : 0;
}

/* Makes at least `need` bytes available at buf[pos] unless input ends first. Returns the bytes
 * available. `need` must be <= MAX_RECORD + a header. */
static size_t fill(cap_filesrc *s, size_t need) {
  size_t avail = s->end - s->pos;
  if (avail >= need || s->eof) return avail;
  if (need > s->cap) {
    size_t ncap = s->cap;
    while (ncap < need) ncap *= 2;
    /* Slide first so realloc copies only live bytes. */
    memmove(s->buf, s->buf + s->pos, avail);
    s->pos = 0;
    s->end = avail;
    uint8_t *nb = realloc(s->buf, ncap);
    if (!nb) {
      s->read_errno = ENOMEM;
      s->eof = true;
      return avail;
    }
    s->buf = nb;
    s->cap = ncap;
  } else if (s->pos + need > s->cap) {
    memmove(s->buf, s->buf + s->pos, avail);
    s->pos = 0;
    s->end = avail;
  }
  while (s->end - s->pos < need) {
    size_t n = read_more(s);
    if (n == 0) {
      s->eof = true;
      break;
    }
    s->end += n;
  }
  return s->end - s->pos;
}

static inline void consume(cap_filesrc *s, size_t n) {
  s->pos += n;
  s->consumed += n;
}

static nta_status input_error(cap_filesrc *s, nta_diag *err) {
  if (s->dz && cap_decomp_error(s->dz)[0])
    return nta_diag_set(err, NTA_ERR_IO, "%s: %s", s->name, cap_decomp_error(s->dz));
  return nta_diag_set(err, NTA_ERR_IO, "%s: read error: %s", s->name, strerror(s->read_errno));
}

static nta_status open_pcap(cap_filesrc *s, uint32_t magic_be, nta_diag *err) {
  size_t avail = fill(s, PCAP_FILE_HEADER_LEN);
  if (s->read_errno) return input_error(s, err);
  if (avail < PCAP_FILE_HEADER_LEN)
    return nta_diag_set(err, NTA_ERR_PARSE,
                        "%s: truncated pcap file header (24 bytes needed, only %zu)", s->name,
                        avail);
  s->fmt = CAP_FMT_PCAP;
  s->big_endian = magic_be == PCAP_MAGIC_USEC || magic_be == PCAP_MAGIC_NSEC;
  uint32_t magic = get32(s, s->buf + s->pos);
  s->pcap_nsec = magic == PCAP_MAGIC_NSEC;
  uint16_t major = get16(s, s->buf + s->pos + 4);
  if (major != 2)
    return nta_diag_set(err, NTA_ERR_UNSUPPORTED, "%s: unsupported pcap version %u", s->name,
                        major);
  /* The top bits of the link type field carry FCS information; the type is the low 16 bits. */
  s->pcap_linktype = get32(s, s->buf + s->pos + 20) & 0xffffu;
  consume(s, PCAP_FILE_HEADER_LEN);
  return NTA_OK;
}

/* Names what the file looked like and what would have been read. */
static nta_status unknown_format(cap_filesrc *s, uint32_t magic_be, nta_diag *err) {
  static const char supported[] = "supported: pcap and pcapng, plain or compressed with gzip, "
                                  "zstd or lz4";
  if (s->dz)
    return nta_diag_set(err, NTA_ERR_PARSE, "%s: %s-compressed, but no pcap or pcapng file inside "
                        "(magic 0x%08x); %s", s->name, cap_compression_name(s->dz_kind),
                        magic_be, supported);
  const char *what = cap_format_guess(s->buf + s->pos, s->end - s->pos);
  return nta_diag_set(err, NTA_ERR_PARSE, "%s: not a pcap or pcapng file (magic 0x%08x%s%s); %s",
                      s->name, magic_be, what ? ", looks like " : "", what ? what : "",
                      supported);
}

/* Reads the file header by its magic number (at least 4 bytes are at buf[pos]). */
static nta_status open_by_magic(cap_filesrc *s, nta_diag *err) {
  uint32_t magic_be = be32(s->buf + s->pos);
  switch (magic_be) {
  case PCAP_MAGIC_USEC:
  case PCAP_MAGIC_NSEC:
  case 0xd4c3b2a1u:
  case 0x4d3cb2a1u:
    return open_pcap(s, magic_be, err);
  case PCAPNG_SHB:
    s->fmt = CAP_FMT_PCAPNG;  /* the SHB itself is parsed as the first block */
    return NTA_OK;
  default:
    return unknown_format(s, magic_be, err);
  }
}

/* The bytes read so far are the start of a compressed stream: hand them to a decompressor and
 * read the capture header again from its output. */
static nta_status open_compressed(cap_filesrc *s, cap_compression comp, nta_diag *err) {
  s->dz = cap_decomp_create(comp, s->buf + s->pos, s->end - s->pos, read_raw, s);
  if (!s->dz) return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", s->name);
  s->dz_kind = comp;
  s->pos = s->end = 0;
  s->eof = false;
  size_t avail = fill(s, 4);
  if (s->read_errno) return input_error(s, err);
  if (avail < 4)
    return nta_diag_set(err, NTA_ERR_PARSE, "%s: %s-compressed, but not a pcap or pcapng file "
                        "(only %zu bytes)", s->name, cap_compression_name(comp), avail);
  return open_by_magic(s, err);
}

nta_status cap_filesrc_open(cap_filesrc *s, const char *name, int fd, bool own_fd,
                            const uint8_t *mem, size_t mem_len,
                            const volatile sig_atomic_t *interrupted, nta_diag *err) {
  memset(s, 0, sizeof *s);
  s->name = name;
  s->fd = fd;
  s->own_fd = own_fd;
  s->mem = mem;
  s->mem_len = mem ? mem_len : 0;
  s->interrupted = interrupted;
  s->cap = CHUNK_SIZE;
  /* A small memory input needs no full chunk (fill() grows the buffer if a record needs it). */
  if (mem && mem_len < CHUNK_SIZE) s->cap = mem_len < 4096 ? 4096 : mem_len;
  s->buf = malloc(s->cap);
  if (!s->buf) return nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", name);

  size_t avail = fill(s, 4);
  if (s->read_errno) return input_error(s, err);
  if (avail == 0)
    return nta_diag_set(err, NTA_ERR_PARSE, "%s: empty file, not a pcap or pcapng capture",
                        name);
  if (avail < 4)
    return nta_diag_set(err, NTA_ERR_PARSE, "%s: not a pcap or pcapng file (only %zu bytes)",
                        name, avail);
  cap_compression comp = cap_compression_sniff(s->buf + s->pos, avail);
  if (comp != CAP_COMP_NONE) return open_compressed(s, comp, err);
  return open_by_magic(s, err);
}

void cap_filesrc_close(cap_filesrc *s) {
  cap_decomp_destroy(s->dz);
  s->dz = NULL;
  if (s->own_fd && s->fd >= 0) close(s->fd);
  s->fd = -1;
  free(s->buf);
  s->buf = NULL;
  free(s->ifaces);
  s->ifaces = NULL;
  s->n_ifaces = s->cap_ifaces = 0;
}

/* Error at the end of input inside a record: either the read failed or the file was cut. */
static cap_src_status truncated(cap_filesrc *s, uint64_t frame, const char *what, size_t want,
                                size_t have, nta_diag *err) {
  if (s->read_errno) {
    input_error(s, err);
    return CAP_SRC_ERROR;
  }
  nta_diag_set(err, NTA_ERR_PARSE,
               "%s: frame %llu: truncated %s (header says %zu bytes, only %zu left)", s->name,
               (unsigned long long)frame, what, want, have);
  return CAP_SRC_ERROR;
}

static cap_src_status pcap_next_record(cap_filesrc *s, uint64_t frame, cap_record *rec,
                                       nta_diag *err) {
  size_t avail = fill(s, PCAP_RECORD_HEADER_LEN);
  if (avail == 0) {
    if (s->read_errno) {
      input_error(s, err);
      return CAP_SRC_ERROR;
    }
    return CAP_SRC_END;
  }
  if (avail < PCAP_RECORD_HEADER_LEN)
    return truncated(s, frame, "record header", PCAP_RECORD_HEADER_LEN, avail, err);
  const uint8_t *h = s->buf + s->pos;
  uint32_t sec = get32(s, h), frac = get32(s, h + 4);
  uint32_t caplen = get32(s, h + 8), wirelen = get32(s, h + 12);
  if (caplen > MAX_PACKET) {
    nta_diag_set(err, NTA_ERR_PARSE,
                 "%s: frame %llu: corrupt record header (captured length %u, at offset %llu)",
                 s->name, (unsigned long long)frame, caplen, (unsigned long long)s->consumed);
    return CAP_SRC_ERROR;
  }
  avail = fill(s, PCAP_RECORD_HEADER_LEN + (size_t)caplen);
  if (avail < PCAP_RECORD_HEADER_LEN + (size_t)caplen)
    return truncated(s, frame, "record", caplen, avail - PCAP_RECORD_HEADER_LEN, err);
  h = s->buf + s->pos;  /* fill may have moved the buffer */
  rec->linktype = s->pcap_linktype;
  if (s->pcap_nsec) {
    rec->ts_sec = (int64_t)sec + frac / 1000000000u;
    rec->ts_nsec = frac % 1000000000u;
  } else {
    rec->ts_sec = (int64_t)sec + frac / 1000000u;
    rec->ts_nsec = (frac % 1000000u) * 1000u;
  }
  rec->data = h + PCAP_RECORD_HEADER_LEN;
  rec->caplen = caplen;
  rec->wirelen = wirelen < caplen ? caplen : wirelen;
  rec->not_packet = false;
  consume(s, PCAP_RECORD_HEADER_LEN + (size_t)caplen);
  return CAP_SRC_RECORD;
}

/* ---- pcapng ---- */

static void iface_time(const cap_iface *ifc, uint64_t units, cap_record *rec) {
  uint64_t sec, frac_ns;
  if (ifc->resol_pow2) {
    unsigned e = ifc->resol_exp;
    if (e >= 64) {
      sec = 0;
      frac_ns = (uint64_t)(((unsigned __int128)units * 1000000000u) >> e);
    } else {
      sec = e ? units >> e : units;
      uint64_t frac = e ? units & ((1ull << e) - 1) : 0;
      frac_ns = e ? (uint64_t)(((unsigned __int128)frac * 1000000000u) >> e) : 0;
    }
  } else if (ifc->resol_exp == 6) {
    sec = units / 1000000u;
    frac_ns = (units % 1000000u) * 1000u;
  } else if (ifc->resol_exp == 9) {
    sec = units / 1000000000u;
    frac_ns = units % 1000000000u;
  } else if (ifc->resol_exp <= 19) {
    uint64_t div = 1;
    for (unsigned i = 0; i < ifc->resol_exp; i++) div *= 10;
    sec = units / div;
    uint64_t frac = units % div;
    if (ifc->resol_exp <= 9) {
      uint64_t mul = 1;
      for (unsigned i = ifc->resol_exp; i < 9; i++) mul *= 10;
      frac_ns = frac * mul;
    } else {
      uint64_t d2 = 1;
      for (unsigned i = 9; i < ifc->resol_exp; i++) d2 *= 10;
      frac_ns = frac / d2;
    }
  } else {
    /* Units finer than 1e-19 s: a 64-bit count spans less than two seconds. */
    unsigned __int128 div = 1;
    for (unsigned i = 9; i < ifc->resol_exp && i < 38; i++) div *= 10;
    sec = 0;
    frac_ns = ifc->resol_exp >= 38 ? 0 : (uint64_t)(units / div);
  }
  /* Both come from the file and may be anything: add modulo 2^64 (a signed overflow would be
   * undefined behaviour); nonsense in, nonsense time out, never a crash. */
  rec->ts_sec = (int64_t)(sec + (uint64_t)ifc->ts_offset);
  rec->ts_nsec = (uint32_t)frac_ns;
}

static cap_src_status corrupt(cap_filesrc *s, uint64_t frame, nta_diag *err, const char *why,
                              uint32_t type, uint32_t len) {
  nta_diag_set(err, NTA_ERR_PARSE,
               "%s: frame %llu: corrupt pcapng block (%s; block type 0x%08x, length %u, "
               "at offset %llu)",
               s->name, (unsigned long long)frame, why, type, len,
               (unsigned long long)s->consumed);
  return CAP_SRC_ERROR;
}

/* An option value Wireshark 4.0's reader refuses (measured with tshark 4.0.17, option by option):
 * custom options (2988, 2989, 19372, 19373) without their 4-byte enterprise number in the
 * section header, interface, packet, statistics and name resolution blocks (not in decryption
 * secrets); in packet blocks (EPB, PB) flags and queue of other than 4 bytes, drop count and
 * packet ID of other than 8, an empty verdict; an empty if_filter. NULL when it is fine. */
static const char *option_value_problem(uint32_t type, uint16_t code, uint16_t olen) {
  bool custom = code == 2988 || code == 2989 || code == 19372 || code == 19373;
  if (custom && olen < 4 && type != PCAPNG_DSB)
    return "custom option shorter than its 4-byte enterprise number";
  if (type == PCAPNG_EPB || type == PCAPNG_PB) {
    if (code == 2 && olen != 4) return "packet flags option length is not 4";
    if (code == 4 && olen != 8) return "packet drop count option length is not 8";
    if (code == 5 && olen != 8) return "packet ID option length is not 8";
    if (code == 6 && olen != 4) return "packet queue option length is not 4";
    if (code == 7 && olen < 1) return "packet verdict option is empty";
  } else if (type == PCAPNG_IDB && code == 11 && olen == 0) {
    return "if_filter option is empty";
  }
  return NULL;
}

/* Options from body[off] to the end of the body of a block of `type`, walked as Wireshark's
 * pcapng reader walks them: every option needs its 4-byte header and its value must fit, and
 * some values are checked (it refuses the file otherwise). NULL when they are fine, else what
 * is wrong. */
static const char *check_options(const cap_filesrc *s, uint32_t type, const uint8_t *body,
                                 uint32_t body_len, uint32_t off) {
  while (off < body_len) {
    if (body_len - off < 4) return "option header cut by the block end";
    uint16_t code = get16(s, body + off), olen = get16(s, body + off + 2);
    off += 4;
    if (olen > body_len - off) return "option overruns the block";
    if (code == OPT_ENDOFOPT) break;
    const char *why = option_value_problem(type, code, olen);
    if (why) return why;
    uint32_t padded = (olen + 3u) & ~3u;
    off = padded > body_len - off ? body_len : off + padded;
  }
  return NULL;
}

static cap_src_status parse_shb(cap_filesrc *s, uint64_t frame, const uint8_t *body,
                                uint32_t body_len, uint32_t len, nta_diag *err) {
  if (body_len < 16) return corrupt(s, frame, err, "section header too short", PCAPNG_SHB, len);
  uint16_t major = get16(s, body + 4), minor = get16(s, body + 6);
  /* 1.0 and 1.2 (written by some old tools) are the versions Wireshark accepts. */
  if (major != 1 || (minor != 0 && minor != 2)) {
    nta_diag_set(err, NTA_ERR_UNSUPPORTED, "%s: frame %llu: unsupported pcapng version %u.%u",
                 s->name, (unsigned long long)frame, major, minor);
    return CAP_SRC_ERROR;
  }
  const char *why = check_options(s, PCAPNG_SHB, body, body_len, 16);
  if (why) return corrupt(s, frame, err, why, PCAPNG_SHB, len);
  s->n_ifaces = 0;  /* interfaces belong to their section */
  return CAP_SRC_END;
}

static cap_src_status parse_idb(cap_filesrc *s, uint64_t frame, const uint8_t *body,
                                uint32_t body_len, uint32_t len, nta_diag *err) {
  if (body_len < 8) return corrupt(s, frame, err, "interface block too short", PCAPNG_IDB, len);
  const char *why = check_options(s, PCAPNG_IDB, body, body_len, 8);
  if (why) return corrupt(s, frame, err, why, PCAPNG_IDB, len);
  if (s->n_ifaces == s->cap_ifaces) {
    size_t ncap = s->cap_ifaces ? s->cap_ifaces * 2 : 8;
    if (ncap > 1u << 20)
      return corrupt(s, frame, err, "too many interfaces", PCAPNG_IDB, len);
    cap_iface *ni = realloc(s->ifaces, ncap * sizeof *ni);
    if (!ni) {
      nta_diag_set(err, NTA_ERR_NOMEM, "%s: out of memory", s->name);
      return CAP_SRC_ERROR;
    }
    s->ifaces = ni;
    s->cap_ifaces = ncap;
  }
  cap_iface ifc = {.linktype = get16(s, body), .snaplen = get32(s, body + 4),
                   .resol_pow2 = false, .resol_exp = 6, .ts_offset = 0};
  uint32_t off = 8;
  bool have_resol = false;   /* Wireshark takes the first 1-byte if_tsresol and ignores others */
  while (body_len - off >= 4) {
    uint16_t code = get16(s, body + off), olen = get16(s, body + off + 2);
    off += 4;
    if (code == OPT_ENDOFOPT) break;
    if (olen > body_len - off)
      return corrupt(s, frame, err, "option overruns the block", PCAPNG_IDB, len);
    const uint8_t *v = body + off;
    if (code == OPT_IF_TSRESOL && olen == 1 && !have_resol) {
      have_resol = true;
      ifc.resol_pow2 = (v[0] & 0x80) != 0;
      ifc.resol_exp = v[0] & 0x7f;
    } else if (code == OPT_IF_TSOFFSET && olen >= 8) {
      uint64_t hi = get32(s, v), lo = get32(s, v + 4);
      ifc.ts_offset = (int64_t)(s->big_endian ? (hi << 32) | lo : (lo << 32) | hi);
    }
    uint32_t padded = (olen + 3u) & ~3u;
    if (padded > body_len - off) break;
    off += padded;
  }
  s->ifaces[s->n_ifaces++] = ifc;
  return CAP_SRC_END;
}

/* Simple Packet Block: the captured length is the original length cut by the snap length, and
 * the padded packet data must end exactly where the block does (Wireshark reads the trailing
 * length right after it). */
static const char *spb_layout(const cap_iface *ifc, uint32_t wirelen, uint32_t body_len,
                              uint32_t *caplen) {
  uint32_t cl = wirelen;
  if (ifc->snaplen && cl > ifc->snaplen) cl = ifc->snaplen;
  if (cl > MAX_PACKET) return "packet larger than 262144 bytes";
  if (cl > body_len - 4) return "block too small for its packet data";
  if (4 + ((cl + 3u) & ~3u) != body_len) return "packet data does not end at the block end";
  *caplen = cl;
  return NULL;
}

static cap_src_status packet_block(cap_filesrc *s, uint64_t frame, uint32_t type,
                                   const uint8_t *body, uint32_t body_len, uint32_t len,
                                   cap_record *rec, nta_diag *err) {
  uint32_t if_id, caplen, wirelen, hdr;
  uint64_t units = 0;
  if (type == PCAPNG_SPB) {
    if (body_len < 4) return corrupt(s, frame, err, "simple packet block too short", type, len);
    if_id = 0;
    hdr = 4;
    wirelen = get32(s, body);
    caplen = 0;
  } else {
    if (body_len < 20) return corrupt(s, frame, err, "packet block too short", type, len);
    if_id = type == PCAPNG_EPB ? get32(s, body) : get16(s, body);
    units = ((uint64_t)get32(s, body + 4) << 32) | get32(s, body + 8);
    caplen = get32(s, body + 12);
    wirelen = get32(s, body + 16);
    hdr = 20;
  }
  if (if_id >= s->n_ifaces) {
    nta_diag_set(err, NTA_ERR_PARSE,
                 "%s: frame %llu: packet on interface %u, but the section defines %zu", s->name,
                 (unsigned long long)frame, if_id, s->n_ifaces);
    return CAP_SRC_ERROR;
  }
  const cap_iface *ifc = &s->ifaces[if_id];
  const char *why = NULL;
  if (type == PCAPNG_SPB) {
    why = spb_layout(ifc, wirelen, body_len, &caplen);
  } else if (caplen > MAX_PACKET) {
    why = "packet larger than 262144 bytes";
  } else if (caplen > body_len - hdr) {
    why = "captured length exceeds the block";
  } else {
    why = check_options(s, type, body, body_len, hdr + ((caplen + 3u) & ~3u));
  }
  if (why) return corrupt(s, frame, err, why, type, len);
  rec->linktype = ifc->linktype;
  rec->not_packet = false;
  if (type == PCAPNG_SPB) {
    rec->ts_sec = 0;
    rec->ts_nsec = 0;
  } else {
    iface_time(ifc, units, rec);
  }
  rec->data = body + hdr;
  rec->caplen = caplen;
  rec->wirelen = wirelen < caplen ? caplen : wirelen;
  return CAP_SRC_RECORD;
}

/* Name resolution records: type, length, value padded to 4, up to the end record; then options. */
static const char *check_nrb(const cap_filesrc *s, const uint8_t *body, uint32_t body_len) {
  uint32_t off = 0;
  for (;;) {
    if (body_len - off < 4) return "name resolution record header cut by the block end";
    uint16_t rtype = get16(s, body + off), rlen = get16(s, body + off + 2);
    off += 4;
    uint32_t padded = (rlen + 3u) & ~3u;
    if (padded > body_len - off) return "name resolution record overruns the block";
    off += padded;
    if (rtype == 0) break;
  }
  return check_options(s, PCAPNG_NRB, body, body_len, off);
}

/* A systemd journal entry: at least 23 bytes once the padding NULs are taken off. */
static const char *check_journal(const uint8_t *body, uint32_t body_len) {
  uint32_t n = body_len;
  while (n > 0 && body[n - 1] == 0) n--;
  return n < 23 ? "journal entry too small" : NULL;
}

/* Blocks other than SHB, IDB and packets: checked as Wireshark 4.0's reader checks them, and
 * whether it numbers them as frames (measured with tshark 4.0.17 one block type at a time:
 * custom blocks, systemd journal entries and sysdig events are frames; name resolution,
 * interface statistics, decryption secrets and unknown types are not). */
static cap_src_status other_block(cap_filesrc *s, uint64_t frame, uint32_t type,
                                  const uint8_t *body, uint32_t body_len, uint32_t len,
                                  cap_record *rec, nta_diag *err) {
  const char *why = NULL;
  bool is_frame = false;
  switch (type) {
  case PCAPNG_NRB: why = check_nrb(s, body, body_len); break;
  case PCAPNG_ISB:
    why = body_len < 12 ? "statistics block too short" : check_options(s, PCAPNG_ISB, body, body_len, 12);
    break;
  case PCAPNG_DSB:
    if (body_len < 8) why = "decryption secrets block too short";
    else if (((get32(s, body + 4) + 3ull) & ~3ull) > body_len - 8) why = "secrets overrun the block";
    else why = check_options(s, PCAPNG_DSB, body, body_len, 8 + ((get32(s, body + 4) + 3u) & ~3u));
    break;
  case PCAPNG_JOURNAL: why = check_journal(body, body_len); is_frame = true; break;
  case PCAPNG_CB_COPY:
  case PCAPNG_CB_NOCOPY:
    why = body_len < 4 ? "custom block too short" : NULL;
    is_frame = true;
    break;
  case PCAPNG_SYSDIG_EVENT:
  case PCAPNG_SYSDIG_EVENT_V2:
    why = body_len < (type == PCAPNG_SYSDIG_EVENT ? 24u : 28u) ? "event block too short" : NULL;
    is_frame = true;
    break;
  default: break;
  }
  if (why) return corrupt(s, frame, err, why, type, len);
  if (!is_frame) return CAP_SRC_END;
  memset(rec, 0, sizeof *rec);
  rec->not_packet = true;
  return CAP_SRC_RECORD;
}

/* Skips a block too large for the buffer (e.g. a big decryption-secrets or custom block)
 * without holding it, then checks its trailing length. */
static cap_src_status skip_block(cap_filesrc *s, uint64_t frame, uint32_t type, uint32_t len,
                                 nta_diag *err) {
  uint64_t start = s->consumed;
  size_t left = len - 4;
  while (left > 0) {
    size_t avail = fill(s, 1);
    if (avail == 0) return truncated(s, frame, "block", len, (size_t)(s->consumed - start), err);
    size_t n = avail < left ? avail : left;
    consume(s, n);
    left -= n;
  }
  size_t avail = fill(s, 4);
  if (avail < 4) return truncated(s, frame, "block", len, len - 4 + avail, err);
  if (get32(s, s->buf + s->pos) != len) {
    uint64_t now = s->consumed;
    s->consumed = start;  /* the message names the block's own offset */
    corrupt(s, frame, err, "trailing length differs", type, len);
    s->consumed = now;
    return CAP_SRC_ERROR;
  }
  consume(s, 4);
  return CAP_SRC_END;
}

static cap_src_status pcapng_next_record(cap_filesrc *s, uint64_t frame, cap_record *rec,
                                         nta_diag *err) {
  for (;;) {
    size_t avail = fill(s, 12);
    if (avail == 0) {
      if (s->read_errno) {
        input_error(s, err);
        return CAP_SRC_ERROR;
      }
      return CAP_SRC_END;
    }
    if (avail < 12) return truncated(s, frame, "block header", 12, avail, err);
    const uint8_t *b = s->buf + s->pos;
    uint32_t type = get32(s, b);
    if (be32(b) == PCAPNG_SHB) {
      /* Each section declares its own byte order. */
      type = PCAPNG_SHB;
      uint32_t bom = be32(b + 8);
      if (bom == PCAPNG_BOM) s->big_endian = true;
      else if (bom == 0x4d3c2b1au) s->big_endian = false;
      else return corrupt(s, frame, err, "bad byte-order magic", type, get32(s, b + 4));
    }
    uint32_t len = get32(s, b + 4);
    bool is_packet = type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_PB;
    bool needed = is_packet || type == PCAPNG_SHB || type == PCAPNG_IDB;
    if (len < 12 || (len & 3) != 0 || len > (needed ? MAX_RECORD : MAX_SKIPPED_BLOCK))
      return corrupt(s, frame, err, "bad block length", type, len);
    if (!needed && len > s->cap) {
      /* Too large to hold: skipped unchecked, still numbered if Wireshark numbers it. */
      if (skip_block(s, frame, type, len, err) != CAP_SRC_END) return CAP_SRC_ERROR;
      if (type != PCAPNG_JOURNAL && type != PCAPNG_CB_COPY && type != PCAPNG_CB_NOCOPY &&
          type != PCAPNG_SYSDIG_EVENT && type != PCAPNG_SYSDIG_EVENT_V2)
        continue;
      memset(rec, 0, sizeof *rec);
      rec->not_packet = true;
      return CAP_SRC_RECORD;
    }
    avail = fill(s, len);
    if (avail < len)
      return truncated(s, frame, is_packet ? "record" : "block", len, avail, err);
    b = s->buf + s->pos;
    if (get32(s, b + len - 4) != len)
      return corrupt(s, frame, err, "trailing length differs", type, len);
    const uint8_t *body = b + 8;
    uint32_t body_len = len - 12;
    cap_src_status st = CAP_SRC_END;
    switch (type) {
    case PCAPNG_SHB: st = parse_shb(s, frame, body, body_len, len, err); break;
    case PCAPNG_IDB: st = parse_idb(s, frame, body, body_len, len, err); break;
    case PCAPNG_EPB:
    case PCAPNG_SPB:
    case PCAPNG_PB: st = packet_block(s, frame, type, body, body_len, len, rec, err); break;
    default: st = other_block(s, frame, type, body, body_len, len, rec, err); break;
    }
    if (st == CAP_SRC_ERROR) return st;
    consume(s, len);  /* rec->data stays valid: consuming does not move the buffer */
    if (st == CAP_SRC_RECORD) return st;
  }
}

cap_src_status cap_filesrc_next(cap_filesrc *s, uint64_t frame, cap_record *rec, nta_diag *err) {
  if (s->fmt == CAP_FMT_PCAP) return pcap_next_record(s, frame, rec, err);
  return pcapng_next_record(s, frame, rec, err);
}
