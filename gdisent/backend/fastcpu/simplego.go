package fastcpu

import (
	"fmt"
	"log"
	"os"
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/gdisent/gdisent/gdisent/backend/internal/modversion"
)

// DisableEnv names the environment variable that, set to "1" or "true", keeps stock SimpleGo executors.
const DisableEnv = "GDISENT_NO_KERNELS"

// GoMLXVersion is the GoMLX release whose SimpleGo internals (the go:linkname targets and mirror structs below)
// this package was checked against. With any other GoMLX linked in, nothing is installed.
const GoMLXVersion = "v0.26.0"

// versionError says why the kernels must not be installed on GoMLX version v ("" when unknown), or nil.
func versionError(v string) error {
	if v == GoMLXVersion {
		return nil
	}
	if v == "" {
		v = "of unknown version (replaced by a local copy?)"
	}
	return fmt.Errorf("the linked GoMLX is %s, but these kernels reach into SimpleGo internals checked only "+
		"against GoMLX %s", v, GoMLXVersion)
}

// executor is SimpleGo's (unexported) nodeExecutor type.
type executor = func(*simplego.Backend, *simplego.Node, []*simplego.Buffer, []bool) (*simplego.Buffer, error)

// SimpleGo's op dispatch table and its priorities (GoMLX v0.26.0, backends/simplego/exec.go).
//
//go:linkname nodeExecutors github.com/gomlx/gomlx/backends/simplego.nodeExecutors
var nodeExecutors [backends.OpTypeLast]executor

//go:linkname nodeExecutorsPriority github.com/gomlx/gomlx/backends/simplego.nodeExecutorsPriority
var nodeExecutorsPriority [backends.OpTypeLast]int

// priorityUser is SimpleGo's priority level for user overrides.
const priorityUser = 100

// Mirrors of SimpleGo's unexported structs; checkLayouts verifies them field by field against the real ones.
type (
	bufferMirror struct {
		shape shapes.Shape
		valid bool
		flat  any
	}
	nodeMirror struct {
		builderIdx         int
		inputs             []*simplego.Node
		opType             backends.OpType
		shape              shapes.Shape
		builder            *simplego.Builder
		multiOutputsShapes []shapes.Shape
		multiOutputsNodes  []*simplego.Node
		isNodeSelectOutput bool
		selectOutputIdx    int
		data               any
	}
	dotGeneralData struct {
		lhsContractingAxes, lhsBatchAxes                       []int
		rhsContractingAxes, rhsBatchAxes                       []int
		batchSize, lhsCrossSize, rhsCrossSize, contractingSize int
		lhsBlockedShape, rhsBlockedShape, outputBlockedShape   shapes.Shape
	}
	gatherData struct {
		indexVectorAxis                                                  int
		offsetOutputAxes, collapsedSlicesAxes, startIndexMap, sliceSizes []int
		indicesAreSorted                                                 bool
	}
	sliceData struct {
		starts, limits, strides []int
	}
	scatterData struct {
		indexVectorAxis                                                int
		updateWindowAxes, insertedWindowAxes, scatterAxesToOperandAxes []int
		indicesAreSorted, uniqueIndices                                bool
	}
)

func bufOf(b *simplego.Buffer) *bufferMirror { return (*bufferMirror)(unsafe.Pointer(b)) }
func nodeOf(n *simplego.Node) *nodeMirror    { return (*nodeMirror)(unsafe.Pointer(n)) }

// eface is the runtime layout of an interface value holding a pointer.
type eface struct {
	typ, ptr unsafe.Pointer
}

// dataAs returns n.data's pointer as *T when n.data's dynamic type is want (one of the checked SimpleGo types).
func dataAs[T any](n *nodeMirror, want reflect.Type) *T {
	if n.data == nil || reflect.TypeOf(n.data) != want {
		return nil
	}
	return (*T)((*eface)(unsafe.Pointer(&n.data)).ptr)
}

// The real types of the node data, found by building a small graph in checkLayouts.
var dotGeneralType, gatherType, scatterType, sliceType, convType reflect.Type

