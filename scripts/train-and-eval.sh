#!/usr/bin/env bash
# The main job: set up, build, train the default method (SimCLR, small encoder) on
# Fashion-MNIST on the cpu device, then evaluate the checkpoint with weighted kNN on the
# test set. Extra arguments are passed to `nc train` (e.g. --method npid --epochs 2).
# The run folder is $NC_OUT (default: a new runs/train-and-eval-<time>, so running the script
# again never touches an earlier run); nc refuses a folder that holds an earlier run unless
# NC_FORCE is set (non-empty: passes --force, the earlier run is replaced).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build src/Cli/NativeContrastive.Cli.csproj -c Release --no-restore --verbosity quiet
nc="dotnet src/Cli/bin/Release/net10.0/nc.dll"
out=${NC_OUT:-runs/train-and-eval-$(date -u +%Y%m%d-%H%M%S)}
$nc train --out "$out" ${NC_FORCE:+--force} "$@"
$nc knn --checkpoint "$out/last.safetensors"
