#!/usr/bin/env bash
# Sets up the machine, builds, runs the whole NUnit suite (GPU-only tests are skipped
# with a reason when no GPU is present) and prints "N passed, N failed".
# Fails when a test fails or when no test ran.
# The counts come from the TRX result file, not from console text, whose format
# changes between test SDK versions.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
dotnet build NativeContrastive.sln -c Release --no-restore --verbosity quiet || exit 1

results=TestResults
rm -rf "$results"
dotnet test NativeContrastive.sln -c Release --no-build \
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
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$passed" -eq 0 ]; then echo "test.sh: no test ran" >&2; exit 1; fi
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then exit 1; fi
