#!/usr/bin/env bash
# One-shot check of gdisent on a GPU machine: finds the CUDA PJRT plugin, then builds, shows the backend picked,
# runs the parity test (XLA against the pure-Go backend), the Go tests of the main packages on XLA, the DCGAN
# benchmarks and the PyTorch side-by-side. Every stage has a time limit and the script goes on after a failing
# stage; all logs and summary.md go to $OUT (default ./out/gpu-check). Sized for about 6 minutes on a GPU machine,
# so that a run and a re-run fit in 15 minutes.
#
#   scripts/gpu-check.sh                        # on the GPU machine
#   GOMLX_BACKEND=go GPU_CHECK_QUICK=1 scripts/gpu-check.sh   # dry run on a CPU (a few minutes)
#
# Environment:
#   OUT               output folder (default ./out/gpu-check)
#   GOMLX_BACKEND     backend for the tests and benchmarks; default xla:cuda when a CUDA plugin is found, else go
#   GPU_CHECK_QUICK=1 reduced mode: few packages and steps (for checking the script itself on a CPU)
#   GPU_CHECK_BUDGET  overall time limit in seconds (default 420; 300 in quick mode): stages are cut to fit
#   GPU_CHECK_SKIP    comma-separated stages to skip, e.g. "tests,torch" for a re-run
#                     (stages: build backend parity tests bench torch)
#   PY                Python with torch for the side-by-side (default: the first of python3, /usr/bin/python3 with torch)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/out/gpu-check}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
QUICK=${GPU_CHECK_QUICK:-0}
[[ $QUICK == 1 ]] && BUDGET=${GPU_CHECK_BUDGET:-300} || BUDGET=${GPU_CHECK_BUDGET:-420}
START=$SECONDS
SUMMARY=$OUT/summary.md
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} # never download a Go toolchain
export GOPROXY=${GOPROXY:-off}           # nor modules: the machine may be offline
export GOMLX_NO_AUTO_INSTALL=1           # nor PJRT plugins

: >"$SUMMARY"
note() { echo "$*" | tee -a "$SUMMARY"; }
note "# gdisent GPU check, $(date -u +%FT%TZ)"
note ""
note "host $(hostname), $(nproc) CPUs, quick=$QUICK, budget ${BUDGET}s, logs in $OUT"
note ""
ROWS=()

# stage NAME LIMIT_S CMD...: runs CMD with a time limit (cut to the remaining budget), output in $OUT/NAME.log.
stage() {
	local name=$1 limit=$2
	shift 2
	local left=$((BUDGET - (SECONDS - START)))
	local log=$OUT/$name.log
	if [[ ,${GPU_CHECK_SKIP:-}, == *,$name,* ]]; then
		ROWS+=("| $name | skipped (GPU_CHECK_SKIP) | 0 | |")
		echo "== $name: skipped (GPU_CHECK_SKIP)"
		return 0
	fi
	if ((left < 15)); then
		ROWS+=("| $name | skipped (time budget spent) | 0 | |")
		echo "== $name: skipped, budget spent"
		return 0
	fi
	((limit > left - 5)) && limit=$((left - 5))
	echo "== $name (limit ${limit}s): $*"
	local t0=$SECONDS rc
	{
		echo "\$ $*"
		echo "# limit ${limit}s, GOMLX_BACKEND=${GOMLX_BACKEND:-} PJRT_PLUGIN_LIBRARY_PATH=${PJRT_PLUGIN_LIBRARY_PATH:-}"
	} >"$log"
	timeout -k 10 "$limit" "$@" >>"$log" 2>&1
	rc=$?
	local status=ok
	if ((rc == 124 || rc == 137)); then
		status="TIMEOUT after ${limit}s"
	elif ((rc != 0)); then
		status="FAIL (exit $rc)"
	fi
	ROWS+=("| $name | $status | $((SECONDS - t0)) | $name.log |")
	echo "   $status in $((SECONDS - t0))s"
	tail -n 3 "$log" | sed 's/^/   | /'
	return 0
}

