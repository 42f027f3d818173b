package vaegan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/gdisent/vae"
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

func squares(size int) vae.DatasetFunc {
	return func(rng *rand.Rand, n int) ([]float32, error) {
		out := make([]float32, n*size*size)
		for i := range n {
			s := 3 + rng.IntN(size/3)
			x0, y0 := rng.IntN(size-s+1), rng.IntN(size-s+1)
			for y := y0; y < y0+s; y++ {
				for x := x0; x < x0+s; x++ {
					out[i*size*size+y*size+x] = 1
				}
			}
		}
		return out, nil
	}
}

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
		imgs, _ := squares(16)(rand.New(rand.NewPCG(1, 1)), 2)
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
