#!/usr/bin/env bash
# The GPU figures issue 9 asks for (docs/RESULTS.md, "The cuda and emu devices"), in as few device
# minutes as possible. Runs on a lent GPU machine from the project's root, after
# ../shared/gpu/bundle.sh packed .gpu/ here (carry [".gpu"]). Parts, in the order to run them when
# device time is short:
#   tests   the Gpu test category (cuda kernels vs the cpu reference, graphs, cuBLAS)      ~1 min
#   speed   SimCLR ResNet-18 step, batch 256 of 3x32x32, SGD momentum, no probe (the PyTorch
#           anchor's step): nc profile --cuda-graphs at fp32, tf32, bf16 (each prints captured vs
#           eager ms per step), then the PyTorch anchor (fp32, TF32, bf16 autocast + channels_last) ~3 min
#   train   Fashion-MNIST 30k, ResNet-18, 15 epochs, batch 256 at bf16 and fp32: the profiled step,
#           then the run (kNN top-1, wall/steps per epoch), then the same recipe in PyTorch      ~6 min
# Usage: bash scripts/gpu-measure.sh [tests] [speed] [train]      (none named: all three)
# Printed output also lands in $OUT/measure.txt; the profiles' tables in $OUT/profiles.csv, the runs'
# metrics in $OUT/epochs.csv, the test log in $OUT/gpu-tests.txt (a label column says which run).
set -u
root=$(cd "$(dirname "$0")/.." && pwd); cd "$root"
[ -f .gpu/run.sh ] || { echo "gpu-measure.sh: no .gpu/run.sh here; run bash ../shared/gpu/bundle.sh first and carry .gpu" >&2; exit 2; }
O=${OUT:-/tmp/gpu-out}; mkdir -p "$O"
exec > >(tee -a "$O/measure.txt") 2>&1
t0=$(date +%s); el() { echo "[$(( $(date +%s) - t0 ))s] $*"; }
# .gpu/run.sh sets the library path and the kernel cache; its own copy of the output goes to scratch.
gpu() { local limit=$1; shift; OUT=/tmp/gpu-sub timeout "$limit" bash .gpu/run.sh "$@"; }
# Appends CSV $2 to $3 with a first column "run" holding $1 (the header once).
append_csv() {
    [ -f "$2" ] || return 0
    awk -v label="$1" -v header="$([ -s "$3" ] && echo no || echo yes)" \
        'NR == 1 { if (header == "yes") print "run," $0; next } { print label "," $0 }' "$2" >> "$3"
}
step_flags=(--method simclr --device cuda --arch resnet18 --batch-size 256 --optimizer sgd --momentum 0.9 --lr 0.1
            --no-online-probe --dataset cifar10 --data /tmp/cifar --limit 10000 --steps 20 --warmup 5 --cuda-graphs)
fm_flags=(--method simclr --device cuda --arch resnet18 --batch-size 256 --data .gpu/fmnist --limit 30000 --cuda-graphs)

# One profile: its header, top kernels and summary lines on the screen, its table appended to profiles.csv.
profile() {
    local label=$1; shift
    el "nc profile $label"
    rm -f /tmp/profile.csv
    gpu 150 nc profile "$@" --out /tmp/profile.csv > /tmp/profile.txt 2>&1
    head -18 /tmp/profile.txt   # header, speed and the top kernels; the lines after the table:
    grep -E "^(device|primitive) time:|^cuda graphs:|^csv:" /tmp/profile.txt
    append_csv "$label" /tmp/profile.csv "$O/profiles.csv"
}

parts=("$@"); [ ${#parts[@]} -eq 0 ] && parts=(tests speed train)
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
for part in "${parts[@]}"; do
    case $part in
    tests)
        el "Gpu test category"
        gpu 300 tests "TestCategory=Gpu" > "$O/gpu-tests.txt" 2>&1
        grep -E "^failed" "$O/gpu-tests.txt" | head -20; tail -6 "$O/gpu-tests.txt" ;;
    speed)
        for p in fp32 tf32 bf16; do profile "step-$p" "${step_flags[@]}" --precision $p; done
        el "PyTorch anchor, the same step"; gpu 200 anchor-step 256 fp32,tf32,bf16 ;;
    train)
        for p in bf16 fp32; do
            profile "fmnist-$p" "${fm_flags[@]}" --precision $p --steps 20 --warmup 5
            el "nc train $p, 15 epochs"
            rm -rf /tmp/run-$p
            gpu 420 nc train "${fm_flags[@]}" --precision $p --epochs 15 --out /tmp/run-$p 2>&1 \
                | grep -E "^epoch [0-9]+/[0-9]+ loss|^  time|^done|rror"
            append_csv "$p" /tmp/run-$p/metrics.csv "$O/epochs.csv"
        done
        el "PyTorch recipe, 15 epochs"; gpu 200 anchor-fmnist 15 | tail -4 ;;
    *) echo "gpu-measure.sh: unknown part '$part' (tests, speed, train)" >&2; exit 2 ;;
    esac
done
el "summary"
grep -h -E "^profile:|^speed:|^cuda graphs:|torch .*images/s|^done:" "$O/measure.txt" || true
el done
