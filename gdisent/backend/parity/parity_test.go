package parity

// The parity tests train small gdisent models with the same seed and batches on two backends and check the
// recorded losses agree step by step.
//
// By default (CPU, CI) the two are gdisent's pure-Go backend as used everywhere (purego: SimpleGo with
// gdisent/backend/fastcpu's kernels and purego's matmul-gradient rewrite) and the same backend reduced to stock
// SimpleGo executors ($GDISENT_NO_KERNELS=1 and $GDISENT_NO_DOT_REWRITE=1; purego's Reverse/Pad, which SimpleGo
// lacks, stay). The kernels install at package init, so the stock run is this test binary re-executed as a child
// process.
//
// With $GDISENT_PARITY_BACKEND set (e.g. "xla:cuda" or "xla:cpu") the two are that backend, chosen through
// gdisent/backend (so its plugin checks apply), and the patched pure-Go backend, in this process.
//
// Tolerances. Both sides compute in float32 (unit roundoff u = 2^-24 ≈ 6e-8) but sum in different orders: the
// fast GEMM accumulates in register blocks, stock SimpleGo row by row, XLA in its own tiling. A dot product of
// length K then differs by about sqrt(K)·u relative (random-walk rounding), ≈ 1e-6 at most for these layer
// sizes; measured differences between the CPU runs are ≤ 2e-7 relative over 10 steps. One thing amplifies
// roundoff: Adam divides each update by sqrt(v)+ε, so a gradient entry that is zero up to roundoff (≈ 1e-7)
// still moves its weight by ≈ ±lr, with the sign decided by rounding. With GoMLX's ε = 1e-8 this gave 1e-4
// relative KL differences after 5 steps; the models here use ε = 1e-4, far below their gradients (O(0.1–100))
// and far above roundoff, which removes that without changing what is computed. CPU runs then use
// |a−b| <= 1e-5·max(|a|,|b|) + 1e-6: 50× the measured differences, yet a fault as small as one DotGeneral
// output element off by 1% moves these losses by 1.5e-5 to 9e-4 relative (checked by injecting it; zeroing the
// last element moves them by 5e-4 to 2e-2). XLA on CPU gets 1e-4 + 1e-5 (its exp/log/tanh differ from
// Go's in the last bits). XLA on a GPU gets 2e-2 + 1e-3: since Ampere, XLA may run float32 dots and
// convolutions in TF32 (10-bit mantissa, unit roundoff 2^-11 ≈ 5e-4) at the default precision GoMLX uses. Each
// run logs the largest relative difference per metric, to tighten these from data.

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/backend/fastcpu"
	"github.com/gdisent/gdisent/gdisent/backend/purego"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/gdisent/vae"
)

// BackendEnv names a backend configuration to compare against the pure-Go backend, e.g. "xla:cuda".
const BackendEnv = "GDISENT_PARITY_BACKEND"

// childOutEnv makes a test binary a stock-executor child run that writes its series (JSON) to this path.
const childOutEnv = "GDISENT_PARITY_CHILD_OUT"

var (
	cpuTol    = Tolerance{Rel: 1e-5, Abs: 1e-6}
	xlaCPUTol = Tolerance{Rel: 1e-4, Abs: 1e-5}
	xlaGPUTol = Tolerance{Rel: 2e-2, Abs: 1e-3}
)

// parityAdamEpsilon is the Adam ε of every compared model (see the tolerances above).
const parityAdamEpsilon = 1e-4

// parityCase trains one model for steps steps on b and returns its per-step metrics.
type parityCase struct {
	name  string
	steps int
	run   func(t *testing.T, b backends.Backend, steps int) Series
}

// cases lists the models compared; infogan_parity_test.go adds its own in an init function.
var cases = []parityCase{{name: "vae", steps: 8, run: runVAE}}

func TestParity(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runCase(t, c) })
	}
}

