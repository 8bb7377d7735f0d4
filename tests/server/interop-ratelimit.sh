#!/bin/bash
# Rate limiting nobody can turn against a client: unauthenticated requests sent with a client's
# address do not earn that client's signed requests a KoD; a client whose own signed requests
# exceed the limit still gets its (signed) KoD RATE.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
need_query_and_python
cat > "$TMP/rl.conf" <<CONF
keys $TMP/ntp.keys
trustedkey 11
listen 127.0.0.1:1151
local stratum 8
ratelimit interval 0 burst 4
status-socket $TMP/rl.sock
CONF
start_server "$TMP/rl.conf" "$TMP/rl.log"

note "40 unauthenticated requests from the client's address, then its signed request"
python3 - <<'PY' > "$TMP/spoof.txt"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
req = bytes([0x23]) + bytes(47)          # NTPv4 client request, no MAC
kods = 0
for i in range(40):
    s.sendto(req, ("127.0.0.1", 1151))
    try:
        r = s.recv(1024)
        kods += r[1] == 0 and r[12:16] == b"RATE"
    except socket.timeout:
        pass
print(kods)
PY
echo "unauthenticated KoDs: $(cat "$TMP/spoof.txt")"
[ "$(cat "$TMP/spoof.txt")" -gt 0 ] || fail "the unauthenticated flood was not limited at all"
$Q --timeout 1 --json -k "$TMP/ntp.keys" -a 11 127.0.0.1:1151 > "$TMP/signed.json"
cat "$TMP/signed.json"
grep -q '"outcome":"good"' "$TMP/signed.json" || fail "the signed request after the spoofed flood got no normal reply"

note "a signed client over the limit: 30 requests 50 ms apart"
$Q --timeout 1 --json --interval 0.05 -n 30 -k "$TMP/ntp.keys" -a 11 127.0.0.1:1151 > "$TMP/burst.json"
good=$(grep -c '"outcome":"good"' "$TMP/burst.json")
kod=$(grep -c '"outcome":"kod".*"verdict":"good"' "$TMP/burst.json")
echo "signed burst: $good normal replies, $kod signed KoD RATE"
[ "$kod" -gt 0 ] || fail "an over-limit signed client got no signed KoD"
[ "$good" -ge 4 ] || fail "the burst allowance was not honoured ($good normal replies)"
$Q --status "$TMP/rl.sock" | grep -E "^  key 11:|unknown keys"
$Q --status "$TMP/rl.sock" | grep -Eq "^  key 11: good=[0-9]+ kod=$kod$" || fail "per-key counters do not show the KoDs"
stop_server
echo "PASS"
