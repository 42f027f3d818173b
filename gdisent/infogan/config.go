package infogan

import (
	"math"
	"slices"

	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/gan"
)

// Architectures.
const (
	ArchConv = "conv" // DCGAN-style convolutional networks (Conv)
	ArchMLP  = "mlp"  // fully connected networks for low-dimensional data (MLP)
)

// MLPConfig sizes the fully connected architecture: DataDim-dimensional points, Layers hidden layers of Hidden
// units in the generator and in the discriminator trunk, with Activation "relu" (the default) or "tanh".
type MLPConfig struct {
	DataDim, Hidden, Layers int
	Activation              string
	// DisLayers is the discriminator trunk's hidden layers (0: Layers); DisInputScale multiplies its input (0: 1).
	// Metz et al. (2017, appendix) use a 1-layer discriminator whose input is scaled down by 4.
	DisLayers     int
	DisInputScale float64
	// Init is the weights' initialiser: "" (GoMLX's default) or "orthogonal" (nn.Orthogonal, drawn from the
	// model's Seed) times InitGain (0 means 1).
	Init     string
	InitGain float64
}

// Generator losses.
const (
	GLossNonSaturating = "non-saturating" // −E log D(G(z)) (Goodfellow et al. 2014), the default
	GLossMinimax       = "minimax"        // E log(1 − D(G(z))), the saddle objective of the unrolled-GAN experiments
)

// Config is every hyperparameter of an InfoGAN, InfoGAN-CR, Unrolled InfoGAN or plain GAN (a latent without
// codes). It is recorded in each checkpoint: Load rebuilds the model from it, and resuming refuses a changed one.
type Config struct {
	Arch   string     // ArchConv or ArchMLP
	Conv   ConvConfig // ArchConv's sizes
	MLP    MLPConfig  // ArchMLP's sizes
	Latent gan.LatentSpec

	BatchSize      int
	GLearningRate  float64 // generator Adam learning rate
	DLearningRate  float64 // discriminator + Q Adam learning rate
	CRLearningRate float64 // CR discriminator Adam learning rate
	AdamBeta1      float64 // all optimisers
	AdamBeta2      float64
	AdamEpsilon    float64 // Adam's ε (0 means 1e-8)
	LambdaInfoD    float64 // λ_info in the discriminator/Q loss
	LambdaInfoG    float64 // λ_info in the generator loss
	QStd           float64 // fixed std of the Gaussian Q of continuous codes; 0 learns it
	GSteps         int     // generator steps per iteration
	GLoss          string  // GLossNonSaturating ("" too) or GLossMinimax
	// Simultaneous takes the D/Q and the generator update at the same parameters, on one batch and one latent
	// sample (simultaneous gradient steps), instead of a D step followed by a G step against the updated D. The
	// unrolled-GAN notebook of Metz et al. trains this way. It needs GSteps 1 and no CR.
	Simultaneous bool

	// InfoGAN-CR (Lin et al. 2020): λ_CR switches from 0 to LambdaCR at step CRStart (< 0: no CR). CRPretrain trains
	// the CR discriminator before the switch too, as the official code does. The gap between the non-shared codes
	// of a CR pair starts at GapStart and decreases by GapDecrease every GapEvery steps, at most GapTimes times.
	CRStart     int64
	LambdaCR    float64
	CRPretrain  bool
	GapStart    float64
	GapDecrease float64
	GapEvery    int64
	GapTimes    int

	// Unrolled GAN (Metz et al. 2017): the generator loss sees the discriminator after UnrollSteps functional
	// updates of step UnrollLearningRate (0: DLearningRate) with UnrollOptimizer ("sgd" or "adam").
	UnrollSteps        int
	UnrollLearningRate float64
	UnrollOptimizer    gan.UnrollOptimizer

	// Regularisers of the generator, by weight (0: off): the Hessian penalty of Peebles et al. 2020 (off-diagonal
	// Hessian of G(z) w.r.t. the whole latent vector, directions.GeneratorHessianPenalty) and the spectral
	// alignment loss after Ramesh, Choi & LeCun 2018 (the leading SpectralVectors right-singular vectors of ∂G/∂z
	// pushed onto the latent axes, directions.SpectralAlignmentLoss).
	HessianPenalty    float64
	SpectralAlignment float64
	SpectralVectors   int // default 1

	Seed            int64
	CheckpointDir   string `json:"-"` // run directory; "" keeps no checkpoints
	CheckpointEvery int    // steps between checkpoints (a final one is always written)
	CheckpointKeep  int    // newest checkpoints kept (<= 0 keeps all)
	// StartOver deletes CheckpointDir's checkpoints before training instead of resuming from them.
	StartOver bool `json:"-"`
}

