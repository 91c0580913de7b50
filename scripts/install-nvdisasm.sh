#!/usr/bin/env bash
# Installs nvdisasm (CUDA 11.8, disassembles sm_80 and sm_90 CUBINs; runs without a GPU) for
# `nc kernels --sass-loops`: downloads Debian non-free's nvidia-cuda-toolkit package (84 MB,
# scripts/nonfree-apt.sh) and extracts only the nvdisasm binary into
# ~/.cache/nativecontrastive/cuda-tools/nvdisasm (or $NC_NVDISASM), without installing the
# package or its dependencies. A developer tool: neither the build nor the tests need it.
# Idempotent: does nothing when the binary is already there.
set -euo pipefail
dest=${NC_NVDISASM:-$HOME/.cache/nativecontrastive/cuda-tools/nvdisasm}
if [ -x "$dest" ]; then
  echo "install-nvdisasm: $dest already present"
  exit 0
fi
. "$(dirname "$0")/nonfree-apt.sh"
nonfree_apt_setup install-nvdisasm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "install-nvdisasm: downloading nvidia-cuda-toolkit from Debian non-free"
(cd "$work" && apt-get "${NONFREE_APT[@]}" download nvidia-cuda-toolkit >/dev/null 2>&1)
deb=$(ls "$work"/nvidia-cuda-toolkit_*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" ./usr/bin/nvdisasm
mkdir -p "$(dirname "$dest")"
mv "$work/usr/bin/nvdisasm" "$dest.tmp" && mv "$dest.tmp" "$dest"
"$dest" --version | tail -1
echo "install-nvdisasm: installed $dest"
