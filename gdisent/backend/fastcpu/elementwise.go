package fastcpu

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// binaryOps are the float32 binary ops with a fast executor, by the function computing one output row. SimpleGo's
// own loops handle implicit broadcasting with a per-element iterator; these use per-row strides and run in
// parallel.
var binaryOps = map[backends.OpType]func(dst, a, b []float32, sa, sb int){
	backends.OpTypeAdd: rowAdd,
	backends.OpTypeSub: rowSub,
	backends.OpTypeMul: rowMul,
	backends.OpTypeDiv: rowDiv,
	backends.OpTypeMax: rowMax,
	backends.OpTypeMin: rowMin,
}

// broadcastStrides returns, for an operand of dims broadcast (same rank, 1 → n) to out, its per-axis strides
// with 0 on broadcast axes; ok is false if the shapes are not compatible that way.
func broadcastStrides(dims, out []int) (strides []int, ok bool) {
	if len(dims) != len(out) {
		return nil, false
	}
	strides = make([]int, len(dims))
	s := 1
	for i := len(dims) - 1; i >= 0; i-- {
		switch dims[i] {
		case out[i]:
			strides[i] = s
		case 1:
			strides[i] = 0
		default:
			return nil, false
		}
		s *= dims[i]
	}
	return strides, true
}

// mergeAxes merges adjacent axes whose strides are contiguous for every operand (outer stride == inner stride ×
// inner dim) and drops size-1 axes, so the innermost loop is as long as possible.
func mergeAxes(dims []int, strides ...[]int) ([]int, [][]int) {
	var md []int
	ms := make([][]int, len(strides))
	for ax, d := range dims {
		if d == 1 {
			continue
		}
		if n := len(md); n > 0 {
			merge := true
			for i, st := range strides {
				if ms[i][n-1] != st[ax]*d {
					merge = false
					break
				}
			}
			if merge {
				md[n-1] *= d
				for i, st := range strides {
					ms[i][n-1] = st[ax]
				}
				continue
			}
		}
		md = append(md, d)
		for i, st := range strides {
			ms[i] = append(ms[i], st[ax])
		}
	}
	if len(md) == 0 {
		md = []int{1}
		for i := range ms {
			ms[i] = []int{0}
		}
	}
	return md, ms
}

// execBinary runs a float32 binary op (see binaryOps), with implicit broadcasting of size-1 axes or a scalar.
func execBinary(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	nm := nodeOf(node)
	op := nm.opType
	row := binaryOps[op]
	lhs, rhs := bufOf(in[0]), bufOf(in[1])
	lf, lok := lhs.flat.([]float32)
	rf, rok := rhs.flat.([]float32)
	if row == nil || !lok || !rok || nm.shape.DType != dtypes.Float32 {
		return fallback(op, be, node, in, owned)
	}
	outDims := nm.shape.Dimensions
	var sa, sb []int
	var ok bool
	if len(lf) == 1 {
		sa, ok = make([]int, len(outDims)), true
	} else if sa, ok = broadcastStrides(lhs.shape.Dimensions, outDims); !ok {
		return fallback(op, be, node, in, owned)
	}
	if len(rf) == 1 {
		sb = make([]int, len(outDims))
	} else if sb, ok = broadcastStrides(rhs.shape.Dimensions, outDims); !ok {
		return fallback(op, be, node, in, owned)
	}
	// Reuse an input buffer that is no longer needed and has the output's shape (SimpleGo's convention).
	var out *simplego.Buffer
	switch {
	case owned[1] && rhs.shape.Equal(nm.shape):
		out, in[1] = in[1], nil
	case owned[0] && lhs.shape.Equal(nm.shape):
		out, in[0] = in[0], nil
	default:
		out = be.NewBuffer(nm.shape)
	}
	bufOf(out).shape = nm.shape
	dst := bufOf(out).flat.([]float32)
	dims, st := mergeAxes(outDims, sa, sb)
	if len(dims) == 2 {
		// [rows, inner] (e.g. activations plus a per-channel bias): a plain loop over rows, without the
		// odometer and callbacks of forRows, which cost more than the row itself for short rows.
		inner, a0, b0, a1, b1 := dims[1], st[0][0], st[1][0], st[0][1], st[1][1]
		chunk := max(1, 16384/inner)
		parallelFor(numWorkersMem(len(dst)), ceilDiv(dims[0], chunk), func(c int) {
			for r := c * chunk; r < min(dims[0], (c+1)*chunk); r++ {
				row(dst[r*inner:(r+1)*inner], lf[r*a0:], rf[r*b0:], a1, b1)
			}
		})
		fastCalls[op].Add(1)
		return out, nil
	}
	forRows(dims, st, len(dst), func(o int, offs []int, n int) {
		row(dst[o:o+n], lf[offs[0]:], rf[offs[1]:], st[0][len(dims)-1], st[1][len(dims)-1])
	})
	fastCalls[op].Add(1)
	return out, nil
}

// forRows walks a row-major output of the given (merged) dims in parallel chunks of rows, calling fn with the
// output offset of each innermost row, the matching offsets in each strided input, and the row length.
func forRows(dims []int, strides [][]int, size int, fn func(o int, offs []int, n int)) {
	inner := dims[len(dims)-1]
	outer := size / inner
	chunk := max(1, 16384/inner)
	parallelFor(numWorkersMem(size), ceilDiv(outer, chunk), func(c int) {
		r0, r1 := c*chunk, min(outer, (c+1)*chunk)
		r := r0
		walkRows(dims, strides, r0, r1, func(offs []int, n int) {
			fn(r*inner, offs, n)
			r++
		})
	})
}

