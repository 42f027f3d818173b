package directions

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"
)

// run executes fn once in ctx and returns its outputs as float64 slices.
func run(t *testing.T, b backends.Backend, ctx *context.Context, fn func(ctx *context.Context, g *Graph) []*Node) [][]float64 {
	t.Helper()
	e, err := context.NewExec(b, ctx, func(ctx *context.Context, g *Graph) []*Node {
		outs := fn(ctx, g)
		for i := range outs {
			outs[i] = ConvertDType(outs[i], dtypes.Float64)
		}
		return outs
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Exec()
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(res))
	for i, r := range res {
		out[i] = tensors.MustCopyFlatData[float64](r)
	}
	return out
}

func seeded(seed int64) *context.Context {
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		panic(err)
	}
	return ctx
}

func TestHessianPenaltyKnownHessians(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(1, 3))
	zs := randMat(rng, 512, 3).RawMatrix().Data
	// For a quadratic f the second difference is exact: vᵀHv with v ∈ {±1}^D, and
	// E Var[vᵀHv] = 2 Σ_{i≠j} H_ij². f = z1·z2 → 4; f = z1² + z2² → 0 exactly.
	cases := []struct {
		name string
		f    func(z *Node) *Node
		want float64
		tol  float64
	}{
		{"z1*z2", func(z *Node) *Node {
			return Mul(Slice(z, AxisRange(), AxisRange(0, 1)), Slice(z, AxisRange(), AxisRange(1, 2)))
		}, 4, 0.6},
		{"z1^2+z2^2", func(z *Node) *Node {
			return ReduceSum(Square(Slice(z, AxisRange(), AxisRange(0, 2))), -1)
		}, 0, 1e-9},
		{"3*z1*z3 + z2^2 (two outputs)", func(z *Node) *Node {
			z1 := Slice(z, AxisRange(), AxisRange(0, 1))
			z2 := Slice(z, AxisRange(), AxisRange(1, 2))
			z3 := Slice(z, AxisRange(), AxisRange(2, 3))
			return Concatenate([]*Node{MulScalar(Mul(z1, z3), 3), Square(z2)}, 1)
		}, 36.0 / 2, 0.6 * 9 / 2}, // mean over 2 outputs of (2·2·3², 0)
	}
	for _, c := range cases {
		out := run(t, b, seeded(5), func(ctx *context.Context, g *Graph) []*Node {
			z := Const(g, zs)
			z = Reshape(z, 512, 3)
			return []*Node{HessianPenalty(ctx, c.f, z, HessianOptions{Reduce: ReduceByMean})}
		})
		near(t, "HessianPenalty "+c.name, out[0][0], c.want, c.tol)
	}
	// Max reduction of z1·z2 with k=2: each variance is 0 or 8, so the max over 512 examples is 8.
	out := run(t, b, seeded(5), func(ctx *context.Context, g *Graph) []*Node {
		z := Reshape(Const(g, zs), 512, 3)
		return []*Node{HessianPenalty(ctx, cases[0].f, z, HessianOptions{})}
	})
	near(t, "HessianPenalty max", out[0][0], 8, 1e-9)
}

func TestExpmVsGonum(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(2, 2))
	for _, scale := range []float64{0.001, 1, 6} {
		s := randMat(rng, 5, 5)
		s.Scale(scale, s)
		var skew mat.Dense
		skew.Sub(s, s.T())
		var want mat.Dense
		want.Exp(&skew)
		out := run(t, b, context.New(), func(ctx *context.Context, g *Graph) []*Node {
			x := Reshape(Const(g, s.RawMatrix().Data), 5, 5)
			return []*Node{Expm(Sub(x, Transpose(x, 0, 1)), ExpmSquarings, ExpmOrder), OrthogonalFromSkew(x, 3)}
		})
		got := mat.NewDense(5, 5, out[0])
		var diff mat.Dense
		diff.Sub(got, &want)
		if m := mat.Norm(&diff, math.Inf(1)); m > 1e-9 {
			t.Errorf("Expm scale %g: off by %g", scale, m)
		}
		q := mat.NewDense(5, 3, out[1])
		var qtq mat.Dense
		qtq.Mul(q.T(), q)
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				want := 0.0
				if i == j {
					want = 1
				}
				near(t, "QᵀQ", qtq.At(i, j), want, 1e-9)
			}
		}
	}
}

