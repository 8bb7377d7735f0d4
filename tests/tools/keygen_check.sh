#!/bin/bash
# ntpauth-keygen --check: exit 0 when every line loads in the named (or detected) daemon, 1 when
# one is refused there (or, with --portable, read differently elsewhere), 2 on usage or I/O errors;
# the per-line report names file:line and each daemon's reading.
# usage: keygen_check.sh PATH/TO/ntpauth-keygen
set -u
KEYGEN=${1:?usage: keygen_check.sh NTPAUTH_KEYGEN}
tmp=$(mktemp -d /tmp/ntpauth-keygen-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect STATUS GREP ARGS...: runs --check, compares the exit status, greps the output.
expect() {
  local want=$1 pattern=$2; shift 2
  "$KEYGEN" --check "$@" >"$tmp/out" 2>&1; local rc=$?
  [ "$rc" = "$want" ] || { fail "--check $*: exit $rc, want $want: $(cat "$tmp/out")"; return; }
  [ -z "$pattern" ] || grep -q -- "$pattern" "$tmp/out" ||
    fail "--check $*: output lacks '$pattern': $(cat "$tmp/out")"
  echo "ok: --check $* -> $rc"
}

"$KEYGEN" -M -o "$tmp" --host t -q || fail "keygen -M"
k=$tmp/ntp.keys
# A fresh ntp-keygen -M file loads everywhere ntpd reads it; chrony refuses the commented lines.
expect 0 "read as ntpd (detected)" "$k"
expect 0 "chronyd     refuses it: Could not parse key" "$k"
expect 1 "" "$k" --portable
expect 1 "chronyd refuses this line" "$k" --dialect chrony

# Case: one two-field line in an ntpd file is skipped, not a reason to read the file as chrony.
cp "$k" "$tmp/bad.keys"; chmod 600 "$tmp/bad.keys"
echo "12 MD5" >> "$tmp/bad.keys"
line=$(wc -l < "$tmp/bad.keys")
expect 1 "bad.keys:$line: ntpd 4.2.8 refuses this line: no key for key 12" "$tmp/bad.keys"
expect 1 "(and then the whole file)" "$tmp/bad.keys"

# Trusted keys from an ntp.conf; weak keys; CR line ends keep the CR for ntpd.
printf '1 MD5 short\r\n2 SHA1 0123456789abcdef0123456789abcdef01234567\n' > "$tmp/crlf.keys"
chmod 600 "$tmp/crlf.keys"
printf 'keys %s\ntrustedkey 2\n' "$tmp/crlf.keys" > "$tmp/ntp.conf"
expect 0 "loads key 1 as MD5, 6 bytes" "$tmp/crlf.keys" -c "$tmp/ntp.conf"
expect 0 "trustedkey trusts: 2" "$tmp/crlf.keys" -c "$tmp/ntp.conf"
expect 0 "key 1 is weak" "$tmp/crlf.keys"
expect 0 "chronyd     loads key 1 as MD5, 5 bytes   <- differs" "$tmp/crlf.keys"

# Usage and I/O errors: 2.
expect 2 "" "$tmp/missing.keys"
expect 2 "" "$k" --dialect bogus
expect 2 "" "$k" -c "$tmp/missing.conf"
"$KEYGEN" -c "$tmp/ntp.conf" >/dev/null 2>&1; [ $? = 2 ] || fail "-c without --check is not a usage error"

[ $failures = 0 ] && echo PASS || { echo "$failures failure(s)"; exit 1; }
