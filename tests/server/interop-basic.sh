#!/bin/bash
# ntpauth-server against ntpauth-query: every scenario, malformed packets, status socket, SIGUSR1,
# SIGTERM with a readable pcap, crypto-nak no, require-auth, and start-up errors.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
need_tool "${NTPAUTH_QUERY:-}" "NTPAUTH_QUERY is not set (run through ctest)"
need_tool tshark "tshark is missing (scripts/setup installs it)"
Q=$NTPAUTH_QUERY

note "the binary cannot set the clock: no clock-setting calls are linked"
need_tool nm "nm (binutils) is missing"
if nm -D "$NTPAUTH_SERVER" | grep -E ' U (adjtimex|ntp_adjtime|settimeofday|clock_settime|clock_adjtime|adjtime|stime)(@|$)'; then
  fail "ntpauth-server links a clock-setting call"
fi

write_keys "$TMP/ntp.keys"
cat > "$TMP/server.conf" <<CONF
keys $TMP/ntp.keys
trustedkey 1 11 (21 ... 31)
listen 127.0.0.1:1123
listen [::1]:1123
local stratum 8
pcap $TMP/server.pcap
ratelimit interval -2 burst 20
status-socket $TMP/status.sock
user nobody
logfile $TMP/server.log
CONF
start_server "$TMP/server.conf" "$TMP/server.log"

note "all scenarios"
$Q --timeout 1 --scenario all -k "$TMP/ntp.keys" 127.0.0.1:1123 > "$TMP/scen.txt" 2>&1
rc=$?
cat "$TMP/scen.txt"
[ $rc = 0 ] || fail "ntpauth-query --scenario all exited $rc"
grep -q "^wrong-key .*PASS.*crypto_nak" "$TMP/scen.txt" || fail "wrong key did not get a crypto-NAK"
grep -q "^unknown-key .*PASS.*crypto_nak" "$TMP/scen.txt" || fail "unknown key did not get a crypto-NAK"
grep -q "^sha256-v3-full .*PASS.*84->84" "$TMP/scen.txt" || fail "full-length NTPv3 SHA256 MAC not answered in kind"

note "untrusted key 40 gets a crypto-NAK; exit status 1"
sleep 1.5   # let the rate limiter refill after the KoD burst
$Q --timeout 1 -k "$TMP/ntp.keys" -a 40 127.0.0.1:1123 > "$TMP/q40.txt"; rc=$?
cat "$TMP/q40.txt"
[ $rc = 1 ] || fail "query with an untrusted key exited $rc, expected 1"
grep -q crypto_nak "$TMP/q40.txt" || fail "untrusted key: no crypto-NAK"

note "garbage, then a good request (the server keeps serving)"
printf 'garbage' > /dev/udp/127.0.0.1/1123
head -c 300 /dev/urandom > /dev/udp/127.0.0.1/1123
$Q --timeout 1 -k "$TMP/ntp.keys" -a 11 --json 127.0.0.1:1123 > "$TMP/q11.json" || fail "good request after garbage failed"
grep -q '"outcome":"good"' "$TMP/q11.json" || fail "no good outcome in JSON: $(cat "$TMP/q11.json")"

note "status socket: mode 0600, owned by the run user, readable with --status"
[ "$(stat -c '%a %U' "$TMP/status.sock")" = "600 nobody" ] || fail "status socket is $(stat -c '%a %U' "$TMP/status.sock")"
$Q --status "$TMP/status.sock" > "$TMP/status.txt" || fail "ntpauth-query --status failed"
cat "$TMP/status.txt"
grep -q "stratum 8" "$TMP/status.txt" || fail "status lacks the stratum"
grep -q "key 11: good=" "$TMP/status.txt" || fail "status lacks per-key counters"
grep -q "127.0.0.1: requests=" "$TMP/status.txt" || fail "status lacks per-client counters"
grep -Eq "dropped: malformed=[1-9]" "$TMP/status.txt" || fail "malformed packets were not counted"
grep -Eq "kod_rate=[1-9]" "$TMP/status.txt" || fail "no KoD counted"
[ "$(stat -c %u /proc/$SERVER_PID)" != 0 ] || fail "server still runs as root"
grep -q "^CapEff:.*0000000000000000" /proc/$SERVER_PID/status || fail "server kept capabilities"

note "SIGUSR1 logs the counters"
kill -USR1 "$SERVER_PID"
for i in $(seq 1 20); do grep -q "verdicts: good=" "$TMP/server.log" && break; sleep 0.1; done
grep -q "verdicts: good=" "$TMP/server.log" || fail "SIGUSR1 did not log the counters"

note "SIGTERM: exit 0 and a readable pcap with both directions"
stop_server
frames=$(tshark -r "$TMP/server.pcap" 2>/dev/null | wc -l)
[ "$frames" -gt 50 ] || fail "pcap has $frames frames"
v6=$(tshark -r "$TMP/server.pcap" -Y 'ipv6 && udp.srcport == 1123' 2>/dev/null | wc -l)
[ "$v6" -ge 1 ] || fail "no IPv6 reply in the pcap"
bad=$(tshark -r "$TMP/server.pcap" -o udp.check_checksum:TRUE -Y 'udp.checksum.status == 0' 2>/dev/null | wc -l)
[ "$bad" = 0 ] || fail "$bad frames with bad UDP checksums"

