#!/bin/sh
# record.sh SCENARIO OUTDIR - records one real-peer capture on loopback.
#
# Runs inside its own network namespace (re-executes itself under `unshare --net`), with
# tcpdump on lo writing OUTDIR/SCENARIO.pcap. Daemons run without CAP_SYS_TIME (chronyd also
# with -x); every one is stopped by PID on every exit path, and every wait is bounded.
#
# Scenarios:
#   ntpsec-server   ntpsec ntpd serves ntpdig (-k -a) and chronyd -Q clients, every key type,
#                   plus a wrong secret, an untrusted key and an unknown key
#   ntpq-mode6      ntpq (mode 6) with authenticated requests: MD5, SHA1, SHA256, SHA512, AES,
#                   wrong secret, an error reply (bad association) and a refused :config
#   mode6-truncated mode 6 requests with 20-byte truncated SHA256/384/512 MACs (mode6_client.py)
#                   so ntpd signs its replies with long-digest keys, incl. error replies
#   ntpsec-symmetric ntpd and chronyd both configured as `peer` with key 33, a 128-hex-digit
#                   SHA512 key (ntpsec uses only its first 32 bytes); ntpsec 1.2.2 sends mode 3,
#                   chronyd mode 1 and answers ntpd with mode 4
#   chrony-plainkeys chronyd serves chronyd -Q clients from a keyfile without HEX:/ASCII:
#                   prefixes (long ASCII secrets, one that looks like hex)
#   chrony-server   chronyd serves ntpsec ntpd (SHA1, AES), chronyd -Q (NTPv3 full-length
#                   SHA256/384/512, NTPv4, key ID > 65535, prefix-less ASCII key) and ntpdig
#   keyfile-ntpsec  ntpd serves from a keyfile with ntpsec's reading rules (CR kept, atoi ID,
#                   CMAC keys cut to 16 bytes, SHA-1 alias, duplicate ID, a two-field line, an
#                   odd hex digit count); ntpdig uses a plain file holding what we believe ntpsec
#                   reads, so a verified reply proves that reading
#   keyfile-chrony  the same for chronyd (CR stripped, sscanf ID, bare hex read as ASCII) with
#                   chronyd -Q clients
set -u

here=$(cd "$(dirname "$0")" && pwd)
scenario=${1:?usage: record.sh SCENARIO OUTDIR}
outdir=${2:?usage: record.sh SCENARIO OUTDIR}
peers=${NTPAUTH_PEERS:-/opt/ntpauth-peers}
keys=$here/keys

NTPD=$peers/ntpsec/usr/sbin/ntpd
NTPQ=$peers/ntpsec/usr/bin/ntpq
CHRONYD=$peers/chrony/usr/sbin/chronyd
NTPDIG=$(command -v ntpdig || true)
# reuseaddr_shim.so (built by CMake): preloaded into ntpd and chronyd when chronyd serves too
SHIM=${NTPAUTH_INTEROP_SHIM:-}

die() { echo "record.sh: $*" >&2; exit 1; }

if [ "${NTPAUTH_INTEROP_INNER:-}" != 1 ]; then
  for t in "$NTPD" "$NTPQ" "$CHRONYD"; do [ -x "$t" ] || die "missing peer binary $t (run scripts/setup)"; done
  for t in tcpdump setpriv unshare ip timeout; do
    command -v $t >/dev/null || die "missing tool $t (run scripts/setup)"
  done
  case $scenario in ntpsec-symmetric|chrony-server)
    [ -r "$SHIM" ] || die "set NTPAUTH_INTEROP_SHIM to the built reuseaddr_shim.so";; esac
  [ -n "$NTPDIG" ] || die "missing ntpdig (package ntpsec-ntpdig; run scripts/setup)"
  [ "$(id -u)" = 0 ] || die "must run as root (network namespace, port 123)"
  mkdir -p "$outdir" || die "cannot create $outdir"
  outdir=$(cd "$outdir" && pwd)
  case $scenario in ntpsec-symmetric|chrony-server) ;; *) SHIM="";; esac
  export NTPAUTH_INTEROP_SHIM="$SHIM"
  NTPAUTH_INTEROP_INNER=1 exec unshare --net "$0" "$scenario" "$outdir"
fi

