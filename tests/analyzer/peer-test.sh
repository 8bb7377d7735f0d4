#!/bin/bash
# Real-peer test of ntpauth-analyze: chronyd 4.3 serves ntpsec's ntpdig and chronyd -Q clients on
# loopback with MD5, SHA1, SHA256, SHA512 and AES128 keys (plus a key the clients get wrong);
# tcpdump records the traffic; ntpauth-analyze --format jsonl must then give the expected verdict,
# algorithm and MAC length for every frame, pair every reply with its request, and exit 1.
#
#   peer-test.sh ANALYZER
#
# Runs itself again inside a private network namespace (unshare --net): ports are private, no
# foreign traffic is captured. No daemon may touch the clock: chronyd runs with -x and without
# CAP_SYS_TIME. Every wait is bounded; daemons are stopped by PID on every exit path.
set -u
analyzer=${1:?usage: peer-test.sh ANALYZER}
peers=${NTPAUTH_PEERS:-/opt/ntpauth-peers}
chronyd=$peers/chrony/usr/sbin/chronyd

fail() { echo "FAIL: $*" >&2; exit 1; }

if [ "${NTPAUTH_IN_NETNS:-}" != 1 ]; then
  for tool in unshare setpriv tcpdump ntpdig python3 ip timeout; do
    command -v $tool >/dev/null || fail "$tool is not installed (run scripts/setup)"
  done
  [ -x "$chronyd" ] || fail "$chronyd missing (scripts/setup unpacks chrony into $peers)"
  [ -x "$analyzer" ] || fail "analyzer '$analyzer' not executable"
  analyzer=$(cd "$(dirname "$analyzer")" && pwd)/$(basename "$analyzer")
  exec env NTPAUTH_IN_NETNS=1 unshare --net -- "$0" "$analyzer"
fi

