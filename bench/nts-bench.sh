#!/bin/sh
# nts-bench.sh - NTS packets verified per second on one core, next to SHA1 MACs in the same run.
#
#   bench/nts-bench.sh [BUILD_DIR] [SECONDS]      (defaults: build, 2)
#
# Prints nts_bench's table (see bench/nts_bench.c for what each line measures) and the ratio of
# NTS request verifications to SHA1 verifications. Target: >= 1 M NTS packets/s on one core.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
secs=${2:-2}
bin=$build/bench/nts_bench
if [ ! -x "$bin" ]; then
  cmake --build "$build" -j2 --target nts_bench >&2 || {
    echo "nts-bench: cannot build nts_bench in $build" >&2; exit 1; }
fi
out=$("$bin" "$secs")
echo "$out"
echo "$out" | awk '/^RESULT SHA1 / {s=$3} /^RESULT NTS-request / {n=$3}
  END { if (s > 0) printf "NTS request / SHA1 = %.2f; NTS requests %s 1 M/s\n", n / s, (n >= 1000000) ? "at or above" : "below" }'
