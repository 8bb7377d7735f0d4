#!/usr/bin/env bash
# dissector/screenshot.sh - a screenshot of the real Wireshark GUI showing the ntpauth tree.
#
#   dissector/screenshot.sh [BUILD_DIR] [OUTPUT.png]
#
# Installs wireshark-qt, xvfb, xdotool and imagemagick (apt; only this script does that), starts
# Wireshark as nobody (4.0 ignores personal plugins for root) with a private HOME holding the
# plugin from BUILD_DIR (default: build), on a capture with a bad MAC (samples/ when present,
# else the plugin test capture), under Xvfb. It selects the first bad frame, collapses every
# tree, expands "NTP Authentication" and saves the screen as OUTPUT (default
# dissector/screenshot.png). Not run by ctest.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
out=${2:-$here/screenshot.png}
case "$out" in /*) ;; *) out=$PWD/$out ;; esac

[ "$(id -u)" = 0 ] || { echo "screenshot.sh: run as root (it installs packages and drops to nobody)" >&2; exit 2; }
plugin=$build/dissector/ntpauth.so
gen=$build/tests/dissector/gen_plugin_captures
[ -r "$plugin" ] || { echo "screenshot.sh: $plugin not built (cmake --build $build --target ntpauth-plugin)" >&2; exit 2; }

need=()
for p in wireshark-qt xvfb xdotool imagemagick; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
fi

# A fixed, short path: it shows in the tree ("Key from: ...") of the committed picture.
home=/tmp/ntpauth-screenshot
mkdir "$home" || { echo "screenshot.sh: $home exists (another run?); remove it first" >&2; exit 1; }
xvfb_pid= ws_pid=
cleanup() {
  [ -n "$ws_pid" ] && kill "$ws_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

mkdir -p "$home/.local/lib/wireshark/plugins/4.0/epan" "$home/.config/wireshark" "$home/data" "$home/run"
cp "$plugin" "$home/.local/lib/wireshark/plugins/4.0/epan/ntpauth.so"

# A capture with a bad MAC: a sample when the samples exist, else the plugin test capture.
cap= capfile=
for f in "$repo"/samples/*.pcap; do
  [ -r "$f" ] || continue
  k=${f%.pcap}.keys; [ -r "$k" ] || k=$repo/samples/ntp.keys
  [ -r "$k" ] || continue
  verdicts=$("$build/analyzer/ntpauth-analyze" --format jsonl -k "$k" "$f" 2>/dev/null || true)
  if printf '%s\n' "$verdicts" | grep -q '"verdict":"bad_mac"'; then
    cp "$f" "$home/data/"; cp "$k" "$home/data/ntp.keys"; cap=$f; capfile=$home/data/$(basename "$f"); break
  fi
done
if [ -z "$cap" ]; then
  [ -x "$gen" ] || { echo "screenshot.sh: no sample with a bad MAC and $gen not built" >&2; exit 2; }
  "$gen" "$home/data" >/dev/null
  mv "$home/data/plugin.keys" "$home/data/ntp.keys"
  cap="the plugin test capture"; capfile=$home/data/plugin-cases.pcap
fi
chmod 600 "$home/data/ntp.keys"

# Preferences: the keyfile; the shipped coloring rules; a classic three-pane layout.
cat >"$home/.config/wireshark/preferences" <<EOF
ntpauth.keyfile: $home/data/ntp.keys
gui.layout_type: 1
gui.update.enabled: FALSE
gui.ask_unsaved: FALSE
gui.console_open: NEVER
EOF
cp "$here/ntpauth.colorfilters" "$home/.config/wireshark/colorfilters"
# Window geometry and pane sizes (recent files): a short packet list, a tall details pane,
# no bytes pane.
cat >"$home/.config/wireshark/recent_common" <<EOF
gui.geometry_main_x: 0
gui.geometry_main_y: 0
gui.geometry_main_width: 1280
gui.geometry_main_height: 860
gui.geometry_main_maximized: TRUE
privs.warn_if_elevated: FALSE
EOF
cat >"$home/.config/wireshark/recent" <<EOF
gui.byte_view_show: FALSE
gui.statusbar_show: TRUE
gui.geometry_main_upper_pane: 230
gui.geometry_main_lower_pane: 0
gui.packet_list_colorize: TRUE
EOF
chown -R 65534:65534 "$home"
chmod 700 "$home/run"

# First bad frame, counted the way Wireshark numbers frames.
bad=$(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$home" \
      tshark -r "$capfile" -Y 'ntpauth.verdict == "bad_mac"' -T fields -e frame.number 2>/dev/null | head -1)
[ -n "$bad" ] || { echo "screenshot.sh: no bad MAC in $cap" >&2; exit 1; }

# A free display number.
disp=99
while [ -e /tmp/.X11-unix/X$disp ] || [ -e /tmp/.X$disp-lock ]; do disp=$((disp + 1)); done
Xvfb ":$disp" -screen 0 1280x860x24 -nolisten tcp -ac >/dev/null 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do [ -e /tmp/.X11-unix/X$disp ] && break; sleep 0.2; done
[ -e /tmp/.X11-unix/X$disp ] || { echo "screenshot.sh: Xvfb did not start" >&2; exit 1; }
export DISPLAY=:$disp

setpriv --reuid=65534 --regid=65534 --clear-groups \
  env HOME="$home" XDG_RUNTIME_DIR="$home/run" DISPLAY=":$disp" QT_QPA_PLATFORM=xcb \
  wireshark -r "$capfile" -g "$bad" >"$home/wireshark.log" 2>&1 &
ws_pid=$!

# Wait (bounded) for the main window with the capture loaded.
win=
for _ in $(seq 120); do
  win=$(xdotool search --onlyvisible --name "$(basename "$capfile" .pcap)" 2>/dev/null | head -1 || true)
  [ -n "$win" ] && break
  kill -0 "$ws_pid" 2>/dev/null || { cat "$home/wireshark.log" >&2; echo "screenshot.sh: wireshark exited" >&2; exit 1; }
  sleep 0.5
done
[ -n "$win" ] || { cat "$home/wireshark.log" >&2; echo "screenshot.sh: no Wireshark window" >&2; exit 1; }
sleep 4
xdotool windowactivate --sync "$win" 2>/dev/null || true
xdotool windowsize "$win" 1280 860 windowmove "$win" 0 0 2>/dev/null || true
sleep 1

# Details pane: give it the focus with a click in its empty lower part, collapse every tree,
# go to the last top-level item (NTP Authentication, the postdissector's) and expand its
# subtrees (Wireshark's Shift+Right).
eval "$(xdotool getwindowgeometry --shell "$win")"
xdotool mousemove --window "$win" $((WIDTH / 2)) $((HEIGHT * 85 / 100)) click 1
sleep 0.5
xdotool key --window "$win" ctrl+Left
sleep 0.5
xdotool key --window "$win" End
sleep 0.5
xdotool key --window "$win" shift+Right
sleep 1
# Then drag the splitter between the packet list and the details pane (at about 56 % of the
# window height with these settings) up, so the details pane gets most of the room.
xdotool mousemove --window "$win" $((WIDTH / 2)) $((HEIGHT * 561 / 1000)) mousedown 1 \
  mousemove --window "$win" $((WIDTH / 2)) $((HEIGHT * 25 / 100)) mouseup 1
sleep 1
xdotool mousemove $((WIDTH - 5)) $((HEIGHT - 5))

import -window root -display ":$disp" "$home/shot.png"
convert "$home/shot.png" -strip -colors 128 "png8:$out" 2>/dev/null || cp "$home/shot.png" "$out"
echo "screenshot.sh: $out ($(stat -c %s "$out") bytes), frame $bad of $cap"
