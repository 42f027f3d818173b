package training

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
)

// ParamSeed is the context hyperparameter holding a run's seed (int64; default 0).
const ParamSeed = "seed"

// splitmix64 is Steele et al.'s SplitMix64 finaliser, used to decorrelate (seed, step, stream) triples.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// StepRand returns the random source for data sampling at a step: a PCG generator seeded only from (seed, step),
// so a resumed run draws exactly the batches an uninterrupted one would.
func StepRand(seed, step int64) *rand.Rand { return StreamRand(seed, step, 0) }

// StreamRand is StepRand for an independent stream (e.g. 1 for a second network's noise) of the same step.
func StreamRand(seed, step int64, stream uint64) *rand.Rand {
	a := splitmix64(uint64(seed) ^ splitmix64(uint64(step)))
	b := splitmix64(a ^ splitmix64(stream+0x632be59bd9b4e019))
	return rand.New(rand.NewPCG(a, b))
}

// SeedContext makes ctx's randomness (variable initializers and in-graph noise such as the VAE's
// reparameterisation) a function of seed: it records seed as ParamSeed and context.ParamInitialSeed and resets the
// context's RNG state. Call it before any graph runs.
func SeedContext(ctx *context.Context, seed int64) error {
	ctx.InAbsPath(context.RootScope).SetParam(ParamSeed, seed)
	ctx.InAbsPath(context.RootScope).SetParam(context.ParamInitialSeed, seed)
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		return errors.WithMessagef(err, "training.SeedContext(%d)", seed)
	}
	return nil
}
