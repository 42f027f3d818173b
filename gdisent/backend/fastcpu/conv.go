package fastcpu

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"unsafe"
	"weak"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// convData mirrors SimpleGo's convNode (GoMLX v0.26.0, backends/simplego/convgeneral.go).
type convData struct {
	axes              backends.ConvolveAxesConfig
	strides           []int
	paddings          [][2]int
	inputDilations    []int
	kernelDilations   []int
	channelGroupCount int
	batchGroupCount   int

	hasInputDilations, hasKernelDilations            bool
	inputStrides, inputSpatialStrides, kernelStrides []int
	dilatedInputSpatialDims                          []int
}

// execConvGeneral computes float32 2D ConvGeneral ops (any axis layout, strides, paddings — negative ones too —,
// input and kernel dilations; no grouping) as implicit GEMMs: the input is copied once into a zero-padded buffer
// (in its own axis order) and the GEMM reads the patches straight from it — in place with kernelRuns6x32 on
// AVX-512 (igemmPlan), else through the packing of Gemm — so the im2col patch matrix is never materialised. Input
// dilation (the transposed convolution, the input gradient of a strided convolution) is split into phases
// (sub-pixel decomposition, Shi et al. 2016): the output positions of one phase see a fixed subset of the kernel
// taps, so no multiplications by inserted zeros are done. The plan and its index tables are built once per node.
//
// With y the output, x the input, K the kernel, per spatial axis stride s, padding lo, input dilation id and kernel
// dilation kd: y[b, o, y1, y2] = Σ x[b, c, u1/id1, u2/id2]·K[c, o, t1, t2] over c, t1, t2 with
// u = y·s + t·kd − lo a multiple of id inside the input.
func execConvGeneral(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	const op = backends.OpTypeConvGeneral
	nm := nodeOf(node)
	p := dataAs[convData](nm, convType)
	input, kernel := bufOf(in[0]), bufOf(in[1])
	xf, xok := input.flat.([]float32)
	kf, kok := kernel.flat.([]float32)
	if p == nil || !xok || !kok || nm.shape.DType != dtypes.Float32 || input.shape.Rank() != 4 ||
		len(p.axes.InputSpatial) != 2 || p.channelGroupCount > 1 || p.batchGroupCount > 1 {
		return fallback(op, be, node, in, owned)
	}
	plan, ok := cachedConvPlan(node, p, input.shape.Dimensions, kernel.shape.Dimensions, nm.shape.Dimensions)
	if !ok {
		return fallback(op, be, node, in, owned)
	}
	out, of := newOutput(be, nm)
	plan.run(of, xf, kf)
	fastCalls[op].Add(1)
	matmulFlops.Add(int64(plan.flops))
	return out, nil
}

// convAxis is one spatial axis of a convPlan.
type convAxis struct {
	n, k, out     int     // input, kernel and output sizes
	s, lo, id, kd int     // stride, low padding, input and kernel dilation
	phases, step  int     // output phases (positions φ + phases·q) and the input step per q
	padLo, padHi  int     // zero padding of the canonical input copy
	taps, offs    [][]int // per phase: the valid taps and their input offsets (before padLo)
	phaseOut      []int   // per phase: number of output positions
}

type convPlan struct {
	batch, c, o int
	ax          [2]convAxis
	xStrides    [4]int // input strides of batch, channel, spatial 0, spatial 1
	kStrides    [4]int // kernel strides of input channel, output channel, spatial 0, spatial 1
	yStrides    [4]int // output strides of batch, channel, spatial 0, spatial 1
	hp, wp      int    // padded spatial sizes
	flops       int
	direct      bool // one phase and channels last in the output: the GEMM writes the output directly
	xpStrides   [4]int
	phases      []*convPhase
}

// convPhase is one output phase of a convPlan with its index tables (built once per node).
type convPhase struct {
	rows, yOffs []int      // GEMM row offsets into the padded input, and their outputs
	aK, bK      []int      // K offsets into the padded input and the kernel
	ig          *igemmPlan // non-nil: computed by implicitGemm
	dot         *dotPlan   // non-nil: one output channel, six dot products at a time
	bOp         Operand    // else by Gemm, with this kernel operand (Data set at run time)
	direct      bool       // Gemm writes the output directly (rows in output order)
}

