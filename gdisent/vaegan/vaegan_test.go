package vaegan

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gdisent/gdisent/data"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/gan"
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

func squares(size int) data.Squares { return data.Squares{Size: size} }

func tinyConfig() Config {
	c := DefaultConfig()
	c.VAE.ImageSize, c.VAE.LatentDim, c.VAE.Hidden, c.VAE.BatchSize, c.VAE.LearningRate = 16, 4, 64, 32, 1e-3
	c.VAE.Seed = 3
	c.DiscHidden, c.DiscLayers = 32, 1
	return c
}

func TestFeatureNLL(t *testing.T) {
	got := MustExecOnce(testBackend(t), FeatureNLL, [][]float32{{1, 2}, {0, 0}}, [][]float32{{0, 2}, {3, -1}})
	// ½·(1 + 0 + 9 + 1)/2 = 2.75
	if v := tensors.MustCopyFlatData[float32](got)[0]; math.Abs(float64(v)-2.75) > 1e-6 {
		t.Fatalf("FeatureNLL = %v, want 2.75", v)
	}
}

func TestShortRuns(t *testing.T) {
	b := testBackend(t)
	for _, c := range []struct {
		name string
		mod  func(*Config)
	}{
		{"vaegan", func(c *Config) { c.PixelWeight = 1 }},
		{"hybrid-unrolled", func(c *Config) {
			c.PixelWeight, c.InfoCodes, c.Unroll = 1, 2, gan.Unroll{Steps: 2, LearningRate: 1e-3}
		}},
	} {
		cfg := tinyConfig()
		c.mod(&cfg)
		m, err := New(b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(squares(16), 30, training.Silent()); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		mean := func(name string, from, to int) float64 {
			s, ok := m.History().Get(name)
			if !ok {
				t.Fatalf("%s: %q not logged", c.name, name)
			}
			sum := 0.0
			for _, v := range s.Values[from:to] {
				sum += v
			}
			return sum / float64(to-from)
		}
		r0, r1 := mean("reconstruction", 0, 5), mean("reconstruction", 25, 30)
		t.Logf("%s: reconstruction %.1f → %.1f, d_gan %.3f, g_gan %.3f", c.name, r0, r1, mean("d_gan", 25, 30), mean("g_gan", 25, 30))
		if !(r1 < 0.8*r0) {
			t.Fatalf("%s: reconstruction did not decrease: %.2f → %.2f", c.name, r0, r1)
		}
		if cfg.InfoCodes > 0 {
			q0, q1 := mean("q_loss", 0, 5), mean("q_loss", 25, 30)
			t.Logf("%s: q_loss %.3f → %.3f", c.name, q0, q1)
			if !(q1 < q0) {
				t.Fatalf("Q loss did not decrease: %.3f → %.3f", q0, q1)
			}
		}
		imgs, _ := squares(16).SampleImages(rand.New(rand.NewPCG(1, 1)), 2)
		if rec, err := m.Reconstruct(imgs); err != nil || len(rec) != len(imgs) {
			t.Fatalf("Reconstruct: %v", err)
		}
		if g, err := m.TraverseImage(imgs[:256], []float64{-1, 1}); err != nil || len(g) != 4*2*256 {
			t.Fatalf("TraverseImage: %v", err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.InfoCodes = 99 },
		func(c *Config) { c.Gamma = math.Inf(1) },
		func(c *Config) { c.DiscLearningRate = 0 },
		func(c *Config) { c.Unroll.Steps = -1 },
		func(c *Config) { c.VAE.LatentDim = 0 },
	} {
		c := tinyConfig()
		mod(&c)
		if _, err := New(testBackend(t), c); err == nil {
			t.Fatalf("invalid config accepted: %+v", c)
		}
	}
}

// TestLoadAndResume: a model trained with checkpoints is rebuilt by Load from the directory alone, and resuming
// with a changed hyperparameter of the embedded VAE config is refused naming it.
func TestLoadAndResume(t *testing.T) {
	b := testBackend(t)
	cfg := tinyConfig()
	cfg.InfoCodes, cfg.VAE.CheckpointDir, cfg.VAE.CheckpointEvery = 2, t.TempDir(), 2
	m, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(squares(16), 3, training.Silent()); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(b, cfg.VAE.CheckpointDir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Step() != 3 || loaded.Config().InfoCodes != 2 {
		t.Fatalf("Load: step %d, InfoCodes %d", loaded.Step(), loaded.Config().InfoCodes)
	}
	imgs, _ := squares(16).SampleImages(rand.New(rand.NewPCG(2, 2)), 2)
	a, err1 := m.Encode(imgs, 2)
	c, err2 := loaded.Encode(imgs, 2)
	if err1 != nil || err2 != nil || !slices.Equal(a, c) {
		t.Fatalf("loaded model encodes differently (%v, %v)", err1, err2)
	}
	cfg.VAE.Beta = 2
	other, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Train(squares(16), 5, training.Silent()); err == nil || !strings.Contains(err.Error(), "VAE.Beta") {
		t.Fatalf("changed β: %v, want an error naming VAE.Beta", err)
	}
}

var _ training.Model = (*Model)(nil)
