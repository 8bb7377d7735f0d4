#!/usr/bin/env python3
"""NTS (RFC 8915) checks of ntpauth-analyze on a chrony recording (record-nts.sh layout).

  nts_check.py flip IN.pcap OUT.pcap
      copies a capture, flipping one bit in the first ciphertext byte of the 3rd and 4th NTS
      packets (a request and its reply); exit 1 when the capture has fewer than 4.
  nts_check.py analyzer ANALYZE DIR
      DIR holds chrony-nts.pcap, keylog.txt, dump1/ and dump2/ (two NTS-KE sessions, an NTS NAK
      between them). Checks that with the key log every NTS packet is good except the NAK (nts),
      the two sessions have two names, the request after the NAK starts a new NTS-KE session,
      both NTS-KE connections are decrypted with their own session and the first request of each
      names the response that delivered its cookie; both dumps give the key log's verdicts; each
      dump alone makes exactly its own session's packets good and leaves the rest nts; without
      keys everything is nts; one flipped bit in a request and in its reply gives two bad_mac.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

failures = []


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    failures.append(msg)


def flip(src, dst):
    """Flips the first ciphertext bit of the 3rd and 4th NTS Authenticator fields (pcap, Ethernet,
    IPv4, UDP). Returns how many were flipped."""
    raw = bytearray(open(src, "rb").read())
    off, seen, flipped = 24, 0, 0
    while off + 16 <= len(raw):
        incl = struct.unpack_from("<I", raw, off + 8)[0]
        pkt = off + 16
        if raw[pkt + 12:pkt + 14] == b"\x08\x00" and raw[pkt + 23] == 17:
            ihl = (raw[pkt + 14] & 15) * 4
            p, end = pkt + 14 + ihl + 8 + 48, pkt + incl
            while p + 4 <= end:
                typ, length = struct.unpack_from(">HH", raw, p)
                if length < 16:
                    break
                if typ == 0x0404:
                    seen += 1
                    if seen in (3, 4):
                        nonce_len = struct.unpack_from(">H", raw, p + 4)[0]
                        raw[p + 8 + ((nonce_len + 3) & ~3)] ^= 0x01
                        flipped += 1
                    break
                p += length
        off = pkt + incl
    open(dst, "wb").write(raw)
    return flipped


def analyze(analyzer, pcap, *opts):
    """(packets by frame, run summary, file summary) from --format jsonl."""
    out = subprocess.run([analyzer, "--format", "jsonl", *opts, pcap], capture_output=True,
                         text=True, timeout=120)
    packets, summary = {}, None
    for line in out.stdout.splitlines():
        obj = json.loads(line)
        if "frame" in obj:
            packets[obj["frame"]] = obj
        elif "summary" in obj and "file" in obj["summary"]:
            summary = obj["summary"]
    if out.returncode not in (0, 1) or summary is None:
        fail("%s %s: exit %d, %s" % (pcap, " ".join(opts), out.returncode, out.stderr.strip()[:300]))
    return packets, summary or {}


def counts(packets):
    c = {}
    for p in packets.values():
        c[p["verdict"]] = c.get(p["verdict"], 0) + 1
    return " ".join("%s=%d" % kv for kv in sorted(c.items()))


def check_keylog(packets, summary):
    """The key log run: returns the frames of each session, in order of first use."""
    naks = [f for f, p in packets.items()
            if any(x["kind"] == "nts_nak" for x in p.get("findings", []))]
    if len(naks) < 1:
        fail("key log: no NTS NAK")
    bad = [f for f, p in packets.items() if p["verdict"] != ("nts" if f in naks else "good")]
    if bad:
        fail("key log: frames not good (the NAK nts): %s" % bad[:10])
    sessions = {}
    for f in sorted(packets):
        if packets[f]["verdict"] == "good":
            sessions.setdefault(packets[f]["nts_session"], []).append(f)
    if len(sessions) != 2:
        fail("key log: %d session names, want 2" % len(sessions))
    after = [x["text"] for p in packets.values() for x in p.get("findings", [])
             if x["kind"] == "nts_after_nak"]
    if not after or "new NTS-KE session" not in after[0]:
        fail("key log: after the NAK: %s, want a new NTS-KE session" % after)
    ke = summary.get("nts", {}).get("ntske", [])
    ke_sessions = [c.get("session") for c in ke]
    if [c.get("state") for c in ke] != ["decrypted", "decrypted"] or \
            ke_sessions != list(sessions):
        fail("NTS-KE: %s, want 2 decrypted connections of sessions %s" % (ke, list(sessions)))
    for c in ke:
        if "AEAD AES-SIV-CMAC-256" not in (c.get("response") or "") or not c.get("cookies"):
            fail("NTS-KE response without AES-SIV-CMAC-256 or cookies: %s" % c)
        first = sessions.get(c.get("session"), [None])[0]
        got = packets.get(first, {}).get("nts_cookie_frame")
        if got != c.get("response_frame"):
            fail("frame %s: cookie from frame %s, want NTS-KE response %s"
                 % (first, got, c.get("response_frame")))
    print("-- analyzer, key log: %s, sessions %s, NAK in %s, %d NTS-KE connections"
          % (counts(packets), " ".join(sessions), naks, len(ke)))
    return sessions


def check_analyzer(analyzer, d):
    pcap = os.path.join(d, "chrony-nts.pcap")
    kl = ["--tls-keylog", os.path.join(d, "keylog.txt")]
    dumps = [os.path.join(d, "dump1"), os.path.join(d, "dump2")]
    ref, summary = analyze(analyzer, pcap, *kl)
    sessions = check_keylog(ref, summary)
    verdicts = {f: p["verdict"] for f, p in ref.items()}
    both, _ = analyze(analyzer, pcap, "--nts-dump", dumps[0], "--nts-dump", dumps[1])
    if {f: p["verdict"] for f, p in both.items()} != verdicts:
        fail("both dumps: verdicts differ from the key log's: %s" % counts(both))
    print("-- analyzer, both dumps: %s" % counts(both))
    names = list(sessions)
    for i, dump in enumerate(dumps):
        one, _ = analyze(analyzer, pcap, "--nts-dump", dump)
        good = sorted(f for f, p in one.items() if p["verdict"] == "good")
        want = sessions[names[0 if i == 0 else -1]] if names else []
        if not want or good != want:
            fail("%s alone: good frames %s, want those of its session %s" % (dump, good, want))
        others = [f for f, p in one.items() if p["verdict"] not in ("good", "nts")]
        if others:
            fail("%s alone: verdicts other than good and nts in frames %s" % (dump, others))
        print("-- analyzer, %s alone: %s" % (os.path.basename(dump), counts(one)))
    none, _ = analyze(analyzer, pcap)
    if any(p["verdict"] != "nts" for p in none.values()):
        fail("no keys: verdicts other than nts: %s" % counts(none))
    print("-- analyzer, no keys: %s" % counts(none))
    with tempfile.TemporaryDirectory() as tmp:
        flipped = os.path.join(tmp, "flipped.pcap")
        if flip(pcap, flipped) != 2:
            fail("fewer than 4 NTS packets to flip")
        fl, _ = analyze(analyzer, flipped, *kl)
        nbad = sum(p["verdict"] == "bad_mac" for p in fl.values())
        if nbad != 2:
            fail("flipped bits: %d bad_mac, want 2: %s" % (nbad, counts(fl)))
        print("-- analyzer, flipped bits: %s" % counts(fl))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "flip":
        sys.exit(0 if flip(sys.argv[2], sys.argv[3]) == 2 else 1)
    if len(sys.argv) == 4 and sys.argv[1] == "analyzer":
        check_analyzer(sys.argv[2], sys.argv[3])
        sys.exit(1 if failures else 0)
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    main()
