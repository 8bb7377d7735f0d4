#!/bin/bash
# Keys made by ntpauth-keygen work in the real peers against our own server, on loopback in a
# private network namespace, every daemon without CAP_SYS_TIME:
#  - ntpd dialect (-M + AES128CMAC 21, + ntpsec's "AES" 22): ntpsec's ntpdig -k FILE -a ID gets
#    verified replies from ntpauth-server for MD5 1, SHA1 11 and AES-CMAC 21 and 22, and fails
#    with another file's keys;
#  - chrony dialect (-M + AES128 21): chronyd -Q measures an offset with MD5 1, SHA1 11 and
#    AES128 21, and gets nothing usable with another file's keys.
# usage: keygen_interop.sh NTPAUTH_KEYGEN NTPAUTH_SERVER
set -u
KEYGEN=${1:?usage: keygen_interop.sh NTPAUTH_KEYGEN NTPAUTH_SERVER}
SERVER=${2:?usage: keygen_interop.sh NTPAUTH_KEYGEN NTPAUTH_SERVER}
CHRONYD=${NTPAUTH_PEERS:-/opt/ntpauth-peers}/chrony/usr/sbin/chronyd

missing=""
for tool in "$KEYGEN" "$SERVER" "$CHRONYD"; do [ -x "$tool" ] || missing="$missing $tool"; done
for tool in ntpdig unshare setpriv ip ss; do command -v $tool >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
  echo "FAIL: missing:$missing (run scripts/setup)"
  exit 1
fi

# Re-run inside a fresh network namespace: ntpdig only talks to port 123.
if [ -z "${NTPAUTH_IN_NETNS:-}" ]; then
  exec env NTPAUTH_IN_NETNS=1 unshare --net "$0" "$@"
fi
ip link set lo up

tmp=$(mktemp -d /tmp/ntpauth-keygen-interop.XXXXXX)
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}
trap 'stop_server; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# The server's per-key counters (logged when it stops) prove the requests really were
# authenticated: a client that cannot read a key would send an unauthenticated request instead.
check_server_counted() {   # NAME ID...
  local name=$1 id; shift
  for id in "$@"; do
    grep -Eq "key $id: good=[1-9]" "$tmp/$name.log" && ok "ntpauth-server verified key $id requests" ||
      fail "ntpauth-server logged no good request with key $id: $(grep -E 'key [0-9]+:' "$tmp/$name.log" | tr '\n' ' ')"
  done
}

start_server() {   # KEYFILE NAME
  cat >"$tmp/$2.conf" <<EOF
keys $1
listen 127.0.0.1:123
local stratum 3
pcap $tmp/$2.pcap
user root
logfile $tmp/$2.log
EOF
  # Started directly (not through a function) so that $! is the server itself.
  setpriv --inh-caps=-sys_time --bounding-set=-sys_time "$SERVER" -c "$tmp/$2.conf" -n \
    >"$tmp/$2.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do
    ss -lunp 2>/dev/null | grep '127.0.0.1:123 ' | grep -q "pid=$server_pid," && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  fail "ntpauth-server did not start: $(cat "$tmp/$2.out" "$tmp/$2.log" 2>/dev/null)"
  return 1
}

# --- ntpd dialect with ntpsec's ntpdig ----------------------------------------------------------
mkdir "$tmp/ntpd" "$tmp/other"
"$KEYGEN" -q -M -o "$tmp/ntpd" && "$KEYGEN" -q --append "$tmp/ntpd/ntp.keys" -t AES128CMAC -n 1 --first 21 &&
"$KEYGEN" -q --append "$tmp/ntpd/ntp.keys" --dialect ntpsec -t AES -n 1 --first 22 &&
"$KEYGEN" -q -M -o "$tmp/other" && "$KEYGEN" -q --append "$tmp/other/ntp.keys" -t AES128CMAC -n 1 --first 21 ||
  { fail "ntpauth-keygen failed"; exit 1; }

if start_server "$tmp/ntpd/ntp.keys" ntpd; then
  grep -q '^22 AES ' "$tmp/ntpd/ntp.keys" || fail "no ntpsec-style '22 AES' line: $(tail -1 "$tmp/ntpd/ntp.keys")"
  for id in 1 11 21 22; do
    if out=$(timeout 20 ntpdig -t 2 -k "$tmp/ntpd/ntp.keys" -a $id 127.0.0.1 2>&1) && [[ $out == *" s3 "* ]]; then
      ok "ntpdig -a $id with the generated keyfile: $out"
    else
      fail "ntpdig -a $id: $out"
    fi
  done
  if out=$(timeout 20 ntpdig -t 2 -k "$tmp/other/ntp.keys" -a 11 127.0.0.1 2>&1); then
    fail "ntpdig accepted a reply signed with another key: $out"
  else
    ok "ntpdig with another file's key 11 fails"
  fi
  stop_server
  check_server_counted ntpd 1 11 21 22
fi

# --- chrony dialect with chronyd -Q ---------------------------------------------------------------
mkdir "$tmp/chrony" "$tmp/chrony-other"
"$KEYGEN" -q -M --dialect chrony -o "$tmp/chrony" &&
"$KEYGEN" -q --append "$tmp/chrony/chrony.keys" -t AES128 -n 1 --first 21 &&
"$KEYGEN" -q -M --dialect chrony -o "$tmp/chrony-other" ||
  { fail "ntpauth-keygen --dialect chrony failed"; exit 1; }

chrony_query() {   # KEYFILE ID TIMEOUT
  cat >"$tmp/chronyd.conf" <<EOF
server 127.0.0.1 port 123 key $2 iburst
keyfile $1
pidfile $tmp/chronyd.pid
driftfile $tmp/chronyd.drift
cmdport 0
port 0
EOF
  timeout 30 setpriv --inh-caps=-sys_time --bounding-set=-sys_time \
    "$CHRONYD" -Q -x -u root -t "$3" -f "$tmp/chronyd.conf" 2>&1
}

if start_server "$tmp/chrony/chrony.keys" chrony; then
  for id in 1 11 21; do
    out=$(chrony_query "$tmp/chrony/chrony.keys" $id 10); rc=$?
    if [ $rc -eq 0 ] && grep -q "System clock wrong by" <<<"$out"; then
      ok "chronyd -Q key $id with the generated chrony keyfile: $(grep -o 'System clock wrong by.*' <<<"$out")"
    else
      fail "chronyd -Q key $id (exit $rc): $out"
    fi
  done
  out=$(chrony_query "$tmp/chrony-other/chrony.keys" 11 4)
  if grep -q "System clock wrong by" <<<"$out"; then
    fail "chronyd -Q measured an offset with another file's key 11: $out"
  else
    ok "chronyd -Q with another file's key 11 gets no measurement"
  fi
  stop_server
  check_server_counted chrony 1 11 21
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
