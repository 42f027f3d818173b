package infogan

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/nn"
)

// Architecture is a GAN's networks. Each function builds its network in the context it is given (the Model hands
// it the scope: "generator", "discriminator/trunk", "discriminator/d_head", "discriminator/q_head",
// "cr_discriminator") and may be called several times per graph (the context is unchecked, so variables are
// reused). Functions panic on invalid shapes, like GoMLX layers.
type Architecture struct {
	Name string
	// Generator maps the latent z [batch, dim] to samples: images [batch, H, W, C] or points [batch, D].
	Generator func(ctx *context.Context, z *Node) *Node
	// Trunk maps samples to the features shared by the discriminator and the Q heads, [batch, F] (InfoGAN's Q
	// shares D's trunk, Chen et al. 2016).
	Trunk func(ctx *context.Context, x *Node) *Node
	// DHead maps features to real/fake logits [batch].
	DHead func(ctx *context.Context, h *Node) *Node
	// QHead maps features to out values: the categorical logits then the continuous means (and log stds).
	QHead func(ctx *context.Context, h *Node, out int) *Node
	// CRDiscriminator maps a pair of samples to logits [batch, numCodes] over which code the pair shares
	// (InfoGAN-CR, Lin et al. 2020); nil if the architecture has none.
	CRDiscriminator func(ctx *context.Context, a, b *Node, numCodes int) *Node
}

func (a Architecture) validate() error {
	if a.Generator == nil || a.Trunk == nil || a.DHead == nil || a.QHead == nil {
		return errors.Errorf("infogan: architecture %q needs Generator, Trunk, DHead and QHead", a.Name)
	}
	return nil
}

// ConvConfig parameterises the DCGAN-style convolutional architecture of InfoGAN-CR (Lin et al. 2020, official
// dSprites code, github.com/fjxmlzn/InfoGAN-CR), scaled by its sizes.
type ConvConfig struct {
	ImageSize    int   // output height = width; must be divisible by 2^(len(GenChannels)+1)
	Channels     int   // image channels
	GenHidden    int   // first generator FC layer (official: 128)
	GenChannels  []int // transposed-conv channels before the last layer; the first is the reshaped FC output's (official: 64, 32, 32)
	DisChannels  []int // discriminator convolutions, 4×4 stride 2 (official: 32, 32, 64, 64)
	DisHidden    int   // discriminator FC layer (official: 128)
	QHidden      int   // Q head hidden layer (official: 128)
	SpectralNorm bool  // spectral normalisation on every D/Q layer (Miyato et al. 2018); CR-D's last layer excluded
	InitStd      float64
}

// DSpritesConfig is the 64×64 dSprites architecture of InfoGAN-CR's official code (Lin et al. 2020).
func DSpritesConfig() ConvConfig {
	return ConvConfig{ImageSize: 64, Channels: 1, GenHidden: 128, GenChannels: []int{64, 32, 32},
		DisChannels: []int{32, 32, 64, 64}, DisHidden: 128, QHidden: 128, SpectralNorm: true, InitStd: 0.02}
}

// SmallConvConfig is a reduced architecture for size×size images (e.g. 28 for MNIST, 32, or 16 for tests):
// generator FC → (size/4)² × 64 → transposed conv 32 → image; discriminator conv 32, 64 → FC 128.
func SmallConvConfig(size, channels int) ConvConfig {
	return ConvConfig{ImageSize: size, Channels: channels, GenHidden: 128, GenChannels: []int{64},
		DisChannels: []int{32, 64}, DisHidden: 128, QHidden: 128, SpectralNorm: true, InitStd: 0.02}
}

func (c ConvConfig) validate() error {
	n := len(c.GenChannels)
	div := 1 << (n + 1)
	switch {
	case c.ImageSize <= 0 || n == 0 || c.ImageSize%div != 0:
		return errors.Errorf("infogan.ConvConfig: image size %d must be positive and divisible by 2^(len(GenChannels)+1) = %d", c.ImageSize, div)
	case c.Channels <= 0 || c.GenHidden <= 0 || c.DisHidden <= 0 || c.QHidden <= 0 || len(c.DisChannels) == 0:
		return errors.Errorf("infogan.ConvConfig: channels and layer sizes must be positive: %+v", c)
	case !(c.InitStd >= 0):
		return errors.Errorf("infogan.ConvConfig: InitStd must be >= 0, got %g", c.InitStd)
	}
	for _, ch := range append(append([]int(nil), c.GenChannels...), c.DisChannels...) {
		if ch <= 0 {
			return errors.Errorf("infogan.ConvConfig: channel counts must be positive: %+v", c)
		}
	}
	return nil
}

