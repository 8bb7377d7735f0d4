#!/bin/sh
# ntpauth-server serving a simulated reference clock, checked from outside with ntpsec's ntpdig
# and ntpauth-query.
#
#   server_refclock_test.sh nmea|nmea-burst|dcf77|shm SIM_DIR SERVER QUERY
#
# Runs inside `unshare --ipc --net` (re-executes itself there): ntpdig only talks to port 123 and
# SHM segments stay private. Daemons are killed by PID on exit; every wait is bounded.
set -u
if [ "${NTPAUTH_IN_NS:-}" != 1 ]; then
  command -v unshare >/dev/null || { echo "FAIL: unshare missing"; exit 1; }
  NTPAUTH_IN_NS=1 exec unshare --ipc --net "$0" "$@"
fi
DRIVER=$1 SIM_DIR=$2 SERVER=$3 QUERY=$4
command -v ntpdig >/dev/null || { echo "FAIL: ntpdig missing (Debian package ntpsec-ntpdig)"; exit 1; }
for b in "$SERVER" "$QUERY"; do [ -x "$b" ] || { echo "FAIL: $b missing"; exit 1; }; done

tmp=$(mktemp -d /tmp/ntpauth-rclsrv.XXXXXX)
chmod 755 "$tmp"
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  ipcrm -M 0x4e545035 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip link set lo up || { echo "FAIL: cannot bring up lo"; exit 1; }

# Simulated reference time = system clock + OFFSET; TOL is the accepted error of the served time.
case $DRIVER in
  nmea)
    # Paced at 9600 baud like a UART: the driver back-dates by character time. Each chunk is a
    # wake-up of the simulator and of the server, so a loaded machine spreads these samples more
    # (4-11 ms seen at a load average of 12 on 2 cores) than the burst's.
    OFFSET=-3.25 TOL=0.05 REFID=GPS WAIT=30 TIMING=line-rate
    "$SIM_DIR/ntpauth-sim-nmea" --link "$tmp/dev" --offset $OFFSET --delay 0.2 --talker GN \
      --duration 120 >"$tmp/sim.out" 2>&1 &
    pids="$pids $!"
    LINE="refclock nmea path $tmp/dev baud 9600 time2 0.2"
    ;;
  nmea-burst)
    # RMC+ZDA written at once 2 ms after the second, as a USB receiver hands them over: the
    # '$' arrived with the read, back-dating by the burst would serve ~110 ms early.
    OFFSET=1.5 TOL=0.01 REFID=GPS WAIT=30 TIMING=arrival
    "$SIM_DIR/ntpauth-sim-nmea" --link "$tmp/dev" --offset $OFFSET --delay 0.002 --burst \
      --sentences RMC,ZDA --duration 120 >"$tmp/sim.out" 2>&1 &
    pids="$pids $!"
    LINE="refclock nmea path $tmp/dev baud 9600 time2 0.002"
    ;;
  dcf77)
    # Second 57 of a minute two seconds from now, in winter (CET), plus 0.4 s.
    now=$(date +%s)
    target=1798761600   # 2027-01-01T00:00:00Z
    OFFSET=$(awk -v t=$target -v n=$now 'BEGIN { printf "%.1f", t - 3 - (n + 2) + 0.4 }')
    TOL=0.03 REFID=DCF WAIT=160   # a second minute in case load spoils the first
    "$SIM_DIR/ntpauth-sim-dcf77" --link "$tmp/dev" --offset $OFFSET --duration 200 >"$tmp/sim.out" 2>&1 &
    pids="$pids $!"
    LINE="refclock dcf77 path $tmp/dev baud 50"
    ;;
  shm)
    OFFSET=0.75 TOL=0.02 REFID=GPS WAIT=30
    LINE="refclock shm unit 5 refid GPS"
    ;;
  *) echo "FAIL: unknown driver $DRIVER"; exit 2 ;;
esac
DRIVER=${DRIVER%-burst}
if [ "$DRIVER" != shm ]; then
  i=0
  while [ ! -e "$tmp/dev" ]; do
    i=$((i + 1)); [ $i -gt 50 ] && { echo "FAIL: simulator made no pty"; cat "$tmp/sim.out"; exit 1; }
    sleep 0.1
  done
fi

