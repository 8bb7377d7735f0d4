#!/usr/bin/env bash
# tests/dissector/plugin-test.sh - the Wireshark plugin, loaded into stock tshark.
#
#   plugin-test.sh --plugin SO --gen GEN --analyzer ANALYZE --source SRCDIR --work DIR PART
#
# PART: load | verdicts | prefs | robustness | valgrind. Run by ctest (label plugin).
# tshark ignores personal plugins when run as root, so as root every tshark runs as nobody with a
# private HOME holding the plugin in ~/.local/lib/wireshark/plugins/4.0/epan/ (and the files it
# reads). A missing tool makes the test fail with a message; nothing is skipped.
set -uo pipefail

plugin= gen= analyzer= source= work= part=
while [ $# -gt 0 ]; do
  case "$1" in
    --plugin) plugin=$2; shift 2 ;;
    --gen) gen=$2; shift 2 ;;
    --analyzer) analyzer=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -*) echo "plugin-test: unknown option $1" >&2; exit 2 ;;
    *) part=$1; shift ;;
  esac
done

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "-- $*"; }

for tool in tshark editcap mergecap setpriv; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup installs it)"
done
command -v python3 >/dev/null || die "python3 is not installed"
[ -r "$plugin" ] || die "plugin $plugin not built"
[ -x "$gen" ] || die "capture generator $gen not built"

