package purego_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/backend/purego"
)

func newBackend(t *testing.T) backends.Backend {
	t.Helper()
	b := backend.MustNew()
	if b.String() != purego.Name {
		t.Logf("note: tests run on backend %q, not %q", b.String(), purego.Name)
	}
	return b
}

func flat32(t *testing.T, x *tensors.Tensor) []float32 {
	t.Helper()
	return tensors.MustCopyFlatData[float32](x)
}

func flat64(t *testing.T, x *tensors.Tensor) []float64 {
	t.Helper()
	return tensors.MustCopyFlatData[float64](x)
}

func iota32(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i)
	}
	return out
}

func equal32(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %d values %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: got %v, want %v (first difference at %d)", what, got, want, i)
		}
	}
}

func TestRegistered(t *testing.T) {
	b, err := backends.NewWithConfig(purego.Name)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != purego.Name {
		t.Fatalf("String() = %q, want %q", b.String(), purego.Name)
	}
	if !b.Capabilities().Operations[backends.OpTypePad] || !b.Capabilities().Operations[backends.OpTypeReverse] {
		t.Fatal("capabilities should list Pad and Reverse")
	}
}

func TestReverse(t *testing.T) {
	b := newBackend(t)
	x := tensors.FromFlatDataAndDimensions(iota32(6), 2, 3) // [[0 1 2] [3 4 5]]
	cases := []struct {
		axes []int
		want []float32
	}{
		{[]int{1}, []float32{2, 1, 0, 5, 4, 3}},
		{[]int{0}, []float32{3, 4, 5, 0, 1, 2}},
		{[]int{0, 1}, []float32{5, 4, 3, 2, 1, 0}},
		{[]int{-1}, []float32{2, 1, 0, 5, 4, 3}},
	}
	for _, c := range cases {
		got := MustExecOnce(b, func(x *Node) *Node { return Reverse(x, c.axes...) }, x)
		equal32(t, "Reverse", flat32(t, got), c.want)
	}
	// Long axis: the Gather path. Shape [2, 20], reversed along axis 1.
	long := tensors.FromFlatDataAndDimensions(iota32(40), 2, 20)
	got := flat32(t, MustExecOnce(b, func(x *Node) *Node { return Reverse(x, 1) }, long))
	want := make([]float32, 40)
	for r := range 2 {
		for c := range 20 {
			want[r*20+c] = float32(r*20 + 19 - c)
		}
	}
	equal32(t, "Reverse long axis", got, want)
	// Long axis in the middle of a rank-3 tensor, [2, 20, 2].
	mid := tensors.FromFlatDataAndDimensions(iota32(80), 2, 20, 2)
	got = flat32(t, MustExecOnce(b, func(x *Node) *Node { return Reverse(x, 1) }, mid))
	want = make([]float32, 80)
	for i := range 2 {
		for j := range 20 {
			for k := range 2 {
				want[i*40+j*2+k] = float32(i*40 + (19-j)*2 + k)
			}
		}
	}
	equal32(t, "Reverse middle axis", got, want)
}

