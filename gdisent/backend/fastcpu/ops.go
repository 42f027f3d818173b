package fastcpu

import (
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// float is the element types the data-movement kernels handle; others go to stock SimpleGo.
type float interface{ ~float32 | ~float64 }

// index is the index types the Gather/Scatter fast paths read.
type index interface{ ~int32 | ~int64 }

func prod(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// isRange reports whether axes == [from, from+1, ..., from+n-1].
func isRange(axes []int, from, n int) bool {
	if len(axes) != n {
		return false
	}
	for i, a := range axes {
		if a != from+i {
			return false
		}
	}
	return true
}

// execGather handles the row gather that im2col convolutions use: operand [R, ...], indices [..., 1] selecting
// whole rows (collapsed axis 0, full slices of the other axes) into output [..., rest of operand]. Indices are
// clamped to [0, R-1], as in XLA.
func execGather(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	const op = backends.OpTypeGather
	nm := nodeOf(node)
	p := dataAs[gatherData](nm, gatherType)
	operand, indices := bufOf(in[0]), bufOf(in[1])
	od, id := operand.shape.Dimensions, indices.shape.Dimensions
	ok := p != nil && len(od) >= 1 && len(id) >= 1 && p.indexVectorAxis == len(id)-1 && id[len(id)-1] == 1 &&
		isRange(p.startIndexMap, 0, 1) && isRange(p.collapsedSlicesAxes, 0, 1) &&
		isRange(p.offsetOutputAxes, len(id)-1, len(od)-1) && len(p.sliceSizes) == len(od) && p.sliceSizes[0] == 1 &&
		slices.Equal(p.sliceSizes[1:], od[1:])
	if ok {
		out := be.NewBuffer(nm.shape)
		of := bufOf(out).flat
		rows, rowSize := od[0], prod(od[1:])
		switch src := operand.flat.(type) {
		case []float32:
			ok = gatherRowsAny(of.([]float32), src, indices.flat, rows, rowSize)
		case []float64:
			ok = gatherRowsAny(of.([]float64), src, indices.flat, rows, rowSize)
		default:
			ok = false
		}
		if ok {
			fastCalls[op].Add(1)
			return out, nil
		}
		be.BufferFinalize(out)
	}
	return fallback(op, be, node, in, owned)
}

func gatherRowsAny[T float](out, src []T, idx any, rows, rowSize int) bool {
	switch ix := idx.(type) {
	case []int32:
		gatherRows(out, src, ix, rows, rowSize)
	case []int64:
		gatherRows(out, src, ix, rows, rowSize)
	default:
		return false
	}
	return true
}

// gatherRows copies src row clamp(idx[n]) to out row n, for rows of rowSize elements.
func gatherRows[T float, I index](out, src []T, idx []I, rows, rowSize int) {
	n := len(idx)
	const chunk = 4096
	parallelFor(numWorkersMem(n*rowSize), ceilDiv(n, chunk), func(c int) {
		for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
			r := max(0, min(rows-1, int(idx[i])))
			if rowSize == 1 {
				out[i] = src[r]
				continue
			}
			copy(out[i*rowSize:(i+1)*rowSize], src[r*rowSize:(r+1)*rowSize])
		}
	})
}

// execScatterSum handles the gradient of the row gather: output = operand, then row idx[n] += updates row n, for
// operand [R, ...], indices [..., 1] and updates [..., rest of operand]. Out-of-range rows are skipped, as in XLA.
func execScatterSum(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	const op = backends.OpTypeScatterSum
	nm := nodeOf(node)
	p := dataAs[scatterData](nm, scatterType)
	operand, indices, updates := bufOf(in[0]), bufOf(in[1]), bufOf(in[2])
	od, id, ud := operand.shape.Dimensions, indices.shape.Dimensions, updates.shape.Dimensions
	ok := p != nil && len(od) >= 1 && len(id) >= 1 && p.indexVectorAxis == len(id)-1 && id[len(id)-1] == 1 &&
		isRange(p.insertedWindowAxes, 0, 1) && isRange(p.scatterAxesToOperandAxes, 0, 1) &&
		isRange(p.updateWindowAxes, len(id)-1, len(od)-1) && len(ud) == len(id)-1+len(od)-1 &&
		slices.Equal(ud[:len(id)-1], id[:len(id)-1]) && slices.Equal(ud[len(id)-1:], od[1:])
	if !ok {
		return fallback(op, be, node, in, owned)
	}
	switch operand.flat.(type) {
	case []float32, []float64:
	default:
		return fallback(op, be, node, in, owned)
	}
	switch indices.flat.(type) {
	case []int32, []int64:
	default:
		return fallback(op, be, node, in, owned)
	}
	var out *simplego.Buffer
	if owned[0] {
		out, in[0] = in[0], nil // Reuse the operand's buffer (SimpleGo's convention: nil marks it consumed).
	} else {
		out = be.NewBuffer(operand.shape)
		switch dst := bufOf(out).flat.(type) {
		case []float32:
			copy(dst, operand.flat.([]float32))
		case []float64:
			copy(dst, operand.flat.([]float64))
		}
	}
	bufOf(out).shape = nm.shape
	rows, rowSize := od[0], prod(od[1:])
	switch dst := bufOf(out).flat.(type) {
	case []float32:
		scatterAddAny(dst, updates.flat.([]float32), indices.flat, rows, rowSize)
	case []float64:
		scatterAddAny(dst, updates.flat.([]float64), indices.flat, rows, rowSize)
	}
	fastCalls[op].Add(1)
	return out, nil
}

func scatterAddAny[T float](out, upd []T, idx any, rows, rowSize int) {
	switch ix := idx.(type) {
	case []int32:
		scatterAddRows(out, upd, ix, rows, rowSize)
	case []int64:
		scatterAddRows(out, upd, ix, rows, rowSize)
	}
}

// scatterAddRows adds update row n into out row idx[n]. Workers own disjoint ranges of output rows (each scans all
// indices), so no two goroutines write the same row.
func scatterAddRows[T float, I index](out, upd []T, idx []I, rows, rowSize int) {
	w := numWorkersMem(len(idx) * rowSize)
	per := ceilDiv(rows, w)
	parallelFor(w, w, func(part int) {
		lo, hi := part*per, min(rows, (part+1)*per)
		for n, ix := range idx {
			r := int(ix)
			if r < lo || r >= hi {
				continue
			}
			if rowSize == 1 {
				out[r] += upd[n]
				continue
			}
			dst, src := out[r*rowSize:(r+1)*rowSize], upd[n*rowSize:(n+1)*rowSize]
			for j, v := range src {
				dst[j] += v
			}
		}
	})
}

// execTranspose permutes axes by walking the output in order and reading the input with strides, after merging
// axes that stay adjacent; the innermost run is a copy when the last axis is kept.
func execTranspose(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	const op = backends.OpTypeTranspose
	nm := nodeOf(node)
	perm, ok := nm.data.([]int)
	operand := bufOf(in[0])
	if !ok || len(perm) != len(operand.shape.Dimensions) {
		return fallback(op, be, node, in, owned)
	}
	dims, strides := mergedTranspose(operand.shape.Dimensions, perm)
	if len(dims) == 1 && strides[0] == 1 {
		// Identity permutation (up to size-1 axes): only the shape changes.
		switch operand.flat.(type) {
		case []float32:
			fastCalls[op].Add(1)
			return passthrough[float32](be, nm, in, owned), nil
		case []float64:
			fastCalls[op].Add(1)
			return passthrough[float64](be, nm, in, owned), nil
		}
	}
	switch src := operand.flat.(type) {
	case []float32:
		out := be.NewBuffer(nm.shape)
		transpose(bufOf(out).flat.([]float32), src, dims, strides)
		fastCalls[op].Add(1)
		return out, nil
	case []float64:
		out := be.NewBuffer(nm.shape)
		transpose(bufOf(out).flat.([]float64), src, dims, strides)
		fastCalls[op].Add(1)
		return out, nil
	}
	return fallback(op, be, node, in, owned)
}

// mergedTranspose returns the output dimensions and, for each, the input stride, merging output axes that are
// consecutive in the input too, and dropping size-1 axes.
func mergedTranspose(inDims, perm []int) (dims, strides []int) {
	inStrides := make([]int, len(inDims))
	s := 1
	for i := len(inDims) - 1; i >= 0; i-- {
		inStrides[i], s = s, s*inDims[i]
	}
	prev := -2
	for _, ax := range perm {
		d := inDims[ax]
		if d == 1 {
			continue
		}
		if ax == prev+1 && len(dims) > 0 {
			// Merge with the previous output axis: it is the next-outer input axis.
			dims[len(dims)-1] *= d
			strides[len(strides)-1] = inStrides[ax]
		} else {
			dims = append(dims, d)
			strides = append(strides, inStrides[ax])
		}
		prev = ax
	}
	if len(dims) == 0 {
		dims, strides = []int{1}, []int{1}
	}
	return dims, strides
}

// transpose fills out (row-major over dims) with src[Σ idx·strides].
func transpose[T float](out, src []T, dims, strides []int) {
	rank := len(dims)
	inner, innerStride := dims[rank-1], strides[rank-1]
	outer := len(out) / inner
	const chunk = 256
	parallelFor(numWorkersMem(len(out)), ceilDiv(outer, chunk), func(c int) {
		r0, r1 := c*chunk, min(outer, (c+1)*chunk)
		// Odometer over the outer axes, started at row r0.
		idx := make([]int, rank-1)
		off := 0
		for a, rem := rank-2, r0; a >= 0; a-- {
			idx[a] = rem % dims[a]
			rem /= dims[a]
			off += idx[a] * strides[a]
		}
		for r := r0; r < r1; r++ {
			dst := out[r*inner : (r+1)*inner]
			if innerStride == 1 {
				copy(dst, src[off:off+inner])
			} else {
				j := off
				for i := range dst {
					dst[i] = src[j]
					j += innerStride
				}
			}
			for a := rank - 2; a >= 0; a-- {
				idx[a]++
				off += strides[a]
				if idx[a] < dims[a] {
					break
				}
				off -= idx[a] * strides[a]
				idx[a] = 0
			}
		}
	})
}

// execSlice copies a strided box of the input: the output is walked in order, the input with per-axis strides.
func execSlice(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	const op = backends.OpTypeSlice
	nm := nodeOf(node)
	p := dataAs[sliceData](nm, sliceType)
	operand := bufOf(in[0])
	inDims, outDims := operand.shape.Dimensions, nm.shape.Dimensions
	if p == nil || len(p.starts) != len(inDims) || len(outDims) != len(inDims) ||
		(p.strides != nil && len(p.strides) != len(inDims)) {
		return fallback(op, be, node, in, owned)
	}
	strides := make([]int, len(inDims))
	base, s := 0, 1
	for a := len(inDims) - 1; a >= 0; a-- {
		step := 1
		if p.strides != nil {
			step = p.strides[a]
		}
		base += p.starts[a] * s
		strides[a] = s * step
		s *= inDims[a]
	}
	dims, st := mergeAxes(outDims, strides)
	switch src := operand.flat.(type) {
	case []float32:
		out := be.NewBuffer(nm.shape)
		transpose(bufOf(out).flat.([]float32), src[base:], dims, st[0])
		fastCalls[op].Add(1)
		return out, nil
	case []float64:
		out := be.NewBuffer(nm.shape)
		transpose(bufOf(out).flat.([]float64), src[base:], dims, st[0])
		fastCalls[op].Add(1)
		return out, nil
	}
	return fallback(op, be, node, in, owned)
}
