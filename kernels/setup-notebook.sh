#!/usr/bin/env bash
# Links the GoNB cell module (the current directory) to this gdisent checkout. Every gdisent notebook runs it in its
# first cell:   !*"$GDISENT_ROOT/kernels/setup-notebook.sh"
# The explicit requires avoid `go get` version listings, which some module proxies refuse.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
go mod edit -replace=github.com/gdisent/gdisent="$root" -require=github.com/gdisent/gdisent@v0.0.0
go get github.com/janpfeifer/gonb@v0.11.1 2>&1 | grep -v '^go: \(added\|upgraded\|downgraded\|downloading\)' || true
echo "gdisent: notebook linked to $root"
