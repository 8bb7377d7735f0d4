#!/bin/bash
# libntpauth.a may define only nta_-prefixed global symbols: a static archive cannot hide names
# (visibility does not apply), so every cross-file internal takes the prefix and everything else
# is static. Fails listing each other global symbol the archive defines.
#
#   exports.sh NM LIBNTPAUTH.a
set -u
nm_tool=$1 lib=$2
[ -f "$lib" ] || { echo "FAIL: $lib missing" >&2; exit 1; }

syms=$("$nm_tool" -g --defined-only "$lib") || { echo "FAIL: $nm_tool $lib" >&2; exit 1; }
bad=0 total=0
while read -r _ type name; do
  [ -n "${name:-}" ] || continue
  total=$((total + 1))
  case $name in
    nta_*) continue ;;
    __*) continue ;;   # made by the compiler or a sanitizer, not by our code
  esac
  echo "FAIL: $lib defines global $type $name (needs the nta_ prefix or static)" >&2
  bad=1
done <<<"$syms"
[ "$total" -gt 0 ] || { echo "FAIL: no global symbols read from $lib" >&2; exit 1; }
[ "$bad" = 0 ] && echo "ok: $total global symbols in $(basename "$lib"), all nta_"
exit $bad
