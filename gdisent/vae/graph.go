package vae

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/nn"
)

// ModelScope is the context scope holding the VAE's variables (encoder and decoder).
const ModelScope = "vae"

// EncoderGraph maps images x [B, H, W, C] in [0, 1] to the posterior's mean and log-variance [B, latentDim], using
// cfg's architecture with variables in ctx.In("encoder").
func EncoderGraph(ctx *context.Context, cfg Config, x *Node) (mean, logVar *Node) {
	ctx = ctx.In("encoder")
	batch := x.Shape().Dimensions[0]
	h := x
	switch cfg.Arch {
	case ArchConv:
		for i, ch := range cfg.ConvChannels {
			h = nn.Conv(ctx.Inf("conv%d", i), h, ch).Kernel(4).Stride(2).Padding(1).Done()
			h = relu(h)
		}
		h = Reshape(h, batch, -1)
		h = relu(nn.Dense(ctx.In("fc"), h, cfg.Hidden).Done())
	case ArchMLP:
		h = Reshape(h, batch, -1)
		h = relu(nn.Dense(ctx.In("fc0"), h, cfg.Hidden).Done())
		h = relu(nn.Dense(ctx.In("fc1"), h, cfg.Hidden).Done())
	default:
		panic(errors.Errorf("vae: unknown architecture %q", cfg.Arch))
	}
	out := nn.Dense(ctx.In("out"), h, 2*cfg.LatentDim).Done()
	mean = Slice(out, AxisRange(), AxisRange(0, cfg.LatentDim))
	logVar = Slice(out, AxisRange(), AxisRange(cfg.LatentDim, 2*cfg.LatentDim))
	return
}

// DecoderGraph maps latents z [B, latentDim] to Bernoulli logits [B, H, W, C], with variables in
// ctx.In("decoder").
func DecoderGraph(ctx *context.Context, cfg Config, z *Node) *Node {
	ctx = ctx.In("decoder")
	batch := z.Shape().Dimensions[0]
	switch cfg.Arch {
	case ArchConv:
		n := len(cfg.ConvChannels)
		size := cfg.ImageSize >> n
		last := cfg.ConvChannels[n-1]
		h := relu(nn.Dense(ctx.In("fc"), z, cfg.Hidden).Done())
		h = relu(nn.Dense(ctx.In("fc_up"), h, size*size*last).Done())
		h = Reshape(h, batch, size, size, last)
		// Mirror of the encoder: channels ConvChannels[n-2], ..., ConvChannels[0], then the image channels.
		for i := n - 1; i >= 0; i-- {
			out := cfg.Channels
			if i > 0 {
				out = cfg.ConvChannels[i-1]
			}
			h = nn.ConvTranspose(ctx.Inf("deconv%d", n-1-i), h, out).Kernel(4).Stride(2).Padding(1).Done()
			if i > 0 {
				h = relu(h)
			}
		}
		return h
	case ArchMLP:
		h := relu(nn.Dense(ctx.In("fc0"), z, cfg.Hidden).Done())
		h = relu(nn.Dense(ctx.In("fc1"), h, cfg.Hidden).Done())
		h = nn.Dense(ctx.In("out"), h, cfg.ImageSize*cfg.ImageSize*cfg.Channels).Done()
		return Reshape(h, batch, cfg.ImageSize, cfg.ImageSize, cfg.Channels)
	default:
		panic(errors.Errorf("vae: unknown architecture %q", cfg.Arch))
	}
}

// KLPerLatent returns KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − log σ² − 1) per latent, averaged over the batch:
// shape [latentDim].
func KLPerLatent(mean, logVar *Node) *Node {
	kl := MulScalar(Sub(Add(Square(mean), Exp(logVar)), AddScalar(logVar, 1)), 0.5)
	return ReduceMean(kl, 0)
}

