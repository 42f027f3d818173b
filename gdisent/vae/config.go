// Package vae implements β-VAE (Higgins et al. 2017, "β-VAE: Learning Basic Visual Concepts with a Constrained
// Variational Framework", ICLR) and AnnealedVAE (Burgess et al. 2018, "Understanding disentangling in β-VAE",
// arXiv:1804.03599) with a Bernoulli decoder, in the disentanglement_lib forms:
//
//	reconstruction = Σ_pixels BCE-with-logits(decoder(z), x), averaged over the batch
//	KL             = Σ_j ½(μ_j² + σ_j² − log σ_j² − 1)                 (per latent j, averaged over the batch)
//	β-VAE:         loss = reconstruction + β·KL
//	AnnealedVAE:   loss = reconstruction + γ·|KL − C(t)|,  C(t) = min(C_max, C_max·t/T)
//	FactorVAE:     loss = reconstruction + KL + γ_TC·E[D₀(z) − D₁(z)]   (Kim & Mnih 2018, arXiv:1802.05983)
//	β-TCVAE:       loss = reconstruction + KL + (β − 1)·TC_MWS          (Chen et al. 2018, arXiv:1802.04942)
//	DIP-VAE-I/II:  loss = reconstruction + KL + λ_od·Σ_{i≠j} C_ij² + λ_d·Σ_i (C_ii − 1)²  (Kumar et al. 2018,
//	               arXiv:1711.00848), C = Cov[μ(x)] (I) or Cov[μ(x)] + E[diag σ²(x)] (II)
//
// FactorVAE's total-correlation discriminator D (an MLP with two logits, in DiscriminatorScope) is trained with its
// own Adam on posterior samples z of one batch against dimension-wise permuted samples of a second batch.
// β-TCVAE estimates log q(z) and Σ_j log q(z_j) by minibatch-weighted sampling (see DecomposeKL).
//
// The default architecture is the convolutional one of Burgess et al. / disentanglement_lib for 64×64 images
// (encoder 4× conv 4×4 stride 2 with 32, 32, 64, 64 channels and ReLU, FC 256, FC 2·latents; decoder the mirror
// image with transposed convolutions); SmallConfig is an MLP variant that trains quickly on the pure-Go backend.
// Training uses package training (Adam over the "vae" scope, checkpoints, reporters).
package vae

import (
	"math"
	"slices"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/training"
)

// Architectures.
const (
	ArchConv = "conv" // Burgess et al. 2018 / disentanglement_lib convolutional encoder and decoder
	ArchMLP  = "mlp"  // fully connected encoder/decoder with Hidden units per hidden layer
)

// Objectives.
const (
	ObjectiveBeta     = "beta"     // rec + β·KL (Higgins et al. 2017)
	ObjectiveAnnealed = "annealed" // rec + γ·|KL − C(t)| (Burgess et al. 2018)
	ObjectiveFactor   = "factor"   // rec + KL + γ_TC·TC_D (Kim & Mnih 2018)
	ObjectiveTC       = "tcvae"    // rec + KL + (β − 1)·TC_MWS (Chen et al. 2018)
	ObjectiveDIPI     = "dip-i"    // rec + KL + DIP penalty on Cov[μ] (Kumar et al. 2018)
	ObjectiveDIPII    = "dip-ii"   // rec + KL + DIP penalty on Cov[μ] + E[diag σ²] (Kumar et al. 2018)
)

