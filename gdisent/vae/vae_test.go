package vae

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gdisent/gdisent/gdisent"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/training"
)

func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	backend.Report = nil
	b, err := backend.New()
	if err != nil {
		t.Fatalf("backend: %v", err)
	}
	return b
}

// squares is a tiny dSprites-like dataset: one filled square of random size and position per size×size image.
func squares(size int) data.Squares { return data.Squares{Size: size} }

func tinyConfig() Config {
	c := SmallConfig()
	c.ImageSize, c.LatentDim, c.Hidden, c.BatchSize, c.LearningRate = 16, 4, 64, 32, 1e-3
	c.Seed = 5
	return c
}

func TestELBOTerms(t *testing.T) {
	b := testBackend(t)
	ln4 := math.Log(4)
	kl := MustExecOnce(b, func(mean, logVar *Node) *Node { return KLPerLatent(mean, logVar) },
		[][]float32{{0, 1}, {2, 0}}, [][]float32{{0, 0}, {float32(ln4), 0}})
	// Row 1: μ=(0,1), σ²=1 → (0, ½). Row 2: μ=(2,0), σ²=(4,1) → (½(4+4−ln4−1), 0). Batch mean:
	want := []float64{0.5 * 0.5 * (7 - ln4), 0.25}
	got := tensors.MustCopyFlatData[float32](kl)
	for j := range want {
		if math.Abs(float64(got[j])-want[j]) > 1e-5 {
			t.Fatalf("KL per latent = %v, want %v", got, want)
		}
	}

	nll := MustExecOnce(b, func(logits, x *Node) *Node { return BernoulliNLL(logits, x) },
		[][]float32{{0, 2, -3}, {100, -100, 0}}, [][]float32{{1, 0, 0.5}, {0, 1, 0}})
	softplus := func(x float64) float64 { return math.Log1p(math.Exp(x)) }
	// BCE(l, x) = x·softplus(−l) + (1−x)·softplus(l).
	want = []float64{
		softplus(0) + softplus(2) + 0.5*softplus(3) + 0.5*softplus(-3),
		100 + 100 + math.Ln2, // large logits stay finite and exact
	}
	gotNLL := tensors.MustCopyFlatData[float32](nll)
	for i := range want {
		if math.Abs(float64(gotNLL[i])-want[i]) > 1e-4 {
			t.Fatalf("Bernoulli NLL = %v, want %v", gotNLL, want)
		}
	}

	caps := MustExecOnce(b, func(step *Node) *Node {
		return Stack([]*Node{Capacity(step, 25, 100), Capacity(AddScalar(step, 150), 25, 100)}, 0)
	}, int64(50))
	if c := tensors.MustCopyFlatData[float32](caps); c[0] != 12.5 || c[1] != 25 {
		t.Fatalf("capacity = %v, want [12.5 25]", c)
	}
	_ = dtypes.Float32
}