# Private HOME for the unprivileged tshark; removed on every exit path.
home=$(mktemp -d /tmp/ntpauth-plugin-test.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$home"' EXIT
plugdir=$home/.local/lib/wireshark/plugins/4.0/epan
mkdir -p "$plugdir" "$home/data" "$home/.config/wireshark"
cp "$plugin" "$plugdir/ntpauth.so"
"$gen" "$home/data" >/dev/null || die "gen_plugin_captures failed"
chmod 600 "$home"/data/*.keys

if [ "$(id -u)" = 0 ]; then
  chown -R 65534:65534 "$home"
  as_user_prefix=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
  as_user_prefix=(env)
fi
as_user() { "${as_user_prefix[@]}" env HOME="$home" "$@"; }
ts() { as_user tshark "$@"; }

cases=$home/data/plugin-cases.pcap
keys=$home/data/plugin.keys

# Frames of plugin-cases.pcap (order of gen_cases() in gen_plugin_captures.c).
F_GOOD_REQ=1 F_GOOD_REP=2 F_BAD_REQ=3 F_NAK=4 F_UNTRUSTED_REQ=8 F_MD5_REQ=10
F_DOWNGRADE=15 F_MISMATCH=17 F_SHA384_REQ=20 F_SHA512_REQ=22

# Captures to compare: ours, then every sample (with its own keyfile when there is one).
# Fills the arrays cap_files / cap_keys.
collect_captures() {
  cap_files=("$cases") cap_keys=("$keys")
  local f base k
  shopt -s nullglob
  for f in "$source"/samples/*.pcap "$source"/samples/*.pcapng "$source"/samples/*.pcap.gz \
           "$source"/samples/*.pcapng.gz; do
    base=${f%.gz}; base=${base%.pcapng}; base=${base%.pcap}
    k=$source/samples/ntp.keys
    [ -r "$base.keys" ] && k=$base.keys
    cp "$f" "$home/data/" && cp "$k" "$home/data/$(basename "$f").keys" || die "copy $f"
    cap_files+=("$home/data/$(basename "$f")") cap_keys+=("$home/data/$(basename "$f").keys")
  done
  shopt -u nullglob
  [ "$(id -u)" = 0 ] && chown -R 65534:65534 "$home/data"
  chmod 600 "$home"/data/*.keys
}

# compare_verdicts CAPTURE KEYFILE [TRUSTED]: frame-by-frame ntpauth.verdict vs the analyzer.
compare_verdicts() {
  local cap=$1 k=$2 trusted=${3:-} name tag
  name=$(basename "$cap")
  tag=${trusted:+ (trusted: $trusted)}
  local topts=() aopts=()
  if [ -n "$trusted" ]; then topts=(-o "ntpauth.trusted_keys:$trusted"); aopts=(--trusted "$trusted"); fi

  ts -r "$cap" -o "ntpauth.keyfile:$k" "${topts[@]}" -T fields -E occurrence=a -E aggregator=, \
    -e frame.number -e ntpauth.verdict -e ntpauth.keyid -e ntpauth.algorithm -e ntpauth.request_in \
    -e ntpauth.finding \
    >"$work/$name.tshark" 2>"$work/$name.tshark.err" || { fail "$name: tshark failed"; cat "$work/$name.tshark.err" >&2; return; }
  "$analyzer" --format jsonl -k "$k" "${aopts[@]}" "$cap" >"$work/$name.jsonl" 2>"$work/$name.analyze.err"
  local rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
    fail "$name: ntpauth-analyze exited $rc"; cat "$work/$name.analyze.err" >&2; return
  fi
  # Same verdict on every frame; and where the analyzer names them, the same key ID, algorithm,
  # request frame and findings (pairing runs in the core for both).
  python3 - "$work/$name.tshark" "$work/$name.jsonl" "$name$tag" <<'EOF' || fail "$name$tag: plugin and ntpauth-analyze differ"
import json, sys
ts_path, an_path, name = sys.argv[1:4]
plugin = {}
for line in open(ts_path):
    parts = line.rstrip("\n").split("\t") + [""] * 6
    if parts[1]:
        plugin[int(parts[0])] = {
            "verdict": parts[1],
            "key_id": int(parts[2]) if parts[2] else None,
            "algorithm": parts[3] or None,
            "request_frame": int(parts[4]) if parts[4] else None,
            "findings": sorted(x for x in parts[5].split(",") if x),
        }
analyzer = {}
for line in open(an_path):
    line = line.strip()
    if not line:
        continue
    obj = json.loads(line)
    if "summary" in obj:
        continue
    analyzer[int(obj["frame"])] = {
        "verdict": obj["verdict"],
        "key_id": obj.get("key_id"),
        "algorithm": obj.get("algorithm"),
        "request_frame": obj.get("request_frame"),
        "findings": sorted(f["kind"] for f in obj.get("findings", [])),
    }
bad = 0
def differ(f, what, p, a):
    global bad
    bad += 1
    if bad <= 20:
        print(f"  {name}: frame {f}: {what}: plugin {p}, ntpauth-analyze {a}", file=sys.stderr)
for f in sorted(set(plugin) | set(analyzer)):
    p, a = plugin.get(f), analyzer.get(f)
    if p is None or a is None:
        differ(f, "verdict", p and p["verdict"], a and a["verdict"])
        continue
    for k in ("verdict", "request_frame", "findings"):
        if p[k] != a[k]:
            differ(f, k, p[k], a[k])
    for k in ("key_id", "algorithm"):
        if a[k] is not None and p[k] != a[k]:
            differ(f, k, p[k], a[k])
if not analyzer:
    print(f"  {name}: ntpauth-analyze reported no packets", file=sys.stderr)
    sys.exit(1)
nf = sum(len(a["findings"]) for a in analyzer.values())
print(f"-- {name}: {len(analyzer)} NTP frames, {nf} findings, {bad} differences")
sys.exit(1 if bad else 0)
EOF

  # The display filter selects exactly the frames the analyzer calls bad_mac.
  ts -r "$cap" -o "ntpauth.keyfile:$k" "${topts[@]}" -Y 'ntpauth.verdict == "bad_mac"' \
    -T fields -e frame.number >"$work/$name.bad.tshark" 2>/dev/null || fail "$name: tshark -Y failed"
  python3 - "$work/$name.jsonl" >"$work/$name.bad.analyze" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line and '"summary"' not in line[:12]:
        o = json.loads(line)
        if o.get("verdict") == "bad_mac":
            print(o["frame"])
EOF
  if ! diff -q "$work/$name.bad.tshark" "$work/$name.bad.analyze" >/dev/null; then
    fail "$name$tag: -Y 'ntpauth.verdict == \"bad_mac\"' selects $(tr '\n' ' ' <"$work/$name.bad.tshark"), the analyzer's bad frames are $(tr '\n' ' ' <"$work/$name.bad.analyze")"
  else
    note "$name$tag: bad_mac filter selects the $(wc -l <"$work/$name.bad.analyze") bad frames"
  fi
}

# field FRAME FIELD [tshark options...]: value of FIELD in FRAME (two-pass).
field() {
  local frame=$1 fld=$2; shift 2
  ts -r "$cases" -2 "$@" -Y "frame.number == $frame" -T fields -e "$fld" 2>/dev/null
}

expect_eq() {  # expect_eq WHAT GOT WANT
  if [ "$2" = "$3" ]; then note "$1: $2"; else fail "$1: got '$2', want '$3'"; fi
}

part_load() {
  local out
  out=$(ts -G plugins 2>&1)
  if echo "$out" | grep -q "ntpauth.so.*dissector.*$plugdir"; then
    note "tshark -G plugins: $(echo "$out" | grep ntpauth.so)"
  else
    fail "tshark -G plugins does not list ntpauth.so: $out"
  fi
  ts -G fields 2>/dev/null | grep -q $'\tntpauth.verdict\tFT_STRING' || fail "ntpauth.verdict is not registered"
  command -v nm >/dev/null || die "nm (binutils) is not installed"
  local syms
  syms=$(nm -D --defined-only "$plugin" | awk '{print $3}' | sort | tr '\n' ' ')
  expect_eq "exported symbols" "$syms" "plugin_register plugin_version plugin_want_major plugin_want_minor "
  # Wireshark's NTP dissector is still there and still shows its own view.
  out=$(ts -r "$cases" -o "ntpauth.keyfile:$keys" -Y "frame.number == $F_GOOD_REQ" -T fields -e ntp.flags.mode -e ntpauth.verdict 2>&1)
  expect_eq "built-in ntp fields next to ntpauth" "$out" $'3\tgood'

  # The shipped coloring rules parse and color: tshark --color (needs a terminal, hence script)
  # paints the bad MAC with the rule's red and the good one with its green.
  command -v script >/dev/null || die "script (bsdutils) is not installed"
  cp "$source/dissector/ntpauth.colorfilters" "$home/.config/wireshark/colorfilters"
  [ "$(id -u)" = 0 ] && chown -R 65534:65534 "$home/.config"
  local cmd
  printf -v cmd '%q ' "${as_user_prefix[@]}" env HOME="$home" COLORTERM=truecolor TERM=xterm-256color \
    tshark -r "$cases" -o "ntpauth.keyfile:$keys" --color -c $F_BAD_REQ
  out=$(script -qc "$cmd" /dev/null 2>&1)
  rm -f "$home/.config/wireshark/colorfilters"
  echo "$out" | grep '\[MAC BAD key 11\]' | grep -q '48;2;255;112;112' ||
    fail "coloring rules: the bad frame is not red: $(echo "$out" | grep 'MAC BAD' | cat -v)"
  echo "$out" | grep -m1 '\[MAC ok key 11 SHA1\]' | grep -q '48;2;186;255;186' ||
    fail "coloring rules: the good frame is not green: $(echo "$out" | grep -m1 'MAC ok' | cat -v)"
  echo "$out" | grep -q '255;112;112' && note "coloring rules: bad MAC red, good MAC green"
}

part_verdicts() {
  [ -n "$analyzer" ] && [ -x "$analyzer" ] || die "ntpauth-analyze is not built (expected at '$analyzer'); the verdict comparison needs it"
  collect_captures
  local i
  for i in "${!cap_files[@]}"; do
    compare_verdicts "${cap_files[$i]}" "${cap_keys[$i]}"
  done
  compare_verdicts "$cases" "$keys" "1 11 12 (20 ... 32)"
}

part_prefs() {
  local got
  # keyfile preference
  expect_eq "keyfile pref: good request" "$(field $F_GOOD_REQ ntpauth.verdict -o "ntpauth.keyfile:$keys")" good
  expect_eq "no keys: same request" "$(field $F_GOOD_REQ ntpauth.verdict)" unknown_key
  expect_eq "keyfile pref: SHA384 key 20, full digest" "$(field $F_SHA384_REQ ntpauth.verdict -o "ntpauth.keyfile:$keys")" good
  expect_eq "keyfile pref: key ID 20 is an integer" "$(field $F_SHA384_REQ ntpauth.keyid -o "ntpauth.keyfile:$keys")" 20
  expect_eq "keyfile pref: SHA512 key 32 digest length" "$(field $F_SHA512_REQ ntpauth.digest_len -o "ntpauth.keyfile:$keys")" 64
  expect_eq "bad MAC: expected digest shown" "$(field $F_BAD_REQ ntpauth.expected -o "ntpauth.keyfile:$keys" | wc -c)" 41

  # UAT: one SHA1 key typed in the GUI table; the other keys stay unknown.
  local uat='uat:ntpauth_keys:"11","SHA1","933f62be1d604e68a81b557f18cfa200483f5b70"'
  expect_eq "UAT key 11" "$(field $F_GOOD_REQ ntpauth.verdict -o "$uat")" good
  expect_eq "UAT without key 1" "$(field $F_MD5_REQ ntpauth.verdict -o "$uat")" unknown_key
  # UAT in chrony syntax (HEX: prefix) is recognised in auto mode and with the chrony dialect.
  local uatc='uat:ntpauth_keys:"11","SHA1","HEX:933F62BE1D604E68A81B557F18CFA200483F5B70"'
  expect_eq "UAT chrony HEX: key, auto" "$(field $F_GOOD_REQ ntpauth.verdict -o "$uatc")" good
  expect_eq "UAT chrony HEX: key, chrony dialect" "$(field $F_GOOD_REQ ntpauth.verdict -o "$uatc" -o ntpauth.keys_dialect:chrony)" good
  # The same 40 hex digits without prefix are 40 ASCII bytes for chrony: the MAC then fails.
  local uatp='uat:ntpauth_keys:"11","SHA1","933f62be1d604e68a81b557f18cfa200483f5b70"'
  expect_eq "UAT bare hex read by the chrony rule" "$(field $F_GOOD_REQ ntpauth.verdict -o "$uatp" -o ntpauth.keys_dialect:chrony)" bad_mac

  # Trusted keys (ntp.conf syntax)
  got=$(ts -r "$cases" -o "ntpauth.keyfile:$keys" -o 'ntpauth.trusted_keys:1 11 12 (20 ... 32)' \
        -Y 'ntpauth.verdict == "untrusted_key"' -T fields -e frame.number 2>/dev/null | tr '\n' ' ')
  expect_eq "trusted_keys leaves key 13 out" "$got" "$F_UNTRUSTED_REQ $((F_UNTRUSTED_REQ + 1)) "

  # Info column and links
  got=$(ts -r "$cases" -o "ntpauth.keyfile:$keys" -Y "frame.number <= $F_NAK" -T fields -e _ws.col.Info 2>/dev/null)
  echo "$got" | sed -n 1p | grep -q '\[MAC ok key 11 SHA1\]$' || fail "Info of a good frame: $(echo "$got" | sed -n 1p)"
  echo "$got" | sed -n 3p | grep -q '\[MAC BAD key 11\]$' || fail "Info of a bad frame: $(echo "$got" | sed -n 3p)"
  echo "$got" | sed -n 4p | grep -q 'server \[crypto-NAK\]$' || fail "Info of a crypto-NAK: $(echo "$got" | sed -n 4p)"
  # Plain summary lines take the plugin's fast path (no field of ours referenced): the Info text
  # must be the same as when the tree is built.
  ts -r "$cases" -o "ntpauth.keyfile:$keys" >"$work/summary.out" 2>/dev/null
  ts -r "$cases" -o "ntpauth.keyfile:$keys" -T fields -e _ws.col.Info >"$work/info.out" 2>/dev/null
  python3 - "$work/summary.out" "$work/info.out" <<'EOF' || fail "summary lines and -T fields Info differ"
import sys
summary = open(sys.argv[1]).read().splitlines()
info = open(sys.argv[2]).read().splitlines()
bad = [i + 1 for i, (s, f) in enumerate(zip(summary, info)) if not s.endswith(f)]
if len(summary) != len(info) or bad or not any("[MAC BAD key" in s for s in summary):
    print(f"  {len(summary)} summary lines, {len(info)} Info fields, differing frames {bad[:10]}",
          file=sys.stderr)
    sys.exit(1)
print(f"-- summary lines carry the same Info as the tree path ({len(info)} frames)")
EOF
  expect_eq "request_in" "$(field $F_GOOD_REP ntpauth.request_in -o "ntpauth.keyfile:$keys")" $F_GOOD_REQ
  expect_eq "response_in" "$(field $F_GOOD_REQ ntpauth.response_in -o "ntpauth.keyfile:$keys")" $F_GOOD_REP
  expect_eq "downgrade finding" "$(field $F_DOWNGRADE ntpauth.finding -o "ntpauth.keyfile:$keys")" downgrade
  expect_eq "key mismatch finding" "$(field $F_MISMATCH ntpauth.finding -o "ntpauth.keyfile:$keys")" key_mismatch
  got=$(ts -r "$cases" -o "ntpauth.keyfile:$keys" -Y 'ntpauth.bad_mac.expert' -T fields -e frame.number 2>/dev/null | head -1)
  expect_eq "bad MAC expert info" "$got" $F_BAD_REQ
  got=$(ts -r "$cases" -o "ntpauth.keyfile:$keys" -Y 'ntpauth.md5.expert' -T fields -e frame.number 2>/dev/null | head -1)
  expect_eq "MD5 note" "$got" $F_MD5_REQ

  # A broken keyfile: reported once on stderr and on the first NTP frame only; the good key
  # of that file still works.
  ts -r "$cases" -o "ntpauth.keyfile:$home/data/plugin-broken.keys" -T fields -e frame.number \
     -e ntpauth.keyring_problem -e ntpauth.verdict >"$work/broken.out" 2>"$work/broken.err"
  got=$(awk -F'\t' '$2 != "" {print $1}' "$work/broken.out" | tr '\n' ' ')
  expect_eq "broken keyfile: problem shown on" "$got" "1 "
  expect_eq "broken keyfile: messages on stderr" "$(grep -c 'plugin-broken.keys:2' "$work/broken.err")" 1
  expect_eq "broken keyfile: good key still verifies" "$(awk -F'\t' '$1 == 1 {print $3}' "$work/broken.out")" good
  ts -r "$cases" -o "ntpauth.keyfile:$home/data/missing.keys" -T fields -e ntpauth.verdict \
     >/dev/null 2>"$work/missing.err"
  grep -q 'missing.keys' "$work/missing.err" || fail "missing keyfile not reported: $(cat "$work/missing.err")"
  expect_eq "missing keyfile: messages" "$(grep -c 'missing.keys' "$work/missing.err")" 1
  # Settings that cannot be read are an error shown once, never "trust every key": nothing
  # verifies as good until they are fixed (the analyzer exits 2 on the same settings).
  ts -r "$cases" -o "ntpauth.keyfile:$keys" -o 'ntpauth.trusted_keys:bogus' -T fields \
     -e frame.number -e ntpauth.keyring_problem -e ntpauth.verdict >"$work/badtrust.out" \
     2>"$work/badtrust.err"
  expect_eq "bad trust list: error messages" "$(grep -c 'trusted keys "bogus"' "$work/badtrust.err")" 1
  expect_eq "bad trust list: problem shown on" \
    "$(awk -F'\t' '$2 != "" {print $1}' "$work/badtrust.out" | tr '\n' ' ')" "1 "
  expect_eq "bad trust list: nothing trusted" \
    "$(awk -F'\t' -v f=$F_GOOD_REQ '$1 == f {print $3}' "$work/badtrust.out")" untrusted_key
  local uat1='uat:ntpauth_keys:"11","SHA1","HEX:933F62BE1D604E68A81B557F18CFA200483F5B70"'
  got=$(field $F_GOOD_REQ ntpauth.verdict -o "$uat1" -o "ntpauth.keyfile:$home/data/missing.keys")
  expect_eq "unreadable keyfile: table keys not trusted" "$got" untrusted_key
}

# 200 corrupted copies (editcap -E with different seeds), merged into 4 files.
make_corrupted() {
  collect_captures
  local n=0 seed f dir=$home/corrupt
  mkdir -p "$dir"
  while [ $n -lt 200 ]; do
    for f in "${cap_files[@]}"; do
      [ $n -ge 200 ] && break
      seed=$((n * 7919 + 17))
      # Every other copy spares the first 28 bytes (IPv4 + UDP) so the damage lands in NTP.
      if [ $((n % 2)) = 0 ]; then
        editcap -E 0.02 --seed $seed "$f" "$dir/c$n.pcap" 2>/dev/null
      else
        editcap -E 0.02 -o 28 --seed $seed "$f" "$dir/c$n.pcap" 2>/dev/null
      fi || die "editcap failed on $f"
      n=$((n + 1))
    done
  done
  local g
  for g in 0 1 2 3; do
    local part_files=()
    for ((i = g; i < 200; i += 4)); do part_files+=("$dir/c$i.pcap"); done
    mergecap -a -F pcap -w "$home/data/corrupt$g.pcap" "${part_files[@]}" 2>/dev/null ||
      mergecap -a -w "$home/data/corrupt$g.pcap" "${part_files[@]}" || die "mergecap failed"
  done
  rm -rf "$dir"
  [ "$(id -u)" = 0 ] && chown -R 65534:65534 "$home/data"
}

part_robustness() {
  # What a crash, a failed assertion or a dissector exception look like in tshark's output.
  local crash_re='Segmentation fault|[Aa]ssertion|ASSERT|Dissector bug|core dumped|Aborted|Malformed Packet: (NTPAUTH|ntpauth)|ntpauth.*[Ee]xception'
  make_corrupted
  local g rc
  for g in 0 1 2 3; do
    ts -r "$home/data/corrupt$g.pcap" -2 -V -o "ntpauth.keyfile:$keys" >"$work/corrupt$g.out" 2>"$work/corrupt$g.err"
    rc=$?
    if [ $rc -ne 0 ]; then
      fail "corrupt$g.pcap: tshark exited $rc"; tail -5 "$work/corrupt$g.err" >&2
    elif grep -qE "$crash_re" "$work/corrupt$g.out" "$work/corrupt$g.err"; then
      fail "corrupt$g.pcap: $(grep -E "$crash_re" "$work/corrupt$g.out" "$work/corrupt$g.err" | head -3)"
    else
      note "corrupt$g.pcap: $(grep -c '^Frame ' "$work/corrupt$g.out") frames, $(grep -c '^NTP Authentication' "$work/corrupt$g.out") verified by ntpauth, no crash"
    fi
  done
  grep -q '^NTP Authentication' "$work"/corrupt*.out || fail "the plugin never ran on the corrupted captures"
}

part_valgrind() {
  command -v valgrind >/dev/null || die "valgrind is not installed"
  make_corrupted
  local log=$work/valgrind.log
  as_user valgrind --error-limit=no --num-callers=30 --leak-check=full --log-file="$home/valgrind.log" \
    tshark -r "$home/data/corrupt0.pcap" -2 -V -o "ntpauth.keyfile:$keys" >"$work/valgrind.out" 2>"$work/valgrind.err"
  local rc=$?
  cp "$home/valgrind.log" "$log" 2>/dev/null || die "valgrind wrote no log"
  [ $rc -eq 0 ] || fail "tshark under valgrind exited $rc"
  grep -q 'ERROR SUMMARY' "$log" || fail "valgrind did not finish (no ERROR SUMMARY)"
  grep -q '^NTP Authentication' "$work/valgrind.out" || fail "the plugin did not run under valgrind"
  # NTS: the chrony sample with its key log as tls.keylog_file (NTS-KE decrypted by Wireshark and
  # shown by the plugin, cookies linked) and the dumps.
  local nts=$home/data/nts log_nts=$work/valgrind-nts.log
  cp -r "$source/samples/nts" "$nts" && chown -R 65534:65534 "$nts" 2>/dev/null
  as_user valgrind --error-limit=no --num-callers=30 --leak-check=full --log-file="$home/valgrind-nts.log" \
    tshark -r "$nts/chrony-nts.pcap" -2 -V -o "tls.keylog_file:$nts/keylog.txt" \
    -o "ntpauth.nts_dump:$nts/dump1;$nts/dump2" >"$work/valgrind-nts.out" 2>>"$work/valgrind.err"
  [ $? -eq 0 ] || fail "tshark under valgrind exited non-zero on the NTS sample"
  cp "$home/valgrind-nts.log" "$log_nts" 2>/dev/null || die "valgrind wrote no NTS log"
  grep -q '^NTS Key Establishment' "$work/valgrind-nts.out" ||
    fail "the plugin's NTS-KE part did not run under valgrind"
  # An error (or a definite leak) counts against the plugin when any frame of its stack is in
  # ntpauth.so.
  python3 - "$log" "$log_nts" <<'EOF' || fail "valgrind reports errors in the plugin (see $log)"
import re, sys
blocks, cur = [], []
for name in sys.argv[1:]:
    for line in open(name, errors="replace"):
        body = re.sub(r"^==\d+==\s?", "", line.rstrip("\n"))
        if body.strip() == "":
            if cur: blocks.append(cur); cur = []
        else:
            cur.append(body)
    if cur: blocks.append(cur); cur = []
kinds = ("Invalid read", "Invalid write", "Conditional jump", "Use of uninitialised",
         "Invalid free", "Mismatched free", "Source and destination overlap", "Syscall param")
def is_error(first):
    return first.startswith(kinds) or "definitely lost" in first
bad = [b for b in blocks if is_error(b[0])
       and any(re.search(r"ntpauth\.so|packet-ntpauth|ntpauth-keys|ntpauth-nts|ntpauth-ke|\bnta_|/libntpauth/", l)
               for l in b)]
total = [b for b in blocks if is_error(b[0])]
for b in bad[:5]:
    print("\n".join(b), file=sys.stderr)
print(f"-- valgrind: {len(total)} error/leak reports in tshark, {len(bad)} involving the plugin")
sys.exit(1 if bad else 0)
EOF
}

mkdir -p "$work" || die "cannot create $work"
case "$part" in
  load) part_load ;;
  verdicts) part_verdicts ;;
  prefs) part_prefs ;;
  robustness) part_robustness ;;
  valgrind) part_valgrind ;;
  *) die "unknown part '$part'" ;;
esac
if [ $failures -gt 0 ]; then
  echo "plugin-test $part: $failures failure(s)" >&2
  exit 1
fi
echo "plugin-test $part: ok"
