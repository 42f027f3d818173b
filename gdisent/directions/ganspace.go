package directions

import (
	"github.com/gdisent/gdisent/gdisent/training"

	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// GANSpaceConfig configures GANSpace.
type GANSpaceConfig struct {
	LatentDim  int          // D
	Components int          // k directions (≤ D)
	Samples    int          // N latents for PCA and regression (default 20,000, as in Khrulkov et al. 2021)
	Batch      int          // generator batch (default 256)
	DType      dtypes.DType // dtype of z (default Float32)
	Seed       uint64
}

// SampleFeatures draws n latents z ~ N(0, I) with a seeded Go RNG and returns them with the flattened features
// feat(z) (n×P), computed in batches.
func SampleFeatures(b backends.Backend, ctx *context.Context, feat Generator, dim, n, batch int, dt dtypes.DType, seed uint64) (z, f *mat.Dense, err error) {
	defer training.Recover(&err, "directions: sampling features")
	if err := backendOK(b); err != nil {
		return nil, nil, err
	}
	if ctx == nil || feat == nil || dim <= 0 || n <= 0 {
		return nil, nil, errors.Errorf("directions: SampleFeatures: need ctx, feature function, dim > 0, n > 0 (dim=%d n=%d)", dim, n)
	}
	if batch <= 0 {
		batch = 256
	}
	dt = defaultDType(dt)
	e, err := context.NewExec(b, ctx, func(ctx *context.Context, z *Node) *Node {
		return flatBatch(genReuse(ctx, feat, z))
	})
	if err != nil {
		return nil, nil, err
	}
	defer e.Finalize()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	zs := make([]float64, n*dim)
	for i := range zs {
		zs[i] = rng.NormFloat64()
	}
	var data []float64
	p := 0
	for start := 0; start < n; start += batch {
		m := min(batch, n-start)
		zt, err := tensorOf(dt, zs[start*dim:(start+m)*dim], m, dim)
		if err != nil {
			return nil, nil, err
		}
		res, err := e.Exec(zt)
		if err != nil {
			return nil, nil, err
		}
		fl, err := floats(res[0])
		if err != nil {
			return nil, nil, err
		}
		if data == nil {
			p = len(fl) / m
			data = make([]float64, 0, n*p)
		}
		data = append(data, fl...)
	}
	return mat.NewDense(n, dim, zs), mat.NewDense(n, p, data), nil
}

// GANSpace (Härkönen et al. 2020) samples cfg.Samples latents, computes the features feat(z) (the generator
// output or any intermediate layer, as a Generator-shaped function), and returns the PCA components regressed
// back to z-space, see GANSpaceFromFeatures. Memory is N·P float64 values: lower Samples for large features.
func GANSpace(b backends.Backend, ctx *context.Context, feat Generator, cfg GANSpaceConfig) (Directions, *PCA, error) {
	if cfg.Samples <= 0 {
		cfg.Samples = 20000
	}
	if cfg.Components <= 0 || cfg.Components > cfg.LatentDim {
		return Directions{}, nil, errors.Errorf("directions: GANSpace: Components=%d must be in [1, LatentDim=%d]", cfg.Components, cfg.LatentDim)
	}
	z, f, err := SampleFeatures(b, ctx, feat, cfg.LatentDim, cfg.Samples, cfg.Batch, cfg.DType, cfg.Seed)
	if err != nil {
		return Directions{}, nil, err
	}
	return GANSpaceFromFeatures(z, f, cfg.Components, cfg.Seed)
}
