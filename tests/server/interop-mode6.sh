#!/bin/bash
# interop-mode6.sh - tools nobody here wrote read ntpauth-server through NTP control messages
# (mode 6): ntpsec's ntpq (rv, -p, as, authenticated), Debian's check_ntp_peer; sources outside
# control-allow get silence; SIGHUP reloads the keyfile (keys 21-30 appended by ntpauth-keygen)
# and keeps the old keys when the file is broken; the metrics file carries the same state;
# control-require-auth refuses unauthenticated requests.
# Runs in its own network and IPC namespace (SHM simulator), as root, the server as nobody.
. "$(dirname "$0")/lib.sh"
if [ -z "${NTPAUTH_IN_NETNS:-}" ]; then
  [ "$(id -u)" = 0 ] || fail "interop tests run as root"
  NTPAUTH_IN_NETNS=1 exec unshare --net --ipc -- bash "$0" "$@"
fi
enter_netns

NTPQ=$NTPAUTH_PEERS/ntpsec/usr/bin/ntpq
CHECK=/usr/lib/nagios/plugins/check_ntp_peer
PY=/usr/bin/python3
PROBE="$PY $NTPAUTH_SERVER_TESTS/mode6_probe.py"
need_tool "$NTPQ" "ntpq not found at $NTPQ (scripts/setup unpacks ntpsec)"
need_tool "$CHECK" "check_ntp_peer missing (Debian package monitoring-plugins-basic)"
$PY -c 'import ntp.control' 2>/dev/null || fail "python3-ntp missing (ntpq needs it)"
for v in NTPAUTH_SIM_DIR NTPAUTH_KEYGEN NTPAUTH_QUERY; do need_tool "${!v:-}" "$v is not set (run through ctest)"; done

SHM_UNIT=6 OFFSET=0.0021
trap 'ipcrm -M $((0x4e545030 + SHM_UNIT)) 2>/dev/null; cleanup' EXIT

# Keys 1 (MD5) and 11 (SHA1); 21-30 are appended later. The server re-reads the file as nobody.
cat > "$TMP/ntp.keys" <<'KEYS'
1 MD5 abcdefghijklmnopqrst
11 SHA1 933f62be1d604e68a81b557f18cfa200483f5b70
KEYS
chgrp nogroup "$TMP/ntp.keys" && chmod 640 "$TMP/ntp.keys" || fail "cannot set up the keyfile"
write_wrong_keys "$TMP/wrong.keys"
mkdir -m 755 "$TMP/metrics" && chown nobody "$TMP/metrics"

"$NTPAUTH_SIM_DIR/ntpauth-sim-shm" --unit $SHM_UNIT --offset $OFFSET --interval 0.5 --remove \
  > "$TMP/sim-shm.log" 2>&1 &
PIDS+=($!)
"$NTPAUTH_SIM_DIR/ntpauth-sim-nmea" --link "$TMP/gps" --offset $OFFSET --delay 0.2 --duration 120 \
  > "$TMP/sim-nmea.log" 2>&1 &
PIDS+=($!)
for i in $(seq 1 50); do [ -e "$TMP/gps" ] && break; sleep 0.1; done
[ -e "$TMP/gps" ] || fail "the NMEA simulator made no pty"

cat > "$TMP/server.conf" <<CONF
keys $TMP/ntp.keys
trustedkey 1 11 (21 ... 30)
listen 127.0.0.1:123
local stratum 8
refclock shm unit $SHM_UNIT refid GPS poll 2
refclock nmea path $TMP/gps baud 9600 time2 0.2 poll 2
status-socket $TMP/status.sock
metrics-file $TMP/metrics/ntpauth.prom
CONF
note "ntpauth-server -t: the run user can read the keyfile, no warning"
# -t is strict about trusted keys missing from the file: check the set the file has now
# (keys 21-30 are appended below, before the reload).
sed 's/ (21 \.\.\. 30)//' "$TMP/server.conf" > "$TMP/check.conf"
$NTPAUTH_SERVER -c "$TMP/check.conf" -t > "$TMP/check.log" 2>&1 || { cat "$TMP/check.log"; fail "-t failed"; }
grep -q "cannot read" "$TMP/check.log" && { cat "$TMP/check.log"; fail "-t warned about a readable keyfile"; }
start_server "$TMP/server.conf" "$TMP/server.log"

note "waiting for the SHM clock to be selected (ntpq -c 'rv 0 stratum')"
for i in $(seq 1 40); do
  timeout 5 $NTPQ -c "rv 0 stratum,refid" 127.0.0.1 > "$TMP/rv0" 2>&1
  grep -q "stratum=1," "$TMP/rv0" && grep -q "refid=GPS" "$TMP/rv0" && break
  sleep 0.5
