#!/bin/bash
# ntpauth-analyze benchmark (not a test): packets/s and peak RSS next to named peers on the same
# file: a libpcap+SHA1 reference loop and tshark.
#
#   bench/analyzer-bench.sh [BUILD_DIR] [PACKETS]     (defaults: build, 1000000)
#   RUNS=N (default 3)  RSS_PACKETS=N (default 4000000; 0 skips the memory pass)
#
# Makes a SHA1-authenticated capture (48-byte header + 24-byte MAC, requests and replies) with
# bench/gen_capture_bench, then times, each best of $RUNS runs (wall clock, /usr/bin/time -v):
#   pcap_sha1_ref FILE KEYS        (the reference: libpcap pcap_next_ex + OpenSSL SHA1 over
#                                  key||packet for every NTP packet, nothing else)
#   ntpauth-analyze -q             (one thread: verify + pair + summary)
#   ntpauth-analyze -q --threads 2
#   ntpauth-analyze --format jsonl > /dev/null
#   ntpauth-analyze -q FILE.gz       (gzip read in-process) next to
#   zcat FILE.gz | ntpauth-analyze -q -    (the same through a pipe: must not be faster)
#   ntpauth-analyze -q --merge FILE FILE   (two captures as one timeline)
#   tshark -r FILE -T fields -e frame.number -e ntp.keyid > /dev/null   (the peer: dissects
#                                  every packet down to the NTP key ID, no verification)
# then, once each on a capture of RSS_PACKETS packets, the peak RSS of -q and of --merge of two
# copies of it. Prints packets/s, peak RSS and the ratios. Targets: -q >= 0.8x the reference
# loop (CPU time: the steadier figure on a shared machine) and >= 4 M/s on one core, RSS
# <= 32 MiB (also merged, also for 4 M packets), --threads 2 >= 1.7x one thread, jsonl >= 1.5 M/s,
# .gz in-process at least as fast as zcat | ntpauth-analyze -.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-1000000}
runs=${RUNS:-3}
analyzer=$build/analyzer/ntpauth-analyze
gen=$build/bench/gen_capture_bench
ref=$build/bench/pcap_sha1_ref
rss_n=${RSS_PACKETS:-4000000}
for f in "$analyzer" "$gen" "$ref"; do
  [ -x "$f" ] || { echo "missing $f: build it first (cmake --build $build)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time (scripts/setup)" >&2; exit 2; }
