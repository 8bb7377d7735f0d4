#!/bin/sh
# Real gpsd between our NMEA simulator and the refclock layer (and, when given, ntpauth-server).
#
#   gpsd_test.sh SIM_NMEA SIMRUN SHIM [SERVER QUERY]
#
# Runs inside `unshare --ipc --net` (re-executes itself there): gpsd as root writes SHM units 0
# and 1, which exist only in this IPC namespace. Every daemon is killed by PID on exit; every
# wait is bounded.
set -u
if [ "${NTPAUTH_IN_NS:-}" != 1 ]; then
  command -v unshare >/dev/null || { echo "FAIL: unshare missing"; exit 1; }
  NTPAUTH_IN_NS=1 exec unshare --ipc --net "$0" "$@"
fi
SIM_NMEA=$1 SIMRUN=$2 SHIM=$3 SERVER=${4:-} QUERY=${5:-}
GPSD=$(command -v gpsd || echo /usr/sbin/gpsd)
[ -x "$GPSD" ] || { echo "FAIL: gpsd not installed (Debian package gpsd)"; exit 1; }
[ -x "$SIM_NMEA" ] || { echo "FAIL: $SIM_NMEA missing"; exit 1; }
[ -f "$SHIM" ] || { echo "FAIL: $SHIM missing"; exit 1; }
if [ -n "$SERVER" ]; then
  command -v ntpdig >/dev/null || { echo "FAIL: ntpdig missing (Debian package ntpsec-ntpdig)"; exit 1; }
fi

tmp=$(mktemp -d /tmp/ntpauth-gpsd.XXXXXX)
chmod 755 "$tmp"
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  # gpsd attaches NTP0-NTP7; the namespace dies with us anyway, but leave nothing behind.
  for u in 0 1 2 3 4 5 6 7; do ipcrm -M 0x4e54503$u 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip link set lo up || { echo "FAIL: cannot bring up lo"; exit 1; }

OFFSET=1.5
"$SIM_NMEA" --link "$tmp/gps0" --offset $OFFSET --baud 9600 --duration 120 >"$tmp/sim.out" 2>&1 &
pids="$pids $!"
i=0
while [ ! -e "$tmp/gps0" ]; do
  i=$((i + 1)); [ $i -gt 50 ] && { echo "FAIL: simulator made no pty"; cat "$tmp/sim.out"; exit 1; }
  sleep 0.1
done
echo "simulator pty: $(cat "$tmp/sim.out") (reference = system clock + $OFFSET s)"

NTPAUTH_SHIM_SERIAL_PATH="$tmp/gps0" LD_PRELOAD="$SHIM" \
  setpriv --inh-caps=-sys_time --bounding-set=-sys_time \
  "$GPSD" -N -n -b -D 2 "$tmp/gps0" >"$tmp/gpsd.log" 2>&1 &
pids="$pids $!"

# Our reader: the rcl API on SHM unit 0 until samples decode to the simulated time.
if ! "$SIMRUN" observe-shm0 - $OFFSET 0.15; then
  echo "--- gpsd log (tail)"; tail -20 "$tmp/gpsd.log"; ipcs -m
  exit 1
fi
[ -z "$SERVER" ] && exit 0

# ---- ntpauth-server serving gpsd's time ----
[ -x "$SERVER" ] || { echo "FAIL: $SERVER missing"; exit 1; }
[ -x "$QUERY" ] || { echo "FAIL: $QUERY missing"; exit 1; }
cat >"$tmp/ntp.keys" <<KEYS
11 SHA1 6d7a8f2c1b0e4d3a5f6e7d8c9b0a1f2e3d4c5b6a
KEYS
chmod 644 "$tmp/ntp.keys"
cat >"$tmp/server.conf" <<CONF
keys $tmp/ntp.keys
trustedkey 11
listen 127.0.0.1:123
refclock shm unit 0 refid GPS
status-socket $tmp/status.sock
CONF
setpriv --inh-caps=-sys_time --bounding-set=-sys_time \
  "$SERVER" -c "$tmp/server.conf" -n -d >"$tmp/server.log" 2>&1 &
spid=$!
pids="$spid $pids"
# ntpdig accepts the time once the server is synchronised (stratum 0 replies are rejected).
ok=0
i=0
while [ $i -lt 30 ]; do
  i=$((i + 1))
  if ! kill -0 $spid 2>/dev/null; then echo "FAIL: ntpauth-server exited"; cat "$tmp/server.log"; exit 1; fi
  if timeout 10 ntpdig -k "$tmp/ntp.keys" -a 11 -t 2 127.0.0.1 >"$tmp/ntpdig.out" 2>&1; then ok=1; break; fi
  sleep 1
done
cat "$tmp/ntpdig.out"
if [ $ok != 1 ]; then echo "FAIL: ntpdig never accepted the time"; tail -20 "$tmp/server.log"; exit 1; fi
# ntpdig prints the offset of the server against this machine's clock: the simulated reference.
off=$(awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[+-][0-9.]+$/) { print $i; exit }}' "$tmp/ntpdig.out")
echo "ntpdig offset: $off s (expected about +$OFFSET s)"
awk -v o="$off" -v e=$OFFSET 'BEGIN { d = o - e; if (d < 0) d = -d; exit !(o != "" && d < 0.2) }' ||
  { echo "FAIL: ntpdig offset $off not within 0.2 s of $OFFSET"; exit 1; }
if ! timeout 20 "$QUERY" -k "$tmp/ntp.keys" -a 11 --json 127.0.0.1 >"$tmp/query.json" 2>"$tmp/query.err"; then
  echo "FAIL: ntpauth-query failed"; cat "$tmp/query.json" "$tmp/query.err"; exit 1
fi
cat "$tmp/query.json"
grep -q '"stratum": *1' "$tmp/query.json" || { echo "FAIL: ntpauth-query does not show stratum 1"; exit 1; }
grep -q '"refid": *"GPS"' "$tmp/query.json" || { echo "FAIL: ntpauth-query does not show refid GPS"; exit 1; }
# The refclock table through the server's status socket, like `chronyc sources`.
if ! timeout 10 "$QUERY" --status "$tmp/status.sock" >"$tmp/status.txt" 2>&1; then
  echo "FAIL: ntpauth-query --status failed"; cat "$tmp/status.txt"; exit 1
fi
cat "$tmp/status.txt"
grep -q '^\* shm:0 .*GPS' "$tmp/status.txt" || { echo "FAIL: status does not show shm:0 selected with refid GPS"; exit 1; }
echo "PASS: gpsd -> SHM 0 -> ntpauth-server: ntpdig accepted, stratum 1 refid GPS, status lists the refclock"
