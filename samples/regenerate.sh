#!/bin/bash
# samples/regenerate.sh - re-records the sample captures.
#
#   samples/regenerate.sh [--live | --deterministic | --all] [-B BUILD_DIR] [-O DIR] [NAME...]
#
# --live (default): runs our own ntpauth-server (its `pcap` tap records each case) and our own
#   client ntpauth-query (plus ntpsec's ntpdig for the long-MAC cases, and chrony 4.3's chronyd -Q
#   in chrony-client.pcap) on loopback inside a private network and IPC namespace
#   (unshare --net --ipc), one server run per capture, and writes samples/NAME.pcap. The
#   stratum-1 case feeds the server from ntpauth-sim-shm (`refclock shm unit 7 refid GPS`).
#   Needs root. The daemons run without CAP_SYS_TIME and never touch the clock. With NAMEs
#   (e.g. kod-rate) only those captures are re-recorded.
# --deterministic: writes samples/deterministic/*.pcap with ntpauth-samplegen (fixed clock, fixed
#   keys, fixed-seed bytes): the same bytes every time.
# -O DIR writes the live captures into DIR instead of samples/ (the ctest does this).
# Afterwards the verdict counts of every capture are printed (ntpauth-analyze) next to what
# samples/EXPECTED says, and the exit status is 1 when they differ: then update EXPECTED and
# README.md together (or find out what changed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=$repo/build
what=live
only=""
out=$here
while [ $# -gt 0 ]; do
  case $1 in
    --live) what=live ;;
    --deterministic) what=deterministic ;;
    --all) what=all ;;
    -B) build=$(cd "${2:?-B needs a build folder}" && pwd); shift ;;
    -O) mkdir -p "${2:?-O needs a folder}" && out=$(cd "$2" && pwd) || exit 2; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "regenerate.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    *) only="$only $1" ;;
  esac
  shift
done

KEYS=$here/ntp.keys
SERVER=$build/server/ntpauth-server
QUERY=$build/tools/query/ntpauth-query
SIMSHM=$build/tools/sim/ntpauth-sim-shm
SAMPLEGEN=$build/samples/ntpauth-samplegen
CHRONYD=${NTPAUTH_PEERS:-/opt/ntpauth-peers}/chrony/usr/sbin/chronyd
ANALYZE=$build/analyzer/ntpauth-analyze

need() { for f in "$@"; do [ -x "$f" ] || { echo "regenerate.sh: $f is missing: build first (cmake --build $build)" >&2; exit 2; }; done; }

