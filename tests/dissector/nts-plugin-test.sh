#!/usr/bin/env bash
# tests/dissector/nts-plugin-test.sh - NTS verdicts of the plugin in stock tshark.
#
#   nts-plugin-test.sh --plugin SO --source SRCDIR [--sample DIR] [--analyzer ANALYZE]
#
# On samples/nts/chrony-nts.pcap (chronyd 4.3 client and server, two NTS-KE sessions, an NTS
# NAK between them; --sample DIR: another recording with the same layout, chrony-nts.pcap,
# keylog.txt, dump1/, dump2/): every NTS packet is good with the key log (ntpauth.tls_keylog, and
# also through Wireshark's tls.keylog_file) and with the chrony dumps (ntpauth.nts_dump), except
# the NAK, which stays nts; each dump alone makes exactly the packets of its own session good (a
# dump holds only the session current at the client's exit) and leaves the others nts; the two
# sessions get two names; the request after the NAK says the client started a new session;
# without keys everything is nts; one flipped bit in a request's and a reply's authenticator
# gives bad_mac (also through tls.keylog_file). With tls.keylog_file the NTS-KE records of both
# sessions are shown (next protocol, AEAD, cookies, session) and the first request names the
# NTS-KE response that delivered its cookie; records chrony does not send (errors, warnings,
# server and port negotiation, malformed and incomplete messages) show with their expert infos.
# With --analyzer, ntpauth-analyze gives the same verdict and session for every frame with each
# set of keys, and names the same frame for each request's cookie.
set -uo pipefail

plugin= source= analyzer= sample=
while [ $# -gt 0 ]; do
  case "$1" in
    --plugin) plugin=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --analyzer) analyzer=$2; shift 2 ;;
    *) echo "nts-plugin-test: unknown argument $1" >&2; exit 2 ;;
  esac
done
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }
command -v tshark >/dev/null || die "tshark is not installed (scripts/setup)"
command -v python3 >/dev/null || die "python3 is not installed"
[ -r "$plugin" ] || die "plugin $plugin not built"
sample_arg=$sample
sample=${sample:-$source/samples/nts}
[ -r "$sample/chrony-nts.pcap" ] || die "missing $sample/chrony-nts.pcap"

home=$(mktemp -d /tmp/ntpauth-nts-plugin.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$home"' EXIT
plugdir=$home/.local/lib/wireshark/plugins/4.0/epan
mkdir -p "$plugdir" "$home/data"
cp "$plugin" "$plugdir/ntpauth.so"
cp -r "$sample/." "$home/data/"
data=$home/data
# The same capture with one bit flipped in the first ciphertext byte of the 3rd and 4th NTS
# packet (a request and its reply).
python3 "$source/tests/interop/nts_check.py" flip "$data/chrony-nts.pcap" "$data/flipped.pcap" ||
  die "could not write flipped.pcap"
if [ "$(id -u)" = 0 ]; then
  chown -R 65534:65534 "$home"
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$home")
else
  as_user=(env HOME="$home")
fi
# fields FILE PREFS...: "frame verdict session" per NTP frame
fields() {
  local f=$1; shift
  "${as_user[@]}" tshark -r "$data/$f" -Y ntp "$@" -T fields -E separator=' ' \
    -e frame.number -e ntpauth.verdict -e ntpauth.nts_session 2>"$home/tshark.err"
}
counts() { awk '{print $2}' | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}'; }

kl=(-o "ntpauth.tls_keylog:$data/keylog.txt")
out_kl=$(fields chrony-nts.pcap "${kl[@]}")
n=$(echo "$out_kl" | wc -l)
[ "$n" -ge 20 ] || fail "key log: only $n NTP frames ($(cat "$home/tshark.err"))"
nak=$("${as_user[@]}" tshark -r "$data/chrony-nts.pcap" "${kl[@]}" -Y ntpauth.nts.nak -T fields \
      -e frame.number 2>/dev/null)
[ -n "$nak" ] || fail "key log: no NTS NAK found"
bad=$(echo "$out_kl" | awk -v nak="$nak" '($1 == nak && $2 != "nts") || ($1 != nak && $2 != "good")')
[ -z "$bad" ] || fail "key log: frames not good (NAK $nak must be nts): $bad"
sessions=$(echo "$out_kl" | awk '$2 == "good" {print $3}' | sort -u | wc -l)
[ "$sessions" = 2 ] || fail "key log: $sessions session names, want 2"
echo "-- key log: $(echo "$out_kl" | counts)NAK in frame $nak, $sessions sessions"

followup=$("${as_user[@]}" tshark -r "$data/chrony-nts.pcap" "${kl[@]}" -Y ntpauth.nts.after_nak \
           -T fields -e ntpauth.nts.nak_followup 2>/dev/null)
case "$followup" in
  *"new NTS-KE session"*) echo "-- after the NAK: $followup" ;;
  *) fail "after the NAK: '$followup', want a new NTS-KE session" ;;