func TestPad(t *testing.T) {
	b := newBackend(t)
	x := tensors.FromFlatDataAndDimensions([]float32{1, 2, 3}, 3)
	pad := func(cfg ...backends.PadAxis) func(x *Node) *Node {
		return func(x *Node) *Node { return Pad(x, Const(x.Graph(), float32(9)), cfg...) }
	}
	cases := []struct {
		cfg  []backends.PadAxis
		want []float32
	}{
		{[]backends.PadAxis{{Start: 1, End: 2}}, []float32{9, 1, 2, 3, 9, 9}},
		{[]backends.PadAxis{{Interior: 1}}, []float32{1, 9, 2, 9, 3}},
		{[]backends.PadAxis{{Start: 1, End: 1, Interior: 2}}, []float32{9, 1, 9, 9, 2, 9, 9, 3, 9}},
		{[]backends.PadAxis{{Start: -1, End: 1}}, []float32{2, 3, 9}},
		{[]backends.PadAxis{{Start: -1, End: -1, Interior: 1}}, []float32{9, 2, 9}},
		{[]backends.PadAxis{{Start: 2, End: -2}}, []float32{9, 9, 1}},
	}
	for _, c := range cases {
		got := MustExecOnce(b, pad(c.cfg...), x)
		equal32(t, "Pad", flat32(t, got), c.want)
	}
	// 2D: [[0 1] [2 3]], axis 0 interior 1 + start 1, axis 1 end 1.
	x2 := tensors.FromFlatDataAndDimensions(iota32(4), 2, 2)
	got := MustExecOnce(b, pad(backends.PadAxis{Start: 1, Interior: 1}, backends.PadAxis{End: 1}), x2)
	if dims := got.Shape().Dimensions; len(dims) != 2 || dims[0] != 4 || dims[1] != 3 {
		t.Fatalf("Pad 2D shape = %v, want [4 3]", dims)
	}
	equal32(t, "Pad 2D", flat32(t, got), []float32{
		9, 9, 9,
		0, 1, 9,
		9, 9, 9,
		2, 3, 9})
}

// TestSliceGradient exercises Pad through GoMLX's Slice VJP.
func TestSliceGradient(t *testing.T) {
	b := newBackend(t)
	x := tensors.FromFlatDataAndDimensions(iota32(6), 6)
	got := MustExecOnce(b, func(x *Node) *Node {
		y := Slice(x, AxisRange(1, 6).Stride(2)) // elements 1, 3, 5
		return Gradient(ReduceAllSum(Mul(y, y)), x)[0]
	}, x)
	equal32(t, "Slice gradient", flat32(t, got), []float32{0, 2, 0, 6, 0, 10})
}

// naiveConv computes a NHWC/HWIO "valid" convolution with stride s in float64.
func naiveConv(x []float64, n, h, w, c int, k []float64, kh, kw, o, s int) []float64 {
	oh, ow := (h-kh)/s+1, (w-kw)/s+1
	out := make([]float64, n*oh*ow*o)
	for b := range n {
		for i := range oh {
			for j := range ow {
				for q := range o {
					var sum float64
					for di := range kh {
						for dj := range kw {
							for ci := range c {
								sum += x[((b*h+i*s+di)*w+j*s+dj)*c+ci] * k[((di*kw+dj)*c+ci)*o+q]
							}
						}
					}
					out[((b*oh+i)*ow+j)*o+q] = sum
				}
			}
		}
	}
	return out
}

func randFloat64(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = r.Float64()*2 - 1
	}
	return out
}

// TestConvGeneralDefaults checks that GoMLX's Convolve works without explicit strides/dilations (nil strides
// made SimpleGo fail), and that the kernel gradient (which needs Reverse and nil-dilation ConvGeneral) matches the
// naive convolution's analytic gradient.
func TestConvGeneralDefaults(t *testing.T) {
	b := newBackend(t)
	r := rand.New(rand.NewPCG(1, 2))
	const n, h, w, c, kh, o = 2, 5, 5, 2, 3, 3
	xv, kv := randFloat64(r, n*h*w*c), randFloat64(r, kh*kh*c*o)
	x := tensors.FromFlatDataAndDimensions(xv, n, h, w, c)
	k := tensors.FromFlatDataAndDimensions(kv, kh, kh, c, o)
	outs := MustExecOnceN(b, func(x, k *Node) []*Node {
		y := Convolve(x, k).NoPadding().Done()
		loss := ReduceAllSum(Mul(y, y))
		return []*Node{y, Gradient(loss, k)[0]}
	}, x, k)
	want := naiveConv(xv, n, h, w, c, kv, kh, kh, o, 1)
	got := flat64(t, outs[0])
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("conv forward [%d] = %g, want %g", i, got[i], want[i])
		}
	}
	// dL/dK[di,dj,ci,q] = sum 2*y * x[...]
	oh := h - kh + 1
	gk := flat64(t, outs[1])
	for di := range kh {
		for dj := range kh {
			for ci := range c {
				for q := range o {
					var s float64
					for bb := range n {
						for i := range oh {
							for j := range oh {
								s += 2 * want[((bb*oh+i)*oh+j)*o+q] * xv[((bb*h+i+di)*w+j+dj)*c+ci]
							}
						}
					}
					if g := gk[((di*kh+dj)*c+ci)*o+q]; math.Abs(g-s) > 1e-10 {
						t.Fatalf("dL/dK[%d,%d,%d,%d] = %g, want %g", di, dj, ci, q, g, s)
					}
				}
			}
		}
	}
}

