#!/usr/bin/env bash
# tests/docs/man-test.sh - the manual pages against the programs.
#
#   man-test.sh MANDIR EXAMPLE-CONF PROGRAM...
#
# For every installed PROGRAM: a page MANDIR/NAME.N exists and renders without a groff or man
# warning; the long options in its OPTIONS section are exactly those `NAME --help` shows; the
# help names the exit status. Every page in MANDIR renders cleanly, and every directive of the
# example configuration is described in ntpauth-server.conf(5).
set -uo pipefail
mandir=$1 example=$2; shift 2
failed=0
bad() { echo "FAIL: $*" >&2; failed=1; }

render() { LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -l "$1" 2>"$tmp/warn" | col -bx; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

for page in "$mandir"/*.[0-9]; do
  render "$page" >/dev/null
  [ -s "$tmp/warn" ] && { cat "$tmp/warn" >&2; bad "$(basename "$page") renders with warnings"; }
done

long_opts() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
for exe in "$@"; do
  name=$(basename "$exe")
  page=$(ls "$mandir/$name".[0-9] 2>/dev/null | head -n1)
  [ -n "$page" ] || { bad "$name has no manual page in docs/man/"; continue; }
  help=$("$exe" --help 2>&1) || bad "$name --help exits $?"
  grep -qi 'exit status' <<<"$help" || bad "$name --help does not document its exit status"
  long_opts <<<"$help" >"$tmp/help"
  render "$page" | awk '/^OPTIONS/ { on = 1; next } /^[A-Z]/ { on = 0 } on' | long_opts >"$tmp/man"
  if ! diff -u "$tmp/help" "$tmp/man" >"$tmp/diff"; then
    sed 's/^/  /' "$tmp/diff" >&2
    bad "$name: --help (-) and the OPTIONS of $(basename "$page") (+) list different options"
  fi
done

# Directives of the example configuration (also the commented ones) are in section 5.
conf=$(render "$mandir/ntpauth-server.conf.5" | awk '/^DIRECTIVES/ { on = 1; next } /^[A-Z]/ { on = 0 } on')
for d in $(sed -nE 's/^#?([a-z][a-z-]+) .*/\1/p' "$example" | sort -u); do
  grep -qE "^ {7}$d( |$)" <<<"$conf" || bad "directive '$d' of $(basename "$example") is not in ntpauth-server.conf(5)"
done

[ "$failed" = 0 ] && echo "manual pages: ok ($# programs)"
exit "$failed"
