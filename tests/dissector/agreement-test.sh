#!/usr/bin/env bash
# tests/dissector/agreement-test.sh - ntpauth-analyze and the Wireshark plugin agree frame for
# frame on odd and damaged captures.
#
#   agreement-test.sh --plugin SO --analyzer ANALYZE --source SRCDIR --work DIR PART
#
# PART: repro        the reproducer captures (agreement.py repro): both tools give exactly the
#                    frames and verdicts in agreement-expected.txt, and the same exit status;
#       differential seeded mutants of the samples (record headers, truncation, lengths,
#                    fragments, pcapng blocks): any frame where the two differ (verdict or
#                    findings), a different stop
#                    on damage, a crash or a sanitizer report fails. Seed: $NTPAUTH_AGREEMENT_SEED
#                    (default 1; the seed is printed so a failure can be replayed).
# tshark runs as nobody with the plugin in a private HOME (it ignores personal plugins as root),
# in two passes (-2): fragments of a datagram that never completes get their verdict only once
# the first pass has reached the end of the file (as in the GUI).
set -uo pipefail

plugin= analyzer= source= work= part=
while [ $# -gt 0 ]; do
  case "$1" in
    --plugin) plugin=$2; shift 2 ;;
    --analyzer) analyzer=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -*) echo "agreement-test: unknown option $1" >&2; exit 2 ;;
    *) part=$1; shift ;;
  esac
done

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }

for tool in tshark setpriv python3 timeout; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup installs it)"
done
[ -r "$plugin" ] || die "plugin $plugin not built"
[ -x "$analyzer" ] || die "ntpauth-analyze not built (expected at '$analyzer')"
py=$source/tests/dissector/agreement.py

home=$(mktemp -d /tmp/ntpauth-agreement.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.local/lib/wireshark/plugins/4.0/epan" "$home/data" "$work" || die "mkdir failed"
cp "$plugin" "$home/.local/lib/wireshark/plugins/4.0/epan/ntpauth.so"
cp "$source/samples/ntp.keys" "$home/data/ntp.keys"
chmod 600 "$home/data/ntp.keys"
keys=$home/data/ntp.keys

as_user_prefix=(env)
[ "$(id -u)" = 0 ] && as_user_prefix=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# run_both FILE: tshark (plugin) and ntpauth-analyze on FILE; outputs in $work/NAME.*
run_both() {
  local f=$1 name
  name=$(basename "$f")
  timeout 120 "${as_user_prefix[@]}" env HOME="$home" tshark -2 -r "$f" -o "ntpauth.keyfile:$keys" \
    -T fields -E occurrence=a -E aggregator=, -e frame.number -e ntpauth.verdict -e ntpauth.finding \
    -e ntpauth.reason >"$work/$name.tshark" 2>"$work/$name.tshark.err"
  echo $? >"$work/$name.tshark.rc"
  timeout 120 "$analyzer" --format jsonl -k "$keys" "$f" >"$work/$name.jsonl" 2>"$work/$name.err"
  echo $? >"$work/$name.rc"
}

# run_all FILE...: run_both on every file, two at a time (each run is mostly one process).
run_all() {
  local f n=0
  for f in "$@"; do
    run_both "$f" &
    n=$((n + 1))
    [ $((n % 2)) = 0 ] && wait
  done
  wait
}

prepare() {  # files must be readable by nobody
  [ "$(id -u)" = 0 ] && chown -R 65534:65534 "$home"
  chmod 600 "$keys"
}

part_repro() {
  python3 "$py" repro "$home/data" "$source/samples/sha1.pcap" || die "agreement.py repro failed"
  prepare
  local f names=()
  for f in "$home"/data/*.pcap "$home"/data/*.pcapng; do names+=("$(basename "$f")"); done
  run_all "${names[@]/#/$home/data/}"
  # Same frames and verdicts in both tools, and exactly the expected ones with the expected
  # exit status (the analyzer's; tshark's is compared with it).
  python3 "$py" check "$work" "$source/tests/dissector/agreement-expected.txt" "${names[@]}" ||
    fail "the tools disagree or differ from agreement-expected.txt"
  # The damage is named with its frame; nothing is invented after it.
  grep -q 'retyped-spb.pcapng: frame 1: corrupt pcapng block' "$work/retyped-spb.pcapng.err" ||
    fail "retyped-spb.pcapng: error does not name frame 1: $(cat "$work/retyped-spb.pcapng.err")"
  grep -q '"kind":"unsolicited_reply"' "$work/retyped-spb.pcapng.jsonl" &&
    fail "retyped-spb.pcapng: a finding about the reply whose request was lost"
  grep -q '"kind":"unsolicited_reply"' "$work/cut.pcap.jsonl" &&
    fail "cut.pcap: a finding about the reply whose request was cut"
  grep -q 'UDP length exceeds the IP payload' "$work/udp-length.pcap.jsonl" ||
    fail "udp-length.pcap: the reason does not tell the UDP length is inconsistent"
  # Both tools give the same reason on a fragment whose datagram never completed.
  grep -q '^1	malformed		IPv4 fragment: datagram never completed (have bytes 0-39 of ?)$' \
    "$work/unfinished.pcap.tshark" ||
    fail "unfinished.pcap: the plugin's reason for frame 1 is not the capture layer's"
}

part_differential() {
  local seed=${NTPAUTH_AGREEMENT_SEED:-1} n
  n=$(python3 "$py" mutate "$home/data" "$seed" "$source"/samples/*.pcap) || die "agreement.py mutate failed"
  echo "-- seed $seed: $n mutants"
  prepare
  local f names=()
  for f in "$home"/data/batch* "$home"/data/damaged*; do names+=("$(basename "$f")"); done
  run_all "${names[@]/#/$home/data/}"
  python3 "$py" check "$work" - "${names[@]}" || fail "the tools disagree"
}

case "$part" in
  repro) part_repro ;;
  differential) part_differential ;;
  *) die "unknown part '$part'" ;;
esac
if [ $failures -gt 0 ]; then
  echo "agreement-test $part: $failures failure(s)" >&2
  exit 1
fi
echo "agreement-test $part: ok"
