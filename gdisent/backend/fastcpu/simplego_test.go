package fastcpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gdisent/gdisent/gdisent/backend/internal/modversion"
)

// TestInstalled fails loudly when the SimpleGo internals this package mirrors (GoMLX v0.26.0) have changed: the
// fast executors then stay uninstalled and this must be looked at before upgrading GoMLX.
func TestInstalled(t *testing.T) {
	if !Installed {
		t.Fatalf("fast kernels not installed: %v", InstallError)
	}
	if err := checkLayouts(); err != nil {
		t.Fatalf("layout check: %v", err)
	}
}

// TestGoMLXVersionPinned fails loudly when go.mod moves to a GoMLX other than the one the go:linkname targets and
// mirror structs were checked against: the kernels then refuse to install, and this package must be re-checked
// against the new SimpleGo (exec.go's nodeExecutors and priorities, Buffer, Node and the node data structs)
// before GoMLXVersion is bumped.
func TestGoMLXVersionPinned(t *testing.T) {
	_, self, _, _ := runtime.Caller(0)
	mod, err := os.ReadFile(filepath.Join(filepath.Dir(self), "..", "..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var inGoMod string
	for _, line := range strings.Split(string(mod), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == "github.com/gomlx/gomlx" {
			inGoMod = f[1]
		}
	}
	if inGoMod != GoMLXVersion {
		t.Fatalf("go.mod requires GoMLX %q, but fastcpu's SimpleGo mirrors were checked against %s", inGoMod, GoMLXVersion)
	}
	if linked := modversion.Of("github.com/gomlx/gomlx", simplego.New); linked != GoMLXVersion {
		t.Fatalf("the test binary links GoMLX %q, want %s", linked, GoMLXVersion)
	}
}

// TestVersionErrorFailsClosed: any GoMLX version other than the pinned one, including an unknown one, is refused.
func TestVersionErrorFailsClosed(t *testing.T) {
	if err := versionError(GoMLXVersion); err != nil {
		t.Errorf("versionError(%s) = %v", GoMLXVersion, err)
	}
	for _, v := range []string{"v0.26.1", "v0.27.0", "v0.25.9", "", "=> ../gomlx"} {
		err := versionError(v)
		if err == nil || !strings.Contains(err.Error(), GoMLXVersion) {
			t.Errorf("versionError(%q) = %v, want a refusal naming %s", v, err, GoMLXVersion)
		}
	}
}

// TestBufferMirrorRoundTrip writes a SimpleGo buffer through the public API, reads it through the mirror, and back.
func TestBufferMirrorRoundTrip(t *testing.T) {
	be := newBackend(t)
	shape := shapes.Make(dtypes.Float32, 3, 2)
	buf, err := be.BufferFromFlatData(0, []float32{1, 2, 3, 4, 5, 6}, shape)
	if err != nil {
		t.Fatal(err)
	}
	m := bufOf(buf.(*simplego.Buffer))
	if !m.valid || !m.shape.Equal(shape) {
		t.Fatalf("mirror reads shape %v valid %v", m.shape, m.valid)
	}
	flat := m.flat.([]float32)
	if flat[4] != 5 {
		t.Fatalf("mirror reads %v", flat)
	}
	flat[4] = -5
	back := make([]float32, 6)
	if err := be.BufferToFlatData(buf, back); err != nil || back[4] != -5 {
		t.Fatalf("SimpleGo reads back %v (err %v)", back, err)
	}
}

// newBackend runs ops sequentially (as purego does): SimpleGo v0.26.0's parallel op scheduler has data races of
// its own that would drown `go test -race`. Each op still uses all cores.
func newBackend(t *testing.T) *simplego.Backend {
	t.Helper()
	be, err := simplego.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(be.Finalize)
	return be.(*simplego.Backend)
}

// withStock runs fn with SimpleGo's own executors in place of ours.
func withStock(fn func()) {
	saved := nodeExecutors
	defer func() { nodeExecutors = saved }()
	for op, f := range stock {
		if f != nil {
			nodeExecutors[op] = f
		}
	}
	fn()
}

func randTensor(r *rand.Rand, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(randFloats(r, prod(dims)), dims...)
}

// compareToStock runs fn with the fast executors and with stock SimpleGo's, checks every output agrees, and that
// the fast path of each op in ops was taken.
func compareToStock(t *testing.T, name string, fn func(in []*Node) []*Node, ops []backends.OpType, args ...any) {
	t.Helper()
	be := newBackend(t)
	exec, err := NewExec(be, fn)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	before := make([]int64, len(ops))
	for i, op := range ops {
		before[i], _ = Calls(op)
	}
	fast, err := exec.Exec(args...)
	if err != nil {
		t.Fatalf("%s (fast): %v", name, err)
	}
	for i, op := range ops {
		if n, _ := Calls(op); n == before[i] {
			t.Errorf("%s: the fast %s path was not taken", name, op)
		}
	}
	var want []*tensors.Tensor
	withStock(func() { want, err = exec.Exec(args...) })
	if err != nil {
		t.Fatalf("%s (stock): %v", name, err)
	}
	for i := range want {
		if !fast[i].Shape().Equal(want[i].Shape()) {
			t.Fatalf("%s output %d: shape %s, stock %s", name, i, fast[i].Shape(), want[i].Shape())
		}
		g, w := tensors.MustCopyFlatData[float32](fast[i]), tensors.MustCopyFlatData[float32](want[i])
		// Tolerance relative to the output's scale: summation order differs from SimpleGo's.
		var rms float64
		for _, v := range w {
			rms += float64(v) * float64(v)
		}
		rms = math.Sqrt(rms / float64(max(1, len(w))))
		for j := range w {
			if d := math.Abs(float64(g[j] - w[j])); d > 1e-5*(1+rms+math.Abs(float64(w[j]))) || math.IsNaN(float64(g[j])) {
				t.Fatalf("%s output %d [%d]: %v, stock %v", name, i, j, g[j], w[j])
			}
		}
	}
}

// TestDotGeneralMatchesStock covers plain, transposed, batched (batch axes not first), multi-axis contracting
// (in permuted order), matrix-vector and vector-matrix products, plus the gradients (which SimpleGo runs as
// broadcast Mul + ReduceSum).
func TestDotGeneralMatchesStock(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	type dg struct {
		a, b           []int
		ac, ab, bc, bb []int
	}
	for _, c := range []dg{
		{[]int{7, 13}, []int{13, 5}, []int{1}, nil, []int{0}, nil},
		{[]int{13, 70}, []int{33, 13}, []int{0}, nil, []int{1}, nil},
		{[]int{3, 4, 2, 5}, []int{5, 2, 6}, []int{3}, []int{2}, []int{0}, []int{1}},
		{[]int{2, 3, 4}, []int{4, 5, 2}, []int{2, 0}, nil, []int{0, 2}, nil},
		{[]int{4, 50, 9, 3}, []int{4, 9, 3, 1}, []int{2, 3}, []int{0}, []int{1, 2}, []int{0}},
		{[]int{1, 40}, []int{40, 17}, []int{1}, nil, []int{0}, nil},
		{[]int{64, 300}, []int{300, 20}, []int{1}, nil, []int{0}, nil},
	} {
		name := fmt.Sprintf("DotGeneral(%v c%v b%v, %v c%v b%v)", c.a, c.ac, c.ab, c.b, c.bc, c.bb)
		compareToStock(t, name, func(in []*Node) []*Node {
			y := DotGeneral(in[0], c.ac, c.ab, in[1], c.bc, c.bb)
			loss := ReduceAllSum(Mul(y, y))
			return append([]*Node{y}, Gradient(loss, in[0], in[1])...)
		}, []backends.OpType{backends.OpTypeDotGeneral}, randTensor(r, c.a...), randTensor(r, c.b...))
	}
}

// TestGatherScatterMatchesStock checks the row Gather of im2col and its gradient (ScatterSum, repeated indices).
func TestGatherScatterMatchesStock(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	// The last case is large enough to run on several goroutines.
	for _, dims := range [][]int{{10, 3}, {7, 1}, {5, 2, 3}, {2000, 300}} {
		n := 40
		if dims[0] > 100 {
			n = 8000
		}
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(r.IntN(dims[0]))
		}
		name := fmt.Sprintf("Gather %v", dims)
		compareToStock(t, name, func(in []*Node) []*Node {
			ix := Reshape(Const(in[0].Graph(), idx), 4, n/4, 1)
			y := Gather(in[0], ix)
			w := Const(in[0].Graph(), randTensor(r, y.Shape().Dimensions...))
			return []*Node{y, Gradient(ReduceAllSum(Mul(y, w)), in[0])[0]}
		}, []backends.OpType{backends.OpTypeGather, backends.OpTypeScatterSum}, randTensor(r, dims...))
	}
}

// TestTransposeMatchesStock tries permutations of tensors with size-1 axes and mergeable axes.
func TestTransposeMatchesStock(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 3))
	for _, c := range []struct{ dims, perm []int }{
		{[]int{3, 4}, []int{1, 0}},
		{[]int{2, 3, 4, 5}, []int{0, 2, 3, 1}},
		{[]int{2, 1, 3, 4, 1, 5}, []int{2, 3, 0, 4, 1, 5}},
		{[]int{2, 2, 4, 3, 3, 5}, []int{2, 3, 0, 4, 1, 5}},
		{[]int{6, 1, 7}, []int{1, 0, 2}},
	} {
		compareToStock(t, fmt.Sprintf("Transpose %v %v", c.dims, c.perm), func(in []*Node) []*Node {
			return []*Node{TransposeAllAxes(in[0], c.perm...)}
		}, []backends.OpType{backends.OpTypeTranspose}, randTensor(r, c.dims...))
	}
}