func lrelu(x *Node) *Node { return activations.LeakyReluWithAlpha(x, 0.2) }

// ConvArchitecture builds the convolutional architecture. Layout as in the official code: the generator applies the activation
// before batch norm and ends with a sigmoid (images in [0, 1]); D/Q and CR-D use 4×4 stride-2 SAME convolutions
// with LeakyReLU(0.2) and no batch norm. Weights start from N(0, InitStd²) (the official code uses a truncated
// normal for D), biases from 0.
func ConvArchitecture(c ConvConfig) (Architecture, error) {
	if err := c.validate(); err != nil {
		return Architecture{}, err
	}
	init := func(ctx *context.Context) *context.Context {
		if c.InitStd > 0 {
			return ctx.WithInitializer(initializers.RandomNormalFn(ctx, c.InitStd))
		}
		return ctx
	}
	conv := func(ctx *context.Context, x *Node, ch int, sn bool) *Node {
		b := nn.Conv(ctx, x, ch).Kernel(4).Stride(2).PaddingSame()
		if sn {
			b = b.SpectralNorm()
		}
		return b.Done()
	}
	dense := func(ctx *context.Context, x *Node, out int, sn bool) *Node {
		b := nn.Dense(ctx, x, out)
		if sn {
			b = b.SpectralNorm()
		}
		return b.Done()
	}
	bn := func(ctx *context.Context, x *Node) *Node {
		return nn.BatchNorm(ctx, x).Momentum(0.9).Epsilon(1e-5).Done()
	}
	convStack := func(ctx *context.Context, x *Node, hidden int, sn bool) *Node {
		for i, ch := range c.DisChannels {
			x = lrelu(conv(ctx.Inf("conv%d", i), x, ch, sn))
		}
		x = Reshape(x, x.Shape().Dimensions[0], -1)
		return lrelu(dense(ctx.In("fc"), x, hidden, sn))
	}
	n := len(c.GenChannels)
	start := c.ImageSize >> (n + 1)
	a := Architecture{Name: "conv"}
	a.Generator = func(ctx *context.Context, z *Node) *Node {
		ctx = init(ctx)
		if z.Rank() != 2 {
			panic(errors.Errorf("infogan: generator input must be [batch, dim], got %s", z.Shape()))
		}
		h := bn(ctx.In("bn0"), activations.Relu(nn.Dense(ctx.In("fc0"), z, c.GenHidden).Done()))
		h = bn(ctx.In("bn1"), activations.Relu(nn.Dense(ctx.In("fc1"), h, start*start*c.GenChannels[0]).Done()))
		h = Reshape(h, -1, start, start, c.GenChannels[0])
		for i, ch := range c.GenChannels {
			h = nn.ConvTranspose(ctx.Inf("deconv%d", i), h, ch).Kernel(4).Stride(2).Padding(1).Done()
			h = bn(ctx.Inf("bn_deconv%d", i), lrelu(h))
		}
		h = nn.ConvTranspose(ctx.In("deconv_out"), h, c.Channels).Kernel(4).Stride(2).Padding(1).Done()
		return Sigmoid(h)
	}
	checkImages := func(x *Node) {
		d := x.Shape().Dimensions
		if x.Rank() != 4 || d[1] != c.ImageSize || d[2] != c.ImageSize {
			panic(errors.Errorf("infogan: conv architecture expects images [batch, %d, %d, C], got %s", c.ImageSize, c.ImageSize, x.Shape()))
		}
	}
	a.Trunk = func(ctx *context.Context, x *Node) *Node {
		checkImages(x)
		return convStack(init(ctx), x, c.DisHidden, c.SpectralNorm)
	}
	a.DHead = func(ctx *context.Context, h *Node) *Node {
		return Reshape(dense(init(ctx), h, 1, c.SpectralNorm), -1)
	}
	a.QHead = func(ctx *context.Context, h *Node, out int) *Node {
		ctx = init(ctx)
		h = lrelu(dense(ctx.In("hidden"), h, c.QHidden, c.SpectralNorm))
		return dense(ctx.In("out"), h, out, c.SpectralNorm)
	}
	a.CRDiscriminator = func(ctx *context.Context, x1, x2 *Node, numCodes int) *Node {
		checkImages(x1)
		ctx = init(ctx)
		h := convStack(ctx, Concatenate([]*Node{x1, x2}, -1), c.DisHidden, c.SpectralNorm)
		return nn.Dense(ctx.In("out"), h, numCodes).Done()
	}
	return a, nil
}

