#!/bin/bash
# Live capture: ntpauth-analyze -i lo with a BPF filter in a private network namespace sees an
# ntpdig request, and on SIGINT (Ctrl-C) prints the summary and exits 1 (an unauthenticated
# request: nothing verified).
#   live-test.sh ANALYZER
set -u
analyzer=${1:?usage: live-test.sh ANALYZER}
fail() { echo "FAIL: $*" >&2; exit 1; }
if [ "${NTPAUTH_IN_NETNS:-}" != 1 ]; then
  for tool in unshare ntpdig ip timeout; do
    command -v $tool >/dev/null || fail "$tool is not installed (run scripts/setup)"
  done
  analyzer=$(cd "$(dirname "$analyzer")" && pwd)/$(basename "$analyzer")
  exec env NTPAUTH_IN_NETNS=1 unshare --net -- "$0" "$analyzer"
fi
ip link set lo up || fail "cannot bring lo up"
tmp=$(mktemp -d)
apid=""
trap '[ -n "$apid" ] && kill -9 "$apid" 2>/dev/null; rm -rf "$tmp"' EXIT
"$analyzer" --no-color -i lo udp port 123 >"$tmp/out" 2>"$tmp/err" &
apid=$!
sleep 1.5
kill -0 "$apid" 2>/dev/null || fail "analyzer exited early: $(cat "$tmp/err")"
timeout 5 ntpdig -t 1 127.0.0.1 >/dev/null 2>&1
for _ in $(seq 50); do grep -q "client" "$tmp/out" && break; sleep 0.1; done
kill -INT "$apid"
for _ in $(seq 50); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$apid" 2>/dev/null && fail "analyzer still running 5 s after SIGINT"
wait "$apid"; status=$?
apid=""
[ "$status" = 1 ] || fail "exit status $status, expected 1 (nothing verified): $(cat "$tmp/err")"
grep -q "127.0.0.1:[0-9]* -> 127.0.0.1:123 v4 client - no_auth" "$tmp/out" ||
  fail "request line missing: $(cat "$tmp/out")"
grep -Eq "^Summary: .* [1-9][0-9]* NTP packets" "$tmp/out" || fail "summary missing: $(cat "$tmp/out")"
grep -q "^Note: nothing verified: none of the" "$tmp/out" || fail "no 'nothing verified' note: $(cat "$tmp/out")"
echo "PASS: live capture"