func newPurego(t *testing.T) backends.Backend {
	t.Helper()
	b, err := purego.New("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Finalize)
	return b
}

func runCase(t *testing.T, c parityCase) {
	if out := os.Getenv(childOutEnv); out != "" {
		if fastcpu.Installed {
			t.Fatalf("stock child run has the fast kernels installed ($%s not honoured)", fastcpu.DisableEnv)
		}
		s := c.run(t, DeterministicRNG(newPurego(t)), c.steps)
		data, err := json.Marshal(s)
		if err == nil {
			err = os.WriteFile(out, data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	if !fastcpu.Installed {
		t.Fatalf("the fast kernels are not installed, so there is nothing to compare: %v", fastcpu.InstallError)
	}
	if cfg := os.Getenv(BackendEnv); cfg != "" {
		compareWithBackend(t, c, cfg)
		return
	}

	// The stock run, in a child process, runs while this one trains on the patched backend.
	out := filepath.Join(t.TempDir(), "stock.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestParity$/^"+c.name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childOutEnv+"="+out, fastcpu.DisableEnv+"=1", purego.NoDotRewriteEnv+"=1")
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fast0, _ := fastcpu.Calls(backends.OpTypeDotGeneral)
	rewrites0 := purego.DotRewrites()
	got := c.run(t, DeterministicRNG(newPurego(t)), c.steps)
	patched := time.Since(start)
	fast1, _ := fastcpu.Calls(backends.OpTypeDotGeneral)
	if fast1 == fast0 {
		t.Errorf("the patched run never used the fast DotGeneral kernel: the comparison says nothing about it")
	}
	t.Logf("patched run: %d fast DotGeneral calls, %d matmul-gradient rewrites", fast1-fast0,
		purego.DotRewrites()-rewrites0)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("stock run (child process): %v\n%s", err, log.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("stock run wrote no result: %v\n%s", err, log.String())
	}
	var want Series
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	t.Logf("patched purego %s, stock SimpleGo executors (child) %s", patched.Round(time.Millisecond),
		time.Since(start).Round(time.Millisecond))
	check(t, c, want, got, cpuTol)
}

// compareWithBackend trains on the backend configured by cfg (through gdisent/backend's selection) and on the
// patched pure-Go backend.
func compareWithBackend(t *testing.T, c parityCase, cfg string) {
	t.Setenv(backend.EnvVar, cfg)
	choice := backend.Choose()
	other, err := backend.Open(choice)
	if err != nil {
		t.Fatalf("$%s=%q: %v", BackendEnv, cfg, err)
	}
	t.Cleanup(other.Finalize)
	t.Logf("comparing %s (%s) with purego", choice.Config, other.Description())
	start := time.Now()
	want := c.run(t, DeterministicRNG(newPurego(t)), c.steps)
	mid := time.Now()
	got := c.run(t, DeterministicRNG(other), c.steps)
	t.Logf("purego %s, %s %s", mid.Sub(start).Round(time.Millisecond), cfg, time.Since(mid).Round(time.Millisecond))
	tol := xlaCPUTol
	if choice.Plugin == nil || choice.Plugin.Name != "cpu" {
		tol = xlaGPUTol
	}
	check(t, c, want, got, tol)
}

func check(t *testing.T, c parityCase, want, got Series, tol Tolerance) {
	t.Helper()
	r := Compare(want, got, tol)
	t.Logf("%s, %d steps: max relative difference per metric: %s", c.name, c.steps, r)
	for _, v := range r.Violations {
		t.Error(v)
	}
	// Guard against a vacuous comparison: the models must have trained (some metric moved).
	moved := false
	for _, v := range want {
		if len(v) > 1 && v[0] != v[len(v)-1] {
			moved = true
		}
	}
	if !moved || len(want) == 0 {
		t.Errorf("no metric changed over %d steps: %v", c.steps, want)
	}
}

// pooled serves dSprites at 64/k × 64/k, each pixel the mean of a k×k block, to keep the models tiny.
func pooled(k int) func(rng *rand.Rand, n int) ([]float32, error) {
	ds := data.NewDSprites()
	return func(rng *rand.Rand, n int) ([]float32, error) {
		full, err := ds.SampleImages(rng, n)
		if err != nil {
			return nil, err
		}
		const s = 64
		o := s / k
		out := make([]float32, n*o*o)
		for i := range n {
			img := full[i*s*s : (i+1)*s*s]
			for y := range o {
				for x := range o {
					var sum float32
					for dy := range k {
						for dx := range k {
							sum += img[(y*k+dy)*s+x*k+dx]
						}
					}
					out[i*o*o+y*o+x] = sum / float32(k*k)
				}
			}
		}
		return out, nil
	}
}

// runVAE trains a small convolutional β-VAE (32×32 dSprites, conv 16-16-32, FC 64, 6 latents, batch 16). The
// reparameterisation noise is drawn in-graph, so this also exercises DeterministicRNG.
func runVAE(t *testing.T, b backends.Backend, steps int) Series {
	t.Helper()
	cfg := vae.DefaultConfig()
	cfg.ImageSize, cfg.ConvChannels, cfg.Hidden, cfg.LatentDim = 32, []int{16, 16, 32}, 64, 6
	cfg.BatchSize, cfg.LearningRate, cfg.Seed, cfg.CheckpointDir = 16, 1e-3, 11, ""
	cfg.AdamEpsilon = parityAdamEpsilon
	m, err := vae.New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(gdisent.NewDataset([3]int{32, 32, 1}, pooled(2)), steps, training.Silent()); err != nil {
		t.Fatal(err)
	}
	s := Series{}
	for _, sr := range m.History().All() {
		s[sr.Name] = sr.Values
	}
	return s
}
