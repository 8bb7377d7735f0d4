#!/usr/bin/env bash
# tests/packaging/packaging-test.sh - installing ntpauth as a user and as a Debian package.
#
#   packaging-test.sh --source SRCDIR --work DIR [--unit FILE] [--launcher CCACHE] PART
#
# PART:
#   user-build   as a non-root user: configure a copy of the source, build what gets installed,
#                `cmake --install` into a temporary prefix and check the tree; install only the
#                plugin with the README's personal-plugin command and see `tshark -G plugins` (as
#                that user) list it; every installed program answers --help and --version with
#                exit 0. Then the same build tree configured for /usr makes the .deb with cpack.
#   deb-contents `dpkg-deb -c`/`-I`: the expected paths, a conffile, computed dependencies,
#                gzipped man pages, stripped binaries.
#   lintian      lintian on the .deb: no error (E:).
#   deb-install  dpkg -i, check, dpkg -r, dpkg -P: nothing left. Guarded: it runs only when the
#                package is not installed, /etc/ntpauth does not exist and installing would
#                neither add nor remove any other package (else exit 77, skipped).
#   unit         `systemd-analyze security --offline=true` on the unit: exposure <= 4.0.
set -uo pipefail

source= work= unit= part= launcher=
while [ $# -gt 0 ]; do
  case "$1" in
    --launcher) launcher=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --unit) unit=$2; shift 2 ;;
    -*) echo "packaging-test: unknown option $1" >&2; exit 2 ;;
    *) part=$1; shift ;;
  esac
done

fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || fail "$1 is missing (scripts/setup --test installs it)"; }

uid=$(id -u)
# Commands of the "user" run as nobody when the test runs as root.
# A compiler launcher (the developer's ccache) keeps its cache next to the work folder.
as_user() {
  if [ "$uid" = 0 ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups \
      env HOME="$work/home" CCACHE_DIR="$work.ccache" "$@"
  else
    env HOME="$work/home" CCACHE_DIR="$work.ccache" "$@"
  fi
}
deb_file() { ls "$work"/ntpauth_*_amd64.deb 2>/dev/null | head -n1; }

programs=(ntpauth-analyze ntpauth-query ntpauth-keygen ntpauth-sim-nmea ntpauth-sim-dcf77
          ntpauth-sim-shm)

check_programs() {   # PREFIX: every program answers --help and --version with exit 0
  local p exe
  for p in "${programs[@]}" ntpauth-server; do
    exe=$1/bin/$p
    [ "$p" = ntpauth-server ] && exe=$1/sbin/$p
    [ -x "$exe" ] || fail "$exe not installed"
    as_user "$exe" --help >/dev/null || fail "$p --help exits $?"
    as_user "$exe" --version | grep -q "^$p " || fail "$p --version does not name $p"
  done
}

user_build() {
  need cmake; need tshark; need setpriv
  rm -rf "$work"; mkdir -p "$work/home" "$work.ccache"
  tar -C "$source" --exclude='./build*' --exclude=./.git -cf - . | (mkdir -p "$work/src" && tar -C "$work/src" -xf -)
  [ "$uid" = 0 ] && chown -R 65534:65534 "$work" "$work.ccache"
  local b=$work/build prefix=$work/prefix
  as_user cmake -S "$work/src" -B "$b" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
    -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON -DCMAKE_C_COMPILER_LAUNCHER="$launcher" \
    >"$work/configure.log" 2>&1 ||
    { tail -20 "$work/configure.log"; fail "configure as a user"; }
  as_user cmake --build "$b" -j2 --target ntpauth-dist >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; fail "build as a user"; }
  as_user cmake --install "$b" >"$work/install.log" 2>&1 ||
    { tail -20 "$work/install.log"; fail "cmake --install as a user into $prefix"; }
  for f in bin/ntpauth-analyze sbin/ntpauth-server lib/wireshark/plugins/4.0/epan/ntpauth.so \
           etc/ntpauth/ntpauth-server.conf share/doc/ntpauth/examples/ntpauth-server.conf \
           lib/systemd/system/ntpauth-server.service lib/sysusers.d/ntpauth.conf \
           share/man/man1/ntpauth-query.1.gz share/man/man8/ntpauth-server.8.gz \
           share/bash-completion/completions/ntpauth-keygen; do
    [ -e "$prefix/$f" ] || fail "cmake --install: $prefix/$f missing"
  done
  grep -q "^ExecStart=$prefix/sbin/ntpauth-server " "$prefix/lib/systemd/system/ntpauth-server.service" ||
    fail "the unit does not start $prefix/sbin/ntpauth-server"
  check_programs "$prefix"
  echo "user install into $prefix: ok"

  # The README's plugin-only command, into the personal folder; tshark (as the user) lists it.
  as_user cmake --install "$b" --component personal-plugin --prefix "$work/home/.local" >/dev/null ||
    fail "personal-plugin install"
  local personal=$work/home/.local/lib/wireshark/plugins/4.0/epan/ntpauth.so
  [ -f "$personal" ] || fail "$personal missing"
  as_user tshark -G plugins 2>&1 | grep -q "ntpauth\.so.*$personal" ||
    fail "tshark -G plugins does not list $personal"
  echo "personal plugin: tshark lists $personal"

  # The same tree configured for /usr makes the Debian package.
  as_user cmake -S "$work/src" -B "$b" -DCMAKE_INSTALL_PREFIX=/usr >>"$work/configure.log" 2>&1 ||
    fail "configure for /usr"
  as_user cmake --build "$b" -j2 --target ntpauth-dist >>"$work/build.log" 2>&1 || fail "rebuild"
  (cd "$b" && as_user cpack -G DEB >"$work/cpack.log" 2>&1) || { tail -20 "$work/cpack.log"; fail "cpack -G DEB"; }
  cp "$b"/ntpauth_*_amd64.deb "$work/" || fail "cpack made no ntpauth_<version>_amd64.deb"
  echo "package: $(deb_file)"
}

