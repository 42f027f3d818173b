package nn

import (
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// SpectralNormalize divides w by an estimate of its largest singular value σ(W), obtained with one power iteration
// started from u (Miyato et al. 2018, "Spectral Normalization for Generative Adversarial Networks",
// arXiv:1802.05957). W is w reshaped to [rows, out] with out = w's last axis, and u has shape [out].
//
// It returns w/σ, the new u (to carry to the next step) and σ. As in the paper, u and v are treated as
// constants (StopGradient), so the gradient flows through W in both w and σ = vᵀ·W·u.
func SpectralNormalize(w, u *Node) (wNormalized, uNew, sigma *Node) {
	if w.Rank() < 2 {
		panicf("nn.SpectralNormalize: weights must have rank >= 2, got %s", w.Shape())
	}
	out := w.Shape().Dimensions[w.Rank()-1]
	if u.Rank() != 1 || u.Shape().Dimensions[0] != out || u.DType() != w.DType() {
		panicf("nn.SpectralNormalize: u must be [%d] %s to match weights %s, got %s", out, w.DType(), w.Shape(), u.Shape())
	}
	m := Reshape(w, -1, out)
	normalize := func(x *Node) *Node { return Div(x, AddScalar(L2Norm(x), 1e-12)) }
	uN := normalize(StopGradient(u))
	v := StopGradient(normalize(DotGeneral(m, []int{1}, nil, uN, []int{0}, nil)))   // [rows]
	uNew = StopGradient(normalize(DotGeneral(m, []int{0}, nil, v, []int{0}, nil)))  // [out]
	sigma = ReduceAllSum(Mul(v, DotGeneral(m, []int{1}, nil, uNew, []int{0}, nil))) // vᵀ W u
	return Div(w, sigma), uNew, sigma
}

// spectralNormVar normalises w with the non-trainable vector "sn_u" of ctx, updated only in training graphs.
func spectralNormVar(ctx *context.Context, w *Node) *Node {
	g := w.Graph()
	out := w.Shape().Dimensions[w.Rank()-1]
	uVar := ctx.WithInitializer(initializers.RandomNormalFn(ctx, 1.0)).
		VariableWithShape("sn_u", shapes.Make(w.DType(), out)).SetTrainable(false)
	wn, uNew, _ := SpectralNormalize(w, uVar.ValueGraph(g))
	if ctx.IsTraining(g) {
		uVar.SetValueGraph(uNew)
	}
	return wn
}

// DenseBuilder configures a fully connected layer; call Done to build it.
type DenseBuilder struct {
	ctx      *context.Context
	x        *Node
	out      int
	bias     bool
	spectral bool
}

// Dense starts a fully connected layer x [..., in] -> [..., out], with variables "weights" [in, out] and
// "biases" [out] in ctx.In("dense"). Bias is on by default.
func Dense(ctx *context.Context, x *Node, out int) *DenseBuilder {
	return &DenseBuilder{ctx: ctx, x: x, out: out, bias: true}
}

// Bias sets whether a bias is added (default true).
func (b *DenseBuilder) Bias(useBias bool) *DenseBuilder { b.bias = useBias; return b }

// SpectralNorm divides the weights by their largest singular value, see SpectralNormalize.
func (b *DenseBuilder) SpectralNorm() *DenseBuilder { b.spectral = true; return b }

// Done creates the variables and returns the output.
func (b *DenseBuilder) Done() *Node {
	x := b.x
	if x == nil || x.Rank() < 1 || !x.DType().IsFloat() {
		panicf("nn.Dense: input must be a float tensor of rank >= 1, got %v", shapeOf(x))
	}
	if b.out <= 0 {
		panicf("nn.Dense: output size must be positive, got %d", b.out)
	}
	ctx := b.ctx.In("dense")
	g := x.Graph()
	in := x.Shape().Dimensions[x.Rank()-1]
	w := ctx.VariableWithShape("weights", shapes.Make(x.DType(), in, b.out)).ValueGraph(g)
	if b.spectral {
		w = spectralNormVar(ctx, w)
	}
	y := DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{0}, nil)
	if b.bias {
		bias := ctx.WithInitializer(initializers.Zero).
			VariableWithShape("biases", shapes.Make(x.DType(), b.out)).ValueGraph(g)
		y = Add(y, ExpandLeftToRank(bias, y.Rank()))
	}
	return y
}

func shapeOf(x *Node) any {
	if x == nil {
		return "nil"
	}
	return x.Shape()
}

// BatchNormBuilder configures batch normalisation; call Done to build it.
type BatchNormBuilder struct {
	ctx           *context.Context
	x             *Node
	momentum      float64
	epsilon       float64
	scale, center bool
}