work=$(mktemp -d /tmp/ntpauth-interop.XXXXXX) || die "mktemp failed"
chmod 755 "$work"
pids=""
cleanup() {
  if [ -n "${NTPAUTH_INTEROP_KEEP_LOGS:-}" ]; then
    mkdir -p "$NTPAUTH_INTEROP_KEEP_LOGS/$scenario" &&
      cp "$work"/*.log "$work"/*.out "$work"/*.conf "$NTPAUTH_INTEROP_KEEP_LOGS/$scenario/" 2>/dev/null
  fi
  for p in $pids; do kill "$p" 2>/dev/null; done
  # bounded wait for them to go away
  for p in $pids; do
    n=0
    while kill -0 "$p" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    kill -9 "$p" 2>/dev/null
  done
  pids=""
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Daemons run as `$NOCAP CMD &` (not through a shell function, which would fork a subshell
# whose PID is not the daemon's): setpriv and env exec, so $! is the daemon's own PID.
NOCAP="setpriv --inh-caps=-sys_time --bounding-set=-sys_time env"
log() { echo "[$scenario] $*"; }

ip link set lo up || die "cannot bring lo up"
# ntpd accepts no 127.x server or peer address except 127.0.0.1, and it listens on every
# loopback address it finds (its interface rules do not apply to loopback). So where chronyd
# serves too, lo carries 127.0.0.2/8 instead of 127.0.0.1/8: ntpd binds 127.0.0.2:123 (and the
# wildcard) while chronyd binds 127.0.0.1:123, which stays local through the 127.0.0.0/8 route;
# both run with reuseaddr_shim.so preloaded. Otherwise ntpd is on 127.0.0.1.
if [ -n "$SHIM" ]; then
  # delete first: removing a primary address also removes its secondaries
  ip addr del 127.0.0.1/8 dev lo || die "cannot remove 127.0.0.1 from lo"
  ip addr add 127.0.0.2/8 dev lo || die "cannot add 127.0.0.2 to lo"
  NTPD_ADDR=127.0.0.2 CHRONY_ADDR=127.0.0.1
else
  NTPD_ADDR=127.0.0.1 CHRONY_ADDR=none
fi

pcap=$outdir/$scenario.pcap
rm -f "$pcap"
tcpdump -i lo -U -Z root -s 0 -w "$pcap" udp 2>"$work/tcpdump.log" &
pids="$pids $!"
n=0
while ! grep -q 'listening on' "$work/tcpdump.log" 2>/dev/null; do
  n=$((n + 1)); [ $n -gt 100 ] && die "tcpdump did not start: $(cat "$work/tcpdump.log")"
  sleep 0.1
done

# ntpd_conf FILE EXTRA...: a non-disciplining ntpsec config (ntpd listens on $NTPD_ADDR).
ntpd_conf() {
  f=$1; shift
  cat > "$f" <<EOF
driftfile $work/$(basename "$f").drift
statsdir $work/
keys ${NTPD_KEYS:-$keys/ntpsec-server.keys}
disable ntp
disable kernel
restrict default
restrict 127.0.0.1
restrict 127.0.0.2
restrict ::1
EOF
  for line in "$@"; do echo "$line" >> "$f"; done
}

start_ntpd() {  # start_ntpd NAME CONF
  $NOCAP ${SHIM:+LD_PRELOAD=$SHIM} "$NTPD" -n -c "$2" -l "$work/$1.log" -p "$work/$1.pid" \
    >"$work/$1.out" 2>&1 &
  last_pid=$!   # -n keeps ntpd in the foreground: this is ntpd's PID
  pids="$pids $last_pid"
}

stop_last() {  # stops the daemon started last, bounded
  kill "$last_pid" 2>/dev/null
  n=0; while kill -0 "$last_pid" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
  kill -9 "$last_pid" 2>/dev/null
}

# wait_serving ADDR: bounded wait until the server on ADDR serves time (unauthenticated ntpdig;
# ntpd's orphan mode needs a moment).
wait_serving() {
  n=0
  while ! timeout 5 "$NTPDIG" -t 1 "$1" >/dev/null 2>&1; do
    n=$((n + 1)); [ $n -gt 15 ] && die "server at $1 never became ready"
    sleep 1
  done
}

dig() {  # dig KEYFILE KEYID ADDR: one authenticated ntpdig exchange (failure expected for bad keys)
  log "ntpdig key $2 -> $3"
  timeout 10 "$NTPDIG" -t 2 -k "$1" -a "$2" "$3" >>"$work/clients.log" 2>&1
  echo "ntpdig key $2 rc=$?" >>"$work/clients.log"
}

chrony_q() {  # chrony_q ADDR KEYID [version N]: a one-shot chronyd client
  addr=$1; key=$2; shift 2
  c=$work/chrony-q-$key-$#.conf
  cat > "$c" <<EOF
server $addr key $key iburst minpoll 0 maxpoll 0 $*
keyfile ${CHRONY_KEYS:-$keys/chrony-client.keys}
pidfile $work/chrony-q.pid
driftfile $work/chrony-q.drift
cmdport 0
port 0
EOF
  log "chronyd -Q key $key $* -> $addr"
  $NOCAP timeout 12 "$CHRONYD" -Q -x -t 6 -u root -f "$c" >>"$work/clients.log" 2>&1 &
  p=$!; pids="$pids $p"
  wait $p; echo "chronyd -Q key $key $* rc=$?" >>"$work/clients.log"
}

# chrony_conf FILE EXTRA...: chronyd serving on $CHRONY_ADDR:123 from its local clock.
chrony_conf() {
  f=$1; shift
  cat > "$f" <<EOF
bindaddress $CHRONY_ADDR
port 123
allow 127.0.0.0/8
local stratum 8
keyfile ${CHRONY_KEYS:-$keys/chrony-server.keys}
pidfile $work/chronyd.pid
driftfile $work/chronyd.drift
cmdport 0
EOF
  for line in "$@"; do echo "$line" >> "$f"; done
}

start_chronyd() {  # start_chronyd CONF (after ntpd; see reuseaddr_shim.c)
  $NOCAP ${SHIM:+LD_PRELOAD=$SHIM} "$CHRONYD" -d -x -u root -f "$1" >"$work/chronyd.log" 2>&1 &
  last_pid=$!
  pids="$pids $last_pid"
}

ntpq_auth() {  # ntpq_auth KEYID COMMAND...: authenticated mode 6 requests
  key=$1; shift
  log "ntpq key $key: $*"
  set -- -k "$keys/ntpsec-client.keys" -a "$key" -c passwd -c "authenticate yes" "$@"
  timeout 15 "$NTPQ" "$@" "$NTPD_ADDR" </dev/null >>"$work/clients.log" 2>&1
  echo "ntpq rc=$?" >>"$work/clients.log"
}

ck=$keys/ntpsec-client.keys
case $scenario in
ntpsec-server)
  ntpd_conf "$work/ntp.conf" "trustedkey 1 2 3 4 5 6 8 9 20 32 33 34 35" \
    "tos orphan 8 orphanwait 1"
  start_ntpd ntpd "$work/ntp.conf"
  wait_serving $NTPD_ADDR
  for k in 1 2 3 4 20 32 5 6 9 33 34 35 7 8 99; do dig "$ck" $k $NTPD_ADDR; done
  chrony_q $NTPD_ADDR 2
  chrony_q $NTPD_ADDR 5
  chrony_q $NTPD_ADDR 6
  chrony_q $NTPD_ADDR 3 version 4
  chrony_q $NTPD_ADDR 20 version 4
  chrony_q $NTPD_ADDR 32 version 4
  chrony_q $NTPD_ADDR 3            # chrony picks NTPv3 + full 32-byte SHA256: ntpd drops it
  chrony_q $NTPD_ADDR 32           # NTPv3 + full 64-byte SHA512: ntpd drops it
  dig "$ck" 2 ::1                  # the same over IPv6
  chrony_q ::1 6
  ;;
ntpq-mode6)
  ntpd_conf "$work/ntp.conf" "trustedkey 1 2 3 5 8 32" "controlkey 2" "tos orphan 8 orphanwait 1"
  start_ntpd ntpd "$work/ntp.conf"
  wait_serving $NTPD_ADDR
  for k in 1 2 3 5 32 8 7; do ntpq_auth $k -c "rv 0 version"; done
  ntpq_auth 2 -c "rv 12345"                          # error reply: unknown association
  ntpq_auth 1 -c ":config logconfig =allall"         # error reply: not the controlkey
  ntpq_auth 2 -c ":config logconfig =allall"         # accepted write
  ntpq_auth 2 -c "reslist"                           # a longer reply
  ntpq_auth 2 -c "ifstats"                           # 2 fragments (MORE bit), each signed
  ntpq_auth 2 -c "mrulist"                           # nonce exchange, long request
  ;;
mode6-truncated)
  ntpd_conf "$work/ntp.conf" "trustedkey 2 3 20 32" "controlkey 3" "tos orphan 8 orphanwait 1"
  start_ntpd ntpd "$work/ntp.conf"
  wait_serving $NTPD_ADDR
  log "mode 6 requests with truncated long-digest MACs"
  timeout 30 python3 "$here/mode6_client.py" "$keys/ntpsec-server.keys" $NTPD_ADDR \
    >>"$work/clients.log" 2>&1 || die "mode6_client.py failed: $(tail -3 "$work/clients.log")"
  ;;
ntpsec-symmetric)
  # ntpd and chronyd as symmetric peers with key 33, a SHA512 key written as 128 hex digits:
  # ntpsec uses only the first 64 digits (32 bytes), Classic ntpd would use all 64 bytes.
  # chrony's keyfile holds ntpsec's reading so both sides agree. (Two ntpd instances cannot
  # share one namespace: ntpd peers with no 127.x address but 127.0.0.1.)
  ntpd_conf "$work/ntp.conf" "trustedkey 2 33" "tos orphan 9 orphanwait 1" \
    "peer $CHRONY_ADDR key 33 minpoll 3 maxpoll 3"
  start_ntpd ntpd "$work/ntp.conf"
  wait_serving $NTPD_ADDR
  chrony_conf "$work/chrony.conf" "peer $NTPD_ADDR key 33 version 4 minpoll 3 maxpoll 3"
  start_chronyd "$work/chrony.conf"
  log "symmetric peers running for 25 s"
  sleep 25
  ;;
chrony-server)
  chrony_conf "$work/chrony.conf"
  start_chronyd "$work/chrony.conf"
  chrony_pid=$last_pid
  wait_serving $CHRONY_ADDR
  for k in 2 5; do
    ntpd_conf "$work/client-$k.conf" "trustedkey $k" \
      "server $CHRONY_ADDR key $k iburst minpoll 3 maxpoll 3"
    log "ntpd client key $k -> $CHRONY_ADDR for 9 s"
    start_ntpd ntpd-client-$k "$work/client-$k.conf"
    sleep 9
    stop_last
  done
  kill -0 "$chrony_pid" 2>/dev/null || die "chronyd died: $(tail -3 "$work/chronyd.log")"
  chrony_q $CHRONY_ADDR 3            # NTPv3, full 32-byte SHA256
  chrony_q $CHRONY_ADDR 20           # NTPv3, full 48-byte SHA384 with key 20
  chrony_q $CHRONY_ADDR 32           # NTPv3, full 64-byte SHA512 with key 32
  chrony_q $CHRONY_ADDR 3 version 4  # NTPv4, SHA256 truncated to 20
  chrony_q $CHRONY_ADDR 6            # AES256 CMAC
  chrony_q $CHRONY_ADDR 70000        # key ID above 65535
  chrony_q $CHRONY_ADDR 71           # prefix-less 40-character ASCII secret
  chrony_q $CHRONY_ADDR 72           # type-less line (MD5)
  chrony_q $CHRONY_ADDR 8            # wrong secret: chronyd drops it
  dig "$ck" 2 $CHRONY_ADDR
  dig "$ck" 3 $CHRONY_ADDR           # NTPv4 + full SHA256: chronyd drops it (> 24 bytes in v4)
  dig "$ck" 8 $CHRONY_ADDR
  ;;
chrony-plainkeys)
  CHRONY_ADDR=127.0.0.2   # no ntpd here
  CHRONY_KEYS=$keys/chrony-plain.keys
  chrony_conf "$work/chrony.conf"
  start_chronyd "$work/chrony.conf"
  wait_serving $CHRONY_ADDR
  for k in 1 2 3 4; do chrony_q $CHRONY_ADDR $k; done
  ;;
keyfile-ntpsec)
  NTPD_KEYS=$keys/keyfile-ntpsec.keys
  ntpd_conf "$work/ntp.conf" "trustedkey 1 5 6 7 9 12 18 20" "tos orphan 8 orphanwait 1"
  start_ntpd ntpd "$work/ntp.conf"
  wait_serving $NTPD_ADDR
  for k in 1 5 6 7 9 18 20; do dig "$keys/keyfile-ntpsec-client.keys" $k $NTPD_ADDR; done
  ;;
keyfile-chrony)
  CHRONY_ADDR=127.0.0.2   # no ntpd here
  CHRONY_KEYS=$keys/keyfile-chrony.keys
  chrony_conf "$work/chrony.conf"
  start_chronyd "$work/chrony.conf"
  wait_serving $CHRONY_ADDR
  CHRONY_KEYS=$keys/keyfile-chrony-client.keys
  for k in 3 4 17 40; do chrony_q $CHRONY_ADDR $k version 4; done
  ;;
*)
  die "unknown scenario $scenario"
  ;;
esac

sleep 1
log "capture: $pcap ($(wc -c < "$pcap") bytes)"
exit 0