// TestBinaryAndReduceMatchStock checks broadcasting Add/Sub/Mul/Div and ReduceSum over several axis sets.
func TestBinaryAndReduceMatchStock(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 4))
	for _, c := range []struct{ a, b []int }{
		{[]int{4, 5, 3}, []int{4, 5, 3}}, {[]int{4, 1, 3}, []int{1, 5, 3}}, {[]int{4, 5, 3}, []int{}},
		{[]int{}, []int{2, 3}}, {[]int{3, 1, 1, 1}, []int{3, 2, 2, 8}}, {[]int{1, 1, 8}, []int{6, 7, 1}},
		{[]int{64, 9, 9, 32}, []int{1, 1, 1, 32}}, {[]int{1, 1, 1, 32}, []int{64, 9, 9, 32}},
	} {
		compareToStock(t, fmt.Sprintf("binary %v %v", c.a, c.b), func(in []*Node) []*Node {
			a, b := in[0], in[1]
			return []*Node{Add(a, b), Sub(a, b), Mul(a, b), Div(a, AddScalar(Abs(b), 1))}
		}, []backends.OpType{backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul, backends.OpTypeDiv},
			randTensor(r, c.a...), randTensor(r, c.b...))
	}
	for _, axes := range [][]int{{0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}, {3}, {0, 1, 3}} {
		compareToStock(t, fmt.Sprintf("ReduceSum %v", axes), func(in []*Node) []*Node {
			return []*Node{ReduceSum(in[0], axes...)}
		}, []backends.OpType{backends.OpTypeReduceSum}, randTensor(r, 6, 5, 1, 7))
	}
	// Large enough to run in parallel with private accumulators (outermost axis reduced) and split by rows.
	for _, axes := range [][]int{{0, 1}, {1, 2}, {0, 1, 2}} {
		compareToStock(t, fmt.Sprintf("ReduceSum big %v", axes), func(in []*Node) []*Node {
			return []*Node{ReduceSum(in[0], axes...)}
		}, []backends.OpType{backends.OpTypeReduceSum}, randTensor(r, 128, 32, 300))
	}
}

