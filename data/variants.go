package data

import (
	"fmt"
	"math/rand/v2"
)

// DSpritesVariant is dSprites with a random nuisance in every observation, as defined by disentanglement_lib's
// dsprites.py (Locatello et al. 2019, "Challenging Common Assumptions in the Unsupervised Learning of
// Disentangled Representations"); the factors are those of the binary base (procedural [DSprites] or the
// official file) and the images have 3 channels:
//   - color-dSprites: the sprite takes an RGB colour, each channel uniform in [0.5, 1], the background stays 0.
//   - noisy-dSprites: the background is uniform noise in [0, 1], per pixel and channel; the sprite stays 1.
//
// The colour or noise is not a factor: it is drawn afresh for every observation. SampleImages draws it from its
// rng, after the base's draws. Observe and Render have no rng: row i's nuisance comes from a PCG stream keyed by
// (Seed, i, the row's factor combination), so that equal calls give equal images and the metrics stay
// deterministic, while rows repeating a combination still differ. Render is row 0.
type DSpritesVariant struct {
	// Seed keys the colour or noise of Observe and Render.
	Seed uint64

	noisy bool
	base  GroundTruth
}

// NewColorDSprites returns color-dSprites over base, a binary one-channel factor dataset (nil: the procedural
// [DSprites]).
func NewColorDSprites(base GroundTruth) (*DSpritesVariant, error) { return newVariant(base, false) }

// NewNoisyDSprites returns noisy-dSprites over base (nil: the procedural [DSprites]).
func NewNoisyDSprites(base GroundTruth) (*DSpritesVariant, error) { return newVariant(base, true) }

func newVariant(base GroundTruth, noisy bool) (*DSpritesVariant, error) {
	if base == nil {
		base = NewDSprites()
	}
	if c := base.ImageShape()[2]; c != 1 {
		return nil, fmt.Errorf("data: dSprites variant: the base has %d channels, want 1 (binary sprites)", c)
	}
	return &DSpritesVariant{noisy: noisy, base: base}, nil
}

// Name is "color-dsprites" or "noisy-dsprites".
func (v *DSpritesVariant) Name() string {
	if v.noisy {
		return "noisy-dsprites"
	}
	return "color-dsprites"
}

// NumFactors is the base's.
func (v *DSpritesVariant) NumFactors() int { return v.base.NumFactors() }

// FactorSizes are the base's.
func (v *DSpritesVariant) FactorSizes() []int { return v.base.FactorSizes() }

// FactorNames are the base's.
func (v *DSpritesVariant) FactorNames() []string { return v.base.FactorNames() }

// ImageShape is the base's with 3 channels.
func (v *DSpritesVariant) ImageShape() [3]int {
	s := v.base.ImageShape()
	return [3]int{s[0], s[1], 3}
}

// Sample draws n factor vectors uniformly.
func (v *DSpritesVariant) Sample(rng *rand.Rand, n int) []int { return v.base.Sample(rng, n) }

// Render writes the observation of one class vector into dst (at least H·W·3 values), with row 0's nuisance.
func (v *DSpritesVariant) Render(classes []int, dst []float32) error {
	img, err := v.Observe(classes, 1)
	if err != nil {
		return err
	}
	if len(dst) < len(img) {
		return fmt.Errorf("data: %s: render: dst has %d values, need %d", v.Name(), len(dst), len(img))
	}
	copy(dst, img)
	return nil
}

// Observe renders n factor vectors (n×K, row-major) into a new [n, H, W, 3] slice.
func (v *DSpritesVariant) Observe(classes []int, n int) ([]float32, error) {
	mono, err := v.base.Observe(classes, n)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", v.Name(), err)
	}
	sizes := v.base.FactorSizes()
	k := len(sizes)
	return v.paint(mono, n, func(i int) *rand.Rand {
		comb, _ := Index(sizes, classes[i*k:(i+1)*k]) // valid: the base rendered them
		return rowRand(v.Seed, i, comb)
	}), nil
}

// SampleImages draws n observations, factors and nuisance from rng ([n, H, W, 3]).
func (v *DSpritesVariant) SampleImages(rng *rand.Rand, n int) ([]float32, error) {
	if err := checkSampleArgs(v.Name()+": sample images", rng, n); err != nil {
		return nil, err
	}
	mono, err := v.base.SampleImages(rng, n)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", v.Name(), err)
	}
	return v.paint(mono, n, func(int) *rand.Rand { return rng }), nil
}

// paint turns n binary one-channel images into coloured or noisy RGB ones, row i's randomness from rowRNG(i).
func (v *DSpritesVariant) paint(mono []float32, n int, rowRNG func(i int) *rand.Rand) []float32 {
	if n == 0 {
		return []float32{}
	}
	pix := len(mono) / n
	out := make([]float32, 3*len(mono))
	for i := range n {
		rng := rowRNG(i)
		src, dst := mono[i*pix:(i+1)*pix], out[3*i*pix:3*(i+1)*pix]
		if v.noisy {
			for p, x := range src {
				for c := range 3 {
					dst[3*p+c] = min(x+rng.Float32(), 1)
				}
			}
			continue
		}
		var col [3]float32
		for c := range col {
			col[c] = 0.5 + 0.5*rng.Float32()
		}
		for p, x := range src {
			dst[3*p], dst[3*p+1], dst[3*p+2] = x*col[0], x*col[1], x*col[2]
		}
	}
	return out
}
