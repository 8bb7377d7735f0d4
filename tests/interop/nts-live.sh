#!/usr/bin/env bash
# nts-live.sh --source SRCDIR [--plugin SO] [--analyzer ANALYZE] - NTS (RFC 8915) with real peers.
#
# Records chronyd 4.3 as NTS client and server afresh (record-nts.sh: its own network namespace,
# daemons with -x and without CAP_SYS_TIME, stopped by PID, about 8 s), checks that the recording
# has what the checks need (two NTS-KE connections, two exporter secrets, both dumps, an NTS
# NAK), then checks it with ntpauth-analyze (nts_check.py: key log, both dumps, each dump alone,
# no keys, flipped bits, NTS-KE connections) and, when the plugin is built, in tshark as nobody
# (tests/dissector/nts-plugin-test.sh, which also compares the plugin with the analyzer frame for
# frame). Needs root (network namespace), /opt/ntpauth-peers, tcpdump, openssl and tshark.
set -uo pipefail

source= plugin= analyzer=
while [ $# -gt 0 ]; do
  case "$1" in
    --source) source=$2; shift 2 ;;
    --plugin) plugin=$2; shift 2 ;;
    --analyzer) analyzer=$2; shift 2 ;;
    *) echo "nts-live: unknown argument $1" >&2; exit 2 ;;
  esac
done
die() { echo "FAIL: $*" >&2; exit 1; }
[ -n "$source" ] || die "usage: nts-live.sh --source SRCDIR [--plugin SO] [--analyzer ANALYZE]"
[ -n "$plugin$analyzer" ] || die "nothing to check: give --plugin and/or --analyzer"
[ "$(id -u)" = 0 ] || die "needs root for its network namespace"
for t in tcpdump openssl unshare setpriv; do
  command -v "$t" >/dev/null || die "$t is not installed (scripts/setup --test)"
done

tmp=$(mktemp -d /tmp/ntpauth-nts-live.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
rec=$tmp/rec
# record-nts.sh stops its daemons on exit, also when the timeout ends it.
timeout -s TERM 60 bash "$source/tests/interop/record-nts.sh" "$rec" || die "recording failed"
mv "$rec/nts.pcap" "$rec/chrony-nts.pcap" || die "no capture recorded"

# What the recording must hold, counted with plain tshark (no plugin).
kes=$(tshark -r "$rec/chrony-nts.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 4460' \
      2>/dev/null | wc -l)
[ "$kes" = 2 ] || die "recording: $kes NTS-KE connections, want 2"
nak=$(tshark -r "$rec/chrony-nts.pcap" -Y 'ntp.flags.mode == 4 && ntp.stratum == 0 && ntp.refid == 4e:54:53:4e' \
      2>/dev/null | wc -l)
[ "$nak" -ge 1 ] || die "recording: no NTS NAK (KoD NTSN) after the server's restart"
ls "$rec"/dump1/*.nts "$rec"/dump2/*.nts >/dev/null 2>&1 || die "recording: a chrony dump is missing"
echo "-- recorded: $(tshark -r "$rec/chrony-nts.pcap" -Y ntp 2>/dev/null | wc -l) NTP frames," \
     "$kes NTS-KE connections, $nak NAK"

failures=0
if [ -n "$analyzer" ]; then
  python3 "$source/tests/interop/nts_check.py" analyzer "$analyzer" "$rec" || failures=$((failures + 1))
fi
if [ -n "$plugin" ]; then
  args=(--plugin "$plugin" --source "$source" --sample "$rec")
  [ -n "$analyzer" ] && args+=(--analyzer "$analyzer")
  bash "$source/tests/dissector/nts-plugin-test.sh" "${args[@]}" || failures=$((failures + 1))
fi
[ "$failures" = 0 ] || exit 1
echo "nts-live: ok"