// runFields are the Config fields that keep a run rather than define the model: resuming ignores their changes.
var runFields = []string{"CheckpointEvery", "CheckpointKeep"}

// DefaultConfig is "InfoGAN (modified)" of Lin et al. (2020) on 64×64 dSprites: the official InfoGAN-CR networks
// with spectral normalisation (DSpritesConv), 5 continuous codes and 5 noise dimensions (U[−1, 1]), λ_info 0.05,
// two generator steps per iteration, G lr 1e-3, D/Q lr 2e-3, Adam β1 0.5, Q std 1, batch 64, no CR.
func DefaultConfig() Config {
	return Config{
		Arch: ArchConv, Conv: DSpritesConfig(), Latent: gan.LatentSpec{Continuous: 5, Noise: 5},
		BatchSize: 64, GLearningRate: 1e-3, DLearningRate: 2e-3, CRLearningRate: 2e-3, AdamBeta1: 0.5, AdamBeta2: 0.999,
		LambdaInfoD: 0.05, LambdaInfoG: 0.05, QStd: 1, GSteps: 2,
		CRStart: -1, LambdaCR: 2, CRPretrain: true,
		UnrollOptimizer: gan.UnrollSGD,
		CheckpointEvery: 1000, CheckpointKeep: 3,
	}
}

// InfoGANCRConfig is InfoGAN-CR on 64×64 dSprites (Lin et al. 2020, official code): DefaultConfig with the CR
// discriminator (lr 2e-3) trained from the start and λ_CR switching 0 → 2 at iteration 288,000, gap 0. Scale
// CRStart with the run length for shorter runs.
func InfoGANCRConfig() Config {
	c := DefaultConfig()
	c.CRStart = 288_000
	return c
}

// MNISTConfig is InfoGAN on MNIST (Chen et al. 2016; openai/InfoGAN): a 10-way categorical code, 2 continuous
// codes and 62 noise dimensions, λ_info 1, G lr 1e-3, D lr 2e-4, Adam β1 0.5, one generator step, on a small
// 28×28 DCGAN (SmallConvConfig); batch 64 (the paper uses 128).
func MNISTConfig() Config {
	c := DefaultConfig()
	c.Conv = SmallConvConfig(28, 1)
	c.Latent = gan.LatentSpec{Categorical: []int{10}, Continuous: 2, Noise: 62}
	c.LambdaInfoD, c.LambdaInfoG, c.DLearningRate, c.GSteps = 1, 1, 2e-4, 1
	return c
}

// RingConfig is the unrolled-GAN experiment of Metz et al. (2017) on the 2D ring of 8 Gaussians, with the
// settings of the authors' public notebook (github.com/poolio/unrolled_gan): MLP generator and discriminator of 2
// tanh layers of 128 units, 256 normal noise dimensions and no codes, batch 512, the minimax generator loss, G lr
// 1e-3, D lr 1e-4, Adam β1 0.5; UnrollSteps K with Adam inner steps of lr 1e-4 (set K to unroll). The notebook
// also initialises the weights orthogonally with gain 1.4: set MLP.Init = "orthogonal", MLP.InitGain = 1.4 for
// that; the preset keeps GoMLX's default initialiser, with which its published results were run.
func RingConfig() Config {
	c := DefaultConfig()
	c.Arch, c.MLP, c.Conv = ArchMLP, MLPConfig{DataDim: 2, Hidden: 128, Layers: 2, Activation: "tanh"}, ConvConfig{}
	c.Latent = gan.LatentSpec{Noise: 256, NoiseDist: gan.Normal}
	c.BatchSize, c.GLearningRate, c.DLearningRate, c.GSteps, c.GLoss = 512, 1e-3, 1e-4, 1, GLossMinimax
	c.LambdaInfoD, c.LambdaInfoG = 0, 0
	c.UnrollLearningRate, c.UnrollOptimizer = 1e-4, gan.UnrollAdam
	return c
}

