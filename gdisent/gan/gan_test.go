package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/nn"
)

func be(t *testing.T) backends.Backend {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func scalar(t *testing.T, b backends.Backend, fn func(g *Graph) *Node) float64 {
	t.Helper()
	e, err := NewExecAny(b, func(g *Graph) *Node { return ConvertDType(fn(g), dtypes.Float64) })
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec()
	if err != nil {
		t.Fatal(err)
	}
	return tensors.ToScalar[float64](out[0])
}

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.9g, want %.9g (tol %g)", name, got, want, tol)
	}
}

func sp(x float64) float64 { return math.Log1p(math.Exp(x)) }

func TestGANLosses(t *testing.T) {
	b := be(t)
	r, f := []float64{2, -1}, []float64{0.5, -3}
	wantD := (sp(-2)+sp(1))/2 + (sp(0.5)+sp(-3))/2
	near(t, "DiscriminatorLoss", scalar(t, b, func(g *Graph) *Node {
		return DiscriminatorLoss(Const(g, r), Reshape(Const(g, f), 2, 1))
	}), wantD, 1e-12)
	near(t, "DiscriminatorLossJoint", scalar(t, b, func(g *Graph) *Node {
		return DiscriminatorLossJoint(Const(g, append(append([]float64{}, r...), f...)), 2)
	}), wantD, 1e-12)
	// Same thing from probabilities: −log σ(2) − log σ(−1) − log(1−σ(0.5)) − log(1−σ(−3)), halved.
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	wantD2 := -(math.Log(sig(2))+math.Log(sig(-1)))/2 - (math.Log(1-sig(0.5))+math.Log(1-sig(-3)))/2
	near(t, "DiscriminatorLoss vs sigmoid form", wantD, wantD2, 1e-12)
	near(t, "GeneratorLoss", scalar(t, b, func(g *Graph) *Node { return GeneratorLoss(Const(g, f)) }),
		-(math.Log(sig(0.5))+math.Log(sig(-3)))/2, 1e-12)
	near(t, "MinimaxGeneratorLoss", scalar(t, b, func(g *Graph) *Node { return MinimaxGeneratorLoss(Const(g, f)) }),
		(math.Log(1-sig(0.5))+math.Log(1-sig(-3)))/2, 1e-12)
}

func TestQLikelihoods(t *testing.T) {
	b := be(t)
	mean := [][]float64{{0, 1}, {2, -1}}
	target := [][]float64{{1, 1}, {0, 0}}
	// Fixed std 1: ½Σ(c−μ)² + m·½log2π per row, averaged: rows (1+0)/2, (4+1)/2 → (0.5+2.5)/2 = 1.5.
	half := 0.5 * math.Log(2*math.Pi)
	near(t, "GaussianNLL std 1", scalar(t, b, func(g *Graph) *Node {
		return GaussianNLL(Const(g, mean), nil, 1, Const(g, target))
	}), 1.5+2*half, 1e-12)
	// Fixed std 2: Σ d²/8 + log 2 + ½log2π.
	near(t, "GaussianNLL std 2", scalar(t, b, func(g *Graph) *Node {
		return GaussianNLL(Const(g, mean), nil, 2, Const(g, target))
	}), (6.0/8)/2+2*(math.Log(2)+half), 1e-12)
	// Learned log std = log 2 everywhere equals fixed std 2.
	near(t, "GaussianNLL learned", scalar(t, b, func(g *Graph) *Node {
		ls := AddScalar(ZerosLike(Const(g, mean)), math.Log(2))
		return GaussianNLL(Const(g, mean), ls, 0, Const(g, target))
	}), (6.0/8)/2+2*(math.Log(2)+half), 1e-12)
	// Categorical: logits (0, log 3) → p = (1/4, 3/4); labels 1 and 0 → −(log ¾ + log ¼)/2.
	logits := [][]float64{{0, math.Log(3)}, {0, math.Log(3)}}
	near(t, "CategoricalNLL", scalar(t, b, func(g *Graph) *Node {
		return CategoricalNLL(Const(g, logits), Const(g, []int32{1, 0}))
	}), -(math.Log(0.75)+math.Log(0.25))/2, 1e-12)
	near(t, "Accuracy", scalar(t, b, func(g *Graph) *Node {
		return Accuracy(Const(g, logits), Const(g, []int32{1, 0}))
	}), 0.5, 1e-12)
	near(t, "CategoricalEntropy", CategoricalEntropy(10), math.Log(10), 0)
}

