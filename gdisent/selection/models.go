package selection

import (
	"fmt"
)

// KLModel is a Model that reports each latent's mean KL to the prior over some inputs (VAEs); UDR uses it for
// its activity mask.
type KLModel interface {
	LatentKL(images []float32, n int) ([]float64, error)
}

// Representations encodes the same n inputs with every model (in batches of at most batch; 0 means 256) for UDR,
// with each model's per-latent KL when it is a KLModel.
func Representations(models []Model, images []float32, n, batch int) ([]Representation, error) {
	if n < 1 || len(images)%n != 0 {
		return nil, fmt.Errorf("selection.Representations: %d values is not %d whole inputs", len(images), n)
	}
	if batch <= 0 {
		batch = 256
	}
	size := len(images) / n
	reps := make([]Representation, len(models))
	for i, m := range models {
		if m == nil {
			return nil, fmt.Errorf("selection.Representations: model %d is nil", i)
		}
		rep := Representation{N: n}
		for s := 0; s < n; s += batch {
			k := min(batch, n-s)
			z, err := m.Encode(images[s*size:(s+k)*size], k)
			if err != nil {
				return nil, fmt.Errorf("selection.Representations: model %d: %w", i, err)
			}
			if len(z)%k != 0 || len(z) == 0 {
				return nil, fmt.Errorf("selection.Representations: model %d returned %d values for %d inputs", i, len(z), k)
			}
			if rep.D == 0 {
				rep.D = len(z) / k
			} else if len(z) != k*rep.D {
				return nil, fmt.Errorf("selection.Representations: model %d changed code size", i)
			}
			for _, v := range z {
				rep.Codes = append(rep.Codes, float64(v))
			}
		}
		if km, ok := m.(KLModel); ok {
			kl, err := km.LatentKL(images, n)
			if err != nil {
				return nil, fmt.Errorf("selection.Representations: model %d KL: %w", i, err)
			}
			rep.KL = kl
		}
		reps[i] = rep
	}
	return reps, nil
}

// UDRModels is UDR on the models' representations of the same n inputs.
func UDRModels(models []Model, images []float32, n int, cfg UDRConfig) (UDRResult, error) {
	reps, err := Representations(models, images, n, 0)
	if err != nil {
		return UDRResult{}, err
	}
	return UDR(reps, cfg)
}
