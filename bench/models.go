package bench

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/infogan"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/gdisent/vae"
)

// Trainer is what vae.Model and infogan.Model have in common: Train runs the model's own training loop up to a
// total number of steps.
type Trainer interface {
	Train(ds gdisent.Dataset, steps int, rep training.Reporter) error
	Step() int64
}

// ModelCase is one model the notebooks train, built through its package with a typed Config, with a random
// binary dataset of its image shape. torch_models.py has the same cases under the same names.
type ModelCase struct {
	Name string
	What string // one-line description for the results table
	New  func(b backends.Backend) (Trainer, gdisent.Dataset, error)
}

// ModelCases are the benchmarked models: the quickstart β-VAE, FactorVAE, InfoGAN on MNIST without and with a
// 5-step unrolled discriminator, and InfoGAN-CR on dSprites with the contrastive regulariser on from step 0.
var ModelCases = []ModelCase{
	{"BetaVAE", "β-VAE step (vae.DefaultConfig, 64×64×1, batch 64)", func(b backends.Backend) (Trainer, gdisent.Dataset, error) {
		return newVAE(b, vae.DefaultConfig())
	}},
	{"FactorVAE", "FactorVAE step (+ TC discriminator 4×256)", func(b backends.Backend) (Trainer, gdisent.Dataset, error) {
		c := vae.DefaultConfig()
		c.Objective = vae.ObjectiveFactor
		return newVAE(b, c)
	}},
	{"InfoGANMNISTK0", "InfoGAN iteration, MNIST 28×28 (D + G step)", func(b backends.Backend) (Trainer, gdisent.Dataset, error) {
		return newInfoGAN(b, infogan.MNISTConfig())
	}},
	{"InfoGANMNISTK5", "InfoGAN iteration, MNIST, D unrolled K=5", func(b backends.Backend) (Trainer, gdisent.Dataset, error) {
		c := infogan.MNISTConfig()
		c.UnrollSteps = 5
		return newInfoGAN(b, c)
	}},
	{"InfoGANCR", "InfoGAN-CR iteration, dSprites 64×64 (CR-D + D + 2 G)", func(b backends.Backend) (Trainer, gdisent.Dataset, error) {
		c := infogan.InfoGANCRConfig()
		c.CRStart = 0
		return newInfoGAN(b, c)
	}},
}

func newVAE(b backends.Backend, c vae.Config) (Trainer, gdisent.Dataset, error) {
	c.Seed = 1
	m, err := vae.New(b, c)
	if err != nil {
		return nil, nil, errors.WithMessage(err, "bench: vae.New")
	}
	return m, RandomImages(c.ImageSize, c.Channels, 256), nil
}

func newInfoGAN(b backends.Backend, c infogan.Config) (Trainer, gdisent.Dataset, error) {
	c.Seed = 1
	m, err := infogan.New(b, c)
	if err != nil {
		return nil, nil, errors.WithMessage(err, "bench: infogan.New")
	}
	s := c.ImageShape()
	return m, RandomImages(s[0], s[2], 256), nil
}

// RandomImages is an in-memory dataset of n random binary size×size×channels images (dSprites-like pixels).
func RandomImages(size, channels, n int) gdisent.Dataset {
	r := rand.New(rand.NewPCG(7, 8))
	px := make([]float32, n*size*size*channels)
	for i := range px {
		if r.IntN(4) == 0 {
			px[i] = 1
		}
	}
	return &vae.InMemory{Images: px, Count: n, Shape: [3]int{size, size, channels}}
}
