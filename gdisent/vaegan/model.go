package vaegan

import (
	"github.com/gdisent/gdisent/gdisent"

	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/gdisent/vae"
)

// Model is a VAE/GAN (or VAE-InfoGAN hybrid) with its context, three Adams and a training loop. Each training
// step runs one discriminator update, then one encoder+decoder update, on the same batch.
type Model struct {
	cfg                    Config
	backend                backends.Backend
	ctx                    *context.Context
	encOpt, decOpt, disOpt *training.Adam
	dStep, vStep           *training.Step
	loop                   *training.Loop
	ds                     vae.Dataset
	*vae.Inference         // Encode, Generate, Decode, Reconstruct, LatentKL, TraverseImage
}

// Kind is the model family name recorded in checkpoints.
const Kind = "vaegan"

// runFields are the Config fields that keep a run rather than define the model: resuming ignores their changes.
var runFields = []string{"VAE.CheckpointEvery", "VAE.CheckpointKeep"}

// New builds a model with a fresh context seeded with cfg.VAE.Seed.
func New(backend backends.Backend, cfg Config) (m *Model, err error) {
	defer training.Recover(&err, "vaegan.New")
	if backend == nil {
		return nil, errors.New("vaegan.New: nil backend")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.VAE.Objective = vae.ObjectiveBeta
	ctx := context.New()
	cfg.VAE.SetParams(ctx)
	if err := training.SeedContext(ctx, cfg.VAE.Seed); err != nil {
		return nil, err
	}
	m = &Model{cfg: cfg, backend: backend, ctx: ctx, Inference: vae.NewInference(backend, ctx.In(ModelScope), cfg.VAE, "vaegan")}
	v := cfg.VAE
	mctx := ctx.In(ModelScope)
	m.encOpt = training.NewAdam(mctx.In("encoder")).LearningRate(v.LearningRate).Betas(v.AdamBeta1, v.AdamBeta2)
	m.decOpt = training.NewAdam(mctx.In("decoder")).LearningRate(v.LearningRate).Betas(v.AdamBeta1, v.AdamBeta2)
	m.disOpt = training.NewAdam(ctx.InAbsPath(DiscriminatorScope)).LearningRate(cfg.DiscLearningRate).Betas(cfg.DiscBeta1, 0.999)
	m.dStep, err = training.NewStep(backend, ctx, "vaegan/D", func(ctx *context.Context, _ *Node, in []*Node, out *training.Outputs) {
		loss, ganLoss, q := DiscriminatorLossGraph(ctx, m.cfg, in[0])
		out.Minimize("d_loss", loss, m.disOpt)
		out.Log("d_gan", ganLoss)
		if q != nil {
			out.Log("d_q_loss", q)
		}
	})
	if err != nil {
		return nil, err
	}
	m.vStep, err = training.NewStep(backend, ctx, "vaegan/VAE", func(ctx *context.Context, _ *Node, in []*Node, out *training.Outputs) {
		t := VAELossGraph(ctx, m.cfg, in[0])
		out.Minimize("encoder_loss", t.EncoderLoss, m.encOpt)
		out.Minimize("decoder_loss", t.DecoderLoss, m.decOpt)
		out.Log("kl", t.KL)
		out.Log("feature_nll", t.FeatureNLL)
		out.Log("reconstruction", t.PixelNLL)
		out.Log("g_gan", t.GANG)
		if t.QLoss != nil {
			out.Log("q_loss", t.QLoss)
		}
		if m.cfg.VAE.LogLatentKL {
			for j := range m.cfg.VAE.LatentDim {
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
	if v.CheckpointDir != "" {
		m.loop.Checkpoints(v.CheckpointDir, int64(v.CheckpointEvery), v.CheckpointKeep)
	}
	return m, nil
}

// Load rebuilds the model trained in run directory dir from the configuration its checkpoints record and restores
// the latest checkpoint (read-only: another process may still be training there).
func Load(backend backends.Backend, dir string) (*Model, error) {
	cfg := DefaultConfig()
	if err := training.LoadConfig(dir, Kind, &cfg); err != nil {
		return nil, errors.WithMessage(err, "vaegan.Load")
	}
	cfg.VAE.CheckpointDir = dir
	m, err := New(backend, cfg)
	if err != nil {
		return nil, errors.WithMessagef(err, "vaegan.Load: %s", dir)
	}
	if _, err := m.loop.RestoreReadOnly(); err != nil {
		return nil, errors.WithMessagef(err, "vaegan.Load: %s", dir)
	}
	return m, nil
}

// Train trains up to step `steps` in total (a model at step s runs steps−s more), drawing batches from ds, whose
// ImageShape must be the config's. With a checkpoint directory, the latest checkpoint there is restored first
// (VAE.StartOver deletes them instead), and the directory is locked against other training processes.
func (m *Model) Train(ds vae.Dataset, steps int, rep training.Reporter) (err error) {
	defer training.Recover(&err, "vaegan.Train")
	return errors.WithMessage(m.loop.Fit(ds, m.ImageShape(), steps, rep, m.cfg.VAE.StartOver, func(d gdisent.Dataset) { m.ds = d }),
		"vaegan.Train")
}

// Step is the number of training steps taken.
func (m *Model) Step() int64 { return m.loop.Step() }

func (m *Model) imageLen() int {
	v := m.cfg.VAE
	return v.ImageSize * v.ImageSize * v.Channels
}

func (m *Model) trainStep(step int64, rng *rand.Rand) (training.Metrics, error) {
	v := m.cfg.VAE
	imgs, err := m.ds.SampleImages(rng, v.BatchSize)
	if err != nil {
		return nil, errors.WithMessage(err, "sampling a batch")
	}
	if len(imgs) != v.BatchSize*m.imageLen() {
		return nil, errors.Errorf("dataset returned %d values, want %d", len(imgs), v.BatchSize*m.imageLen())
	}
	x := training.Tensor(imgs, v.BatchSize, v.ImageSize, v.ImageSize, v.Channels)
	md, err := m.dStep.Run(step, x)
	if err != nil {
		return md, err
	}
	mv, err := m.vStep.Run(step, x)
	return md.Merge(mv), err
}

// Config returns the configuration.
func (m *Model) Config() Config { return m.cfg }

// Context returns the context (hyperparameters and variables).
func (m *Model) Context() *context.Context { return m.ctx }

// Loop returns the training loop.
func (m *Model) Loop() *training.Loop { return m.loop }

// History returns the recorded losses.
func (m *Model) History() *training.History { return m.loop.History() }

// Sample decodes n prior samples z ~ N(0, I) drawn from rng.
func (m *Model) Sample(rng *rand.Rand, n int) ([]float32, error) {
	if n < 1 || rng == nil {
		return nil, errors.Errorf("vaegan.Sample: need n >= 1 and an rng, got %d", n)
	}
	z := make([]float32, n*m.cfg.VAE.LatentDim)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	return m.Decode(z)
}
