#!/bin/bash
# ntpauth-server -t and start-up: configurations that parse but cannot work are errors under -t
# (warnings at a normal start), every start-up error names the directive's file:line, -t creates
# nothing.
. "$(dirname "$0")/lib.sh"
enter_netns "$@"
S=$NTPAUTH_SERVER
write_keys "$TMP/ntp.keys"
: > "$TMP/empty.keys"; chmod 600 "$TMP/empty.keys"

# expect_t NAME MESSAGE: `-t` on $TMP/NAME.conf fails and prints MESSAGE.
expect_t() {
  local out rc
  out=$($S -t -c "$TMP/$1.conf" 2>&1); rc=$?
  [ $rc = 1 ] || fail "-t $1: exit status $rc, expected 1: $out"
  echo "$out" | grep -qF -- "$2" || fail "-t $1: no '$2' in: $out"
  echo "  -t $1: $2"
}
# expect_start NAME MESSAGE: a real start on $TMP/NAME.conf fails and prints MESSAGE.
expect_start() {
  local out rc
  out=$(timeout 10 $NOCLOCK $S -n -c "$TMP/$1.conf" 2>&1); rc=$?
  [ $rc = 1 ] || fail "start $1: exit status $rc, expected 1: $out"
  echo "$out" | grep -qF -- "$2" || fail "start $1: no '$2' in: $out"
  echo "  start $1: $2"
}

note "-t refuses what cannot work as meant"
printf 'keys %s\ntrustedkey 11\nlisten 127.0.0.1:1141\n' "$TMP/ntp.keys" > "$TMP/notime.conf"
expect_t notime "$TMP/notime.conf: no time source"
printf 'local stratum 5\nkeys %s\nlisten 127.0.0.1:1141\n' "$TMP/empty.keys" > "$TMP/empty.conf"
expect_t empty "$TMP/empty.conf:2: keyfile $TMP/empty.keys holds no keys"
printf 'local stratum 5\nkeys %s\nkeys %s\n' "$TMP/ntp.keys" "$TMP/ntp.keys" > "$TMP/twokeys.conf"
expect_t twokeys "$TMP/twokeys.conf:3: a second 'keys' line replaces the one at $TMP/twokeys.conf:2"
printf 'local stratum 5\nlisten 127.0.0.1:1141\nuser root\n' > "$TMP/root.conf"
expect_t root "$TMP/root.conf:3: user root"

note "-t checks the paths without creating anything"
printf 'local stratum 5\nlogfile %s/nodir/x.log\n' "$TMP" > "$TMP/logdir.conf"
expect_t logdir "$TMP/logdir.conf:2: logfile $TMP/nodir/x.log"
touch "$TMP/plain"
printf 'local stratum 5\nstatus-socket %s/plain\n' "$TMP" > "$TMP/plainsock.conf"
expect_t plainsock "$TMP/plainsock.conf:2: status socket $TMP/plain: exists and is not a socket"
printf 'local stratum 5\npcap %s/nodir/x.pcap\n' "$TMP" > "$TMP/pcapdir.conf"
expect_t pcapdir "$TMP/pcapdir.conf:2: pcap $TMP/nodir/x.pcap: folder $TMP/nodir"
printf 'local stratum 5\nlisten 127.0.0.1:1141\nlogfile %s/new.log\npcap %s/new.pcap\nstatus-socket %s/new.sock\n' \
  "$TMP" "$TMP" "$TMP" > "$TMP/good.conf"
$S -t -c "$TMP/good.conf" > "$TMP/good.out" 2>&1 || fail "-t refused a good configuration: $(cat "$TMP/good.out")"
ls "$TMP"/new.* 2>/dev/null && fail "-t created files"

note "start-up errors name file:line"
printf 'local stratum 5\nlisten 192.0.2.1:1141\n' > "$TMP/listen.conf"
expect_start listen "$TMP/listen.conf:2: "
expect_t listen "$TMP/listen.conf:2: listen 192.0.2.1:1141: Cannot assign requested address"
printf 'local stratum 5\nlisten 127.0.0.1:1141\nuser no-such-user-here\n' > "$TMP/user.conf"
expect_start user "$TMP/user.conf:3: user no-such-user-here: no such user"
mkdir "$TMP/adir"
printf 'local stratum 5\nlisten 127.0.0.1:1141\nlogfile %s/adir\n' "$TMP" > "$TMP/logfile.conf"
expect_start logfile "$TMP/logfile.conf:3: logfile $TMP/adir"
expect_start pcapdir "$TMP/pcapdir.conf:2: pcap $TMP/nodir/x.pcap"
expect_start plainsock "$TMP/plainsock.conf:2: status socket $TMP/plain"

note "at a normal start the same findings are warnings"
printf 'keys %s\nkeys %s\nlisten 127.0.0.1:1141\nstatus-socket %s/w.sock\n' \
  "$TMP/ntp.keys" "$TMP/ntp.keys" "$TMP" > "$TMP/warn.conf"
start_server "$TMP/warn.conf" "$TMP/warn.log"
grep -q "warning: $TMP/warn.conf: no time source" "$TMP/warn.log" || fail "no warning for no time source"
grep -q "warning: $TMP/warn.conf:2: a second 'keys' line" "$TMP/warn.log" || fail "no warning for two keys lines"
stop_server

note "the default status socket: the server makes /run/ntpauth for itself, ntpauth-query finds it"
# In a private mount namespace with an empty /run, so the host's /run is never touched.
need_tool "${NTPAUTH_QUERY:-}" "NTPAUTH_QUERY is not set (run through ctest)"
printf 'local stratum 5\nlisten 127.0.0.1:1141\nuser nobody\n' > "$TMP/defsock.conf"
cat > "$TMP/defsock.sh" <<'EOS'
set -u
mount -t tmpfs -o mode=0755 tmpfs /run || { echo "cannot mount a private /run"; exit 1; }
"$S" -t -c "$CONF" || { echo "-t refused the default status socket"; exit 1; }
[ -e /run/ntpauth ] && { echo "-t created /run/ntpauth"; exit 1; }
$NOCLOCK "$S" -n -c "$CONF" > "$LOG" 2>&1 &
pid=$!
for i in $(seq 1 50); do [ -S /run/ntpauth/status.sock ] && break; sleep 0.1; done
out=$("$Q" --status 2>&1) || { echo "ntpauth-query --status (default socket): $out"; kill $pid; exit 1; }
owner=$(stat -c %U /run/ntpauth)
kill -TERM $pid; wait $pid
[ "$owner" = nobody ] || { echo "/run/ntpauth owned by $owner, not the run user"; exit 1; }
[ -e /run/ntpauth/status.sock ] && { echo "socket left behind at stop"; exit 1; }
exit 0
EOS
out=$(S=$S Q=$NTPAUTH_QUERY CONF="$TMP/defsock.conf" LOG="$TMP/defsock.log" NOCLOCK="$NOCLOCK" \
      timeout 20 unshare --mount --propagation private bash "$TMP/defsock.sh" 2>&1) \
  || fail "default status socket: $out $(cat "$TMP/defsock.log" 2>/dev/null)"
echo "  default socket /run/ntpauth/status.sock: created, answered, removed"
echo "PASS"
