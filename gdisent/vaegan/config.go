// Package vaegan implements VAE/GAN (Larsen et al. 2016, "Autoencoding beyond pixels using a learned similarity
// metric", ICML) and a VAE-InfoGAN hybrid: a VAE encoder, a GAN decoder (generator) and an InfoGAN Q head
// (Chen et al. 2016) on the discriminator that predicts a chosen subset of the latents from generated images,
// optionally with an unrolled discriminator (Metz et al. 2017) in the decoder's GAN loss.
//
// With x̃ = Dec(z), z ~ q(z|x), and x_p = Dec(z_p), z_p ~ N(0, I), and D_l the discriminator's last hidden layer:
//
//	L_llike   = ½ Σ (D_l(x) − D_l(x̃))², averaged over the batch (+ PixelWeight·Bernoulli NLL of x̃)
//	encoder:  β·KL + L_llike
//	decoder:  γ·L_llike + GAN_G(x̃) + GAN_G(x_p) + λ·NLL_Q(z_p[:InfoCodes] | x_p)
//	D (+Q):   GAN_D(x; x̃, x_p) + λ·NLL_Q(z_p[:InfoCodes] | x_p)
//
// GAN terms are the non-saturating logistic losses of package gan; NLL_Q is a unit-variance Gaussian NLL (the
// InfoGAN continuous-code term). Each network has its own Adam.
package vaegan

import (
	"math"

	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/gdisent/vae"
)

// Config holds the hyperparameters.
type Config struct {
	// VAE holds the encoder/decoder architecture (Arch, ImageSize, Channels, LatentDim, ConvChannels, Hidden),
	// Beta (KL weight), BatchSize, the encoder/decoder Adam settings, Seed and checkpoints. Its Objective is ignored.
	VAE vae.Config

	Gamma       float64 // decoder weight γ of the feature-space reconstruction (Larsen et al. use 1e-6…1 by setup)
	PixelWeight float64 // weight of an extra pixel-space Bernoulli NLL on x̃ (0 = pure VAE/GAN)

	DiscHidden       int // discriminator feature width (MLP hidden units, or the FC layer after the convs)
	DiscLayers       int // MLP discriminator hidden layers (ArchMLP); conv discriminators mirror VAE.ConvChannels
	DiscLearningRate float64
	DiscBeta1        float64

	// InfoCodes > 0 makes the hybrid: Q predicts the first InfoCodes latents of z_p from Dec(z_p), weight InfoWeight.
	InfoCodes  int
	InfoWeight float64

	// Unroll > 0 steps: the decoder's GAN loss sees the discriminator after Unroll.Steps functional updates.
	Unroll gan.Unroll
}

// DefaultConfig is a small MLP VAE/GAN for 28×28 MNIST-sized images with 10 latents; set InfoCodes for the hybrid.
func DefaultConfig() Config {
	v := vae.SmallConfig()
	v.ImageSize, v.LatentDim, v.Hidden, v.Beta, v.LearningRate, v.AdamBeta1 = 28, 10, 256, 1, 3e-4, 0.5
	return Config{VAE: v, Gamma: 1, PixelWeight: 0, DiscHidden: 256, DiscLayers: 2, DiscLearningRate: 2e-4,
		DiscBeta1: 0.5, InfoWeight: 1}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	v := c.VAE
	v.Objective = vae.ObjectiveBeta
	if err := v.Validate(); err != nil {
		return errors.WithMessage(err, "vaegan")
	}
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) || x < 0 }
	switch {
	case bad(c.Gamma) || bad(c.PixelWeight) || bad(c.InfoWeight):
		return errors.Errorf("vaegan: γ, pixel and info weights must be finite and >= 0, got %g, %g, %g", c.Gamma,
			c.PixelWeight, c.InfoWeight)
	case c.DiscHidden < 1 || (c.VAE.Arch == vae.ArchMLP && c.DiscLayers < 1):
		return errors.Errorf("vaegan: discriminator needs >= 1 layer of >= 1 unit, got %d×%d", c.DiscLayers, c.DiscHidden)
	case bad(c.DiscLearningRate) || c.DiscLearningRate == 0:
		return errors.Errorf("vaegan: discriminator learning rate must be finite and > 0, got %g", c.DiscLearningRate)
	case c.DiscBeta1 < 0 || c.DiscBeta1 >= 1:
		return errors.Errorf("vaegan: discriminator Adam β1 must be in [0, 1), got %g", c.DiscBeta1)
	case c.InfoCodes < 0 || c.InfoCodes > c.VAE.LatentDim:
		return errors.Errorf("vaegan: InfoCodes must be in [0, %d], got %d", c.VAE.LatentDim, c.InfoCodes)
	}
	if err := c.Unroll.Validate(); err != nil {
		return errors.WithMessage(err, "vaegan")
	}
	return nil
}
