package pytorch

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/pkg/errors"
)

// Activation names a PyTorch activation module.
type Activation string

// Activations. The zero value takes the default of the field it is in.
const (
	ReLU      Activation = "relu"       // nn.ReLU
	LeakyReLU Activation = "leaky_relu" // nn.LeakyReLU(negative_slope), slope in Config.LeakySlope
	Tanh      Activation = "tanh"       // nn.Tanh
	Sigmoid   Activation = "sigmoid"    // nn.Sigmoid
	Identity  Activation = "identity"   // no activation (a linear output)
)

// Kind names the layer type of a Block.
type Kind string

// Block kinds. The zero value is ConvTranspose2d.
const (
	ConvTranspose2d Kind = "ConvTranspose2d" // weight [in, out, kH, kW]
	Conv2d          Kind = "Conv2d"          // weight [out, in, kH, kW]
)

// Linear is an optional first nn.Linear(LatentDim, Channels·Height·Width) whose output is viewed as
// [Channels, Height, Width] (x.view(-1, C, H, W) or nn.Unflatten(1, (C, H, W))).
type Linear struct {
	Channels, Height, Width int
	Bias                    bool
	// Norm1d: the batch norm is nn.BatchNorm1d(C·H·W) applied before the view (Linear → BatchNorm1d → act →
	// view); otherwise it is nn.BatchNorm2d(C) after it (Linear → view → BatchNorm2d → act).
	Norm1d bool
	// Name and NormName are the state_dict prefixes of the Linear and its batch norm; empty: numbered, see Config.
	Name, NormName string
}

// Block is one convolutional layer, optionally preceded by nearest upsampling and followed by a batch norm (see
// Config.BatchNorm) and an activation.
type Block struct {
	Kind     Kind // ConvTranspose2d (default) or Conv2d
	Channels int  // out_channels
	Kernel   int  // kernel_size (square)
	Stride   int  // stride; 0 means 1
	Padding  int  // padding (for ConvTranspose2d: the cropping of PyTorch's definition)
	// OutputPadding is ConvTranspose2d's output_padding (extra rows/columns at the bottom/right); it must be
	// below Stride, as in PyTorch, and at most Padding.
	OutputPadding int
	// Upsample > 1 puts nn.Upsample(scale_factor=Upsample, mode="nearest") before the convolution.
	Upsample int
	Bias     bool
	// Name and NormName are the state_dict prefixes of the convolution and its batch norm; empty: numbered.
	Name, NormName string
}

// Config describes a PyTorch generator z [B, LatentDim] → image [B, C, H, W] made of an optional Linear and a
// stack of (transposed) convolutions: the DCGAN family (Radford, Metz & Chintala 2016, "Unsupervised
// Representation Learning with Deep Convolutional Generative Adversarial Networks", arXiv:1511.06434).
//
// Without Linear, z is viewed as a 1×1 map [LatentDim, 1, 1] (z.view(-1, nz, 1, 1)), the DCGAN form.
//
// State-dict names: a layer whose Name (or NormName) is empty is numbered as modules of one nn.Sequential under
// Prefix ("main" gives "main.0.weight"; "" gives "0.weight", a bare nn.Sequential), counting in forward order:
//   - Linear with Norm1d: Linear, BatchNorm1d (if BatchNorm), activation, Unflatten;
//   - Linear otherwise: Linear, Unflatten, BatchNorm2d (if BatchNorm), activation;
//   - each block: Upsample (if > 1), the convolution, BatchNorm2d (if BatchNorm and not the last block), the
//     activation (Output for the last block).
//
// Give explicit names when the model was written otherwise (e.g. a Linear as self.fc outside the Sequential).
type Config struct {
	LatentDim int
	Linear    *Linear // nil: no Linear, z is a 1×1 map
	Blocks    []Block // at least one; the last one's Channels are the image channels
	// BatchNorm puts a batch norm (eval mode: running statistics) after the Linear and every block but the last.
	BatchNorm  bool
	Activation Activation // hidden activation: ReLU (default) or LeakyReLU
	LeakySlope float64    // LeakyReLU negative slope; 0 means PyTorch's default 0.01
	Output     Activation // output activation: Tanh (default), Sigmoid or Identity
	Eps        float64    // batch-norm eps (not stored in a state_dict); 0 means PyTorch's default 1e-5
	Prefix     string     // prefix of numbered names, see above

	// Loading.
	Scope        string       // absolute context scope of the weights; default "/generator"
	DType        dtypes.DType // graph dtype: Float32 (default) or Float64 (weights are read as float32)
	IgnoreUnused bool         // accept state_dict entries the architecture does not use (e.g. a discriminator's)
}

