package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/backend/fastcpu"
)

var testBackend = func() backends.Backend {
	backend.Report = nil
	return backend.MustNew()
}()

func randSlice(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = r.Float64()*2 - 1
	}
	return out
}

func prod(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

func tensorOf(data []float64, dims []int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), data...), dims...)
}

func values(t *tensors.Tensor) []float64 { return tensors.MustCopyFlatData[float64](t) }

// naiveConv2D is an independent loop implementation of Conv2D (NHWC, HWIO kernel).
func naiveConv2D(x []float64, xd []int, k []float64, kd []int, s int, pads [2][2]int) ([]float64, []int) {
	b, h, w, c := xd[0], xd[1], xd[2], xd[3]
	kh, kw, o := kd[0], kd[1], kd[3]
	oh := (h+pads[0][0]+pads[0][1]-kh)/s + 1
	ow := (w+pads[1][0]+pads[1][1]-kw)/s + 1
	out := make([]float64, b*oh*ow*o)
	for n := range b {
		for i := range oh {
			for j := range ow {
				for di := range kh {
					for dj := range kw {
						ih, iw := i*s-pads[0][0]+di, j*s-pads[1][0]+dj
						if ih < 0 || ih >= h || iw < 0 || iw >= w {
							continue
						}
						for ci := range c {
							xv := x[((n*h+ih)*w+iw)*c+ci]
							for q := range o {
								out[((n*oh+i)*ow+j)*o+q] += xv * k[((di*kw+dj)*c+ci)*o+q]
							}
						}
					}
				}
			}
		}
	}
	return out, []int{b, oh, ow, o}
}

// naiveConvTranspose2D is PyTorch's ConvTranspose2d as a scatter loop: out[ih*s-p+kh] += x[ih]*K[kh].
func naiveConvTranspose2D(x []float64, xd []int, k []float64, kd []int, s int, pads [2][2]int) ([]float64, []int) {
	b, h, w, c := xd[0], xd[1], xd[2], xd[3]
	kh, kw, o := kd[0], kd[1], kd[3]
	oh := (h-1)*s - pads[0][0] - pads[0][1] + kh
	ow := (w-1)*s - pads[1][0] - pads[1][1] + kw
	out := make([]float64, b*oh*ow*o)
	for n := range b {
		for i := range h {
			for j := range w {
				for di := range kh {
					for dj := range kw {
						y, x2 := i*s-pads[0][0]+di, j*s-pads[1][0]+dj
						if y < 0 || y >= oh || x2 < 0 || x2 >= ow {
							continue
						}
						for ci := range c {
							xv := x[((n*h+i)*w+j)*c+ci]
							for q := range o {
								out[((n*oh+y)*ow+x2)*o+q] += xv * k[((di*kw+dj)*c+ci)*o+q]
							}
						}
					}
				}
			}
		}
	}
	return out, []int{b, oh, ow, o}
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s: [%d] got %.10g, want %.10g (tol %g)", what, i, got[i], want[i], tol)
		}
	}
}

type convCase struct {
	k, s      int
	pads      [2][2]int
	transpose bool
}

func (c convCase) String() string {
	kind := "conv"
	if c.transpose {
		kind = "convT"
	}
	return fmt.Sprintf("%s_k%d_s%d_p%v", kind, c.k, c.s, c.pads)
}

func (c convCase) apply(x, k *Node) *Node {
	if c.transpose {
		return ConvTranspose2D(x, k, [2]int{c.s, c.s}, c.pads)
	}
	return Conv2D(x, k, [2]int{c.s, c.s}, c.pads)
}

func (c convCase) naive(x []float64, xd []int, k []float64, kd []int) ([]float64, []int) {
	if c.transpose {
		return naiveConvTranspose2D(x, xd, k, kd, c.s, c.pads)
	}
	return naiveConv2D(x, xd, k, kd, c.s, c.pads)
}

func sym(p int) [2][2]int { return [2][2]int{{p, p}, {p, p}} }

func convCases() []convCase {
	var cases []convCase
	for _, k := range []int{3, 4, 5} {
		for _, s := range []int{1, 2} {
			same := [2][2]int{SamePadding(7, k, s), SamePadding(6, k, s)}
			for _, p := range [][2][2]int{sym(0), sym(1), same} {
				cases = append(cases, convCase{k: k, s: s, pads: p})
			}
		}
	}
	// Transposed: DCGAN k4 s2 p1 (phased), odd output sizes (unphased), k % s != 0 with phases, stride 1.
	for _, c := range []convCase{
		{k: 4, s: 2, pads: sym(1)}, {k: 4, s: 2, pads: sym(0)}, {k: 3, s: 2, pads: sym(1)},
		{k: 3, s: 2, pads: [2][2]int{{1, 0}, {0, 1}}}, {k: 5, s: 2, pads: sym(2)}, {k: 3, s: 1, pads: sym(1)},
		{k: 4, s: 1, pads: sym(1)}, {k: 5, s: 3, pads: sym(1)},
	} {
		c.transpose = true
		cases = append(cases, c)
	}
	return cases
}