report_counts() {   # DIR PREFIX: verdict counts per capture vs EXPECTED
  [ -x "$ANALYZE" ] || { echo "(ntpauth-analyze not built: counts not checked)"; return 0; }
  local f name got want status=0
  for f in "$1"/*.pcap; do
    name=$2$(basename "$f")
    got=$("$ANALYZE" --format jsonl "$f" -k "$KEYS" 2>/dev/null |
          python3 -c 'import sys,json,collections
c=collections.Counter(json.loads(l).get("verdict") for l in sys.stdin if l.strip() and "summary" not in json.loads(l))
print(" ".join("%s=%d"%(k,c[k]) for k in ["good","bad_mac","unknown_key","untrusted_key","crypto_nak","no_auth","nts","mssntp","malformed"] if c[k]))')
    want=$(awk -v n="$name" '$1 == n {$1=""; sub(/^ /,""); print}' "$here/EXPECTED" 2>/dev/null)
    if [ "$got" = "$want" ]; then
      printf '  %-40s %s\n' "$name" "$got"
    else
      printf '  %-40s %s   (EXPECTED: %s)\n' "$name" "$got" "${want:-none}"
      status=1
    fi
  done
  [ $status -eq 0 ] || echo "Some counts differ from samples/EXPECTED: update EXPECTED and README.md together."
  return $status
}

deterministic() {
  need "$SAMPLEGEN"
  mkdir -p "$here/deterministic"
  rm -f "$here"/deterministic/*.pcap
  "$SAMPLEGEN" -k "$KEYS" -o "$here/deterministic" || exit 1
  echo "samples/deterministic/: $(ls "$here/deterministic" | wc -l) captures"
  report_counts "$here/deterministic" deterministic/
}

# ------------------------------------------------------------------------------------------------
# Live recording (runs inside the namespaces).

server_pid=""
sim_pid=""
stop_pid() {   # PID: TERM, wait up to 5 s, then KILL
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  stop_pid "$server_pid"; server_pid=""
  stop_pid "$sim_pid"; sim_pid=""
  ipcrm -M 0x4e545037 2>/dev/null   # SHM unit 7
  [ -n "${tmp:-}" ] && rm -rf "$tmp"
}

start_server() {   # NAME EXTRA_CONFIG_LINES
  cat >"$tmp/$1.conf" <<EOF
keys $KEYS
listen 127.0.0.1:123
listen [::1]:123
crypto-nak yes
pcap $tmp/out/$1.pcap
user root
logfile $tmp/$1.log
status-socket $tmp/status.sock
$2
EOF
  setpriv --inh-caps=-sys_time --bounding-set=-sys_time "$SERVER" -c "$tmp/$1.conf" -n \
    >"$tmp/$1.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do
    ss -lunp 2>/dev/null | grep '127.0.0.1:123 ' | grep -q "pid=$server_pid," && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "regenerate.sh: ntpauth-server did not start for $1:" >&2
  cat "$tmp/$1.out" "$tmp/$1.log" >&2 2>/dev/null
  return 1
}

q() { "$QUERY" -k "$KEYS" "$@" 127.0.0.1:123 >>"$tmp/clients.log" 2>&1; true; }
dig() { timeout 20 ntpdig -t 2 -k "$KEYS" "$@" 127.0.0.1 >>"$tmp/clients.log" 2>&1; true; }

# chronyd -Q as a one-shot client with key ID $1. chrony needs HEX: for hex keys, so it gets
# a converted copy of ntp.keys (ntpd -> chrony dialect, same secrets, same IDs).
chrony_client() {
  [ -f "$tmp/chrony.keys" ] || awk '!/^#/ && NF >= 3 {
      t = $2; if (t == "AES128CMAC") t = "AES128"
      if (length($3) > 20) print $1, t, "HEX:" $3; else print $1, t, "ASCII:" $3 }' \
      "$KEYS" >"$tmp/chrony.keys"
  cat >"$tmp/chronyd.conf" <<EOF
server 127.0.0.1 port 123 key $1 iburst
keyfile $tmp/chrony.keys
pidfile $tmp/chronyd.pid
driftfile $tmp/chronyd.drift
cmdport 0
port 0
EOF
  timeout 30 setpriv --inh-caps=-sys_time --bounding-set=-sys_time \
    "$CHRONYD" -Q -x -u root -t 10 -f "$tmp/chronyd.conf" >>"$tmp/clients.log" 2>&1; true
}

# record NAME "CONFIG LINES" CLIENT-COMMAND...
record() {
  local name=$1 extra=$2; shift 2
  if [ -n "$only" ] && ! [[ " $only " == *" $name "* ]]; then return 0; fi
  echo "== $name: $*" >>"$tmp/clients.log"
  start_server "$name" "$extra" || return 1
  "$@"
  sleep 0.3   # the last reply reaches the tap before SIGTERM
  stop_pid "$server_pid"; server_pid=""
  [ -s "$tmp/out/$name.pcap" ] || { echo "regenerate.sh: $name.pcap is empty" >&2; return 1; }
}

several() { local c; for c in "$@"; do eval "$c"; done; }

wait_stratum1() {   # until the server reports stratum 1 on its status socket (max 30 s)
  for _ in $(seq 60); do
    "$QUERY" --status "$tmp/status.sock" 2>/dev/null | grep -qiE 'stratum[ :=]*1\b' && return 0
    sleep 0.5
  done
  echo "regenerate.sh: the server did not reach stratum 1 from the SHM refclock" >&2
  "$QUERY" --status "$tmp/status.sock" >&2
  return 1
}

gps() {
  wait_stratum1 || return 1
  q -a 16 -n 3 --interval 1
}

live_inside() {
  tmp=$(mktemp -d /tmp/ntpauth-regenerate.XXXXXX)
  trap cleanup EXIT
  trap 'exit 1' INT TERM
  mkdir "$tmp/out"
  ip link set lo up
  local st=0
  L="local stratum 2"
  record unauth               "$L" several "q -n 2" "q -o 3" || st=1
  record md5                  "$L" several "q --scenario md5" "q -a 5" "dig -a 1" || st=1
  record sha1                 "$L" several "q --scenario sha1" "q -a 15" "dig -a 19" || st=1
  record aes128cmac           "$L" several "q --scenario aes-cmac" "dig -a 21" || st=1
  record sha256-v4-truncated  "$L" q --scenario sha256 || st=1
  record sha256-v3-full       "$L" q --scenario sha256-v3-full || st=1
  record wrong-key-crypto-nak "$L" q --scenario wrong-key || st=1
  record unknown-key          "$L" q --scenario unknown-key || st=1
  record ntpv3                "$L" several "q --scenario md5-v3" "q --scenario sha1-v3" "q --scenario unauth-v3" || st=1
  record ipv6                 "$L" q --scenario ipv6 --host6 ::1 || st=1
  record ef-with-mac          "$L" several "q --scenario ef16-mac" "q --scenario ef28-mac" || st=1
  record nts-ef               "$L" q --scenario nts || st=1
  record kod-rate             "$L
ratelimit interval 3 burst 4" q --scenario kod || st=1
  record symmetric            "$L" q --scenario symmetric || st=1
  record malformed            "$L" q --scenario malformed || st=1
  record wireshark-missplit   "$L" several "dig -a 20" "dig -a 32" || st=1
  # Real chrony 4.3 as the client: SHA256 key 31 makes it pick NTPv3 with full 32-byte MACs on
  # its own; AES128 key 21 stays NTPv4.
  record chrony-client        "$L" several "chrony_client 31" "chrony_client 21" || st=1
  # Stratum 1 from a simulated GPS through gpsd's SHM protocol, in this IPC namespace only.
  if [ -z "$only" ] || [[ " $only " == *" gps-stratum1 "* ]]; then
    "$SIMSHM" --unit 7 --interval 1 --remove >"$tmp/sim.log" 2>&1 &
    sim_pid=$!
    record gps-stratum1 "refclock shm unit 7 refid GPS" gps || st=1
    stop_pid "$sim_pid"; sim_pid=""
  fi

  if [ $st -ne 0 ]; then
    echo "regenerate.sh: some recordings failed; samples/ left unchanged. Client log:" >&2
    cat "$tmp/clients.log" >&2
    return 1
  fi
  if ! ls "$tmp"/out/*.pcap >/dev/null 2>&1; then
    echo "regenerate.sh: nothing recorded (unknown capture name in:$only?)" >&2
    return 1
  fi
  [ -n "$only" ] || rm -f "$out"/*.pcap
  cp "$tmp"/out/*.pcap "$out/"
  chmod 644 "$out"/*.pcap
  echo "$out: $(ls "$out"/*.pcap | wc -l) live captures ($(du -ch "$out"/*.pcap | tail -1 | cut -f1))"
}

live() {
  need "$SERVER" "$QUERY" "$SIMSHM" "$CHRONYD"
  for t in unshare setpriv ntpdig ss ip ipcrm python3; do
    command -v $t >/dev/null || { echo "regenerate.sh: $t is missing (run scripts/setup)" >&2; exit 2; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "regenerate.sh: --live needs root (network namespace)" >&2; exit 2; }
  NTPAUTH_REGEN_INSIDE=1 unshare --net --ipc "$0" --live -B "$build" -O "$out" $only || exit 1
  report_counts "$out" ""
}

if [ -n "${NTPAUTH_REGEN_INSIDE:-}" ]; then
  live_inside
  exit $?
fi
case $what in
  live) live ;;
  deterministic) deterministic ;;
  all) deterministic; st=$?; live || exit 1; exit $st ;;
esac