// stock holds the executors that were installed before ours, used for the cases the fast paths don't cover.
var stock [backends.OpTypeLast]executor

// Installed reports whether the fast executors were installed; InstallError says why not.
var (
	Installed    bool
	InstallError error
)

func init() {
	if v := os.Getenv(DisableEnv); v == "1" || v == "true" {
		InstallError = fmt.Errorf("disabled by $%s", DisableEnv)
		return
	}
	err := versionError(modversion.Of("github.com/gomlx/gomlx", simplego.New))
	if err == nil {
		err = checkLayouts()
	}
	if err != nil {
		InstallError = err
		log.Printf("gdisent/backend/fastcpu: not installing fast SimpleGo kernels (stock SimpleGo is used): %v", err)
		return
	}
	install(backends.OpTypeDotGeneral, execDotGeneral)
	install(backends.OpTypeGather, execGather)
	install(backends.OpTypeScatterSum, execScatterSum)
	install(backends.OpTypeTranspose, execTranspose)
	install(backends.OpTypeReduceSum, execReduceSum)
	install(backends.OpTypeWhere, execWhere)
	install(backends.OpTypeSlice, execSlice)
	install(backends.OpTypeSign, execSign)
	install(backends.OpTypeConvGeneral, execConvGeneral)
	install(backends.OpTypeBroadcastInDim, execBroadcastInDim)
	for op := range binaryOps {
		install(op, execBinary)
	}
	for op := range unaryOps {
		install(op, execUnary)
	}
	for op := range compareOps {
		install(op, execCompare)
	}
	Installed = true
}

func install(op backends.OpType, fn executor) {
	stock[op] = nodeExecutors[op]
	nodeExecutors[op], nodeExecutorsPriority[op] = fn, priorityUser
}

// sameLayout checks that mirror has exactly real's fields: names, types and offsets, and the same size.
func sameLayout(real, mirror reflect.Type) error {
	if real.Kind() != reflect.Struct || mirror.Kind() != reflect.Struct {
		return fmt.Errorf("%v / %v: not structs", real, mirror)
	}
	if real.NumField() != mirror.NumField() || real.Size() != mirror.Size() {
		return fmt.Errorf("%v has %d fields (%d bytes), mirror %v has %d (%d bytes)", real, real.NumField(),
			real.Size(), mirror, mirror.NumField(), mirror.Size())
	}
	for i := range real.NumField() {
		rf, mf := real.Field(i), mirror.Field(i)
		if rf.Name != mf.Name || rf.Type != mf.Type || rf.Offset != mf.Offset {
			return fmt.Errorf("%v field %d is %s %v @%d, mirror has %s %v @%d", real, i, rf.Name, rf.Type, rf.Offset,
				mf.Name, mf.Type, mf.Offset)
		}
	}
	return nil
}

