package training_test

import (
	"math/rand/v2"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/nn"
	"github.com/gdisent/gdisent/gdisent/training"
)

// A GAN-style iteration: two networks, two Adams over disjoint scopes, two compiled steps, one Loop with
// checkpoints. (Compiled, not run.)
func Example_twoOptimizers() {
	b := backend.MustNew()
	ctx := context.New()
	ctx.SetParam(training.ParamSeed, int64(1))
	ctx.In("generator").SetParam(training.ParamLearningRate, 1e-3)
	ctx.In("discriminator").SetParams(map[string]any{training.ParamLearningRate: 2e-4, training.ParamAdamBeta1: 0.5})
	optG := training.NewAdam(ctx.In("generator"))
	optD := training.NewAdam(ctx.In("discriminator"))

	gen := func(ctx *context.Context, z *Node) *Node { return nn.Dense(ctx.In("generator"), z, 2).Done() }
	disc := func(ctx *context.Context, x *Node) *Node { return nn.Dense(ctx.In("discriminator"), x, 1).Done() }
	softplus := func(x *Node) *Node { return Log1p(Exp(x)) }

	dStep, _ := training.NewStep(b, ctx, "D", func(ctx *context.Context, _ *Node, in []*Node, out *training.Outputs) {
		real, z := in[0], in[1]
		loss := Add(ReduceAllMean(softplus(Neg(disc(ctx, real)))), ReduceAllMean(softplus(disc(ctx, gen(ctx, z)))))
		out.Minimize("d_loss", loss, optD) // only discriminator variables change
	})
	gStep, _ := training.NewStep(b, ctx, "G", func(ctx *context.Context, _ *Node, in []*Node, out *training.Outputs) {
		out.Minimize("g_loss", ReduceAllMean(softplus(Neg(disc(ctx, gen(ctx, in[0]))))), optG)
	})
	loop := training.NewLoop(b, ctx, func(step int64, rng *rand.Rand) (training.Metrics, error) {
		batch := func() []float32 {
			v := make([]float32, 64*2)
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
			return v
		}
		m, err := dStep.Run(step, training.Tensor(batch(), 64, 2), training.Tensor(batch(), 64, 2))
		if err != nil {
			return m, err
		}
		mg, err := gStep.Run(step, training.Tensor(batch(), 64, 2))
		return m.Merge(mg), err
	}).Checkpoints("/tmp/gan-ckpt", 500, 3)
	if _, err := loop.Restore(); err != nil {
		panic(err)
	}
	_ = loop.RunTo(2000)
	// Mid-training re-initialisation of a network and its Adam state (InfoGAN-CR's CR discriminator):
	_ = optD.Reset(b, ctx)
}