// Context hyperparameter keys (Config.SetParams writes them, ConfigFromContext reads them). Adam, seed and
// checkpoint settings use package training's keys.
const (
	ParamArch          = "vae_arch"
	ParamImageSize     = "vae_image_size"
	ParamChannels      = "vae_channels"
	ParamLatentDim     = "vae_latent_dim"
	ParamConvChannels  = "vae_conv_channels"
	ParamHidden        = "vae_hidden"
	ParamObjective     = "vae_objective"
	ParamBeta          = "vae_beta"
	ParamGamma         = "vae_gamma"
	ParamCapacityMax   = "vae_capacity_max"
	ParamCapacitySteps = "vae_capacity_steps"
	ParamBatchSize     = "batch_size"
	ParamLogLatentKL   = "vae_log_latent_kl"
	ParamFactorGamma   = "vae_factor_gamma"
	ParamDiscLayers    = "vae_disc_layers"
	ParamDiscHidden    = "vae_disc_hidden"
	ParamDiscLR        = "vae_disc_learning_rate"
	ParamDiscBeta1     = "vae_disc_adam_beta1"
	ParamDiscBeta2     = "vae_disc_adam_beta2"
	ParamTCDatasetSize = "vae_tc_dataset_size"
)

// Config holds a VAE's hyperparameters.
type Config struct {
	Arch         string // ArchConv or ArchMLP
	ImageSize    int    // square images ImageSize×ImageSize×Channels, values in [0, 1]
	Channels     int
	LatentDim    int
	ConvChannels []int // ArchConv: encoder channels, each layer a 4×4 stride-2 conv; decoder mirrors them
	Hidden       int   // ArchConv: FC width; ArchMLP: width of the hidden layer(s)

	Objective     string  // ObjectiveBeta or ObjectiveAnnealed
	Beta          float64 // β-VAE KL weight (β = 1 is the plain VAE)
	Gamma         float64 // AnnealedVAE weight γ
	CapacityMax   float64 // AnnealedVAE C_max in nats
	CapacitySteps int     // AnnealedVAE steps T over which C grows linearly to C_max

	// FactorVAE (ObjectiveFactor): TC weight γ and the TC discriminator, an MLP of DiscLayers hidden layers of
	// DiscHidden LeakyReLU(0.2) units (the paper uses 6×1000) trained by its own Adam.
	FactorGamma            float64
	DiscLayers, DiscHidden int
	DiscLearningRate       float64
	DiscBeta1, DiscBeta2   float64

	// DIP-VAE (ObjectiveDIPI, ObjectiveDIPII): weights of the off-diagonal and diagonal terms of the covariance
	// penalty (disentanglement_lib's study: λ_od ∈ {1, 2, 5, 10, 20, 50}, λ_d = 10·λ_od for I and λ_od for II).
	DIPLambdaOD, DIPLambdaD float64

	// β-TCVAE (ObjectiveTC) uses Beta as the TC weight. TCDatasetSize N > 0 uses Chen et al.'s minibatch-weighted
	// sampling normaliser log(N·M); 0 uses the minibatch mixture log M (consistent as the batch grows). The
	// choice only shifts the logged TC by (latents − 1)·log N, not the gradients.
	TCDatasetSize int

	BatchSize    int
	LearningRate float64
	AdamBeta1    float64
	AdamBeta2    float64
	AdamEpsilon  float64
	Seed         int64
	LogLatentKL  bool // also log each latent's KL as "kl/00", "kl/01", ... every step

	CheckpointDir   string `json:"-"` // run directory; "" keeps no checkpoints
	CheckpointEvery int    // steps between checkpoints (a final one is always written)
	CheckpointKeep  int    // newest checkpoints kept (<= 0 keeps all)
	// StartOver deletes CheckpointDir's checkpoints before training instead of resuming from them.
	StartOver bool `json:"-"`
}

// runFields are the Config fields that keep a run rather than define the model: resuming ignores their changes.
var runFields = []string{"CheckpointEvery", "CheckpointKeep"}