// testConvForward compares Conv2D / ConvTranspose2D with the naive loops.
func testConvForward(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	xd := []int{2, 7, 6, 3}
	for _, c := range convCases() {
		kd := []int{c.k, c.k, 3, 2}
		x, k := randSlice(r, prod(xd)), randSlice(r, prod(kd))
		want, wantDims := c.naive(x, xd, k, kd)
		got := MustExecOnce(testBackend, func(x, k *Node) *Node { return c.apply(x, k) }, tensorOf(x, xd), tensorOf(k, kd))
		if fmt.Sprint(got.Shape().Dimensions) != fmt.Sprint(wantDims) {
			t.Fatalf("%s: output dims %v, want %v", c, got.Shape().Dimensions, wantDims)
		}
		assertClose(t, c.String(), values(got), want, 1e-12)
	}
}

// fdCheck compares analytic gradients (grads of fn's scalar output wrt inputs) with central finite differences on
// up to maxCoords coordinates of each input.
func fdCheck(t *testing.T, name string, fn func(x, k *Node) *Node, inputs [2][]float64, dims [2][]int,
	maxCoords int, eps, tol float64) {
	t.Helper()
	lossExec := MustNewExec(testBackend, fn)
	gradExec := MustNewExec(testBackend, func(x, k *Node) []*Node { return Gradient(fn(x, k), x, k) })
	defer lossExec.Finalize()
	defer gradExec.Finalize()
	grads := gradExec.MustExec(tensorOf(inputs[0], dims[0]), tensorOf(inputs[1], dims[1]))
	r := rand.New(rand.NewPCG(7, 7))
	eval := func(a, b []float64) float64 {
		return values(lossExec.MustExec(tensorOf(a, dims[0]), tensorOf(b, dims[1]))[0])[0]
	}
	for which := range 2 {
		analytic := values(grads[which])
		n := len(inputs[which])
		coords := r.Perm(n)
		if len(coords) > maxCoords {
			coords = coords[:maxCoords]
		}
		maxAbs := 0.0
		for _, g := range analytic {
			maxAbs = max(maxAbs, math.Abs(g))
		}
		for _, i := range coords {
			plus := [2][]float64{append([]float64(nil), inputs[0]...), append([]float64(nil), inputs[1]...)}
			minus := [2][]float64{append([]float64(nil), inputs[0]...), append([]float64(nil), inputs[1]...)}
			plus[which][i] += eps
			minus[which][i] -= eps
			fd := (eval(plus[0], plus[1]) - eval(minus[0], minus[1])) / (2 * eps)
			if math.Abs(fd-analytic[i]) > tol*(1+maxAbs) {
				t.Fatalf("%s: d/d%s[%d]: analytic %.10g, finite difference %.10g", name, []string{"x", "K"}[which], i,
					analytic[i], fd)
			}
		}
	}
}

// testConvGradients checks dL/dx and dL/dK against finite differences in float64 for L = Σ R·tanh(conv(x, K)).
func testConvGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 3))
	xd := []int{2, 7, 6, 2}
	for _, c := range convCases() {
		kd := []int{c.k, c.k, 2, 3}
		x, k := randSlice(r, prod(xd)), randSlice(r, prod(kd))
		_, outDims := c.naive(x, xd, k, kd)
		weights := randSlice(r, prod(outDims))
		fn := func(x, k *Node) *Node {
			y := c.apply(x, k)
			return ReduceAllSum(Mul(Tanh(y), Const(x.Graph(), tensorOf(weights, outDims))))
		}
		fdCheck(t, c.String(), fn, [2][]float64{x, k}, [2][]int{xd, kd}, 40, 1e-6, 1e-7)
	}
}

// testConvSecondOrder checks the gradient of G = ||dL/dx||² wrt x and K (second order: Hessian penalty, unrolled
// GANs) against finite differences of G, which itself is computed with first-order gradients.
func testConvSecondOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	xd := []int{2, 6, 6, 2}
	for _, c := range []convCase{
		{k: 3, s: 1, pads: sym(1)}, {k: 4, s: 2, pads: sym(1)}, {k: 5, s: 2, pads: sym(0)},
		{k: 4, s: 2, pads: sym(1), transpose: true}, {k: 3, s: 2, pads: sym(1), transpose: true},
	} {
		kd := []int{c.k, c.k, 2, 2}
		x, k := randSlice(r, prod(xd)), randSlice(r, prod(kd))
		_, outDims := c.naive(x, xd, k, kd)
		weights := randSlice(r, prod(outDims))
		fn := func(x, k *Node) *Node {
			y := c.apply(x, k)
			loss := ReduceAllSum(Mul(Tanh(y), Const(x.Graph(), tensorOf(weights, outDims))))
			dx := Gradient(loss, x)[0]
			return ReduceAllSum(Square(dx))
		}
		fdCheck(t, c.String()+"/2nd-order", fn, [2][]float64{x, k}, [2][]int{xd, kd}, 25, 1e-5, 1e-6)
	}
}