esac

out_tls=$(fields chrony-nts.pcap -o "tls.keylog_file:$data/keylog.txt")
[ "$out_tls" = "$out_kl" ] || fail "tls.keylog_file gives other verdicts than ntpauth.tls_keylog"

out_dump=$(fields chrony-nts.pcap -o "ntpauth.nts_dump:$data/dump1;$data/dump2")
[ "$(echo "$out_dump" | awk '{print $1, $2}')" = "$(echo "$out_kl" | awk '{print $1, $2}')" ] ||
  fail "dumps: verdicts differ from the key log's: $(echo "$out_dump" | counts)"
echo "-- dumps: $(echo "$out_dump" | counts)"

declare -A out_alone
# Each dump alone: the good frames are exactly those of one key log session (dump1 the first,
# dump2 the last), everything else nts.
first=$(echo "$out_kl" | awk '$2 == "good" {print $3; exit}')
last=$(echo "$out_kl" | awk '$2 == "good" {s = $3} END {print s}')
for d in dump1 dump2; do
  want=$first; [ "$d" = dump2 ] && want=$last
  out_one=$(fields chrony-nts.pcap -o "ntpauth.nts_dump:$data/$d")
  out_alone[$d]=$out_one
  got=$(echo "$out_one" | awk '$2 == "good" {print $1}')
  exp=$(echo "$out_kl" | awk -v s="$want" '$2 == "good" && $3 == s {print $1}')
  [ -n "$exp" ] && [ "$got" = "$exp" ] ||
    fail "$d alone: good frames $(echo $got) are not those of session $want: $(echo $exp)"
  [ -z "$(echo "$out_one" | awk '$2 != "good" && $2 != "nts"')" ] ||
    fail "$d alone: verdicts other than good and nts: $(echo "$out_one" | counts)"
  echo "-- $d alone: $(echo "$out_one" | counts)"
done

# NTS-KE records, decrypted by Wireshark's TLS dissector with tls.keylog_file: per connection a
# request and a response, both offering/choosing next protocol NTPv4 (0) and AES-SIV-CMAC-256
# (15); the response's cookies are counted, each connection names the session its NTP packets
# verify with, and the first request links its cookie to it.
ke=$("${as_user[@]}" tshark -r "$data/chrony-nts.pcap" -o "tls.keylog_file:$data/keylog.txt" \
     -Y ntpauth.ke -T fields -E 'separator=|' -E occurrence=a -E aggregator=, -e frame.number \
     -e ntpauth.ke.response -e ntpauth.ke.next_protocol -e ntpauth.ke.aead -e ntpauth.ke.cookies \
     -e ntpauth.ke.cookie -e ntpauth.ke.session 2>"$home/tshark.err")
echo "$ke" | awk -F'|' '{printf "-- NTS-KE frame %s: response %s, next protocol %s, AEAD %s, %s cookies, session %s\n", $1, $2, $3, $4, $5, $7}'
want_ke=$(printf '0 0 15\n1 0 15\n0 0 15\n1 0 15')
[ "$(echo "$ke" | awk -F'|' '{print $2, $3, $4}')" = "$want_ke" ] ||
  fail "NTS-KE records: want request/response x2 with next protocol 0 and AEAD 15, got: $ke ($(cat "$home/tshark.err"))"
echo "$ke" | awk -F'|' '$2 == 1 {n = split($6, c, ","); if ($5 != n || n < 1) bad = 1} END {exit bad}' ||
  fail "NTS-KE responses: the cookie count differs from the cookies shown: $ke"
ke_sessions=$(echo "$ke" | awk -F'|' '{print $7}' | uniq | tr '\n' ' ')
kl_sessions=$(echo "$out_kl" | awk '$2 == "good" {print $3}' | uniq | tr '\n' ' ')
[ "$ke_sessions" = "$kl_sessions" ] ||
  fail "NTS-KE connections' sessions '$ke_sessions' are not the NTP packets' '$kl_sessions'"
ke_resp=$(echo "$ke" | awk -F'|' '$2 == 1 {print $1; exit}')
first=$("${as_user[@]}" tshark -r "$data/chrony-nts.pcap" -o "tls.keylog_file:$data/keylog.txt" \
        -Y 'ntp.flags.mode == 3' -c 100 -T fields -e ntpauth.nts.cookie_from 2>/dev/null | head -1)
[ -n "$ke_resp" ] && [ "$first" = "$ke_resp" ] ||
  fail "the first request's cookie is not linked to the NTS-KE response $ke_resp (got '$first')"
[ -z "$("${as_user[@]}" tshark -r "$data/chrony-nts.pcap" -Y ntpauth.ke 2>/dev/null)" ] ||
  fail "NTS-KE records shown without a key log"

