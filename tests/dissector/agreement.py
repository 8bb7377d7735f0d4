#!/usr/bin/env python3
"""Odd and damaged captures for the analyzer/plugin agreement test (agreement-test.sh).

  agreement.py repro OUTDIR SAMPLE.pcap          the reproducer captures (one per known case)
  agreement.py mutate OUTDIR SEED SAMPLE.pcap...  seeded mutants: batches of frame-level mutants
                                                  (lengths, truncation, fragments, valid pcapng
                                                  blocks) and single files with file-level damage
  agreement.py compare NAME TSHARK_OUT TSHARK_RC ANALYZER_JSONL ANALYZER_RC ANALYZER_ERR
                                                  frame-by-frame verdicts, stop point, sanitizers
  agreement.py check WORKDIR EXPECTED|- NAME...   compare for each NAME (outputs WORKDIR/NAME.*),
                                                  and with EXPECTED, the analyzer's FRAME:VERDICT
                                                  list and exit status (one Python start: it is
                                                  slow next to the tools)

The samples are raw-IP pcap files (link type 101); every mutant is built from their records.
"""
import json
import os
import random
import re
import struct
import sys

LT_RAW = 101


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nsec = struct.unpack(endian + "I", data[:4])[0] == 0xA1B23C4D
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, cl, _wl = struct.unpack(endian + "IIII", data[off:off + 16])
        recs.append((sec, frac if nsec else frac * 1000, data[off + 16:off + 16 + cl]))
        off += 16 + cl
    return recs


# ---- writers ----

def pcap_bytes(frames):
    """frames: (sec, nsec, bytes, orig_len or None)."""
    out = [struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, LT_RAW)]
    for sec, nsec, b, orig in frames:
        out.append(struct.pack("<IIII", sec, nsec, len(b), orig if orig is not None else len(b)))
        out.append(b)
    return b"".join(out)


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


SHB = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
IDB = block(1, struct.pack("<HHI", LT_RAW, 0, 0) + struct.pack("<HHB3x", 9, 1, 9) +
            struct.pack("<HH", 0, 0))


def epb(sec, nsec, b, orig=None, opts=b""):
    ts = sec * 10**9 + nsec
    pad = b"\0" * (-len(b) % 4)
    return block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(b),
                                orig if orig is not None else len(b)) + b + pad + opts)


def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


OPT_END = struct.pack("<HH", 0, 0)
# Option values Wireshark 4.0 refuses (it stops reading there): in a packet block, flags of 2
# bytes, a drop count of 4, an empty verdict; a custom option without its enterprise number.
BAD_PACKET_OPTIONS = [option(2, b"\0\0"), option(4, b"\0" * 4), option(7, b""),
                      option(2988, b"\1\1")]


# Blocks that are valid, with what Wireshark 4.0 does with them (frame or not).
def filler_blocks():
    return [
        block(0xBAD, struct.pack("<I", 32473) + b"custom"),            # frame
        block(0x40000BAD, struct.pack("<I", 32473) + b"no-copy"),      # frame
        block(9, b"__REALTIME_TIMESTAMP=1600000000000000\nMESSAGE=x\n"),  # frame
        block(4, struct.pack("<HH", 0, 0)),                            # name resolution
        block(5, struct.pack("<III", 0, 0, 0)),                        # statistics
        block(0xA, struct.pack("<II", 0x544C534B, 4) + b"abcd"),       # decryption secrets
        block(0x1234, b"\0" * 8),                                      # unknown type
    ]


# ---- IP/UDP helpers (raw IPv4/IPv6 frames of the samples) ----

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4_parts(pkt):
    if not pkt or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 15) * 4
    return bytearray(pkt[:ihl]), pkt[ihl:]


def ipv4_fix(h):
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return h