// TestConvBuilder checks the context layer: variables, bias, PaddingSame output sizes, equality with the naive
// convolution of the created weights, and errors for invalid arguments.
func TestConvBuilder(t *testing.T) {
	ctx := context.New()
	r := rand.New(rand.NewPCG(9, 9))
	xv := randSlice(r, 2*7*7*3)
	xd := []int{2, 7, 7, 3}
	outs := context.MustExecOnceN(testBackend, ctx, func(ctx *context.Context, x *Node) []*Node {
		a := Conv(ctx.In("a"), x, 4).Kernel(4).Stride(2).PaddingSame().Done()
		b := Conv(ctx.In("b"), x, 5).Kernel(3).Padding(1).Bias(false).SpectralNorm().Done()
		c := ConvTranspose(ctx.In("c"), x, 2).Kernel(4).Stride(2).Padding(1).Done()
		d := ConvTranspose(ctx.In("d"), x, 2).Kernel(3).Stride(2).PaddingSame().Done()
		return []*Node{a, b, c, d}
	}, tensorOf(xv, xd))
	want := [][]int{{2, 4, 4, 4}, {2, 7, 7, 5}, {2, 14, 14, 2}, {2, 14, 14, 2}}
	for i, o := range outs {
		if fmt.Sprint(o.Shape().Dimensions) != fmt.Sprint(want[i]) {
			t.Errorf("layer %d: output %v, want %v", i, o.Shape().Dimensions, want[i])
		}
	}
	wa := ctx.GetVariableByScopeAndName("/a/conv", "weights")
	if wa == nil || fmt.Sprint(wa.Shape().Dimensions) != "[4 4 3 4]" {
		t.Fatalf("missing or wrong /a/conv/weights: %v", wa)
	}
	same := SamePadding(7, 4, 2)
	naive, _ := naiveConv2D(xv, xd, values(wa.MustValue()), []int{4, 4, 3, 4}, 2, [2][2]int{same, same})
	assertClose(t, "Conv builder vs naive", values(outs[0]), naive, 1e-12)
	if v := ctx.GetVariableByScopeAndName("/b/conv", "biases"); v != nil {
		t.Errorf("Bias(false) still created biases")
	}
	if v := ctx.GetVariableByScopeAndName("/b/conv", "sn_u"); v == nil || v.Trainable {
		t.Errorf("spectral norm u vector missing or trainable: %v", v)
	}
	for name, build := range map[string]func(ctx *context.Context, x *Node) *Node{
		"kernel size must be positive": func(ctx *context.Context, x *Node) *Node { return Conv(ctx, x, 3).Kernel(-1).Done() },
		"must be rank 4":               func(ctx *context.Context, x *Node) *Node { return Conv(ctx, Reshape(x, 2, 49, 3), 3).Done() },
		"stride must be positive":      func(ctx *context.Context, x *Node) *Node { return ConvTranspose(ctx, x, 3).Stride(0).Done() },
		"larger than padded input":     func(ctx *context.Context, x *Node) *Node { return Conv(ctx, x, 3).Kernel(9).Done() },
	} {
		err := catch(func() { context.MustExecOnce(testBackend, context.New(), build, tensorOf(xv, xd)) })
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("expected an error mentioning %q, got %v", name, err)
		}
	}
}

// catch runs fn and returns the panic it raised, as an error.
func catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	fn()
	return nil
}

