package fastcpu

import (
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// unaryOps are float32 elementwise ops run in parallel chunks, each element computed exactly as SimpleGo's own
// executor does (in float64 for the transcendental ones), so results are bit-identical to stock.
var unaryOps = map[backends.OpType]func(dst, src []float32){
	backends.OpTypeNeg: func(d, s []float32) {
		for i, v := range s {
			d[i] = -v
		}
	},
	backends.OpTypeAbs: func(d, s []float32) {
		for i, v := range s {
			if v < 0 {
				v = -v
			}
			d[i] = v
		}
	},
	backends.OpTypeSqrt: func(d, s []float32) {
		for i, v := range s {
			d[i] = float32(math.Sqrt(float64(v)))
		}
	},
	backends.OpTypeExp: func(d, s []float32) {
		for i, v := range s {
			d[i] = float32(math.Exp(float64(v)))
		}
	},
	backends.OpTypeLog: func(d, s []float32) {
		for i, v := range s {
			d[i] = float32(math.Log(float64(v)))
		}
	},
	backends.OpTypeLog1p: func(d, s []float32) {
		for i, v := range s {
			d[i] = float32(math.Log1p(float64(v)))
		}
	},
	backends.OpTypeTanh: func(d, s []float32) {
		for i, v := range s {
			d[i] = float32(math.Tanh(float64(v)))
		}
	},
	backends.OpTypeLogistic: func(d, s []float32) {
		for i, v := range s {
			if v >= 0 {
				d[i] = float32(1.0 / (1.0 + math.Exp(-float64(v))))
			} else {
				e := math.Exp(float64(v))
				d[i] = float32(e / (1.0 + e))
			}
		}
	},
}

// execUnary runs a float32 op of unaryOps, in place when the input buffer is no longer needed.
func execUnary(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	nm := nodeOf(node)
	op := nm.opType
	fn := unaryOps[op]
	x, ok := bufOf(in[0]).flat.([]float32)
	if fn == nil || !ok || nm.shape.DType != dtypes.Float32 {
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
		fn(dst[lo:hi], x[lo:hi])
	})
	fastCalls[op].Add(1)
	return out, nil
}

// compareOps are float32 comparisons, for operands of the same shape or one scalar.
var compareOps = map[backends.OpType]func(a, b float32) bool{
	backends.OpTypeGreaterOrEqual: func(a, b float32) bool { return a >= b },
	backends.OpTypeGreaterThan:    func(a, b float32) bool { return a > b },
	backends.OpTypeLessOrEqual:    func(a, b float32) bool { return a <= b },
	backends.OpTypeLessThan:       func(a, b float32) bool { return a < b },
}

// execCompare runs a float32 comparison of compareOps in parallel chunks.
func execCompare(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
	nm := nodeOf(node)
	op := nm.opType
	cmp := compareOps[op]
	a, aok := bufOf(in[0]).flat.([]float32)
	b, bok := bufOf(in[1]).flat.([]float32)
	size := nm.shape.Size()
	if cmp == nil || !aok || !bok || nm.shape.DType != dtypes.Bool || (len(a) != size && len(a) != 1) ||
		(len(b) != size && len(b) != 1) {
		return fallback(op, be, node, in, owned)
	}
	out := be.NewBuffer(nm.shape)
	dst := bufOf(out).flat.([]bool)
	parallelFor(numWorkersMem(size), ceilDiv(size, elemChunk), func(ch int) {
		lo, hi := ch*elemChunk, min(size, (ch+1)*elemChunk)
		d := dst[lo:hi]
		if op == backends.OpTypeGreaterOrEqual {
			// The common one (ReLU and LeakyReLU masks), without a call per element.
			switch {
			case len(a) == size && len(b) == size:
				aa, bb := a[lo:hi], b[lo:hi]
				aa, bb = aa[:len(d)], bb[:len(d)]
				for i := range d {
					d[i] = aa[i] >= bb[i]
				}
				return
			case len(a) == size:
				aa, y := a[lo:hi], b[0]
				aa = aa[:len(d)]
				for i := range d {
					d[i] = aa[i] >= y
				}
				return
			}
		}
		switch {
		case len(a) == size && len(b) == size:
			aa, bb := a[lo:hi], b[lo:hi]
			aa, bb = aa[:len(d)], bb[:len(d)]
			for i := range d {
				d[i] = cmp(aa[i], bb[i])
			}
		case len(a) == size:
			aa, y := a[lo:hi], b[0]
			aa = aa[:len(d)]
			for i := range d {
				d[i] = cmp(aa[i], y)
			}
		case len(b) == size:
			x, bb := a[0], b[lo:hi]
			bb = bb[:len(d)]
			for i := range d {
				d[i] = cmp(x, bb[i])
			}
		default:
			v := cmp(a[0], b[0])
			for i := range d {
				d[i] = v
			}
		}
	})
	fastCalls[op].Add(1)
	return out, nil
}