def frag4(hdr, off, data, more, ident):
    h = bytearray(hdr)
    h[2:4] = struct.pack("!H", len(h) + len(data))
    h[4:6] = struct.pack("!H", ident & 0xFFFF)
    h[6:8] = struct.pack("!H", (0x2000 if more else 0) | (off // 8))
    return bytes(ipv4_fix(h)) + data


def frag6(udp_bytes, off, data, more, ident):
    """An IPv6 fragment (2001:db8::1 -> 2001:db8::2) of a UDP datagram."""
    pl = struct.pack("!BBHI", 17, 0, off | (1 if more else 0), ident) + data
    return (struct.pack("!IHBB", 0x60000000, len(pl), 44, 64) + b"\x20\x01\x0d\xb8" +
            b"\0" * 11 + b"\x01" + b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\x02" + pl)


def set_udp_len(pkt, delta=None, value=None):
    p = bytearray(pkt)
    ulo = (p[0] & 15) * 4 + 4 if p[0] >> 4 == 4 else 44
    if ulo + 2 > len(p):
        return bytes(p)
    cur = struct.unpack("!H", p[ulo:ulo + 2])[0]
    p[ulo:ulo + 2] = struct.pack("!H", (value if value is not None else cur + delta) & 0xFFFF)
    return bytes(p)


def set_ip_len(pkt, delta):
    p = bytearray(pkt)
    if p[0] >> 4 == 4:
        cur = struct.unpack("!H", p[2:4])[0]
        p[2:4] = struct.pack("!H", max(0, cur + delta) & 0xFFFF)
        return bytes(ipv4_fix(p[:(p[0] & 15) * 4])) + bytes(p[(p[0] & 15) * 4:])
    cur = struct.unpack("!H", p[4:6])[0]
    p[4:6] = struct.pack("!H", max(0, cur + delta) & 0xFFFF)
    return bytes(p)


# ---- reproducers ----

def repro(outdir, sample):
    recs = read_pcap(sample)
    (s0, n0, req), (s1, n1, rep) = recs[0], recs[1]
    files = {}
    # Custom block before the first packet, other blocks between packets.
    fb = filler_blocks()
    files["custom-block.pcapng"] = (SHB + IDB + fb[0] + epb(s0, n0, req) + fb[2] + fb[3] + fb[4] +
                                    fb[5] + epb(s1, n1, rep) + fb[1] + epb(*recs[2][:3]))
    # The request retyped as a Simple Packet Block / a statistics block: Wireshark stops there.
    e = bytearray(epb(s0, n0, req))
    e[0:4] = struct.pack("<I", 3)
    files["retyped-spb.pcapng"] = SHB + IDB + bytes(e) + epb(s1, n1, rep)
    e[0:4] = struct.pack("<I", 5)
    files["retyped-isb.pcapng"] = SHB + IDB + epb(*recs[2][:3]) + bytes(e) + epb(s1, n1, rep)
    # UDP length 4 bytes larger than the IP payload; UDP length below its header.
    files["udp-length.pcap"] = pcap_bytes([(s0, n0, set_udp_len(req, 4), None),
                                           (s1, n1, rep, None),
                                           (s1, n1 + 1000, set_udp_len(req, value=4), None)])
    # NTP cut to 48 bytes while IP and UDP still claim 72; a record cut after the UDP header.
    ntp_at = (req[0] & 15) * 4 + 8
    files["cut.pcap"] = pcap_bytes([(s0, n0, req[:ntp_at + 48], None), (s1, n1, rep, None),
                                    (s1, n1 + 1000, req[:ntp_at], None)])
    # Fragments: identical overlap, an extra fragment past the end, 31 s apart.
    h, udp = ipv4_parts(req)
    files["fragments.pcap"] = pcap_bytes([
        (s0, n0, frag4(h, 0, udp[:48], True, 0x100), None),
        (s0, n0, frag4(h, 40, udp[40:], False, 0x100), None),
        (s0, n0, frag4(h, 0, udp[:40], True, 0x101), None),
        (s0, n0, frag4(h, 88, b"x" * 8, True, 0x101), None),
        (s0, n0, frag4(h, 40, udp[40:], False, 0x101), None),
        (s0, n0, frag4(h, 0, udp[:40], True, 0x102), None),
        (s0 + 31, n0, frag4(h, 40, udp[40:], False, 0x102), None),
    ])
    # Datagrams that never complete: the request's second fragment lost (its first fragment gets
    # a line at the end); a fragment whose offset-0 fragment was never seen (no line: nobody can
    # tell it was NTP); a gap between fragments (all three get a line at the end).
    files["unfinished.pcap"] = pcap_bytes([
        (s0, n0, frag4(h, 0, udp[:40], True, 0x200), None),
        (s1, n1, rep, None),
        (s1, n1 + 1000, frag4(h, 40, udp[40:], False, 0x201), None),
        (s1 + 1, n1, frag4(h, 0, udp[:32], True, 0x202), None),
        (s1 + 1, n1 + 1000, frag4(h, 40, udp[40:48], True, 0x202), None),
        (s1 + 1, n1 + 2000, frag4(h, 40, udp[40:], False, 0x202), None),
    ])
    # Fragments cut by the snap length are never reassembled; a cut first IPv4 fragment is read
    # on its own (frame 1), a cut first IPv6 fragment is not: its datagram (frames 3 and 4) gets
    # a line per fragment at the end.
    f0, f1 = frag4(h, 0, udp[:40], True, 0x300), frag4(h, 40, udp[40:], False, 0x300)
    g0, g1 = frag6(udp, 0, udp[:40], True, 0x301), frag6(udp, 40, udp[40:], False, 0x301)
    files["cut-fragments.pcap"] = pcap_bytes([(s0, n0, f0[:40], len(f0)), (s0, n0 + 1, f1, None),
                                              (s0, n0 + 2, g0[:60], len(g0)),
                                              (s0, n0 + 3, g1, None)])
    # Option values Wireshark refuses: a packet flags option of 2 bytes on the reply (frame 2),
    # a statistics block whose custom option has no enterprise number (before frame 2).
    files["option-value.pcapng"] = (SHB + IDB + epb(s0, n0, req) +
                                    epb(s1, n1, rep, opts=BAD_PACKET_OPTIONS[0] + OPT_END))
    files["custom-option.pcapng"] = (SHB + IDB + epb(s0, n0, req) +
                                     block(5, struct.pack("<III", 0, 0, 0) +
                                           option(2988, b"\1\1") + OPT_END) + epb(s1, n1, rep))
    for name, data in files.items():
        open(os.path.join(outdir, name), "wb").write(data)


# ---- mutants ----

class Mutator:
    def __init__(self, rng, recs):
        self.rng, self.recs, self.ident = rng, recs, 0x4000

    def pick(self):
        return self.rng.choice(self.recs)

    def frame_mutant(self):
        """A few records (sec, nsec, bytes, orig) for one frame-level mutant."""
        r = self.rng
        sec, nsec, pkt = self.pick()
        kind = r.randrange(8)
        if kind == 0:
            return [(sec, nsec, set_udp_len(pkt, r.choice([-9, -4, -1, 1, 2, 4, 8, 30])), None)]
        if kind == 1:
            return [(sec, nsec, set_udp_len(pkt, value=r.randrange(0, 9)), None)]
        if kind == 2:
            return [(sec, nsec, set_ip_len(pkt, r.choice([-12, -4, -1, 1, 4, 24])), None)]
        if kind == 3:   # record cut, claiming to be whole
            return [(sec, nsec, pkt[:r.randrange(0, len(pkt))], None)]
        if kind == 4:   # snap length cut
            cut = r.randrange(0, len(pkt))
            return [(sec, nsec, pkt[:cut], len(pkt))]
        if kind == 5:   # a byte of the NTP message or its MAC changed
            p = bytearray(pkt)
            i = r.randrange(min(len(p), 28), len(p))
            p[i] ^= 1 << r.randrange(8)
            return [(sec, nsec, bytes(p), None)]
        return self.fragments(sec, nsec, pkt)

    def fragments(self, sec, nsec, pkt):
        r = self.rng
        parts = ipv4_parts(pkt)
        if not parts or len(parts[1]) < 24:
            return [(sec, nsec, pkt, None)]
        h, udp = parts
        self.ident += 1
        size = r.choice([8, 16, 24, 40])
        pieces = [(o, udp[o:o + size], o + size < len(udp)) for o in range(0, len(udp), size)]
        trick = r.randrange(9)
        if trick == 1:      # identical overlap
            o, d, m = pieces[0]
            pieces[0] = (o, udp[o:o + size + 8], m)
        elif trick == 2:    # conflicting overlap
            o, d, m = pieces[-1]
            alt = bytearray(udp[max(0, o - 8):o + len(d)])
            alt[0] ^= 0xFF
            pieces.append((max(0, o - 8), bytes(alt), m))
        elif trick == 3:    # an extra fragment past the end
            pieces.insert(r.randrange(len(pieces) + 1), (len(udp) + 8 + 8 * r.randrange(4),
                                                          b"x" * 8, r.random() < 0.5))
        elif trick == 4:    # one lost: the datagram never completes
            del pieces[r.randrange(len(pieces))]
        elif trick == 7:    # the offset-0 fragment lost: nothing tells the rest was NTP
            del pieces[0]
        elif trick == 8:    # the last one lost, and another duplicated
            del pieces[-1]
            pieces.append(r.choice(pieces))
        elif trick == 5:    # duplicated
            pieces.insert(r.randrange(len(pieces) + 1), r.choice(pieces))
        if r.random() < 0.5:
            r.shuffle(pieces)
        gap = r.choice([0, 0, 1, 31, 3600])
        out = [(sec + (gap if i else 0), nsec, frag4(h, o, d, m, self.ident), None)
               for i, (o, d, m) in enumerate(pieces)]
        if r.random() < 0.15:   # one fragment cut by the snap length
            i = r.randrange(len(out))
            s_, n_, b, _ = out[i]
            out[i] = (s_, n_, b[:r.randrange(20, len(b))], len(b))
        return out

    def block_mutant(self, frames):
        """pcapng of `frames` with valid non-packet blocks in between."""
        out = [SHB, IDB]
        fb = filler_blocks()
        for sec, nsec, b, orig in frames:
            if self.rng.random() < 0.3:
                out.append(self.rng.choice(fb))
            out.append(epb(sec, nsec, b, orig))
        return b"".join(out)

    def damaged(self, frames, as_pcapng):
        """One file with damage where Wireshark's reader stops (or may not)."""
        r = self.rng
        if not as_pcapng:
            data = bytearray(pcap_bytes(frames))
            at = self.record_offsets_pcap(data)
            off = r.choice(at)
            kind = r.randrange(3)
            if kind == 0:    # captured length changed
                struct.pack_into("<I", data, off + 8, r.choice([0, 1, 300000, 2**31,
                                 struct.unpack_from("<I", data, off + 8)[0] + r.choice([-4, 4, 64])]) & 0xFFFFFFFF)
            elif kind == 1:  # original length changed
                struct.pack_into("<I", data, off + 12, r.randrange(0, 2000))
            else:            # file cut
                return bytes(data[:r.randrange(24, len(data))])
            return bytes(data)
        blocks = [SHB, IDB]
        for sec, nsec, b, orig in frames:
            blocks.append(epb(sec, nsec, b, orig))
        i = r.randrange(2, len(blocks))
        blk = bytearray(blocks[i])
        kind = r.randrange(5)
        if kind == 0:    # retyped
            blk[0:4] = struct.pack("<I", r.choice([2, 3, 4, 5, 9, 0xA, 0xBAD, 0x204, 0x216, 0x0A0D0D0A, 1]))
        elif kind == 1:  # block length changed (both or first only)
            n = struct.unpack_from("<I", blk, 4)[0] + r.choice([-8, -4, 4, 8, 2])
            struct.pack_into("<I", blk, 4, n & 0xFFFFFFFF)
            if r.random() < 0.5:
                struct.pack_into("<I", blk, len(blk) - 4, n & 0xFFFFFFFF)
        elif kind == 2:  # captured length inside the EPB changed
            struct.pack_into("<I", blk, 20, r.choice([0, 8, 300000, struct.unpack_from("<I", blk, 20)[0] + 4]))
        elif kind == 3:  # interface ID
            struct.pack_into("<I", blk, 8, r.choice([1, 2, 0xFFFFFFFF]))
        else:            # an option value Wireshark refuses
            sec, nsec, b, orig = frames[i - 2]
            blk = bytearray(epb(sec, nsec, b, orig, r.choice(BAD_PACKET_OPTIONS) + OPT_END))
        blocks[i] = bytes(blk)
        data = b"".join(blocks)
        if r.random() < 0.2:
            data = data[:r.randrange(len(SHB) + len(IDB), len(data))]
        return data

    @staticmethod
    def record_offsets_pcap(data):
        offs, off = [], 24
        while off + 16 <= len(data):
            offs.append(off)
            off += 16 + struct.unpack_from("<I", data, off + 8)[0]
        return offs


def mutate(outdir, seed, samples):
    recs = []
    for s in samples:
        recs += read_pcap(s)
    m = Mutator(random.Random(seed), recs)
    count = 0
    # Frame-level mutants, 120 to a batch file (one tshark run each), pcap and pcapng.
    for b in range(2):
        frames = []
        for _ in range(120):
            frames += m.frame_mutant()
            count += 1
        name = "batch%d.%s" % (b, "pcapng" if b == 1 else "pcap")
        data = m.block_mutant(frames) if b == 1 else pcap_bytes(frames)
        open(os.path.join(outdir, name), "wb").write(data)
    # File-level damage, one file each.
    for k in range(10):
        frames = [(s, n, p, None) for s, n, p in m.rng.sample(recs, 4)]
        pcapng = k % 2 == 1
        data = m.damaged(frames, pcapng)
        open(os.path.join(outdir, "damaged%02d.%s" % (k, "pcapng" if pcapng else "pcap")), "wb").write(data)
        count += 1
    print(count)


# ---- comparison ----

SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:")
CRASH = re.compile(r"Segmentation fault|[Aa]ssertion|Dissector bug|core dumped|Aborted|"
                   r"Malformed Packet: (NTPAUTH|ntpauth)|ntpauth.*[Ee]xception")


def compare(name, ts_out, ts_rc, an_jsonl, an_rc, an_err):
    problems = []
    # Frame -> (verdict, findings); a malformed verdict carries its reason too (the capture
    # layer's notes must read the same in both tools).
    plugin = {}
    for line in open(ts_out, errors="replace"):
        parts = line.rstrip("\n").split("\t") + ["", "", ""]
        if parts[0].isdigit() and parts[1]:
            plugin[int(parts[0])] = (parts[1], sorted(x for x in parts[2].split(",") if x),
                                     parts[3] if parts[1] == "malformed" else "")
    analyzer = {}
    for line in open(an_jsonl, errors="replace"):
        line = line.strip()
        if line.startswith("{") and '"summary"' not in line[:12]:
            o = json.loads(line)
            analyzer[int(o["frame"])] = (o["verdict"],
                                         sorted(f["kind"] for f in o.get("findings", [])),
                                         o.get("reason", "") if o["verdict"] == "malformed" else "")
    for f in sorted(set(plugin) | set(analyzer)):
        if plugin.get(f) != analyzer.get(f):
            problems.append("frame %d: plugin %s, ntpauth-analyze %s" % (f, plugin.get(f), analyzer.get(f)))
    ts_rc, an_rc = int(ts_rc), int(an_rc)
    if (ts_rc == 2) != (an_rc == 2):
        problems.append("tshark exited %d, ntpauth-analyze %d (one stopped on damage, the other not)"
                        % (ts_rc, an_rc))
    err = open(an_err, errors="replace").read()
    if SANITIZER.search(err):
        problems.append("sanitizer report: " + SANITIZER.search(err).group(0))
    if an_rc not in (0, 1, 2):
        problems.append("ntpauth-analyze exited %d" % an_rc)
    if an_rc == 2 and "frame " not in err and "not a pcap" not in err and "empty file" not in err:
        problems.append("exit 2 without naming the frame: " + err.strip()[-200:])
    ts_err = ts_out + ".err"
    if os.path.exists(ts_err) and CRASH.search(open(ts_err, errors="replace").read()):
        problems.append("tshark: " + CRASH.search(open(ts_err, errors="replace").read()).group(0))
    for p in problems[:10]:
        print("  %s: %s" % (name, p), file=sys.stderr)
    print("-- %s: %d NTP frames, %d differences" % (name, len(analyzer), len(problems)))
    return 1 if problems else 0


def analyzer_lines(an_jsonl, an_rc):
    out = []
    for line in open(an_jsonl, errors="replace"):
        if line.startswith("{") and '"summary"' not in line[:12]:
            o = json.loads(line)
            out.append("%s:%s" % (o["frame"], o["verdict"]))
    return " ".join(out + ["exit %s" % an_rc])


def check(workdir, expected, names):
    want = {}
    if expected != "-":
        for line in open(expected):
            if line.strip() and not line.startswith("#"):
                name, _, rest = line.strip().partition(" ")
                want[name] = rest
    failures = 0
    for name in names:
        base = os.path.join(workdir, name)
        ts_rc = open(base + ".tshark.rc").read().strip()
        an_rc = open(base + ".rc").read().strip()
        if compare(name, base + ".tshark", ts_rc, base + ".jsonl", an_rc, base + ".err"):
            print("FAIL: %s: the tools disagree" % name, file=sys.stderr)
            failures += 1
        if expected == "-":
            continue
        got = analyzer_lines(base + ".jsonl", an_rc)
        if got != want.get(name):
            print("FAIL: %s: got '%s', want '%s'" % (name, got, want.get(name)), file=sys.stderr)
            failures += 1
        else:
            print("-- %s: %s" % (name, got))
    return 1 if failures else 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "repro":
        repro(argv[2], argv[3])
        return 0
    if len(argv) >= 5 and argv[1] == "mutate":
        mutate(argv[2], int(argv[3]), argv[4:])
        return 0
    if len(argv) == 8 and argv[1] == "compare":
        return compare(*argv[2:8])
    if len(argv) >= 4 and argv[1] == "check":
        return check(argv[2], argv[3], argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
