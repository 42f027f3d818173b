// Package gdisent holds the few interfaces that every part of the toolkit speaks: a Dataset to train on, an
// Encoder that maps observations to codes (what the metrics score), a Generator that maps latents to observations
// (what the direction methods and the latent explorer drive). training.Model builds on them for every trainable
// family (vae, vaegan, infogan).
//
// Observations are flat float32 slices, row-major [n, H, W, C]; points (the 2D ring) are 1×1×D images.
package gdisent

import "math/rand/v2"

// Dataset is training data: observations of one shape.
type Dataset interface {
	// ImageShape is one observation's shape: height, width, channels.
	ImageShape() [3]int
	// SampleImages returns n observations as flat float32 [n, H, W, C] (images in [0, 1]), drawn with rng, a
	// source derived from (seed, step) so that batches are reproducible.
	SampleImages(rng *rand.Rand, n int) ([]float32, error)
}

// Encoder maps n observations (flat, row-major) to n codes of D float32 values, row-major. It must be
// deterministic for the metrics to be: VAEs return posterior means (or samples with a fixed seed), InfoGANs the
// Q head's continuous means.
type Encoder interface {
	Encode(images []float32, n int) ([]float32, error)
}

// EncoderFunc adapts a function to Encoder.
type EncoderFunc func(images []float32, n int) ([]float32, error)

// Encode implements Encoder.
func (f EncoderFunc) Encode(images []float32, n int) ([]float32, error) { return f(images, n) }

// Generator maps n latent vectors (n×LatentDim, row-major, drawn from the model's prior) to n observations of
// ImageShape. It must be deterministic (batch norm in inference mode, no noise).
type Generator interface {
	LatentDim() int
	ImageShape() [3]int
	Generate(z []float32, n int) ([]float32, error)
}

// NewDataset adapts a sampling function that returns n observations of the given shape to Dataset.
func NewDataset(shape [3]int, sample func(rng *rand.Rand, n int) ([]float32, error)) Dataset {
	return funcDataset{shape, sample}
}

type funcDataset struct {
	shape  [3]int
	sample func(rng *rand.Rand, n int) ([]float32, error)
}

func (d funcDataset) ImageShape() [3]int { return d.shape }

func (d funcDataset) SampleImages(rng *rand.Rand, n int) ([]float32, error) { return d.sample(rng, n) }
