package vae

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Dataset is the toolkit's training data type.
type Dataset = gdisent.Dataset

// InMemory is a Dataset sampling uniformly, with replacement, from Count images of Shape stored flat in Images.
type InMemory struct {
	Images []float32
	Count  int
	Shape  [3]int
}

// ImageShape implements gdisent.Dataset.
func (d *InMemory) ImageShape() [3]int { return d.Shape }

// SampleImages implements gdisent.Dataset.
func (d *InMemory) SampleImages(rng *rand.Rand, n int) ([]float32, error) {
	size := d.Shape[0] * d.Shape[1] * d.Shape[2]
	if d.Count < 1 || size < 1 || len(d.Images) != d.Count*size {
		return nil, errors.Errorf("vae.InMemory: %d values for %d images of %v", len(d.Images), d.Count, d.Shape)
	}
	out := make([]float32, n*size)
	for i := range n {
		j := rng.IntN(d.Count)
		copy(out[i*size:(i+1)*size], d.Images[j*size:(j+1)*size])
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

	ds Dataset // set during Train
	*Inference
}

// Kind is the model family name recorded in checkpoints.
const Kind = "vae"

// New creates a model from a validated cfg, with a fresh context seeded with cfg.Seed (the hyperparameters are
// also stored in the context, see SetParams).
func New(backend backends.Backend, cfg Config) (m *Model, err error) {
	defer training.Recover(&err, "vae.New")
	if backend == nil {
		return nil, errors.New("vae.New: nil backend")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.ConvChannels = slices.Clone(cfg.ConvChannels)
	ctx := context.New()
	cfg.SetParams(ctx)
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
		if t.DIP != nil {
			out.Log("dip", t.DIP)
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
	m.loop = training.NewLoop(backend, ctx, m.trainStep)
	if err := m.loop.RecordConfig(Kind, cfg, runFields...); err != nil {
		return nil, err
	}
	if cfg.CheckpointDir != "" {
		m.loop.Checkpoints(cfg.CheckpointDir, int64(cfg.CheckpointEvery), cfg.CheckpointKeep)
	}
	return m, nil
}

// Train trains up to step `steps` in total (a model at step s runs steps−s more), drawing batches from ds, whose
// ImageShape must be the config's. With a checkpoint directory, the latest checkpoint there is restored first
// (StartOver deletes them instead), and the directory is locked against other training processes. rep nil picks
// training.AutoReporter. A NaN/Inf loss returns a *training.NonFiniteError.
func (m *Model) Train(ds Dataset, steps int, rep training.Reporter) (err error) {
	defer training.Recover(&err, "vae.Train")
	return errors.WithMessage(m.loop.Fit(ds, m.ImageShape(), steps, rep, m.cfg.StartOver, func(d gdisent.Dataset) { m.ds = d }),
		"vae.Train")
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

// Load rebuilds the model trained in run directory dir from the configuration its checkpoints record and restores
// the latest checkpoint (read-only: another process may still be training there), e.g. in a notebook cell after
// the training cell (each GoNB cell runs in a fresh process).
func Load(backend backends.Backend, dir string) (*Model, error) {
	cfg := DefaultConfig()
	if err := training.LoadConfig(dir, Kind, &cfg); err != nil {
		return nil, errors.WithMessage(err, "vae.Load")
	}
	cfg.CheckpointDir = dir
	m, err := New(backend, cfg)
	if err != nil {
		return nil, errors.WithMessagef(err, "vae.Load: %s", dir)
	}
	if _, err := m.loop.RestoreReadOnly(); err != nil {
		return nil, errors.WithMessagef(err, "vae.Load: %s", dir)
	}
	return m, nil
}

// Step is the number of training steps taken.
func (m *Model) Step() int64 { return m.loop.Step() }
