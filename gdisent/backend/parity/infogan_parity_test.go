package parity

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"

	"github.com/gdisent/gdisent/gdisent"
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

// runInfoGAN trains an InfoGAN with cfg (its networks and seed replaced) on 16×16 dSprites and returns every
// logged metric per iteration, except accuracies (a logit within roundoff of a tie may flip a prediction).
func runInfoGAN(t *testing.T, b backends.Backend, steps int, cfg infogan.Config) Series {
	t.Helper()
	cfg.Arch, cfg.Conv, cfg.Seed, cfg.AdamEpsilon = infogan.ArchConv, tinyConv(), 5, parityAdamEpsilon
	m, err := infogan.New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(gdisent.NewDataset([3]int{16, 16, 1}, pooled(4)), steps, training.Silent()); err != nil {
		t.Fatal(err)
	}
	s := Series{}
	for _, sr := range m.History().All() {
		if !strings.Contains(sr.Name, "acc") {
			s[sr.Name] = sr.Values
		}
	}
	return s
}

// runInfoGANCR: InfoGAN-CR (Lin et al. 2020) with the CR term switched on at step 1, which also re-initialises
// the CR discriminator; 3 continuous codes, batch 8, two generator steps per iteration.
func runInfoGANCR(t *testing.T, b backends.Backend, steps int) Series {
	c := infogan.InfoGANCRConfig()
	c.CRStart, c.BatchSize, c.Latent = 1, 8, gan.LatentSpec{Continuous: 3, Noise: 4}
	return runInfoGAN(t, b, steps, c)
}

// runUnrolledInfoGAN: InfoGAN whose generator loss sees the discriminator unrolled K = 5 SGD steps (Metz et al.
// 2017); a categorical and two continuous codes, batch 8.
func runUnrolledInfoGAN(t *testing.T, b backends.Backend, steps int) Series {
	c := infogan.MNISTConfig()
	c.UnrollSteps, c.BatchSize, c.Latent = 5, 8, gan.LatentSpec{Categorical: []int{3}, Continuous: 2, Noise: 4}
	return runInfoGAN(t, b, steps, c)
}
