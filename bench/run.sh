#!/usr/bin/env bash
# Times one DCGAN-64 training step (D and G, batch 64) and a 1024³ matmul in Go (gdisent's backend.MustNew(),
# i.e. purego + gdisent/backend/fastcpu) and in PyTorch on the same CPU, and prints a side-by-side table.
#
#   bench/run.sh           # Go (fast kernels) vs PyTorch
#   bench/run.sh --stock   # also stock SimpleGo kernels (GDISENT_NO_KERNELS=1), adds about two minutes
#
# Environment: COUNT (Go benchmark repetitions, default 5), STEPS (steps per repetition, default 10),
# TORCH_STEPS (timed PyTorch steps, default 15), PY (Debian python with python3-torch, default /usr/bin/python3).
# Go figures are the median over COUNT repetitions of the mean step time; PyTorch's the median over TORCH_STEPS
# steps after 3 warm-up steps. Both use the 2 cores (GOMAXPROCS default, torch.set_num_threads(2)).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-5}
STEPS=${STEPS:-10}
TORCH_STEPS=${TORCH_STEPS:-15}
PY=${PY:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "# $(date -u +%FT%TZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
go test -c -o "$tmp/bench.test" ./bench
"$tmp/bench.test" -test.run '^$' -test.bench 'DCGAN64|Matmul1024' -test.benchtime "${STEPS}x" \
	-test.count "$COUNT" >"$tmp/go.txt" 2>/dev/null
if [[ ${1:-} == --stock ]]; then
	GDISENT_NO_KERNELS=1 "$tmp/bench.test" -test.run '^$' -test.bench 'DCGAN64|Matmul1024' -test.benchtime 3x \
		-test.count 3 >"$tmp/stock.txt" 2>/dev/null
fi
"$PY" bench/torch_dcgan.py --steps "$TORCH_STEPS" >"$tmp/torch.txt"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep '^#' "$tmp/torch.txt" || true

"$PY" - "$tmp" <<'PYEOF'
import os, re, statistics, sys

tmp = sys.argv[1]

def go_ms(path):
    res = {}
    if not os.path.exists(path):
        return res
    for line in open(path):
        m = re.match(r"Benchmark(\w+?)(?:-\d+)?\s+\d+\s+(\d+(?:\.\d+)?) ns/op", line)
        if m:
            res.setdefault(m.group(1), []).append(float(m.group(2)) / 1e6)
    return {k: statistics.median(v) for k, v in res.items()}

fast, stock = go_ms(f"{tmp}/go.txt"), go_ms(f"{tmp}/stock.txt")
torch = {}
for line in open(f"{tmp}/torch.txt"):
    if not line.startswith("#"):
        name, med, lo, hi = line.split()
        torch[name] = (float(med), float(lo), float(hi))

rows = [("matmul 1024³ f32", "Matmul1024", "matmul1024"), ("D step (fwd+bwd+Adam)", "DCGAN64DStep", "D_step"),
        ("G step (fwd+bwd+Adam)", "DCGAN64GStep", "G_step")]
head = "| benchmark | Go purego+kernels (ms) |" + (" Go stock SimpleGo (ms) |" if stock else "") + \
       " PyTorch median [min-max] (ms) | ratio Go/PyTorch |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for label, g, t in rows:
    tm, tlo, thi = torch[t]
    line = f"| {label} | {fast[g]:.1f} |"
    if stock:
        line += f" {stock[g]:.1f} |"
    line += f" {tm:.1f} [{tlo:.1f}-{thi:.1f}] | {fast[g] / tm:.2f}x |"
    print(line)
PYEOF