ip link set lo up || fail "cannot bring lo up in the namespace"
tmp=$(mktemp -d /tmp/ntpauth-peer.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  [ -s "$tmp/server.pid" ] && pids+=("$(cat "$tmp/server.pid")")
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  if [ "${KEEP_TMP:-}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Keys (same secrets in both dialects). Key 6 is known to the server; the "wrong" clients hold a
# different secret for it, so their requests must be bad_mac and stay unanswered.
md5=Kq3VwLz8RpT2mN7xYb4c
sha1=933F62BE1D604E68A81B557F18CFA200483F5B70
sha256=4F1C2D3E4A5B6C7D8E9FA0B1C2D3E4F5061728394A5B6C7D8E9F0A1B2C3D4E5F
sha512=A0B1C2D3E4F5061728394A5B6C7D8E9FF0E1D2C3B4A5968778695A4B3C2D1E0F
aes=7EA62AE64D190114D46D5A082F948EC1
k6=1112131415161718191A1B1C1D1E1F2021222324
k6wrong=9192939495969798999A9B9C9D9E9FA0A1A2A3A4

cat >"$tmp/server.keys" <<EOF
1 MD5 ASCII:$md5
2 SHA1 HEX:$sha1
3 SHA256 HEX:$sha256
4 SHA512 HEX:$sha512
5 AES128 HEX:$aes
6 SHA1 HEX:$k6
EOF
cat >"$tmp/ntpdig.keys" <<EOF
1 MD5 $md5
2 SHA1 $sha1
3 SHA256 $sha256
4 SHA512 $sha512
5 AES128CMAC $aes
6 SHA1 $k6wrong
EOF
sed "s/^6 SHA1 HEX:.*/6 SHA1 HEX:$k6wrong/" "$tmp/server.keys" >"$tmp/client-wrong.keys"
chmod 600 "$tmp"/*.keys

cat >"$tmp/server.conf" <<EOF
pidfile $tmp/server.pid
driftfile $tmp/server.drift
cmdport 0
port 123
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 8
keyfile $tmp/server.keys
EOF

# Capture first, then the server.
tcpdump -i lo -U -Z root -w "$tmp/peer.pcap" 'udp port 123' 2>"$tmp/tcpdump.err" &
pids+=($!)
tcpdump_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$tmp/tcpdump.err" && break; sleep 0.1; done
grep -q "listening on" "$tmp/tcpdump.err" || fail "tcpdump did not start: $(cat "$tmp/tcpdump.err")"

# setpriv execs chronyd, so $! is chronyd's own PID (a shell function here would leave a
# subshell's PID instead, and chronyd running after the test).
setpriv --inh-caps=-sys_time --bounding-set=-sys_time \
  "$chronyd" -x -d -u root -f "$tmp/server.conf" 2>"$tmp/server.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/server.pid" ] && break; sleep 0.1; done
[ -s "$tmp/server.pid" ] || fail "chronyd server did not start: $(cat "$tmp/server.log")"
sleep 0.5

# ntpdig clients: one query per key. ntpdig sends SHA256/SHA512 MACs at full length in NTPv4,
# which chrony 4 drops (it accepts no NTPv4 MAC longer than 24 bytes): those requests must still verify, but get no answer. The wrong
# key 6 must fail.
for key in 1 2 5; do
  timeout 20 ntpdig -t 2 -k "$tmp/ntpdig.keys" -a $key 127.0.0.1 >"$tmp/ntpdig-$key.out" 2>&1 ||
    fail "ntpdig with key $key failed: $(cat "$tmp/ntpdig-$key.out")"
done
for key in 3 4; do
  timeout 20 ntpdig -t 1 -k "$tmp/ntpdig.keys" -a $key 127.0.0.1 >"$tmp/ntpdig-$key.out" 2>&1
done
timeout 20 ntpdig -t 1 -k "$tmp/ntpdig.keys" -a 6 127.0.0.1 >"$tmp/ntpdig-6.out" 2>&1 &&
  fail "ntpdig with the wrong key 6 got an answer"

# chronyd -Q clients (SHA1 in v4, SHA256 full length in v3, AES128, MD5), then the wrong key.
chrony_client() {  # NAME KEYFILE KEY [VERSION] ; returns chronyd's status
  local name=$1 keys=$2 key=$3 extra=${4:-}
  cat >"$tmp/$name.conf" <<EOF
pidfile $tmp/$name.pid
driftfile $tmp/$name.drift
cmdport 0
server 127.0.0.1 port 123 key $key iburst minpoll -4 maxpoll -4 $extra
keyfile $keys
EOF
  timeout 30 setpriv --inh-caps=-sys_time --bounding-set=-sys_time \
    "$chronyd" -Q -x -u root -t "${5:-10}" -f "$tmp/$name.conf" >"$tmp/$name.log" 2>&1
}
chrony_client chrony-sha1 "$tmp/server.keys" 2 || fail "chronyd -Q SHA1: $(cat "$tmp/chrony-sha1.log")"
chrony_client chrony-sha256 "$tmp/server.keys" 3 || fail "chronyd -Q SHA256: $(cat "$tmp/chrony-sha256.log")"
chrony_client chrony-sha512v4 "$tmp/server.keys" 4 "version 4" ||
  fail "chronyd -Q SHA512 v4: $(cat "$tmp/chrony-sha512v4.log")"
chrony_client chrony-aes "$tmp/server.keys" 5 || fail "chronyd -Q AES128: $(cat "$tmp/chrony-aes.log")"
chrony_client chrony-md5 "$tmp/server.keys" 1 || fail "chronyd -Q MD5: $(cat "$tmp/chrony-md5.log")"
chrony_client chrony-wrong "$tmp/client-wrong.keys" 6 "" 3 &&
  fail "chronyd -Q with the wrong key 6 got an answer"

sleep 0.5
kill -INT "$tcpdump_pid"
for _ in $(seq 50); do kill -0 "$tcpdump_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$tcpdump_pid" 2>/dev/null && fail "tcpdump did not stop"

"$analyzer" --format jsonl -k "$tmp/server.keys" "$tmp/peer.pcap" >"$tmp/analyze.jsonl" 2>"$tmp/analyze.err"
status=$?
[ "$status" = 1 ] || fail "ntpauth-analyze exit status $status, expected 1 (bad_mac present): $(cat "$tmp/analyze.err")"

python3 - "$tmp/analyze.jsonl" <<'EOF' || fail "frame checks failed (KEEP_TMP=1 keeps the files)"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
summary = lines[-1]["summary"]
pkts = [l for l in lines if "frame" in l]
alg = {1: "MD5", 2: "SHA1", 3: "SHA256", 4: "SHA512", 5: "AES128CMAC", 6: "SHA1"}
errors = []
by_frame = {p["frame"]: p for p in pkts}
seen = {}   # (key, mode, mac_len) -> count of good packets
for p in pkts:
    f, k = p["frame"], p["key_id"]
    if p["mode"] not in (3, 4):
        errors.append(f"frame {f}: unexpected mode {p['mode']}")
        continue
    if k not in alg:
        errors.append(f"frame {f}: unexpected key {k} verdict {p['verdict']} ({p['reason']})")
        continue
    if p["algorithm"] != alg[k]:
        errors.append(f"frame {f}: key {k} algorithm {p['algorithm']}, expected {alg[k]}")
    want = "bad_mac" if k == 6 else "good"
    if p["verdict"] != want:
        errors.append(f"frame {f}: key {k} verdict {p['verdict']} ({p['reason']}), expected {want}")
    if p["mode"] == 4:
        req = by_frame.get(p.get("request_frame"))
        if req is None:
            errors.append(f"frame {f}: reply not paired with a request")
        elif req["key_id"] != k:
            errors.append(f"frame {f}: reply key {k}, request key {req['key_id']}")
        elif not p.get("timing_trusted"):
            errors.append(f"frame {f}: exchange not marked trusted")
    if k == 6 and p["mode"] == 4:
        errors.append(f"frame {f}: the server answered the wrong key")
    if p["verdict"] == want:
        seen[(k, p["mode"], p["version"], p["mac_len"])] = seen.get((k, p["mode"], p["version"], p["mac_len"]), 0) + 1
# What each client must have produced (key, mode, version, MAC length):
need = [
    (1, 3, 4, 16), (1, 4, 4, 16),        # MD5 (ntpdig and chrony)
    (2, 3, 4, 20), (2, 4, 4, 20),        # SHA1
    (3, 3, 4, 32),                       # SHA256 full length in NTPv4 from ntpdig (unanswered)
    (3, 3, 3, 32), (3, 4, 3, 32),        # SHA256 full length in NTPv3 from chronyd -Q
    (4, 3, 4, 64),                       # SHA512 full length in NTPv4 from ntpdig (unanswered)
    (4, 3, 4, 20), (4, 4, 4, 20),        # SHA512 truncated to 20 by chronyd -Q version 4
    (5, 3, 4, 16), (5, 4, 4, 16),        # AES128-CMAC
    (6, 3, 4, 20),                       # the wrong key: requests only, bad_mac
]
optional = set()
for n in need:
    if n not in seen and n not in optional:
        errors.append(f"no packet with key/mode/version/mac_len {n} and the expected verdict")
if summary["verdicts"]["bad_mac"] < 1 or summary["verdicts"]["good"] < 10:
    errors.append(f"summary verdicts {summary['verdicts']}")
if summary["exchanges"]["trusted"] < 5:
    errors.append(f"summary exchanges {summary['exchanges']}")
print(f"{len(pkts)} NTP packets checked; good/bad combinations seen: {sorted(seen)}")
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
EOF
echo "PASS: peer test"
