#!/usr/bin/env bash
# Installs what NativeContrastive needs on a fresh Debian 12 machine that has the .NET SDK:
# the default data set (Fashion-MNIST, Debian package) and NuGet packages (dotnet restore).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_pkgs=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need_pkgs+=(dataset-fashion-mnist)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

dotnet restore NativeContrastive.sln --verbosity quiet