done
grep -q "stratum=1," "$TMP/rv0" || { cat "$TMP/rv0" "$TMP/server.log"; fail "never synchronised"; }

note "ntpq -c rv matches the server's own status"
timeout 10 $NTPQ -c rv 127.0.0.1 > "$TMP/rv" 2>&1; cat "$TMP/rv"
"$NTPAUTH_QUERY" --status "$TMP/status.sock" > "$TMP/status" || fail "ntpauth-query --status failed"
grep -q "synchronised, leap 0, stratum 1, refid GPS" "$TMP/status" || { cat "$TMP/status"; fail "status is not synchronised to GPS"; }
grep -q "status=0[0-9a-f]1[0-9a-f] leap_none, sync_uhf_radio" "$TMP/rv" || fail "rv: system status word"
for want in "stratum=1," "refid=GPS" "peer=1," 'version="ntpauth-server'; do
  grep -q -- "$want" "$TMP/rv" || fail "rv lacks $want"
done
status_off=$(sed -n 's/.*refid GPS, offset \([-+0-9.]*\) s.*/\1/p' "$TMP/status" | head -1)
rv_off=$(tr ',' '\n' < "$TMP/rv" | sed -n 's/^ *offset=\([-0-9.e]*\)$/\1/p' | head -1)
awk -v a="$status_off" -v b="$rv_off" 'BEGIN { d = a * 1000 - b; exit !(d < 0.01 && d > -0.01) }' ||
  fail "rv offset $rv_off ms differs from the status ($status_off s)"

note "ntpq -p and -c as: three associations, SHM selected"
timeout 10 $NTPQ -p 127.0.0.1 > "$TMP/peers" 2>&1; cat "$TMP/peers"
grep -Eq '^\*SHM\(6\) +\.GPS\. +0 l ' "$TMP/peers" || fail "-p: SHM(6) is not the selected source"
grep -Eq '^.NMEA\(0\) +\.GPS\. +0 l ' "$TMP/peers" || fail "-p: NMEA(0) missing"
grep -Eq '^#LOCAL\(1\) +\.LOCL\. +7 l ' "$TMP/peers" || fail "-p: LOCAL(1) backup missing"
p_off=$(awk '/^\*SHM/ { print $(NF-1) }' "$TMP/peers")
awk -v o="$p_off" 'BEGIN { exit !(o > 1.9 && o < 2.3) }' || fail "-p: SHM offset $p_off ms, simulator 2.1 ms"
timeout 10 $NTPQ -c as 127.0.0.1 > "$TMP/as" 2>&1; cat "$TMP/as"
[ "$(grep -c 'sys.peer' "$TMP/as")" = 1 ] || fail "as: not exactly one sys.peer"
[ "$(grep -Ec '^ +[0-9]+ +[0-9]+ +[0-9a-f]{4} +yes' "$TMP/as")" = 3 ] || fail "as: not three configured associations"

note "check_ntp_peer: OK on the synchronised server, same offset"
out=$(timeout 20 $CHECK -H 127.0.0.1 -w 1 -c 2); rc=$?
echo "$out"
[ $rc = 0 ] || fail "check_ntp_peer exit $rc (expected 0 OK)"
c_off=$(echo "$out" | sed -n 's/^NTP OK: Offset \([-0-9.e]*\) secs.*/\1/p')
awk -v o="$c_off" -v s="$status_off" 'BEGIN { d = o - s; exit !(d < 0.0001 && d > -0.0001) }' ||
  fail "check_ntp_peer offset $c_off s, server $status_off s"

note "outside control-allow (127.0.0.2): no reply at all"
$PROBE silent 127.0.0.2 127.0.0.1 || fail "127.0.0.2 got a reply"
"$NTPAUTH_QUERY" --status "$TMP/status.sock" | grep -q "[1-9][0-9]* not allowed" || fail "not counted as not allowed"

note "authenticated mode 6: signed with the same key; a wrong MAC gets no data"
$PROBE signed "$TMP/ntp.keys" 11 127.0.0.1 || fail "SHA1-signed request: no verified signed reply"
$PROBE signed "$TMP/ntp.keys" 1 127.0.0.1 || fail "MD5-signed request: no verified signed reply"
$PROBE wrongmac "$TMP/ntp.keys" 1 127.0.0.1 || fail "a wrong MAC got data"
timeout 10 $NTPQ -k "$TMP/ntp.keys" -a 11 -c passwd -c "authenticate yes" -c "rv 0 stratum" 127.0.0.1 \
  </dev/null > "$TMP/ntpq-auth" 2>&1
grep -q "stratum=1" "$TMP/ntpq-auth" || { cat "$TMP/ntpq-auth"; fail "ntpq with key 11 got no data"; }
timeout 10 $NTPQ -k "$TMP/wrong.keys" -a 11 -c passwd -c "authenticate yes" -c "rv 0 stratum" 127.0.0.1 \
  </dev/null > "$TMP/ntpq-wrong" 2>&1
