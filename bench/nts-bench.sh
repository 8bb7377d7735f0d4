#!/bin/sh
# nts-bench.sh - NTS packets verified per second on one core, next to SHA1 MACs in the same run.
#
#   bench/nts-bench.sh [BUILD_DIR] [SECONDS] [PACKETS]   (defaults: build, 2, 400000)
#
# Prints nts_bench's table (see bench/nts_bench.c for what each line measures) and the ratio of
# NTS request verifications to SHA1 verifications. Target: >= 1 M NTS packets/s on one core.
# Then ntpauth-analyze end to end in the same run: PACKETS SHA1-authenticated packets (-k) and
# PACKETS NTS packets (--tls-keylog; chrony-shaped requests and replies, each reply's cookie used
# by the next request) from bench/gen_capture_bench, -q on one thread, best of 3 by user+system
# CPU time (the steadier figure on a shared machine), packets per CPU second and peak RSS.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
secs=${2:-2}
packets=${3:-400000}
bin=$build/bench/nts_bench
if [ ! -x "$bin" ]; then
  cmake --build "$build" -j2 --target nts_bench >&2 || {
    echo "nts-bench: cannot build nts_bench in $build" >&2; exit 1; }
fi
out=$("$bin" "$secs")
echo "$out"
echo "$out" | awk '/^RESULT SHA1 / {s=$3} /^RESULT NTS-request / {n=$3}
  END { if (s > 0) printf "NTS request / SHA1 = %.2f; NTS requests %s 1 M/s\n", n / s, (n >= 1000000) ? "at or above" : "below" }'

# ---- ntpauth-analyze end to end ----
analyzer=$build/analyzer/ntpauth-analyze
gen=$build/bench/gen_capture_bench
if [ ! -x "$analyzer" ] || [ ! -x "$gen" ]; then
  cmake --build "$build" -j2 --target ntpauth-analyze gen_capture_bench >&2 || {
    echo "nts-bench: cannot build ntpauth-analyze / gen_capture_bench in $build" >&2; exit 1; }
fi
[ -x /usr/bin/time ] || { echo "nts-bench: /usr/bin/time missing (scripts/setup)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/nts-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$gen" "$tmp/sha1.pcap" "$tmp/sha1.keys" "$packets"
"$gen" "$tmp/nts.pcap" "$tmp/nts.keylog" "$packets" --nts
chmod 600 "$tmp/sha1.keys" "$tmp/nts.keylog"
# analyze NAME ARGS...: prints "NAME <packets per CPU second> <peak RSS KiB>" (best of 3)
analyze() {
  name=$1; shift
  best=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%U %S %M" -o "$tmp/time" "$analyzer" -q "$@" >/dev/null 2>"$tmp/err" || {
      echo "nts-bench: ntpauth-analyze $* failed: $(cat "$tmp/err")" >&2; exit 1; }
    line=$(awk -v n="$packets" '{ cpu = $1 + $2; printf "%.0f %s", (cpu > 0 ? n / cpu : 0), $3 }' "$tmp/time")
    if [ -z "$best" ] || [ "${line%% *}" -gt "${best%% *}" ]; then best=$line; fi
  done
  echo "ANALYZE $name $best"
}
res=$( analyze SHA1 "$tmp/sha1.pcap" -k "$tmp/sha1.keys"
       analyze NTS "$tmp/nts.pcap" --tls-keylog "$tmp/nts.keylog" )
echo "ntpauth-analyze -q, one thread, $packets packets each ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)):"
echo "$res" | awk '{ printf "  %-5s %10s packets/CPU-s  peak RSS %6.1f MiB\n", $2, $3, $4 / 1024 }'
echo "$res" | awk '$2 == "SHA1" {s = $3} $2 == "NTS" {n = $3}
  END { if (s > 0) printf "  NTS / SHA1 = %.2f; NTS packets %s 1 M/s end to end\n", n / s, (n >= 1000000) ? "at or above" : "below" }'