func TestShortRunLossDecreases(t *testing.T) {
	b := testBackend(t)
	for _, obj := range []string{ObjectiveBeta, ObjectiveAnnealed} {
		cfg := tinyConfig()
		cfg.Objective, cfg.Beta, cfg.Gamma, cfg.CapacityMax, cfg.CapacitySteps = obj, 1, 10, 5, 100
		cfg.LogLatentKL = true
		m, err := New(b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(squares(16), 50, training.Silent()); err != nil {
			t.Fatal(err)
		}
		rec, _ := m.History().Get("reconstruction")
		mean := func(v []float64) float64 {
			s := 0.0
			for _, x := range v {
				s += x
			}
			return s / float64(len(v))
		}
		first, last := mean(rec.Values[:5]), mean(rec.Values[45:])
		t.Logf("%s: reconstruction %.1f → %.1f", obj, first, last)
		if !(last < 0.7*first) {
			t.Fatalf("%s: reconstruction did not decrease enough: %.2f → %.2f", obj, first, last)
		}
		if m.History().Len("kl/03") != 50 {
			t.Fatal("per-latent KL not logged")
		}
		if obj == ObjectiveAnnealed {
			if _, c, _ := m.History().Last("capacity"); math.Abs(c-5*49.0/100) > 1e-5 {
				t.Fatalf("capacity at step 49 = %g", c)
			}
		}
	}
}

func TestEncodeDecodeTraverse(t *testing.T) {
	b := testBackend(t)
	cfg := tinyConfig()
	cfg.Arch, cfg.ConvChannels, cfg.Hidden, cfg.BatchSize = ArchConv, []int{4, 4, 8, 8}, 32, 8
	m, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(squares(16), 3, training.Silent()); err != nil {
		t.Fatal(err)
	}
	imgs, _ := squares(16).SampleImages(rand.New(rand.NewPCG(1, 2)), 3)
	mean, err := m.Encode(imgs, 3)
	if err != nil || len(mean) != 3*4 {
		t.Fatalf("Encode: %d values, %v", len(mean), err)
	}
	s1, err := m.SampledEncoder(7).Encode(imgs, 3)
	if err != nil || len(s1) != len(mean) {
		t.Fatalf("SampledEncoder: %d values, %v", len(s1), err)
	}
	s2, _ := m.SampledEncoder(7).Encode(imgs, 3)
	s3, _ := m.SampledEncoder(8).Encode(imgs, 3)
	if !slices.Equal(s1, s2) || slices.Equal(s1, s3) || slices.Equal(s1, mean) {
		t.Error("sampled codes must be reproducible for a seed, differ across seeds and from the means")
	}
	kl, err := m.LatentKL(imgs, 3)
	if err != nil || len(kl) != 4 {
		t.Fatalf("LatentKL: %v, %v", kl, err)
	}
	rec, err := m.Reconstruct(imgs)
	if err != nil || len(rec) != len(imgs) {
		t.Fatalf("Reconstruct: %d values, %v", len(rec), err)
	}
	for _, v := range rec {
		if v < 0 || v > 1 {
			t.Fatalf("decoded value %g outside [0, 1]", v)
		}
	}
	grid, err := m.TraverseImage(imgs[:256], []float64{-2, 0, 2})
	if err != nil || len(grid) != 4*3*256 {
		t.Fatalf("Traverse: %d values, %v", len(grid), err)
	}
	// Column 1 of each row sets z_j = 0: rows differ from each other only through the changed latent.
	if _, err := m.Encode(imgs[:100], 1); err == nil {
		t.Fatal("partial image accepted")
	}
}

func allVars(ctx *context.Context) map[string][]float32 {
	out := map[string][]float32{}
	for v := range ctx.IterVariables() {
		if v.DType() == dtypes.Float32 {
			out[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](v.MustValue())
		}
	}
	return out
}

func TestCheckpointResumeEqualsUninterrupted(t *testing.T) {
	b := testBackend(t)
	dirA, dirB := t.TempDir(), t.TempDir()
	cfg := tinyConfig()
	cfg.CheckpointDir, cfg.CheckpointEvery, cfg.CheckpointKeep = dirA, 4, 0
	a, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Train(squares(16), 10, training.Silent()); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash after step 4: a new process sees only the step-4 checkpoint.
	data, err := os.ReadFile(filepath.Join(dirA, training.CheckpointName(4)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, training.CheckpointName(4)), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := training.LoadCheckpoint(filepath.Join(dirB, training.CheckpointName(4))); err != nil || c.Params["/vae_beta"] != "4" {
		t.Fatalf("checkpoint params: %v, %v", c, err)
	}
	cfg.CheckpointDir = dirB
	bm, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := bm.Train(squares(16), 10, training.Silent()); err != nil {
		t.Fatal(err)
	}
	if bm.Loop().Step() != 10 {
		t.Fatalf("resumed model at step %d", bm.Loop().Step())
	}
	va, vb := allVars(a.Context()), allVars(bm.Context())
	if len(va) == 0 || len(va) != len(vb) {
		t.Fatalf("variable sets differ: %d vs %d", len(va), len(vb))
	}
	for k, x := range va {
		y := vb[k]
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				t.Fatalf("%s[%d]: uninterrupted %v, resumed %v", k, i, x[i], y[i])
			}
		}
	}
	la, _ := a.History().Get("loss")
	lb, _ := bm.History().Get("loss")
	for i := range la.Values {
		if la.Values[i] != lb.Values[i] {
			t.Fatalf("loss history differs at step %d: %v vs %v", i, la.Values[i], lb.Values[i])
		}
	}
}

func TestNaNStopsTraining(t *testing.T) {
	b := testBackend(t)
	cfg := tinyConfig()
	cfg.CheckpointDir, cfg.CheckpointEvery = t.TempDir(), 2
	m, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ds := squares(16)
	poisoned := gdisent.NewDataset(ds.ImageShape(), func(rng *rand.Rand, n int) ([]float32, error) {
		imgs, err := ds.SampleImages(rng, n)
		if m.Loop().Step() == 5 {
			imgs[17] = float32(math.NaN())
		}
		return imgs, err
	})
	err = m.Train(poisoned, 20, training.Silent())
	var nf *training.NonFiniteError
	if !errors.As(err, &nf) || nf.Step != 5 || nf.Name != "loss" {
		t.Fatalf("want NonFiniteError at step 5 naming the loss, got %v", err)
	}
	if !strings.HasSuffix(nf.Checkpoint, training.CheckpointName(4)) {
		t.Fatalf("last good checkpoint %q", nf.Checkpoint)
	}
	t.Log(err)
}