// RingPaperConfig is the same experiment with the networks of Metz et al. (2017, appendix A) instead of the
// notebook's: a generator of 2 ReLU layers of 128 units initialised orthogonally with gain 0.8, a discriminator
// that scales its input down by 4 and has 1 ReLU layer of 128 units, and Adam lr 1e-4 (β1 0.5) for both players.
func RingPaperConfig() Config {
	c := RingConfig()
	c.MLP = MLPConfig{DataDim: 2, Hidden: 128, Layers: 2, Activation: "relu", DisLayers: 1, DisInputScale: 0.25,
		Init: "orthogonal", InitGain: 0.8}
	c.GLearningRate = 1e-4
	return c
}

// Validate checks every field and names the first bad one.
func (c Config) Validate() error {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	pos := func(name string, x float64) error {
		if bad(x) || x <= 0 {
			return errors.Errorf("infogan: %s must be finite and > 0, got %g", name, x)
		}
		return nil
	}
	nonneg := func(name string, x float64) error {
		if bad(x) || x < 0 {
			return errors.Errorf("infogan: %s must be finite and >= 0, got %g", name, x)
		}
		return nil
	}
	switch c.Arch {
	case ArchConv:
		if err := c.Conv.validate(); err != nil {
			return errors.WithMessage(err, "infogan: Conv")
		}
	case ArchMLP:
		if m := c.MLP; m.DataDim < 1 || m.Hidden < 1 || m.Layers < 1 || m.DisLayers < 0 {
			return errors.Errorf("infogan: MLP sizes must be >= 1 (DisLayers >= 0), got DataDim %d, Hidden %d, Layers %d, DisLayers %d",
				m.DataDim, m.Hidden, m.Layers, m.DisLayers)
		}
		if s := c.MLP.DisInputScale; s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return errors.Errorf("infogan: MLP.DisInputScale must be finite and >= 0 (0 means 1), got %g", s)
		}
		if a := c.MLP.Activation; a != "" && a != "relu" && a != "tanh" {
			return errors.Errorf(`infogan: MLP.Activation must be "relu" or "tanh", got %q`, a)
		}
		if i := c.MLP.Init; i != "" && i != "orthogonal" {
			return errors.Errorf(`infogan: MLP.Init must be "" (default) or "orthogonal", got %q`, i)
		}
		if g := c.MLP.InitGain; g < 0 || math.IsNaN(g) || math.IsInf(g, 0) {
			return errors.Errorf("infogan: MLP.InitGain must be finite and >= 0 (0 means 1), got %g", g)
		}
	default:
		return errors.Errorf("infogan: Arch must be %q or %q, got %q", ArchConv, ArchMLP, c.Arch)
	}
	if err := c.Latent.Validate(); err != nil {
		return errors.WithMessage(err, "infogan: Latent")
	}
	if c.BatchSize < 1 {
		return errors.Errorf("infogan: BatchSize must be >= 1, got %d", c.BatchSize)
	}
	for _, e := range []error{pos("GLearningRate", c.GLearningRate), pos("DLearningRate", c.DLearningRate),
		pos("CRLearningRate", c.CRLearningRate), nonneg("LambdaInfoD", c.LambdaInfoD),
		nonneg("LambdaInfoG", c.LambdaInfoG), nonneg("LambdaCR", c.LambdaCR), nonneg("QStd", c.QStd),
		nonneg("UnrollLearningRate", c.UnrollLearningRate), nonneg("GapDecrease", c.GapDecrease),
		nonneg("HessianPenalty", c.HessianPenalty), nonneg("SpectralAlignment", c.SpectralAlignment)} {
		if e != nil {
			return e
		}
	}
	switch {
	case c.AdamBeta1 < 0 || c.AdamBeta1 >= 1 || math.IsNaN(c.AdamBeta1):
		return errors.Errorf("infogan: AdamBeta1 must be in [0, 1), got %g", c.AdamBeta1)
	case c.AdamBeta2 < 0 || c.AdamBeta2 >= 1 || math.IsNaN(c.AdamBeta2):
		return errors.Errorf("infogan: AdamBeta2 must be in [0, 1), got %g", c.AdamBeta2)
	case c.AdamEpsilon < 0 || math.IsNaN(c.AdamEpsilon) || math.IsInf(c.AdamEpsilon, 0):
		return errors.Errorf("infogan: AdamEpsilon must be finite and >= 0, got %g", c.AdamEpsilon)
	case c.GSteps < 1:
		return errors.Errorf("infogan: GSteps must be >= 1, got %d", c.GSteps)
	case c.GLoss != "" && c.GLoss != GLossNonSaturating && c.GLoss != GLossMinimax:
		return errors.Errorf("infogan: GLoss must be %q or %q, got %q", GLossNonSaturating, GLossMinimax, c.GLoss)
	case bad(c.GapStart) || c.GapStart < 0 || c.GapStart >= 2:
		return errors.Errorf("infogan: GapStart must be in [0, 2), got %g", c.GapStart)
	case c.GapEvery < 0 || c.GapTimes < 0:
		return errors.Errorf("infogan: GapEvery and GapTimes must be >= 0, got %d and %d", c.GapEvery, c.GapTimes)
	case c.UnrollSteps < 0:
		return errors.Errorf("infogan: UnrollSteps must be >= 0, got %d", c.UnrollSteps)
	case c.SpectralVectors < 0 || c.SpectralVectors > c.Latent.Dim():
		return errors.Errorf("infogan: SpectralVectors must be in [0, %d] (the latent size), got %d", c.Latent.Dim(), c.SpectralVectors)
	case c.CheckpointEvery < 0:
		return errors.Errorf("infogan: CheckpointEvery must be >= 0, got %d", c.CheckpointEvery)
	case c.Simultaneous && (c.GSteps != 1 || c.CRStart >= 0):
		return errors.Errorf("infogan: Simultaneous needs GSteps 1 and no CR (CRStart < 0), got GSteps %d, CRStart %d", c.GSteps, c.CRStart)
	case c.CRStart >= 0 && c.Latent.NumCodes() < 2:
		return errors.Errorf("infogan: InfoGAN-CR (CRStart %d) needs >= 2 codes, the latent has %d", c.CRStart, c.Latent.NumCodes())
	}
	if err := c.unroll().Validate(); err != nil {
		return errors.WithMessage(err, "infogan: Unroll")
	}
	return nil
}