// DCGAN is the generator of the PyTorch DCGAN example (pytorch/examples, dcgan/main.py) for square images of
// side imageSize (a power of two ≥ 8; 64 in the example): z viewed as [nz, 1, 1], ConvTranspose2d(nz, ngf·2ⁿ⁻¹,
// 4, 1, 0) and then ConvTranspose2d k4 s2 p1 layers halving the channels down to ngf, then to nc, all without
// bias; BatchNorm2d and ReLU after each hidden layer, Tanh at the end; state_dict names "main.0.weight", ….
func DCGAN(nz, ngf, nc, imageSize int) Config {
	n := 0 // number of k4 s2 p1 layers: imageSize = 4·2ⁿ
	for s := 4; s < imageSize; s *= 2 {
		n++
	}
	blocks := []Block{{Channels: ngf << max(n-1, 0), Kernel: 4, Stride: 1, Padding: 0}}
	for i := n - 2; i >= 0; i-- {
		blocks = append(blocks, Block{Channels: ngf << i, Kernel: 4, Stride: 2, Padding: 1})
	}
	blocks = append(blocks, Block{Channels: nc, Kernel: 4, Stride: 2, Padding: 1})
	return Config{LatentDim: nz, Blocks: blocks, BatchNorm: true, Activation: ReLU, Output: Tanh, Prefix: "main"}
}

// LinearDCGAN is the DCGAN variant that starts with a Linear: nn.Sequential(Linear(nz, c0·s0·s0),
// BatchNorm1d(c0·s0·s0), ReLU, Unflatten(1, (c0, s0, s0)), then for each of channels a ConvTranspose2d k4 s2 p1
// without bias (BatchNorm2d and ReLU after all but the last), Tanh), with names "0.weight", "1.weight", ….
func LinearDCGAN(nz, c0, s0 int, channels ...int) Config {
	blocks := make([]Block, len(channels))
	for i, c := range channels {
		blocks[i] = Block{Channels: c, Kernel: 4, Stride: 2, Padding: 1}
	}
	return Config{LatentDim: nz, Linear: &Linear{Channels: c0, Height: s0, Width: s0, Bias: true, Norm1d: true},
		Blocks: blocks, BatchNorm: true, Activation: ReLU, Output: Tanh}
}

// TensorSpec is one state_dict entry the architecture expects.
type TensorSpec struct {
	Name  string
	Shape []int  // PyTorch shape
	Role  string // e.g. "ConvTranspose2d weight (in, out, kH, kW)"
}

// layer is a resolved Linear or Block: names, shapes and what to build.
type layer struct {
	linear         bool
	block          Block
	name, normName string // normName empty: no batch norm
	in, out        int    // channels (features for the Linear)
	h, w           int    // output spatial size
	act            Activation
}

// resolved is a validated Config with every default and name filled in.
type resolved struct {
	cfg    Config
	layers []layer
	shape  [3]int // image H, W, C
	specs  []TensorSpec
}

