package fastcpu

import (
	"math"
	"slices"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// The ops here are memory-bound loops whose stock versions branch on data (Where on its condition, Sign on the
// value's sign): with random signs, as in the gradients of ReLU/LeakyReLU, half the branches mispredict. These
// select with bit masks instead (Go emits branches for float conditionals), and run in parallel.

const elemChunk = 1 << 14

// execWhere handles float32 Where with a full-shape condition and full-shape or scalar branches.
func execWhere(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	const op = backends.OpTypeWhere
	nm := nodeOf(node)
	cond, onTrue, onFalse := bufOf(in[0]), bufOf(in[1]), bufOf(in[2])
	c, cok := cond.flat.([]bool)
	t, tok := onTrue.flat.([]float32)
	f, fok := onFalse.flat.([]float32)
	size := nm.shape.Size()
	if !cok || !tok || !fok || len(c) != size || (len(t) != size && len(t) != 1) || (len(f) != size && len(f) != 1) ||
		!slices.Equal(cond.shape.Dimensions, nm.shape.Dimensions) {
		return fallback(op, be, node, in, owned)
	}
	var out *simplego.Buffer
	switch {
	case len(t) == size && owned[1] && onTrue.shape.Equal(nm.shape):
		out, in[1] = in[1], nil
	case len(f) == size && owned[2] && onFalse.shape.Equal(nm.shape):
		out, in[2] = in[2], nil
	default:
		out = be.NewBuffer(nm.shape)
	}
	dst := bufOf(out).flat.([]float32)
	parallelFor(numWorkersMem(size), ceilDiv(size, elemChunk), func(ch int) {
		lo, hi := ch*elemChunk, min(size, (ch+1)*elemChunk)
		d := dst[lo:hi]
		cc := c[lo:hi]
		cc = cc[:len(d)]
		// One loop per branch shape (full or scalar), each a straight bit select: fb ^ (tb^fb)&mask.
		switch {
		case len(t) == size && len(f) == size:
			tt, ff := t[lo:hi], f[lo:hi]
			tt, ff = tt[:len(d)], ff[:len(d)]
			for i := range d {
				m := -uint32(boolByte(cc[i])) // all ones when true
				tb, fb := math.Float32bits(tt[i]), math.Float32bits(ff[i])
				d[i] = math.Float32frombits(fb ^ (tb^fb)&m)
			}
		case len(t) == size:
			tt, fb := t[lo:hi], math.Float32bits(f[0])
			tt = tt[:len(d)]
			for i := range d {
				m := -uint32(boolByte(cc[i]))
				d[i] = math.Float32frombits(fb ^ (math.Float32bits(tt[i])^fb)&m)
			}
		case len(f) == size:
			tb, ff := math.Float32bits(t[0]), f[lo:hi]
			ff = ff[:len(d)]
			for i := range d {
				m := -uint32(boolByte(cc[i]))
				fb := math.Float32bits(ff[i])
				d[i] = math.Float32frombits(fb ^ (tb^fb)&m)
			}
		default:
			tb, fb := math.Float32bits(t[0]), math.Float32bits(f[0])
			diff := tb ^ fb
			for i := range d {
				d[i] = math.Float32frombits(fb ^ diff&-uint32(boolByte(cc[i])))
			}
		}
	})
	fastCalls[op].Add(1)
	return out, nil
}

// passthrough returns in[0]'s data with the node's shape: the input buffer itself when this was its last use,
// else a (parallel) copy. For ops that only relabel dimensions (identity Transpose, ReduceSum over size-1 axes).
func passthrough[T float](be *simplego.Backend, nm *nodeMirror, in []*simplego.Buffer, owned []bool) *simplego.Buffer {
	if owned[0] {
		out := in[0]
		in[0] = nil
		bufOf(out).shape = nm.shape
		return out
	}
	src := bufOf(in[0]).flat.([]T)
	out := be.NewBuffer(nm.shape)
	dst := bufOf(out).flat.([]T)
	parallelFor(numWorkersMem(len(src)), ceilDiv(len(src), elemChunk), func(ch int) {
		lo, hi := ch*elemChunk, min(len(src), (ch+1)*elemChunk)
		copy(dst[lo:hi], src[lo:hi])
	})
	return out
}

// execSign handles float32 Sign: -1, 0 or 1 (NaN stays NaN).
func execSign(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	const op = backends.OpTypeSign
	nm := nodeOf(node)
	x, ok := bufOf(in[0]).flat.([]float32)
	if !ok {
		return fallback(op, be, node, in, owned)
	}
	var out *simplego.Buffer
	if owned[0] {
		out, in[0] = in[0], nil
	} else {
		out = be.NewBuffer(nm.shape)
	}
	bufOf(out).shape = nm.shape
	dst := bufOf(out).flat.([]float32)
	parallelFor(numWorkersMem(len(x)), ceilDiv(len(x), elemChunk), func(ch int) {
		lo, hi := ch*elemChunk, min(len(x), (ch+1)*elemChunk)
		xs, d := x[lo:hi], dst[lo:hi]
		for i, v := range xs {
			d[i] = signBits(v)
		}
	})
	fastCalls[op].Add(1)
	return out, nil
}

// boolByte reads a bool as its byte (0 or 1) without a branch.
func boolByte(b bool) uint8 { return *(*uint8)(unsafe.Pointer(&b)) }

// signBits is Sign without branches: ±1 keeping v's sign bit, ±0 for ±0, NaN for NaN.
func signBits(v float32) float32 {
	b := math.Float32bits(v)
	abs := b & 0x7fffffff
	nonZero := uint32(int32(abs|-abs) >> 31)            // all ones unless ±0
	isNaN := uint32(int32(0x7f800000-int32(abs)) >> 31) // all ones for NaN
	r := b&0x80000000 | 0x3f800000&nonZero
	return math.Float32frombits(r&^isNaN | b&isNaN)
}