// gradients computes the gradients of a small model built from Dot, DotGeneral and Einsum, so the Dot VJPs hit
// the rewrite.
func gradients(t *testing.T, b backends.Backend, inputs ...*tensors.Tensor) []*tensors.Tensor {
	t.Helper()
	return MustExecOnceN(b, func(x, w1, w2, w3 *Node) []*Node {
		h := Tanh(Dot(x, w1))                                     // [8,16]x[16,12] -> [8,12]
		h = Tanh(DotGeneral(h, []int{1}, nil, w2, []int{0}, nil)) // [8,12]x[12,10] -> [8,10]
		y := Einsum("bi,bij->bj", h, BroadcastPrefix(w3, 8))      // batched: [8,10]x[8,10,3]
		y = Add(y, Einsum("bi,ij->bj", h, w3))                    // [8,3]
		loss := ReduceAllSum(Mul(y, y))
		return Gradient(loss, x, w1, w2, w3)
	}, inputs[0], inputs[1], inputs[2], inputs[3])
}

func TestDotRewriteMatchesPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	shapes := [][]int{{8, 16}, {16, 12}, {12, 10}, {10, 3}}
	data := make([][]float64, len(shapes))
	for i, dims := range shapes {
		data[i] = randFloat64(r, dims[0]*dims[1])
	}
	// Tensors are bound to the backend they were first used on: make new ones per backend.
	inputs := func() []*tensors.Tensor {
		out := make([]*tensors.Tensor, len(shapes))
		for i, dims := range shapes {
			out[i] = tensors.FromFlatDataAndDimensions(data[i], dims...)
		}
		return out
	}

	t.Setenv(purego.NoDotRewriteEnv, "1")
	plainB, err := purego.New("")
	if err != nil {
		t.Fatal(err)
	}
	before := purego.DotRewrites()
	plain := gradients(t, plainB, inputs()...)
	if n := purego.DotRewrites() - before; n != 0 {
		t.Fatalf("with %s=1, %d rewrites happened", purego.NoDotRewriteEnv, n)
	}

	t.Setenv(purego.NoDotRewriteEnv, "")
	rewB, err := purego.New("")
	if err != nil {
		t.Fatal(err)
	}
	before = purego.DotRewrites()
	rew := gradients(t, rewB, inputs()...)
	if n := purego.DotRewrites() - before; n < 4 {
		t.Fatalf("expected the Dot gradients to be rewritten, only %d rewrites", n)
	}
	for i := range plain {
		p, q := flat64(t, plain[i]), flat64(t, rew[i])
		if len(p) != len(q) {
			t.Fatalf("gradient %d: sizes %d vs %d", i, len(p), len(q))
		}
		for j := range p {
			if math.Abs(p[j]-q[j]) > 1e-10*(1+math.Abs(p[j])) {
				t.Fatalf("gradient %d[%d]: plain %g, rewritten %g", i, j, p[j], q[j])
			}
		}
	}
}

func TestDefaultExecutionIsSequential(t *testing.T) {
	for in, want := range map[string]string{
		"":                                "ops_sequential",
		"dotgeneral_small":                "dotgeneral_small,ops_sequential",
		"ops_parallel":                    "ops_parallel",
		"parallelism=4":                   "parallelism=4",
		"dotgeneral_large,ops_sequential": "dotgeneral_large,ops_sequential",
	} {
		if got := purego.WithDefaultExecution(in); got != want {
			t.Errorf("WithDefaultExecution(%q) = %q, want %q", in, got, want)
		}
	}
}
