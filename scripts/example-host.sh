#!/usr/bin/env bash
# Packs NativeContrastive.Engine into artifacts/packages, restores examples/EmbedHost from that local
# feed (it references nothing else of the repository) and runs it: load a checkpoint, embed the
# example images, print nearest neighbours. Without a checkpoint argument a tiny one is trained first
# (SimCLR, 256 Fashion-MNIST images, one epoch). Prints "example-host: ok" and exits 0 on success.
#   scripts/example-host.sh [CHECKPOINT] [--no-build]   (--no-build: pack the Release build already there)
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt=""; pack_flags=()
for a in "$@"; do
  case "$a" in
    --no-build) pack_flags+=(--no-build) ;;
    *) ckpt="$a" ;;
  esac
done
nc=src/Cli/bin/Release/net10.0/nc.dll

dotnet pack src/Engine -c Release -o artifacts/packages --verbosity quiet "${pack_flags[@]}" >/dev/null
echo "example-host: packed $(ls artifacts/packages/NativeContrastive.Engine.0.1.0.nupkg) ($(stat -c %s artifacts/packages/NativeContrastive.Engine.0.1.0.nupkg) bytes)"

if [ -z "$ckpt" ]; then
  [ -f "$nc" ] || dotnet build src/Cli -c Release --verbosity quiet >/dev/null
  ckpt=artifacts/example-run
  rm -rf "$ckpt"
  dotnet "$nc" train --method simclr --limit 256 --epochs 1 --batch-size 64 --eval-limit 100 --no-online-probe --out "$ckpt" >/dev/null
  echo "example-host: trained $ckpt/last.safetensors"
fi

# The same version is re-packed on every run: drop the copy NuGet extracted last time.
rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/nativecontrastive.engine" examples/EmbedHost/obj examples/EmbedHost/bin
dotnet restore examples/EmbedHost --verbosity quiet >/dev/null
dotnet build examples/EmbedHost -c Release --no-restore --verbosity quiet >/dev/null
out=$(dotnet examples/EmbedHost/bin/Release/net10.0/embed-host.dll "$ckpt" examples/EmbedHost/images -k 3)
echo "$out"
# The host must have embedded all 12 images and listed 3 neighbours for each.
lines=$(echo "$out" | grep -c '\.png: .*, .*, ')
[ "$lines" -eq 12 ] || { echo "example-host: expected 12 neighbour lines, got $lines" >&2; exit 1; }
echo "example-host: ok"