grep -q "stratum=" "$TMP/ntpq-wrong" && { cat "$TMP/ntpq-wrong"; fail "ntpq with a wrong secret got data"; }

note "SIGHUP after ntpauth-keygen --append of keys 21-30: new keys verify at once, old ones still do"
"$NTPAUTH_KEYGEN" --append "$TMP/ntp.keys" -t SHA1 -n 10 --first 21 -q || fail "keygen --append failed"
ls -l "$TMP/ntp.keys"
kill -HUP "$SERVER_PID"
for i in $(seq 1 30); do grep -q "SIGHUP: loaded 12 keys" "$TMP/server.log" && break; sleep 0.1; done
grep -q "SIGHUP: loaded 12 keys" "$TMP/server.log" || { tail "$TMP/server.log"; fail "reload not logged"; }
for k in 21 25 30 1 11; do $PROBE signed "$TMP/ntp.keys" $k 127.0.0.1 > /dev/null || fail "key $k does not verify after SIGHUP"; done

note "SIGHUP with a broken keyfile: the old keys stay, the log names the line"
echo "x MD5 no-key-id" >> "$TMP/ntp.keys"   # not a key ID: ntpd and ntpsec reject the line too
line=$(wc -l < "$TMP/ntp.keys")
kill -HUP "$SERVER_PID"
for i in $(seq 1 30); do grep -q "keeping the 12 keys" "$TMP/server.log" && break; sleep 0.1; done
grep "SIGHUP" "$TMP/server.log" | tail -1
grep -q "ntp.keys:$line: .*keeping the 12 keys loaded before" "$TMP/server.log" || fail "failed reload not logged with file:line"
for k in 25 1; do $PROBE signed "$TMP/ntp.keys" $k 127.0.0.1 > /dev/null || fail "key $k lost by a failed reload"; done

note "metrics file (Prometheus text) says the same"
for i in $(seq 1 120); do grep -q 'ntpauth_server_keys 12' "$TMP/metrics/ntpauth.prom" 2>/dev/null && break; sleep 0.1; done
grep -E '^ntpauth_server_(synchronised|stratum|keys|key_reloads_total)|^ntpauth_refclock_selected' "$TMP/metrics/ntpauth.prom"
grep -q '^ntpauth_server_stratum 1$' "$TMP/metrics/ntpauth.prom" || fail "metrics: stratum"
grep -q '^ntpauth_refclock_selected{source="127.127.28.6",driver="SHM",refid="GPS"} 1$' "$TMP/metrics/ntpauth.prom" ||
  fail "metrics: SHM not selected"
stop_server

note "an unsynchronised server: check_ntp_peer CRITICAL, ntpq shows leap 11 / stratum 16"
cat > "$TMP/unsync.conf" <<CONF
listen 127.0.0.1:123
status-socket $TMP/status2.sock
CONF
start_server "$TMP/unsync.conf" "$TMP/unsync.log"
out=$(timeout 20 $CHECK -H 127.0.0.1 -w 1 -c 2); rc=$?
echo "$out"
[ $rc = 2 ] || fail "check_ntp_peer exit $rc on an unsynchronised server (expected 2 CRITICAL)"
timeout 10 $NTPQ -c rv 127.0.0.1 > "$TMP/rv-unsync" 2>&1
grep -q "leap=11, stratum=16" "$TMP/rv-unsync" || { cat "$TMP/rv-unsync"; fail "rv of an unsynchronised server"; }
stop_server

note "control-require-auth yes: ntpq without a key gets no data, with key 1 it does"
grep -v '^x ' "$TMP/ntp.keys" > "$TMP/auth.keys"   # ntpq's own reader chokes on the broken line
cat > "$TMP/auth.conf" <<CONF
keys $TMP/auth.keys
trustedkey 1 11
listen 127.0.0.1:123
local stratum 8
control-require-auth yes
status-socket $TMP/status3.sock
CONF
start_server "$TMP/auth.conf" "$TMP/auth.log"
timeout 10 $NTPQ -c "rv 0 stratum" 127.0.0.1 > "$TMP/rv-noauth" 2>&1
grep -q "stratum=" "$TMP/rv-noauth" && { cat "$TMP/rv-noauth"; fail "unauthenticated ntpq got data"; }
timeout 10 $NTPQ -k "$TMP/auth.keys" -a 1 -c passwd -c "authenticate yes" -c "rv 0 stratum" 127.0.0.1 \
  </dev/null > "$TMP/rv-auth" 2>&1
grep -q "stratum=8" "$TMP/rv-auth" || { cat "$TMP/rv-auth"; fail "ntpq with key 1 got no data"; }
stop_server
echo "PASS"
