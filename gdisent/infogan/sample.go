package infogan

import (
	"math/rand/v2"

	"github.com/pkg/errors"
)

// Sample generates n observations from latents drawn from the prior with rng: the model's distribution, e.g. the
// points whose mode coverage data.Ring.Evaluate scores.
func (m *Model) Sample(rng *rand.Rand, n int) ([]float32, error) {
	if rng == nil || n < 1 {
		return nil, errors.Errorf("infogan.Sample: need a random source and n >= 1, got n %d", n)
	}
	l, err := m.latent.Sample(rng, n)
	if err != nil {
		return nil, errors.WithMessage(err, "infogan.Sample")
	}
	return m.GenerateBatch(l)
}

// CodeRecovery is how well the Q head reads the codes back from generated observations: the quantity InfoGAN's
// mutual-information term maximises (Chen et al. 2016, arXiv:1606.03657).
type CodeRecovery struct {
	N int
	// CategoricalAccuracy is, per categorical code, the fraction of observations whose arg-max Q category is the
	// drawn one (chance: 1/categories).
	CategoricalAccuracy []float64
	// ContinuousMSE is, per continuous code, the mean squared error of Q's mean (chance, predicting 0: the prior's
	// variance, 1/3 for U[−1, 1], 1 for N(0, 1)).
	ContinuousMSE []float64
}

// RecoverCodes draws n latents with rng, generates their observations and compares Q's estimate (Encode) with
// the drawn codes.
func (m *Model) RecoverCodes(rng *rand.Rand, n int) (CodeRecovery, error) {
	if m.latent.NumCodes() == 0 {
		return CodeRecovery{}, errors.Errorf("infogan.RecoverCodes: %s has no codes", m)
	}
	if rng == nil || n < 1 {
		return CodeRecovery{}, errors.Errorf("infogan.RecoverCodes: need a random source and n >= 1, got n %d", n)
	}
	l, err := m.latent.Sample(rng, n)
	if err != nil {
		return CodeRecovery{}, errors.WithMessage(err, "infogan.RecoverCodes")
	}
	x, err := m.GenerateBatch(l)
	if err != nil {
		return CodeRecovery{}, errors.WithMessage(err, "infogan.RecoverCodes")
	}
	codes, err := m.Encode(x, n)
	if err != nil {
		return CodeRecovery{}, errors.WithMessage(err, "infogan.RecoverCodes")
	}
	nc, c, d := len(m.latent.Categorical), m.latent.Continuous, m.latent.NumCodes()
	r := CodeRecovery{N: n, CategoricalAccuracy: make([]float64, nc), ContinuousMSE: make([]float64, c)}
	for b := range n {
		row := codes[b*d : (b+1)*d]
		for i := range nc {
			if int32(row[i]) == l.Cat[b*nc+i] {
				r.CategoricalAccuracy[i]++
			}
		}
		for i := range c {
			e := float64(row[nc+i] - l.Cont[b*c+i])
			r.ContinuousMSE[i] += e * e
		}
	}
	for i := range r.CategoricalAccuracy {
		r.CategoricalAccuracy[i] /= float64(n)
	}
	for i := range r.ContinuousMSE {
		r.ContinuousMSE[i] /= float64(n)
	}
	return r, nil
}