// DefaultConfig is the disentanglement_lib β-VAE for 64×64×1 dSprites: conv architecture, 10 latents, β = 4,
// batch 64, Adam lr 1e-4 (β1 0.9, β2 0.999, ε 1e-8); AnnealedVAE settings C_max = 25, T = 100,000, γ = 1000;
// FactorVAE γ = 40 with a 4×256 TC discriminator (smaller than the paper's 6×1000, for CPU), D Adam lr 1e-4,
// β1 0.5, β2 0.9 (Kim & Mnih 2018); DIP-VAE λ_od = 10, λ_d = 100 (DIP-VAE-I's ratio; set λ_d = λ_od for II).
func DefaultConfig() Config {
	return Config{
		Arch: ArchConv, ImageSize: 64, Channels: 1, LatentDim: 10,
		ConvChannels: []int{32, 32, 64, 64}, Hidden: 256,
		Objective: ObjectiveBeta, Beta: 4, Gamma: 1000, CapacityMax: 25, CapacitySteps: 100_000,
		FactorGamma: 40, DIPLambdaOD: 10, DIPLambdaD: 100, DiscLayers: 4, DiscHidden: 256, DiscLearningRate: 1e-4, DiscBeta1: 0.5, DiscBeta2: 0.9,
		BatchSize: 64, LearningRate: 1e-4, AdamBeta1: 0.9, AdamBeta2: 0.999, AdamEpsilon: 1e-8,
		CheckpointEvery: 1000, CheckpointKeep: 3,
	}
}

// SmallConfig is a fast variant for quick runs on the pure-Go backend: an MLP (64×64 → 256 → 2·10 and back) with
// a larger learning rate (5e-4).
func SmallConfig() Config {
	c := DefaultConfig()
	c.Arch, c.Hidden, c.LearningRate = ArchMLP, 256, 5e-4
	return c
}