// checkLayouts verifies every assumption this package makes about SimpleGo's internals: the mirrored structs,
// the node data types of DotGeneral/Gather/ScatterSum/Transpose, a buffer round trip, and that the dispatch table
// holds SimpleGo's executors at a priority below the user level.
func checkLayouts() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("layout check panicked: %v", r)
		}
	}()
	for op := range backends.OpTypeLast {
		if nodeExecutorsPriority[op] < 0 || (nodeExecutorsPriority[op] >= priorityUser && stock[op] == nil) {
			return fmt.Errorf("unexpected executor priority %d for %s", nodeExecutorsPriority[op], op)
		}
	}
	needed := []backends.OpType{backends.OpTypeDotGeneral, backends.OpTypeGather, backends.OpTypeScatterSum,
		backends.OpTypeTranspose, backends.OpTypeReduceSum, backends.OpTypeWhere, backends.OpTypeSign,
		backends.OpTypeSlice, backends.OpTypeConvGeneral, backends.OpTypeBroadcastInDim}
	for _, table := range []map[backends.OpType]bool{keys(binaryOps), keys(unaryOps), keys(compareOps)} {
		for op := range table {
			needed = append(needed, op)
		}
	}
	for _, op := range needed {
		if nodeExecutors[op] == nil {
			return fmt.Errorf("SimpleGo has no executor for %s", op)
		}
	}
	if err := sameLayout(reflect.TypeFor[simplego.Buffer](), reflect.TypeFor[bufferMirror]()); err != nil {
		return err
	}
	if err := sameLayout(reflect.TypeFor[simplego.Node](), reflect.TypeFor[nodeMirror]()); err != nil {
		return err
	}

	be, err := simplego.New("")
	if err != nil {
		return err
	}
	defer be.Finalize()
	sb := be.(*simplego.Backend)

	// Buffer round trip: write through the mirror, read back through the public API.
	shape := shapes.Make(dtypes.Float32, 2, 3)
	buf, err := sb.BufferFromFlatData(0, []float32{1, 2, 3, 4, 5, 6}, shape)
	if err != nil {
		return err
	}
	m := bufOf(buf.(*simplego.Buffer))
	flat, ok := m.flat.([]float32)
	if !ok || !m.valid || !m.shape.Equal(shape) || len(flat) != 6 || flat[5] != 6 {
		return fmt.Errorf("buffer mirror does not read SimpleGo's buffer (shape %v, valid %v, flat %T)", m.shape,
			m.valid, m.flat)
	}
	flat[0] = 42
	back := make([]float32, 6)
	if err := sb.BufferToFlatData(buf, back); err != nil || back[0] != 42 {
		return fmt.Errorf("buffer mirror write not seen by SimpleGo (err=%v)", err)
	}

	// Node data types, from a small graph.
	b := sb.Builder("gdisent-kernels-check").(*simplego.Builder)
	x, err := b.Parameter("x", shapes.Make(dtypes.Float32, 4, 3), nil)
	if err != nil {
		return err
	}
	idx, err := b.Constant([]int32{0, 2}, 2, 1)
	if err != nil {
		return err
	}
	dot, err := b.DotGeneral(x, []int{1}, nil, x, []int{1}, nil)
	if err != nil {
		return err
	}
	gather, err := b.Gather(x, idx, 1, []int{1}, []int{0}, []int{0}, []int{1, 3}, false)
	if err != nil {
		return err
	}
	upd, err := b.Parameter("u", shapes.Make(dtypes.Float32, 2, 3), nil)
	if err != nil {
		return err
	}
	scatter, err := b.ScatterSum(x, idx, upd, 1, []int{1}, []int{0}, []int{0}, false, false)
	if err != nil {
		return err
	}
	tr, err := b.Transpose(x, 1, 0)
	if err != nil {
		return err
	}
	red, err := b.ReduceSum(x, 0)
	if err != nil {
		return err
	}
	sl, err := b.Slice(x, []int{1, 0}, []int{4, 3}, []int{2, 1})
	if err != nil {
		return err
	}
	img, err := b.Parameter("img", shapes.Make(dtypes.Float32, 1, 3, 3, 2), nil)
	if err != nil {
		return err
	}
	ker, err := b.Parameter("ker", shapes.Make(dtypes.Float32, 2, 2, 2, 3), nil)
	if err != nil {
		return err
	}
	conv, err := b.ConvGeneral(img, ker, backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 3,
		InputSpatial: []int{1, 2}, KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2}}, []int{2, 1}, [][2]int{{1, 0}, {0, 1}},
		nil, []int{1, 2}, 1, 1)
	if err != nil {
		return err
	}
	// DotGeneral returns Reshape(dotGeneral node).
	dn := nodeOf(dot.(*simplego.Node))
	if dn.opType != backends.OpTypeReshape || len(dn.inputs) != 1 {
		return fmt.Errorf("DotGeneral graph is %s with %d inputs, expected a Reshape of the DotGeneral node",
			dn.opType, len(dn.inputs))
	}
	dn = nodeOf(dn.inputs[0])
	gn, sn, tn := nodeOf(gather.(*simplego.Node)), nodeOf(scatter.(*simplego.Node)), nodeOf(tr.(*simplego.Node))
	rn, sln, cn := nodeOf(red.(*simplego.Node)), nodeOf(sl.(*simplego.Node)), nodeOf(conv.(*simplego.Node))
	for _, c := range []struct {
		n    *nodeMirror
		op   backends.OpType
		want string
	}{{dn, backends.OpTypeDotGeneral, "*simplego.dotGeneralNodeData"}, {gn, backends.OpTypeGather, "*simplego.gatherNode"},
		{sn, backends.OpTypeScatterSum, "*simplego.scatterNode"}, {tn, backends.OpTypeTranspose, "[]int"},
		{rn, backends.OpTypeReduceSum, "[]int"}, {sln, backends.OpTypeSlice, "*simplego.sliceNode"},
		{cn, backends.OpTypeConvGeneral, "*simplego.convNode"}} {
		if c.n.opType != c.op || reflect.TypeOf(c.n.data) == nil || reflect.TypeOf(c.n.data).String() != c.want {
			return fmt.Errorf("%s node: op %s, data %T, expected data %s", c.op, c.n.opType, c.n.data, c.want)
		}
	}
	dotGeneralType, gatherType, scatterType = reflect.TypeOf(dn.data), reflect.TypeOf(gn.data), reflect.TypeOf(sn.data)
	sliceType, convType = reflect.TypeOf(sln.data), reflect.TypeOf(cn.data)
	for _, c := range [][2]reflect.Type{{dotGeneralType.Elem(), reflect.TypeFor[dotGeneralData]()},
		{gatherType.Elem(), reflect.TypeFor[gatherData]()}, {scatterType.Elem(), reflect.TypeFor[scatterData]()},
		{sliceType.Elem(), reflect.TypeFor[sliceData]()}, {convType.Elem(), reflect.TypeFor[convData]()}} {
		if err := sameLayout(c[0], c[1]); err != nil {
			return err
		}
	}
	d := dataAs[dotGeneralData](dn, dotGeneralType)
	if d.batchSize != 1 || d.lhsCrossSize != 4 || d.rhsCrossSize != 4 || d.contractingSize != 3 ||
		len(d.lhsContractingAxes) != 1 || d.lhsContractingAxes[0] != 1 {
		return fmt.Errorf("DotGeneral node data read wrongly: %+v", *d)
	}
	if p := tn.data.([]int); len(p) != 2 || p[0] != 1 || p[1] != 0 || !tn.shape.Equal(shapes.Make(dtypes.Float32, 3, 4)) {
		return fmt.Errorf("Transpose node read wrongly: %v %v", tn.data, tn.shape)
	}
	if sd := dataAs[sliceData](sln, sliceType); sd.starts[0] != 1 || sd.limits[0] != 4 || sd.strides[0] != 2 ||
		!sln.shape.Equal(shapes.Make(dtypes.Float32, 2, 3)) {
		return fmt.Errorf("Slice node read wrongly: %+v %v", *sd, sln.shape)
	}
	if a := rn.data.([]int); len(a) != 1 || a[0] != 0 || !rn.shape.Equal(shapes.Make(dtypes.Float32, 3)) {
		return fmt.Errorf("ReduceSum node read wrongly: %v %v", rn.data, rn.shape)
	}
	if c := dataAs[convData](cn, convType); c.strides[0] != 2 || c.paddings[1][1] != 1 || c.kernelDilations[1] != 2 ||
		c.axes.KernelOutputChannels != 3 || c.channelGroupCount != 1 || c.batchGroupCount != 1 {
		return fmt.Errorf("ConvGeneral node read wrongly: %+v", *c)
	}
	return nil
}

