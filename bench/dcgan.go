// Package bench holds the DCGAN-64 training-step benchmarks that compare gdisent's pure-Go backend with PyTorch on
// the same CPU (see README.md and run.sh). The architectures here and in torch_dcgan.py must stay identical.
package bench

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"

	"github.com/gdisent/gdisent/gdisent/nn"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Batch is the batch size of both benchmarks; ZDim the generator's latent size.
const (
	Batch = 64
	ZDim  = 100
)

// Discriminator maps x [B, 64, 64, 1] to logits [B, 1]: 4 × conv4x4/s2/p1 (32, 32, 64, 64 channels, LeakyReLU
// 0.2), flatten 1024, Dense 256 (LeakyReLU 0.2), Dense 1.
func Discriminator(ctx *context.Context, x *Node) *Node {
	for i, c := range []int{32, 32, 64, 64} {
		x = nn.Conv(ctx.In("d_conv"+string(rune('0'+i))), x, c).Kernel(4).Stride(2).Padding(1).Done()
		x = activations.LeakyReluWithAlpha(x, 0.2)
	}
	x = Reshape(x, x.Shape().Dimensions[0], -1)
	x = activations.LeakyReluWithAlpha(nn.Dense(ctx.In("d_fc0"), x, 256).Done(), 0.2)
	return nn.Dense(ctx.In("d_fc1"), x, 1).Done()
}

// Generator maps z [B, 100] to images [B, 64, 64, 1]: Dense 256 (ReLU), Dense 1024 (ReLU), reshape [4, 4, 64],
// 4 × ConvTranspose k4/s2/p1 (64, 32, 32, 1 channels, ReLU between), tanh.
func Generator(ctx *context.Context, z *Node) *Node {
	x := activations.Relu(nn.Dense(ctx.In("g_fc0"), z, 256).Done())
	x = activations.Relu(nn.Dense(ctx.In("g_fc1"), x, 1024).Done())
	x = Reshape(x, x.Shape().Dimensions[0], 4, 4, 64)
	chans := []int{64, 32, 32, 1}
	for i, c := range chans {
		x = nn.ConvTranspose(ctx.In("g_convT"+string(rune('0'+i))), x, c).Kernel(4).Stride(2).Padding(1).Done()
		if i < len(chans)-1 {
			x = activations.Relu(x)
		}
	}
	return Tanh(x)
}

// Step is one prepared training step: Run does forward + backward + Adam update on fixed inputs.
type Step struct {
	step   *training.Step
	inputs []any
	n      int64
}

// Run executes one training step and returns the loss.
func (s *Step) Run() (float64, error) {
	m, err := s.step.Run(s.n, s.inputs...)
	s.n++
	if err != nil {
		return 0, err
	}
	return m["loss"], nil
}

func randTensor(r *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// newStep compiles lossFn(ctx, inputs) minimised by Adam over all of ctx's variables. The non-finite guard is off,
// as PyTorch has none.
func newStep(b backends.Backend, name string, lossFn func(ctx *context.Context, in []*Node) *Node, in ...any) *Step {
	ctx := context.New()
	ctx.SetRNGStateFromSeed(1)
	opt := training.NewAdam(ctx).LearningRate(2e-4).Betas(0.5, 0.999)
	st, err := training.NewStep(b, ctx, name, func(ctx *context.Context, _ *Node, inputs []*Node, out *training.Outputs) {
		out.Minimize("loss", lossFn(ctx, inputs), opt)
	})
	if err != nil {
		panic(err)
	}
	return &Step{step: st.GuardNonFinite(false), inputs: in}
}

// NewDStep prepares a discriminator step: BCE-with-logits on random images, first half labelled real.
func NewDStep(b backends.Backend) *Step {
	r := rand.New(rand.NewPCG(1, 2))
	labels := make([]float32, Batch)
	for i := range Batch / 2 {
		labels[i] = 1
	}
	return newStep(b, "dcgan64-D", func(ctx *context.Context, in []*Node) *Node {
		x, y := Discriminator(ctx, in[0]), in[1]
		// Mean of softplus(x) - x·y, computed stably as max(x, 0) - x·y + log1p(exp(-|x|)).
		return ReduceAllMean(Add(Sub(Max(x, ZerosLike(x)), Mul(x, y)), Log1P(Exp(Neg(Abs(x))))))
	}, randTensor(r, Batch, 64, 64, 1), tensors.FromFlatDataAndDimensions(labels, Batch, 1))
}

// NewGStep prepares a generator step: MSE between G(z) and a fixed random target.
func NewGStep(b backends.Backend) *Step {
	r := rand.New(rand.NewPCG(3, 4))
	return newStep(b, "dcgan64-G", func(ctx *context.Context, in []*Node) *Node {
		return ReduceAllMean(Square(Sub(Generator(ctx, in[0]), in[1])))
	}, randTensor(r, Batch, ZDim), randTensor(r, Batch, 64, 64, 1))
}