# find_cuda_plugin prints the path of a CUDA PJRT plugin: gdisent's and go-xla's folders first, then JAX's
# jax_plugins/ folders of every Python found, then a bounded search of /usr/local, /usr/lib, /opt and $HOME.
find_cuda_plugin() {
	local -a dirs=()
	local d f py sp
	IFS=: read -ra dirs <<<"${PJRT_PLUGIN_LIBRARY_PATH:-}"
	dirs+=("$HOME/.local/lib/go-xla" "$HOME/.local/lib/go-xla/nvidia" /usr/local/lib/go-xla /usr/local/lib/go-xla/nvidia)
	for py in ${PY:-} python3 /usr/bin/python3 /usr/local/bin/python3 python; do
		command -v "$py" >/dev/null 2>&1 || continue
		while IFS= read -r sp; do
			[[ -n $sp ]] && dirs+=("$sp/jax_plugins")
		done < <(timeout 20 "$py" -c 'import site, sys
for p in site.getsitepackages() + [site.getusersitepackages()] + sys.path: print(p)' 2>/dev/null)
	done
	for d in /usr/local/lib/python3*/{site,dist}-packages /usr/lib/python3*/{site,dist}-packages; do
		dirs+=("$d/jax_plugins")
	done
	for d in "${dirs[@]}"; do
		[[ -n $d && -d $d ]] || continue
		for f in "$d"/pjrt_c_api_cuda_plugin.so "$d"/xla_cuda_plugin.so "$d"/*/xla_cuda_plugin.so "$d"/*/pjrt_c_api_cuda_plugin.so; do
			if [[ -f $f ]]; then
				echo "$f"
				return 0
			fi
		done
	done
	timeout 60 find /usr/local /usr/lib /opt "$HOME" -maxdepth 9 \( -path '*/go/pkg/mod' -o -path /proc \) -prune -o \
		-type f \( -name pjrt_c_api_cuda_plugin.so -o -name xla_cuda_plugin.so \) -print -quit 2>/dev/null
}

# --- environment -----------------------------------------------------------------------------------------------
{
	echo "# uname"; uname -a
	echo "# go"; go version; go env GOROOT GOMODCACHE GOFLAGS GOTOOLCHAIN
	echo "# modules available offline?"; go list -m all >/dev/null && echo yes
	echo "# nvidia-smi"; timeout 20 nvidia-smi || echo "(no nvidia-smi)"
	echo "# /dev/nvidia*"; ls -l /dev/nvidia* 2>&1
} >"$OUT/env.log" 2>&1
GPU_NAME=$(timeout 20 nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
note "go: $(go version 2>&1); GPU: ${GPU_NAME:-none found}"

PLUGIN=$(find_cuda_plugin)
if [[ -n $PLUGIN ]]; then
	PLUGIN_DIR=$(dirname "$PLUGIN")
	case ":${PJRT_PLUGIN_LIBRARY_PATH:-}:" in
	*":$PLUGIN_DIR:"*) ;;
	*) PJRT_PLUGIN_LIBRARY_PATH=$PLUGIN_DIR${PJRT_PLUGIN_LIBRARY_PATH:+:$PJRT_PLUGIN_LIBRARY_PATH} ;;
	esac
	export PJRT_PLUGIN_LIBRARY_PATH
	note "CUDA PJRT plugin: $PLUGIN (PJRT_PLUGIN_LIBRARY_PATH=$PJRT_PLUGIN_LIBRARY_PATH)"
	: "${GOMLX_BACKEND:=xla:cuda}"
else
	note "CUDA PJRT plugin: none found (looked in \$PJRT_PLUGIN_LIBRARY_PATH, go-xla's folders, jax_plugins/ of each Python, /usr/local, /usr/lib, /opt, \$HOME)"
	: "${GOMLX_BACKEND:=go}"
fi
export GOMLX_BACKEND
note "GOMLX_BACKEND=$GOMLX_BACKEND"
note ""