// adamEpsilon is Adam's ε.
func (c Config) adamEpsilon() float64 {
	if c.AdamEpsilon == 0 {
		return 1e-8
	}
	return c.AdamEpsilon
}

// unroll is the Unroll of the generator loss.
func (c Config) unroll() gan.Unroll {
	lr := c.UnrollLearningRate
	if lr == 0 {
		lr = c.DLearningRate
	}
	return gan.Unroll{Steps: c.UnrollSteps, LearningRate: lr, Optimizer: c.UnrollOptimizer, Beta1: c.AdamBeta1,
		Beta2: c.AdamBeta2, Epsilon: c.adamEpsilon()}
}

// clone deep-copies the slices so that a caller's later edits cannot reach a model.
func (c Config) clone() Config {
	c.Conv.GenChannels = slices.Clone(c.Conv.GenChannels)
	c.Conv.DisChannels = slices.Clone(c.Conv.DisChannels)
	c.Latent.Categorical = slices.Clone(c.Latent.Categorical)
	return c
}

// architecture builds the networks the config names.
func (c Config) architecture() (Architecture, error) {
	if c.Arch == ArchMLP {
		return mlpArchitecture(c.MLP, c.Seed)
	}
	return ConvArchitecture(c.Conv)
}

// ImageShape is the shape of one generated observation: [size, size, channels], or [1, 1, DataDim] for points.
func (c Config) ImageShape() [3]int {
	if c.Arch == ArchMLP {
		return [3]int{1, 1, c.MLP.DataDim}
	}
	return [3]int{c.Conv.ImageSize, c.Conv.ImageSize, c.Conv.Channels}
}

// Gap is the CR pair gap at a step: GapStart reduced by GapDecrease every GapEvery steps, at most GapTimes
// times, floored at 0 (Lin et al. 2020's progressive schedule).
func (c Config) Gap(step int64) float64 {
	if c.GapEvery <= 0 {
		return c.GapStart
	}
	n := min(step/c.GapEvery, int64(c.GapTimes))
	return max(0, c.GapStart-float64(n)*c.GapDecrease)
}

// gapChangesAt reports whether the gap schedule decreases at step (the CR discriminator is then re-initialised).
func (c Config) gapChangesAt(step int64) bool {
	return c.GapEvery > 0 && step > 0 && step%c.GapEvery == 0 && step/c.GapEvery <= int64(c.GapTimes) &&
		c.Gap(step) != c.Gap(step-1)
}

// CRWeight is λ_CR at a step: 0 before CRStart, LambdaCR from it on (0 when CR is disabled).
func (c Config) CRWeight(step int64) float64 {
	if c.CRStart < 0 || step < c.CRStart {
		return 0
	}
	return c.LambdaCR
}
