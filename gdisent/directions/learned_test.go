package directions

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/nn"
	"github.com/gdisent/gdisent/gdisent/training"
)

func TestLatentDiscoveryImprovesAccuracy(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(11, 12))
	w := randMat(rng, 8, 4)
	base := linearGen(w)
	gen := func(ctx *context.Context, z *Node) *Node { return Tanh(MulScalar(base(ctx, z), 0.3)) }
	ctx := seeded(3)
	ld, err := NewLatentDiscovery(b, ctx, gen, LatentDiscoveryConfig{LatentDim: 4, Directions: 4, Batch: 64, LR: 3e-3,
		Reconstructor: MLPReconstructor(4, 64)})
	if err != nil {
		t.Fatal(err)
	}
	var first, last float64
	const steps, window = 300, 30
	for i := 0; i < steps; i++ {
		s, err := ld.Step()
		if err != nil {
			t.Fatal(err)
		}
		if i < window {
			first += s.Accuracy / window
		}
		if i >= steps-window {
			last += s.Accuracy / window
		}
	}
	t.Logf("direction accuracy: first %d steps %.3f, last %d steps %.3f", window, first, window, last)
	if last < first+0.3 || last < 0.7 {
		t.Errorf("Latent Discovery did not learn: accuracy %.3f → %.3f", first, last)
	}
	dirs, err := ld.Directions()
	if err != nil {
		t.Fatal(err)
	}
	var ata mat.Dense
	ata.Mul(dirs.Vectors.T(), dirs.Vectors)
	for i := 0; i < 4; i++ {
		near(t, "AᵀA diag", ata.At(i, i), 1, 1e-6)
	}
	near(t, "AᵀA off-diag", ata.At(0, 1), 0, 1e-6)
	if _, err := NewLatentDiscovery(b, ctx, gen, LatentDiscoveryConfig{LatentDim: 2, Directions: 3}); err == nil {
		t.Errorf("K > D accepted")
	}
}

func TestHessianDiscoveryFindsRotation(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(13, 14))
	rot, _ := Orthonormalize(randMat(rng, 3, 3)) // output i depends only on (Rᵀz)_i
	gen := func(ctx *context.Context, z *Node) *Node {
		c := ConvertDType(Reshape(Const(z.Graph(), rot.RawMatrix().Data), 3, 3), z.DType())
		return Square(MatMul(z, c))
	}
	ctx := seeded(4)
	hd, err := NewHessianDiscovery(b, ctx, gen, HessianDiscoveryConfig{LatentDim: 3, Directions: 3, Batch: 16, LR: 0.03,
		Hessian: HessianOptions{Reduce: ReduceByMean, K: 4}, DType: dtypes.Float64})
	if err != nil {
		t.Fatal(err)
	}
	var first, last float64
	for i := 0; i < 300; i++ {
		l, err := hd.Step()
		if err != nil {
			t.Fatal(err)
		}
		if i < 10 {
			first += l / 10
		}
		if i >= 290 {
			last += l / 10
		}
	}
	t.Logf("Hessian penalty %.4f → %.4f", first, last)
	if last > 0.05*first {
		t.Errorf("Hessian discovery did not reduce the penalty enough: %.4f → %.4f", first, last)
	}
	dirs, err := hd.Directions()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // every learned direction matches one column of R
		best := 0.0
		for j := 0; j < 3; j++ {
			best = math.Max(best, colAbsCos(dirs.Vectors, i, rot, j))
		}
		if best < 0.98 {
			t.Errorf("direction %d: best |cos| with the true axes %.4f", i, best)
		}
	}
}

func TestCoordinateEncoder(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(15, 16))
	w := randMat(rng, 8, 4)
	gen := func(ctx *context.Context, z *Node) *Node { return Reshape(linearGen(w)(ctx, z), -1, 2, 4, 1) }
	a, _ := Orthonormalize(randMat(rng, 4, 2))
	enc := func(ctx *context.Context, x *Node) *Node { return nn.Dense(ctx, flatBatch(x), 2).Done() }
	ctx := seeded(5)
	ce, err := NewCoordinateEncoder(b, ctx, gen, enc, CoordinateEncoderConfig{Directions: a, LR: 0.02, Batch: 64})
	if err != nil {
		t.Fatal(err)
	}
	var first, last float64
	for i := 0; i < 400; i++ {
		l, err := ce.Step()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = l
		}
		last = l
	}
	t.Logf("encoder MSE %.4f → %.5f", first, last)
	if last > 0.02*first {
		t.Errorf("encoder did not fit: MSE %.4f → %.4f", first, last)
	}
	// The metrics adapter reproduces Aᵀz for generated images.
	z := []float64{0.5, -1, 0.3, 2, -0.7, 0.1, 1.2, -0.4}
	var imgs mat.Dense
	imgs.Mul(mat.NewDense(2, 4, z), w.T())
	x := make([]float32, 16)
	for i, v := range imgs.RawMatrix().Data {
		x[i] = float32(v)
	}
	codes, err := ce.MetricsEncoder([]int{2, 4, 1}, 1).Encode(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	var want mat.Dense
	want.Mul(mat.NewDense(2, 4, z), a)
	for i, v := range want.RawMatrix().Data {
		near(t, "encoded coordinate", float64(codes[i]), v, 0.05)
	}
	if _, err := ce.MetricsEncoder([]int{2, 4, 1}, 1).Encode(x[:5], 2); err == nil {
		t.Errorf("wrong image size accepted")
	}
}

// The directions steps use gdisent/training's per-scope Adam and keep a frozen generator's batch-norm statistics
// (inference mode) and weights unchanged.
func TestStepsFreezeGeneratorAndUseSharedAdam(t *testing.T) {
	b := be(t)
	gen := func(ctx *context.Context, z *Node) *Node {
		h := nn.BatchNorm(ctx.In("bn"), nn.Dense(ctx.In("g1"), z, 6).Done()).Done()
		return Reshape(Tanh(h), -1, 2, 3, 1)
	}
	ctx := initGen(t, b, gen, 3, dtypes.Float32)
	snapshot := func() map[string][]float64 {
		out := map[string][]float64{}
		for v := range ctx.IterVariables() {
			if v.Scope() == context.RootScope || !v.DType().IsFloat() || v.Scope() == "/coord_encoder" {
				continue
			}
			val, err := v.Value()
			if err != nil {
				t.Fatal(err)
			}
			f, err := floats(val)
			if err != nil {
				t.Fatal(err)
			}
			out[v.ScopeAndName()] = f
		}
		return out
	}
	before := snapshot()
	if len(before) < 4 {
		t.Fatalf("generator variables not created: %v", before)
	}
	a, _ := Orthonormalize(randMat(rand.New(rand.NewPCG(1, 2)), 3, 2))
	enc := func(ctx *context.Context, x *Node) *Node { return nn.Dense(ctx, flatBatch(x), 2).Done() }
	ce, err := NewCoordinateEncoder(b, ctx, gen, enc, CoordinateEncoderConfig{Directions: a, Batch: 16})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := ce.Step(); err != nil {
			t.Fatal(err)
		}
	}
	after := snapshot()
	for name, v := range before {
		for i := range v {
			if after[name][i] != v[i] {
				t.Fatalf("frozen generator variable %s changed at %d: %g → %g", name, i, v[i], after[name][i])
			}
		}
	}
	found := false
	for v := range ctx.IterVariables() {
		if strings.HasPrefix(v.Scope(), training.OptimizerScope+"/coord_encoder") {
			found = true
		}
	}
	if !found {
		t.Errorf("no Adam state under %s/coord_encoder", training.OptimizerScope)
	}
}