note "crypto-nak no: wrong key gets silence; require-auth yes: unauthenticated gets silence"
cat > "$TMP/quiet.conf" <<CONF
keys $TMP/ntp.keys
listen 127.0.0.1:1124
local stratum 3
crypto-nak no
require-auth yes
status-socket $TMP/quiet.sock
CONF
start_server "$TMP/quiet.conf" "$TMP/quiet.log"
$Q --timeout 0.5 --scenario wrong-key -k "$TMP/ntp.keys" 127.0.0.1:1124 | tee "$TMP/quiet.txt"
grep -q "PASS.*no_reply" "$TMP/quiet.txt" || fail "crypto-nak no: expected silence"
$Q --timeout 0.5 127.0.0.1:1124 > "$TMP/quiet2.txt"; rc=$?
[ $rc = 1 ] && grep -q no_reply "$TMP/quiet2.txt" || fail "require-auth yes: unauthenticated request was answered"
$Q --timeout 1 -k "$TMP/ntp.keys" -a 21 127.0.0.1:1124 > /dev/null || fail "require-auth yes: AES-CMAC request not answered"
$Q --status "$TMP/quiet.sock" | grep -Eq "auth_silent=1 no_auth=1" || fail "silent drops not counted"
stop_server

note "wildcard sockets answer from the address the request came to"
cat > "$TMP/wild.conf" <<CONF
keys $TMP/ntp.keys
listen 0.0.0.0:1127
listen [::]:1127
local stratum 3
status-socket $TMP/wild.sock
CONF
start_server "$TMP/wild.conf" "$TMP/wild.log"
for a in 127.0.0.2:1127 127.0.0.1:1127 '[::1]:1127'; do
  $Q --timeout 1 -k "$TMP/ntp.keys" -a 11 "$a" > /dev/null || fail "wildcard socket: no good reply via $a"
done
stop_server

note "pcap maxsize: the file rotates, every piece stays readable"
mkdir -p "$TMP/rot"; chown nobody "$TMP/rot"
cat > "$TMP/rot.conf" <<CONF
keys $TMP/ntp.keys
listen 127.0.0.1:1126
local stratum 3
pcap $TMP/rot/x.pcap maxsize 1 keep 2
status-socket $TMP/rot.sock
CONF
start_server "$TMP/rot.conf" "$TMP/rot.log"
$Q --timeout 1 --interval 0 -n 6000 -k "$TMP/ntp.keys" -a 11 127.0.0.1:1126 > /dev/null || fail "load for rotation failed"
stop_server
[ -s "$TMP/rot/x.pcap.1" ] || fail "no rotated file x.pcap.1: $(ls -l "$TMP/rot")"
for f in "$TMP"/rot/x.pcap*; do
  [ "$(stat -c %s "$f")" -le 1048576 ] || fail "$f is larger than maxsize"
  tshark -r "$f" > /dev/null 2>&1 || fail "$f is not readable"
done

note "start-up errors name file:line and the server does not start"
printf 'keys %s\nlisten 127.0.0.1:1125\nbogus directive\n' "$TMP/ntp.keys" > "$TMP/bad.conf"
out=$($NOCLOCK "$NTPAUTH_SERVER" -c "$TMP/bad.conf" -n 2>&1); rc=$?
[ $rc != 0 ] || fail "server started with a bad config"
echo "$out" | grep -q "$TMP/bad.conf:3: unknown directive 'bogus'" || fail "bad config message: $out"
mkdir -p "$TMP/rootonly"; chmod 755 "$TMP/rootonly"
printf 'listen 127.0.0.1:1125\npcap %s/rootonly/x.pcap maxsize 1\nuser nobody\n' "$TMP" > "$TMP/pcapdir.conf"
out=$($NOCLOCK "$NTPAUTH_SERVER" -c "$TMP/pcapdir.conf" -n 2>&1); rc=$?
[ $rc != 0 ] || fail "server started with an unwritable pcap folder"
echo "$out" | grep -q "not writable by user nobody" || fail "pcap folder message: $out"
mkdir -p "$TMP/symdir"; chown nobody "$TMP/symdir"
echo "precious" > "$TMP/victim"; chmod 600 "$TMP/victim"
ln -s "$TMP/victim" "$TMP/symdir/x.pcap"
printf 'listen 127.0.0.1:1125\npcap %s/symdir/x.pcap maxsize 1\nuser nobody\n' "$TMP" > "$TMP/pcapsym.conf"
out=$(timeout 10 $NOCLOCK "$NTPAUTH_SERVER" -c "$TMP/pcapsym.conf" -n 2>&1); rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || fail "server started with its pcap path a symlink (rc $rc)"
echo "$out" | grep -q "x.pcap: exists and is not a regular file (a symlink)" || fail "pcap symlink message: $out"
[ "$(cat "$TMP/victim")" = precious ] || fail "the symlink target was truncated"
[ "$(stat -c %U "$TMP/victim")" = root ] || fail "the symlink target was chowned to $(stat -c %U "$TMP/victim")"
rm -f "$TMP/symdir/x.pcap"; ln -s "$TMP/victim" "$TMP/symdir/x.log"
printf 'listen 127.0.0.1:1125\nlogfile %s/symdir/x.log\nuser nobody\n' "$TMP" > "$TMP/logsym.conf"
out=$(timeout 10 $NOCLOCK "$NTPAUTH_SERVER" -c "$TMP/logsym.conf" -n 2>&1); rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || fail "server started with its logfile a symlink (rc $rc)"
echo "$out" | grep -q "logfile $TMP/symdir/x.log: Too many levels of symbolic links" || fail "logfile symlink message: $out"
[ "$(cat "$TMP/victim")" = precious ] || fail "the logfile symlink target was written"
[ "$(stat -c %U "$TMP/victim")" = root ] || fail "the logfile symlink target was chowned"
echo "PASS"
