package data

import (
	"fmt"
	"math/rand/v2"
)

// Pooled is a factor dataset whose images are those of Source average-pooled over Factor×Factor blocks, e.g.
// 64×64 dSprites at 32×32 for CPU-sized GANs. Factors are Source's.
type Pooled struct {
	Source FactorDataset
	Factor int
}

// NewPooled checks that factor divides the source images' height and width.
func NewPooled(src FactorDataset, factor int) (*Pooled, error) {
	if src == nil {
		return nil, fmt.Errorf("data.NewPooled: nil source")
	}
	s := src.ImageShape()
	if factor < 1 || s[0]%factor != 0 || s[1]%factor != 0 {
		return nil, fmt.Errorf("data.NewPooled: factor %d must be >= 1 and divide the %d×%d images", factor, s[0], s[1])
	}
	return &Pooled{Source: src, Factor: factor}, nil
}

// NumFactors implements FactorDataset.
func (p *Pooled) NumFactors() int { return p.Source.NumFactors() }

// FactorSizes implements FactorDataset.
func (p *Pooled) FactorSizes() []int { return p.Source.FactorSizes() }

// FactorNames implements FactorDataset.
func (p *Pooled) FactorNames() []string { return p.Source.FactorNames() }

// ImageShape implements FactorDataset.
func (p *Pooled) ImageShape() [3]int {
	s := p.Source.ImageShape()
	return [3]int{s[0] / p.Factor, s[1] / p.Factor, s[2]}
}

// Sample implements FactorDataset.
func (p *Pooled) Sample(rng *rand.Rand, n int) []int { return p.Source.Sample(rng, n) }

// Observe implements FactorDataset.
func (p *Pooled) Observe(classes []int, n int) ([]float32, error) { return ObserveWith(p, classes, n) }

// SampleImages returns n pooled images of uniformly drawn factors (gdisent.Dataset).
func (p *Pooled) SampleImages(rng *rand.Rand, n int) ([]float32, error) {
	if err := checkSampleArgs("pooled: sample images", rng, n); err != nil {
		return nil, err
	}
	return p.Observe(p.Sample(rng, n), n)
}

// Render implements FactorDataset: the source image of classes, pooled.
func (p *Pooled) Render(classes []int, dst []float32) error {
	s, o := p.Source.ImageShape(), p.ImageShape()
	if len(dst) < o[0]*o[1]*o[2] {
		return fmt.Errorf("data.Pooled: dst has %d values, need %d", len(dst), o[0]*o[1]*o[2])
	}
	full := make([]float32, s[0]*s[1]*s[2])
	if err := p.Source.Render(classes, full); err != nil {
		return err
	}
	f, c := p.Factor, s[2]
	inv := 1 / float32(f*f)
	for y := range o[0] {
		for x := range o[1] {
			for ch := range c {
				sum := float32(0)
				for dy := range f {
					row := ((y*f+dy)*s[1] + x*f) * c
					for dx := range f {
						sum += full[row+dx*c+ch]
					}
				}
				dst[(y*o[1]+x)*c+ch] = sum * inv
			}
		}
	}
	return nil
}
