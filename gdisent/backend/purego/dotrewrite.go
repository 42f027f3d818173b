package purego

import (
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Matmul-gradient rewrite.
//
// GoMLX v0.26 builds the VJP of Dot/DotGeneral as ReduceSum(Mul(A, B)), where A and B are the operands (or the
// incoming gradient) with unit axes inserted, transposed and broadcast. SimpleGo materialises the Mul: a full
// outer product (e.g. 16.7M elements for a 1024→256 Dense layer at batch 64). The Builder records every
// view-like op (Reshape, Transpose, Broadcast, BroadcastInDim) and every Mul; when ReduceSum's operand is such a
// Mul whose sides trace back to base tensors a and b, it emits DotGeneral(a, b) plus a Transpose/Reshape instead.
// The Mul and broadcast nodes stay in the graph but are never executed, because SimpleGo only runs nodes the
// outputs depend on.

type viewKind int

const (
	viewReshape viewKind = iota
	viewTranspose
	viewBroadcast
	viewBroadcastInDim
)

type viewRecord struct {
	kind  viewKind
	input backends.Op
	axes  []int // Transpose permutation, or BroadcastInDim broadcast axes.
}

// dotRewrites counts the rewrites done in this process (read by tests).
var dotRewrites atomic.Int64

func dotRewriteEnabled() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(NoDotRewriteEnv)))
	return !(v == "1" || v == "true" || v == "yes")
}

// SetDotRewrite enables or disables the matmul-gradient rewrite for ops added from now on. It overrides
// GDISENT_NO_DOT_REWRITE; mostly for tests.
func (b *Builder) SetDotRewrite(enabled bool) { b.dotRewrite = enabled }

func (b *Builder) record(op backends.Op, rec viewRecord) {
	if b.views != nil && op != nil {
		b.views[op] = rec
	}
}

// Reshape implements backends.Builder (recorded for the rewrite).
func (b *Builder) Reshape(x backends.Op, dims ...int) (backends.Op, error) {
	op, err := b.Builder.Reshape(x, dims...)
	if err == nil {
		b.record(op, viewRecord{kind: viewReshape, input: x})
	}
	return op, err
}

// Transpose implements backends.Builder (recorded for the rewrite).
func (b *Builder) Transpose(x backends.Op, permutation ...int) (backends.Op, error) {
	op, err := b.Builder.Transpose(x, permutation...)
	if err == nil {
		b.record(op, viewRecord{kind: viewTranspose, input: x, axes: slices.Clone(permutation)})
	}
	return op, err
}

// Broadcast implements backends.Builder (recorded for the rewrite).
func (b *Builder) Broadcast(x backends.Op, prefixDims ...int) (backends.Op, error) {
	op, err := b.Builder.Broadcast(x, prefixDims...)
	if err == nil {
		b.record(op, viewRecord{kind: viewBroadcast, input: x})
	}
	return op, err
}

// BroadcastInDim implements backends.Builder (recorded for the rewrite).
func (b *Builder) BroadcastInDim(x backends.Op, outputShape shapes.Shape, broadcastAxes []int) (backends.Op, error) {
	op, err := b.Builder.BroadcastInDim(x, outputShape, broadcastAxes)
	if err == nil {
		b.record(op, viewRecord{kind: viewBroadcastInDim, input: x, axes: slices.Clone(broadcastAxes)})
	}
	return op, err
}

// Mul implements backends.Builder (recorded for the rewrite).
func (b *Builder) Mul(lhs, rhs backends.Op) (backends.Op, error) {
	op, err := b.Builder.Mul(lhs, rhs)
	if err == nil && b.muls != nil {
		b.muls[op] = [2]backends.Op{lhs, rhs}
	}
	return op, err
}

