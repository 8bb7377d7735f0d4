#!/bin/bash
# record-nts.sh OUTDIR - records chronyd 4.3 using NTS (RFC 8915) against chronyd 4.3 on loopback.
#
# In a private network namespace (re-executes itself under `unshare --net`), with tcpdump on lo
# writing OUTDIR/nts.pcap (UDP 123 and NTS-KE on TCP 4460):
#   1. chronyd serves NTS with a self-signed certificate made here by openssl;
#   2. a chronyd client (SSLKEYLOGFILE=OUTDIR/keylog.txt, ntsdumpdir) runs a few seconds: NTS-KE
#      session 1, then requests; at exit it saves its keys and cookies (copied to OUTDIR/dump1);
#   3. the server restarts with fresh cookie keys, so the saved cookies become invalid;
#   4. the client starts again from its dump: its first request gets an NTS NAK (KoD NTSN), it
#      runs NTS-KE session 2 and goes on; its dump at exit is OUTDIR/dump2.
# Daemons run with -x and without CAP_SYS_TIME; all are stopped by PID; every wait is bounded.
# The keys are throw-away test keys (new every run).
set -u

outdir=${1:?usage: record-nts.sh OUTDIR}
peers=${NTPAUTH_PEERS:-/opt/ntpauth-peers}
CHRONYD=$peers/chrony/usr/sbin/chronyd
die() { echo "record-nts.sh: $*" >&2; exit 1; }

if [ "${NTPAUTH_NTS_INNER:-}" != 1 ]; then
  [ -x "$CHRONYD" ] || die "missing $CHRONYD (run scripts/setup)"
  mkdir -p "$outdir" || die "cannot create $outdir"
  exec env NTPAUTH_NTS_INNER=1 unshare --net "$0" "$@"
fi

outdir=$(cd "$outdir" && pwd)
tmp=$(mktemp -d /tmp/ntpauth-nts.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' TERM INT   # (a timeout): still stop the daemons
ip link set lo up || die "cannot bring lo up"
nocap=(setpriv --inh-caps=-sys_time --bounding-set=-sys_time)   # an array: $! must be the daemon

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1 2>"$tmp/openssl.log" || die "openssl: $(cat "$tmp/openssl.log")"
mkdir -p "$tmp/cdump"
cat >"$tmp/server.conf" <<CONF
pidfile $tmp/server.pid
driftfile $tmp/server.drift
cmdport 0
port 123
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 8
ntsserverkey $tmp/key.pem
ntsservercert $tmp/cert.pem
ntsport 4460
CONF
cat >"$tmp/client.conf" <<CONF
pidfile $tmp/client.pid
driftfile $tmp/client.drift
cmdport 0
port 0
server 127.0.0.1 iburst nts minpoll -2 maxpoll -2
ntstrustedcerts $tmp/cert.pem
ntsdumpdir $tmp/cdump
CONF

rm -f "$outdir/nts.pcap" "$outdir/keylog.txt"
tcpdump -i lo -U -Z root -w "$outdir/nts.pcap" 'udp port 123 or tcp port 4460' \
  2>"$tmp/tcpdump.log" & tcpdump_pid=$!
pids+=("$tcpdump_pid")
for _ in $(seq 50); do grep -q listening "$tmp/tcpdump.log" && break; sleep 0.1; done

start_server() {
  "${nocap[@]}" "$CHRONYD" -x -d -u root -f "$tmp/server.conf" 2>>"$tmp/server.log" & server_pid=$!
  pids+=("$server_pid")
  sleep 0.5
}
stop() { kill "$1" 2>/dev/null; timeout 10 tail --pid="$1" -f /dev/null; }
run_client() {   # SECONDS
  SSLKEYLOGFILE=$outdir/keylog.txt "${nocap[@]}" "$CHRONYD" -x -d -u root -f "$tmp/client.conf" \
    2>>"$tmp/client.log" & client_pid=$!
  pids+=("$client_pid")
  sleep "$1"
  stop "$client_pid"
}

start_server
run_client 2.5
rm -rf "$outdir/dump1" "$outdir/dump2"
mkdir -p "$outdir/dump1" "$outdir/dump2"
cp "$tmp/cdump/"*.nts "$outdir/dump1/" || die "the client saved no dump ($(tail -3 "$tmp/client.log"))"
stop "$server_pid"
start_server
run_client 2.5
cp "$tmp/cdump/"*.nts "$outdir/dump2/" || die "the client saved no second dump"
stop "$server_pid"
sleep 0.3
stop "$tcpdump_pid"
n=$(grep -c EXPORTER_SECRET "$outdir/keylog.txt" 2>/dev/null)
[ "${n:-0}" -ge 2 ] || die "expected 2 EXPORTER_SECRET lines in the key log, found ${n:-0}"
echo "record-nts.sh: $outdir/nts.pcap, keylog.txt ($n sessions), dump1/, dump2/"
