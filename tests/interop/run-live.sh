#!/bin/sh
# run-live.sh ANALYZER SHIM SCENARIO: re-records SCENARIO with the real peers (record.sh) and
# checks the verdicts by role (roles/SCENARIO.rules), proving the live peers still agree with
# the core. Fails (never skips) when a peer or tool is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
analyzer=${1:?usage: run-live.sh ANALYZER SHIM SCENARIO}
shim=${2:?usage: run-live.sh ANALYZER SHIM SCENARIO}
scenario=${3:?usage: run-live.sh ANALYZER SHIM SCENARIO}
[ -x "$analyzer" ] || { echo "run-live.sh: analyzer $analyzer not built" >&2; exit 1; }
command -v python3 >/dev/null || { echo "run-live.sh: python3 missing (run scripts/setup)" >&2; exit 1; }
out=$(mktemp -d /tmp/ntpauth-interop-live.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT
NTPAUTH_INTEROP_SHIM=$shim timeout 240 "$here/record.sh" "$scenario" "$out" || {
  echo "run-live.sh: recording $scenario failed" >&2; exit 1; }
python3 "$here/check.py" roles "$analyzer" "$scenario" "$out/$scenario.pcap"
