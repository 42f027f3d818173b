package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// naiveBatchNorm normalises x [n, c] (flattened leading axes) per channel with batch statistics.
func naiveBatchNorm(x []float64, c int, eps float64) (out, mean, biasedVar []float64) {
	n := len(x) / c
	mean, biasedVar, out = make([]float64, c), make([]float64, c), make([]float64, len(x))
	for i := range n {
		for j := range c {
			mean[j] += x[i*c+j] / float64(n)
		}
	}
	for i := range n {
		for j := range c {
			d := x[i*c+j] - mean[j]
			biasedVar[j] += d * d / float64(n)
		}
	}
	for i := range n {
		for j := range c {
			out[i*c+j] = (x[i*c+j] - mean[j]) / math.Sqrt(biasedVar[j]+eps)
		}
	}
	return
}

func TestBatchNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, dims := range [][]int{{6, 3}, {2, 3, 4, 3}} {
		ctx := context.New()
		xv := randSlice(r, prod(dims))
		for i := range xv {
			xv[i] = xv[i]*2 + 0.5 // non-zero mean, variance != 1
		}
		trainExec := context.MustNewExec(testBackend, ctx, func(ctx *context.Context, x *Node) *Node {
			ctx.SetTraining(x.Graph(), true)
			return BatchNorm(ctx, x).Momentum(0.9).Epsilon(1e-5).Done()
		})
		got := values(trainExec.MustExec(tensorOf(xv, dims))[0])
		want, mean, bv := naiveBatchNorm(xv, 3, 1e-5)
		assertClose(t, "BatchNorm training output", got, want, 1e-10)
		n := float64(len(xv) / 3)
		mm := values(ctx.GetVariableByScopeAndName("/batch_norm", "mean").MustValue())
		mv := values(ctx.GetVariableByScopeAndName("/batch_norm", "variance").MustValue())
		for j := range 3 {
			wantM, wantV := 0.1*mean[j], 0.9+0.1*bv[j]*n/(n-1)
			if math.Abs(mm[j]-wantM) > 1e-10 || math.Abs(mv[j]-wantV) > 1e-10 {
				t.Fatalf("%v: moving mean/var[%d] = %g/%g, want %g/%g", dims, j, mm[j], mv[j], wantM, wantV)
			}
		}
		// Inference uses the moving averages and leaves them alone.
		inferExec := context.MustNewExec(testBackend, ctx.Reuse(), func(ctx *context.Context, x *Node) *Node {
			return BatchNorm(ctx, x).Done()
		})
		got = values(inferExec.MustExec(tensorOf(xv, dims))[0])
		for i := range got {
			j := i % 3
			w := (xv[i] - mm[j]) / math.Sqrt(mv[j]+1e-5)
			if math.Abs(got[i]-w) > 1e-10 {
				t.Fatalf("%v: inference output[%d] = %g, want %g", dims, i, got[i], w)
			}
		}
		if mm2 := values(ctx.GetVariableByScopeAndName("/batch_norm", "mean").MustValue()); mm2[0] != mm[0] {
			t.Fatalf("inference graph changed the moving mean")
		}
	}
}

// TestBatchNormGradient checks dL/dx (training mode, batch statistics) and dL/dscale against finite differences.
func TestBatchNormGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, dims := range [][]int{{5, 3}, {2, 3, 2, 3}} {
		xv := randSlice(r, prod(dims))
		weights := randSlice(r, prod(dims))
		ctx := context.New().Checked(false)
		// Graph inputs: x and a per-channel scale multiplier s (to check a parameter path too).
		fn := func(ctx *context.Context, x, s *Node) *Node {
			ctx.SetTraining(x.Graph(), true)
			y := BatchNorm(ctx, Mul(x, ExpandLeftToRank(s, x.Rank()))).Done()
			return ReduceAllSum(Mul(Tanh(y), Const(x.Graph(), tensorOf(weights, dims))))
		}
		lossExec := context.MustNewExec(testBackend, ctx, fn)
		gradExec := context.MustNewExec(testBackend, ctx.Checked(false), func(ctx *context.Context, x, s *Node) []*Node {
			return Gradient(fn(ctx, x, s), x, s)
		})
		sv := []float64{1.5, 0.7, 1.1}
		grads := gradExec.MustExec(tensorOf(xv, dims), tensorOf(sv, []int{3}))
		eval := func(x, s []float64) float64 {
			return values(lossExec.MustExec(tensorOf(x, dims), tensorOf(s, []int{3}))[0])[0]
		}
		const eps = 1e-6
		inputs := [][]float64{xv, sv}
		for which, g := range grads {
			analytic := values(g)
			for i := range inputs[which] {
				p := [][]float64{append([]float64(nil), xv...), append([]float64(nil), sv...)}
				m := [][]float64{append([]float64(nil), xv...), append([]float64(nil), sv...)}
				p[which][i] += eps
				m[which][i] -= eps
				fd := (eval(p[0], p[1]) - eval(m[0], m[1])) / (2 * eps)
				if math.Abs(fd-analytic[i]) > 1e-6*(1+math.Abs(fd)) {
					t.Fatalf("%v: BatchNorm gradient input %d [%d]: analytic %g, finite difference %g", dims, which, i,
						analytic[i], fd)
				}
			}
		}
	}
}

