package directions

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/nn"
)

// linearWorld is a dataset whose images are exactly a linear generator's: two factors of 5 classes set z1 and z2
// (the other latents are 0) and the image is W z, shaped 2×4×1.
type linearWorld struct{ w *mat.Dense }

func (linearWorld) NumFactors() int       { return 2 }
func (linearWorld) FactorSizes() []int    { return []int{5, 5} }
func (linearWorld) FactorNames() []string { return []string{"a", "b"} }
func (linearWorld) ImageShape() [3]int    { return [3]int{2, 4, 1} }
func (l linearWorld) Sample(rng *rand.Rand, n int) []int {
	out := make([]int, 2*n)
	for i := range out {
		out[i] = rng.IntN(5)
	}
	return out
}
func (l linearWorld) Render(classes []int, dst []float32) error {
	z := []float64{0.6 * float64(classes[0]-2), 0.6 * float64(classes[1]-2), 0, 0}
	for p := range 8 {
		s := 0.0
		for j, v := range z {
			s += l.w.At(p, j) * v
		}
		dst[p] = float32(s)
	}
	return nil
}
func (l linearWorld) Observe(classes []int, n int) ([]float32, error) {
	out := make([]float32, 8*n)
	for i := range n {
		if err := l.Render(classes[2*i:2*i+2], out[8*i:]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TestScoreSeparatesAlignedFromMixedDirections: with directions e1, e2 (one per factor) the encoder's codes are
// the factors and MIG is high; rotated 45° in the same plane each code mixes both factors and MIG collapses.
func TestScoreSeparatesAlignedFromMixedDirections(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(41, 42))
	w := randMat(rng, 8, 4)
	gen := func(ctx *context.Context, z *Node) *Node { return Reshape(linearGen(w)(ctx, z), -1, 2, 4, 1) }
	tg := Target{Backend: b, Context: seeded(8), Generator: gen, LatentDim: 4}
	ds := linearWorld{w: w}
	linear := func(ctx *context.Context, x *Node) *Node { return nn.Dense(ctx, flatBatch(x), 2).Done() }
	cfg := ScoreConfig{Steps: 400, LR: 0.02, Encoder: linear, Metrics: []string{metrics.NameMIG},
		MetricsConfig: metrics.Config{NumTrain: 500, NumTest: 100}}
	aligned := mat.NewDense(4, 2, []float64{1, 0, 0, 1, 0, 0, 0, 0})
	c := 1 / math.Sqrt2
	mixed := mat.NewDense(4, 2, []float64{c, c, c, -c, 0, 0, 0, 0})
	good, err := Score(tg, aligned, ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := Score(tg, mixed, ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("aligned: %v; mixed: %v", good, bad)
	if good["encoder_mse"] > 0.01 || bad["encoder_mse"] > 0.01 {
		t.Errorf("encoders did not fit: MSE %.4f and %.4f", good["encoder_mse"], bad["encoder_mse"])
	}
	if good[metrics.NameMIG] < 0.8 || bad[metrics.NameMIG] > 0.3 {
		t.Errorf("MIG aligned %.3f (want > 0.8), mixed %.3f (want < 0.3)", good[metrics.NameMIG], bad[metrics.NameMIG])
	}
	if good["encoder_seconds"] <= 0 {
		t.Errorf("no time recorded: %v", good)
	}
	// The two encoders got scopes of their own.
	for _, s := range []string{"/coord_encoder_0/dense", "/coord_encoder_1/dense"} {
		if tg.Context.GetVariableByScopeAndName(s, "weights") == nil {
			t.Errorf("no encoder variables in %s", s)
		}
	}
	// A dataset of another image size is refused before any training.
	small := ScoreConfig{Steps: 1}
	if _, err := Score(tg, aligned, wrongSize{ds}, small); err == nil || !strings.Contains(err.Error(), "NewPooled") {
		t.Errorf("wrong image size: %v", err)
	}
	if _, err := Score(tg, aligned, ds, ScoreConfig{}); err == nil || !strings.Contains(err.Error(), "Steps") {
		t.Errorf("zero steps: %v", err)
	}
	if _, err := Score(tg, mat.NewDense(3, 1, nil), ds, small); err == nil {
		t.Error("directions of the wrong size accepted")
	}
}

type wrongSize struct{ linearWorld }

func (wrongSize) ImageShape() [3]int { return [3]int{4, 4, 1} }

func TestConvEncoderAndTrain(t *testing.T) {
	b := be(t)
	ctx := seeded(2)
	e, err := context.NewExec(b, ctx, func(ctx *context.Context, g *Graph) *Node {
		return ConvEncoder(7)(ctx, Zeros(g, shapes.Make(dtypes.Float32, 3, 32, 32, 1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec()
	if err != nil {
		t.Fatal(err)
	}
	if d := out[0].Shape().Dimensions; len(d) != 2 || d[0] != 3 || d[1] != 7 {
		t.Errorf("ConvEncoder output %v, want [3 7]", d)
	}
	if v := ctx.GetVariableByScopeAndName("/conv3/conv", "weights"); v == nil || v.Shape().Dimensions[3] != 64 {
		t.Errorf("fourth conv block missing or wrong: %v", v)
	}
	var ce CoordinateEncoder
	if _, err := ce.Train(0); err == nil {
		t.Error("Train(0) accepted")
	}
}
