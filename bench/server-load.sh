#!/bin/bash
# server-load.sh - MAC'd replies per second and loss: ntpauth-server vs chronyd -x, same SHA1 key,
# over loopback in a private network namespace, without and with 20 % junk (malformed packets and
# wrong MACs). A benchmark, not a test: it prints figures and the ratio against chronyd.
#
#   bench/server-load.sh [BUILD_DIR] [SECONDS]      (as root; default build dir: build)
#   env: ROUNDS=N (default 3), PCAP=1 (server records its traffic while measured)
set -u
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-$here/../build}" && pwd) || exit 2
SECONDS_PER_RUN=${2:-5}
PEERS=${NTPAUTH_PEERS:-/opt/ntpauth-peers}
CHRONYD=$PEERS/chrony/usr/sbin/chronyd
SERVER=$BUILD/server/ntpauth-server
GEN=$BUILD/bench/server_load_bench
NOCLOCK="setpriv --inh-caps=-sys_time --bounding-set=-sys_time"

[ "$(id -u)" = 0 ] || { echo "run as root (network namespace)"; exit 2; }
for f in "$SERVER" "$GEN" "$CHRONYD"; do [ -x "$f" ] || { echo "missing $f (build ntpauth-server and server_load_bench)"; exit 2; }; done

if [ -z "${NTPAUTH_IN_NETNS:-}" ]; then
  NTPAUTH_IN_NETNS=1 exec unshare --net -- bash "$0" "$BUILD" "$SECONDS_PER_RUN"
fi
ip link set lo up

tmp=$(mktemp -d /tmp/ntpauth-load.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT

cat > "$tmp/ntp.keys" <<'KEYS'
11 SHA1 933f62be1d604e68a81b557f18cfa200483f5b70
KEYS
cat > "$tmp/chrony.keys" <<'KEYS'
11 SHA1 HEX:933f62be1d604e68a81b557f18cfa200483f5b70
KEYS
chmod 600 "$tmp"/*.keys
cat > "$tmp/server.conf" <<CONF
keys $tmp/ntp.keys
trustedkey 11
listen 127.0.0.1:11123
local stratum 8
status-socket $tmp/status.sock
CONF
# PCAP=1: also record all traffic with the server's pcap tap (flushed per packet).
[ -n "${PCAP:-}" ] && echo "pcap $tmp/load.pcap" >> "$tmp/server.conf"
# chronyd: no `ratelimit` directive, so NTP requests are not rate limited (chrony's default).
cat > "$tmp/chronyd.conf" <<CONF
port 11124
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 8
keyfile $tmp/chrony.keys
pidfile $tmp/chronyd.pid
driftfile $tmp/chronyd.drift
cmdport 0
CONF
$NOCLOCK "$SERVER" -c "$tmp/server.conf" -n > "$tmp/server.log" 2>&1 & pids+=($!)
$NOCLOCK "$CHRONYD" -x -d -u root -f "$tmp/chronyd.conf" > "$tmp/chronyd.log" 2>&1 & pids+=($!)
sleep 1
kill -0 "${pids[0]}" 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
kill -0 "${pids[1]}" 2>/dev/null || { cat "$tmp/chronyd.log"; exit 1; }

ROUNDS=${ROUNDS:-3}
echo "ntpauth server load: SHA1 key 11, ${SECONDS_PER_RUN} s per run, 16 sockets x 16 requests in flight,"
echo "loopback, $ROUNDS alternating rounds per case (figures: median of the rounds; the machine is shared)"
status=0
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }
for bad in 0 20; do
  for who in ntpauth-server:11123 chronyd:11124; do : > "$tmp/${who%%:*}-$bad.txt"; done
  for round in $(seq 1 "$ROUNDS"); do
    for who in ntpauth-server:11123 chronyd:11124; do
      name=${who%%:*} port=${who##*:}
      line=$("$GEN" -k "$tmp/ntp.keys" -a 11 -t "$SECONDS_PER_RUN" --bad $bad --label "$name" "127.0.0.1:$port") || status=1
      echo "$line"
      echo "$line" >> "$tmp/$name-$bad.txt"
    done
  done
  for name in ntpauth-server chronyd; do
    r=$(grep -o 'macd_per_s=[0-9]*' "$tmp/$name-$bad.txt" | cut -d= -f2 | median)
    l=$(grep -o 'loss_pct=[0-9.]*' "$tmp/$name-$bad.txt" | cut -d= -f2 | median)
    eval "rate_${name//-/_}=$r loss_${name//-/_}=$l"
  done
  printf '%-40s ntpauth-server %8s/s (loss %s%%)   chronyd %8s/s (loss %s%%)   ratio %s\n' \
    "MAC'd replies, ${bad}% junk:" "$rate_ntpauth_server" "$loss_ntpauth_server" "$rate_chronyd" "$loss_chronyd" \
    "$(awk -v a="$rate_ntpauth_server" -v b="$rate_chronyd" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
grep -h -o 'oversize_replies=[0-9]*\|max_reply_request_ratio=[0-9.]*' "$tmp"/*-*.txt | sort | uniq -c | sed 's/^/  /'
kill -0 "${pids[0]}" 2>/dev/null || { echo "ntpauth-server died during the run"; status=1; }
exit $status