// TestPortableKernels repeats the GEMM and dot checks with the pure-Go micro-kernel and dot product.
func TestPortableKernels(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("already portable")
	}
	savedK, savedW, savedF := microKernel, wideKernel, hasAVX2FMA
	defer func() { microKernel, wideKernel, hasAVX2FMA = savedK, savedW, savedF }()
	if wideKernel != nil {
		// AVX2 only (no AVX-512).
		wideKernel = nil
		TestGemmAgainstNaive(t)
	}
	microKernel, hasAVX2FMA = kernelGo, false
	TestGemmAgainstNaive(t)
	TestGemmGeneralOffsets(t)
}

// TestWhereSignMatchStock covers Where with full and scalar branches, and Sign including zeros.
func TestWhereSignMatchStock(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	x := randFloats(r, 3*50000)
	for i := 0; i < len(x); i += 7 {
		x[i] = 0
	}
	xt := tensors.FromFlatDataAndDimensions(x, 3, 50000)
	compareToStock(t, "Where/Sign", func(in []*Node) []*Node {
		v := in[0]
		pos := GreaterOrEqual(v, ZerosLike(v))
		zero := ScalarZero(v.Graph(), v.DType())
		one := ScalarOne(v.Graph(), v.DType())
		return []*Node{Sign(v), Where(pos, v, MulScalar(v, 0.2)), Where(pos, v, zero), Where(pos, zero, v),
			Where(pos, OnesLike(v), zero), Where(pos, one, Scalar(v.Graph(), v.DType(), 0.2))}
	}, []backends.OpType{backends.OpTypeWhere, backends.OpTypeSign}, xt)
}

