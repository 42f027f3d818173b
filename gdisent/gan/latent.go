// Package gan holds the pieces shared by gdisent's GANs: latent codes (categorical, continuous and nuisance noise,
// as in InfoGAN, Chen et al. 2016, arXiv:1606.03657), InfoGAN-CR's pair sampler with its gap (Lin et al. 2020,
// arXiv:1906.06034), the non-saturating GAN losses and the InfoGAN Q log-likelihoods (losses.go), and unrolled
// discriminators (Metz et al. 2017, arXiv:1611.02163; unroll.go) usable by any GAN.
package gan

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/pkg/errors"
)

// Dist is the distribution of continuous codes or noise.
type Dist int

const (
	// Uniform is U[-1, 1] (InfoGAN, InfoGAN-CR).
	Uniform Dist = iota
	// Normal is N(0, 1).
	Normal
)

func (d Dist) String() string {
	switch d {
	case Uniform:
		return "uniform[-1,1]"
	case Normal:
		return "normal(0,1)"
	}
	return "unknown"
}

// LatentSpec describes a GAN's input: categorical codes (one-hot), continuous codes and nuisance noise. The
// generator's input vector is [onehot(cat_1), …, onehot(cat_n), cont_1, …, cont_m, noise_1, …, noise_k].
type LatentSpec struct {
	Categorical    []int // cardinality of each categorical code, e.g. {10} for MNIST's digit
	Continuous     int   // number of continuous codes
	Noise          int   // number of nuisance noise dimensions
	ContinuousDist Dist  // distribution of continuous codes (default Uniform)
	NoiseDist      Dist  // distribution of the noise (default Uniform)
}

// Validate checks the spec.
func (s LatentSpec) Validate() error {
	for i, k := range s.Categorical {
		if k < 2 {
			return errors.Errorf("gan.LatentSpec: categorical code %d must have at least 2 categories, got %d", i, k)
		}
	}
	if s.Continuous < 0 || s.Noise < 0 {
		return errors.Errorf("gan.LatentSpec: continuous (%d) and noise (%d) sizes must be >= 0", s.Continuous, s.Noise)
	}
	for _, d := range []Dist{s.ContinuousDist, s.NoiseDist} {
		if d != Uniform && d != Normal {
			return errors.Errorf("gan.LatentSpec: unknown distribution %d", int(d))
		}
	}
	if s.Dim() == 0 {
		return errors.New("gan.LatentSpec: empty latent (no codes and no noise)")
	}
	return nil
}

// OneHotDim is the total size of the one-hot encoded categorical codes.
func (s LatentSpec) OneHotDim() int {
	n := 0
	for _, k := range s.Categorical {
		n += k
	}
	return n
}

// Dim is the size of the generator's input vector.
func (s LatentSpec) Dim() int { return s.OneHotDim() + s.Continuous + s.Noise }

// NumCodes is the number of regularised codes (categorical + continuous).
func (s LatentSpec) NumCodes() int { return len(s.Categorical) + s.Continuous }

// LatentBatch is a batch of latents: the generator input Z [Batch, Dim] and the codes it encodes.
type LatentBatch struct {
	Batch int
	Z     []float32 // [Batch, Dim], row-major
	Cat   []int32   // [Batch, len(Categorical)]: category index of each categorical code
	Cont  []float32 // [Batch, Continuous]
	Noise []float32 // [Batch, Noise]
}

func (s LatentSpec) draw(rng *rand.Rand, d Dist) float32 {
	if d == Normal {
		return float32(rng.NormFloat64())
	}
	return float32(2*rng.Float64() - 1)
}

// Sample draws a batch: categories uniformly, continuous codes and noise from their distributions.
func (s LatentSpec) Sample(rng *rand.Rand, batch int) (*LatentBatch, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if batch <= 0 || rng == nil {
		return nil, errors.Errorf("gan.LatentSpec.Sample: need batch > 0 and a random source, got batch %d", batch)
	}
	nc := len(s.Categorical)
	cat := make([]int32, batch*nc)
	cont := make([]float32, batch*s.Continuous)
	noise := make([]float32, batch*s.Noise)
	for b := range batch {
		for i, k := range s.Categorical {
			cat[b*nc+i] = int32(rng.IntN(k))
		}
		for i := range s.Continuous {
			cont[b*s.Continuous+i] = s.draw(rng, s.ContinuousDist)
		}
		for i := range s.Noise {
			noise[b*s.Noise+i] = s.draw(rng, s.NoiseDist)
		}
	}
	return s.Assemble(batch, cat, cont, noise)
}

