#!/usr/bin/env bash
# Times training steps of the models gdisent's notebooks train, in Go (backend.MustNew(): purego + fastcpu kernels)
# and in PyTorch with the same architectures, batch and optimisers, on this CPU, and prints a side-by-side table.
# Rows run one at a time, Go then PyTorch, so both sides of a row see about the same machine load; the 1-minute
# load average is recorded before each row.
#
#   bench/run.sh            # all rows
#   bench/run.sh VAE        # only rows whose name matches the (grep -E) pattern
#
# Environment: COUNT (Go benchmark repetitions, default 3), STEPS (Go steps per repetition, default 3),
# TORCH_STEPS (timed PyTorch steps, default 6, after 2 warm-up steps), PY (Debian python with python3-torch, default
# /usr/bin/python3), TORCH_POLICIES (OpenMP wait policies PyTorch runs under, default "PASSIVE ACTIVE": the row
# reports the faster median; spinning (ACTIVE) OpenMP threads help on a quiet machine and make PyTorch several
# times slower on a loaded one); TORCH_TIMEOUT (seconds, default 900) bounds each PyTorch run.
# Go figures are the median over COUNT repetitions of the mean step time (after 2 untimed warm-up steps that
# compile the graphs); PyTorch's the median over TORCH_STEPS steps. Both use all cores (GOMAXPROCS default,
# torch.set_num_threads(nproc)). GFLOP/step is the matrix-product work of a step as the Go graph computes it
# (counted by the fast DotGeneral and ConvGeneral); both sides' GFLOP/s use it, as a fraction of the FMA peak measured at the start.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-3}
STEPS=${STEPS:-3}
TORCH_STEPS=${TORCH_STEPS:-6}
PY=${PY:-/usr/bin/python3}
TORCH_POLICIES=${TORCH_POLICIES:-PASSIVE ACTIVE}
TORCH_TIMEOUT=${TORCH_TIMEOUT:-900}
FILTER=${1:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
load() { cut -d' ' -f1 /proc/loadavg; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
echo "# $(date -u +%FT%TZ), $(nproc) CPUs ($cpu), load average $(cut -d' ' -f1-3 /proc/loadavg)"
go test -c -o "$tmp/bench.test" ./bench
"$tmp/bench.test" -test.run '^$' -test.bench '^BenchmarkFMAPeak$' -test.benchtime 1x >"$tmp/peak.txt" 2>/dev/null
"$PY" -c 'import torch; print(f"# torch {torch.__version__}")'
echo "# PyTorch under OMP_WAIT_POLICY in {$TORCH_POLICIES} (the faster median is reported); Go COUNT=$COUNT STEPS=$STEPS, TORCH_STEPS=$TORCH_STEPS"

# label | Go benchmark pattern | Go steps per repetition | PyTorch script | PyTorch name
rows=(
	"matmul 1024³ f32|^BenchmarkMatmul1024\$|10|torch_dcgan.py|matmul1024"
	"DCGAN-64 D step|^BenchmarkDCGAN64DStep\$|$((STEPS * 3))|torch_dcgan.py|D_step"
	"DCGAN-64 G step|^BenchmarkDCGAN64GStep\$|$((STEPS * 3))|torch_dcgan.py|G_step"
	"β-VAE step (quickstart)|^BenchmarkModels\$/^BetaVAE\$|$STEPS|torch_models.py|BetaVAE"
	"FactorVAE step|^BenchmarkModels\$/^FactorVAE\$|$STEPS|torch_models.py|FactorVAE"
	"InfoGAN MNIST, K=0|^BenchmarkModels\$/^InfoGANMNISTK0\$|$STEPS|torch_models.py|InfoGANMNISTK0"
	"InfoGAN MNIST, K=5|^BenchmarkModels\$/^InfoGANMNISTK5\$|$STEPS|torch_models.py|InfoGANMNISTK5"
	"InfoGAN-CR dSprites|^BenchmarkModels\$/^InfoGANCR\$|$STEPS|torch_models.py|InfoGANCR"
)
for row in "${rows[@]}"; do
	IFS='|' read -r label gobench gosteps script tname <<<"$row"
	grep -Eq -- "$FILTER" <<<"$label $tname" || continue
	before=$(load)
	"$tmp/bench.test" -test.run '^$' -test.bench "$gobench" -test.benchtime "${gosteps}x" -test.count "$COUNT" \
		>"$tmp/go.txt" 2>/dev/null
	best=""
	for policy in $TORCH_POLICIES; do
		line=$(OMP_WAIT_POLICY=$policy timeout "$TORCH_TIMEOUT" "$PY" "bench/$script" --only "$tname" \
			--steps "$TORCH_STEPS" --warmup 2 --threads "$(nproc)" | grep -v '^#' || true)
		# An empty line: timed out (spinning threads on a loaded machine) or failed.
		[[ -n $line ]] || continue
		if [[ -z $best ]] || awk -v a="$(cut -d' ' -f2 <<<"$line")" -v b="$(cut -d' ' -f2 <<<"$best")" 'BEGIN{exit !(a < b)}'; then
			best="$line $policy"
		fi
	done
	after=$(load)
	echo "$label|$before|$after|$(tr '\n' ' ' <"$tmp/go.txt")|$best" >>"$tmp/rows.txt"
	echo "# done: $label (load $before -> $after)" >&2
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PY" - "$tmp" <<'PYEOF'
import re, statistics, sys

tmp = sys.argv[1]
peak = 0.0
for line in open(f"{tmp}/peak.txt"):
    m = re.search(r"([\d.]+) GFLOP/s\s", line + " ")
    if line.startswith("BenchmarkFMAPeak") and m:
        peak = float(m.group(1))
print(f"# FMA peak (best single-core FMA rate × cores): {peak:.0f} GFLOP/s\n")

def metric(chunk, unit):
    m = re.search(r"([\d.]+) " + re.escape(unit) + r"(\s|$)", chunk)
    return float(m.group(1)) if m else None

print("| model | Go (ms) | PyTorch median [min–max] (ms), OMP policy | Go / PyTorch | Go CPU ms | PyTorch CPU ms "
      "| GFLOP/step | Go GFLOP/s (% peak) | PyTorch GFLOP/s (% peak) | load before → after |")
print("|---|---|---|---|---|---|---|---|---|---|")
for line in open(f"{tmp}/rows.txt"):
    label, before, after, go, torch = line.rstrip("\n").split("|")
    runs = re.split(r"(?=Benchmark)", go)
    ms, cpu, flops, gfs = [], [], [], []
    for r in runs:
        m = re.match(r"Benchmark\S+\s+\d+\s+([\d.]+) ns/op", r)
        if not m:
            continue
        ms.append(float(m.group(1)) / 1e6)
        for lst, unit in ((cpu, "cpu-ms/op"), (flops, "GFLOP/step"), (gfs, "GFLOP/s")):
            v = metric(r, unit)
            if v is not None:
                lst.append(v)
    t = torch.split()
    if not ms or len(t) < 4:
        print(f"| {label} | (failed) | | | | | | | | {before} → {after} |")
        continue
    go_ms = statistics.median(ms)
    tmed, tlo, thi = float(t[1]), float(t[2]), float(t[3])
    tcpu = float(t[4]) if len(t) > 4 else float("nan")
    policy = t[5] if len(t) > 5 else ""
    if label.startswith("matmul"):
        gf = 2 * 1024 ** 3 / 1e9
    else:
        gf = statistics.median(flops) if flops else float("nan")
    go_gfs = gf / (go_ms / 1e3)
    t_gfs = gf / (tmed / 1e3)
    pct = lambda x: f"{x:.0f} ({100 * x / peak:.1f}%)" if peak else f"{x:.0f}"
    gocpu = f"{statistics.median(cpu):.0f}" if cpu else "–"
    print(f"| {label} | {go_ms:.1f} | {tmed:.1f} [{tlo:.1f}–{thi:.1f}], {policy.lower()} | {go_ms / tmed:.2f}x | {gocpu} | {tcpu:.0f} "
          f"| {gf:.2f} | {pct(go_gfs)} | {pct(t_gfs)} | {before} → {after} |")
PYEOF
