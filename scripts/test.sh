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

# fuzz PKG TARGET: fuzzes one target. Go 1.26's fuzzing coordinator can end a run with a bare "context deadline
# exceeded" when the -fuzztime deadline races a busy worker (golang/go#75804, fixed in Go 1.27); such a failure
# writes no failing input. A failure that wrote one fails the stage; one that wrote none is run once more.
fuzz() {
  local pkg=$1 target=$2 corpus="$1/testdata/fuzz/$2" before after log
  before=$(ls "$corpus" 2>/dev/null | sort)
  log=$(mktemp)
  for attempt in 1 2; do
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "${GDISENT_FUZZTIME:-10s}" -fuzzminimizetime 1s "$pkg" 2>&1 | tee "$log"
    [ "${PIPESTATUS[0]}" = 0 ] && { rm -f "$log"; return 0; }
    after=$(ls "$corpus" 2>/dev/null | sort)
    if [ "$after" != "$before" ] || ! grep -q 'context deadline exceeded' "$log"; then rm -f "$log"; return 1; fi
    echo "fuzz $target: the coordinator's deadline race, no failing input written; running it once more"
  done
  rm -f "$log"
  return 1
}

./install.sh || { echo "install.sh failed"; exit 1; }
gobin="$(go env GOBIN)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"; export PATH="$gobin:$PATH"

stage vet go vet ./...
stage unit go test -count=1 -timeout 45m ./...
for f in $(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do
  pkg="./$(dirname "${f#./}")"
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    stage "fuzz $target" fuzz "$pkg" "$target"
  done
done
stage notebooks scripts/nbrun.py --quick notebooks/*.ipynb
stage browser scripts/browser-test.sh

echo "gdisent tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
