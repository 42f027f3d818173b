package infogan

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/directions"
	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/gdisent/training"
)

// plainGANConfig is a small plain GAN (no codes, z ~ N(0, I_6)) on 16×16 images.
func plainGANConfig(dir string) Config {
	c := DefaultConfig()
	c.Conv = SmallConvConfig(16, 1)
	c.Latent = gan.LatentSpec{Noise: 6, NoiseDist: gan.Normal}
	c.LambdaInfoD, c.LambdaInfoG, c.GSteps, c.BatchSize, c.Seed = 0, 0, 1, 8, 3
	c.CheckpointDir, c.CheckpointEvery = dir, 2
	return c
}

// graphImages runs the directions generator graph on z in a graph of its own.
func graphImages(t *testing.T, m *Model, z []float32, n int) []float32 {
	t.Helper()
	gen, ctx, err := m.GeneratorGraph()
	if err != nil {
		t.Fatal(err)
	}
	e, err := context.NewExec(m.backend, ctx, func(ctx *context.Context, z *Node) *Node { return gen(ctx.Reuse(), z) })
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(training.Tensor(z, n, m.LatentDim()))
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out[0])
}

func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// TestGeneratorGraphMatchesGenerate: the graph generator handed to gdisent/directions makes the images
// Model.Generate makes, for a fresh model (whose variables GeneratorGraph must create), a trained one and the
// same model loaded from its checkpoint; LatentWeight is the first layer's D×128 weight and SeFa runs on it.
func TestGeneratorGraphMatchesGenerate(t *testing.T) {
	b := be(t)
	ds, err := data.NewPooled(data.NewDSprites(), 4)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m, err := New(b, plainGANConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	lat, err := m.Latent().Sample(rand.New(rand.NewPCG(1, 2)), 5)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, m *Model) []float32 {
		got := graphImages(t, m, lat.Z, 5)
		want, err := m.Generate(lat.Z, 5)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(got, want); d > 1e-6 {
			t.Errorf("%s: graph generator and Generate differ by %g", name, d)
		}
		return want
	}
	fresh := check("fresh model", m)
	if err := m.Train(ds, 4, training.Silent()); err != nil {
		t.Fatal(err)
	}
	trained := check("trained model", m)
	if maxDiff(fresh, trained) < 1e-4 {
		t.Fatalf("training did not change the generator: the comparison would prove nothing")
	}
	loaded, err := Load(b, dir)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(check("loaded model", loaded), trained); d > 1e-6 {
		t.Errorf("loaded model generates other images than the trained one (max diff %g)", d)
	}

	w, err := loaded.LatentWeight()
	if err != nil {
		t.Fatal(err)
	}
	if r, c := w.Dims(); r != 6 || c != 128 {
		t.Errorf("LatentWeight is %d×%d, want 6×128", r, c)
	}
	tg, err := loaded.DirectionTarget()
	if err != nil {
		t.Fatal(err)
	}
	res, err := directions.Find(tg, directions.MethodSeFa, directions.FindConfig{Directions: 3})
	if err != nil {
		t.Fatal(err)
	}
	sefa, err := directions.SeFa(w, 3, directions.SeFaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(f32(res.Vectors), f32(sefa.Vectors.RawMatrix().Data)); d > 1e-6 {
		t.Errorf("SeFa on the target differs from SeFa on LatentWeight by %g", d)
	}
	// The MLP architecture's first layer is hidden0.
	mlp, err := New(b, mlpConfig(RingConfig(), 1, gan.LatentSpec{Noise: 4, NoiseDist: gan.Normal}))
	if err != nil {
		t.Fatal(err)
	}
	if w, err := mlp.LatentWeight(); err != nil {
		t.Error(err)
	} else if r, c := w.Dims(); r != 4 || c != 32 {
		t.Errorf("MLP LatentWeight is %d×%d, want 4×32", r, c)
	}
}

func f32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}
