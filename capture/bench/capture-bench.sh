#!/bin/bash
# Capture reader throughput: cap_reader (decoding every record down to UDP port 123) against
# libpcap's pcap_next_ex (record loop only, no decoding: the named peer), on the same files in the same run.
# Usage: capture/bench/capture-bench.sh [BUILD_DIR] [PACKETS]   (build target: capture_bench)
# Figures are CPU time of the reading process (the files are read once first so they come from
# the page cache), best of 3 runs.
set -euo pipefail
build=${1:-build}
packets=${2:-2000000}
bench=$build/capture/capture_bench
[ -x "$bench" ] || { echo "build the capture_bench target first ($bench)"; exit 2; }
command -v editcap >/dev/null || { echo "editcap (wireshark-common) is required"; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bench" gen "$tmp/raw.pcap" "$packets"
"$bench" gen "$tmp/eth.pcap" "$packets" eth
editcap -F pcapng "$tmp/eth.pcap" "$tmp/eth.pcapng"
cat "$tmp"/* > /dev/null

best() {  # best records/s of 3 runs of: capture_bench MODE FILE
  local b=0 r
  for _ in 1 2 3; do
    r=$("$bench" "$1" "$2" | awk '{ print int($6) }')
    [ "$r" -gt "$b" ] && b=$r
  done
  echo "$b"
}
printf '%-12s %16s %16s %8s\n' file cap_reader/s libpcap/s ratio
for f in raw.pcap eth.pcap eth.pcapng; do
  ours=$(best read "$tmp/$f")
  peer=$(best libpcap "$tmp/$f")  # libpcap reads single-link-type pcapng too
  ratio=$(awk -v a="$ours" -v b="$peer" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
  printf '%-12s %16s %16s %8s\n' "$f" "$ours" "$peer" "$ratio"
done
"$bench" read "$tmp/eth.pcap" | awk '{ print "peak RSS reading " $1 " records: " $8 " KiB" }'