# Records chrony does not send, as exported PDUs (link type 252) handed straight to the NTS-KE
# dissector: error, warning, server and port negotiation, an unknown critical record; a port
# record of 3 bytes (malformed); a message without End of Message; two messages in one PDU; and
# 300 seeded mutations of them, which tshark must get through. They do not depend on the
# recording, so they run on the committed sample only (not with --sample).
ke_records() {
python3 - "$data/ke-records.pcap" "$data/ke-mutated.pcap" <<'PY' || die "could not write ke-records.pcap"
import struct, sys
def tlv(tag, val):
    pad = (-len(val)) % 4
    return struct.pack(">HH", tag, len(val) + pad) + val + b"\0" * pad
def rec(t, body):
    return struct.pack(">HH", t | 0x8000, len(body)) + body
def u16(*v):
    return b"".join(struct.pack(">H", x) for x in v)
END = rec(0, b"")
msgs = [(4460, 40000, rec(1, u16(0)) + rec(2, u16(1)) + rec(3, u16(7)) + rec(6, b"ntp.example") +
         rec(7, u16(123)) + rec(0x4001, b"xy") + END),
        (4460, 40000, rec(1, u16(0)) + rec(7, b"\0\x7b\0") + END),
        (4460, 40000, rec(1, u16(0)) + rec(4, u16(15))),
        (40000, 4460, rec(1, u16(0)) + rec(4, u16(15, 30)) + END + rec(1, u16(0)) + END)]
out = bytearray(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 252))
for i, (sport, dport, m) in enumerate(msgs):
    pkt = (tlv(12, b"ntpauth.ke") + tlv(24, struct.pack(">I", 2)) + tlv(25, struct.pack(">I", sport)) +
           tlv(26, struct.pack(">I", dport)) + struct.pack(">HH", 0, 0) + m)
    out += struct.pack("<IIII", 1700000000 + i, 0, len(pkt), len(pkt)) + pkt
open(sys.argv[1], "wb").write(out)
# 300 mutations of these messages (seeded): bit flips, cuts, random lengths.
import random
rnd = random.Random(8915)
out = bytearray(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 252))
for i in range(300):
    m = bytearray(rnd.choice(msgs)[2])
    for _ in range(rnd.randint(1, 4)):
        m[rnd.randrange(len(m))] ^= 1 << rnd.randrange(8)
    if rnd.random() < 0.3:
        m = m[:rnd.randrange(len(m) + 1)]
    pkt = (tlv(12, b"ntpauth.ke") + tlv(24, struct.pack(">I", 2)) + tlv(25, struct.pack(">I", 4460)) +
           tlv(26, struct.pack(">I", 40000)) + struct.pack(">HH", 0, 0) + bytes(m))
    out += struct.pack("<IIII", 1700000000 + i, 0, len(pkt), len(pkt)) + pkt
open(sys.argv[2], "wb").write(out)
PY
[ "$(id -u)" = 0 ] && chown 65534:65534 "$data/ke-records.pcap" "$data/ke-mutated.pcap"
kr=$("${as_user[@]}" tshark -r "$data/ke-records.pcap" -T fields -E 'separator=|' -E occurrence=a \
     -E aggregator=, -e frame.number -e ntpauth.ke.response -e ntpauth.ke.error -e ntpauth.ke.warning \
     -e ntpauth.ke.server -e ntpauth.ke.port -e ntpauth.ke.aead -e _ws.expert.message \
     2>"$home/tshark.err")
want_kr='1|1|1|7|ntp.example|123||NTS-KE error: bad request (1),NTS-KE warning 7,Unrecognized critical record type 16385: the receiver must reject the message (RFC 8915 section 4)
2|1||||||NTS-KE record type 7 at offset 6: body of 3 bytes is malformed
3|1|||||15|NTS-KE message without End of Message
4|0,0|||||15,30|'
[ "$kr" = "$want_kr" ] || fail "NTS-KE records (exported PDUs): got
$kr
want
$want_kr ($(cat "$home/tshark.err"))"
echo "-- NTS-KE error, warning, server, port, unknown critical, malformed, incomplete: checked"
nm=$("${as_user[@]}" tshark -r "$data/ke-mutated.pcap" -V 2>"$home/tshark.err" | grep -c '^NTS Key Establishment')
rc=$?   # (pipefail: tshark's status unless grep found nothing)
[ "$rc" = 0 ] && [ "$nm" -ge 300 ] ||
  fail "NTS-KE mutations: tshark failed or showed $nm messages for 300 frames: $(tail -3 "$home/tshark.err")"