// Validate checks the configuration.
func (c Config) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case c.Arch != ArchConv && c.Arch != ArchMLP:
		return errors.Errorf("vae: unknown architecture %q (want %q or %q)", c.Arch, ArchConv, ArchMLP)
	case c.ImageSize < 1 || c.Channels < 1:
		return errors.Errorf("vae: image size and channels must be >= 1, got %d and %d", c.ImageSize, c.Channels)
	case c.LatentDim < 1:
		return errors.Errorf("vae: latent dimension must be >= 1, got %d", c.LatentDim)
	case c.Hidden < 1:
		return errors.Errorf("vae: hidden width must be >= 1, got %d", c.Hidden)
	case c.Objective != ObjectiveBeta && c.Objective != ObjectiveAnnealed && c.Objective != ObjectiveFactor &&
		c.Objective != ObjectiveTC && c.Objective != ObjectiveDIPI && c.Objective != ObjectiveDIPII:
		return errors.Errorf("vae: unknown Objective %q (want %q, %q, %q, %q, %q or %q)", c.Objective, ObjectiveBeta,
			ObjectiveAnnealed, ObjectiveFactor, ObjectiveTC, ObjectiveDIPI, ObjectiveDIPII)
	case math.IsNaN(c.DIPLambdaOD) || math.IsInf(c.DIPLambdaOD, 0) || c.DIPLambdaOD < 0 ||
		math.IsNaN(c.DIPLambdaD) || math.IsInf(c.DIPLambdaD, 0) || c.DIPLambdaD < 0:
		return errors.Errorf("vae: DIPLambdaOD and DIPLambdaD must be finite and >= 0, got %g and %g", c.DIPLambdaOD, c.DIPLambdaD)
	case (c.Objective == ObjectiveDIPI || c.Objective == ObjectiveDIPII) && c.BatchSize < 2:
		return errors.Errorf("vae: DIP-VAE needs a batch of >= 2 to estimate a covariance, got %d", c.BatchSize)
	case bad(c.Beta) || c.Beta < 0:
		return errors.Errorf("vae: β must be finite and >= 0, got %g", c.Beta)
	case bad(c.Gamma) || c.Gamma < 0:
		return errors.Errorf("vae: γ must be finite and >= 0, got %g", c.Gamma)
	case bad(c.CapacityMax) || c.CapacityMax < 0:
		return errors.Errorf("vae: capacity C_max must be finite and >= 0, got %g", c.CapacityMax)
	case c.Objective == ObjectiveAnnealed && c.CapacitySteps < 1:
		return errors.Errorf("vae: capacity steps must be >= 1, got %d", c.CapacitySteps)
	case bad(c.FactorGamma) || c.FactorGamma < 0:
		return errors.Errorf("vae: FactorVAE γ must be finite and >= 0, got %g", c.FactorGamma)
	case c.Objective == ObjectiveFactor && (c.DiscLayers < 1 || c.DiscHidden < 1):
		return errors.Errorf("vae: TC discriminator needs >= 1 layer of >= 1 unit, got %d×%d", c.DiscLayers, c.DiscHidden)
	case c.Objective == ObjectiveFactor && (bad(c.DiscLearningRate) || c.DiscLearningRate <= 0):
		return errors.Errorf("vae: discriminator learning rate must be finite and > 0, got %g", c.DiscLearningRate)
	case c.Objective == ObjectiveFactor && (c.DiscBeta1 < 0 || c.DiscBeta1 >= 1 || c.DiscBeta2 < 0 || c.DiscBeta2 >= 1):
		return errors.Errorf("vae: discriminator Adam betas must be in [0, 1), got %g, %g", c.DiscBeta1, c.DiscBeta2)
	case c.TCDatasetSize < 0:
		return errors.Errorf("vae: TC dataset size must be >= 0, got %d", c.TCDatasetSize)
	case c.Objective == ObjectiveTC && c.BatchSize < 2:
		return errors.Errorf("vae: β-TCVAE needs a batch of >= 2 to estimate q(z), got %d", c.BatchSize)
	case c.BatchSize < 1:
		return errors.Errorf("vae: batch size must be >= 1, got %d", c.BatchSize)
	case bad(c.LearningRate) || c.LearningRate <= 0:
		return errors.Errorf("vae: learning rate must be finite and > 0, got %g", c.LearningRate)
	case c.AdamBeta1 < 0 || c.AdamBeta1 >= 1 || c.AdamBeta2 < 0 || c.AdamBeta2 >= 1:
		return errors.Errorf("vae: Adam betas must be in [0, 1), got %g, %g", c.AdamBeta1, c.AdamBeta2)
	case bad(c.AdamEpsilon) || c.AdamEpsilon < 0:
		return errors.Errorf("vae: Adam ε must be finite and >= 0, got %g", c.AdamEpsilon)
	case c.CheckpointEvery < 0:
		return errors.Errorf("vae: checkpoint interval must be >= 0, got %d", c.CheckpointEvery)
	}
	if c.Arch == ArchConv {
		if len(c.ConvChannels) == 0 {
			return errors.New("vae: conv architecture needs at least one conv layer")
		}
		size := c.ImageSize
		for i, ch := range c.ConvChannels {
			if ch < 1 {
				return errors.Errorf("vae: conv layer %d has %d channels", i, ch)
			}
			if size%2 != 0 || size < 2 {
				return errors.Errorf("vae: image size %d cannot be halved %d times (conv layers are stride 2)",
					c.ImageSize, len(c.ConvChannels))
			}
			size /= 2
		}
	}
	return nil
}

// SetParams writes the configuration into ctx as hyperparameters (at ctx's scope).
func (c Config) SetParams(ctx *context.Context) {
	ctx.SetParams(map[string]any{
		ParamArch: c.Arch, ParamImageSize: c.ImageSize, ParamChannels: c.Channels, ParamLatentDim: c.LatentDim,
		ParamConvChannels: slices.Clone(c.ConvChannels), ParamHidden: c.Hidden,
		ParamObjective: c.Objective, ParamBeta: c.Beta, ParamGamma: c.Gamma,
		ParamCapacityMax: c.CapacityMax, ParamCapacitySteps: c.CapacitySteps,
		ParamBatchSize: c.BatchSize, ParamLogLatentKL: c.LogLatentKL,
		ParamFactorGamma: c.FactorGamma, ParamDiscLayers: c.DiscLayers, ParamDiscHidden: c.DiscHidden,
		ParamDiscLR: c.DiscLearningRate, ParamDiscBeta1: c.DiscBeta1, ParamDiscBeta2: c.DiscBeta2,
		ParamTCDatasetSize:         c.TCDatasetSize,
		training.ParamLearningRate: c.LearningRate, training.ParamAdamBeta1: c.AdamBeta1,
		training.ParamAdamBeta2: c.AdamBeta2, training.ParamAdamEpsilon: c.AdamEpsilon,
		training.ParamSeed:          c.Seed,
		training.ParamCheckpointDir: c.CheckpointDir, training.ParamCheckpointEvery: c.CheckpointEvery,
		training.ParamCheckpointKeep: c.CheckpointKeep,
	})
}

