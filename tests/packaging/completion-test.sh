#!/usr/bin/env bash
# tests/packaging/completion-test.sh - bash completion of the ntpauth programs.
#
#   completion-test.sh COMPLETION-SCRIPT PROGRAM...
#
# Loads bash-completion and our script, then completes like a shell would: `PROG --` offers
# exactly the long options of PROG --help, and options with fixed values offer those values.
set -uo pipefail
script=$1; shift
bc=/usr/share/bash-completion/bash_completion
[ -r "$bc" ] || { echo "FAIL: $bc missing (scripts/setup --test installs bash-completion)" >&2; exit 1; }
# shellcheck disable=SC1090
source "$bc"
source "$script"
failed=0
bad() { echo "FAIL: $*" >&2; failed=1; }

complete_line() {   # WORDS... (the last one is being completed) -> one candidate a line
  COMP_WORDS=("$@")
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _ntpauth "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort -u
}
expect() {   # "WANTED WORDS" WORDS...
  local want; want=$(tr ' ' '\n' <<<"$1" | sort -u); shift
  local got; got=$(complete_line "$@")
  [ "$got" = "$want" ] || bad "completing '${*##*/}': got [$(echo $got)], want [$(echo $want)]"
}

declare -A exe
for p in "$@"; do
  exe[$(basename "$p")]=$p
  want=$("$p" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  got=$(complete_line "$p" --)
  [ "$got" = "$want" ] || bad "$(basename "$p") -- does not offer exactly the options of --help"
done
expect "text jsonl json csv" "${exe[ntpauth-analyze]}" --format ""
expect "auto ntpd ntpsec chrony" "${exe[ntpauth-analyze]}" --keys-dialect ""
expect "ntpd ntpsec chrony" "${exe[ntpauth-keygen]}" --dialect ""
expect "AES128CMAC AES256CMAC" "${exe[ntpauth-keygen]}" -t AES
expect "50 75" "${exe[ntpauth-sim-dcf77]}" --baud ""
complete_line "${exe[ntpauth-query]}" --scenario "" | grep -qx sha256-v3-full ||
  bad "ntpauth-query --scenario does not offer the scenarios of --help"

[ "$failed" = 0 ] && echo "bash completion: ok ($# programs)"
exit "$failed"
