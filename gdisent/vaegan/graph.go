package vaegan

import (
	"fmt"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/gdisent/nn"
	"github.com/gdisent/gdisent/gdisent/vae"
)

// Context scopes: the encoder and decoder live in /vaegan/encoder and /vaegan/decoder, the discriminator and its Q
// head in DiscriminatorScope.
const (
	ModelScope         = "vaegan"
	DiscriminatorScope = "/vaegan_discriminator"
)

func lrelu(x *Node) *Node { return activations.LeakyReluWithAlpha(x, 0.2) }

// DiscriminatorGraph maps images x [B, H, W, C] to real/fake logits [B], the feature layer D_l(x) [B, DiscHidden]
// used for the learned similarity, and Q's predictions [B, InfoCodes] (nil when InfoCodes is 0). ctx is the
// discriminator's scope. Convolutional for vae.ArchConv (4×4 stride-2 convs mirroring the encoder), else an MLP.
func DiscriminatorGraph(ctx *context.Context, cfg Config, x *Node) (logits, features, q *Node) {
	b := x.Shape().Dimensions[0]
	h := x
	if cfg.VAE.Arch == vae.ArchConv {
		for i, ch := range cfg.VAE.ConvChannels {
			h = lrelu(nn.Conv(ctx.Inf("conv%d", i), h, ch).Kernel(4).Stride(2).Padding(1).Done())
		}
		h = Reshape(h, b, -1)
		h = lrelu(nn.Dense(ctx.In("fc"), h, cfg.DiscHidden).Done())
	} else {
		h = Reshape(h, b, -1)
		for i := range cfg.DiscLayers {
			h = lrelu(nn.Dense(ctx.In(fmt.Sprintf("fc%d", i)), h, cfg.DiscHidden).Done())
		}
	}
	features = h
	logits = Reshape(nn.Dense(ctx.In("out"), h, 1).Done(), b)
	if cfg.InfoCodes > 0 {
		q = nn.Dense(ctx.In("q"), h, cfg.InfoCodes).Done()
	}
	return
}

// FeatureNLL is L_llike: ½ Σ_features (D_l(x) − D_l(x̃))², averaged over the batch (a unit-variance Gaussian
// likelihood in feature space, up to a constant; Larsen et al. 2016, Eq. 6).
func FeatureNLL(realFeatures, reconFeatures *Node) *Node {
	return MulScalar(ReduceAllSum(Square(Sub(realFeatures, reconFeatures))), 0.5/float64(realFeatures.Shape().Dimensions[0]))
}

// codes returns the first InfoCodes latents of z (the ones Q predicts).
func codes(cfg Config, z *Node) *Node { return Slice(z, AxisRange(), AxisRange(0, cfg.InfoCodes)) }

// DiscriminatorLossGraph is the discriminator (and Q head) objective on real images x: GAN_D(x; x̃, x_p) + λ·NLL_Q.
// ctx is the root context. It returns the total loss, the GAN part and the Q part (nil without InfoCodes).
func DiscriminatorLossGraph(ctx *context.Context, cfg Config, x *Node) (loss, ganLoss, qLoss *Node) {
	mctx, dctx := ctx.In(ModelScope), ctx.InAbsPath(DiscriminatorScope)
	mean, logVar := vae.EncoderGraph(mctx, cfg.VAE, x)
	z := vae.Reparameterize(mctx, mean, logVar)
	recon := StopGradient(Sigmoid(vae.DecoderGraph(mctx, cfg.VAE, z)))
	zp := mctx.RandomNormal(x.Graph(), z.Shape())
	fake := StopGradient(Sigmoid(vae.DecoderGraph(mctx, cfg.VAE, zp)))
	realLogits, _, _ := DiscriminatorGraph(dctx, cfg, x)
	reconLogits, _, _ := DiscriminatorGraph(dctx, cfg, recon)
	fakeLogits, _, q := DiscriminatorGraph(dctx, cfg, fake)
	ganLoss = gan.DiscriminatorLoss(realLogits, Concatenate([]*Node{reconLogits, fakeLogits}, 0))
	loss = ganLoss
	if q != nil {
		qLoss = gan.GaussianNLL(q, nil, 1, codes(cfg, zp))
		loss = Add(loss, MulScalar(qLoss, cfg.InfoWeight))
	}
	return
}

