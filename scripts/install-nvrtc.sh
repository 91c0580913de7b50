#!/usr/bin/env bash
# Installs NVRTC (libnvrtc11.2 = NVRTC 11.8, targets up to sm_90) from Debian 12's non-free
# component without touching /etc/apt: a private sources list, package lists and cache under
# $NC_APT_DIR (default /tmp/apt-nonfree). NVRTC runs without a GPU; the kernel tests compile
# every kernel with it. Idempotent: does nothing when the library is already there.
set -euo pipefail
lib=/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2
if [ -e "$lib" ] || ldconfig -p 2>/dev/null | grep -q 'libnvrtc\.so'; then
  echo "install-nvrtc: NVRTC already present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
D=${NC_APT_DIR:-/tmp/apt-nonfree}
mkdir -p "$D/lists/partial" "$D/cache/archives/partial"
# The archive comes from this machine's own apt configuration (deb822 debian.sources, else a
# one-line sources.list): the first Debian source and its first suite, with non-free added.
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ]; then
  uri=$(awk '/^URIs:/{print $2; exit}' "$src"); suite=$(awk '/^Suites:/{print $2; exit}' "$src")
else
  read -r uri suite < <(awk '$1 == "deb" && $2 !~ /security/ {print $2, $3; exit}' /etc/apt/sources.list 2>/dev/null)
fi
if [ -z "${uri:-}" ] || [ -z "${suite:-}" ]; then
  echo "install-nvrtc: no Debian source found in $src or /etc/apt/sources.list; install libnvrtc11.2 from Debian non-free by hand" >&2
  exit 1
fi
echo "deb $uri $suite main contrib non-free" > "$D/sources.list"
O=(-o "Dir::Etc::SourceList=$D/sources.list" -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$D/lists" -o "Dir::Cache=$D/cache")
echo "install-nvrtc: installing libnvrtc11.2 from Debian non-free"
$SUDO apt-get "${O[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${O[@]}" install -y -qq libnvrtc11.2 >/dev/null
[ -e "$lib" ] || { echo "install-nvrtc: $lib missing after install" >&2; exit 1; }
echo "install-nvrtc: installed $lib"
