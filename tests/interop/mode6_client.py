#!/usr/bin/env python3
"""mode6_client.py KEYFILE ADDR - mode 6 requests that ntpq cannot make, for record.sh.

ntpq sends SHA256/SHA512 MACs untruncated, which ntpsec ntpd does not verify (it answers
unsigned). These requests carry the 20-byte truncation ntpd expects, so ntpd signs its replies
with long-digest keys: a normal reply (whose padding ntpd fills with leftover request bytes)
and error replies (MAC right after the 12-byte header). Keys come from an ntpd-style keyfile.
"""
import hashlib
import socket
import struct
import sys


def load_keys(path):
    keys = {}
    for line in open(path):
        f = line.split("#", 1)[0].split()
        if len(f) >= 3:
            if len(f[2]) <= 20:
                secret = f[2].encode()
            else:   # ntpsec's reading: at most 64 digits, an odd last digit dropped
                digits = f[2][:64]
                secret = bytes.fromhex(digits[:len(digits) & ~1])
            keys[int(f[0])] = (f[1], secret)
    return keys


def main():
    keys = load_keys(sys.argv[1])
    addr = sys.argv[2]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    seq = 0

    def request(op, data, keyid, truncate=True):
        nonlocal seq
        seq += 1
        pkt = struct.pack("!BBHHHHH", 0x16, op, seq, 0, 0, 0, len(data)) + data
        while len(pkt) % 8:
            pkt += b"\0"
        kind, secret = keys[keyid]
        mac = hashlib.new(kind.lower(), secret + pkt).digest()
        pkt += struct.pack("!I", keyid) + (mac[:20] if truncate else mac)
        sock.sendto(pkt, (addr, 123))
        try:
            reply = sock.recv(2048)
            print("op %d key %d: reply of %d bytes" % (op, keyid, len(reply)))
        except socket.timeout:
            print("op %d key %d: no reply" % (op, keyid))

    request(2, b"version", 3)                  # readvar, SHA256 cut to 20: signed reply
    request(2, b"", 32)                        # readvar all, SHA512 cut to 20: longer reply
    request(2, b"version", 3, truncate=False)  # full SHA256 as ntpq sends it: unsigned reply
    request(2, b"", 20)                        # SHA384 key 20: ntpd signs, SHA384 cut to 20
    request(8, b"logconfig =all", 32)          # :config with a non-control key: error reply
    request(1, b"", 3)                         # readstat on association 0 with the controlkey
    return 0


if __name__ == "__main__":
    sys.exit(main())
