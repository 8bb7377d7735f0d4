#!/bin/bash
# ntpauth-server with an ntp-keygen -M style keyfile that has one malformed line ("12 MD5", two
# fields). ntpsec skips that line and keeps serving the other keys; chronyd would read it as key
# 12 with the guessable secret "MD5". The server must read the file as ntpd/ntpsec do: -t fails
# naming the line; without -t the server starts, warns with file:line, answers keys 11 and 13, and
# never signs for key 12. A trusted key that ntpd and ntpsec read into different bytes (an odd
# number of hex digits) stops the start-up until keys-dialect says which reading is meant.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
need_tool "${NTPAUTH_QUERY:-}" "NTPAUTH_QUERY is not set (run through ctest)"
Q=$NTPAUTH_QUERY

cat > "$TMP/ntp.keys" <<'KEYS'
# ntpkey_MD5key_test.3973237200
# Fri Nov 27 12:00:00 2026

11 SHA1 74144422ee5a9b50411e0d8ddf782cf1e067cb90  # SHA1 key
12 MD5
13 SHA1 7c6cc4b832f7deff5083c027c22e1d196a138ed7  # SHA1 key
KEYS
chmod 600 "$TMP/ntp.keys"
printf '12 MD5 MD5\n' > "$TMP/guess.keys"
chmod 600 "$TMP/guess.keys"
cat > "$TMP/server.conf" <<CONF
keys $TMP/ntp.keys
trustedkey 11 12 13
listen 127.0.0.1:1123
local stratum 8
logfile $TMP/unused.log
CONF

note "-t fails and names the line"
"$NTPAUTH_SERVER" -c "$TMP/server.conf" -t > "$TMP/check.txt" 2>&1; rc=$?
cat "$TMP/check.txt"
[ $rc = 1 ] || fail "-t exited $rc on a keyfile with a refused line, expected 1"
grep -q "ntp.keys:5: .*no key for key 12" "$TMP/check.txt" || fail "-t does not name ntp.keys:5"
grep -q "trustedkey 12 names no key" "$TMP/check.txt" || fail "-t does not report the missing trusted key 12"

note "without -t the server starts, warns with file:line, and serves keys 11 and 13"
sed -i '/^logfile/d' "$TMP/server.conf"
start_server "$TMP/server.conf" "$TMP/server.log"
cat "$TMP/server.log"
grep -q "ntp.keys:5: " "$TMP/server.log" || fail "no warning naming ntp.keys:5 in the log"
grep -q "(ntpd format, detected)" "$TMP/server.log" || fail "the file was not read as an ntpd file"
for id in 11 13; do
  $Q --timeout 1 -k "$TMP/ntp.keys" -a $id 127.0.0.1:1123 > "$TMP/q$id.txt" 2>&1 ||
    { cat "$TMP/q$id.txt"; fail "key $id was not served"; }
done
note "key 12 with chrony's reading of the line (secret 'MD5') gets no signed answer"
$Q --timeout 1 -k "$TMP/guess.keys" -a 12 127.0.0.1:1123 > "$TMP/q12.txt" 2>&1; rc=$?
cat "$TMP/q12.txt"
[ $rc != 0 ] || fail "the guessable key 12 was answered as good"
grep -q "good" "$TMP/q12.txt" && fail "the guessable key 12 got a good reply"
stop_server

note "a trusted key read differently by ntpd and ntpsec refuses the start-up, unless pinned"
cat > "$TMP/odd.keys" <<'KEYS'
21 SHA1 74144422ee5a9b50411e0d8ddf782cf1e067cb9
KEYS
chmod 600 "$TMP/odd.keys"
cat > "$TMP/odd.conf" <<CONF
keys $TMP/odd.keys
trustedkey 21
listen 127.0.0.1:1124
local stratum 8
CONF
"$NTPAUTH_SERVER" -c "$TMP/odd.conf" -t > "$TMP/odd.txt" 2>&1; rc=$?
cat "$TMP/odd.txt"
[ $rc = 1 ] || fail "ambiguous trusted key: -t exited $rc, expected 1"
grep -q "odd.keys:1: trusted key 21 is read into other bytes by ntpsec" "$TMP/odd.txt" ||
  fail "the ambiguous key is not named"
echo "keys-dialect ntpsec" >> "$TMP/odd.conf"
"$NTPAUTH_SERVER" -c "$TMP/odd.conf" -t > "$TMP/odd2.txt" 2>&1 ||
  { cat "$TMP/odd2.txt"; fail "keys-dialect ntpsec did not settle the ambiguous key"; }
echo "PASS"
