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
echo 'deb http://deb.debian.org/debian bookworm main contrib non-free' > "$D/sources.list"
O=(-o "Dir::Etc::SourceList=$D/sources.list" -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$D/lists" -o "Dir::Cache=$D/cache")
echo "install-nvrtc: installing libnvrtc11.2 from Debian non-free"
$SUDO apt-get "${O[@]}" update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${O[@]}" install -y -qq libnvrtc11.2 >/dev/null
[ -e "$lib" ] || { echo "install-nvrtc: $lib missing after install" >&2; exit 1; }
echo "install-nvrtc: installed $lib"
