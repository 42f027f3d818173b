package vae

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/training"
)

// Dataset provides training images.
type Dataset interface {
	// SampleImages returns n images as flat float32 [n, H, W, C] with values in [0, 1], drawn with rng (a source
	// derived from (seed, step), so batches are reproducible).
	SampleImages(rng *rand.Rand, n int) ([]float32, error)
}

// DatasetFunc adapts a function to Dataset.
type DatasetFunc func(rng *rand.Rand, n int) ([]float32, error)

// SampleImages implements Dataset.
func (f DatasetFunc) SampleImages(rng *rand.Rand, n int) ([]float32, error) { return f(rng, n) }

// InMemory is a Dataset sampling uniformly, with replacement, from count images stored flat in Images.
type InMemory struct {
	Images    []float32
	Count     int
	ImageSize int // H*W*C
}

// SampleImages implements Dataset.
func (d *InMemory) SampleImages(rng *rand.Rand, n int) ([]float32, error) {
	if d.Count < 1 || len(d.Images) != d.Count*d.ImageSize {
		return nil, errors.Errorf("vae.InMemory: %d values for %d images of %d values", len(d.Images), d.Count, d.ImageSize)
	}
	out := make([]float32, n*d.ImageSize)
	for i := range n {
		j := rng.IntN(d.Count)
		copy(out[i*d.ImageSize:(i+1)*d.ImageSize], d.Images[j*d.ImageSize:(j+1)*d.ImageSize])
	}
	return out, nil
}

// Model is a β-VAE / AnnealedVAE with its context, optimiser and training loop.
type Model struct {
	cfg     Config
	backend backends.Backend
	ctx     *context.Context // root context holding params and variables
	opt     *training.Adam
	discOpt *training.Adam // FactorVAE's TC discriminator; nil otherwise
	step    *training.Step
	loop    *training.Loop

	ds       Dataset // set during Train
	restored bool
	*Inference
}

// New creates a model with a fresh context seeded with cfg.Seed.
func New(backend backends.Backend, cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx := context.New()
	cfg.SetParams(ctx)
	return FromContext(backend, ctx)
}

// FromContext creates a model whose hyperparameters are read from ctx (see ConfigFromContext) and whose variables
// live in ctx.In(ModelScope). ctx's RNG is seeded from the "seed" hyperparameter unless it already is.
func FromContext(backend backends.Backend, ctx *context.Context) (m *Model, err error) {
	defer recoverErr(&err, "vae.FromContext")
	if backend == nil || ctx == nil {
		return nil, errors.New("vae.FromContext: backend and context must be non-nil")
	}
	cfg, err := ConfigFromContext(ctx)
	if err != nil {
		return nil, err
	}
	m = &Model{cfg: cfg, backend: backend, ctx: ctx, Inference: NewInference(backend, ctx.In(ModelScope), cfg, "vae")}
	if v := ctx.InspectVariableIfLoaded(context.RootScope, context.RNGStateVariableName); v == nil || !v.HasValue() {
		if err := training.SeedContext(ctx, cfg.Seed); err != nil {
			return nil, err
		}
	}
	m.opt = training.NewAdam(ctx.In(ModelScope))
	if cfg.Objective == ObjectiveFactor {
		m.discOpt = training.NewAdam(ctx.InAbsPath(DiscriminatorScope)).
			LearningRate(cfg.DiscLearningRate).Betas(cfg.DiscBeta1, cfg.DiscBeta2)
	}
	m.step, err = training.NewStep(backend, ctx, "vae", func(ctx *context.Context, step *Node, in []*Node, out *training.Outputs) {
		var t Terms
		if m.cfg.Objective == ObjectiveFactor {
			t = FactorLossGraph(ctx.In(ModelScope), m.cfg, step, in[0], in[1], in[2])
		} else {
			t = LossGraph(ctx.In(ModelScope), m.cfg, step, in[0])
		}
		out.Minimize("loss", t.Loss, m.opt)
		out.Log("reconstruction", t.Reconstruction)
		out.Log("kl", t.KL)
		if t.Capacity != nil {
			out.Log("capacity", t.Capacity)
		}
		if d := t.Decomposition; d != nil {
			out.Log("mi", d.MI)
			out.Log("tc", d.TC)
			out.Log("dim_kl", d.DimKL)
		}
		if f := t.Factor; f != nil {
			out.Log("tc", f.TC)
			out.Minimize("disc_loss", f.DiscLoss, m.discOpt)
			out.Log("disc_accuracy", f.DiscAccuracy)
		}
		if m.cfg.LogLatentKL {
			for j := range m.cfg.LatentDim {
				out.Log(fmt.Sprintf("kl/%02d", j), Squeeze(Slice(t.KLPerLatent, AxisElem(j))))
			}
		}
	})
	if err != nil {
		return nil, err
	}
	m.loop = training.NewLoop(backend, ctx, m.trainStep).MatchParams("/vae_")
	if cfg.CheckpointDir != "" {
		m.loop.Checkpoints(cfg.CheckpointDir, int64(cfg.CheckpointEvery), cfg.CheckpointKeep)
	}
	return m, nil
}