// matmulFlops counts the floating-point operations (2 per multiply-add) of the DotGenerals run by the fast GEMM.
var matmulFlops atomic.Int64

// MatmulFlops returns how many flops (2 per multiply-add) the fast DotGeneral has computed in this process: the
// difference over a training step is the step's matrix-product work, the denominator of its achieved GFLOP/s.
func MatmulFlops() int64 { return matmulFlops.Load() }

// Counters of executions that took a fast path, or fell back to stock SimpleGo; for tests and profiling.
var fastCalls, stockCalls [backends.OpTypeLast]atomic.Int64

// Calls returns how many times op ran through a fast kernel and through the stock SimpleGo executor.
func Calls(op backends.OpType) (fast, stockCount int64) {
	return fastCalls[op].Load(), stockCalls[op].Load()
}

func fallback(op backends.OpType, be *simplego.Backend, n *simplego.Node, in []*simplego.Buffer, owned []bool) (
	*simplego.Buffer, error) {
	stockCalls[op].Add(1)
	return stock[op](be, n, in, owned)
}

// newOutput returns a pooled (not zeroed) float32 buffer of the node's shape and its flat data.
func newOutput(be *simplego.Backend, nm *nodeMirror) (*simplego.Buffer, []float32) {
	out := be.NewBuffer(nm.shape)
	return out, bufOf(out).flat.([]float32)
}