echo "-- NTS-KE: 300 mutated messages dissected ($nm trees)"
# The first NTS-KE response split over two TLS records (tests/dissector/make-ke-split.py): the
# TLS dissector reassembles the message for us, and requests still link their cookie to it.
split=$home/data/nts-ke-split.pcap
cp "$source/tests/dissector/data/nts-ke-split.pcap" "$split" && chmod a+r "$split"
sk=$("${as_user[@]}" tshark -r "$split" -o "tls.keylog_file:$data/keylog.txt" -Y 'ntpauth.ke.response == 1' \
     -T fields -E 'separator=|' -e frame.number -e ntpauth.ke.cookies -e _ws.expert.message 2>&1)
sc=$("${as_user[@]}" tshark -r "$split" -o "tls.keylog_file:$data/keylog.txt" -Y 'ntp.flags.mode == 3' \
     -T fields -e ntpauth.nts.cookie_from 2>/dev/null | head -1)
[ "$sk" = "$(printf '14|8|\n55|8|')" ] && [ "$sc" = 14 ] ||
  fail "NTS-KE response in two TLS records: '$sk', first request's cookie from '$sc' (want 14|8| 55|8|, 14)"
echo "-- NTS-KE response split over two TLS records: reassembled, 8 cookies, linked"
}
[ -z "$sample_arg" ] && ke_records

out_none=$(fields chrony-nts.pcap)
[ -z "$(echo "$out_none" | awk '$2 != "nts"')" ] || fail "no keys: verdicts other than nts"
echo "-- no keys: $(echo "$out_none" | counts)"

out_flip=$(fields flipped.pcap "${kl[@]}")
nbad=$(echo "$out_flip" | awk '$2 == "bad_mac"' | wc -l)
[ "$nbad" = 2 ] || fail "flipped bits: $nbad bad_mac, want 2: $(echo "$out_flip" | counts)"
echo "-- flipped bits: $(echo "$out_flip" | counts)"
# The same through tls.keylog_file: the flipped request's cookie came from the decrypted NTS-KE,
# whose session (by its client random) makes it bad_mac too.
out_flip_tls=$(fields flipped.pcap -o "tls.keylog_file:$data/keylog.txt")
[ "$(echo "$out_flip_tls" | awk '{print $1, $2}')" = "$(echo "$out_flip" | awk '{print $1, $2}')" ] ||
  fail "flipped bits with tls.keylog_file: $(echo "$out_flip_tls" | counts)"

# The analyzer on the same capture with the same keys: the same verdict and session for every
# frame, and (NTS-KE decrypted from the key log) the same frame for each request's cookie.
norm() { awk '{print $1, $2, $3}'; }
agree() {   # LABEL PLUGIN_OUTPUT CAPTURE ANALYZER_OPTIONS...
  local label=$1 p=$2 f=$3 a; shift 3
  a=$("$analyzer" --format csv "$@" "$data/$f" 2>/dev/null |
      python3 -c 'import csv,sys
for r in csv.DictReader(sys.stdin): print(r["frame"], r["verdict"], r["nts_session"])')
  [ -n "$a" ] && [ "$(echo "$a" | norm)" = "$(echo "$p" | norm)" ] ||
    fail "$label: analyzer and plugin differ: $(diff <(echo "$a" | norm) <(echo "$p" | norm) | head -5)"
}
if [ -n "$analyzer" ]; then
  [ -x "$analyzer" ] || die "analyzer $analyzer not built"
  agree "key log" "$out_kl" chrony-nts.pcap --tls-keylog "$data/keylog.txt"
  agree "flipped bits" "$out_flip" flipped.pcap --tls-keylog "$data/keylog.txt"
  agree "both dumps" "$out_dump" chrony-nts.pcap --nts-dump "$data/dump1" --nts-dump "$data/dump2"
  for d in dump1 dump2; do
    agree "$d alone" "${out_alone[$d]}" chrony-nts.pcap --nts-dump "$data/$d"
  done
  agree "no keys" "$out_none" chrony-nts.pcap
  a=$("$analyzer" --format csv --tls-keylog "$data/keylog.txt" "$data/chrony-nts.pcap" 2>/dev/null |
      python3 -c 'import csv,sys
for r in csv.DictReader(sys.stdin): print(r["frame"], r["nts_cookie_frame"])' | norm)
  p=$("${as_user[@]}" tshark -r "$data/chrony-nts.pcap" -o "tls.keylog_file:$data/keylog.txt" -Y ntp \
      -T fields -E separator=' ' -e frame.number -e ntpauth.nts.cookie_from 2>/dev/null | norm)
  [ -n "$a" ] && [ "$a" = "$p" ] ||
    fail "cookie provenance: analyzer and plugin differ: $(diff <(echo "$a") <(echo "$p") | head -5)"
  echo "-- analyzer and plugin agree frame for frame (key log, flipped bits, dumps, no keys, cookies)"
fi
[ "$failures" = 0 ] || exit 1
echo "nts-plugin-test: ok"
