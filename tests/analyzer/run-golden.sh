#!/bin/sh
# Golden-output tests of ntpauth-analyze (see TESTLIST). Usage:
#   run-golden.sh ANALYZER [GEN_CAPTURES] [--update]
# --update rewrites expected/ from the current output (review the diff before committing).
# With GEN_CAPTURES, also checks that --threads 1, 2 and 3 print identical output on a longer
# generated capture.
set -u
here=$(cd "$(dirname "$0")" && pwd)
analyzer=$1; shift
gen=""
update=0
for a in "$@"; do
  case $a in
    --update) update=1 ;;
    *) gen=$a ;;
  esac
done
[ -x "$analyzer" ] || { echo "FAIL: analyzer '$analyzer' not executable"; exit 1; }
analyzer=$(cd "$(dirname "$analyzer")" && pwd)/$(basename "$analyzer")
if [ -n "$gen" ]; then gen=$(cd "$(dirname "$gen")" && pwd)/$(basename "$gen"); fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cp "$here"/data/* "$tmp"/
chmod 600 "$tmp"/keys.*
# The NTS sample (chronyd 4.3 client and server) with its key log and dumps, as nts/.
cp -r "$here/../../samples/nts" "$tmp/nts"
mkdir -p "$here/expected"

failed=0
passed=0
compare() {  # NAME KIND ACTUAL
  exp="$here/expected/$1.$2"
  if [ $update = 1 ]; then
    cp "$3" "$exp"
  elif ! [ -f "$exp" ]; then
    echo "FAIL $1: missing expected/$1.$2"; failed=$((failed + 1)); return 1
  elif ! cmp -s "$exp" "$3"; then
    echo "FAIL $1: $2 differs:"; diff -u "$exp" "$3" | head -40; failed=$((failed + 1)); return 1
  fi
  return 0
}

while read -r name want args; do
  case $name in ''|\#*) continue ;; esac
  ok=1
  # shellcheck disable=SC2086
  (cd "$tmp" && NO_COLOR=1 "$analyzer" $args >"$tmp/$name.out" 2>"$tmp/$name.err")
  got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: exit status $got, expected $want"; failed=$((failed + 1)); ok=0
  fi
  compare "$name" out "$tmp/$name.out" || ok=0
  compare "$name" err "$tmp/$name.err" || ok=0
  case " $args " in
    *" --format=json "*)
      # One JSON document: it must parse.
      if ! python3 -m json.tool "$tmp/$name.out" >/dev/null 2>"$tmp/$name.pyerr"; then
        echo "FAIL $name: invalid JSON: $(cat "$tmp/$name.pyerr")"; failed=$((failed + 1)); ok=0
      fi
      ;;
    *" --format"*) ;;
    *)
      # shellcheck disable=SC2086
      (cd "$tmp" && "$analyzer" --format=jsonl $args >"$tmp/$name.jsonl" 2>/dev/null)
      got=$?
      if [ "$got" != "$want" ]; then
        echo "FAIL $name: jsonl exit status $got, expected $want"; failed=$((failed + 1)); ok=0
      fi
      compare "$name" jsonl "$tmp/$name.jsonl" || ok=0
      # Every JSONL line must be valid JSON, the last one the summary.
      if ! python3 -c '
import json,sys
lines=open(sys.argv[1]).read().splitlines()
for l in lines: json.loads(l)
assert not lines or "summary" in json.loads(lines[-1])
' "$tmp/$name.jsonl" 2>"$tmp/$name.pyerr"; then
        echo "FAIL $name: invalid JSONL: $(cat "$tmp/$name.pyerr")"; failed=$((failed + 1)); ok=0
      fi
      ;;
  esac
  [ $ok = 1 ] && passed=$((passed + 1))
done <"$here/TESTLIST"

# Standard input ("-") gives exactly what the file gives.
(cd "$tmp" && "$analyzer" -k keys.ntpd --trusted=1-4,11 - <verdicts.pcap >"$tmp/stdin.out" 2>"$tmp/stdin.err")
got=$?
if [ $update = 0 ]; then
  if [ "$got" = 1 ] && cmp -s "$tmp/stdin.out" "$here/expected/verdicts.out"; then
    passed=$((passed + 1))
  else
    echo "FAIL stdin: exit $got or output differs from expected/verdicts.out"; failed=$((failed + 1))
  fi
fi

# A compressed capture gives exactly what the plain one gives (its name aside).
(cd "$tmp" && "$analyzer" --format=jsonl -k keys.ntpd verdicts.pcap >"$tmp/plain.jsonl" 2>&1)
for z in gz zst lz4; do
  (cd "$tmp" && "$analyzer" --format=jsonl -k keys.ntpd "verdicts.pcap.$z" 2>&1 |
     sed "s/verdicts\.pcap\.$z/verdicts.pcap/g" >"$tmp/z.jsonl")
  if [ $update = 0 ]; then
    if cmp -s "$tmp/plain.jsonl" "$tmp/z.jsonl"; then
      passed=$((passed + 1))
    else
      echo "FAIL compressed-$z: output differs from the plain capture's"; failed=$((failed + 1))
    fi
  fi
done

# The threaded pipeline keeps capture order: identical output for 1, 2, 3 workers.
if [ -n "$gen" ]; then
  if "$gen" "$tmp/keys.ntpd" "$tmp" --many 6000; then
    for t in 1 2 3; do
      (cd "$tmp" && "$analyzer" --threads=$t -k keys.ntpd --format=jsonl many.pcap >"$tmp/many-$t.jsonl")
      echo $? >"$tmp/many-$t.rc"
    done
    if cmp -s "$tmp/many-1.jsonl" "$tmp/many-2.jsonl" && cmp -s "$tmp/many-1.jsonl" "$tmp/many-3.jsonl" &&
       [ "$(cat "$tmp/many-1.rc")" = 1 ] && [ "$(wc -l <"$tmp/many-1.jsonl")" = 6002 ]; then
      passed=$((passed + 1))
    else
      echo "FAIL threads: --threads 1/2/3 outputs differ or are incomplete"; failed=$((failed + 1))
    fi
  else
    echo "FAIL threads: generator failed"; failed=$((failed + 1))
  fi
fi

if [ $update = 1 ]; then echo "expected/ updated"; exit 0; fi
echo "golden: $passed passed, $failed failed"
[ $failed = 0 ]