// TestSignBits checks the branch-free Sign on special values.
func TestSignBits(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct{ in, want float32 }{{2, 1}, {-3, -1}, {0, 0}, {1e-45, 1}, {-1e-45, -1},
		{float32(math.Inf(1)), 1}, {float32(math.Inf(-1)), -1}} {
		if got := signBits(c.in); got != c.want {
			t.Errorf("sign(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := signBits(float32(math.Copysign(0, -1))); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("sign(-0) = %v, want -0", got)
	}
	if got := signBits(nan); !math.IsNaN(float64(got)) {
		t.Errorf("sign(NaN) = %v", got)
	}
}

// TestSliceMatchesStock covers contiguous, offset and strided slices.
func TestSliceMatchesStock(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	compareToStock(t, "Slice", func(in []*Node) []*Node {
		x := in[0]
		return []*Node{
			Slice(x, AxisRange(0, 9)), Slice(x, AxisRange(2, 5), AxisRange(1, 3)),
			Slice(x, AxisRange().Stride(2), AxisRange(), AxisRange(1, 6).Stride(3)),
			Slice(x, AxisElem(3), AxisElem(1), AxisRange(2, 4)),
		}
	}, []backends.OpType{backends.OpTypeSlice}, randTensor(r, 10, 4, 7))
}

// TestOpTimer checks the timer sees the ops of a graph and restores the executors.
func TestOpTimer(t *testing.T) {
	before := nodeExecutors
	stop := StartOpTimer()
	be := newBackend(t)
	r := rand.New(rand.NewPCG(9, 9))
	if _, err := ExecOnce(be, func(x *Node) *Node { return Add(Dot(x, x), x) }, randTensor(r, 8, 8)); err != nil {
		t.Fatal(err)
	}
	times := stop()
	seen := map[backends.OpType]bool{}
	for _, o := range times {
		seen[o.Op] = o.Calls > 0
	}
	if !seen[backends.OpTypeDotGeneral] || !seen[backends.OpTypeAdd] {
		t.Fatalf("timer missed ops: %s", times.String(1))
	}
	for op := range nodeExecutors {
		if fmt.Sprintf("%p", nodeExecutors[op]) != fmt.Sprintf("%p", before[op]) {
			t.Fatalf("executor of %s not restored", backends.OpType(op))
		}
	}
}

// TestBroadcastMaxMinMatchStock checks BroadcastInDim (scalar, leading, middle and trailing axes, bool and float
// operands) and the broadcasting Max and Min.
func TestBroadcastMaxMinMatchStock(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, c := range []struct{ a, out []int }{
		{[]int{}, []int{3, 4, 5}}, {[]int{1, 1, 1, 6}, []int{4, 5, 3, 6}}, {[]int{4, 1}, []int{4, 300}},
		{[]int{1, 5, 1}, []int{7, 5, 9}}, {[]int{3, 4}, []int{3, 4}},
	} {
		compareToStock(t, fmt.Sprintf("broadcast %v -> %v", c.a, c.out), func(in []*Node) []*Node {
			b := BroadcastToDims(in[0], c.out...)
			mask := ConvertDType(BroadcastToDims(GreaterThan(in[0], ScalarZero(in[0].Graph(), in[0].DType())), c.out...), in[0].DType())
			full := Const(in[0].Graph(), randTensor(r, c.out...))
			return []*Node{b, mask, Max(full, b), Min(b, full), Max(full, ScalarZero(full.Graph(), full.DType()))}
		}, []backends.OpType{backends.OpTypeBroadcastInDim, backends.OpTypeMax, backends.OpTypeMin}, randTensor(r, c.a...))
	}
}

// TestUnaryCompareMatchStock checks the parallel unary ops (bit-identical to stock) and the comparisons against
// full-shape and scalar operands.
func TestUnaryCompareMatchStock(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	x := randFloats(r, 4*20000)
	for i := 0; i < len(x); i += 5 {
		x[i] = 0
	}
	xt := tensors.FromFlatDataAndDimensions(x, 4, 20000)
	compareToStock(t, "unary", func(in []*Node) []*Node {
		v := in[0]
		a := Abs(v)
		return []*Node{Neg(v), a, Sqrt(a), Exp(v), Log(AddScalar(a, 1e-3)), Log1p(a), Tanh(v), Sigmoid(v)}
	}, []backends.OpType{backends.OpTypeNeg, backends.OpTypeAbs, backends.OpTypeSqrt, backends.OpTypeExp,
		backends.OpTypeLog, backends.OpTypeLog1p, backends.OpTypeTanh, backends.OpTypeLogistic}, xt)
	compareToStock(t, "compare", func(in []*Node) []*Node {
		v, w := in[0], Neg(Square(in[0]))
		z := ScalarZero(v.Graph(), v.DType())
		f := func(b *Node) *Node { return ConvertDType(b, v.DType()) }
		return []*Node{f(GreaterOrEqual(v, z)), f(GreaterOrEqual(v, w)), f(GreaterThan(z, v)), f(LessThan(v, w)),
			f(LessOrEqual(v, z)), f(GreaterOrEqual(z, v))}
	}, []backends.OpType{backends.OpTypeGreaterOrEqual, backends.OpTypeGreaterThan, backends.OpTypeLessThan,
		backends.OpTypeLessOrEqual}, tensors.FromFlatDataAndDimensions(x, 4, 20000))
}

// TestMatmulFlops checks the flop counter: 2·m·n·k per fast DotGeneral.
func TestMatmulFlops(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 9))
	be := newBackend(t)
	exec, err := NewExec(be, func(a, b *Node) *Node { return Dot(a, b) })
	if err != nil {
		t.Fatal(err)
	}
	before := MatmulFlops()
	if _, err := exec.Exec(randTensor(r, 7, 13), randTensor(r, 13, 5)); err != nil {
		t.Fatal(err)
	}
	if got, want := MatmulFlops()-before, int64(2*7*13*5); got != want {
		t.Fatalf("MatmulFlops grew by %d, want %d", got, want)
	}
}