deb_contents() {
  local deb; deb=$(deb_file); [ -n "$deb" ] || fail "no package in $work"
  local list; list=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
  local p
  for p in /usr/bin/ntpauth-analyze /usr/bin/ntpauth-query /usr/bin/ntpauth-keygen \
           /usr/bin/ntpauth-sim-nmea /usr/bin/ntpauth-sim-dcf77 /usr/bin/ntpauth-sim-shm \
           /usr/sbin/ntpauth-server \
           /usr/lib/x86_64-linux-gnu/wireshark/plugins/4.0/epan/ntpauth.so \
           /etc/ntpauth/ntpauth-server.conf /lib/systemd/system/ntpauth-server.service \
           /usr/lib/sysusers.d/ntpauth.conf /usr/share/doc/ntpauth/copyright \
           /usr/share/doc/ntpauth/changelog.gz /usr/share/man/man1/ntpauth-analyze.1.gz \
           /usr/share/man/man8/ntpauth-server.8.gz /usr/share/man/man5/ntpauth-server.conf.5.gz \
           /usr/share/bash-completion/completions/ntpauth-analyze \
           /usr/share/bash-completion/completions/ntpauth-server; do
    grep -qx "$p" <<<"$list" || fail "$deb lacks $p"
  done
  grep -q '^/usr/etc' <<<"$list" && fail "$deb installs into /usr/etc"
  dpkg-deb -f "$deb" Depends | grep -q 'libpcap0.8' || fail "Depends not computed from the binaries"
  dpkg-deb -e "$deb" "$work/control" || fail "dpkg-deb -e"
  grep -qx /etc/ntpauth/ntpauth-server.conf "$work/control/conffiles" || fail "config is no conffile"
  rm -rf "$work/unpacked"; dpkg-deb -x "$deb" "$work/unpacked"
  for p in usr/sbin/ntpauth-server usr/bin/ntpauth-analyze; do
    file "$work/unpacked/$p" | grep -q ', stripped' || fail "$p is not stripped"
  done
  echo "contents of $(basename "$deb"): ok"
}

