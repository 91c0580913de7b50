#!/usr/bin/env bash
# Installs what NativeContrastive needs on a fresh Debian 12 machine that has the .NET SDK:
# the default data set (Fashion-MNIST, Debian package), g++ (the emulated CUDA device),
# NVRTC (compiles the CUDA kernels, no GPU needed), NuGet packages (dotnet restore), and
# builds the emulated device's libraries (release, asan, tsan; incremental).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_pkgs=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need_pkgs+=(dataset-fashion-mnist)
command -v g++ >/dev/null || need_pkgs+=(g++)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

bash scripts/install-nvrtc.sh
bash scripts/build-emu.sh all

dotnet restore NativeContrastive.sln --verbosity quiet
