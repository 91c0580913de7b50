#!/usr/bin/env bash
# Sets up the machine, builds, runs the whole NUnit suite (GPU-only tests are skipped
# with a reason when no GPU is present) and the example host against the packed library
# (scripts/example-host.sh, counted as one more test), and prints "N passed, N failed".
# Fails when a test fails or when no test ran.
# The counts come from the TRX result file, not from console text, whose format
# changes between test SDK versions.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
dotnet build NativeContrastive.sln -c Release --no-restore --verbosity quiet || exit 1

results=TestResults
rm -rf "$results"
coverage=$PWD/$results/emu-kernel-coverage.txt
NC_KERNEL_COVERAGE_FILE=$coverage dotnet test NativeContrastive.sln -c Release --no-build \
  --logger "console;verbosity=minimal" --logger "trx;LogFileName=results.trx" \
  --results-directory "$results" "$@"
status=$?

# Count outcomes per test result (the <Counters> summary folds NUnit's skips into "passed"
# or drops them, depending on the adapter version).
passed=0; failed=0; skipped=0
for trx in $(find "$results" -name '*.trx' 2>/dev/null); do
  outcomes=$(grep -o '<UnitTestResult [^>]*' "$trx" | grep -o 'outcome="[A-Za-z]*"')
  passed=$((passed + $(echo "$outcomes" | grep -c '"Passed"')))
  failed=$((failed + $(echo "$outcomes" | grep -c -E '"(Failed|Error|Timeout|Aborted)"')))
  skipped=$((skipped + $(echo "$outcomes" | grep -c -E '"(NotExecuted|Inconclusive|Pending)"')))
done
# Every registered kernel must have run on the emulated device against its cpu reference, and
# every kernel must compile under NVRTC for sm_80 and sm_90 without spills (also asserted by the
# NvrtcCompile tests; here the totals are printed).
if [ -f "$coverage" ]; then
  ran=$(grep -c '^ran ' "$coverage"); total=$(wc -l < "$coverage")
  echo "$ran of $total registered kernels executed on emu"
  if [ "$ran" -ne "$total" ]; then grep '^missing ' "$coverage" >&2; failed=$((failed + 1)); fi
fi
for arch in sm_80 sm_90; do
  dotnet src/Cli/bin/Release/net10.0/nc.dll kernels --arch $arch | tail -n 1 | sed "s/^/nvrtc $arch: /"
done
# The example host (examples/EmbedHost) built against the packed NativeContrastive.Engine package
# from the local feed and run on a tiny checkpoint: one more pass or fail.
mkdir -p "$results"
if bash scripts/example-host.sh --no-build > "$results/example-host.log" 2>&1; then
  passed=$((passed + 1)); echo "example host: passed ($(grep '^example-host: packed' "$results/example-host.log" | sed 's/^example-host: //'))"
else
  failed=$((failed + 1)); echo "example host: FAILED (log: $results/example-host.log)" >&2; tail -n 20 "$results/example-host.log" >&2
fi
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ]; then echo "test.sh: no test ran" >&2; exit 1; fi
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