run_lintian() {
  need lintian
  local deb; deb=$(deb_file); [ -n "$deb" ] || fail "no package in $work"
  local out; out=$(as_user lintian "$deb" 2>&1)
  echo "$out"
  grep -q '^E: ' <<<"$out" && fail "lintian reports errors"
  echo "lintian: no errors"
}

deb_install() {
  local deb; deb=$(deb_file); [ -n "$deb" ] || fail "no package in $work"
  [ "$uid" = 0 ] || { echo "SKIP: installing a package needs root"; exit 77; }
  if dpkg-query -W -f='${Status}' ntpauth 2>/dev/null | grep -q installed; then
    echo "SKIP: ntpauth is installed on this machine; not touching it"; exit 77
  fi
  [ -e /etc/ntpauth ] && { echo "SKIP: /etc/ntpauth exists; not touching it"; exit 77; }
  # apt's simulation lists every package it would install (Inst) or remove (Remv).
  local sim; sim=$(apt-get -s install "$deb" 2>&1) || { echo "$sim"; fail "apt-get -s install"; }
  if grep -E '^(Inst|Remv) ' <<<"$sim" | grep -vq '^Inst ntpauth '; then
    echo "$sim"; echo "SKIP: installing would change other packages"; exit 77
  fi
  trap 'dpkg -P ntpauth >/dev/null 2>&1' EXIT
  dpkg -i "$deb" || fail "dpkg -i"
  local files; files=$(dpkg -L ntpauth)
  getent passwd ntpauth >/dev/null || fail "no system user ntpauth after install"
  /usr/bin/ntpauth-analyze "$source"/samples/*.pcap* -k "$source/samples/ntp.keys" >/dev/null
  [ $? -le 1 ] || fail "installed ntpauth-analyze fails on the samples"
  mkdir -p "$work/nobody-home"; chown 65534:65534 "$work/nobody-home"
  setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$work/nobody-home" tshark -G plugins 2>&1 |
    grep -q 'ntpauth\.so.*/usr/lib/x86_64-linux-gnu/wireshark/plugins/4.0/epan' ||
    fail "tshark -G plugins does not list the packaged plugin"
  dpkg -r ntpauth || fail "dpkg -r"
  [ -e /usr/bin/ntpauth-analyze ] && fail "dpkg -r left /usr/bin/ntpauth-analyze"
  [ -f /etc/ntpauth/ntpauth-server.conf ] || fail "dpkg -r removed the conffile (only purge may)"
  dpkg -P ntpauth || fail "dpkg -P"
  trap - EXIT
  local f left=0
  while read -r f; do
    [ -d "$f" ] && continue
    [ -e "$f" ] && { echo "left behind: $f" >&2; left=1; }
  done <<<"$files"
  for f in /etc/ntpauth /var/lib/ntpauth /var/log/ntpauth; do
    [ -e "$f" ] && { echo "left behind: $f" >&2; left=1; }
  done
  [ "$left" = 0 ] || fail "purge left files behind"
  echo "install, remove, purge: ok"
}

unit_security() {
  need systemd-analyze
  [ -f "$unit" ] || fail "unit $unit missing"
  grep -q '^Conflicts=' "$unit" && fail "the unit conflicts with other services"
  grep -Eq '^(PrivateDevices|PrivateIPC)=yes' "$unit" && fail "PrivateDevices/PrivateIPC break refclocks"
  grep -q '^ExecReload=.*-HUP' "$unit" || fail "reload does not send SIGHUP"
  local out; out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
  local level; level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
  [ -n "$level" ] || { echo "$out"; fail "no exposure level"; }
  echo "exposure: $level"
  awk -v l="$level" 'BEGIN { exit !(l <= 4.0) }' || { echo "$out"; fail "exposure $level > 4.0"; }
}

case "$part" in
  user-build) user_build ;;
  deb-contents) deb_contents ;;
  lintian) run_lintian ;;
  deb-install) deb_install ;;
  unit) unit_security ;;
  *) echo "packaging-test: unknown part '$part'" >&2; exit 2 ;;
esac