// Assemble builds a LatentBatch from given codes (e.g. for traversals); cat, cont and noise are row-major
// [batch, ·] slices of the sizes the spec implies.
func (s LatentSpec) Assemble(batch int, cat []int32, cont, noise []float32) (*LatentBatch, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	nc := len(s.Categorical)
	if batch <= 0 || len(cat) != batch*nc || len(cont) != batch*s.Continuous || len(noise) != batch*s.Noise {
		return nil, errors.Errorf("gan.LatentSpec.Assemble: batch %d needs %d categories, %d continuous and %d noise values; got %d, %d, %d",
			batch, batch*nc, batch*s.Continuous, batch*s.Noise, len(cat), len(cont), len(noise))
	}
	dim := s.Dim()
	z := make([]float32, batch*dim)
	for b := range batch {
		row := z[b*dim : (b+1)*dim]
		off := 0
		for i, k := range s.Categorical {
			c := int(cat[b*nc+i])
			if c < 0 || c >= k {
				return nil, errors.Errorf("gan.LatentSpec.Assemble: row %d: category %d of code %d out of range [0, %d)", b, c, i, k)
			}
			row[off+c] = 1
			off += k
		}
		copy(row[off:], cont[b*s.Continuous:(b+1)*s.Continuous])
		off += s.Continuous
		copy(row[off:], noise[b*s.Noise:(b+1)*s.Noise])
	}
	return &LatentBatch{Batch: batch, Z: z, Cat: cat, Cont: cont, Noise: noise}, nil
}

// ZTensor returns Z as a [Batch, Dim] tensor.
func (l *LatentBatch) ZTensor() *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(l.Z, l.Batch, len(l.Z)/l.Batch)
}

// CatTensor returns the category indices as an int32 [Batch, n] tensor (nil when there are no categorical codes).
func (l *LatentBatch) CatTensor() *tensors.Tensor {
	if len(l.Cat) == 0 {
		return nil
	}
	return tensors.FromFlatDataAndDimensions(l.Cat, l.Batch, len(l.Cat)/l.Batch)
}

// ContTensor returns the continuous codes as a [Batch, m] tensor (nil when there are none).
func (l *LatentBatch) ContTensor() *tensors.Tensor {
	if len(l.Cont) == 0 {
		return nil
	}
	return tensors.FromFlatDataAndDimensions(l.Cont, l.Batch, len(l.Cont)/l.Batch)
}

// CRPairs is a batch of InfoGAN-CR latent pairs (Lin et al. 2020): in row b, A and B share code Label[b] and the
// nuisance noise; every other code differs by at least the gap.
type CRPairs struct {
	A, B  *LatentBatch
	Label []int32 // index of the shared code in [0, NumCodes): categorical codes first, then continuous
}

// LabelTensor returns the labels as an int32 [Batch] tensor.
func (p *CRPairs) LabelTensor() *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(p.Label, len(p.Label))
}