// BernoulliNLL returns the Bernoulli negative log-likelihood of targets x in [0, 1] under logits, summed over
// every axis but the first: shape [B]. It uses the stable BCE-with-logits form max(l, 0) − l·x + log(1 + e^−|l|).
func BernoulliNLL(logits, x *Node) *Node {
	bce := Add(Sub(Max(logits, ZerosLike(logits)), Mul(logits, x)), Log1p(Exp(Neg(Abs(logits)))))
	axes := make([]int, logits.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return ReduceSum(bce, axes...)
}

// Capacity returns AnnealedVAE's C(t) = min(C_max, C_max·t/T) for the int64 step t (float32 scalar).
func Capacity(step *Node, cMax float64, steps int) *Node {
	t := ConvertDType(step, dtypes.Float32)
	return MinScalar(MulScalar(t, cMax/float64(steps)), cMax)
}

// Reparameterize samples z = μ + σ·ε with ε ~ N(0, I) from the context's RNG.
func Reparameterize(ctx *context.Context, mean, logVar *Node) *Node {
	eps := ctx.RandomNormal(mean.Graph(), mean.Shape())
	return Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
}

// Terms are the pieces of the VAE objective for a batch.
type Terms struct {
	Loss, Reconstruction, KL *Node // scalars
	KLPerLatent              *Node // [latentDim]
	Capacity                 *Node // AnnealedVAE's C(t); nil otherwise
	DIP                      *Node // DIP-VAE's covariance penalty; nil otherwise

	Mean, LogVar, Z *Node            // posterior parameters and the sample z [B, latentDim]
	Decomposition   *KLDecomposition // β-TCVAE's MI / TC / dimension-wise KL; nil otherwise
	Factor          *FactorTerms     // FactorVAE's TC estimate and discriminator loss; nil otherwise
}

// LossGraph computes the objective for images x at step (int64 scalar), with variables under ctx. FactorVAE needs
// a second batch and permutations: use FactorLossGraph.
func LossGraph(ctx *context.Context, cfg Config, step, x *Node) Terms {
	mean, logVar := EncoderGraph(ctx, cfg, x)
	z := Reparameterize(ctx, mean, logVar)
	logits := DecoderGraph(ctx, cfg, z)
	t := Terms{Mean: mean, LogVar: logVar, Z: z}
	t.Reconstruction = ReduceAllMean(BernoulliNLL(logits, x))
	t.KLPerLatent = KLPerLatent(mean, logVar)
	t.KL = ReduceAllSum(t.KLPerLatent)
	switch cfg.Objective {
	case ObjectiveAnnealed:
		t.Capacity = Capacity(step, cfg.CapacityMax, cfg.CapacitySteps)
		t.Loss = Add(t.Reconstruction, MulScalar(Abs(Sub(t.KL, t.Capacity)), cfg.Gamma))
	case ObjectiveTC:
		d := DecomposeKL(z, mean, logVar, cfg.TCDatasetSize)
		t.Decomposition = &d
		t.Loss = Add(Add(t.Reconstruction, t.KL), MulScalar(d.TC, cfg.Beta-1))
	case ObjectiveDIPI, ObjectiveDIPII:
		t.DIP = DIPPenalty(DIPCovariance(mean, logVar, cfg.Objective == ObjectiveDIPII), cfg.DIPLambdaOD, cfg.DIPLambdaD)
		t.Loss = Add(Add(t.Reconstruction, t.KL), t.DIP)
	case ObjectiveFactor:
		panic(errors.New("vae.LossGraph: FactorVAE needs a second batch; use FactorLossGraph"))
	default:
		t.Loss = Add(t.Reconstruction, MulScalar(t.KL, cfg.Beta))
	}
	return t
}

// FactorLossGraph computes FactorVAE's objective (Kim & Mnih 2018, Alg. 1): the VAE loss rec + KL + γ·TC on
// batch x, and the discriminator loss on z(x) against dimension-wise permuted posterior samples of batch x2 (perm
// [B, latentDim], see RandomPermutations). ctx is the VAE's scope; the discriminator lives in DiscriminatorScope.
func FactorLossGraph(ctx *context.Context, cfg Config, step, x, x2, perm *Node) Terms {
	c := cfg
	c.Objective = ObjectiveBeta
	c.Beta = 1
	t := LossGraph(ctx, c, step, x)
	m2, lv2 := EncoderGraph(ctx, cfg, x2)
	z2 := Reparameterize(ctx, m2, lv2)
	f := FactorGraph(ctx.InAbsPath(DiscriminatorScope), cfg, t.Z, z2, perm)
	t.Factor = &f
	t.Loss = Add(t.Loss, MulScalar(f.TC, cfg.FactorGamma))
	return t
}

func relu(x *Node) *Node { return activations.Relu(x) }