// ConfigFromContext reads a configuration from ctx's hyperparameters, with DefaultConfig for missing ones.
func ConfigFromContext(ctx *context.Context) (c Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("vae.ConfigFromContext: %v", r)
		}
	}()
	d := DefaultConfig()
	c = Config{
		Arch:             context.GetParamOr(ctx, ParamArch, d.Arch),
		ImageSize:        context.GetParamOr(ctx, ParamImageSize, d.ImageSize),
		Channels:         context.GetParamOr(ctx, ParamChannels, d.Channels),
		LatentDim:        context.GetParamOr(ctx, ParamLatentDim, d.LatentDim),
		ConvChannels:     slices.Clone(context.GetParamOr(ctx, ParamConvChannels, d.ConvChannels)),
		Hidden:           context.GetParamOr(ctx, ParamHidden, d.Hidden),
		Objective:        context.GetParamOr(ctx, ParamObjective, d.Objective),
		Beta:             context.GetParamOr(ctx, ParamBeta, d.Beta),
		Gamma:            context.GetParamOr(ctx, ParamGamma, d.Gamma),
		CapacityMax:      context.GetParamOr(ctx, ParamCapacityMax, d.CapacityMax),
		CapacitySteps:    context.GetParamOr(ctx, ParamCapacitySteps, d.CapacitySteps),
		BatchSize:        context.GetParamOr(ctx, ParamBatchSize, d.BatchSize),
		LogLatentKL:      context.GetParamOr(ctx, ParamLogLatentKL, d.LogLatentKL),
		FactorGamma:      context.GetParamOr(ctx, ParamFactorGamma, d.FactorGamma),
		DiscLayers:       context.GetParamOr(ctx, ParamDiscLayers, d.DiscLayers),
		DiscHidden:       context.GetParamOr(ctx, ParamDiscHidden, d.DiscHidden),
		DiscLearningRate: context.GetParamOr(ctx, ParamDiscLR, d.DiscLearningRate),
		DiscBeta1:        context.GetParamOr(ctx, ParamDiscBeta1, d.DiscBeta1),
		DiscBeta2:        context.GetParamOr(ctx, ParamDiscBeta2, d.DiscBeta2),
		TCDatasetSize:    context.GetParamOr(ctx, ParamTCDatasetSize, d.TCDatasetSize),
		LearningRate:     context.GetParamOr(ctx, training.ParamLearningRate, d.LearningRate),
		AdamBeta1:        context.GetParamOr(ctx, training.ParamAdamBeta1, d.AdamBeta1),
		AdamBeta2:        context.GetParamOr(ctx, training.ParamAdamBeta2, d.AdamBeta2),
		AdamEpsilon:      context.GetParamOr(ctx, training.ParamAdamEpsilon, d.AdamEpsilon),
		Seed:             context.GetParamOr(ctx, training.ParamSeed, d.Seed),
		CheckpointDir:    context.GetParamOr(ctx, training.ParamCheckpointDir, d.CheckpointDir),
		CheckpointEvery:  context.GetParamOr(ctx, training.ParamCheckpointEvery, d.CheckpointEvery),
		CheckpointKeep:   context.GetParamOr(ctx, training.ParamCheckpointKeep, d.CheckpointKeep),
	}
	return c, c.Validate()
}
