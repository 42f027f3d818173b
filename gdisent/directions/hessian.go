package directions

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Reduction says how a per-element penalty is reduced to a scalar.
type Reduction int

const (
	ReduceByMax  Reduction = iota // max over batch and output elements (the Hessian Penalty default)
	ReduceByMean                  // mean (the BigGAN direction-discovery code)
)

// HessianOptions configure HessianPenalty. Zero values take the paper's defaults.
type HessianOptions struct {
	K       int     // Rademacher samples (default 2; must be ≥ 2 for a variance)
	Epsilon float64 // finite-difference step (default 0.1); the penalty scales as O(1/ε⁴)
	Reduce  Reduction
}

func (o HessianOptions) withDefaults() HessianOptions {
	if o.K == 0 {
		o.K = 2
	}
	if o.Epsilon == 0 {
		o.Epsilon = 0.1
	}
	return o
}

// HessianPenalty is the unbiased estimator of Σ_{i≠j} (∂²f/∂z_i∂z_j)² of Peebles et al. 2020 (eq. 5 and
// hessian_penalty_pytorch.py): for K Rademacher vectors x ∈ {±ε}^D it takes, per output element, the
// unbiased (ddof = 1) variance over the K samples of the central second difference
// (f(z+x) − 2f(z) + f(z−x)) / ε², and reduces it with max (default) or mean. f must be per-example;
// z is [B, D]. The random signs come from ctx's RNG. All 2K+1 evaluations run as one batched call of f.
func HessianPenalty(ctx *context.Context, f func(z *Node) *Node, z *Node, opts HessianOptions) *Node {
	opts = opts.withDefaults()
	if opts.K < 2 {
		panicf("directions.HessianPenalty: K=%d, need at least 2 samples for a variance", opts.K)
	}
	if opts.Epsilon <= 0 {
		panicf("directions.HessianPenalty: epsilon must be positive, got %g", opts.Epsilon)
	}
	if z.Rank() != 2 {
		panicf("directions.HessianPenalty: z must be [batch, dim], got %s", z.Shape())
	}
	g := z.Graph()
	bsz, d := z.Shape().Dimensions[0], z.Shape().Dimensions[1]
	u := ctx.RandomUniform(g, shapes.Make(z.DType(), opts.K, bsz, d))
	x := MulScalar(Sub(MulScalar(ConvertDType(GreaterOrEqual(u, Scalar(g, z.DType(), 0.5)), z.DType()), 2), OnesLike(u)), opts.Epsilon)
	zk := BroadcastToDims(InsertAxes(z, 0), opts.K, bsz, d)
	all := Concatenate([]*Node{z, Reshape(Add(zk, x), opts.K*bsz, d), Reshape(Sub(zk, x), opts.K*bsz, d)}, 0)
	out := f(all)
	if out.Rank() < 1 || out.Shape().Dimensions[0] != (2*opts.K+1)*bsz {
		panicf("directions.HessianPenalty: f output %s does not keep the batch axis", out.Shape())
	}
	out = Reshape(out, (2*opts.K+1)*bsz, -1)
	p := out.Shape().Dimensions[1]
	f0 := Slice(out, AxisRange(0, bsz))
	fp := Reshape(Slice(out, AxisRange(bsz, (opts.K+1)*bsz)), opts.K, bsz, p)
	fm := Reshape(Slice(out, AxisRange((opts.K+1)*bsz, (2*opts.K+1)*bsz)), opts.K, bsz, p)
	sdd := DivScalar(Add(Sub(fp, MulScalar(InsertAxes(f0, 0), 2)), fm), opts.Epsilon*opts.Epsilon) // [K, B, P]
	mean := ReduceAndKeep(sdd, ReduceMean, 0)
	variance := DivScalar(ReduceSum(Square(Sub(sdd, mean)), 0), float64(opts.K-1)) // [B, P]
	if opts.Reduce == ReduceByMean {
		return ReduceAllMean(variance)
	}
	return ReduceAllMax(variance)
}

// GeneratorHessianPenalty is HessianPenalty of G at z, for use as a training regularizer in G's loss (ramp its
// weight up as advised by Peebles et al.). G's variables must exist (see the package doc).
func GeneratorHessianPenalty(ctx *context.Context, gen Generator, z *Node, opts HessianOptions) *Node {
	return HessianPenalty(ctx, func(zz *Node) *Node { return genReuse(ctx, gen, zz) }, z, opts)
}
