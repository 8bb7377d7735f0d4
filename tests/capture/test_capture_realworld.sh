#!/bin/bash
# Real captures: tcpdump records IPv4/IPv6 NTP-port traffic (small, and large enough to be
# fragmented on a 1300-byte MTU loopback) in a private network namespace as Linux cooked SLL,
# SLL2 and Ethernet (µs and ns); mergecap/editcap turn them into pcapng, including one file
# whose two interfaces have different link types. Our reader's datagrams must match what
# tshark decodes frame by frame (frame number, time, addresses, ports, UDP payload length).
# Usage: test_capture_realworld.sh CAPTURE_DUMP
set -euo pipefail

dump=$1
for tool in unshare ip tcpdump tshark mergecap editcap python3 timeout; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is required for this test"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root for a private network namespace"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

# --- capture, inside a network namespace of its own ---
cat > "$tmp/capture.sh" <<'INNER'
set -eu
dir=$1
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
ip link set lo up
ip link set lo mtu 1300
start() {  # start OUT ARGS...: tcpdump in the background, wait until it listens (bounded)
  out=$1; shift
  tcpdump -Z root -U --immediate-mode -s 2048 -B 4096 -w "$dir/$out" "$@" udp 2>"$dir/$out.log" &
  pids="$pids $!"
  for _ in $(seq 50); do grep -q "listening on" "$dir/$out.log" && return 0; sleep 0.1; done
  echo "tcpdump did not start: $(cat "$dir/$out.log")"; exit 1
}
start sll.pcap -i any -y LINUX_SLL
start sll2.pcap -i any -y LINUX_SLL2
start eth-ns.pcap -i lo --time-stamp-precision=nano
timeout 20 python3 - <<'PY'
import socket
for fam, addr in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    srv = socket.socket(fam, socket.SOCK_DGRAM)
    srv.bind((addr, 123))
    cli = socket.socket(fam, socket.SOCK_DGRAM)
    for size in (48, 68, 3000, 9000):
        cli.sendto(bytes([0x23]) + bytes(size - 1), (addr, 123))
        data, peer = srv.recvfrom(65535)
        srv.sendto(bytes([0x24]) + data[1:60], peer)   # a reply from port 123
        cli.recvfrom(65535)
    cli.sendto(b'not ntp', (addr, 5000))
PY
sleep 1.5  # let every tcpdump write what it has before it stops
for p in $pids; do kill -INT "$p"; done
for p in $pids; do wait "$p" || true; done
pids=""
INNER
timeout 60 unshare --net bash "$tmp/capture.sh" "$tmp"

mergecap -F pcapng -w "$tmp/mixed.pcapng" "$tmp/sll2.pcap" "$tmp/eth-ns.pcap"
editcap -F pcapng "$tmp/sll.pcap" "$tmp/sll.pcapng"

fail=0
# What tshark sees: UDP datagrams to or from port 123, on the frame that completes them.
tshark_view() {
  tshark -n -r "$1" -Y "udp.port == 123" -T fields -E separator=/t \
    -e frame.number -e frame.time_epoch -e ip.src -e ipv6.src -e udp.srcport \
    -e ip.dst -e ipv6.dst -e udp.dstport -e udp.length 2>/dev/null |
    awk -F'\t' '{ printf "%s\t%s\t%s\t%s\t%s%s\t%s\t%d\n", $1, $2, $3 $4, $5, $6, $7, $8, $9 - 8 }'
}
ours() {
  "$dump" "$@" 2>"$tmp/stderr" | cut -f1-7 || true
}
for f in sll.pcap sll2.pcap eth-ns.pcap mixed.pcapng sll.pcapng; do
  expected=$(tshark_view "$tmp/$f")
  got=$(ours "$tmp/$f")
  n=$(printf '%s\n' "$expected" | grep -c . || true)
  # 16 per capture; the merged file holds two copies (tshark skips duplicate fragments)
  if [ "$n" -lt 16 ]; then
    echo "FAIL $f: tshark shows $n NTP-port datagrams, expected at least 16"; fail=1
  elif [ "$got" != "$expected" ]; then
    echo "FAIL $f: reader and tshark differ"; diff <(echo "$expected") <(echo "$got") || true; fail=1
  else
    echo "ok $f ($n datagrams, $(grep -o 'reassembled [0-9]*' "$tmp/stderr"))"
  fi
done

# Several files in order: frame numbers keep counting; stdin reads like a file.
first=$(tshark -r "$tmp/sll.pcap" 2>/dev/null | wc -l)
combined=$("$dump" "$tmp/sll.pcap" "$tmp/eth-ns.pcap" 2>/dev/null | cut -f1,7)
expected=$( ( "$dump" "$tmp/sll.pcap" 2>/dev/null; "$dump" "$tmp/eth-ns.pcap" 2>/dev/null |
              awk -F'\t' -v n="$first" 'BEGIN{OFS="\t"} { $1 += n; print }' ) | cut -f1,7)
if [ "$combined" != "$expected" ]; then echo "FAIL several files"; fail=1; else echo "ok several files"; fi
if [ "$(cat "$tmp/eth-ns.pcap" | "$dump" - 2>/dev/null)" != "$("$dump" "$tmp/eth-ns.pcap" 2>/dev/null)" ]; then
  echo "FAIL stdin"; fail=1
else
  echo "ok stdin"
fi

# A file cut in the middle of the last record: everything before it, then the error (exit 2).
size=$(stat -c %s "$tmp/eth-ns.pcap")
head -c $((size - 10)) "$tmp/eth-ns.pcap" > "$tmp/cut.pcap"
set +e
"$dump" "$tmp/cut.pcap" > "$tmp/cut.out" 2> "$tmp/cut.err"
rc=$?
set -e
frames=$(tshark -r "$tmp/eth-ns.pcap" 2>/dev/null | wc -l)
want_lines=$("$dump" "$tmp/eth-ns.pcap" 2>/dev/null | awk -F'\t' -v last="$frames" '$1 < last' | wc -l)
if [ "$rc" -ne 2 ] || ! grep -q "cut.pcap: frame $frames: truncated record (header says" "$tmp/cut.err" ||
   [ "$(wc -l < "$tmp/cut.out")" -ne "$want_lines" ]; then
  echo "FAIL truncated file: rc=$rc, $(cat "$tmp/cut.err")"; fail=1
else
  echo "ok truncated file: $(tail -1 "$tmp/cut.err")"
fi
exit $fail
