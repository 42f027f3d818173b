package nn

import (
	"math/rand/v2"
	"sync/atomic"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"gonum.org/v1/gonum/mat"
)

// Orthogonal returns an initializer of weights with orthonormal rows or columns, times gain (Saxe et al. 2014,
// "Exact solutions to the nonlinear dynamics of learning in deep linear neural networks", arXiv:1312.6120): a
// weight of shape [..., out] is viewed as a matrix [rows, out]; a Gaussian matrix of the larger side by the smaller
// is factored as QR, Q's columns take the signs of R's diagonal (so the draw is uniform over orthogonal matrices),
// and Q (transposed when rows < out) becomes the weight. Rank ≤ 1 variables (biases) are zero.
//
// The matrices are drawn on the host from seed: the n-th variable the initializer creates uses stream n, so a
// model built in the same order gets the same weights.
func Orthogonal(seed uint64, gain float64) initializers.VariableInitializer {
	var calls atomic.Uint64
	return func(g *Graph, shape shapes.Shape) *Node {
		if shape.Rank() <= 1 || (shape.DType != dtypes.Float32 && shape.DType != dtypes.Float64) {
			return Zeros(g, shape)
		}
		out := shape.Dimensions[shape.Rank()-1]
		rows := shape.Size() / out
		q := orthogonalMatrix(rand.New(rand.NewPCG(seed, calls.Add(1))), rows, out)
		if shape.DType == dtypes.Float64 {
			for i := range q {
				q[i] *= gain
			}
			return Reshape(Const(g, q), shape.Dimensions...)
		}
		q32 := make([]float32, len(q))
		for i, v := range q {
			q32[i] = float32(v * gain)
		}
		return Reshape(Const(g, q32), shape.Dimensions...)
	}
}

// orthogonalMatrix returns a rows×cols row-major matrix with orthonormal columns (rows ≥ cols) or rows.
func orthogonalMatrix(rng *rand.Rand, rows, cols int) []float64 {
	big, small := max(rows, cols), min(rows, cols)
	a := mat.NewDense(big, small, nil)
	for i := range big {
		for j := range small {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q, r mat.Dense
	qr.QTo(&q) // big × big; its first `small` columns span a
	qr.RTo(&r)
	out := make([]float64, rows*cols)
	for i := range big {
		for j := range small {
			v := q.At(i, j)
			if r.At(j, j) < 0 {
				v = -v
			}
			if rows >= cols {
				out[i*cols+j] = v
			} else {
				out[j*cols+i] = v
			}
		}
	}
	return out
}
