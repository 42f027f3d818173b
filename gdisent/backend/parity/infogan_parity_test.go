package parity

// The InfoGAN cases use the current infogan API: infogan.New(backend, ctx, arch, latent, sampler) with the
// hyperparameters in the context. Adapt them when that API changes; the comparison itself is in parity_test.go.

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/gdisent/infogan"
	"github.com/gdisent/gdisent/gdisent/training"
)

func init() {
	cases = append(cases,
		parityCase{name: "infogan_cr", steps: 3, run: runInfoGANCR},
		parityCase{name: "infogan_unrolled5", steps: 3, run: runUnrolledInfoGAN})
}

// tinyConv is InfoGAN-CR's convolutional architecture (spectral norm, batch-normed generator) shrunk to 16×16.
func tinyConv() infogan.ConvConfig {
	return infogan.ConvConfig{ImageSize: 16, Channels: 1, GenHidden: 32, GenChannels: []int{16},
		DisChannels: []int{8, 16}, DisHidden: 32, QHidden: 32, SpectralNorm: true, InitStd: 0.02}
}

// runInfoGAN trains an InfoGAN with the given hyperparameters on 16×16 dSprites and returns every logged metric
// per iteration, except accuracies (a logit within roundoff of a tie may flip a prediction).
func runInfoGAN(t *testing.T, b backends.Backend, steps int, params map[string]any, latent gan.LatentSpec) Series {
	t.Helper()
	const seed = 5
	arch, err := infogan.ConvArchitecture(tinyConv())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.New()
	if err := training.SeedContext(ctx, seed); err != nil {
		t.Fatal(err)
	}
	ctx.SetParams(params)
	ctx.SetParam(training.ParamAdamEpsilon, parityAdamEpsilon)
	sample := pooled(4)
	sampler := func(rng *rand.Rand, batch int) (*tensors.Tensor, error) {
		imgs, err := sample(rng, batch)
		if err != nil {
			return nil, err
		}
		return tensors.FromFlatDataAndDimensions(imgs, batch, 16, 16, 1), nil
	}
	m, err := infogan.New(b, ctx, arch, latent, sampler)
	if err != nil {
		t.Fatal(err)
	}
	s := Series{}
	for step := range int64(steps) {
		mm, err := m.TrainStep(step, training.StepRand(seed, step))
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for name, v := range mm {
			if !strings.Contains(name, "acc") {
				s[name] = append(s[name], v)
			}
		}
	}
	return s
}

// runInfoGANCR: InfoGAN-CR (Lin et al. 2020) with the CR term switched on at step 1, which also re-initialises
// the CR discriminator; 3 continuous codes, batch 8, two generator steps per iteration.
func runInfoGANCR(t *testing.T, b backends.Backend, steps int) Series {
	p := infogan.InfoGANCRParams()
	p[infogan.ParamCRStart], p[infogan.ParamBatchSize] = 1, 8
	return runInfoGAN(t, b, steps, p, gan.LatentSpec{Continuous: 3, Noise: 4})
}

// runUnrolledInfoGAN: InfoGAN whose generator loss sees the discriminator unrolled K = 5 SGD steps (Metz et al.
// 2017); a categorical and two continuous codes, batch 8.
func runUnrolledInfoGAN(t *testing.T, b backends.Backend, steps int) Series {
	p := infogan.InfoGANParams()
	p[infogan.ParamUnrollK], p[infogan.ParamBatchSize] = 5, 8
	return runInfoGAN(t, b, steps, p, gan.LatentSpec{Categorical: []int{3}, Continuous: 2, Noise: 4})
}
