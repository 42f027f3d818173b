#!/usr/bin/env bash
# Real-browser test of gdisent's notebooks: starts a private classic Jupyter notebook server whose "Go (gdisent)"
# kernel points at this checkout (GDISENT_QUICK=1), opens each notebook in headless Chromium, runs it from the UI
# and checks outputs, in-place progress, re-runs and the latent explorer widget (scripts/browser-test/test.js).
# Screenshots and logs go to out/browser/. Installs what it needs (Chromium from Debian, puppeteer-core from npm
# as pinned in scripts/browser-test/package-lock.json); nothing downloads a browser. Needs ./install.sh once.
#
#   scripts/browser-test.sh                        # run quickstart and explorer; view every notebook as committed
#   scripts/browser-test.sh explorer.ipynb=2       # chosen notebooks, optionally with a minimum image count
#   scripts/browser-test.sh view:unrolled_ring.ipynb   # open as committed (kept outputs), without running it
#
# Environment: GDISENT_BROWSER_TIMEOUT (seconds for the whole test, default 3600), GDISENT_BROWSER_NB_TIMEOUT
# (seconds per notebook, default 1200).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$root/scripts/browser-test"
out="$root/out/browser"
say() { printf 'browser-test: %s\n' "$*"; }
die() { printf 'browser-test: error: %s\n' "$*" >&2; exit 1; }
if [ $# = 0 ]; then
  set -- quickstart.ipynb explorer.ipynb
  for f in "$root"/notebooks/*.ipynb; do set -- "$@" "view:$(basename "$f")"; done
fi

# 1. Chromium (Debian package) and node.
chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  command -v apt-get >/dev/null || die "$chromium is missing and apt-get is not available: install Chromium by hand"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing Chromium (Debian package)"
  timeout 600 $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 $SUDO apt-get install -y -qq chromium >/dev/null
fi
command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are required (Debian: apt-get install -y nodejs npm)"

# 2. puppeteer-core as pinned in package-lock.json (npm ci only when node_modules does not match the lock).
if ! (cd "$here" && node -e 'const l=require("./package-lock.json").packages["node_modules/puppeteer-core"].version;
      if (require("puppeteer-core/package.json").version !== l) process.exit(1)' 2>/dev/null); then
  say "installing puppeteer-core (npm ci)"
  (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 timeout 600 npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi

# 3. Jupyter and GoNB from ./install.sh.
[ -x /usr/bin/jupyter ] && /usr/bin/python3 -c 'import notebook' 2>/dev/null || die "Jupyter is missing: run ./install.sh"
gobin="$(go env GOBIN)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
[ -x "$gobin/gonb" ] || die "GoNB is missing from $gobin: run ./install.sh"

# 4. A private Jupyter: its own kernel spec (GDISENT_ROOT = this checkout), config, runtime and a copy of the
#    notebooks (so that nothing writes outputs into the checkout).
tmp="$(mktemp -d "${TMPDIR:-/tmp}/gdisent-browser.XXXXXX")"
asroot=(); [ "$(id -u)" != 0 ] || asroot=(--allow-root)
server="" tester=""
cleanup() {
  local rc=$?
  if [ -n "$tester" ]; then
    # node closes Chromium on SIGTERM (puppeteer's handler); what survives is killed below.
    kill -TERM "$tester" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$tester" 2>/dev/null || break; sleep 0.25; done
  fi
  if [ -n "$server" ]; then
    # SIGTERM lets the server shut its kernels down; then the whole process group goes.
    kill -TERM -- "-$server" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$server" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$server" 2>/dev/null || true
  fi
  # Kernels and Chromium run in sessions of their own: end any left behind, recognised by this run's private
  # connection files and browser profile (both under $tmp).
  for p in /proc/[0-9]*; do
    cmd="$( { tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null)" || continue
    if [[ "$cmd" == "$gobin/gonb "*"$tmp/runtime/kernel-"* || "$cmd" == *chromium*"--user-data-dir=$tmp/chromium"* ]]; then
      kill -KILL -- "-${p#/proc/}" 2>/dev/null || kill -KILL "${p#/proc/}" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/jupyter/kernels/gdisent" "$tmp/data" "$tmp/config" "$tmp/runtime" "$tmp/nb" "$tmp/runs" "$out"
sed -e "s#@GONB@#$gobin/gonb#" -e "s#@ROOT@#$root#" -e "s#@PATH@#$gobin:$(dirname "$(command -v go)"):/usr/local/bin:/usr/bin:/bin#" \
  "$root/kernels/gdisent/kernel.json.in" > "$tmp/jupyter/kernels/gdisent/kernel.json"
mkdir -p "$tmp/nb/committed"
for nb in "$@"; do
  name="${nb#view:}"; name="${name%%=*}"
  f="$root/notebooks/$name"
  [ -f "$f" ] || die "no notebook $f"
  if [[ "$nb" == view:* ]]; then cp "$f" "$tmp/nb/committed/"; else cp "$f" "$tmp/nb/"; fi
done
rm -rf "$out/figures"
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(16))')"

say "starting Jupyter on 127.0.0.1:$port (log: $out/jupyter.log)"
JUPYTER_PATH="$tmp/jupyter" JUPYTER_DATA_DIR="$tmp/data" JUPYTER_CONFIG_DIR="$tmp/config" \
  JUPYTER_RUNTIME_DIR="$tmp/runtime" IPYTHONDIR="$tmp/ipython" \
  GDISENT_QUICK=1 GDISENT_OUT="$out/figures" GDISENT_RUNS="$tmp/runs" \
  setsid /usr/bin/jupyter notebook --no-browser --ip=127.0.0.1 --port="$port" --port-retries=0 \
    --NotebookApp.token="$token" --NotebookApp.notebook_dir="$tmp/nb" --NotebookApp.open_browser=False "${asroot[@]}" \
    > "$out/jupyter.log" 2>&1 < /dev/null &
server=$!
up=0
for _ in $(seq 1 120); do
  if /usr/bin/python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/api/status?token=$token', timeout=2)" 2>/dev/null; then
    up=1; break
  fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.5
done
[ $up = 1 ] || { tail -20 "$out/jupyter.log" >&2; die "Jupyter did not start (see $out/jupyter.log)"; }

names=(); for nb in "$@"; do names+=("$(basename "$nb")"); done
# In the background, so that a signal reaches the cleanup at once.
timeout --kill-after=30 "${GDISENT_BROWSER_TIMEOUT:-3600}" \
  node "$here/test.js" --url "http://127.0.0.1:$port" --token "$token" --out "$out" --figures "$out/figures" \
    --chromium "$chromium" --profile "$tmp/chromium" "${names[@]}" &
tester=$!
wait "$tester"
