#!/bin/bash
# ntpauth-server's capture tap on a full disk (a small tmpfs in a private mount namespace): the
# server keeps serving, the file never ends in a torn record, and recording resumes once space
# is freed, with the gap logged.
if [ -z "${NTPAUTH_IN_MNTNS:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "FAIL: runs as root (mount namespace)" >&2; exit 1; }
  NTPAUTH_IN_MNTNS=1 exec unshare -m --propagation private -- bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
need_query_and_python
mkdir "$TMP/small"
mount -t tmpfs -o size=256k,mode=0755 tmpfs "$TMP/small" || fail "cannot mount a tmpfs"
trap 'umount "$TMP/small" 2>/dev/null; cleanup' EXIT
chown nobody "$TMP/small"
dd if=/dev/zero of="$TMP/small/filler" bs=4k count=56 status=none   # leaves about 32 KiB
cat > "$TMP/full.conf" <<CONF
keys $TMP/ntp.keys
listen 127.0.0.1:1132
local stratum 8
pcap $TMP/small/t.pcap
user nobody
CONF

# Walks the pcap records: exit 1 when the file does not end on a record boundary.
whole_records() {
  python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
off, n = 24, 0
while off + 16 <= len(data):
    incl = struct.unpack_from("<I", data, off + 8)[0]
    if off + 16 + incl > len(data):
        break
    off += 16 + incl
    n += 1
print(f"{n} whole records, {len(data)} bytes, {len(data) - off} bytes of a torn record")
sys.exit(0 if off == len(data) else 1)
PY
}

start_server "$TMP/full.conf" "$TMP/full.log"
note "fill the disk: 300 exchanges (about 70 KiB of records for 32 KiB of space)"
$Q --timeout 1 --interval 0 -n 300 -k "$TMP/ntp.keys" -a 11 127.0.0.1:1132 > "$TMP/q1.txt" ||
  fail "serving stopped when the disk filled"
for i in $(seq 1 30); do grep -q "recording paused" "$TMP/full.log" && break; sleep 0.1; done
grep "pcap" "$TMP/full.log"
grep -q "No space left on device; recording paused" "$TMP/full.log" || fail "no pause logged on ENOSPC"
whole_records "$TMP/small/t.pcap" || fail "torn record after ENOSPC"
before=$(stat -c %s "$TMP/small/t.pcap")

note "free space: recording resumes, the gap is logged"
rm "$TMP/small/filler"
sleep 1.2   # writes are retried once a second
$Q --timeout 1 --interval 0.1 -n 5 -k "$TMP/ntp.keys" -a 11 127.0.0.1:1132 > "$TMP/q2.txt" ||
  fail "no service after space was freed"
for i in $(seq 1 30); do grep -q "recording resumed" "$TMP/full.log" && break; sleep 0.1; done
grep -q "recording resumed after .* records lost in the gap (No space left on device)" "$TMP/full.log" ||
  fail "no resume logged: $(grep pcap "$TMP/full.log")"
stop_server
whole_records "$TMP/small/t.pcap" || fail "torn record after resuming"
after=$(stat -c %s "$TMP/small/t.pcap")
[ "$after" -gt "$before" ] || fail "nothing recorded after the gap ($before -> $after bytes)"
echo "PASS"
