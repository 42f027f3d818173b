package vae

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/nn"
)

// DiscriminatorScope is the absolute context scope of FactorVAE's TC discriminator (outside ModelScope, so the
// VAE's Adam never updates it).
const DiscriminatorScope = "/vae_tc_discriminator"

// TCDiscriminatorGraph is FactorVAE's total-correlation discriminator (Kim & Mnih 2018): an MLP of cfg.DiscLayers
// hidden layers of cfg.DiscHidden LeakyReLU(0.2) units mapping z [B, latentDim] to two logits [B, 2]; logit 0 is
// "sample of q(z)", logit 1 "sample of Π_j q(z_j)".
func TCDiscriminatorGraph(ctx *context.Context, cfg Config, z *Node) *Node {
	h := z
	for i := range cfg.DiscLayers {
		h = activations.LeakyReluWithAlpha(nn.Dense(ctx.Inf("fc%d", i), h, cfg.DiscHidden).Done(), 0.2)
	}
	return nn.Dense(ctx.In("out"), h, 2).Done()
}

// PermuteDims permutes each latent dimension of z [B, L] across the batch: out[i, j] = z[perm[i, j], j], where
// perm [B, L] (integer) holds one permutation of 0..B−1 per column (Kim & Mnih 2018, Algorithm 1). Samples of the
// result follow Π_j q(z_j) when z's rows follow q(z).
func PermuteDims(z, perm *Node) *Node {
	if z.Rank() != 2 || perm.Rank() != 2 || !perm.DType().IsInt() ||
		perm.Shape().Dimensions[0] != z.Shape().Dimensions[0] || perm.Shape().Dimensions[1] != z.Shape().Dimensions[1] {
		panic(errors.Errorf("vae.PermuteDims: want z [B, L] and integer perm [B, L], got %s and %s", z.Shape(), perm.Shape()))
	}
	perm = ConvertDType(perm, dtypes.Int32)
	cols := Iota(z.Graph(), perm.Shape(), 1)
	return Gather(z, Stack([]*Node{perm, cols}, -1)) // indices [B, L, 2] → [B, L]
}

// RandomPermutations returns b×l indices (row-major [b, l]) holding an independent uniform permutation of 0..b−1
// in each of the l columns, for PermuteDims.
func RandomPermutations(rng *rand.Rand, b, l int) []int32 {
	out := make([]int32, b*l)
	for j := range l {
		for i, p := range rng.Perm(b) {
			out[i*l+j] = int32(p)
		}
	}
	return out
}

// FactorTerms are FactorVAE's extra terms for a batch.
type FactorTerms struct {
	TC           *Node // E[D₀(z) − D₁(z)] on the VAE batch (with gradients into the encoder)
	DiscLoss     *Node // discriminator cross-entropy, gradients only into the discriminator
	DiscAccuracy *Node // fraction of the 2B discriminator inputs classified correctly
}

// FactorGraph computes FactorVAE's TC estimate on z (the VAE batch's posterior samples) and the discriminator loss
// on z against PermuteDims(z2, perm), z2 being posterior samples of a second batch (Kim & Mnih 2018, Alg. 1).
// discCtx holds the discriminator's variables.
func FactorGraph(discCtx *context.Context, cfg Config, z, z2, perm *Node) FactorTerms {
	logits := TCDiscriminatorGraph(discCtx, cfg, z)
	d0 := Slice(logits, AxisRange(), AxisElem(0))
	d1 := Slice(logits, AxisRange(), AxisElem(1))
	var t FactorTerms
	t.TC = ReduceAllMean(Sub(d0, d1))

	realLogits := TCDiscriminatorGraph(discCtx, cfg, StopGradient(z))
	permLogits := TCDiscriminatorGraph(discCtx, cfg, PermuteDims(StopGradient(z2), perm))
	lsReal, lsPerm := LogSoftmax(realLogits, -1), LogSoftmax(permLogits, -1)
	ceReal := Neg(ReduceAllMean(Slice(lsReal, AxisRange(), AxisElem(0))))
	cePerm := Neg(ReduceAllMean(Slice(lsPerm, AxisRange(), AxisElem(1))))
	t.DiscLoss = MulScalar(Add(ceReal, cePerm), 0.5)
	okReal := ConvertDType(GreaterThan(Slice(realLogits, AxisRange(), AxisElem(0)), Slice(realLogits, AxisRange(), AxisElem(1))), z.DType())
	okPerm := ConvertDType(GreaterThan(Slice(permLogits, AxisRange(), AxisElem(1)), Slice(permLogits, AxisRange(), AxisElem(0))), z.DType())
	t.DiscAccuracy = MulScalar(Add(ReduceAllMean(okReal), ReduceAllMean(okPerm)), 0.5)
	return t
}