func TestInvalidConfig(t *testing.T) {
	b := testBackend(t)
	for name, mod := range map[string]func(*Config){
		"beta":   func(c *Config) { c.Beta = -1 },
		"latent": func(c *Config) { c.LatentDim = 0 },
		"arch":   func(c *Config) { c.Arch = "resnet" },
		"size":   func(c *Config) { c.Arch, c.ImageSize = ArchConv, 20 },
		"lr":     func(c *Config) { c.LearningRate = math.NaN() },
	} {
		c := tinyConfig()
		mod(&c)
		if _, err := New(b, c); err == nil {
			t.Errorf("%s: invalid config accepted", name)
		}
	}
	m, err := New(b, tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(squares(16), -1, training.Silent()); err == nil {
		t.Error("negative steps accepted")
	}
	if err := m.Train(gdisent.NewDataset([3]int{16, 16, 1}, func(*rand.Rand, int) ([]float32, error) { return make([]float32, 7), nil }), 1,
		training.Silent()); err == nil || !strings.Contains(err.Error(), "want") {
		t.Errorf("wrong batch size not reported: %v", err)
	}
	if _, err := m.Decode(make([]float32, 5)); err == nil {
		t.Error("bad code length accepted")
	}
}

var _ Dataset = (*data.DSprites)(nil)

// TestSmallOnDSprites runs the fast MLP variant on procedural dSprites (64×64×1) for a few steps.
func TestSmallOnDSprites(t *testing.T) {
	b := testBackend(t)
	cfg := SmallConfig()
	cfg.BatchSize, cfg.LearningRate = 32, 1e-3
	m, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(data.NewDSprites(), 30, training.Silent()); err != nil {
		t.Fatal(err)
	}
	rec, _ := m.History().Get("reconstruction")
	first, last := (rec.Values[0]+rec.Values[1]+rec.Values[2])/3, (rec.Values[27]+rec.Values[28]+rec.Values[29])/3
	t.Logf("dSprites reconstruction %.1f → %.1f", first, last)
	if !(last < 0.5*first) {
		t.Fatalf("reconstruction did not decrease: %.1f → %.1f", first, last)
	}
}

func TestLoadRestoresTrainedModel(t *testing.T) {
	b := testBackend(t)
	cfg := tinyConfig()
	if _, err := Load(b, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Load from a missing directory succeeded")
	}
	cfg.CheckpointDir = t.TempDir()
	if _, err := Load(b, cfg.CheckpointDir); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("Load from an empty directory: %v, want a 'no checkpoint' error", err)
	}
	m, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(squares(16), 6, training.Silent()); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(b, cfg.CheckpointDir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Loop().Step() != 6 {
		t.Errorf("loaded model at step %d, want 6", loaded.Loop().Step())
	}
	imgs, _ := squares(16).SampleImages(rand.New(rand.NewPCG(3, 4)), 2)
	want, err := m.Encode(imgs, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Encode(imgs, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("loaded model encodes differently at %d: %v vs %v", i, got[i], want[i])
		}
	}
}

func TestResumeRefusesOtherArchitecture(t *testing.T) {
	b := testBackend(t)
	cfg := tinyConfig()
	cfg.CheckpointDir = t.TempDir()
	m, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(squares(16), 3, training.Silent()); err != nil {
		t.Fatal(err)
	}
	cfg.LatentDim++ // another model in the same directory
	other, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = other.Train(squares(16), 6, training.Silent())
	if err == nil || !strings.Contains(err.Error(), "LatentDim: checkpoint 4, now 5") || !strings.Contains(err.Error(), "StartOver") {
		t.Fatalf("resuming with another latent size: %v, want an error naming LatentDim and the way out", err)
	}
	loaded, err := Load(b, cfg.CheckpointDir)
	if err != nil || loaded.Config().LatentDim != 4 {
		t.Fatalf("Load must rebuild the recorded model: %v", err)
	}
	cfg.StartOver = true
	fresh, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.Train(squares(16), 2, training.Silent()); err != nil || fresh.Step() != 2 {
		t.Fatalf("StartOver: %v at step %d", err, fresh.Step())
	}
	if reloaded, err := Load(b, cfg.CheckpointDir); err != nil || reloaded.Config().LatentDim != 5 {
		t.Fatalf("after StartOver, Load: %v", err)
	}
}
