#!/bin/sh
# mac-bench.sh - NTP MAC verifications per second per core, next to `openssl speed` for the same
# algorithm and input size, measured in the same run (interleaved, so machine load hits both).
#
#   bench/mac-bench.sh [BUILD_DIR] [SECONDS]      (defaults: build, 3)
#
# Digests: ntpauth computes H(key || 48-byte packet) with a 20-byte key, i.e. 68 bytes hashed:
#   openssl speed -seconds S -bytes 68 -evp md5|sha1|sha256
# CMAC: AES-128-CMAC over the 48-byte packet:
#   openssl speed -seconds S -bytes 48 -cmac aes-128-cbc        (OpenSSL 3.0 syntax)
# Both sides divide by user CPU time. Ratio = ntpauth nta_verify() rate / openssl rate; target >= 0.8.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
secs=${2:-3}
bin=$build/bench/mac_bench

command -v openssl >/dev/null 2>&1 || { echo "mac-bench: openssl not found" >&2; exit 1; }
if [ ! -x "$bin" ]; then
  cmake --build "$build" -j2 --target mac_bench >&2 || {
    echo "mac-bench: cannot build mac_bench in $build (configure it with cmake first)" >&2; exit 1; }
fi

# ops/s from `openssl speed -mr` ("+R:count:name:cpu_seconds", printed on stderr).
openssl_rate() {
  openssl speed -mr -seconds "$secs" "$@" 2>&1 |
    awk -F: '/^\+R:/ { if ($4 > 0) printf "%.0f\n", $2 / $4; exit }'
}

echo "$(openssl version), $(nproc) CPU(s), load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %13s %13s %14s %13s  %-40s %s\n' algorithm "verify/s" "compute/s" "parse+verify/s" \
  "openssl/s" "openssl command" "ratio"
status=0
for spec in "MD5:-bytes 68 -evp md5" "SHA1:-bytes 68 -evp sha1" "SHA256:-bytes 68 -evp sha256" \
            "AES128CMAC:-bytes 48 -cmac aes-128-cbc"; do
  alg=${spec%%:*}
  args=${spec#*:}
  # shellcheck disable=SC2086
  ossl=$(openssl_rate $args)
  ours=$("$bin" --seconds "$secs" --alg "$alg" 2>/dev/null | awk '/^RESULT/ { print $3, $4, $5 }')
  if [ -z "$ossl" ] || [ -z "$ours" ]; then
    echo "mac-bench: $alg: no figure (openssl: '${ossl}', mac_bench: '${ours}')" >&2
    status=1
    continue
  fi
  # shellcheck disable=SC2086 # three numbers, split on purpose
  set -- $ours
  ratio=$(awk -v a="$1" -v b="$ossl" 'BEGIN { printf "%.2f", a / b }')
  verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.8) ? "ok" : "BELOW 0.8" }')
  printf '%-11s %13s %13s %14s %13s  %-40s %s %s\n' "$alg" "$1" "$2" "$3" "$ossl" \
    "openssl speed $args" "$ratio" "$verdict"
done
exit $status
