#!/bin/bash
# ntpsec's ntpdig (port 123 only) against ntpauth-server: verified replies for MD5, SHA1,
# AES-CMAC and (full-length) SHA256 keys; a wrong secret or an untrusted key gets a crypto-NAK and ntpdig reports failure;
# with `crypto-nak no` the same requests get silence and ntpdig fails too.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
need_tool ntpdig "ntpdig is missing (Debian package ntpsec-ntpdig, installed by scripts/setup)"
need_tool "${NTPAUTH_QUERY:-}" "NTPAUTH_QUERY is not set (run through ctest)"

write_keys "$TMP/ntp.keys"
write_wrong_keys "$TMP/wrong.keys"

run_server() {   # $1 = crypto-nak yes|no
  cat > "$TMP/server-$1.conf" <<CONF
keys $TMP/ntp.keys
trustedkey 1 11 21 31
listen 127.0.0.1:123
local stratum 4
crypto-nak $1
status-socket $TMP/status-$1.sock
CONF
  start_server "$TMP/server-$1.conf" "$TMP/server-$1.log"
}

counter() {   # counter SOCKET LINE NAME -> value of NAME=N on the status line "LINE: ..."
  "$NTPAUTH_QUERY" --status "$1" | grep "^$2:" | grep -o " $3=[0-9]*" | head -1 | cut -d= -f2
}

run_server yes
for id in 1 11 21; do
  note "ntpdig -a $id (good key)"
  out=$(ntpdig -t 2 -k "$TMP/ntp.keys" -a $id 127.0.0.1 2>&1); rc=$?
  echo "$out"
  [ $rc = 0 ] || fail "ntpdig with key $id exited $rc"
  echo "$out" | grep -q " s4 " || fail "ntpdig with key $id: no stratum-4 answer"
done
note "ntpdig -a 31 (SHA256: ntpdig sends the full 32-byte MAC even in NTPv4; we answer in kind)"
ntpdig -t 2 -k "$TMP/ntp.keys" -a 31 127.0.0.1 || fail "ntpdig with SHA256 key 31 failed"
good=$(counter "$TMP/status-yes.sock" verdicts good)
[ "${good:-0}" -ge 4 ] || fail "server counted $good good requests, expected >= 4"

for id in 1 11 21; do
  note "ntpdig -a $id with a wrong secret: crypto-NAK, failure"
  before=$(counter "$TMP/status-yes.sock" actions crypto_nak)
  ntpdig -t 2 -k "$TMP/wrong.keys" -a $id 127.0.0.1 > "$TMP/out" 2>&1; rc=$?
  head -3 "$TMP/out"
  [ $rc != 0 ] || fail "ntpdig accepted a reply with a wrong key $id"
  after=$(counter "$TMP/status-yes.sock" actions crypto_nak)
  [ "$after" -gt "$before" ] || fail "no crypto-NAK sent for wrong key $id"
done

note "ntpdig -a 40 (key not trusted by the server): crypto-NAK, failure"
ntpdig -t 2 -k "$TMP/ntp.keys" -a 40 127.0.0.1 > "$TMP/out" 2>&1; rc=$?
[ $rc != 0 ] || fail "ntpdig accepted a reply for an untrusted key"
[ "$(counter "$TMP/status-yes.sock" verdicts untrusted_key)" -ge 1 ] || fail "untrusted key not counted"
stop_server

run_server no
note "crypto-nak no: wrong secret and untrusted key get silence"
ntpdig -t 1 -k "$TMP/wrong.keys" -a 11 127.0.0.1 > "$TMP/out" 2>&1 && fail "ntpdig accepted a wrong key (crypto-nak no)"
ntpdig -t 1 -k "$TMP/ntp.keys" -a 40 127.0.0.1 > "$TMP/out" 2>&1 && fail "ntpdig accepted an untrusted key (crypto-nak no)"
[ "$(counter "$TMP/status-no.sock" dropped auth_silent)" = 2 ] || fail "expected 2 silent drops"
[ "$(counter "$TMP/status-no.sock" actions crypto_nak)" = 0 ] || fail "crypto-NAK sent with crypto-nak no"
ntpdig -t 2 -k "$TMP/ntp.keys" -a 11 127.0.0.1 || fail "good key failed with crypto-nak no"
stop_server
echo PASS