// SampleCRPairs draws InfoGAN-CR pairs: the shared code I ~ Uniform{0..NumCodes-1} is identical in both latents,
// as is the noise. Every other continuous code gets two draws from U[-1+gap/2, 1-gap/2] pushed apart by ±gap/2,
// so |c - c'| >= gap (with gap 0: two independent draws; for Normal codes the draws are N(0,1) before the push).
// Every other categorical code gets two independent draws, forced to differ when gap > 0. gap must be in [0, 2).
func (s LatentSpec) SampleCRPairs(rng *rand.Rand, batch int, gap float64) (*CRPairs, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	n := s.NumCodes()
	if n < 2 {
		return nil, errors.Errorf("gan.LatentSpec.SampleCRPairs: the contrastive regulariser needs at least 2 codes, got %d", n)
	}
	if math.IsNaN(gap) || gap < 0 || gap >= 2 {
		return nil, errors.Errorf("gan.LatentSpec.SampleCRPairs: gap must be in [0, 2), got %g", gap)
	}
	if batch <= 0 || rng == nil {
		return nil, errors.Errorf("gan.LatentSpec.SampleCRPairs: need batch > 0 and a random source, got batch %d", batch)
	}
	nc, m := len(s.Categorical), s.Continuous
	catA, catB := make([]int32, batch*nc), make([]int32, batch*nc)
	contA, contB := make([]float32, batch*m), make([]float32, batch*m)
	noise := make([]float32, batch*s.Noise)
	label := make([]int32, batch)
	for b := range batch {
		shared := rng.IntN(n)
		label[b] = int32(shared)
		for i, k := range s.Categorical {
			a := rng.IntN(k)
			bb := a
			if i != shared {
				if gap > 0 {
					bb = (a + 1 + rng.IntN(k-1)) % k
				} else {
					bb = rng.IntN(k)
				}
			}
			catA[b*nc+i], catB[b*nc+i] = int32(a), int32(bb)
		}
		for i := range m {
			idx := b*m + i
			if nc+i == shared {
				v := s.draw(rng, s.ContinuousDist)
				contA[idx], contB[idx] = v, v
				continue
			}
			var x, y float64
			if s.ContinuousDist == Normal {
				x, y = rng.NormFloat64(), rng.NormFloat64()
			} else {
				lo, hi := -1+gap/2, 1-gap/2
				x, y = lo+(hi-lo)*rng.Float64(), lo+(hi-lo)*rng.Float64()
			}
			if x < y {
				x, y = x-gap/2, y+gap/2
			} else {
				x, y = x+gap/2, y-gap/2
			}
			contA[idx], contB[idx] = float32(x), float32(y)
		}
		for i := range s.Noise {
			noise[b*s.Noise+i] = s.draw(rng, s.NoiseDist)
		}
	}
	a, err := s.Assemble(batch, catA, contA, noise)
	if err != nil {
		return nil, err
	}
	bl, err := s.Assemble(batch, catB, contB, append([]float32(nil), noise...))
	if err != nil {
		return nil, err
	}
	return &CRPairs{A: a, B: bl, Label: label}, nil
}

// Traversal builds the latents of a traversal grid: rows × cols images where row r sets categorical code catCode
// to category r (all categories; catCode < 0 gives a single row) and column j sets continuous code contCode to
// values[j]. The remaining codes and the noise are taken from base row 0 (e.g. from Sample(rng, 1)), so every
// image differs only in the traversed codes. The result is row-major: image (r, j) is row r*len(values)+j.
func (s LatentSpec) Traversal(base *LatentBatch, catCode, contCode int, values []float64) (*LatentBatch, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	nc, m := len(s.Categorical), s.Continuous
	if base == nil || base.Batch < 1 || len(base.Cat) < nc || len(base.Cont) < m || len(base.Noise) < s.Noise {
		return nil, errors.New("gan.LatentSpec.Traversal: base must be a LatentBatch of this spec")
	}
	if catCode >= nc || contCode >= m || len(values) == 0 {
		return nil, errors.Errorf("gan.LatentSpec.Traversal: categorical code %d (of %d), continuous code %d (of %d), %d values",
			catCode, nc, contCode, m, len(values))
	}
	rows := 1
	if catCode >= 0 {
		rows = s.Categorical[catCode]
	}
	cols := len(values)
	batch := rows * cols
	cat := make([]int32, 0, batch*nc)
	cont := make([]float32, 0, batch*m)
	noise := make([]float32, 0, batch*s.Noise)
	for r := range rows {
		for j := range cols {
			start := len(cat)
			cat = append(cat, base.Cat[:nc]...)
			if catCode >= 0 {
				cat[start+catCode] = int32(r)
			}
			start = len(cont)
			cont = append(cont, base.Cont[:m]...)
			if contCode >= 0 {
				cont[start+contCode] = float32(values[j])
			}
			noise = append(noise, base.Noise[:s.Noise]...)
		}
	}
	return s.Assemble(batch, cat, cont, noise)
}