if [[ $QUICK == 1 ]]; then
	PKGS=(./gdisent/backend/ ./gdisent/nn/)
	PARITY_RUN='TestParity/infogan_cr'
	BENCH_ARGS=(-benchtime 2x -count 1)
	TORCH_ARGS=(--steps 1 --warmup 0)
else
	mapfile -t PKGS < <(go list ./gdisent/... 2>/dev/null | grep -v /parity)
	PARITY_RUN='TestParity'
	BENCH_ARGS=(-benchtime 10x -count 3)
	TORCH_ARGS=(--steps 15)
fi

# --- build: compile everything and the test binaries (in parallel), run nothing -----------------------------------
# (on the pure-Go backend: some test packages create their backend at init, and parallel XLA clients on one GPU
# would fight over its memory)
stage build 240 env GOMLX_BACKEND=go bash -c 'go build ./... && go vet ./gdisent/backend/... &&
	go test -count=1 -run "^$" "$@" ./gdisent/backend/parity/ ./bench/' _ "${PKGS[@]}"

# --- which backend gdisent picks, with the plugin checks' warnings ---------------------------------------------
stage backend 90 go run ./cmd/gdisent backend

# --- parity: XLA against the pure-Go backend (with GOMLX_BACKEND=go: patched against stock SimpleGo executors) ---
if [[ $GOMLX_BACKEND == go || $GOMLX_BACKEND == purego* ]]; then
	stage parity 150 env -u GDISENT_PARITY_BACKEND go test -count=1 -run "$PARITY_RUN" -v ./gdisent/backend/parity/
else
	stage parity 150 env GDISENT_PARITY_BACKEND="$GOMLX_BACKEND" go test -count=1 -run "$PARITY_RUN" -v ./gdisent/backend/parity/
fi

# --- Go tests of the main packages on the chosen backend, one test binary at a time (each XLA client on a GPU
# reserves most of its memory) ---
stage tests 240 go test -p 1 -short -count=1 -timeout 230s "${PKGS[@]}"

# --- DCGAN-64 D/G step and 1024³ matmul benchmarks ---
stage bench 150 go test -count=1 -run '^$' -bench 'DCGAN64|Matmul1024' "${BENCH_ARGS[@]}" ./bench/

# --- PyTorch side by side (on the GPU when torch sees one) ---
TORCH_PY=""
for py in ${PY:-} python3 /usr/bin/python3; do
	if command -v "$py" >/dev/null 2>&1 && timeout 60 "$py" -c 'import torch' >/dev/null 2>&1; then
		TORCH_PY=$py
		break
	fi
done
if [[ -z $TORCH_PY && ,${GPU_CHECK_SKIP:-}, != *,torch,* ]]; then
	ROWS+=("| torch | skipped (no Python with torch) | 0 | |")
else
	DEV=cpu
	timeout 60 "$TORCH_PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1 && DEV=cuda
	stage torch 120 "$TORCH_PY" bench/torch_dcgan.py --device "$DEV" "${TORCH_ARGS[@]}"
fi

# --- summary ---
{
	echo "| stage | result | seconds | log |"
	echo "|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
	echo ""
	echo "## parity"
	echo '```'
	grep -E 'comparing|max relative|parity_test.go:[0-9]+: .*step|^(--- |ok|FAIL)' "$OUT/parity.log" 2>/dev/null | head -40
	echo '```'
	echo "## tests"
	echo '```'
	grep -E '^(ok|FAIL|---|panic)' "$OUT/tests.log" 2>/dev/null | head -60
	echo '```'
	echo "## benchmarks (Go on $GOMLX_BACKEND: ns/op per step; PyTorch: name median min max, ms)"
	echo '```'
	grep -E '^Benchmark' "$OUT/bench.log" 2>/dev/null
	grep -vE '^\$|^# limit' "$OUT/torch.log" 2>/dev/null
	echo '```'
	echo "## gdisent backend"
	echo '```'
	grep -v '^# limit' "$OUT/backend.log" 2>/dev/null | tail -n 8
	echo '```'
	echo "total $((SECONDS - START))s"
} >>"$SUMMARY"
echo
cat "$SUMMARY"