command -v tshark >/dev/null || { echo "tshark missing (scripts/setup)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/analyzer-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
"$gen" "$tmp/bench.pcap" "$tmp/bench.keys" "$n"
chmod 600 "$tmp/bench.keys"
echo "capture: $n SHA1-authenticated NTP packets, $(stat -c %s "$tmp/bench.pcap") bytes; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# measure OUTFILE CMD... -> sets best_s, best_kb, best_cpu (best wall time of $runs, its RSS and
# user+system CPU seconds). On a shared machine the CPU-time rate is the steadier figure.
measure() {
  local out=$1; shift
  best_s=""; best_kb=0; best_cpu=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -v -o "$tmp/time.txt" "$@" >"$out" 2>"$tmp/stderr.txt" || {
      rc=$?; [ $rc = 1 ] || { echo "command failed ($rc): $* : $(cat "$tmp/stderr.txt")" >&2; exit 2; }; }
    local wall kb
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tmp/time.txt")
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time.txt")
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$tmp/time.txt")
    if [ -z "$best_s" ] || awk -v a="$wall" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
      best_s=$wall; best_kb=$kb; best_cpu=$cpu
    fi
  done
}
rate() { awk -v n="$n" -v s="$1" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
row() {
  printf "%-36s %10s pkt/s %9.1f MiB  wall %6.2f s  cpu %6.2f s = %10s pkt/cpu-s\n" "$1" "$2" \
    "$(awk -v k="$3" 'BEGIN{print k/1024}')" "$4" "$5" "$(rate "$5")"
}

cat "$tmp/bench.pcap" >/dev/null   # into the page cache for every run alike
measure /dev/null "$ref" "$tmp/bench.pcap" "$tmp/bench.keys"
r_rate=$(rate "$best_s"); r_kb=$best_kb; r_s=$best_s; r_cpu=$best_cpu
measure /dev/null "$analyzer" -q -k "$tmp/bench.keys" "$tmp/bench.pcap"
q_rate=$(rate "$best_s"); q_kb=$best_kb; q_s=$best_s; q_cpu=$best_cpu
measure /dev/null "$analyzer" -q --threads 2 -k "$tmp/bench.keys" "$tmp/bench.pcap"
t2_rate=$(rate "$best_s"); t2_kb=$best_kb; t2_s=$best_s; t2_cpu=$best_cpu
measure /dev/null "$analyzer" --format jsonl -k "$tmp/bench.keys" "$tmp/bench.pcap"
j_rate=$(rate "$best_s"); j_kb=$best_kb; j_s=$best_s; j_cpu=$best_cpu
gzip -1 -c "$tmp/bench.pcap" >"$tmp/bench.pcap.gz"
measure /dev/null "$analyzer" -q -k "$tmp/bench.keys" "$tmp/bench.pcap.gz"
gz_rate=$(rate "$best_s"); gz_kb=$best_kb; gz_s=$best_s; gz_cpu=$best_cpu
measure /dev/null sh -c 'zcat "$1" | "$2" -q -k "$3" -' sh "$tmp/bench.pcap.gz" "$analyzer" "$tmp/bench.keys"
zc_rate=$(rate "$best_s"); zc_kb=$best_kb; zc_s=$best_s; zc_cpu=$best_cpu
measure /dev/null "$analyzer" -q --merge -k "$tmp/bench.keys" "$tmp/bench.pcap" "$tmp/bench.pcap"
m_rate=$(rate "$best_s"); m_kb=$best_kb; m_s=$best_s; m_cpu=$best_cpu
# tshark as nobody with a private HOME (no personal plugins, no root warning); one run: it is slow.
runs=1
home=$tmp/home; mkdir -p "$home"; chmod 777 "$home"; chmod 644 "$tmp/bench.pcap"
measure /dev/null setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$home" \
  tshark -n -r "$tmp/bench.pcap" -T fields -e frame.number -e ntp.keyid
ts_rate=$(rate "$best_s"); ts_kb=$best_kb; ts_s=$best_s; ts_cpu=$best_cpu
rm -f "$tmp/bench.pcap.gz"

# Memory: one run each on a larger capture (RSS must not grow with the packet count).
big_kb=0; bigm_kb=0
if [ "$rss_n" -gt 0 ]; then
  "$gen" "$tmp/big.pcap" "$tmp/bench.keys" "$rss_n"
  chmod 600 "$tmp/bench.keys"
  measure /dev/null "$analyzer" -q -k "$tmp/bench.keys" "$tmp/big.pcap"
  big_kb=$best_kb
  measure /dev/null "$analyzer" -q --merge -k "$tmp/bench.keys" "$tmp/big.pcap" "$tmp/big.pcap"
  bigm_kb=$best_kb
  rm -f "$tmp/big.pcap"
fi

echo
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs; above ~0.5 another job" \
     "shares the cores: trust pkt/cpu-s, and the --threads ratio only on a quiet machine)"
row "pcap_next_ex + SHA1 (reference)" "$r_rate" "$r_kb" "$r_s" "$r_cpu"
row "ntpauth-analyze -q" "$q_rate" "$q_kb" "$q_s" "$q_cpu"
row "ntpauth-analyze -q --threads 2" "$t2_rate" "$t2_kb" "$t2_s" "$t2_cpu"
row "ntpauth-analyze --format jsonl" "$j_rate" "$j_kb" "$j_s" "$j_cpu"
row "ntpauth-analyze -q FILE.gz" "$gz_rate" "$gz_kb" "$gz_s" "$gz_cpu"
row "zcat FILE.gz | ntpauth-analyze -q -" "$zc_rate" "$zc_kb" "$zc_s" "$zc_cpu"
row "ntpauth-analyze -q --merge F F (2n)" "$m_rate" "$m_kb" "$m_s" "$m_cpu"
row "tshark -T fields (decode only)" "$ts_rate" "$ts_kb" "$ts_s" "$ts_cpu"
echo
awk -v q="$q_rate" -v t2="$t2_rate" -v j="$j_rate" -v ts="$ts_rate" -v qk="$q_kb" -v tk="$ts_kb" \
    -v gz="$gz_rate" -v zc="$zc_rate" -v gk="$gz_kb" -v mk="$m_kb" \
    -v qc="$q_cpu" -v tc="$ts_cpu" -v n="$n" -v r="$r_rate" -v rc="$r_cpu" \
    -v bk="$big_kb" -v bmk="$bigm_kb" -v bn="$rss_n" -v gzc="$gz_cpu" -v zcc="$zc_cpu" 'BEGIN {
  printf "ratio -q / reference (CPU time): %.2fx  (target >= 0.8x)\n", rc / qc
  printf "ratio -q / reference (wall):     %.2fx\n", q / r
  printf "ratio --threads 2 / reference (wall): %.2fx\n", t2 / r
  printf "ratio -q / tshark (CPU time):   %.1fx\n", tc / qc
  printf "-q packets per CPU-second:      %.0f  (target >= 4000000 on one core)\n", n / qc
  printf "ratio -q / tshark:              %.1fx  (target ~70x)\n", q / ts
  printf "ratio --threads 2 / -q:         %.2fx  (target >= 1.7x)\n", t2 / q
  printf "ratio jsonl / tshark:           %.1fx\n", j / ts
  printf "RSS tshark / ntpauth-analyze:   %.1fx\n", tk / qk
  printf "ratio .gz / zcat pipe (wall):   %.2fx  (target >= 1.0x; the pipe runs on two cores)\n", gz / zc
  printf "ratio .gz / zcat pipe (CPU):    %.2fx\n", zcc / gzc
  printf "peak RSS -q %.1f MiB, .gz %.1f MiB, --merge of two copies %.1f MiB  (target <= 32 MiB)\n", qk / 1024, gk / 1024, mk / 1024
  if (bn > 0)
    printf "peak RSS for %d packets: -q %.1f MiB, --merge of two copies %.1f MiB  (target <= 32 MiB)\n", bn, bk / 1024, bmk / 1024
  printf "targets (wall clock): -q >= 4000000 pkt/s: %s; RSS < 32 MiB: %s; jsonl >= 1500000 pkt/s: %s\n",
    (q >= 4000000 ? "met" : "NOT met"), (qk < 32768 ? "met" : "NOT met"), (j >= 1500000 ? "met" : "NOT met")
}'