// execReduceSum sums float32 tensors over any axes. The input is walked in order; the output offset of each input
// row comes from strides that are 0 on reduced axes. Work is split over the outermost kept axis when there is one
// ahead of every reduced axis, else each worker sums into a private copy of the (small) output.
func execReduceSum(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	const op = backends.OpTypeReduceSum
	nm := nodeOf(node)
	axes, ok := nm.data.([]int)
	operand := bufOf(in[0])
	src, fok := operand.flat.([]float32)
	if !ok || !fok || len(axes) == 0 {
		return fallback(op, be, node, in, owned)
	}
	inDims := operand.shape.Dimensions
	reduced := make([]bool, len(inDims))
	onlyUnitAxes := true
	for _, a := range axes {
		if a < 0 || a >= len(inDims) {
			return fallback(op, be, node, in, owned)
		}
		reduced[a] = true
		onlyUnitAxes = onlyUnitAxes && inDims[a] == 1
	}
	if onlyUnitAxes {
		// Summing over size-1 axes only drops them (GoMLX's matmul gradient emits this for 1-channel outputs).
		fastCalls[op].Add(1)
		return passthrough[float32](be, nm, in, owned), nil
	}
	// Output strides per input axis (0 on reduced axes), input strides.
	outStrides, inStrides := make([]int, len(inDims)), make([]int, len(inDims))
	so, si := 1, 1
	for a := len(inDims) - 1; a >= 0; a-- {
		inStrides[a] = si
		si *= inDims[a]
		if !reduced[a] {
			outStrides[a] = so
			so *= inDims[a]
		}
	}
	out := be.NewBuffer(nm.shape)
	dst := bufOf(out).flat.([]float32)
	clear(dst)
	dims, st := mergeAxes(inDims, outStrides, inStrides)
	ostr, istr := st[0], st[1]
	rank := len(dims)
	innerOut := ostr[rank-1]
	sumRows := func(dst []float32, r0, r1 int) {
		walkRows(dims, [][]int{ostr, istr}, r0, r1, func(offs []int, n int) {
			s := src[offs[1] : offs[1]+n]
			if innerOut == 0 {
				var acc float32
				for _, v := range s {
					acc += v
				}
				dst[offs[0]] += acc
				return
			}
			d := dst[offs[0] : offs[0]+n]
			for i, v := range s {
				d[i] += v
			}
		})
	}
	outer := len(src) / dims[rank-1]
	workers := numWorkersMem(len(src))
	if rank == 2 && ostr[0] == 0 && ostr[1] == 1 && istr[1] == 1 {
		// Summing [N, C] over N (per-channel statistics and bias gradients): each worker adds whole rows into a
		// private accumulator, in a plain loop.
		c := dims[1]
		parts := make([][]float32, workers)
		per := ceilDiv(outer, workers)
		parallelFor(workers, workers, func(w int) {
			acc := make([]float32, c)
			for r := w * per; r < min(outer, (w+1)*per); r++ {
				row := src[r*c : (r+1)*c]
				for i, v := range row {
					acc[i] += v
				}
			}
			parts[w] = acc
		})
		for _, p := range parts {
			for i, v := range p {
				dst[i] += v
			}
		}
		fastCalls[op].Add(1)
		return out, nil
	}
	switch {
	case workers <= 1 || outer < 2*workers:
		sumRows(dst, 0, outer)
	case rank > 1 && ostr[0] != 0:
		// Outermost axis kept: rows of different outer indices write disjoint outputs.
		per := outer / dims[0] // rows per outer index
		parallelFor(workers, dims[0], func(i int) { sumRows(dst, i*per, (i+1)*per) })
	case len(dst) <= 1<<16:
		parts := make([][]float32, workers)
		per := ceilDiv(outer, workers)
		parallelFor(workers, workers, func(w int) {
			parts[w] = make([]float32, len(dst))
			sumRows(parts[w], w*per, min(outer, (w+1)*per))
		})
		for _, p := range parts {
			for i, v := range p {
				dst[i] += v
			}
		}
	default:
		sumRows(dst, 0, outer)
	}
	fastCalls[op].Add(1)
	return out, nil
}

// walkRows calls fn for the innermost rows r0..r1-1 of a row-major walk over dims, with each strided offset.
func walkRows(dims []int, strides [][]int, r0, r1 int, fn func(offs []int, n int)) {
	rank := len(dims)
	inner := dims[rank-1]
	idx := make([]int, rank-1)
	offs := make([]int, len(strides))
	for a, rem := rank-2, r0; a >= 0; a-- {
		idx[a] = rem % dims[a]
		rem /= dims[a]
		for i, st := range strides {
			offs[i] += idx[a] * st[a]
		}
	}
	for r := r0; r < r1; r++ {
		fn(offs, inner)
		for a := rank - 2; a >= 0; a-- {
			idx[a]++
			for i, st := range strides {
				offs[i] += st[a]
			}
			if idx[a] < dims[a] {
				break
			}
			for i, st := range strides {
				offs[i] -= idx[a] * st[a]
			}
			idx[a] = 0
		}
	}
}
