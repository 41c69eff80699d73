#!/usr/bin/env bash
# The whole test suite: installs what it needs, then typecheck, lint, and every vitest test
# (unit, property, tshark interop, integration with real servers). Ends with the plain line
# "N passed, N failed" that CI reads; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

mkdir -p .scratch
passed=0
failed=0

check() {
  local name=$1
  shift
  echo "== $name: $*"
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "!! $name failed"
    failed=$((failed + 1))
  fi
}

check typecheck npx --no-install tsc --noEmit
check eslint npx --no-install eslint .
check prettier npx --no-install prettier --check --log-level warn .

report=.scratch/vitest-report.json
rm -f "$report"
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$report"
vitest_rc=$?

if [ -f "$report" ]; then
  read -r vp vf vs < <(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    // A suite that failed to load (syntax error, failing hook) counts as one failure.
    const broken = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
    console.log(r.numPassedTests, r.numFailedTests + broken, r.numPendingTests + r.numTodoTests);
  ' "$report")
  passed=$((passed + vp))
  failed=$((failed + vf))
  skipped=$vs
  if [ "$vitest_rc" != 0 ] && [ "$vf" = 0 ]; then failed=$((failed + 1)); fi
else
  echo "!! vitest wrote no report"
  failed=$((failed + 1))
  skipped=0
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
