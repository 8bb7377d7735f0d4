#!/usr/bin/python3
"""mode6_probe.py - crafted NTP control (mode 6) requests that ntpq cannot make on demand.

  mode6_probe.py silent SRC DST              READSTAT from SRC: exit 0 when nothing comes back
  mode6_probe.py signed KEYFILE KEYID DST    signed READVAR: exit 0 when the reply carries data and
                                             a MAC by the same key that verifies
  mode6_probe.py wrongmac KEYFILE KEYID DST  READVAR with a corrupted MAC: exit 0 when no data
                                             comes back (an error reply or silence)
Keys are read from an ntpd-style keyfile (<= 20 characters ASCII, else hex); MD5 and SHA1 only.
"""
import hashlib
import socket
import struct
import sys


def load_key(path, keyid):
    for line in open(path):
        f = line.split("#", 1)[0].split()
        if len(f) >= 3 and f[0] == str(keyid):
            secret = f[2].encode() if len(f[2]) <= 20 else bytes.fromhex(f[2])
            return f[1].lower(), secret
    raise SystemExit("key %s not in %s" % (keyid, path))


def request(op, data=b""):
    pkt = struct.pack("!BBHHHHH", 0x16, op, 4242, 0, 0, 0, len(data)) + data
    while len(pkt) % 8:
        pkt += b"\0"
    return pkt


def sign(pkt, kind, secret, keyid):
    return pkt + struct.pack("!I", keyid) + hashlib.new(kind, secret + pkt).digest()


def exchange(pkt, dst, src=None, timeout=1.5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.sendto(pkt, (dst, 123))
    try:
        return s.recv(2048)
    except socket.timeout:
        return None


def main(argv):
    cmd = argv[1]
    if cmd == "silent":
        reply = exchange(request(1), argv[3], src=argv[2])
        print("reply: %s" % (len(reply) if reply else "none"))
        return 0 if reply is None else 1
    kind, secret = load_key(argv[2], int(argv[3]))
    keyid = int(argv[3])
    pkt = sign(request(2, b"stratum,refid"), kind, secret, keyid)
    if cmd == "wrongmac":
        pkt = pkt[:-1] + bytes([pkt[-1] ^ 1])
    reply = exchange(pkt, argv[4])
    if reply is None:
        print("no reply")
        return 0 if cmd == "wrongmac" else 1
    rem, status, count = reply[1], struct.unpack("!H", reply[4:6])[0], struct.unpack("!H", reply[10:12])[0]
    data = reply[12:12 + count]
    print("reply %d bytes, r/e/m/op %02x, status %04x, data %r" % (len(reply), rem, status, data))
    if cmd == "wrongmac":
        return 0 if count == 0 and rem & 0x40 else 1
    dlen = len(hashlib.new(kind).digest())
    at = len(reply) - dlen - 4
    if at < 12 + count or at % 8 or count == 0:
        return 1
    rkey = struct.unpack("!I", reply[at:at + 4])[0]
    good = hashlib.new(kind, secret + reply[:at]).digest() == reply[at + 4:]
    print("reply MAC: key %d, %s" % (rkey, "verifies" if good else "DOES NOT verify"))
    return 0 if good and rkey == keyid else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
