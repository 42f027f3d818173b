package vae

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/plots"
)

// TraversalGrid encodes one image [H, W, C], moves one latent at a time over values around its posterior mean
// (TraverseImage) and returns the labelled grid: one row per latent, labelled "z<j> (<KL>)" with the latent's KL to
// the prior on that image in nats, so collapsed rows (KL near 0) read as such; one column per value. Draw it with
// plots.GridPlot, or animate it with its GIFs / DisplayGIFs / SaveGIFs methods.
func (m *Inference) TraversalGrid(image []float32, values []float64) (*plots.ImageGrid, error) {
	images, err := m.TraverseImage(image, values)
	if err != nil {
		return nil, errors.WithMessage(err, m.name+".TraversalGrid")
	}
	kl, err := m.LatentKL(image, 1)
	if err != nil {
		return nil, errors.WithMessage(err, m.name+".TraversalGrid")
	}
	labels := make([]string, len(kl))
	for j, v := range kl {
		labels[j] = fmt.Sprintf("z%d (%.1f)", j, v)
	}
	c := m.cfg
	g, err := plots.TraversalGrid(images, c.LatentDim, len(values), c.ImageSize, c.ImageSize, c.Channels, labels, values)
	return g, errors.WithMessage(err, m.name+".TraversalGrid")
}

// LatentRecovery measures how well each latent survives a decode–encode cycle: for n prior samples z ~ N(0, I)
// drawn with rng it returns, per latent j, the Pearson correlation between z_j and the posterior mean of latent j
// of Decode(z). Latents the decoder ignores come back near 0; latents it renders visibly (and the encoder reads)
// come back near 1. It is the cycle-consistency check behind InfoGAN's mutual-information term (Chen et al. 2016),
// computed with the encoder instead of a Q head.
func (m *Inference) LatentRecovery(rng *rand.Rand, n int) ([]float64, error) {
	if rng == nil || n < 2 {
		return nil, errors.Errorf("%s.LatentRecovery: need an rng and n >= 2 samples, got n = %d", m.name, n)
	}
	l := m.cfg.LatentDim
	z := make([]float32, n*l)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	back := make([]float32, 0, n*l)
	for s := 0; s < n; s += klBatch {
		k := min(klBatch, n-s)
		imgs, err := m.Decode(z[s*l : (s+k)*l])
		if err != nil {
			return nil, errors.WithMessage(err, m.name+".LatentRecovery")
		}
		codes, err := m.Encode(imgs, k)
		if err != nil {
			return nil, errors.WithMessage(err, m.name+".LatentRecovery")
		}
		back = append(back, codes...)
	}
	r := make([]float64, l)
	for j := range l {
		r[j] = pearson(z, back, n, l, j)
	}
	return r, nil
}

// pearson is the correlation of column j of two n×l row-major matrices; 0 when either column is constant.
func pearson(a, b []float32, n, l, j int) float64 {
	var ma, mb float64
	for i := range n {
		ma += float64(a[i*l+j])
		mb += float64(b[i*l+j])
	}
	ma, mb = ma/float64(n), mb/float64(n)
	var sab, saa, sbb float64
	for i := range n {
		da, db := float64(a[i*l+j])-ma, float64(b[i*l+j])-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}