// convPlans caches each ConvGeneral node's plan; entries go with their nodes.
var (
	convPlansMu sync.Mutex
	convPlans   = map[weak.Pointer[simplego.Node]]*convPlan{}
)

func cachedConvPlan(node *simplego.Node, p *convData, xd, kd, yd []int) (*convPlan, bool) {
	key := weak.Make(node)
	convPlansMu.Lock()
	pl := convPlans[key]
	convPlansMu.Unlock()
	if pl != nil {
		return pl, true
	}
	pl, ok := newConvPlan(p, xd, kd, yd)
	if !ok {
		return nil, false
	}
	convPlansMu.Lock()
	convPlans[key] = pl
	convPlansMu.Unlock()
	runtime.AddCleanup(node, func(k weak.Pointer[simplego.Node]) {
		convPlansMu.Lock()
		delete(convPlans, k)
		convPlansMu.Unlock()
	}, key)
	return pl, true
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func stridesOf(dims []int) []int {
	st := make([]int, len(dims))
	s := 1
	for i := len(dims) - 1; i >= 0; i-- {
		st[i], s = s, s*dims[i]
	}
	return st
}

func newConvPlan(p *convData, xd, kd, yd []int) (*convPlan, bool) {
	a := p.axes
	if len(a.KernelSpatial) != 2 || len(a.OutputSpatial) != 2 {
		return nil, false
	}
	xs, ks, ys := stridesOf(xd), stridesOf(kd), stridesOf(yd)
	pl := &convPlan{batch: xd[a.InputBatch], c: xd[a.InputChannels], o: kd[a.KernelOutputChannels]}
	if kd[a.KernelInputChannels] != pl.c || yd[a.OutputBatch] != pl.batch || yd[a.OutputChannels] != pl.o {
		return nil, false
	}
	pl.xStrides = [4]int{xs[a.InputBatch], xs[a.InputChannels], xs[a.InputSpatial[0]], xs[a.InputSpatial[1]]}
	pl.kStrides = [4]int{ks[a.KernelInputChannels], ks[a.KernelOutputChannels], ks[a.KernelSpatial[0]], ks[a.KernelSpatial[1]]}
	pl.yStrides = [4]int{ys[a.OutputBatch], ys[a.OutputChannels], ys[a.OutputSpatial[0]], ys[a.OutputSpatial[1]]}
	for i := range 2 {
		ax := &pl.ax[i]
		ax.n, ax.k, ax.out = xd[a.InputSpatial[i]], kd[a.KernelSpatial[i]], yd[a.OutputSpatial[i]]
		ax.s, ax.id, ax.kd = 1, 1, 1
		if len(p.strides) == 2 && p.strides[i] > 0 {
			ax.s = p.strides[i]
		}
		if len(p.paddings) == 2 {
			ax.lo = p.paddings[i][0]
		}
		if len(p.inputDilations) == 2 && p.inputDilations[i] > 0 {
			ax.id = p.inputDilations[i]
		}
		if len(p.kernelDilations) == 2 && p.kernelDilations[i] > 0 {
			ax.kd = p.kernelDilations[i]
		}
		if ax.n < 1 || ax.k < 1 || ax.out < 1 {
			return nil, false
		}
		ax.phases = ax.id / gcd(ax.s, ax.id)
		ax.step = ax.phases * ax.s / ax.id
		minIn, maxIn := 0, ax.n-1
		for ph := range min(ax.phases, ax.out) {
			var taps, offs []int
			for t := range ax.k {
				u := ph*ax.s + t*ax.kd - ax.lo
				if ((u%ax.id)+ax.id)%ax.id != 0 {
					continue
				}
				off := floorDiv(u, ax.id)
				taps, offs = append(taps, t), append(offs, off)
			}
			q := ceilDiv(ax.out-ph, ax.phases)
			for _, off := range offs {
				minIn = min(minIn, off)
				maxIn = max(maxIn, (q-1)*ax.step+off)
			}
			ax.taps, ax.offs, ax.phaseOut = append(ax.taps, taps), append(ax.offs, offs), append(ax.phaseOut, q)
		}
		ax.padLo, ax.padHi = -minIn, maxIn-(ax.n-1)
		ax.phases = len(ax.taps)
	}
	pl.hp = pl.ax[0].n + pl.ax[0].padLo + pl.ax[0].padHi
	pl.wp = pl.ax[1].n + pl.ax[1].padLo + pl.ax[1].padHi
	for i := range pl.ax[0].phases {
		for j := range pl.ax[1].phases {
			pl.flops += 2 * pl.batch * pl.ax[0].phaseOut[i] * pl.ax[1].phaseOut[j] * len(pl.ax[0].taps[i]) *
				len(pl.ax[1].taps[j]) * pl.c * pl.o
		}
	}
	pl.direct = pl.ax[0].phases == 1 && pl.ax[1].phases == 1 && pl.yStrides[1] == 1
	pl.prepare(kd)
	return pl, true
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// prepare builds the phases' index tables.
func (pl *convPlan) prepare(kd []int) {
	a0, a1 := &pl.ax[0], &pl.ax[1]
	c := pl.c
	pl.xpStrides = pl.padStrides()
	sB, sC, sH, sW := pl.xpStrides[0], pl.xpStrides[1], pl.xpStrides[2], pl.xpStrides[3]
	kSize := prod(kd)
	cols := make([]int, pl.o)
	for o := range cols {
		cols[o] = o * pl.kStrides[1]
	}
	for i := range a0.phases {
		for j := range a1.phases {
			nq0, nq1 := a0.phaseOut[i], a1.phaseOut[j]
			if nq0 == 0 || nq1 == 0 {
				continue
			}
			ph := &convPhase{}
			pl.phases = append(pl.phases, ph)
			rowOf := func(b, q0, q1 int) int { return b*sB + (q0*a0.step)*sH + (q1*a1.step)*sW }
			yOf := func(b, q0, q1 int) int {
				return b*pl.yStrides[0] + (i+q0*a0.phases)*pl.yStrides[2] + (j+q1*a1.phases)*pl.yStrides[3]
			}
			// K: the phase's valid taps × input channels, the same order for both operands: channels innermost
			// when they are contiguous in the input (runs of a kernel row's taps × channels), else outermost (runs
			// of output positions; the positions of one channel are nearby in memory).
			nk := len(a0.taps[i]) * len(a1.taps[j]) * c
			ph.aK, ph.bK = make([]int, 0, nk), make([]int, 0, nk)
			for chOuter := range c {
				if sC == 1 && chOuter > 0 {
					break
				}
				for ti, t0 := range a0.taps[i] {
					for tj, t1 := range a1.taps[j] {
						xo := (a0.offs[i][ti]+a0.padLo)*sH + (a1.offs[j][tj]+a1.padLo)*sW
						ko := t0*pl.kStrides[2] + t1*pl.kStrides[3]
						if sC == 1 {
							for ch := range c {
								ph.aK, ph.bK = append(ph.aK, xo+ch), append(ph.bK, ko+ch*pl.kStrides[0])
							}
						} else {
							ph.aK, ph.bK = append(ph.aK, xo+chOuter*sC), append(ph.bK, ko+chOuter*pl.kStrides[0])
						}
					}
				}
			}
			// Rows in the output's memory order: for a kernel gradient, consecutive channels (one cache line of
			// the input per step of K) rather than consecutive taps.
			n := pl.batch * nq0 * nq1
			ph.rows, ph.yOffs = make([]int, 0, n), make([]int, 0, n)
			pl.walkOutput(nq0, nq1, func(b, q0, q1 int) {
				ph.rows, ph.yOffs = append(ph.rows, rowOf(b, q0, q1)), append(ph.yOffs, yOf(b, q0, q1))
			})
			if hasRunsKernel && pl.o == 1 {
				if d := newDotPlan(ph.rows, ph.aK, ph.bK, cols[0]); d != nil {
					ph.dot = d
					continue
				}
			}
			if hasRunsKernel && pl.o >= 16 {
				ph.ig = newIgemmPlan(pl.yStrides[1], ph.rows, ph.aK, kSize, ph.bK, cols)
				continue
			}
			// Packed GEMM (or, for one output channel, dot products along the runs of K).
			ph.bOp = Operand{Batch: []int{0}, Rows: cols, K: ph.bK}
			ph.direct = pl.direct
		}
	}
}

// run computes the convolution of x with k into y.
func (pl *convPlan) run(y, x, k []float32) {
	// Zero-padded copy of the input in its own axis order.
	xp := getFloats(pl.batch * pl.c * pl.hp * pl.wp)
	defer putFloats(xp)
	pl.padInput(xp.s, x)
	for _, ph := range pl.phases {
		if ph.ig != nil {
			ph.ig.run(y, ph.yOffs, xp.s, k)
			continue
		}
		if ph.dot != nil {
			ph.dot.run(y, ph.yOffs, xp.s, k)
			continue
		}
		bOp := ph.bOp
		bOp.Data = k
		aOp := Operand{Data: xp.s, Batch: []int{0}, Rows: ph.rows, K: ph.aK}
		if ph.direct {
			Gemm(y, aOp, bOp)
			continue
		}
		tmp := getFloats(len(ph.rows) * pl.o)
		Gemm(tmp.s, aOp, bOp)
		oStride := pl.yStrides[1]
		parallelFor(numWorkersMem(len(tmp.s)), ceilDiv(len(ph.rows), 256), func(ch int) {
			for r := ch * 256; r < min(len(ph.rows), (ch+1)*256); r++ {
				src, base := tmp.s[r*pl.o:(r+1)*pl.o], ph.yOffs[r]
				if oStride == 1 {
					copy(y[base:base+pl.o], src)
					continue
				}
				for o, v := range src {
					y[base+o*oStride] = v
				}
			}
		})
		putFloats(tmp)
	}
}

// walkOutput calls fn for every (batch, q0, q1) of a phase with nq0 × nq1 positions, in the order of the output's
// memory layout (largest stride first).
func (pl *convPlan) walkOutput(nq0, nq1 int, fn func(b, q0, q1 int)) {
	type ax struct{ n, stride, which int }
	axs := []ax{{pl.batch, pl.yStrides[0], 0}, {nq0, pl.yStrides[2], 1}, {nq1, pl.yStrides[3], 2}}
	slices.SortStableFunc(axs, func(a, b ax) int { return b.stride - a.stride })
	var idx [3]int
	for i0 := range axs[0].n {
		idx[axs[0].which] = i0
		for i1 := range axs[1].n {
			idx[axs[1].which] = i1
			for i2 := range axs[2].n {
				idx[axs[2].which] = i2
				fn(idx[0], idx[1], idx[2])
			}
		}
	}
}

// memOrder returns the logical axes (0 batch, 1 channel, 2 and 3 spatial) sorted by their stride in x.
func (pl *convPlan) memOrder() []int {
	order := []int{0, 1, 2, 3}
	slices.SortStableFunc(order, func(i, j int) int { return pl.xStrides[j] - pl.xStrides[i] })
	return order
}

// padStrides returns the padded input's strides of the batch, channel and two spatial axes (x's axis order).
func (pl *convPlan) padStrides() [4]int {
	order := pl.memOrder()
	pdims := [4]int{pl.batch, pl.c, pl.hp, pl.wp}
	var ps [4]int
	st := 1
	for m := 3; m >= 0; m-- {
		ps[order[m]] = st
		st *= pdims[order[m]]
	}
	return ps
}

// padInput copies x into xp with zero borders on the spatial axes, keeping x's axis order (strides padStrides).
// Along the axes inside the innermost spatial one (contiguous in both) whole runs are copied.
func (pl *convPlan) padInput(xp, x []float32) {
	a := [2]*convAxis{&pl.ax[0], &pl.ax[1]}
	order := pl.memOrder()
	dims := [4]int{pl.batch, pl.c, a[0].n, a[1].n}
	pdims := [4]int{pl.batch, pl.c, pl.hp, pl.wp}
	ps := pl.xpStrides
	// inner: the memory position of the innermost spatial axis; everything after it is copied as one block.
	inner := 3
	for order[inner] < 2 {
		inner--
	}
	block := 1
	for m := inner + 1; m < 4; m++ {
		block *= dims[order[m]]
	}
	sp := order[inner] - 2
	run := dims[order[inner]] * block // contiguous in x and, inside the padding, in xp
	lo, hi := a[sp].padLo*block, a[sp].padHi*block
	// Odometer over the outer axes (memory positions < inner), in xp's (padded) index space.
	outer := order[:inner]
	nOuter := 1
	for _, l := range outer {
		nOuter *= pdims[l]
	}
	span := lo + run + hi
	parallelFor(numWorkersMem(len(xp)), ceilDiv(nOuter, 64), func(chunk int) {
		for r := chunk * 64; r < min(nOuter, (chunk+1)*64); r++ {
			var idx [4]int
			rem := r
			for m := len(outer) - 1; m >= 0; m-- {
				l := outer[m]
				idx[l] = rem % pdims[l]
				rem /= pdims[l]
			}
			dOff, sOff, pad := 0, 0, false
			for _, l := range outer {
				dOff += idx[l] * ps[l]
				i := idx[l]
				if l >= 2 {
					i -= a[l-2].padLo
					if i < 0 || i >= dims[l] {
						pad = true
					}
				}
				sOff += i * pl.xStrides[l]
			}
			dst := xp[dOff : dOff+span]
			if pad {
				clear(dst)
				continue
			}
			clear(dst[:lo])
			copy(dst[lo:lo+run], x[sOff:sOff+run])
			clear(dst[lo+run:])
		}
	})
}

// igemmPlan computes y[yOffs[i] + j*oStride] = Σ_t a[rows[i] + aK[t]]·b[bK[t] + cols[j]] with kernelRuns6x32,
// reading A in place (rows of 6, along runs of K where aK and bK advance by constant strides: a kernel row's taps ×
// channels, or an image row of output positions) and B in place when its columns are contiguous in whole panels of
// 32, else from a packed copy. Short contractions are split over tiles of 6 rows; long ones (a kernel gradient: few
// rows, K = every output position) over K too, in cache-sized blocks, into private accumulators summed at the end.
type igemmPlan struct {
	oStride, m, kk, n, nPanels int
	rows, bK, cols             []int
	aStride, bStride           int
	starts                     []int   // run start indices, then kk
	runs                       []int32 // (A offset, B offset, length) per run
	inPlace                    bool
	aLo, aHi                   int // extent of the A offsets read (rows + aK)
}

func newIgemmPlan(oStride int, rows, aK []int, bLen int, bK, cols []int) *igemmPlan {
	const w = 2 * nr
	g := &igemmPlan{oStride: oStride, m: len(rows), kk: len(aK), n: len(cols), rows: rows, bK: bK, cols: cols}
	g.nPanels = ceilDiv(g.n, w)
	if g.m == 0 || g.n == 0 || g.kk == 0 {
		return g
	}
	// Runs of K with constant strides (taken from the first two entries).
	g.aStride, g.bStride = 1, 1
	if g.kk > 1 {
		g.aStride, g.bStride = aK[1]-aK[0], bK[1]-bK[0]
	}
	for t := range g.kk {
		if t == 0 || aK[t]-aK[t-1] != g.aStride || bK[t]-bK[t-1] != g.bStride {
			g.starts = append(g.starts, t)
		}
	}
	g.starts = append(g.starts, g.kk)
	// B in place needs whole panels of contiguous columns inside b.
	g.inPlace = g.n%w == 0 && slices.Equal(cols, iotaFrom(cols[0], g.n)) && slices.Min(bK)+cols[0] >= 0 &&
		slices.Max(bK)+cols[g.n-1] < bLen
	if !g.inPlace {
		g.bStride = w
	}
	for r := 0; r+1 < len(g.starts); r++ {
		t0 := g.starts[r]
		bo := bK[t0]
		if !g.inPlace {
			bo = t0 * w
		}
		g.runs = append(g.runs, int32(aK[t0]), int32(bo), int32(g.starts[r+1]-t0))
	}
	g.aLo, g.aHi = slices.Min(rows)+slices.Min(aK), slices.Max(rows)+slices.Max(aK)
	return g
}

func (g *igemmPlan) run(y []float32, yOffs []int, a, b []float32) {
	const w = 2 * nr
	m, kk, n, nPanels, rows, oStride := g.m, g.kk, g.n, g.nPanels, g.rows, g.oStride
	if m == 0 || n == 0 {
		return
	}
	if kk == 0 {
		for _, off := range yOffs {
			for j := range n {
				y[off+j*oStride] = 0
			}
		}
		return
	}
	// Every address the kernel reads must be inside a and b (the assembly does no bounds checks).
	if g.aLo < 0 || g.aHi >= len(a) {
		panic(fmt.Sprintf("fastcpu: implicit GEMM reads a[%d..%d] of %d", g.aLo, g.aHi, len(a)))
	}
	var bData []float32
	if g.inPlace {
		bData = b[g.cols[0]:]
	} else {
		bp := getFloats(nPanels * kk * w)
		defer putFloats(bp)
		for p := range nPanels {
			panel := bp.s[p*kk*w : (p+1)*kk*w]
			for t, bo := range g.bK {
				d := panel[t*w : (t+1)*w]
				for q := range w {
					d[q] = 0
					if j := p*w + q; j < n {
						d[q] = b[bo+g.cols[j]]
					}
				}
			}
		}
		bData = bp.s
	}
	runs, starts, aStride, bStride, inPlace := g.runs, g.starts, g.aStride, g.bStride, g.inPlace
	panelOf := func(p int) *float32 {
		if inPlace {
			return &bData[p*w]
		}
		return &bData[p*kk*w]
	}
	tiles := ceilDiv(m, mr)
	ptrsOf := func(ti int, ptrs *[mr]uintptr) int {
		i0 := ti * mr
		rEff := min(mr, m-i0)
		for r := range mr {
			ptrs[r] = uintptr(unsafe.Pointer(&a[rows[i0+min(r, rEff-1)]]))
		}
		return rEff
	}
	store := func(ti, p int, tile []float32) {
		i0, nEff := ti*mr, min(w, n-p*w)
		for r := range min(mr, m-i0) {
			off, src := yOffs[i0+r]+p*w*oStride, tile[r*w:r*w+nEff]
			if oStride == 1 {
				copy(y[off:off+nEff], src)
				continue
			}
			for q, v := range src {
				y[off+q*oStride] = v
			}
		}
	}
	workers := numWorkers(2 * m * kk * n)
	nRuns := len(runs) / 3
	// Tasks: chunks of tiles × parts of K. K is split only when there are too few chunks to share (a kernel
	// gradient: few rows, K = every output position); the parts' accumulators are summed at the end.
	const chunk = 16
	nChunks := ceilDiv(tiles, chunk)
	kParts := 1
	if nChunks < 2*workers && kk > 4096 {
		kParts = workers
	}
	perPart := ceilDiv(kk, kParts)
	partBufs := make([]*floats, nChunks*kParts)
	parallelFor(workers, nChunks*kParts, func(task int) {
		ch, part := task/kParts, task%kParts
		t0, t1 := ch*chunk, min(tiles, (ch+1)*chunk)
		buf := getFloats((t1 - t0) * nPanels * mr * w)
		// This part's runs: those starting in its K range.
		r0, r1 := 0, nRuns
		for r0 < nRuns && starts[r0] < part*perPart {
			r0++
		}
		for r1 > r0 && starts[r1-1] >= (part+1)*perPart {
			r1--
		}
		if r0 == r1 {
			clear(buf.s)
		}
		var ptrs [mr]uintptr
		// Blocks of about 512 steps, so that the block's B rows stay in cache across the chunk's tiles.
		for rb := r0; rb < r1; {
			re, steps := rb, 0
			for re < r1 && (steps < 512 || re == rb) {
				steps += int(runs[3*re+2])
				re++
			}
			acc := 0
			if rb > r0 {
				acc = 1
			}
			for ti := t0; ti < t1; ti++ {
				ptrsOf(ti, &ptrs)
				for p := range nPanels {
					c := buf.s[((ti-t0)*nPanels+p)*mr*w:]
					kernelRuns6x32(&runs[3*rb], re-rb, &ptrs, aStride, panelOf(p), bStride, &c[0], acc)
				}
			}
			rb = re
		}
		if kParts > 1 {
			partBufs[task] = buf
			return
		}
		for ti := t0; ti < t1; ti++ {
			for p := range nPanels {
				store(ti, p, buf.s[((ti-t0)*nPanels+p)*mr*w:])
			}
		}
		putFloats(buf)
	})
	if kParts == 1 {
		return
	}
	for ch := range nChunks {
		sum := partBufs[ch*kParts].s
		for _, p := range partBufs[ch*kParts+1 : (ch+1)*kParts] {
			for i, v := range p.s {
				sum[i] += v
			}
			putFloats(p)
		}
		for ti := ch * chunk; ti < min(tiles, (ch+1)*chunk); ti++ {
			for p := range nPanels {
				store(ti, p, sum[((ti-ch*chunk)*nPanels+p)*mr*w:])
			}
		}
		putFloats(partBufs[ch*kParts])
	}
}

func iotaFrom(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = start + i
	}
	return out
}

// dotPlan computes y[yOffs[i]] = Σ_t a[rows[i] + aK[t]]·b[bK[t] + col] (a convolution with one output channel)
// with dotRuns6x1, reading A in place along contiguous runs of K whose lengths are multiples of 16.
type dotPlan struct {
	rows, bK []int
	col      int
	runs     []int32 // (A offset, length) per run
	aLo, aHi int
}

func newDotPlan(rows, aK, bK []int, col int) *dotPlan {
	if len(rows) == 0 || len(aK) == 0 {
		return nil
	}
	d := &dotPlan{rows: rows, bK: bK, col: col}
	starts := kRuns(aK)
	for r := 0; r+1 < len(starts); r++ {
		n := starts[r+1] - starts[r]
		if n%16 != 0 {
			return nil
		}
		d.runs = append(d.runs, int32(aK[starts[r]]), int32(n))
	}
	d.aLo, d.aHi = slices.Min(rows)+slices.Min(aK), slices.Max(rows)+slices.Max(aK)
	return d
}

func (d *dotPlan) run(y []float32, yOffs []int, a, b []float32) {
	if d.aLo < 0 || d.aHi >= len(a) {
		panic(fmt.Sprintf("fastcpu: convolution reads a[%d..%d] of %d", d.aLo, d.aHi, len(a)))
	}
	x := getFloats(len(d.bK))
	defer putFloats(x)
	for t, bo := range d.bK {
		x.s[t] = b[bo+d.col]
	}
	m := len(d.rows)
	tiles := ceilDiv(m, mr)
	const chunk = 64
	parallelFor(numWorkers(2*m*len(d.bK)), ceilDiv(tiles, chunk), func(ch int) {
		var ptrs [mr]uintptr
		var out [mr]float32
		for ti := ch * chunk; ti < min(tiles, (ch+1)*chunk); ti++ {
			i0 := ti * mr
			rEff := min(mr, m-i0)
			for r := range mr {
				ptrs[r] = uintptr(unsafe.Pointer(&a[d.rows[i0+min(r, rEff-1)]]))
			}
			dotRuns6x1(&d.runs[0], len(d.runs)/2, &ptrs, &x.s[0], &out)
			for r := range rEff {
				y[yOffs[i0+r]] = out[r]
			}
		}
	})
}
