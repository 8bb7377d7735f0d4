#!/usr/bin/env bash
# plugin-bench.sh - what the ntpauth Wireshark plugin adds to tshark's time, measured in one run.
#
#   bench/plugin-bench.sh [BUILD_DIR] [PACKETS] [ROUNDS]     (defaults: build, 1000000, 2)
#
# Makes a PACKETS-frame capture of SHA1-authenticated client/server pairs with the analyzer
# benchmark's generator, bench/gen_capture_bench (the same capture bench/analyzer-bench.sh uses;
# if it cannot be built: tests/dissector/gen_plugin_captures --bench, 1 request in 64 with a bad
# MAC), then runs stock tshark on it with and without the plugin, alternating, ROUNDS times each (the best round counts, so a burst of load
# from elsewhere does not decide the ratio):
#   without: tshark -n -r FILE                              (no plugin in the private HOME)
#   with:    tshark -n -r FILE -o ntpauth.keyfile:KEYS      (plugin in the private HOME)
# both printing the one-line summaries to /dev/null, as nobody (tshark ignores personal plugins
# for root). Prints wall and CPU (user+sys) seconds, packets/s and peak RSS of each, and the
# overhead ratios; target: the plugin adds at most 15 % CPU time (CPU time, because the machine
# is shared and wall time swings with other people's load; the wall ratio is printed too). PLUGIN_BENCH_VERBOSE=1 adds an informational pair with -V
# (full trees printed). Before timing, it checks that the plugin verifies both with a display
# filter (tree built) and in plain summary lines (no tree: the NTP locator path that is timed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
packets=${2:-1000000}
rounds=${3:-2}
plugin=$build/dissector/ntpauth.so
gen=$build/tests/dissector/gen_plugin_captures

for t in tshark setpriv /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "plugin-bench: $t not found" >&2; exit 1; }
done
if [ ! -r "$plugin" ] || [ ! -x "$gen" ]; then
  cmake --build "$build" -j2 --target ntpauth-plugin gen_plugin_captures >&2 || {
    echo "plugin-bench: cannot build the plugin in $build (configure with Wireshark's dev files)" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/ntpauth-plugin-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
with=$work/with without=$work/without
mkdir -p "$with/.local/lib/wireshark/plugins/4.0/epan" "$without" "$work/data"
cp "$plugin" "$with/.local/lib/wireshark/plugins/4.0/epan/ntpauth.so"
cap=$work/data/bench.pcap
if [ -x "$build/bench/gen_capture_bench" ] ||
   cmake --build "$build" -j2 --target gen_capture_bench >/dev/null 2>&1; then
  keys=$work/data/bench.keys
  "$build/bench/gen_capture_bench" "$cap" "$keys" "$packets" >/dev/null
  what="SHA1 client/server pairs from bench/gen_capture_bench"
else
  keys=$work/data/plugin.keys
  "$gen" "$work/data" >/dev/null
  "$gen" --bench "$packets" "$cap" >/dev/null
  what="SHA1 client/server pairs, 1 request in 64 bad, from gen_plugin_captures --bench"
fi
chmod 600 "$keys"

if [ "$(id -u)" = 0 ]; then
  chown -R 65534:65534 "$work"
  run_as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
  run_as() { "$@"; }
fi

# measure HOME ARGS...: prints "cpu_seconds peak_kib wall_seconds" of one tshark run.
measure() {
  local h=$1; shift
  run_as env HOME="$h" /usr/bin/time -f '%U %S %M %e' -o "$work/time.out" tshark -n -r "$cap" "$@" \
    >/dev/null 2>"$work/err.out" || { cat "$work/err.out" >&2; echo "plugin-bench: tshark failed" >&2; exit 1; }
  awk '{ printf "%.2f %d %.2f\n", $1 + $2, $3, $4 }' "$work/time.out"
}

# Check the plugin really runs and verifies in the "with" configuration (and not in the other).
n_ver=$(run_as env HOME="$with" tshark -n -r "$cap" -c 2000 -o "ntpauth.keyfile:$keys" \
        -Y 'ntpauth.verdict == "good" || ntpauth.verdict == "bad_mac"' -T fields -e frame.number 2>/dev/null | wc -l)
n_plain=$(run_as env HOME="$without" tshark -n -r "$cap" -c 10 -G plugins 2>/dev/null | grep -c ntpauth || true)
# ... and on the timed path too: plain summary lines (no tree) must carry the verdicts.
n_info=$(run_as env HOME="$with" tshark -n -r "$cap" -c 2000 -o "ntpauth.keyfile:$keys" 2>/dev/null |
         grep -c '\[MAC \(ok\|BAD\) key' || true)
[ "$n_ver" -gt 1000 ] && [ "$n_info" -gt 1000 ] && [ "$n_plain" = 0 ] ||
  { echo "plugin-bench: plugin setup check failed" >&2; exit 1; }

echo "tshark $(tshark -v 2>/dev/null | head -1 | awk '{print $3}'), $(nproc) CPU(s), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "capture: $packets frames, $(stat -c %s "$cap") bytes ($what)"

best() {  # best "cpu kib wall" "cpu kib wall" -> the one with less CPU time
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); print (b == "" || x[1] + 0 <= y[1] + 0) ? a : b }'
}

report() {  # report LABEL "cpu kib wall"(without) "cpu kib wall"(with)
  local label=$1 wo=$2 wi=$3
  awk -v l="$label" -v n="$packets" -v wo="$wo" -v wi="$wi" 'BEGIN {
    split(wo, a, " "); split(wi, b, " ");
    printf "%s\n  %-18s %8s %8s %14s %10s\n", l, "", "CPU s", "wall s", "packets/CPU-s", "peak RSS";
    printf "  %-18s %8.2f %8.2f %14.0f %6.0f MiB\n", "tshark", a[1], a[3], n / a[1], a[2] / 1024;
    printf "  %-18s %8.2f %8.2f %14.0f %6.0f MiB\n", "tshark + ntpauth", b[1], b[3], n / b[1], b[2] / 1024;
    printf "  overhead: %+.1f %% CPU time (ratio %.3f), %+.1f %% wall time (ratio %.3f), %+.0f MiB RSS\n",
           (b[1] / a[1] - 1) * 100, b[1] / a[1], (b[3] / a[3] - 1) * 100, b[3] / a[3], (b[2] - a[2]) / 1024 }'
}

best_wo= best_wi=
for _ in $(seq "$rounds"); do
  best_wo=$(best "$(measure "$without")" "$best_wo")
  best_wi=$(best "$(measure "$with" -o "ntpauth.keyfile:$keys")" "$best_wi")
done
report "summary lines (best of $rounds)" "$best_wo" "$best_wi"
ratio=$(awk -v a="$best_wo" -v b="$best_wi" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.3f", y[1] / x[1] }')

if [ "${PLUGIN_BENCH_VERBOSE:-0}" = 1 ]; then
  v_wo=$(measure "$without" -V)
  v_wi=$(measure "$with" -V -o "ntpauth.keyfile:$keys")
  report "-V, full trees (1 run)" "$v_wo" "$v_wi"
fi

if awk -v r="$ratio" 'BEGIN { exit !(r <= 1.15) }'; then
  echo "target (plugin adds <= 15 % CPU time): met (ratio $ratio)"
else
  echo "target (plugin adds <= 15 % CPU time): NOT met (ratio $ratio)"
fi