// GaussianLogDensity returns log N(z; μ, exp(logVar)) elementwise.
func GaussianLogDensity(z, mean, logVar *Node) *Node {
	d := Sub(z, mean)
	return MulScalar(Add(AddScalar(logVar, math.Log(2*math.Pi)), Mul(Square(d), Exp(Neg(logVar)))), -0.5)
}

// logSumExp reduces axis stably.
func logSumExp(x *Node, axis int) *Node {
	m := StopGradient(ReduceAndKeep(x, ReduceMax, axis))
	return Add(Squeeze(m, axis), Log(ReduceSum(Exp(Sub(x, m)), axis)))
}

// KLDecomposition is β-TCVAE's decomposition of the (sampled) KL term, each averaged over the batch:
// E[KL(q(z|x)‖p(z))] = MI + TC + DimKL (Chen et al. 2018, Eq. 2).
type KLDecomposition struct {
	MI    *Node // index-code mutual information E[log q(z|x) − log q(z)]
	TC    *Node // total correlation E[log q(z) − Σ_j log q(z_j)]
	DimKL *Node // dimension-wise KL E[Σ_j log q(z_j) − log p(z_j)]

	LogQZ, LogQZProduct *Node // per-sample estimates [B] of log q(z) and Σ_j log q(z_j)
}

// DecomposeKL estimates the decomposition for posterior samples z [M, L] drawn from N(mean, exp(logVar)) (both
// [M, L]) by minibatch-weighted sampling (Chen et al. 2018, §3):
//
//	log q(z_i)   ≈ logsumexp_k log q(z_i | x_k) − log(N·M)
//	log q(z_ij)  ≈ logsumexp_k log q(z_ij | x_k) − log(N·M)
//
// with N = datasetSize. datasetSize 0 uses log M instead of log(N·M) (the minibatch mixture, consistent for q(z)
// as M grows when the batch is a sample of the data); the two differ by a constant (L−1)·log N in TC.
func DecomposeKL(z, mean, logVar *Node, datasetSize int) KLDecomposition {
	if z.Rank() != 2 || !z.Shape().Equal(mean.Shape()) || !z.Shape().Equal(logVar.Shape()) {
		panic(errors.Errorf("vae.DecomposeKL: z, mean and logVar must share a [batch, latents] shape, got %s, %s, %s",
			z.Shape(), mean.Shape(), logVar.Shape()))
	}
	m := z.Shape().Dimensions[0]
	logNorm := math.Log(float64(m))
	if datasetSize > 0 {
		logNorm += math.Log(float64(datasetSize))
	}
	// lq[i, k, j] = log q(z_ij | x_k).
	lq := GaussianLogDensity(InsertAxes(z, 1), InsertAxes(mean, 0), InsertAxes(logVar, 0))
	logQZ := AddScalar(logSumExp(ReduceSum(lq, 2), 1), -logNorm)             // [M]
	logQZProd := ReduceSum(AddScalar(logSumExp(lq, 1), -logNorm), 1)         // [M]
	logQZX := ReduceSum(GaussianLogDensity(z, mean, logVar), 1)              // [M]
	logPZ := ReduceSum(GaussianLogDensity(z, ZerosLike(z), ZerosLike(z)), 1) // [M]
	return KLDecomposition{
		MI:           ReduceAllMean(Sub(logQZX, logQZ)),
		TC:           ReduceAllMean(Sub(logQZ, logQZProd)),
		DimKL:        ReduceAllMean(Sub(logQZProd, logPZ)),
		LogQZ:        logQZ,
		LogQZProduct: logQZProd,
	}
}