func TestLatentSample(t *testing.T) {
	s := LatentSpec{Categorical: []int{3, 2}, Continuous: 2, Noise: 3}
	if s.Dim() != 10 || s.NumCodes() != 4 {
		t.Fatalf("Dim %d NumCodes %d", s.Dim(), s.NumCodes())
	}
	l, err := s.Sample(rand.New(rand.NewPCG(1, 2)), 50)
	if err != nil {
		t.Fatal(err)
	}
	for b := range 50 {
		row := l.Z[b*10 : (b+1)*10]
		for i, off := range []int{0, 3} {
			k := s.Categorical[i]
			sum := float32(0)
			for j := range k {
				sum += row[off+j]
			}
			if sum != 1 || row[off+int(l.Cat[b*2+i])] != 1 {
				t.Fatalf("row %d: bad one-hot %v for category %d", b, row[off:off+k], l.Cat[b*2+i])
			}
		}
		for j := 5; j < 10; j++ {
			if row[j] < -1 || row[j] > 1 {
				t.Fatalf("row %d: value %g outside [-1, 1]", b, row[j])
			}
		}
		if row[5] != l.Cont[b*2] || row[7] != l.Noise[b*3] {
			t.Fatalf("row %d: codes not placed in Z", b)
		}
	}
	if _, err := (LatentSpec{Categorical: []int{1}}).Sample(rand.New(rand.NewPCG(1, 2)), 2); err == nil {
		t.Error("a 1-category code should be rejected")
	}
}

func TestCRPairs(t *testing.T) {
	s := LatentSpec{Categorical: []int{4}, Continuous: 5, Noise: 5}
	for _, gap := range []float64{0, 0.5, 1.9} {
		p, err := s.SampleCRPairs(rand.New(rand.NewPCG(3, 4)), 400, gap)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, s.NumCodes())
		for b := range 400 {
			I := int(p.Label[b])
			counts[I]++
			for j := range 5 {
				if p.A.Noise[b*5+j] != p.B.Noise[b*5+j] {
					t.Fatalf("gap %g row %d: nuisance not shared", gap, b)
				}
			}
			ca, cb := p.A.Cat[b], p.B.Cat[b]
			if I == 0 && ca != cb {
				t.Fatalf("gap %g row %d: shared categorical code differs", gap, b)
			}
			if I != 0 && gap > 0 && ca == cb {
				t.Fatalf("gap %g row %d: non-shared categorical code equal", gap, b)
			}
			for j := range 5 {
				a, c := float64(p.A.Cont[b*5+j]), float64(p.B.Cont[b*5+j])
				if a < -1-1e-6 || a > 1+1e-6 || c < -1-1e-6 || c > 1+1e-6 {
					t.Fatalf("gap %g: code outside [-1,1]: %g %g", gap, a, c)
				}
				if 1+j == I {
					if a != c {
						t.Fatalf("gap %g row %d: shared code %d differs: %g vs %g", gap, b, I, a, c)
					}
				} else if math.Abs(a-c) < gap-1e-6 {
					t.Fatalf("gap %g row %d: code %d separated by %g < gap", gap, b, j, math.Abs(a-c))
				}
			}
		}
		for i, c := range counts {
			if c < 40 {
				t.Errorf("gap %g: code %d shared only %d/400 times", gap, i, c)
			}
		}
	}
	if _, err := s.SampleCRPairs(rand.New(rand.NewPCG(3, 4)), 4, 2); err == nil {
		t.Error("gap 2 should be rejected")
	}
}