// ReduceSum implements backends.Builder; reductions of outer products become a DotGeneral.
func (b *Builder) ReduceSum(x backends.Op, axes ...int) (backends.Op, error) {
	if b.dotRewrite && b.muls != nil {
		if pair, ok := b.muls[x]; ok {
			if op, ok := b.tryDotRewrite(x, pair[0], pair[1], axes); ok {
				dotRewrites.Add(1)
				return op, nil
			}
		}
	}
	return b.Builder.ReduceSum(x, axes...)
}

// trace follows view ops back from op. It returns the base op and, for each axis of op, the base axis it indexes
// (-1 for unit or broadcast axes). Every base axis of dimension > 1 appears exactly once.
func (b *Builder) trace(op backends.Op) (base backends.Op, src []int, ok bool) {
	shape, err := b.OpShape(op)
	if err != nil {
		return nil, nil, false
	}
	dims := shape.Dimensions
	identity := func() (backends.Op, []int, bool) {
		src := make([]int, len(dims))
		for i, d := range dims {
			src[i] = i
			if d == 1 {
				src[i] = -1
			}
		}
		return op, src, true
	}
	rec, found := b.views[op]
	if !found {
		return identity()
	}
	inShape, err := b.OpShape(rec.input)
	if err != nil {
		return identity()
	}
	base, inSrc, ok := b.trace(rec.input)
	if !ok {
		return identity()
	}
	src = make([]int, len(dims))
	for i := range src {
		src[i] = -1
	}
	switch rec.kind {
	case viewTranspose:
		for i, from := range rec.axes {
			src[i] = inSrc[from]
		}
	case viewReshape:
		// Only reshapes that insert or remove unit axes are followed.
		var inNonUnit, outNonUnit []int
		for i, d := range inShape.Dimensions {
			if d != 1 {
				inNonUnit = append(inNonUnit, i)
			}
		}
		for i, d := range dims {
			if d != 1 {
				outNonUnit = append(outNonUnit, i)
			}
		}
		if len(inNonUnit) != len(outNonUnit) {
			return identity()
		}
		for j, outAxis := range outNonUnit {
			if dims[outAxis] != inShape.Dimensions[inNonUnit[j]] {
				return identity()
			}
			src[outAxis] = inSrc[inNonUnit[j]]
		}
	case viewBroadcast:
		prefix := len(dims) - inShape.Rank()
		for i := range inShape.Rank() {
			src[prefix+i] = inSrc[i]
		}
	case viewBroadcastInDim:
		for i, outAxis := range rec.axes {
			if inShape.Dimensions[i] == dims[outAxis] {
				src[outAxis] = inSrc[i]
			}
		}
	}
	for i, d := range dims {
		if d == 1 {
			src[i] = -1
		}
	}
	return base, src, true
}

// squeezeBase reshapes base to drop its unit axes and renumbers src accordingly.
func (b *Builder) squeezeBase(base backends.Op, src []int) (backends.Op, []int, []int, bool) {
	shape, err := b.OpShape(base)
	if err != nil {
		return nil, nil, nil, false
	}
	newIdx := make([]int, shape.Rank())
	var dims []int
	for i, d := range shape.Dimensions {
		newIdx[i] = -1
		if d != 1 {
			newIdx[i] = len(dims)
			dims = append(dims, d)
		}
	}
	// Every non-unit base axis must be used exactly once.
	used := make([]int, shape.Rank())
	out := make([]int, len(src))
	for k, s := range src {
		out[k] = -1
		if s >= 0 {
			used[s]++
			out[k] = newIdx[s]
		}
	}
	for i, d := range shape.Dimensions {
		if d != 1 && used[i] != 1 {
			return nil, nil, nil, false
		}
	}
	if len(dims) != shape.Rank() {
		base, err = b.Builder.Reshape(base, dims...)
		if err != nil {
			return nil, nil, nil, false
		}
	}
	return base, out, dims, true
}

