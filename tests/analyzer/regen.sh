#!/bin/sh
# Regenerates the committed captures in data/ with the generator (build target
# analyzer_gen_captures), then the expected outputs. Review `git diff` afterwards.
#   regen.sh BUILD_DIR
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: regen.sh BUILD_DIR}
"$build/tests/analyzer/analyzer_gen_captures" "$here/data/keys.ntpd" "$here/data"
"$here/run-golden.sh" "$build/analyzer/ntpauth-analyze" --update