// topSingular returns the largest singular value of m [rows, cols] and its right singular vector, by 5000 power
// iterations on mᵀm in float64.
func topSingular(m []float64, rows, cols int) (float64, []float64) {
	u := make([]float64, cols)
	for i := range u {
		u[i] = 1 / float64(i+1)
	}
	var sigma float64
	for range 5000 {
		v := make([]float64, rows)
		for i := range rows {
			for j := range cols {
				v[i] += m[i*cols+j] * u[j]
			}
		}
		nu := make([]float64, cols)
		for i := range rows {
			for j := range cols {
				nu[j] += m[i*cols+j] * v[i]
			}
		}
		var norm float64
		for _, x := range nu {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for j := range nu {
			nu[j] /= norm
		}
		u = nu
		sigma = math.Sqrt(norm)
	}
	return sigma, u
}

// TestSpectralNorm runs a spectrally normalised Dense layer in training mode until its u vector converges and
// compares the implied σ with an independent power iteration; inference must not touch u.
func TestSpectralNorm(t *testing.T) {
	const in, out = 6, 4
	ctx := context.New()
	// A fixed seed keeps the singular-value gap, and so the power iteration's convergence, the same on every run.
	ctx.SetParam(context.ParamInitialSeed, int64(42))
	eye := make([]float64, in*in)
	for i := range in {
		eye[i*in+i] = 1
	}
	train := context.MustNewExec(testBackend, ctx, func(ctx *context.Context, x *Node) *Node {
		ctx.SetTraining(x.Graph(), true)
		return Dense(ctx, x, out).Bias(false).SpectralNorm().Done()
	})
	var y []float64
	for range 300 {
		y = values(train.MustExec(tensorOf(eye, []int{in, in}))[0]) // = W/σ
	}
	w := values(ctx.GetVariableByScopeAndName("/dense", "weights").MustValue())
	sigma, _ := topSingular(w, in, out)
	for i := range w {
		if math.Abs(y[i]*sigma-w[i]) > 1e-6*(1+math.Abs(w[i])) {
			t.Fatalf("W/σ[%d] = %g, want %g (σ=%g)", i, y[i], w[i]/sigma, sigma)
		}
	}
	u := values(ctx.GetVariableByScopeAndName("/dense", "sn_u").MustValue())
	infer := context.MustNewExec(testBackend, ctx.Reuse(), func(ctx *context.Context, x *Node) *Node {
		return Dense(ctx, x, out).Bias(false).SpectralNorm().Done()
	})
	infer.MustExec(tensorOf(eye, []int{in, in}))
	u2 := values(ctx.GetVariableByScopeAndName("/dense", "sn_u").MustValue())
	for i := range u {
		if u[i] != u2[i] {
			t.Fatalf("inference changed the spectral-norm u vector")
		}
	}
}

// TestSpectralNormGradient checks d/dW Σ R·SpectralNormalize(W) with u at the top singular vector (where the power
// iteration is stationary, so treating u, v as constants is exact) against finite differences.
func TestSpectralNormGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	wd := []int{3, 3, 2, 4} // a conv kernel: W = [18, 4]
	wv := randSlice(r, prod(wd))
	weights := randSlice(r, prod(wd))
	_, u := topSingular(wv, 18, 4)
	fn := func(w, u *Node) *Node {
		wn, _, _ := SpectralNormalize(w, u)
		return ReduceAllSum(Mul(wn, Const(w.Graph(), tensorOf(weights, wd))))
	}
	lossExec := MustNewExec(testBackend, fn)
	gradExec := MustNewExec(testBackend, func(w, u *Node) *Node { return Gradient(fn(w, u), w)[0] })
	analytic := values(gradExec.MustExec(tensorOf(wv, wd), tensorOf(u, []int{4}))[0])
	const eps = 1e-6
	for i := range wv {
		p, m := append([]float64(nil), wv...), append([]float64(nil), wv...)
		p[i] += eps
		m[i] -= eps
		// Re-converge u at each perturbed point, so the finite difference sees the exact σ(W).
		_, up := topSingular(p, 18, 4)
		_, um := topSingular(m, 18, 4)
		lp := values(lossExec.MustExec(tensorOf(p, wd), tensorOf(up, []int{4}))[0])[0]
		lm := values(lossExec.MustExec(tensorOf(m, wd), tensorOf(um, []int{4}))[0])[0]
		fd := (lp - lm) / (2 * eps)
		if math.Abs(fd-analytic[i]) > 1e-6*(1+math.Abs(fd)) {
			t.Fatalf("spectral norm gradient [%d]: analytic %g, finite difference %g", i, analytic[i], fd)
		}
	}
}

func TestDense(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	ctx := context.New()
	xv := randSlice(r, 3*5)
	y := values(context.MustExecOnce(testBackend, ctx, func(ctx *context.Context, x *Node) *Node {
		return Dense(ctx.In("d"), x, 2).Done()
	}, tensorOf(xv, []int{3, 5})))
	w := values(ctx.GetVariableByScopeAndName("/d/dense", "weights").MustValue())
	if ctx.GetVariableByScopeAndName("/d/dense", "biases") == nil {
		t.Fatal("Dense: biases variable missing")
	}
	for i := range 3 {
		for j := range 2 {
			var s float64
			for k := range 5 {
				s += xv[i*5+k] * w[k*2+j]
			}
			if math.Abs(s-y[i*2+j]) > 1e-12 {
				t.Fatalf("Dense[%d,%d] = %g, want %g", i, j, y[i*2+j], s)
			}
		}
	}
}