func (b *Builder) tryDotRewrite(x, lhs, rhs backends.Op, axes []int) (backends.Op, bool) {
	outShape, err := b.OpShape(x)
	if err != nil || !outShape.DType.IsFloat() || outShape.Rank() == 0 {
		return nil, false
	}
	rank := outShape.Rank()
	reduced := make([]bool, rank)
	for _, a := range axes {
		if a < 0 {
			a += rank
		}
		if a < 0 || a >= rank || reduced[a] {
			return nil, false
		}
		reduced[a] = true
	}
	for _, side := range []backends.Op{lhs, rhs} {
		s, err := b.OpShape(side)
		if err != nil || s.Rank() != rank {
			return nil, false
		}
	}
	aBase, aSrc, ok1 := b.trace(lhs)
	bBase, bSrc, ok2 := b.trace(rhs)
	if !ok1 || !ok2 {
		return nil, false
	}
	aBase, aSrc, aDims, ok1 := b.squeezeBase(aBase, aSrc)
	bBase, bSrc, bDims, ok2 := b.squeezeBase(bBase, bSrc)
	if !ok1 || !ok2 {
		return nil, false
	}
	if shapes.Make(outShape.DType, aDims...).Size() >= outShape.Size() ||
		shapes.Make(outShape.DType, bDims...).Size() >= outShape.Size() {
		return nil, false // Not an outer product: the Mul is no bigger than its operands.
	}
	var aContract, bContract, aBatch, bBatch []int
	// Output positions of the kept axes: batch, lhs cross or rhs cross.
	type kept struct{ kind, axis int }
	var keptAxes []kept
	for k := range rank {
		if outShape.Dimensions[k] == 1 {
			continue
		}
		ia, ib := aSrc[k], bSrc[k]
		switch {
		case ia >= 0 && ib >= 0 && reduced[k]:
			aContract, bContract = append(aContract, ia), append(bContract, ib)
		case ia >= 0 && ib >= 0:
			keptAxes = append(keptAxes, kept{0, len(aBatch)})
			aBatch, bBatch = append(aBatch, ia), append(bBatch, ib)
		case ia >= 0 && !reduced[k]:
			keptAxes = append(keptAxes, kept{1, ia})
		case ib >= 0 && !reduced[k]:
			keptAxes = append(keptAxes, kept{2, ib})
		default:
			return nil, false // Summing over an axis only one side (or neither) has.
		}
	}
	if len(aContract) == 0 {
		return nil, false
	}
	cross := func(n int, used ...[]int) []int {
		var out []int
		for i := range n {
			if !slices.Contains(used[0], i) && !slices.Contains(used[1], i) {
				out = append(out, i)
			}
		}
		return out
	}
	aCross := cross(len(aDims), aContract, aBatch)
	bCross := cross(len(bDims), bContract, bBatch)
	dot, err := b.Builder.DotGeneral(aBase, slices.Clone(aContract), slices.Clone(aBatch),
		bBase, slices.Clone(bContract), slices.Clone(bBatch))
	if err != nil {
		return nil, false
	}
	perm := make([]int, len(keptAxes))
	for i, k := range keptAxes {
		switch k.kind {
		case 0:
			perm[i] = k.axis
		case 1:
			perm[i] = len(aBatch) + slices.Index(aCross, k.axis)
		case 2:
			perm[i] = len(aBatch) + len(aCross) + slices.Index(bCross, k.axis)
		}
	}
	if len(perm) != len(aBatch)+len(aCross)+len(bCross) {
		return nil, false
	}
	result := dot
	isIdentity := true
	for i, p := range perm {
		if p != i {
			isIdentity = false
		}
	}
	if !isIdentity {
		if result, err = b.Builder.Transpose(result, perm...); err != nil {
			return nil, false
		}
	}
	var finalDims []int
	for k := range rank {
		if !reduced[k] {
			finalDims = append(finalDims, outShape.Dimensions[k])
		}
	}
	if len(finalDims) != len(perm) {
		if result, err = b.Builder.Reshape(result, finalDims...); err != nil {
			return nil, false
		}
	}
	return result, true
}

// DotRewrites returns how many matmul-gradient rewrites were done so far in this process, for tests and profiling.
func DotRewrites() int64 { return dotRewrites.Load() }
