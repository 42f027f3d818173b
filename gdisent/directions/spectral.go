package directions

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// SpectralOptions configure SpectralAlignmentLoss.
type SpectralOptions struct {
	K          int     // number of leading right-singular vectors to align (default 1)
	Iterations int     // detached block power iterations before the final differentiable one (default 5)
	FDStep     float64 // > 0: Jv by central differences (keeps the loss second order); 0: double-VJP
}

// AxisAlignmentLoss is the alignment penalty on vectors v [B, k, D] (each normalised to unit norm here):
//
//	L = (1/B) Σ_b Σ_i (1 − Σ_j v̂_{b,i,j}⁴),
//
// zero exactly when every vector is a signed coordinate axis and positive otherwise (for a unit vector
// Σ_j v_j⁴ ≤ max_j v_j² ≤ 1 with equality only at ±e_j); at most k(1 − 1/D) per example.
func AxisAlignmentLoss(v *Node) *Node {
	if v.Rank() != 3 {
		panicf("directions.AxisAlignmentLoss: v must be [batch, k, D], got %s", v.Shape())
	}
	sq := Square(v)
	norm2 := ReduceAndKeep(sq, ReduceSum, -1)
	p := Div(sq, Add(norm2, Scalar(v.Graph(), v.DType(), 1e-30))) // v̂², sums to 1 per vector
	perVec := OneMinus(ReduceSum(Square(p), -1))                  // 1 − Σ v̂⁴
	return ReduceAllMean(ReduceSum(perVec, -1))
}

// gramSchmidt orthonormalises the k vectors of v [B, k, D] per batch element.
func gramSchmidt(v *Node) *Node {
	k := v.Shape().Dimensions[1]
	var qs []*Node
	tiny := Scalar(v.Graph(), v.DType(), 1e-30)
	for i := range k {
		vi := Slice(v, AxisRange(), AxisRange(i, i+1), AxisRange()) // [B, 1, D]
		for _, q := range qs {
			vi = Sub(vi, Mul(ReduceAndKeep(Mul(vi, q), ReduceSum, -1), q))
		}
		vi = Div(vi, Sqrt(Add(ReduceAndKeep(Square(vi), ReduceSum, -1), tiny)))
		qs = append(qs, vi)
	}
	return Concatenate(qs, 1)
}

// LeadingVectors estimates the top-k right-singular vectors of J = ∂G/∂z at each z [B, D] by detached block
// power iteration on JᵀJ from a random start (ctx's RNG), returning them orthonormal as [B, k, D].
func LeadingVectors(ctx *context.Context, gen Generator, z *Node, k, iterations int, fdStep float64) *Node {
	if z.Rank() != 2 {
		panicf("directions.LeadingVectors: z must be [batch, dim], got %s", z.Shape())
	}
	bsz, d := z.Shape().Dimensions[0], z.Shape().Dimensions[1]
	if k <= 0 || k > d {
		panicf("directions.LeadingVectors: k=%d must be in [1, %d]", k, d)
	}
	zs := StopGradient(Reshape(BroadcastToDims(InsertAxes(z, 1), bsz, k, d), bsz*k, d))
	v := gramSchmidt(ctx.RandomNormal(z.Graph(), shapes.Make(z.DType(), bsz, k, d)))
	for range iterations {
		mv := StopGradient(JtJv(ctx, gen, zs, Reshape(v, bsz*k, d), fdStep))
		v = StopGradient(gramSchmidt(Reshape(mv, bsz, k, d)))
	}
	return v
}

// SpectralAlignmentLoss is gdisent's spectral regularizer after Ramesh, Choi & LeCun 2018 ("aligns the leading
// right-singular vectors of the generator's Jacobian with the coordinate axes"). The paper's exact loss was not
// available (UNVERIFIED); the loss used here is:
//
//	V  = detached block power iteration (opts.Iterations steps, QR by Gram–Schmidt) for the top-k
//	     right-singular vectors of J(z) = ∂G/∂z, at each z of the batch;
//	W  = JᵀJ V, one more product that is differentiable w.r.t. G's parameters (as in spectral normalisation);
//	L  = AxisAlignmentLoss(W) = (1/B) Σ_b Σ_i (1 − Σ_j ŵ_{b,i,j}⁴),  ŵ = w/‖w‖.
//
// ŵ_i is the next power-iteration estimate of v_i, so L is zero iff the leading singular vectors are axes.
// The quartic (varimax-like) form was chosen over Σ_i (1 − max_j v_ij²) because it is smooth (gradients reach
// every coordinate, not only the arg-max), sign- and permutation-invariant, and bounded. Add λ·L to G's loss;
// it needs second-order gradients of G (third order with FDStep = 0).
func SpectralAlignmentLoss(ctx *context.Context, gen Generator, z *Node, opts SpectralOptions) *Node {
	if opts.K == 0 {
		opts.K = 1
	}
	if opts.Iterations == 0 {
		opts.Iterations = 5
	}
	bsz, d := z.Shape().Dimensions[0], z.Shape().Dimensions[1]
	v := LeadingVectors(ctx, gen, z, opts.K, opts.Iterations, opts.FDStep)
	zs := StopGradient(Reshape(BroadcastToDims(InsertAxes(z, 1), bsz, opts.K, d), bsz*opts.K, d))
	w := JtJv(ctx, gen, zs, Reshape(v, bsz*opts.K, d), opts.FDStep)
	return AxisAlignmentLoss(Reshape(w, bsz, opts.K, d))
}
