#!/usr/bin/env python3
"""make-ke-split.py IN.pcap OUT.pcap KEYLOG - an NTS-KE response split over two TLS records.

Writes tests/dissector/data/nts-ke-split.pcap from samples/nts/chrony-nts.pcap: in the first
NTS-KE connection the server's response (one TLS 1.3 application-data record) becomes two
records in the same TCP segment, so a dissector sees the NTS-KE message in two pieces; the
server's later records are sealed again with their new sequence numbers, and the TCP sequence
and acknowledgement numbers after it move by the bytes added. Keys: the first
SERVER_TRAFFIC_SECRET_0 of the key log (TLS_AES_256_GCM_SHA384, as chrony with GnuTLS
negotiates; RFC 8446 section 7.3 for the record keys, 5.2-5.3 for the record protection).
Needs python3-cryptography (AES-GCM); only for regenerating the committed file.
"""
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def expand_label(secret, label, length):
    """HKDF-Expand-Label with SHA-384 and an empty context (one HMAC block is enough here)."""
    full = b"tls13 " + label
    info = struct.pack(">H", length) + bytes([len(full)]) + full + b"\0"
    return hmac.new(secret, info + b"\x01", hashlib.sha384).digest()[:length]


class Direction:
    def __init__(self, secret):
        self.aead = AESGCM(expand_label(secret, b"key", 32))
        self.iv = expand_label(secret, b"iv", 12)

    def nonce(self, seq):
        return bytes(a ^ b for a, b in zip(self.iv, b"\0" * 4 + struct.pack(">Q", seq)))

    def open(self, seq, record):
        inner = self.aead.decrypt(self.nonce(seq), record[5:], record[:5]).rstrip(b"\0")
        return inner[:-1], inner[-1]

    def seal(self, seq, content, ctype):
        inner = content + bytes([ctype])
        header = struct.pack(">BHH", 23, 0x0303, len(inner) + 16)
        return header + self.aead.encrypt(self.nonce(seq), inner, header)


def records(raw):
    off = 24
    while off + 16 <= len(raw):
        incl = struct.unpack_from("<I", raw, off + 8)[0]
        yield bytearray(raw[off:off + 16 + incl])
        off += 16 + incl


def add32(buf, at, n):
    struct.pack_into(">I", buf, at, (struct.unpack_from(">I", buf, at)[0] + n) & 0xffffffff)


def main():
    src, dst, keylog = sys.argv[1:4]
    secret = next(bytes.fromhex(f[2]) for f in (line.split() for line in open(keylog))
                  if len(f) == 3 and f[0] == "SERVER_TRAFFIC_SECRET_0")
    server = Direction(secret)
    raw = open(src, "rb").read()
    out, client_port, shift, old_seq, new_seq = [], None, 0, 0, 0
    for r in records(raw):
        out.append(r)
        p = 16   # Ethernet, IPv4, TCP
        if r[p + 12:p + 14] != b"\x08\x00" or r[p + 23] != 6:
            continue
        tcp = p + 14 + (r[p + 14] & 15) * 4
        sport, dport = struct.unpack_from(">HH", r, tcp)
        if client_port is None and dport == 4460:
            client_port = sport
        if sorted((sport, dport)) != sorted((client_port, 4460)):
            continue
        if shift:
            add32(r, tcp + 4 if sport == 4460 else tcp + 8, shift)
        payload = bytes(r[tcp + (r[tcp + 12] >> 4) * 4:])
        if sport != 4460 or not payload or payload[0] != 23:
            continue
        try:
            content, ctype = server.open(old_seq, payload)
        except Exception:
            continue   # the encrypted handshake (handshake keys)
        if old_seq == 0:
            cut = len(content) // 2
            new = server.seal(0, content[:cut], ctype) + server.seal(1, content[cut:], ctype)
        else:
            new = server.seal(new_seq, content, ctype)
        new_seq += 2 if old_seq == 0 else 1
        old_seq += 1
        grow = len(new) - len(payload)
        r[len(r) - len(payload):] = new
        struct.pack_into(">H", r, p + 16, struct.unpack_from(">H", r, p + 16)[0] + grow)  # IPv4 length
        struct.pack_into("<II", r, 8, len(r) - 16, len(r) - 16)
        shift += grow
    if not shift:
        sys.exit("make-ke-split: no NTS-KE response found")
    open(dst, "wb").write(raw[:24] + b"".join(out))


if __name__ == "__main__":
    main()