func (c Config) resolve() (*resolved, error) {
	fail := func(format string, args ...any) (*resolved, error) {
		return nil, errors.Errorf("pytorch: config: "+format, args...)
	}
	if c.LatentDim <= 0 {
		return fail("LatentDim must be positive, got %d", c.LatentDim)
	}
	if len(c.Blocks) == 0 {
		return fail("Blocks is empty: give at least the layer that outputs the image")
	}
	if c.Activation == "" {
		c.Activation = ReLU
	}
	if c.Activation != ReLU && c.Activation != LeakyReLU {
		return fail("Activation %q: hidden activation must be %q or %q", c.Activation, ReLU, LeakyReLU)
	}
	if c.LeakySlope == 0 {
		c.LeakySlope = 0.01
	}
	if c.Output == "" {
		c.Output = Tanh
	}
	switch c.Output {
	case Tanh, Sigmoid, Identity, ReLU, LeakyReLU:
	default:
		return fail("Output %q: must be one of %q, %q, %q, %q, %q", c.Output, Tanh, Sigmoid, Identity, ReLU, LeakyReLU)
	}
	if c.Eps == 0 {
		c.Eps = 1e-5
	}
	if c.Eps < 0 {
		return fail("Eps must be positive, got %g", c.Eps)
	}
	if c.Scope == "" {
		c.Scope = "/generator"
	}
	c.Scope = "/" + strings.Trim(c.Scope, "/")
	if c.Scope == "/" {
		return fail("Scope %q must name a context scope, e.g. \"/generator\"", c.Scope)
	}
	if c.DType == dtypes.InvalidDType {
		c.DType = dtypes.Float32
	}
	if c.DType != dtypes.Float32 && c.DType != dtypes.Float64 {
		return fail("DType %s: must be Float32 or Float64", c.DType)
	}
	r := &resolved{cfg: c}
	index := 0
	next := func() string {
		s := strconv.Itoa(index)
		index++
		if c.Prefix != "" {
			return c.Prefix + "." + s
		}
		return s
	}
	pick := func(explicit, numbered string) string {
		if explicit != "" {
			return explicit
		}
		return numbered
	}
	ch, h, w := c.LatentDim, 1, 1
	if l := c.Linear; l != nil {
		if l.Channels <= 0 || l.Height <= 0 || l.Width <= 0 {
			return fail("Linear: Channels, Height and Width must be positive, got %d×%d×%d", l.Channels, l.Height, l.Width)
		}
		ly := layer{linear: true, in: c.LatentDim, out: l.Channels * l.Height * l.Width, h: l.Height, w: l.Width, act: c.Activation}
		ly.name = pick(l.Name, next())
		if l.Norm1d {
			if c.BatchNorm {
				ly.normName = pick(l.NormName, next())
			}
			next() // activation
			next() // Unflatten
		} else {
			next() // Unflatten
			if c.BatchNorm {
				ly.normName = pick(l.NormName, next())
			}
			next() // activation
		}
		r.layers = append(r.layers, ly)
		ch, h, w = l.Channels, l.Height, l.Width
	}
	for i, b := range c.Blocks {
		last := i == len(c.Blocks)-1
		where := fmt.Sprintf("Blocks[%d]", i)
		if b.Kind == "" {
			b.Kind = ConvTranspose2d
		}
		if b.Kind != ConvTranspose2d && b.Kind != Conv2d {
			return fail("%s: Kind %q must be %q or %q", where, b.Kind, ConvTranspose2d, Conv2d)
		}
		if b.Stride == 0 {
			b.Stride = 1
		}
		if b.Upsample == 0 {
			b.Upsample = 1
		}
		switch {
		case b.Channels <= 0:
			return fail("%s: Channels must be positive, got %d", where, b.Channels)
		case b.Kernel <= 0:
			return fail("%s: Kernel must be positive, got %d", where, b.Kernel)
		case b.Stride < 0 || b.Padding < 0 || b.OutputPadding < 0 || b.Upsample < 0:
			return fail("%s: Stride, Padding, OutputPadding and Upsample must be >= 0", where)
		case b.OutputPadding > 0 && b.Kind != ConvTranspose2d:
			return fail("%s: OutputPadding is only defined for ConvTranspose2d", where)
		case b.OutputPadding >= b.Stride && b.OutputPadding > 0:
			return fail("%s: OutputPadding %d must be smaller than Stride %d (as in PyTorch)", where, b.OutputPadding, b.Stride)
		case b.OutputPadding > b.Padding:
			return fail("%s: OutputPadding %d > Padding %d is not supported (the output would grow past the "+
				"kernel's reach)", where, b.OutputPadding, b.Padding)
		}
		inH, inW := h*b.Upsample, w*b.Upsample
		if b.Kind == ConvTranspose2d {
			h = (inH-1)*b.Stride - 2*b.Padding + b.Kernel + b.OutputPadding
			w = (inW-1)*b.Stride - 2*b.Padding + b.Kernel + b.OutputPadding
		} else {
			h, w = 0, 0
			if inH+2*b.Padding >= b.Kernel && inW+2*b.Padding >= b.Kernel {
				h = (inH+2*b.Padding-b.Kernel)/b.Stride + 1
				w = (inW+2*b.Padding-b.Kernel)/b.Stride + 1
			}
		}
		if h <= 0 || w <= 0 {
			return fail("%s: %s with kernel %d, stride %d, padding %d on a %d×%d input gives no output",
				where, b.Kind, b.Kernel, b.Stride, b.Padding, inH, inW)
		}
		ly := layer{block: b, in: ch, out: b.Channels, h: h, w: w, act: c.Activation}
		if b.Upsample > 1 {
			next()
		}
		ly.name = pick(b.Name, next())
		if c.BatchNorm && !last {
			ly.normName = pick(b.NormName, next())
		}
		next() // activation
		if last {
			ly.act = c.Output
		}
		r.layers = append(r.layers, ly)
		ch = b.Channels
	}
	r.shape = [3]int{h, w, ch}
	r.cfg = c
	r.specs = r.tensorSpecs()
	seen := map[string]bool{}
	for _, s := range r.specs {
		if strings.Contains(s.Name, "/") || strings.HasPrefix(s.Name, ".") {
			return fail("tensor name %q: layer names must be non-empty and contain no '/'", s.Name)
		}
		if seen[s.Name] {
			return fail("two layers are named %q: check the Name and NormName fields", s.Name)
		}
		seen[s.Name] = true
	}
	return r, nil
}

