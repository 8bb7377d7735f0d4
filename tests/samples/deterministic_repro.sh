#!/bin/bash
# The deterministic generator reproduces the committed samples/deterministic/ captures byte for
# byte, and the committed set is exactly what it generates.
# usage: deterministic_repro.sh NTPAUTH_SAMPLEGEN SAMPLES_DIR
set -u
GEN=${1:?usage: deterministic_repro.sh NTPAUTH_SAMPLEGEN SAMPLES_DIR}
SAMPLES=${2:?usage: deterministic_repro.sh NTPAUTH_SAMPLEGEN SAMPLES_DIR}
[ -x "$GEN" ] || { echo "FAIL: $GEN is not an executable"; exit 1; }

tmp=$(mktemp -d /tmp/ntpauth-samplegen.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0

"$GEN" -k "$SAMPLES/ntp.keys" -o "$tmp" || { echo "FAIL: ntpauth-samplegen failed"; exit 1; }
names=$("$GEN" -l) || { echo "FAIL: ntpauth-samplegen -l failed"; exit 1; }
for name in $names; do
  if [ ! -f "$SAMPLES/deterministic/$name" ]; then
    echo "FAIL: $name is generated but not committed under samples/deterministic/"
    failures=$((failures + 1))
  elif ! cmp "$tmp/$name" "$SAMPLES/deterministic/$name"; then
    echo "FAIL: $name differs from the committed file (run samples/regenerate.sh --deterministic)"
    failures=$((failures + 1))
  else
    echo "ok: $name ($(stat -c %s "$tmp/$name") bytes) reproduced bit for bit"
  fi
done
for f in "$SAMPLES"/deterministic/*.pcap*; do
  grep -qx "$(basename "$f")" <<<"$names" || {
    echo "FAIL: $f is committed but the generator does not make it"; failures=$((failures + 1)); }
done
# A second run gives the same bytes again (no clock, no randomness leaks in).
mkdir "$tmp/again"
"$GEN" -k "$SAMPLES/ntp.keys" -o "$tmp/again" || { echo "FAIL: second run failed"; exit 1; }
for name in $names; do
  cmp -s "$tmp/$name" "$tmp/again/$name" || { echo "FAIL: $name differs between two runs"; failures=$((failures + 1)); }
done
echo "$failures failure(s)"
[ "$failures" -eq 0 ]