// axisOffsets returns the flat offsets of all index combinations of the listed axes (row-major over them, first
// axis slowest) in a row-major tensor with the given dimensions.
func axisOffsets(dims, axes []int) []int {
	strides := make([]int, len(dims))
	s := 1
	for i := len(dims) - 1; i >= 0; i-- {
		strides[i], s = s, s*dims[i]
	}
	out := []int{0}
	for _, ax := range axes {
		next := make([]int, 0, len(out)*dims[ax])
		for _, o := range out {
			for i := range dims[ax] {
				next = append(next, o+i*strides[ax])
			}
		}
		out = next
	}
	return out
}

// operandOf describes a DotGeneral input as a Gemm operand: cross axes (those neither batch nor contracting) in
// axis order, batch and contracting axes in the order given.
func operandOf(data []float32, dims, contracting, batch []int) Operand {
	kind := make([]byte, len(dims))
	for _, a := range contracting {
		kind[a] = 'c'
	}
	for _, a := range batch {
		kind[a] = 'b'
	}
	var cross []int
	for a, k := range kind {
		if k == 0 {
			cross = append(cross, a)
		}
	}
	return Operand{Data: data, Batch: axisOffsets(dims, batch), Rows: axisOffsets(dims, cross),
		K: axisOffsets(dims, contracting)}
}

// execDotGeneral runs float32 DotGeneral through Gemm; output is SimpleGo's normalised [batch, lhsCross, rhsCross].
func execDotGeneral(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (
	*simplego.Buffer, error) {
	const op = backends.OpTypeDotGeneral
	nm := nodeOf(node)
	p := dataAs[dotGeneralData](nm, dotGeneralType)
	lhs, rhs := bufOf(in[0]), bufOf(in[1])
	lf, lok := lhs.flat.([]float32)
	rf, rok := rhs.flat.([]float32)
	if p == nil || !lok || !rok || nm.shape.DType != dtypes.Float32 {
		return fallback(op, be, node, in, owned)
	}
	a := operandOf(lf, lhs.shape.Dimensions, p.lhsContractingAxes, p.lhsBatchAxes)
	b := operandOf(rf, rhs.shape.Dimensions, p.rhsContractingAxes, p.rhsBatchAxes)
	if len(a.Batch) != p.batchSize || len(a.Rows) != p.lhsCrossSize || len(b.Rows) != p.rhsCrossSize ||
		len(a.K) != p.contractingSize {
		return fallback(op, be, node, in, owned)
	}
	out, of := newOutput(be, nm)
	Gemm(of, a, b)
	fastCalls[op].Add(1)
	matmulFlops.Add(int64(2 * p.batchSize * p.lhsCrossSize * p.rhsCrossSize * p.contractingSize))
	return out, nil
}

func keys[V any](m map[backends.OpType]V) map[backends.OpType]bool {
	out := make(map[backends.OpType]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