func (r *resolved) tensorSpecs() []TensorSpec {
	var specs []TensorSpec
	for _, l := range r.layers {
		switch {
		case l.linear:
			specs = append(specs, TensorSpec{l.name + ".weight", []int{l.out, l.in}, "Linear weight (out_features, in_features)"})
			if r.cfg.Linear.Bias {
				specs = append(specs, TensorSpec{l.name + ".bias", []int{l.out}, "Linear bias"})
			}
		case l.block.Kind == ConvTranspose2d:
			k := l.block.Kernel
			specs = append(specs, TensorSpec{l.name + ".weight", []int{l.in, l.out, k, k}, "ConvTranspose2d weight (in, out, kH, kW)"})
		default:
			k := l.block.Kernel
			specs = append(specs, TensorSpec{l.name + ".weight", []int{l.out, l.in, k, k}, "Conv2d weight (out, in, kH, kW)"})
		}
		if !l.linear && l.block.Bias {
			specs = append(specs, TensorSpec{l.name + ".bias", []int{l.out}, string(l.block.Kind) + " bias"})
		}
		if l.normName != "" {
			n, kind := l.out, "BatchNorm2d"
			if l.linear && r.cfg.Linear.Norm1d {
				kind = "BatchNorm1d"
			} else if l.linear {
				n = r.cfg.Linear.Channels
			}
			for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
				specs = append(specs, TensorSpec{l.normName + "." + p, []int{n}, kind + " " + p})
			}
		}
	}
	return specs
}

// Tensors lists the state_dict entries the architecture reads, with their PyTorch shapes (num_batches_tracked
// buffers are accepted and ignored), or an error if the Config is invalid.
func (c Config) Tensors() ([]TensorSpec, error) {
	r, err := c.resolve()
	if err != nil {
		return nil, err
	}
	return r.specs, nil
}

// ImageShape is the output's [H, W, C], or an error if the Config is invalid.
func (c Config) ImageShape() ([3]int, error) {
	r, err := c.resolve()
	if err != nil {
		return [3]int{}, err
	}
	return r.shape, nil
}
