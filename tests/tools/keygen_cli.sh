#!/bin/bash
# ntpauth-keygen command-line tests: ntp-keygen -M format, mode 0600 whatever the umask, the
# ntp.keys symlink, key alphabets, ID ranges, the three dialects, --append and --force.
# usage: keygen_cli.sh PATH/TO/ntpauth-keygen
set -u
KEYGEN=${1:?usage: keygen_cli.sh NTPAUTH_KEYGEN}
[ -x "$KEYGEN" ] || { echo "FAIL: $KEYGEN is not an executable"; exit 1; }

tmp=$(mktemp -d /tmp/ntpauth-keygen-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# Runs the keygen expecting success; output in $tmp/out.
run() { "$KEYGEN" "$@" >"$tmp/out" 2>&1 || { fail "ntpauth-keygen $*: exit $?: $(cat "$tmp/out")"; return 1; }; }
# Runs it expecting failure with a message matching $1.
run_fails() {
  local want=$1; shift
  if "$KEYGEN" "$@" >"$tmp/out" 2>&1; then fail "ntpauth-keygen $* succeeded, should fail"; return; fi
  grep -q -- "$want" "$tmp/out" && ok "refused: $* ($(head -1 "$tmp/out"))" ||
    fail "ntpauth-keygen $*: message lacks '$want': $(cat "$tmp/out")"
}
mode_of() { stat -c %a "$1"; }

# --- -M: the ntp-keygen -M file -------------------------------------------------------------
for mask in 000 022 077; do
  d=$tmp/m$mask; mkdir "$d"
  before=$(date +%s)
  (umask $mask; exec "$KEYGEN" -M -o "$d" --host testhost) >"$tmp/out" 2>&1 || fail "-M with umask $mask: $(cat "$tmp/out")"
  after=$(date +%s)
  [ -L "$d/ntp.keys" ] || { fail "umask $mask: no ntp.keys symlink"; continue; }
  target=$(readlink "$d/ntp.keys")
  [[ $target =~ ^ntpkey_MD5key_testhost\.([0-9]+)$ ]] || { fail "symlink target '$target'"; continue; }
  stamp=${BASH_REMATCH[1]}
  (( stamp >= before + 2208988800 && stamp <= after + 2208988800 )) ||
    fail "file stamp $stamp is not NTP seconds (unix $before..$after + 2208988800)"
  [ "$(mode_of "$d/$target")" = 600 ] || fail "umask $mask: mode $(mode_of "$d/$target"), want 600"
  ok "-M with umask $mask: $target, mode 600"
done

f=$tmp/m022/ntp.keys
mapfile -t lines <"$f"
[ "${lines[0]}" = "# $(readlink "$f")" ] || fail "line 1 is '${lines[0]}', want '# <filename>'"
[[ ${lines[1]} =~ ^#\ [A-Z][a-z]{2}\ [A-Z][a-z]{2}\ [\ 0-9][0-9]\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ [0-9]{4}$ ]] ||
  fail "line 2 is '${lines[1]}', want '# <ctime()>'"
[ -z "${lines[2]}" ] || fail "line 3 should be the empty line ctime() leaves"
[ ${#lines[@]} -eq 23 ] || fail "${#lines[@]} lines, want 3 header lines + 20 keys"
for i in $(seq 1 20); do
  line=${lines[$((i + 2))]}
  if [ "$i" -le 10 ]; then
    printf -v want_re '^%2d MD5 ([!-~]{20})  # MD5 key$' "$i"
  else
    printf -v want_re '^%2d SHA1 [0-9a-f]{40}  # SHA1 key$' "$i"
  fi
  [[ $line =~ $want_re ]] || { fail "key line '$line' does not match $want_re"; continue; }
  if [ "$i" -le 10 ] && [[ ${BASH_REMATCH[1]} == *'#'* ]]; then fail "MD5 key $i contains '#'"; fi
done
ok "-M layout: header, MD5 1-10 (20 printable, no '#'), SHA1 11-20 (40 hex)"

# '#' never appears in a lot of MD5 keys (about 1 in 94 characters would be '#' if allowed).
d=$tmp/many; mkdir "$d"
run -t MD5 -n 1000 -o "$d" --host many && {
  n=$(grep -c ' MD5 ' "$d/ntp.keys")
  bad=$(awk '$2 == "MD5" && $3 ~ /#/' "$d/ntp.keys" | wc -l)
  [ "$n" = 1000 ] && [ "$bad" = 0 ] && ok "1000 MD5 keys, none with '#'" || fail "$n MD5 keys, $bad with '#'"
  distinct=$(awk '$2 == "MD5" {print $3}' "$d/ntp.keys" | sort -u | wc -l)
  [ "$distinct" = 1000 ] || fail "only $distinct distinct MD5 keys out of 1000"
}
cmp -s <(grep SHA1 "$tmp/m000/ntp.keys") <(grep SHA1 "$tmp/m022/ntp.keys") && fail "two runs made the same SHA1 keys"

# --- never overwrite without --force ----------------------------------------------------------
d=$tmp/m022
run_fails "--force" -M -o "$d" --host testhost
old_target=$(readlink "$d/ntp.keys")
sleep 1
run_fails "--force" -M -o "$d" --host testhost   # new file name, but ntp.keys exists
[ "$(readlink "$d/ntp.keys")" = "$old_target" ] || fail "the refused run changed ntp.keys"
run -M -o "$d" --host testhost --force && {
  [ "$(readlink "$d/ntp.keys")" != "$old_target" ] && ok "--force replaces the ntp.keys symlink" ||
    fail "--force left ntp.keys pointing at $old_target"
}
mkdir "$tmp/dirlink"; mkdir "$tmp/dirlink/ntp.keys"
run_fails "directory" -M -o "$tmp/dirlink" --force

# --- other types, ID ranges, dialects ---------------------------------------------------------
d=$tmp/aes; mkdir "$d"
run -t AES128CMAC -n 3 --first 5 -o "$d" --host h && {
  got=$(grep -v '^#' "$d/ntp.keys" | grep -v '^$' | awk '{print $1, $2, length($3)}' | tr '\n' ,)
  [ "$got" = "5 AES128CMAC 32,6 AES128CMAC 32,7 AES128CMAC 32," ] && ok "-t AES128CMAC -n 3 --first 5" ||
    fail "-t AES128CMAC -n 3 --first 5 gave '$got'"
  case $(readlink "$d/ntp.keys") in ntpkey_AES128CMACkey_h.*) ;; *) fail "AES file name $(readlink "$d/ntp.keys")";; esac
}
d=$tmp/ntpsec; mkdir "$d"
run -t AES -n 2 --dialect ntpsec -o "$d" && {
  grep -Eq '^ 1 AES [0-9a-f]{32}  # AES key$' "$d/ntp.keys" && ok "ntpsec dialect names AES-128-CMAC 'AES'" ||
    fail "ntpsec AES line: $(sed -n 4p "$d/ntp.keys")"
}
d=$tmp/chrony; mkdir "$d"
run -M -t SHA256 -n 2 --dialect chrony -o "$d" && {
  [ -L "$d/chrony.keys" ] || fail "chrony dialect: no chrony.keys symlink"
  body=$(grep -v '^#' "$d/chrony.keys" | grep -v '^$')
  n_ok=$(grep -cE '^[0-9]+ (MD5|SHA1|SHA256) HEX:[0-9A-F]+$' <<<"$body")
  [ "$n_ok" = 22 ] && ok "chrony dialect: 22 'ID TYPE HEX:...' lines, no trailing comments" ||
    fail "chrony dialect: $n_ok good lines of $(wc -l <<<"$body"): $body"
  grep -Eq '^21 SHA256 HEX:[0-9A-F]{64}$' <<<"$body" || fail "-t next to -M does not start at 21"
}
run -t AES128CMAC -n 1 --first 4294967295 --dialect chrony -o "$tmp/chrony" --force --host big &&
  grep -q '^4294967295 AES128 HEX:' "$tmp/chrony/chrony.keys" && ok "chrony IDs reach 2^32-1"
run_fails "1-65535" -t SHA1 -n 2 --first 65535 -o "$tmp"
run_fails "1-65535" -t SHA1 --first 0 -o "$tmp"
run_fails "unknown key type" -t SHA999 -o "$tmp"
run_fails "cannot be used by chrony" -t SHA224 --dialect chrony -o "$tmp"
run_fails "count" -t SHA1 -n 0 -o "$tmp"
run_fails "overlaps" -M -t SHA1 --first 15 -o "$tmp"
run_fails "dialect" -M --dialect xntpd -o "$tmp"
run_fails "no-such-dir" -M -o "$tmp/no-such-dir"

# --- --append ----------------------------------------------------------------------------------
f=$tmp/m000/ntp.keys
real=$(readlink -f "$f")
chmod 640 "$real"
cp "$real" "$tmp/before"
run --append "$f" -t SHA256 -n 2 --first 21 && {
  cmp -s "$tmp/before" <(head -c "$(stat -c %s "$tmp/before")" "$real") || fail "--append changed the existing lines"
  tail -2 "$real" | grep -Eq '^2[12] SHA256 [0-9a-f]{64}  # SHA256 key$' || fail "--append lines: $(tail -2 "$real")"
  [ "$(tail -2 "$real" | awk '{print $1}' | tr '\n' ,)" = "21,22," ] || fail "--append IDs: $(tail -2 "$real")"
  [ -L "$f" ] || fail "--append replaced the symlink by a file"
  [ "$(mode_of "$real")" = 640 ] || fail "--append changed the mode to $(mode_of "$real")"
  ok "--append --first 21 adds SHA256 keys 21-22, keeps the rest, the link and the mode"
}
cp "$real" "$tmp/before"
run_fails "already" --append "$f" -t AES128CMAC -n 3 --first 20
run_fails "already" --append "$f" -t AES128CMAC --first 22
cmp -s "$tmp/before" "$real" && ok "a refused --append leaves the file alone" || fail "a refused --append changed the file"
run --append "$f" --first 100 && {   # a second -M set
  [ "$(grep -c '^1[01][0-9] \(MD5\|SHA1\) ' "$real")" = 20 ] && ok "--append without -t adds an -M set at --first" ||
    fail "--append -M set: $(tail -3 "$real")"
}
# chrony files stay chrony; ntpsec files stay ntpsec.
run --append "$tmp/chrony/chrony.keys" -t AES128 -n 1 --first 50 &&
  { grep -Eq '^50 AES128 HEX:[0-9A-F]{32}$' "$tmp/chrony/chrony.keys" && ok "--append keeps the chrony dialect" ||
    fail "chrony append: $(tail -1 "$tmp/chrony/chrony.keys")"; }
run --append "$tmp/ntpsec/ntp.keys" -t AES128CMAC -n 1 --first 50 &&
  { grep -Eq '^50 AES [0-9a-f]{32}  # AES key$' "$tmp/ntpsec/ntp.keys" && ok "--append keeps the ntpsec dialect" ||
    fail "ntpsec append: $(tail -1 "$tmp/ntpsec/ntp.keys")"; }
run_fails "does not match" --append "$tmp/chrony/chrony.keys" --dialect ntpd -t SHA1 --first 60
run_fails "No such file" --append "$tmp/missing.keys" -t SHA1
run_fails "does not apply" --append "$f" -o "$tmp" -t SHA1 --first 300

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