// Terms are the encoder/decoder objectives and their parts.
type Terms struct {
	EncoderLoss, DecoderLoss       *Node
	KL, FeatureNLL, PixelNLL, GANG *Node
	QLoss                          *Node // nil without InfoCodes
	KLPerLatent                    *Node // [LatentDim]
}

// VAELossGraph is the encoder and decoder objective on real images x (see the package documentation). With
// cfg.Unroll.Steps > 0 the decoder's GAN term is taken against the discriminator after that many functional
// updates; the feature likelihood and Q use the actual discriminator.
func VAELossGraph(ctx *context.Context, cfg Config, x *Node) Terms {
	g := x.Graph()
	mctx, dctx := ctx.In(ModelScope), ctx.InAbsPath(DiscriminatorScope)
	mean, logVar := vae.EncoderGraph(mctx, cfg.VAE, x)
	z := vae.Reparameterize(mctx, mean, logVar)
	reconLogits := vae.DecoderGraph(mctx, cfg.VAE, z)
	recon := Sigmoid(reconLogits)
	zp := mctx.RandomNormal(g, z.Shape())
	fake := Sigmoid(vae.DecoderGraph(mctx, cfg.VAE, zp))

	var t Terms
	t.KLPerLatent = vae.KLPerLatent(mean, logVar)
	t.KL = ReduceAllSum(t.KLPerLatent)
	t.PixelNLL = ReduceAllMean(vae.BernoulliNLL(reconLogits, x))
	_, realFeat, _ := DiscriminatorGraph(dctx, cfg, x)
	_, reconFeat, _ := DiscriminatorGraph(dctx, cfg, recon)
	t.FeatureNLL = FeatureNLL(StopGradient(realFeat), reconFeat)

	if cfg.Unroll.Steps > 0 {
		b := x.Shape().Dimensions[0]
		restore := cfg.Unroll.Apply(ctx, g, DiscriminatorScope, func() *Node {
			l, _, _ := DiscriminatorGraph(dctx, cfg, Concatenate([]*Node{x, fake}, 0))
			return gan.DiscriminatorLossJoint(l, b)
		})
		rl, _, _ := DiscriminatorGraph(dctx, cfg, recon)
		fl, _, _ := DiscriminatorGraph(dctx, cfg, fake)
		t.GANG = Add(gan.GeneratorLoss(rl), gan.GeneratorLoss(fl))
		restore()
	} else {
		rl, _, _ := DiscriminatorGraph(dctx, cfg, recon)
		fl, _, _ := DiscriminatorGraph(dctx, cfg, fake)
		t.GANG = Add(gan.GeneratorLoss(rl), gan.GeneratorLoss(fl))
	}
	t.EncoderLoss = Add(MulScalar(t.KL, cfg.VAE.Beta), t.FeatureNLL)
	t.DecoderLoss = Add(MulScalar(t.FeatureNLL, cfg.Gamma), t.GANG)
	if cfg.PixelWeight > 0 {
		t.EncoderLoss = Add(t.EncoderLoss, MulScalar(t.PixelNLL, cfg.PixelWeight))
		t.DecoderLoss = Add(t.DecoderLoss, MulScalar(t.PixelNLL, cfg.PixelWeight))
	}
	if cfg.InfoCodes > 0 {
		_, _, q := DiscriminatorGraph(dctx, cfg, fake)
		t.QLoss = gan.GaussianNLL(q, nil, 1, codes(cfg, zp))
		t.DecoderLoss = Add(t.DecoderLoss, MulScalar(t.QLoss, cfg.InfoWeight))
	}
	return t
}
