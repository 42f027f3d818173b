#!/usr/bin/env bash
# gdisent installer: Jupyter (Debian packages), the GoNB kernel with goimports and gopls, the "Go (gdisent)" kernel
# spec pointing at this checkout, and, where the network allows, an XLA/PJRT plugin. Safe to run again.
#
# Environment: GDISENT_SKIP_PJRT=1 skips the PJRT plugin attempt; GDISENT_PJRT_TIMEOUT (seconds, default 60).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B="" N=""; fi
say() { printf "%sgdisent install:%s %s\n" "$B" "$N" "$*"; }
die() { printf 'gdisent install: error: %s\n' "$*" >&2; exit 1; }

# 1. Go toolchain (needed by GoNB at run time).
command -v go >/dev/null || die "Go >= 1.26 is required and 'go' is not on PATH (see https://go.dev/doc/install)"
gover="$(go env GOVERSION)"; gomin="${gover#go1.}"; gomin="${gomin%%.*}"
[ "${gomin:-0}" -ge 26 ] 2>/dev/null || die "Go >= 1.26 is required, found $gover"
gobin="$(go env GOBIN)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"
say "Go $gover, tools go to $gobin"

# 2. Jupyter from Debian packages, only when missing.
if ! /usr/bin/python3 -c 'import nbclient, nbformat, jupyter_client, ipykernel, notebook, nbconvert' 2>/dev/null; then
  command -v apt-get >/dev/null || die "Jupyter is missing and apt-get is not available: install jupyter-notebook, nbconvert and nbclient by hand"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing Jupyter (Debian packages)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel >/dev/null
fi
say "Jupyter: $(/usr/bin/python3 -c 'import notebook, nbclient; print("notebook", notebook.__version__, "nbclient", nbclient.__version__)')"

# 3. GoNB, goimports and gopls at pinned versions (kernels/tools/go.mod).
need_tools=0
for t in gonb goimports gopls; do [ -x "$gobin/$t" ] || need_tools=1; done
if [ $need_tools = 1 ] || ! "$gobin/gonb" --version 2>&1 | grep -q v0.11.1; then
  say "building GoNB v0.11.1, goimports and gopls"
  (cd "$root/kernels/tools" && go install github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls)
fi

# 4. The "Go (gdisent)" kernel spec.
spec="$(mktemp -d)"; trap 'rm -rf "$spec"' EXIT
mkdir -p "$spec/gdisent"
sed -e "s#@GONB@#$gobin/gonb#" -e "s#@ROOT@#$root#" -e "s#@PATH@#$gobin:$(dirname "$(command -v go)"):/usr/local/bin:/usr/bin:/bin#" \
  "$root/kernels/gdisent/kernel.json.in" > "$spec/gdisent/kernel.json"
/usr/bin/jupyter kernelspec install --user --replace --name gdisent "$spec/gdisent" >/dev/null 2>&1 \
  || die "registering the kernel spec failed: run '/usr/bin/jupyter kernelspec install --user --name gdisent $spec/gdisent'"
say "kernel 'Go (gdisent)' registered (GDISENT_ROOT=$root)"

# 5. Build the library once so the first notebook cell does not pay the cold compile.
say "building gdisent (first time: about a minute)"
(cd "$root" && go build ./... && go build -o "$gobin/gdisent" ./cmd/gdisent)

# 6. XLA/PJRT plugin where the network allows; otherwise the pure-Go backend is used.
if [ "${GDISENT_SKIP_PJRT:-0}" = 1 ]; then
  say "PJRT plugin: skipped (GDISENT_SKIP_PJRT=1); backend: $("$gobin/gdisent" backend 2>/dev/null)"
elif "$gobin/gdisent" install-pjrt -timeout "${GDISENT_PJRT_TIMEOUT:-60}s"; then
  say "backend: $("$gobin/gdisent" backend 2>/dev/null)"
else
  say "PJRT plugin not installed (see the line above); gdisent will use the pure-Go backend: $("$gobin/gdisent" backend 2>/dev/null)"
fi
say "done. Open the notebooks with: cd $root/notebooks && /usr/bin/jupyter notebook"
