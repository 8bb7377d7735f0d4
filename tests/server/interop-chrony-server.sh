#!/bin/bash
# ntpauth-query verifies replies from `chronyd -x` (local stratum 8) configured with the same keys:
# MD5, SHA1, AES128-CMAC, SHA256 (NTPv4 truncated and NTPv3 full length); a wrong or unknown key
# gets silence from chrony, which ntpauth-query reports as a failure (exit 1).
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
need_tool "${NTPAUTH_QUERY:-}" "NTPAUTH_QUERY is not set (run through ctest)"
Q=$NTPAUTH_QUERY

write_keys "$TMP/ntp.keys"
write_chrony_keys "$TMP/chrony.keys"
cat > "$TMP/chronyd.conf" <<CONF
port 11125
bindaddress 127.0.0.1
allow 127.0.0.1
local stratum 8
keyfile $TMP/chrony.keys
pidfile $TMP/chronyd.pid
driftfile $TMP/chronyd.drift
cmdport 0
CONF
start_chronyd "$TMP/chronyd.conf" "$TMP/chronyd.log"

for key in 1 11 21 31; do
  note "ntpauth-query -a $key against chronyd"
  $Q --timeout 2 -k "$TMP/ntp.keys" -a $key 127.0.0.1:11125 > "$TMP/q$key.txt"; rc=$?
  cat "$TMP/q$key.txt"
  [ $rc = 0 ] || fail "key $key: ntpauth-query exited $rc"
  grep -q ": good (.*stratum 8" "$TMP/q$key.txt" || fail "key $key: no good stratum-8 reply"
done

note "scenarios chrony supports"
for s in md5 sha1 aes-cmac sha256 sha256-v3-full md5-v3 unauth ef16-mac ef28-mac symmetric wrong-key unknown-key; do
  $Q --timeout 1 --scenario $s -k "$TMP/ntp.keys" 127.0.0.1:11125 | tee -a "$TMP/scen.txt"
  [ "${PIPESTATUS[0]}" = 0 ] || fail "scenario $s against chronyd failed"
done
grep -q "^wrong-key .*PASS.*no_reply" "$TMP/scen.txt" || fail "chronyd answered a wrong key?"

note "a wrong key makes ntpauth-query fail"
cat > "$TMP/wrong.keys" <<'KEYS'
11 SHA1 0123456789abcdef0123456789abcdef01234567
KEYS
$Q --timeout 1 -k "$TMP/wrong.keys" -a 11 127.0.0.1:11125; rc=$?
[ $rc = 1 ] || fail "ntpauth-query with a wrong key exited $rc, expected 1"
echo PASS
