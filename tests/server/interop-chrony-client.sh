#!/bin/bash
# chronyd -Q (chrony 4.3, never touching the clock) measures an offset from ntpauth-server with a
# SHA1 key, an AES128 key and a SHA256 key (NTPv3, full-length MAC), and gets nothing usable
# with a wrong key.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
need_tool "$CHRONYD" "chronyd not found at $CHRONYD (scripts/setup unpacks chrony into \$NTPAUTH_PEERS)"

write_keys "$TMP/ntp.keys"
write_chrony_keys "$TMP/chrony.keys"
cat > "$TMP/chrony-wrong.keys" <<'KEYS'
11 SHA1 HEX:0123456789abcdef0123456789abcdef01234567
KEYS
chmod 600 "$TMP/chrony-wrong.keys"

cat > "$TMP/server.conf" <<CONF
keys $TMP/ntp.keys
trustedkey 1 11 21 31
listen 127.0.0.1:11123
local stratum 5
crypto-nak yes
status-socket $TMP/status.sock
CONF
start_server "$TMP/server.conf" "$TMP/server.log"

# chrony_query KEYID KEYFILE NAME -> chronyd -Q output in $TMP/NAME.out, exit status returned
chrony_query() {
  cat > "$TMP/$3.conf" <<CONF
server 127.0.0.1 port 11123 key $1 iburst minpoll 0 maxpoll 0
keyfile $2
pidfile $TMP/$3.pid
driftfile $TMP/$3.drift
cmdport 0
port 0
CONF
  timeout 20 $NOCLOCK "$CHRONYD" -Q -x -t 10 -u root -f "$TMP/$3.conf" > "$TMP/$3.out" 2>&1
}

for key in 11 21 31; do   # 31: SHA256, chrony sends NTPv3 with the full 32-byte MAC
  note "chronyd -Q with key $key"
  chrony_query $key "$TMP/chrony.keys" good$key; rc=$?
  cat "$TMP/good$key.out"
  [ $rc = 0 ] || fail "chronyd -Q with key $key exited $rc"
  grep -Eq "System clock wrong by [-+]?[0-9.]+ seconds" "$TMP/good$key.out" || fail "chronyd measured no offset with key $key"
done

note "chronyd -Q with a wrong key 11: nothing usable"
chrony_query 11 "$TMP/chrony-wrong.keys" wrong; rc=$?
cat "$TMP/wrong.out"
grep -Eq "System clock wrong by" "$TMP/wrong.out" && fail "chronyd measured an offset with a wrong key"
[ $rc != 0 ] || grep -q "No suitable source" "$TMP/wrong.out" || fail "chronyd -Q succeeded with a wrong key"
"$NTPAUTH_QUERY" --status "$TMP/status.sock" | grep -Eq "^verdicts: .*bad_mac=[1-9]" || fail "server did not see the bad MACs"
stop_server
echo PASS