cat >"$tmp/ntp.keys" <<KEYS
7 AES128CMAC 5b4f2a9c0d1e3f8a7b6c5d4e3f2a1b0c
KEYS
chmod 644 "$tmp/ntp.keys"
cat >"$tmp/server.conf" <<CONF
keys $tmp/ntp.keys
trustedkey 7
listen 127.0.0.1:123
$LINE
status-socket $tmp/status.sock
CONF
setpriv --inh-caps=-sys_time --bounding-set=-sys_time \
  "$SERVER" -c "$tmp/server.conf" -n >"$tmp/server.log" 2>&1 &
spid=$!
pids="$spid $pids"
if [ "$DRIVER" = shm ]; then
  sleep 0.5   # the server creates the segment; the writer attaches to it
  "$SIM_DIR/ntpauth-sim-shm" --unit 5 --offset $OFFSET --mode 1 --count 200 >"$tmp/sim.out" 2>&1 &
  pids="$pids $!"
fi
echo "refclock under test: $LINE (reference = system clock + $OFFSET s)"

start=$(date +%s)
ok=0
while [ $(( $(date +%s) - start )) -lt $WAIT ]; do
  kill -0 $spid 2>/dev/null || { echo "FAIL: ntpauth-server exited"; cat "$tmp/server.log"; exit 1; }
  if timeout 10 ntpdig -k "$tmp/ntp.keys" -a 7 -t 1 127.0.0.1 >"$tmp/ntpdig.out" 2>&1; then ok=1; break; fi
  sleep 1
done
echo "ntpdig after $(( $(date +%s) - start )) s: $(cat "$tmp/ntpdig.out")"
[ $ok = 1 ] || { echo "FAIL: ntpdig never accepted the time"; tail -20 "$tmp/server.log"; exit 1; }
# Let the filter settle for a few seconds, then measure three times a second apart and take the
# median (one measurement can catch a sample delayed by a loaded machine).
sleep 3
: >"$tmp/offsets"
for k in 1 2 3; do
  timeout 10 ntpdig -k "$tmp/ntp.keys" -a 7 -t 1 127.0.0.1 >"$tmp/ntpdig.out" 2>&1 ||
    { echo "FAIL: ntpdig failed on a later try"; cat "$tmp/ntpdig.out"; exit 1; }
  awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[+-][0-9.]+$/) { print $i; exit }}' "$tmp/ntpdig.out" >>"$tmp/offsets"
  [ $k = 3 ] || sleep 1
done
echo "ntpdig offsets: $(tr '\n' ' ' <"$tmp/offsets")"
off=$(sort -g "$tmp/offsets" | sed -n 2p)
err=$(awk -v o="$off" -v e="$OFFSET" 'BEGIN { d = o - e; if (d < 0) d = -d; printf "%.6f", d }')
# Sanitizer builds run slower: CTest sets NTPAUTH_TIMING_SLACK there (see CMakeLists.txt).
TOL=$(awk -v t="$TOL" -v s="${NTPAUTH_TIMING_SLACK:-1}" 'BEGIN { if (s < 1 || s > 20) s = 1; print t * s }')
echo "ntpdig offset $off s, simulated $OFFSET s: error $err s (tolerance $TOL s)"
awk -v d="$err" -v t=$TOL -v o="$off" 'BEGIN { exit !(o != "" && d <= t) }' ||
  { echo "FAIL: served time off by $err s"; exit 1; }
timeout 20 "$QUERY" -k "$tmp/ntp.keys" -a 7 --json 127.0.0.1 >"$tmp/query.json" 2>&1 ||
  { echo "FAIL: ntpauth-query failed"; cat "$tmp/query.json"; exit 1; }
cat "$tmp/query.json"
grep -q '"stratum": *1' "$tmp/query.json" || { echo "FAIL: not stratum 1"; exit 1; }
grep -q "\"refid\": *\"$REFID\"" "$tmp/query.json" || { echo "FAIL: refid is not $REFID"; exit 1; }
timeout 10 "$QUERY" --status "$tmp/status.sock" >"$tmp/status.txt" 2>&1
sed -n '/^refclocks:/,$p' "$tmp/status.txt"
if [ -n "${TIMING:-}" ]; then
  grep -q "^  nmea timing: $TIMING" "$tmp/status.txt" || { echo "FAIL: status does not say '$TIMING'"; exit 1; }
fi
echo "PASS: $DRIVER through ntpauth-server: stratum 1 refid $REFID, served time within $TOL s"
