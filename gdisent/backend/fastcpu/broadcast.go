package fastcpu

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// execBroadcastInDim copies the operand along the broadcast axes row by row, in parallel (SimpleGo's executor
// walks a per-element index iterator on one core). GoMLX's gradients materialise many such broadcasts: per-channel
// statistics and biases expanded to activation size, zeros for a Where.
func execBroadcastInDim(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	const op = backends.OpTypeBroadcastInDim
	nm := nodeOf(node)
	axes, ok := nm.data.([]int)
	operand := bufOf(in[0])
	outDims, inDims := nm.shape.Dimensions, operand.shape.Dimensions
	if !ok || len(axes) != len(inDims) || operand.shape.DType != nm.shape.DType {
		return fallback(op, be, node, in, owned)
	}
	// Operand stride for each output axis: 0 where it is broadcast.
	inStrides := stridesOf(inDims)
	strides := make([]int, len(outDims))
	for i, a := range axes {
		if a < 0 || a >= len(outDims) || (inDims[i] != outDims[a] && inDims[i] != 1) {
			return fallback(op, be, node, in, owned)
		}
		if inDims[i] == outDims[a] {
			strides[a] = inStrides[i]
		}
	}
	out := be.NewBuffer(nm.shape)
	var done bool
	switch dst := bufOf(out).flat.(type) {
	case []float32:
		done = broadcastInto(dst, operand.flat, outDims, strides)
	case []float64:
		done = broadcastInto(dst, operand.flat, outDims, strides)
	case []bool:
		done = broadcastInto(dst, operand.flat, outDims, strides)
	case []int32:
		done = broadcastInto(dst, operand.flat, outDims, strides)
	case []int64:
		done = broadcastInto(dst, operand.flat, outDims, strides)
	}
	if !done {
		be.BufferFinalize(out)
		return fallback(op, be, node, in, owned)
	}
	fastCalls[op].Add(1)
	return out, nil
}

// broadcastInto fills dst (row-major over outDims) with src[Σ idx·strides]; false if src is not a []T.
func broadcastInto[T any](dst []T, srcAny any, outDims, strides []int) bool {
	src, ok := srcAny.([]T)
	if !ok {
		return false
	}
	if len(dst) == 0 {
		return true
	}
	dims, st := mergeAxes(outDims, strides)
	s := st[0]
	innerStride := s[len(dims)-1]
	forRows(dims, st, len(dst), func(o int, offs []int, n int) {
		d := dst[o : o+n]
		switch innerStride {
		case 1:
			copy(d, src[offs[0]:offs[0]+n])
		case 0:
			v := src[offs[0]]
			for i := range d {
				d[i] = v
			}
		default:
			for i := range d {
				d[i] = src[offs[0]+i*innerStride]
			}
		}
	})
	return true
}