// TestConvPathsAgreeFloat32 computes, in float32 on the default backend (gdisent's fast CPU kernels when
// available), each conv case's output, first-order gradients and a second-order gradient through the ConvGeneral
// path and through the im2col path, and checks they agree.
func TestConvPathsAgreeFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	xd := []int{3, 8, 7, 4}
	fast0, _ := fastcpu.Calls(backends.OpTypeConvGeneral)
	defer func() {
		if fast, _ := fastcpu.Calls(backends.OpTypeConvGeneral); fastcpu.Installed && fast == fast0 {
			t.Errorf("the fast ConvGeneral kernel was never used")
		}
	}()
	for _, c := range convCases() {
		kd := []int{c.k, c.k, 4, 5}
		x, k := randSlice(r, prod(xd)), randSlice(r, prod(kd))
		_, outDims := c.naive(x, xd, k, kd)
		weights := randSlice(r, prod(outDims))
		fn := func(x, k *Node) []*Node {
			y := c.apply(x, k)
			loss := ReduceAllSum(Mul(Tanh(y), ConvertDType(Const(x.Graph(), tensorOf(weights, outDims)), y.DType())))
			g := Gradient(loss, x, k)
			second := Gradient(ReduceAllSum(Square(g[0])), k)[0]
			return []*Node{y, g[0], g[1], second}
		}
		f32 := func(v []float64, dims []int) *tensors.Tensor {
			out := make([]float32, len(v))
			for i, e := range v {
				out[i] = float32(e)
			}
			return tensors.FromFlatDataAndDimensions(out, dims...)
		}
		run := func(im2col bool) [][]float32 {
			convPath = "convgeneral"
			if im2col {
				convPath = "im2col"
			}
			defer func() { convPath = "" }()
			outs := MustExecOnceN(testBackend, fn, f32(x, xd), f32(k, kd))
			res := make([][]float32, len(outs))
			for i, o := range outs {
				res[i] = tensors.MustCopyFlatData[float32](o)
			}
			return res
		}
		got, want := run(false), run(true)
		for i := range want {
			var scale float64
			for _, v := range want[i] {
				scale = max(scale, math.Abs(float64(v)))
			}
			for j := range want[i] {
				if d := math.Abs(float64(got[i][j] - want[i][j])); d > 1e-4*(1+scale) || math.IsNaN(float64(got[i][j])) {
					t.Fatalf("%s output %d [%d]: ConvGeneral path %v, im2col %v", c, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}

// TestMaxMinWhereGradients checks the re-registered VJPs of Max, Min and Where (vjp.go) against finite
// differences, to first and second order, including ReLU (Max with zeros) and LeakyReLU (a Where).
func TestMaxMinWhereGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	dims := []int{3, 5}
	w := randSlice(r, prod(dims))
	fns := map[string]func(x, k *Node) *Node{
		"max/min": func(x, k *Node) *Node {
			return Add(Tanh(Max(x, k)), Square(Min(Mul(x, k), k)))
		},
		"where": func(x, k *Node) *Node {
			return Tanh(Where(GreaterThan(x, k), Mul(x, k), Sub(x, Square(k))))
		},
		"relu/leaky relu": func(x, k *Node) *Node {
			return Add(Tanh(Mul(activations.Relu(Sub(x, k)), k)), Square(activations.LeakyReluWithAlpha(Mul(x, k), 0.2)))
		},
		"leaky relu whose scaled branch is used again": func(x, k *Node) *Node {
			xk := Mul(x, k)
			scaled := MulScalar(xk, 0.3)
			return Add(Tanh(Where(GreaterOrEqual(xk, ScalarZero(x.Graph(), x.DType())), xk, scaled)), Square(scaled))
		},
	}
	for name, f := range fns {
		loss := func(x, k *Node) *Node { return ReduceAllSum(Mul(f(x, k), Const(x.Graph(), tensorOf(w, dims)))) }
		x, k := randSlice(r, prod(dims)), randSlice(r, prod(dims))
		fdCheck(t, name, loss, [2][]float64{x, k}, [2][]int{dims, dims}, 15, 1e-6, 1e-7)
		second := func(x, k *Node) *Node {
			g := Gradient(loss(x, k), x, k)
			return Add(ReduceAllSum(Square(g[0])), ReduceAllSum(Mul(g[1], x)))
		}
		fdCheck(t, name+"/2nd-order", second, [2][]float64{x, k}, [2][]int{dims, dims}, 15, 1e-5, 1e-6)
	}
}

// bothPaths runs a convolution test on the ConvGeneral path (exact VJPs registered in convgeneral.go) and on the
// im2col path.
func bothPaths(t *testing.T, test func(t *testing.T)) {
	for _, path := range []string{"convgeneral", "im2col"} {
		t.Run(path, func(t *testing.T) {
			convPath = path
			defer func() { convPath = "" }()
			test(t)
		})
	}
}

// TestConvForward compares Conv2D / ConvTranspose2D with the naive loops, on both paths.
func TestConvForward(t *testing.T) { bothPaths(t, testConvForward) }

// TestConvGradients checks first-order gradients against finite differences, on both paths.
func TestConvGradients(t *testing.T) { bothPaths(t, testConvGradients) }

// TestConvSecondOrder checks second-order gradients against finite differences, on both paths.
func TestConvSecondOrder(t *testing.T) { bothPaths(t, testConvSecondOrder) }
