#!/usr/bin/env bash
# Installs NVRTC (libnvrtc11.2 = NVRTC 11.8, targets up to sm_90) from Debian 12's non-free
# component without touching /etc/apt (scripts/nonfree-apt.sh). NVRTC runs without a GPU; the kernel tests compile
# every kernel with it. Idempotent: does nothing when the library is already there.
set -euo pipefail
lib=/usr/lib/x86_64-linux-gnu/libnvrtc.so.11.2
if [ -e "$lib" ] || ldconfig -p 2>/dev/null | grep -q 'libnvrtc\.so'; then
  echo "install-nvrtc: NVRTC already present"
  exit 0
fi
. "$(dirname "$0")/nonfree-apt.sh"
nonfree_apt_setup install-nvrtc
echo "install-nvrtc: installing libnvrtc11.2 from Debian non-free"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${NONFREE_APT[@]}" install -y -qq libnvrtc11.2 >/dev/null
[ -e "$lib" ] || { echo "install-nvrtc: $lib missing after install" >&2; exit 1; }
echo "install-nvrtc: installed $lib"
