# lib.sh - helpers for the ntpauth-server interop tests (sourced).
#
# Every test re-executes itself inside a private network namespace with loopback up, runs as
# root, drops CAP_SYS_TIME from every daemon, bounds every wait, and kills what it started by PID
# on every exit path.
set -u

NTPAUTH_PEERS=${NTPAUTH_PEERS:-/opt/ntpauth-peers}
CHRONYD=$NTPAUTH_PEERS/chrony/usr/sbin/chronyd
NOCLOCK="setpriv --inh-caps=-sys_time --bounding-set=-sys_time"

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

# Re-run this script in its own network namespace (once).
enter_netns() {
  [ "$(id -u)" = 0 ] || fail "interop tests run as root (network namespaces, port 123)"
  if [ -z "${NTPAUTH_IN_NETNS:-}" ]; then
    command -v unshare >/dev/null || fail "unshare (util-linux) is missing"
    NTPAUTH_IN_NETNS=1 exec unshare --net -- bash "$0" "$@"
  fi
  ip link set lo up || fail "cannot bring loopback up in the namespace"
}

need_tool() {
  [ -n "$1" ] && [ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || fail "$2"
}

PIDS=()
TMP=$(mktemp -d /tmp/ntpauth-srvtest.XXXXXX)
chmod 755 "$TMP"
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  if [ -n "${KEEP_TMP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# The shared test keys (ntpd/ntpsec format): MD5 1, SHA1 11, AES128CMAC 21, SHA256 31, and
# SHA1 40 which the server does not trust.
write_keys() {
  cat > "$1" <<'KEYS'
1 MD5 abcdefghijklmnopqrst
11 SHA1 933f62be1d604e68a81b557f18cfa200483f5b70
21 AES128CMAC 7ea62ae64d190114d46d5a082f948ec1
31 SHA256 c2a7f7e0d3b4c5a6978867564534231201f0e0d0c0b0a090807060504030201a
40 SHA1 4a6d4f0b12c4e3d2a1908f7e6d5c4b3a29180706
KEYS
  chmod 600 "$1"
}
# Same IDs, other secrets: what a client with the wrong key sends.
write_wrong_keys() {
  cat > "$1" <<'KEYS'
1 MD5 zyxwvutsrqponmlkjihg
11 SHA1 0123456789abcdef0123456789abcdef01234567
21 AES128CMAC 00112233445566778899aabbccddeeff
KEYS
  chmod 600 "$1"
}
# chrony's spelling of the same keys.
write_chrony_keys() {
  cat > "$1" <<'KEYS'
1 MD5 ASCII:abcdefghijklmnopqrst
11 SHA1 HEX:933f62be1d604e68a81b557f18cfa200483f5b70
21 AES128 HEX:7ea62ae64d190114d46d5a082f948ec1
31 SHA256 HEX:c2a7f7e0d3b4c5a6978867564534231201f0e0d0c0b0a090807060504030201a
KEYS
  chmod 600 "$1"
}

# start_server CONF LOG: runs ntpauth-server -n without CAP_SYS_TIME, waits for "started".
SERVER_PID=
start_server() {
  local conf=$1 log=$2 i
  need_tool "${NTPAUTH_SERVER:-}" "NTPAUTH_SERVER is not set (run through ctest)"
  $NOCLOCK "$NTPAUTH_SERVER" -c "$conf" -n > "$log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for i in $(seq 1 50); do
    grep -q "started" "$log" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log" >&2; fail "ntpauth-server exited during start-up"; }
    sleep 0.1
  done
  cat "$log" >&2
  fail "ntpauth-server did not start within 5 s"
}

# stop_server: SIGTERM, expect exit status 0 within 5 s.
stop_server() {
  local i
  kill -TERM "$SERVER_PID" 2>/dev/null || fail "server $SERVER_PID is not running"
  for i in $(seq 1 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$SERVER_PID" 2>/dev/null && fail "server did not exit within 5 s of SIGTERM"
  wait "$SERVER_PID"
  local rc=$?
  [ "$rc" = 0 ] || fail "server exited with status $rc after SIGTERM (expected 0)"
}

# start_chronyd CONF LOG: chronyd -x -d as root, waits until it answers on its port.
CHRONY_PID=
start_chronyd() {
  local conf=$1 log=$2
  need_tool "$CHRONYD" "chronyd not found at $CHRONYD (scripts/setup unpacks it)"
  $NOCLOCK "$CHRONYD" -x -d -u root -f "$conf" > "$log" 2>&1 &
  CHRONY_PID=$!
  PIDS+=("$CHRONY_PID")
  sleep 0.5
  kill -0 "$CHRONY_PID" 2>/dev/null || { cat "$log" >&2; fail "chronyd exited during start-up"; }
}

# Common start of the tests driven by ntpauth-query and python3: both present, Q set, the shared
# keys in $TMP/ntp.keys.
need_query_and_python() {
  need_tool "${NTPAUTH_QUERY:-}" "NTPAUTH_QUERY is not set (run through ctest)"
  need_tool python3 "python3 is missing"
  Q=$NTPAUTH_QUERY
  write_keys "$TMP/ntp.keys"
}
