#!/bin/bash
# ntpauth-server's capture tap: the previous capture survives restarts and failed starts, files
# are 0640, a 5,000-datagram junk flood with the default tap settings cannot push real exchanges
# out, a truncated datagram keeps its real length, and the status socket goes away at stop.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
need_tool tshark "tshark is missing (scripts/setup installs it)"
need_query_and_python
mkdir "$TMP/cap"; chown nobody "$TMP/cap"
cat > "$TMP/tap.conf" <<CONF
keys $TMP/ntp.keys
trustedkey 1 11 (21 ... 31)
listen 127.0.0.1:1131
local stratum 8
pcap $TMP/cap/tap.pcap
status-socket $TMP/tap.sock
user nobody
CONF

note "start: the previous capture becomes tap.pcap.1, untouched; the new file is 0640"
printf 'an earlier capture\n' > "$TMP/cap/tap.pcap"
cp "$TMP/cap/tap.pcap" "$TMP/earlier"
start_server "$TMP/tap.conf" "$TMP/tap.log"
cmp "$TMP/cap/tap.pcap.1" "$TMP/earlier" || fail "the previous capture was not kept as tap.pcap.1"
[ "$(stat -c '%a %U' "$TMP/cap/tap.pcap")" = "640 nobody" ] ||
  fail "capture file is $(stat -c '%a %U' "$TMP/cap/tap.pcap"), expected 640 nobody"

note "a 1400-byte datagram is recorded cut, with its real length"
python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"\x23" + bytes(1399), ("127.0.0.1", 1131))'

note "junk flood: 5,000 datagrams of 1,000 bytes during 20 signed exchanges"
$Q --timeout 1 --interval 0.05 -n 20 -k "$TMP/ntp.keys" -a 11 127.0.0.1:1131 > "$TMP/q.txt" 2>&1 &
qpid=$!
PIDS+=("$qpid")
t0=$(date +%s.%N)
python3 - <<'PY'
import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5000):
    s.sendto(os.urandom(1000), ("127.0.0.1", 1131))
    if i % 50 == 49:
        time.sleep(0.01)   # ~5,000/s: the flood, not the socket buffer, is under test
PY
t1=$(date +%s.%N)
wait "$qpid" || { cat "$TMP/q.txt"; fail "signed exchanges failed during the flood"; }
$Q --status "$TMP/tap.sock" > "$TMP/status.txt" || fail "no status"
grep "^pcap " "$TMP/status.txt"
grep -Eq "^pcap .*: recording, .* [1-9][0-9]* unanswered datagrams not recorded \(over 100/s\)" \
  "$TMP/status.txt" || fail "status does not count the junk left out"
stop_server
[ ! -e "$TMP/tap.sock" ] || fail "the status socket was left behind at stop"

frames() { tshark -r "$TMP/cap/tap.pcap" -d udp.port==1131,ntp -Y "$1" 2>/dev/null | wc -l; }
# Random junk that happens to look like a request is answered: those are exchanges too.
req=$(frames 'udp.dstport == 1131 && ntp.flags.mode == 3 && ntp.keyid == 00:00:00:0b')
rep=$(frames 'udp.srcport == 1131 && ntp.flags.mode == 4 && ntp.keyid == 00:00:00:0b')
answers=$(frames 'udp.srcport == 1131')
all=$(frames 'frame')
echo "capture: $all frames, $req signed requests, $rep signed replies, $answers answers in all"
[ "$req" = 20 ] && [ "$rep" = 20 ] || fail "the capture lost real exchanges ($req requests, $rep replies)"
# 100 per second of flood, plus one second's worth at the start.
bound=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", 100 * (b - a + 1) + 100 }')
echo "flood lasted $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s: at most $bound junk records"
junk=$((all - 2 * answers))
[ "$junk" -le "$bound" ] || fail "$junk junk datagrams recorded: not bounded by the junk rate"
cut=$(frames 'frame.len == 1428 && frame.cap_len == 1052')
[ "$cut" = 1 ] || fail "the 1400-byte datagram is not recorded as cut with its real length"
size=$(cat "$TMP"/cap/tap.pcap* | wc -c)
[ "$size" -le $((11 * 100 * 1048576)) ] || fail "kept files exceed the default bound"

note "a failed start leaves every capture file byte-identical"
cp "$TMP/cap/tap.pcap" "$TMP/before.0"; cp "$TMP/cap/tap.pcap.1" "$TMP/before.1"
touch "$TMP/notasocket"
sed "s|^status-socket .*|status-socket $TMP/notasocket|" "$TMP/tap.conf" > "$TMP/fail.conf"
out=$($NOCLOCK "$NTPAUTH_SERVER" -c "$TMP/fail.conf" -n 2>&1); rc=$?
[ $rc != 0 ] || fail "server started with its status socket a regular file"
echo "$out" | grep -q "$TMP/fail.conf:6: status socket $TMP/notasocket: exists and is not a socket" ||
  fail "status socket error without file:line: $out"
cmp "$TMP/cap/tap.pcap" "$TMP/before.0" && cmp "$TMP/cap/tap.pcap.1" "$TMP/before.1" ||
  fail "a failed start changed the capture files"
[ ! -e "$TMP/cap/tap.pcap.2" ] || fail "a failed start rotated the capture"
echo "PASS"
