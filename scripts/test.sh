#!/usr/bin/env bash
# gdisent's test command (README, .ci/run): install, vet, unit tests, short fuzzing, notebooks in quick mode.
# GDISENT_FUZZTIME sets each fuzz target's time (default 10s).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
passed=0 failed=0
stage() {  # stage NAME CMD...
  local name=$1; shift
  echo "=== $name: $*"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "--- FAILED stage: $name"; fi
}

./install.sh || { echo "install.sh failed"; exit 1; }
gobin="$(go env GOBIN)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"; export PATH="$gobin:$PATH"

stage vet go vet ./...
stage unit go test -count=1 -timeout 45m ./...
for f in $(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do
  pkg="./$(dirname "${f#./}")"
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    stage "fuzz $target" go test -run '^$' -fuzz "^${target}\$" -fuzztime "${GDISENT_FUZZTIME:-10s}" -fuzzminimizetime 1s "$pkg"
  done
done
stage notebooks scripts/nbrun.py --quick notebooks/*.ipynb
stage browser scripts/browser-test.sh

echo "gdisent tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