// MLPArchitecture is a fully connected architecture for low-dimensional data such as the 2D Gaussian ring of
// Metz et al. (2017): generator and discriminator trunk with `layers` hidden ReLU layers of `hidden` units (tanh
// with MLPConfig.Activation; MLPConfig.DisLayers and DisInputScale shape the discriminator); the generator output is linear. The CR discriminator sees the two points concatenated.
func MLPArchitecture(dataDim, hidden, layers int) (Architecture, error) {
	return mlpArchitecture(MLPConfig{DataDim: dataDim, Hidden: hidden, Layers: layers}, 0)
}

func mlpArchitecture(c MLPConfig, seed int64) (Architecture, error) {
	dataDim, hidden, layers := c.DataDim, c.Hidden, c.Layers
	if dataDim <= 0 || hidden <= 0 || layers <= 0 {
		return Architecture{}, errors.Errorf("infogan.MLPArchitecture: sizes must be positive, got dim %d hidden %d layers %d", dataDim, hidden, layers)
	}
	act := activations.Relu
	switch c.Activation {
	case "", "relu":
	case "tanh":
		act = Tanh
	default:
		return Architecture{}, errors.Errorf(`infogan: MLP.Activation must be "relu" or "tanh", got %q`, c.Activation)
	}
	var init initializers.VariableInitializer
	if c.Init == "orthogonal" {
		gain := c.InitGain
		if gain == 0 {
			gain = 1
		}
		init = nn.Orthogonal(uint64(seed), gain)
	}
	dense := func(ctx *context.Context, x *Node, out int) *Node {
		if init != nil {
			ctx = ctx.WithInitializer(init)
		}
		return nn.Dense(ctx, x, out).Done()
	}
	stack := func(ctx *context.Context, x *Node, layers int) *Node {
		for i := range layers {
			x = act(dense(ctx.Inf("hidden%d", i), x, hidden))
		}
		return x
	}
	disLayers := layers
	if c.DisLayers > 0 {
		disLayers = c.DisLayers
	}
	disInput := func(x *Node) *Node {
		if s := c.DisInputScale; s != 0 && s != 1 {
			return MulScalar(x, s)
		}
		return x
	}
	check := func(x *Node) {
		if x.Rank() != 2 || x.Shape().Dimensions[1] != dataDim {
			panic(errors.Errorf("infogan: MLP architecture expects [batch, %d], got %s", dataDim, x.Shape()))
		}
	}
	return Architecture{
		Name: "mlp",
		Generator: func(ctx *context.Context, z *Node) *Node {
			return dense(ctx.In("out"), stack(ctx, z, layers), dataDim)
		},
		Trunk: func(ctx *context.Context, x *Node) *Node { check(x); return stack(ctx, disInput(x), disLayers) },
		DHead: func(ctx *context.Context, h *Node) *Node { return Reshape(dense(ctx, h, 1), -1) },
		QHead: func(ctx *context.Context, h *Node, out int) *Node { return dense(ctx, h, out) },
		CRDiscriminator: func(ctx *context.Context, a, b *Node, numCodes int) *Node {
			check(a)
			return dense(ctx.In("out"), stack(ctx, disInput(Concatenate([]*Node{a, b}, -1)), disLayers), numCodes)
		},
	}, nil
}
