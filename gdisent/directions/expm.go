package directions

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// Default scaling-and-squaring parameters of Expm: accurate to ~1e-8 (relative) for ‖X‖ up to about 2^8.
const (
	ExpmSquarings = 8
	ExpmOrder     = 10
)

// Expm returns the matrix exponential of x [n, n] by scaling and squaring with a Taylor polynomial
// (Higham 2005, simplified: a fixed number of squarings, since the graph is static): exp(X) = (T(X/2^s))^(2^s)
// with T the degree-`order` Taylor sum evaluated by Horner's rule. Differentiable (only MatMul and adds).
func Expm(x *Node, squarings, order int) *Node {
	if x.Rank() != 2 || x.Shape().Dimensions[0] != x.Shape().Dimensions[1] {
		panicf("directions.Expm: need a square matrix, got %s", x.Shape())
	}
	if squarings < 0 || order < 1 {
		panicf("directions.Expm: need squarings ≥ 0 and order ≥ 1, got %d, %d", squarings, order)
	}
	n := x.Shape().Dimensions[0]
	eye := ConvertDType(Diagonal(x.Graph(), n), x.DType())
	a := DivScalar(x, float64(int(1)<<squarings))
	// Horner: T = I + A/1 (I + A/2 (I + ... (I + A/order))).
	t := eye
	for k := order; k >= 1; k-- {
		t = Add(eye, DivScalar(MatMul(a, t), float64(k)))
	}
	for range squarings {
		t = MatMul(t, t)
	}
	return t
}

// OrthogonalFromSkew returns the first k columns of expm(S − Sᵀ) for S [D, D]: a D×k matrix with orthonormal
// columns, the ORTHO parametrisation of Voynov & Babenko 2020.
func OrthogonalFromSkew(s *Node, k int) *Node {
	q := Expm(Sub(s, Transpose(s, 0, 1)), ExpmSquarings, ExpmOrder)
	d := s.Shape().Dimensions[0]
	if k <= 0 || k > d {
		panicf("directions.OrthogonalFromSkew: k=%d must be in [1, %d]", k, d)
	}
	return Slice(q, AxisRange(), AxisRange(0, k))
}