// Train trains until `steps` steps are completed in total (a model restored at step s runs steps−s more), drawing
// batches from ds. With a checkpoint directory, the latest checkpoint there is restored first (once per Model).
// rep nil picks training.AutoReporter. A NaN/Inf loss returns a *training.NonFiniteError.
func (m *Model) Train(ds Dataset, steps int, rep training.Reporter) (err error) {
	defer recoverErr(&err, "vae.Train")
	if steps < 0 {
		return errors.Errorf("vae.Train: steps must be >= 0, got %d", steps)
	}
	if ds == nil {
		return errors.New("vae.Train: nil dataset")
	}
	if m.cfg.CheckpointDir != "" && !m.restored {
		m.restored = true
		if _, err := m.loop.Restore(); err != nil {
			return errors.WithMessage(err, "vae.Train: restoring checkpoint")
		}
	}
	m.ds = ds
	defer func() { m.ds = nil }()
	m.loop.Reporter(rep)
	return m.loop.RunTo(int64(steps))
}

// Train builds a model from ctx's hyperparameters (see FromContext) and trains it for steps steps.
func Train(ctx *context.Context, backend backends.Backend, ds Dataset, steps int, rep training.Reporter) (*Model, error) {
	m, err := FromContext(backend, ctx)
	if err != nil {
		return nil, err
	}
	return m, m.Train(ds, steps, rep)
}

func (m *Model) trainStep(step int64, rng *rand.Rand) (training.Metrics, error) {
	c := m.cfg
	imgs, err := m.ds.SampleImages(rng, c.BatchSize)
	if err != nil {
		return nil, errors.WithMessage(err, "sampling a batch")
	}
	if want := c.BatchSize * c.ImageSize * c.ImageSize * c.Channels; len(imgs) != want {
		return nil, errors.Errorf("dataset returned %d values, want %d (batch %d of %dx%dx%d)", len(imgs), want,
			c.BatchSize, c.ImageSize, c.ImageSize, c.Channels)
	}
	x := training.Tensor(imgs, c.BatchSize, c.ImageSize, c.ImageSize, c.Channels)
	if c.Objective != ObjectiveFactor {
		return m.step.Run(step, x)
	}
	imgs2, err := m.ds.SampleImages(rng, c.BatchSize)
	if err != nil {
		return nil, errors.WithMessage(err, "sampling the discriminator's batch")
	}
	if len(imgs2) != len(imgs) {
		return nil, errors.Errorf("dataset returned %d values for the discriminator's batch, want %d", len(imgs2), len(imgs))
	}
	perm := RandomPermutations(rng, c.BatchSize, c.LatentDim)
	return m.step.Run(step, x, training.Tensor(imgs2, c.BatchSize, c.ImageSize, c.ImageSize, c.Channels),
		tensors.FromFlatDataAndDimensions(perm, c.BatchSize, c.LatentDim))
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// Context returns the model's context (hyperparameters and variables).
func (m *Model) Context() *context.Context { return m.ctx }

// Loop returns the training loop (step count, checkpoints, Every hooks).
func (m *Model) Loop() *training.Loop { return m.loop }

// History returns the recorded losses ("loss", "reconstruction", "kl", ...).
func (m *Model) History() *training.History { return m.loop.History() }

// DiscriminatorOptimizer returns FactorVAE's discriminator Adam (nil for other objectives).
func (m *Model) DiscriminatorOptimizer() *training.Adam { return m.discOpt }

// Optimizer returns the Adam over the model's variables.
func (m *Model) Optimizer() *training.Adam { return m.opt }

func recoverErr(err *error, where string) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok {
			*err = errors.WithMessage(e, where)
		} else {
			*err = errors.Errorf("%s: %v", where, r)
		}
	}
}

// Load builds a model from cfg and restores the latest checkpoint in cfg.CheckpointDir, e.g. in a notebook cell
// after the training cell (each GoNB cell runs in a fresh process). It fails when there is no checkpoint.
func Load(backend backends.Backend, cfg Config) (*Model, error) {
	if cfg.CheckpointDir == "" {
		return nil, errors.New("vae.Load: the config has no CheckpointDir")
	}
	m, err := New(backend, cfg)
	if err != nil {
		return nil, err
	}
	ok, err := m.loop.Restore()
	if err != nil {
		return nil, errors.WithMessagef(err, "vae.Load: restoring from %s", cfg.CheckpointDir)
	}
	if !ok {
		return nil, errors.Errorf("vae.Load: no checkpoint in %s (train the model first)", cfg.CheckpointDir)
	}
	m.restored = true
	return m, nil
}
