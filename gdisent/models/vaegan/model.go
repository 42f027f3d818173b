package vaegan

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/models/vae"
	"github.com/gdisent/gdisent/gdisent/training"
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
	restored               bool
	encodeExec, decodeExec *context.Exec
}

// New builds a model with a fresh context seeded with cfg.VAE.Seed.
func New(backend backends.Backend, cfg Config) (m *Model, err error) {
	defer recoverErr(&err, "vaegan.New")
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
	m = &Model{cfg: cfg, backend: backend, ctx: ctx}
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
	m.loop = training.NewLoop(backend, ctx, m.trainStep).MatchParams("/vae_")
	if v.CheckpointDir != "" {
		m.loop.Checkpoints(v.CheckpointDir, int64(v.CheckpointEvery), v.CheckpointKeep)
	}
	return m, nil
}

// Load builds a model from cfg and restores the latest checkpoint in cfg.VAE.CheckpointDir.
func Load(backend backends.Backend, cfg Config) (*Model, error) {
	if cfg.VAE.CheckpointDir == "" {
		return nil, errors.New("vaegan.Load: the config has no checkpoint directory")
	}
	m, err := New(backend, cfg)
	if err != nil {
		return nil, err
	}
	ok, err := m.loop.Restore()
	if err != nil {
		return nil, errors.WithMessagef(err, "vaegan.Load: restoring from %s", cfg.VAE.CheckpointDir)
	}
	if !ok {
		return nil, errors.Errorf("vaegan.Load: no checkpoint in %s (train the model first)", cfg.VAE.CheckpointDir)
	}
	m.restored = true
	return m, nil
}

// Train trains until steps steps are completed in total, restoring the latest checkpoint first (once).
func (m *Model) Train(ds vae.Dataset, steps int, rep training.Reporter) (err error) {
	defer recoverErr(&err, "vaegan.Train")
	if steps < 0 || ds == nil {
		return errors.Errorf("vaegan.Train: need steps >= 0 and a dataset, got %d, %v", steps, ds)
	}
	if m.cfg.VAE.CheckpointDir != "" && !m.restored {
		m.restored = true
		if _, err := m.loop.Restore(); err != nil {
			return errors.WithMessage(err, "vaegan.Train: restoring checkpoint")
		}
	}
	m.ds = ds
	defer func() { m.ds = nil }()
	m.loop.Reporter(rep)
	return m.loop.RunTo(int64(steps))
}

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

func (m *Model) evalCtx() *context.Context { return m.ctx.In(ModelScope).Checked(false) }

// EncodeDistribution returns the posterior means and log-variances [n, LatentDim] of n images (flat [n, H, W, C]).
func (m *Model) EncodeDistribution(images []float32) (mean, logVar []float32, err error) {
	defer recoverErr(&err, "vaegan.Encode")
	n := len(images) / max(m.imageLen(), 1)
	if n < 1 || len(images) != n*m.imageLen() {
		return nil, nil, errors.Errorf("vaegan.Encode: %d values is not a whole number of images of %d", len(images), m.imageLen())
	}
	if m.encodeExec == nil {
		if m.encodeExec, err = context.NewExec(m.backend, m.evalCtx(), func(ctx *context.Context, x *Node) (*Node, *Node) {
			return vae.EncoderGraph(ctx, m.cfg.VAE, x)
		}); err != nil {
			return nil, nil, err
		}
	}
	s := m.cfg.VAE.ImageSize
	outs, err := m.encodeExec.Exec(training.Tensor(images, n, s, s, m.cfg.VAE.Channels))
	if err != nil {
		return nil, nil, errors.WithMessage(err, "vaegan.Encode")
	}
	return tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1]), nil
}

// Encode returns the posterior means [n, LatentDim] of n images.
func (m *Model) Encode(images []float32) ([]float32, error) {
	mean, _, err := m.EncodeDistribution(images)
	return mean, err
}

// Decode maps codes [n, LatentDim] to images in [0, 1] (flat [n, H, W, C]).
func (m *Model) Decode(z []float32) (images []float32, err error) {
	defer recoverErr(&err, "vaegan.Decode")
	l := m.cfg.VAE.LatentDim
	n := len(z) / l
	if n < 1 || len(z) != n*l {
		return nil, errors.Errorf("vaegan.Decode: %d values is not a whole number of %d-d codes", len(z), l)
	}
	if m.decodeExec == nil {
		if m.decodeExec, err = context.NewExec(m.backend, m.evalCtx(), func(ctx *context.Context, z *Node) *Node {
			return Sigmoid(vae.DecoderGraph(ctx, m.cfg.VAE, z))
		}); err != nil {
			return nil, err
		}
	}
	out, err := m.decodeExec.Exec(training.Tensor(z, n, l))
	if err != nil {
		return nil, errors.WithMessage(err, "vaegan.Decode")
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// Reconstruct encodes images to their posterior means and decodes them.
func (m *Model) Reconstruct(images []float32) ([]float32, error) {
	mean, err := m.Encode(images)
	if err != nil {
		return nil, err
	}
	return m.Decode(mean)
}

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

// LatentKL returns each latent's KL(q(z_j|x) ‖ N(0, 1)) averaged over the images.
func (m *Model) LatentKL(images []float32) ([]float64, error) {
	mean, logVar, err := m.EncodeDistribution(images)
	if err != nil {
		return nil, err
	}
	l := m.cfg.VAE.LatentDim
	kl := make([]float64, l)
	n := len(mean) / l
	for i := range mean {
		mu, lv := float64(mean[i]), float64(logVar[i])
		kl[i%l] += 0.5 * (mu*mu + math.Exp(lv) - lv - 1) / float64(n)
	}
	return kl, nil
}

// TraverseImage encodes one image and decodes, for each latent j (rows) and value v (columns), its posterior mean
// with z_j = v: flat [LatentDim·len(values), H, W, C].
func (m *Model) TraverseImage(image []float32, values []float64) ([]float32, error) {
	if len(image) != m.imageLen() || len(values) == 0 {
		return nil, errors.Errorf("vaegan.TraverseImage: want one image of %d values and >= 1 value, got %d and %d",
			m.imageLen(), len(image), len(values))
	}
	z, err := m.Encode(image)
	if err != nil {
		return nil, err
	}
	l := len(z)
	codes := make([]float32, 0, l*len(values)*l)
	for j := range l {
		for _, v := range values {
			row := append([]float32(nil), z...)
			row[j] = float32(v)
			codes = append(codes, row...)
		}
	}
	return m.Decode(codes)
}

func recoverErr(err *error, where string) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok {
			*err = errors.WithMessage(e, where)
		} else {
			*err = errors.Errorf("%s: %v", where, r)
		}
	}
}