// BatchNorm starts a batch normalisation (Ioffe & Szegedy 2015, arXiv:1502.03167) of x [B, C] or [B, H, W, C] over
// all axes but the last. In training graphs (ctx.IsTraining(g)) it uses the batch statistics and updates the
// moving mean and (unbiased) variance, non-trainable variables "mean" and "variance" in ctx.In("batch_norm");
// otherwise it uses the moving averages. Defaults: momentum 0.9, epsilon 1e-5, scale and center on.
func BatchNorm(ctx *context.Context, x *Node) *BatchNormBuilder {
	return &BatchNormBuilder{ctx: ctx, x: x, momentum: 0.9, epsilon: 1e-5, scale: true, center: true}
}

// Momentum of the moving averages: moving = momentum*moving + (1-momentum)*batch (Keras convention; PyTorch's
// momentum=0.1 is Momentum(0.9)).
func (b *BatchNormBuilder) Momentum(m float64) *BatchNormBuilder { b.momentum = m; return b }

// Epsilon added to the variance before the square root.
func (b *BatchNormBuilder) Epsilon(eps float64) *BatchNormBuilder { b.epsilon = eps; return b }

// Scale sets whether a learned per-channel scale ("scale", init 1) is applied.
func (b *BatchNormBuilder) Scale(on bool) *BatchNormBuilder { b.scale = on; return b }

// Center sets whether a learned per-channel offset ("offset", init 0) is added.
func (b *BatchNormBuilder) Center(on bool) *BatchNormBuilder { b.center = on; return b }

// Done creates the variables and returns the normalised x.
func (b *BatchNormBuilder) Done() *Node {
	x := b.x
	if x == nil || x.Rank() < 2 || !x.DType().IsFloat() {
		panicf("nn.BatchNorm: input must be a float tensor [B, C] or [B, H, W, C], got %v", shapeOf(x))
	}
	if !(b.momentum >= 0 && b.momentum <= 1) { // written so that NaN is rejected too
		panicf("nn.BatchNorm: momentum must be in [0, 1], got %g", b.momentum)
	}
	if !(b.epsilon >= 0) || math.IsInf(b.epsilon, 1) { // NaN and +Inf rejected too
		panicf("nn.BatchNorm: epsilon must be finite and >= 0, got %g", b.epsilon)
	}
	ctx := b.ctx.In("batch_norm")
	g := x.Graph()
	dtype := x.DType()
	rank := x.Rank()
	c := x.Shape().Dimensions[rank-1]
	varShape := shapes.Make(dtype, c)
	bcast := func(v *Node) *Node { return ExpandLeftToRank(v, rank) }
	meanVar := ctx.WithInitializer(initializers.Zero).VariableWithShape("mean", varShape).SetTrainable(false)
	varianceVar := ctx.WithInitializer(initializers.One).VariableWithShape("variance", varShape).SetTrainable(false)
	axes := make([]int, rank-1)
	for i := range axes {
		axes[i] = i
	}
	// y = (x − mean)·scale + offset with the per-channel scale = γ/√(var + ε): the full-size work is one
	// subtraction, one square (for the variance), one multiplication and one addition, and the same few ops in the
	// gradient (dividing by the broadcast √(var + ε) and then multiplying by γ would add two full-size ops, and
	// their gradients several more).
	var gamma, beta *Node
	if b.scale {
		gamma = ctx.WithInitializer(initializers.One).VariableWithShape("scale", varShape).ValueGraph(g)
	}
	if b.center {
		beta = ctx.WithInitializer(initializers.Zero).VariableWithShape("offset", varShape).ValueGraph(g)
	}
	var centered, variance *Node
	if ctx.IsTraining(g) {
		mean := ReduceMean(x, axes...)
		centered = Sub(x, bcast(mean))
		variance = ReduceMean(Square(centered), axes...)
		n := x.Shape().Size() / c
		unbiased := MulScalar(StopGradient(variance), float64(n)/float64(max(n-1, 1)))
		m := b.momentum
		meanVar.SetValueGraph(Add(MulScalar(meanVar.ValueGraph(g), m), MulScalar(StopGradient(mean), 1-m)))
		varianceVar.SetValueGraph(Add(MulScalar(varianceVar.ValueGraph(g), m), MulScalar(unbiased, 1-m)))
	} else {
		centered = Sub(x, bcast(meanVar.ValueGraph(g)))
		variance = varianceVar.ValueGraph(g)
	}
	// Div by Sqrt rather than Rsqrt: GoMLX v0.26 has no gradient for Rsqrt.
	scale := Div(ScalarOne(g, dtype), Sqrt(AddScalar(variance, b.epsilon)))
	if gamma != nil {
		scale = Mul(scale, gamma)
	}
	normalized := Mul(centered, bcast(scale))
	if beta != nil {
		normalized = Add(normalized, bcast(beta))
	}
	return normalized
}