func TestTraversal(t *testing.T) {
	s := LatentSpec{Categorical: []int{3}, Continuous: 2, Noise: 2}
	base, _ := s.Sample(rand.New(rand.NewPCG(5, 6)), 1)
	tr, err := s.Traversal(base, 0, 1, []float64{-1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Batch != 9 || tr.Cat[4] != 1 || tr.Cont[4*2+1] != 0 || tr.Cont[8*2+1] != 1 || tr.Cont[4*2] != base.Cont[0] {
		t.Fatalf("bad traversal: cat %v cont %v", tr.Cat, tr.Cont)
	}
}

// tinyNets are a linear generator and a one-hidden-layer tanh discriminator in float64.
func tinyG(ctx *context.Context, z *Node) *Node { return nn.Dense(ctx.In("generator"), z, 2).Done() }
func tinyD(ctx *context.Context, x *Node) *Node {
	h := Tanh(nn.Dense(ctx.In("discriminator").In("l1"), x, 4).Done())
	return nn.Dense(ctx.In("discriminator").In("l2"), h, 1).Done()
}

// TestUnrolledGradientFD checks d L_G(θ_G, θ_D^K(θ_G)) / dθ_G against central finite differences of the whole
// unrolled computation, for SGD and Adam inner steps.
func TestUnrolledGradientFD(t *testing.T) {
	b := be(t)
	for _, opt := range []UnrollOptimizer{UnrollSGD, UnrollAdam} {
		ctx := context.New().Checked(false)
		if err := ctx.SetRNGStateFromSeed(7); err != nil {
			t.Fatal(err)
		}
		u := Unroll{Steps: 3, LearningRate: 0.3, Optimizer: opt}
		if opt == UnrollAdam {
			u.LearningRate = 0.05
		}
		z := [][]float64{{0.3, -0.7}, {1.1, 0.2}, {-0.5, 0.9}}
		real := [][]float64{{1, 0}, {0, 1}, {-1, -0.5}}
		lossFn := func(ctx *context.Context, g *Graph, unroll bool) *Node {
			fake := tinyG(ctx, Const(g, z))
			if unroll {
				restore := u.Apply(ctx, g, "/discriminator", func() *Node {
					return DiscriminatorLoss(tinyD(ctx, Const(g, real)), tinyD(ctx, fake))
				})
				defer restore()
			}
			return GeneratorLoss(tinyD(ctx, fake))
		}
		var gVars []*context.Variable
		gradExec, err := context.NewExecAny(b, ctx, func(ctx *context.Context, g *Graph) []*Node {
			loss := lossFn(ctx, g, true)
			gVars = nil
			var vals []*Node
			for v := range ctx.IterVariables() {
				if v.Trainable && InScope(v.Scope(), "/generator") {
					gVars = append(gVars, v)
					vals = append(vals, v.ValueGraph(g))
				}
			}
			return append([]*Node{loss}, Gradient(loss, vals...)...)
		})
		if err != nil {
			t.Fatal(err)
		}
		outs, err := gradExec.Exec()
		if err != nil {
			t.Fatal(err)
		}
		lossExec, err := context.NewExecAny(b, ctx, func(ctx *context.Context, g *Graph) *Node { return lossFn(ctx, g, true) })
		if err != nil {
			t.Fatal(err)
		}
		plainExec, err := context.NewExecAny(b, ctx, func(ctx *context.Context, g *Graph) []*Node {
			loss := lossFn(ctx, g, false)
			var vals []*Node
			for _, v := range gVars {
				vals = append(vals, v.ValueGraph(g))
			}
			return Gradient(loss, vals...)
		})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := plainExec.Exec()
		if err != nil {
			t.Fatal(err)
		}
		evalLoss := func() float64 {
			o, err := lossExec.Exec()
			if err != nil {
				t.Fatal(err)
			}
			return tensors.ToScalar[float64](o[0])
		}
		const h = 1e-6
		maxErr, maxDiffPlain := 0.0, 0.0
		for i, v := range gVars {
			vals := flat(t, v.MustValue())
			grad := flat(t, outs[1+i])
			pl := flat(t, plain[i])
			for j := range vals {
				perturb := func(d float64) float64 {
					c := append([]float64(nil), vals...)
					c[j] += d
					v.MustSetValue(tensors.FromFlatDataAndDimensions(c, v.Shape().Dimensions...))
					return evalLoss()
				}
				fd := (perturb(h) - perturb(-h)) / (2 * h)
				v.MustSetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...))
				maxErr = max(maxErr, math.Abs(fd-grad[j])/max(1, math.Abs(fd)))
				maxDiffPlain = max(maxDiffPlain, math.Abs(grad[j]-pl[j]))
			}
		}
		t.Logf("%s: unrolled gradient vs finite differences: max rel err %.2e; |unrolled − non-unrolled| up to %.3g", opt, maxErr, maxDiffPlain)
		if maxErr > 1e-6 {
			t.Errorf("%s: unrolled gradient differs from finite differences (max rel err %g)", opt, maxErr)
		}
		if maxDiffPlain < 1e-4 {
			t.Errorf("%s: unrolled gradient equals the non-unrolled one: the unroll had no effect", opt)
		}
	}
}

func flat(t *testing.T, x *tensors.Tensor) []float64 {
	t.Helper()
	d, err := tensors.CopyFlatData[float64](x)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