func TestAxisAlignmentLoss(t *testing.T) {
	b := be(t)
	r := math.Sqrt(0.5)
	cases := []struct {
		name string
		v    []float64 // [1, 2, 3]
		want float64
	}{
		{"signed axes", []float64{0, -2, 0, 1, 0, 0}, 0},
		{"one diagonal", []float64{r, r, 0, 0, 0, 1}, 0.5},
		{"both mixed", []float64{1, 1, 1, 1, -1, 0}, (1 - 3.0/9) + 0.5},
	}
	for _, c := range cases {
		out := run(t, b, context.New(), func(ctx *context.Context, g *Graph) []*Node {
			return []*Node{AxisAlignmentLoss(Reshape(Const(g, c.v), 1, 2, 3))}
		})
		near(t, "AxisAlignmentLoss "+c.name, out[0][0], c.want, 1e-12)
	}
}

func TestSpectralAlignmentLoss(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(4, 4))
	// Axis-aligned right-singular vectors: W = U diag(s) (P×D) → V = I → loss 0.
	u, _ := Orthonormalize(randMat(rng, 6, 3))
	var wAx mat.Dense
	wAx.Mul(u, mat.NewDiagDense(3, []float64{3, 2, 1}))
	// Rotated: W = U S Rᵀ with a random rotation R → loss = Σ_i (1 − Σ_j R_ji⁴) for the top-k columns.
	wRot, _, rot := withSingular(rng, 6, 3, []float64{3, 2, 1})
	want := 0.0
	for i := 0; i < 2; i++ {
		s := 0.0
		for j := 0; j < 3; j++ {
			s += math.Pow(rot.At(j, i), 4)
		}
		want += 1 - s
	}
	for _, c := range []struct {
		name string
		w    *mat.Dense
		want float64
	}{{"axis-aligned", &wAx, 0}, {"rotated", wRot, want}} {
		for _, fd := range []float64{0, 1e-4} {
			gen := linearGen(c.w)
			out := run(t, b, seeded(1), func(ctx *context.Context, g *Graph) []*Node {
				z := Reshape(Const(g, []float64{0.1, 0.2, 0.3, -1, 0.5, 0.7}), 2, 3)
				return []*Node{SpectralAlignmentLoss(ctx, gen, z, SpectralOptions{K: 2, Iterations: 60, FDStep: fd})}
			})
			near(t, "SpectralAlignmentLoss "+c.name, out[0][0], c.want, 1e-6)
		}
	}
	if want < 0.05 {
		t.Fatalf("test rotation too close to the axes (want=%g)", want)
	}
	// Gradient reaches G's parameters (second order through a Dense generator) and is finite.
	ctx := initGen(t, b, mlpGen, 4, dtypes.Float64)
	out := run(t, b, ctx, func(ctx *context.Context, g *Graph) []*Node {
		z := Reshape(Const(g, []float64{0.3, -0.8, 1.1, 0.2, 0.1, 0.4, -0.2, 0.9}), 2, 4)
		loss := SpectralAlignmentLoss(ctx, mlpGen, z, SpectralOptions{K: 2, FDStep: 1e-3})
		w := ctx.In("g1").In("dense").GetVariable("weights").ValueGraph(g)
		return []*Node{loss, ReduceAllSum(Abs(Gradient(loss, w)[0]))}
	})
	if out[0][0] <= 0 || math.IsNaN(out[1][0]) || out[1][0] == 0 {
		t.Errorf("nonlinear G: loss %g, |grad| %g: want a positive loss and a nonzero finite gradient", out[0][0], out[1][0])
	}
}
