// Package infogan implements InfoGAN (Chen et al. 2016, arXiv:1606.03657), InfoGAN-CR (Lin et al. 2020,
// arXiv:1906.06034) and Unrolled InfoGAN — InfoGAN whose generator sees a discriminator unrolled K steps (Metz et
// al. 2017, arXiv:1611.02163) while its Q loss uses the actual discriminator — on GoMLX, with gdisent's training
// loop (progress, checkpoints, resume).
//
// One Model covers all three, set by one typed Config (presets DefaultConfig, InfoGANCRConfig, MNISTConfig,
// RingConfig): New(backend, cfg), Train(ds, steps, rep) up to an absolute step, Load(backend, dir) from a run
// directory alone. A plain GAN is a Model whose latent has no codes.
package infogan

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/directions"
	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Model is an InfoGAN / InfoGAN-CR / Unrolled InfoGAN / plain GAN with its context, optimisers and training loop.
// It implements training.Model: Generate maps latent vectors [onehot(cat), cont, noise] to observations, Encode is
// the Q head's code estimate.
type Model struct {
	backend backends.Backend
	ctx     *context.Context
	arch    Architecture
	latent  gan.LatentSpec
	cfg     Config
	unroll  gan.Unroll
	useCR   bool
	loop    *training.Loop

	genScope, disScope, crScope string
	gAdam, dAdam, crAdam        *training.Adam

	dStep, gStep, gStepCR, crStep, crStepOn, dgStep *training.Step
	genExec, encExec                                *context.Exec

	ds gdisent.Dataset // set during Train
}

// Kind is the model family name recorded in checkpoints.
const Kind = "infogan"

// New creates a model from a validated cfg, with a fresh context seeded with cfg.Seed. InfoGAN-CR is on when
// cfg.CRStart >= 0.
func New(backend backends.Backend, cfg Config) (m *Model, err error) {
	defer training.Recover(&err, "infogan.New")
	if backend == nil {
		return nil, errors.New("infogan.New: nil backend")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.clone()
	arch, err := cfg.architecture()
	if err != nil {
		return nil, err
	}
	ctx := context.New()
	if err := training.SeedContext(ctx, cfg.Seed); err != nil {
		return nil, err
	}
	m = &Model{backend: backend, ctx: ctx.Checked(false), arch: arch, latent: cfg.Latent, cfg: cfg,
		useCR: cfg.CRStart >= 0, unroll: cfg.unroll()}
	m.genScope = m.ctx.In("generator").Scope()
	m.disScope = m.ctx.In("discriminator").Scope()
	m.crScope = m.ctx.In("cr_discriminator").Scope()
	m.gAdam = training.NewAdam(m.ctx.In("generator")).LearningRate(cfg.GLearningRate).Betas(cfg.AdamBeta1, cfg.AdamBeta2).Epsilon(cfg.adamEpsilon())
	m.dAdam = training.NewAdam(m.ctx.In("discriminator")).LearningRate(cfg.DLearningRate).Betas(cfg.AdamBeta1, cfg.AdamBeta2).Epsilon(cfg.adamEpsilon())
	m.crAdam = training.NewAdam(m.ctx.In("cr_discriminator")).LearningRate(cfg.CRLearningRate).Betas(cfg.AdamBeta1, cfg.AdamBeta2).Epsilon(cfg.adamEpsilon())
	m.unroll.AdamStateScope = m.dAdam.StateScope()
	m.loop = training.NewLoop(backend, m.ctx, m.TrainStep).Seed(cfg.Seed)
	if err := m.loop.RecordConfig(Kind, cfg, runFields...); err != nil {
		return nil, err
	}
	if cfg.CheckpointDir != "" {
		m.loop.Checkpoints(cfg.CheckpointDir, int64(cfg.CheckpointEvery), cfg.CheckpointKeep)
	}
	return m, nil
}

// Load rebuilds the model trained in run directory dir from the configuration its checkpoints record, and restores
// the latest checkpoint (read-only: another process may still be training there).
func Load(backend backends.Backend, dir string) (*Model, error) {
	cfg := Config{}
	if err := training.LoadConfig(dir, Kind, &cfg); err != nil {
		return nil, errors.WithMessage(err, "infogan.Load")
	}
	cfg.CheckpointDir = dir
	m, err := New(backend, cfg)
	if err != nil {
		return nil, errors.WithMessagef(err, "infogan.Load: %s", dir)
	}
	if _, err := m.loop.RestoreReadOnly(); err != nil {
		return nil, errors.WithMessagef(err, "infogan.Load: %s", dir)
	}
	return m, nil
}

// Train trains up to step `steps` in total (a model at step s runs steps−s more), drawing real batches from ds,
// whose ImageShape must be the config's. With a checkpoint directory, the latest checkpoint there is restored first
// (StartOver deletes them instead). rep nil picks training.AutoReporter. A NaN/Inf loss returns a
// *training.NonFiniteError.
func (m *Model) Train(ds gdisent.Dataset, steps int, rep training.Reporter) (err error) {
	defer training.Recover(&err, "infogan.Train")
	return errors.WithMessage(m.loop.Fit(ds, m.cfg.ImageShape(), steps, rep, m.cfg.StartOver, func(d gdisent.Dataset) { m.ds = d }),
		"infogan.Train")
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg.clone() }

// Latent returns the latent specification.
func (m *Model) Latent() gan.LatentSpec { return m.latent }

// Context returns the model's (unchecked) context.
func (m *Model) Context() *context.Context { return m.ctx }

// Loop returns the training loop (step count, checkpoints, Every hooks).
func (m *Model) Loop() *training.Loop { return m.loop }

// Step is the number of training iterations taken.
func (m *Model) Step() int64 { return m.loop.Step() }

// History is the logged training metrics.
func (m *Model) History() *training.History { return m.loop.History() }

// LatentDim is the generator's input size: one-hot categorical codes, continuous codes, noise.
func (m *Model) LatentDim() int { return m.latent.Dim() }

// ImageShape is one generated observation's shape ([1, 1, D] for points).
func (m *Model) ImageShape() [3]int { return m.cfg.ImageShape() }

// CodeDim is the width of Encode's codes: one per categorical and continuous code.
func (m *Model) CodeDim() int { return m.latent.NumCodes() }

// qOut is the Q head's output size: categorical logits, continuous means and, with a learned std, log stds.
func (m *Model) qOut() int {
	n := m.latent.OneHotDim() + m.latent.Continuous
	if m.cfg.QStd <= 0 {
		n += m.latent.Continuous
	}
	return n
}

// qLoss is −E log Q(c | x) from Q head outputs q [batch, qOut]: Σ categorical CE + Gaussian NLL.
func (m *Model) qLoss(q, cat, cont *Node) *Node {
	g := q.Graph()
	loss := ScalarZero(g, q.DType())
	off := 0
	for i, k := range m.latent.Categorical {
		logits := Slice(q, AxisRange(), AxisRange(off, off+k))
		labels := Reshape(Slice(cat, AxisRange(), AxisElem(i)), -1)
		loss = Add(loss, gan.CategoricalNLL(logits, labels))
		off += k
	}
	if c := m.latent.Continuous; c > 0 {
		mean := Slice(q, AxisRange(), AxisRange(off, off+c))
		var logStd *Node
		if m.cfg.QStd <= 0 {
			logStd = Slice(q, AxisRange(), AxisRange(off+c, off+2*c))
		}
		loss = Add(loss, gan.GaussianNLL(mean, logStd, m.cfg.QStd, cont))
	}
	return loss
}

func (m *Model) generator(ctx *context.Context, z *Node) *Node {
	return m.arch.Generator(ctx.In("generator"), z)
}
func (m *Model) trunk(ctx *context.Context, x *Node) *Node {
	return m.arch.Trunk(ctx.In("discriminator").In("trunk"), x)
}
func (m *Model) dHead(ctx *context.Context, h *Node) *Node {
	return m.arch.DHead(ctx.In("discriminator").In("d_head"), h)
}
func (m *Model) qHead(ctx *context.Context, h *Node) *Node {
	return m.arch.QHead(ctx.In("discriminator").In("q_head"), h, m.qOut())
}

// splitCodes returns the cat and cont inputs (nil when absent) from inputs[from:].
func (m *Model) splitCodes(inputs []*Node, from int) (cat, cont *Node, next int) {
	if len(m.latent.Categorical) > 0 {
		cat = inputs[from]
		from++
	}
	if m.latent.Continuous > 0 {
		cont = inputs[from]
		from++
	}
	return cat, cont, from
}

func (m *Model) codeInputs(l *gan.LatentBatch) []any {
	var in []any
	if t := l.CatTensor(); t != nil {
		in = append(in, t)
	}
	if t := l.ContTensor(); t != nil {
		in = append(in, t)
	}
	return in
}

// dStepFn: inputs real, z, [cat], [cont]. D sees real and fake in one batch, so spectral norm's power iteration
// advances once per D step (the official code updates u only in the real pass).
func (m *Model) dStepFn(ctx *context.Context, _ *Node, inputs []*Node, out *training.Outputs) {
	g := out.Graph()
	real, z := inputs[0], inputs[1]
	cat, cont, _ := m.splitCodes(inputs, 2)
	fake := m.generator(ctx, z)
	b := real.Shape().Dimensions[0]
	h := m.trunk(ctx, Concatenate([]*Node{real, fake}, 0))
	logits := m.dHead(ctx, h)
	ganLoss := gan.DiscriminatorLossJoint(logits, b)
	loss := ganLoss
	if m.latent.NumCodes() > 0 {
		q := m.qLoss(m.qHead(ctx, Slice(h, AxisRange(b, 2*b))), cat, cont)
		out.Log("q_loss", q)
		loss = Add(loss, MulScalar(q, m.cfg.LambdaInfoD))
	}
	gan.RestoreScope(ctx, g, m.genScope) // the generator's batch-norm statistics move only in generator steps
	if m.latent.NumCodes() > 0 {         // else d_loss is the GAN loss itself
		out.Log("d_gan", ganLoss)
	}
	out.Minimize("d_loss", loss, m.dAdam)
}

// gStepFn: inputs real, z, [cat], [cont] and, with CR on, zA, zB, label, λ_CR.
func (m *Model) gStepFn(withCR bool) training.StepFn {
	return func(ctx *context.Context, _ *Node, inputs []*Node, out *training.Outputs) {
		g := out.Graph()
		real, z := inputs[0], inputs[1]
		cat, cont, next := m.splitCodes(inputs, 2)
		fake := m.generator(ctx, z)
		var ganLoss, h *Node
		if k := m.unroll.Steps; k > 0 {
			b := real.Shape().Dimensions[0]
			restore := m.unroll.Apply(ctx, g, m.disScope, func() *Node {
				lg := m.dHead(ctx, m.trunk(ctx, Concatenate([]*Node{real, fake}, 0)))
				return gan.DiscriminatorLossJoint(lg, b)
			})
			ganLoss = m.gLoss(m.dHead(ctx, m.trunk(ctx, fake))) // against θ_D^K
			restore()
		} else {
			h = m.trunk(ctx, fake)
			ganLoss = m.gLoss(m.dHead(ctx, h))
		}
		loss := ganLoss
		if m.latent.NumCodes() > 0 || withCR { // else g_loss is the GAN loss itself
			out.Log("g_gan", ganLoss)
		}
		if m.latent.NumCodes() > 0 {
			if h == nil {
				h = m.trunk(ctx, fake) // Unrolled InfoGAN: Q uses the actual (non-unrolled) discriminator trunk
			}
			q := m.qLoss(m.qHead(ctx, h), cat, cont)
			out.Log("g_q_loss", q)
			loss = Add(loss, MulScalar(q, m.cfg.LambdaInfoG))
		}
		if w := m.cfg.HessianPenalty; w > 0 {
			hp := directions.GeneratorHessianPenalty(ctx, m.generator, z, directions.HessianOptions{})
			out.Log("g_hessian", hp)
			loss = Add(loss, MulScalar(hp, w))
		}
		if w := m.cfg.SpectralAlignment; w > 0 {
			// Jv by central differences keeps the loss a first-order function of G (no third derivatives).
			sa := directions.SpectralAlignmentLoss(ctx, m.generator, z, directions.SpectralOptions{K: max(1, m.cfg.SpectralVectors), FDStep: 1e-3})
			out.Log("g_spectral", sa)
			loss = Add(loss, MulScalar(sa, w))
		}
		if withCR {
			za, zb, label, lambda := inputs[next], inputs[next+1], inputs[next+2], inputs[next+3]
			logits := m.arch.CRDiscriminator(ctx.In("cr_discriminator"), m.generator(ctx, za), m.generator(ctx, zb), m.latent.NumCodes())
			cr := gan.CategoricalNLL(logits, label)
			out.Log("g_cr_loss", cr)
			loss = Add(loss, Mul(ConvertDType(lambda, loss.DType()), cr))
		}
		gan.RestoreScope(ctx, g, m.disScope)
		gan.RestoreScope(ctx, g, m.crScope)
		out.Minimize("g_loss", loss, m.gAdam)
	}
}

// simultaneousStepFn: inputs real, z, [cat], [cont]. Both losses are built at the same parameters; training.Step
// takes every gradient before it applies any update.
func (m *Model) simultaneousStepFn(ctx *context.Context, step *Node, inputs []*Node, out *training.Outputs) {
	m.dStepFn(ctx, step, inputs, out)
	m.gStepFn(false)(ctx, step, inputs, out)
}

// gLoss is the generator's GAN loss on the discriminator's logits for generated samples.
func (m *Model) gLoss(fakeLogits *Node) *Node {
	if m.cfg.GLoss == GLossMinimax {
		return gan.MinimaxGeneratorLoss(fakeLogits)
	}
	return gan.GeneratorLoss(fakeLogits)
}

// crStepFn: inputs zA, zB, label. Before the switch the generator runs with inference batch norm, as in the
// official code (train_with_crd_pl).
func (m *Model) crStepFn(switchedOn bool) training.StepFn {
	return func(ctx *context.Context, _ *Node, inputs []*Node, out *training.Outputs) {
		g := out.Graph()
		if !switchedOn {
			ctx.SetTraining(g, false)
		}
		xa, xb := m.generator(ctx, inputs[0]), m.generator(ctx, inputs[1])
		ctx.SetTraining(g, true)
		xa, xb = StopGradient(xa), StopGradient(xb)
		logits := m.arch.CRDiscriminator(ctx.In("cr_discriminator"), xa, xb, m.latent.NumCodes())
		loss := gan.CategoricalNLL(logits, inputs[2])
		gan.RestoreScope(ctx, g, m.genScope)
		out.Log("crd_acc", gan.Accuracy(logits, inputs[2]))
		out.Minimize("crd_loss", loss, m.crAdam)
	}
}

func (m *Model) step(p **training.Step, name string, fn training.StepFn) (*training.Step, error) {
	if *p == nil {
		s, err := training.NewStep(m.backend, m.ctx, name, fn)
		if err != nil {
			return nil, err
		}
		*p = s
	}
	return *p, nil
}

// ResetCR re-initialises the CR discriminator's weights and its Adam state (done automatically at the λ_CR switch
// and at each gap decrease).
func (m *Model) ResetCR() error {
	if err := m.crAdam.Reset(m.backend, m.ctx); err != nil {
		return errors.WithMessage(err, "infogan: resetting the CR discriminator")
	}
	return nil
}

// TrainStep runs one iteration (a training.StepFunc): [CR-D step], D/Q step, GSteps generator steps (the
// official code's order), or with Simultaneous one step that updates both. Batches are drawn from rng. At the λ_CR switch step and at gap decreases the CR discriminator and
// its optimiser are re-initialised first.
func (m *Model) TrainStep(step int64, rng *rand.Rand) (metrics training.Metrics, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("infogan: step %d: %v", step, r)
		}
	}()
	bs := m.cfg.BatchSize
	metrics = training.Metrics{}
	lambdaCR := m.cfg.CRWeight(step)
	gap := m.cfg.Gap(step)
	if m.useCR {
		if (step == m.cfg.CRStart && step > 0) || m.cfg.gapChangesAt(step) {
			if err := m.ResetCR(); err != nil {
				return nil, err
			}
		}
		metrics["gap"], metrics["lambda_cr"] = gap, lambdaCR
		if lambdaCR > 0 || m.cfg.CRPretrain {
			p, err := m.latent.SampleCRPairs(rng, bs, gap)
			if err != nil {
				return nil, err
			}
			var s *training.Step
			if lambdaCR > 0 {
				s, err = m.step(&m.crStepOn, "infogan/cr_d", m.crStepFn(true))
			} else {
				s, err = m.step(&m.crStep, "infogan/cr_d_pre", m.crStepFn(false))
			}
			if err != nil {
				return nil, err
			}
			mm, err := s.Run(step, p.A.ZTensor(), p.B.ZTensor(), p.LabelTensor())
			metrics.Merge(mm)
			if err != nil {
				return metrics, err
			}
		}
	}
	real, err := m.realBatch(rng, bs)
	if err != nil {
		return nil, errors.WithMessagef(err, "infogan: step %d: sampling data", step)
	}
	lat, err := m.latent.Sample(rng, bs)
	if err != nil {
		return nil, err
	}
	dIn := append([]any{real, lat.ZTensor()}, m.codeInputs(lat)...)
	if m.cfg.Simultaneous {
		s, err := m.step(&m.dgStep, "infogan/dg", m.simultaneousStepFn)
		if err != nil {
			return nil, err
		}
		mm, err := s.Run(step, dIn...)
		metrics.Merge(mm)
		return metrics, err
	}
	ds, err := m.step(&m.dStep, "infogan/d", m.dStepFn)
	if err != nil {
		return nil, err
	}
	mm, err := ds.Run(step, dIn...)
	metrics.Merge(mm)
	if err != nil {
		return metrics, err
	}
	for i := range m.cfg.GSteps {
		lat, err := m.latent.Sample(rng, bs)
		if err != nil {
			return nil, err
		}
		in := append([]any{real, lat.ZTensor()}, m.codeInputs(lat)...)
		var gs *training.Step
		if lambdaCR > 0 {
			p, err := m.latent.SampleCRPairs(rng, bs, gap)
			if err != nil {
				return nil, err
			}
			in = append(in, p.A.ZTensor(), p.B.ZTensor(), p.LabelTensor(), tensors.FromScalar(float32(lambdaCR)))
			gs, err = m.step(&m.gStepCR, "infogan/g_cr", m.gStepFn(true))
			if err != nil {
				return nil, err
			}
		} else if gs, err = m.step(&m.gStep, "infogan/g", m.gStepFn(false)); err != nil {
			return nil, err
		}
		mm, err := gs.Run(step, in...)
		if i == m.cfg.GSteps-1 || err != nil {
			metrics.Merge(mm)
		}
		if err != nil {
			return metrics, err
		}
	}
	return metrics, nil
}

// realBatch draws n observations from the training dataset as the networks' input tensor.
func (m *Model) realBatch(rng *rand.Rand, n int) (*tensors.Tensor, error) {
	if m.ds == nil {
		return nil, errors.New("no dataset: call Train")
	}
	x, err := m.ds.SampleImages(rng, n)
	if err != nil {
		return nil, err
	}
	return m.inputTensor(x, n)
}

// inputTensor shapes n flat observations for the networks: [n, H, W, C], or [n, D] for the MLP.
func (m *Model) inputTensor(x []float32, n int) (*tensors.Tensor, error) {
	s := m.cfg.ImageShape()
	if per := s[0] * s[1] * s[2]; n < 1 || len(x) != n*per {
		return nil, errors.Errorf("got %d values for %d observations of %v", len(x), n, s)
	}
	if m.cfg.Arch == ArchMLP {
		return training.Tensor(x, n, s[2]), nil
	}
	return training.Tensor(x, n, s[0], s[1], s[2]), nil
}

// Generate maps n latent vectors (n×LatentDim: one-hot categorical codes, continuous codes, noise) to n
// observations, with the generator in inference mode (batch-norm moving averages).
func (m *Model) Generate(z []float32, n int) (out []float32, err error) {
	defer training.Recover(&err, "infogan.Generate")
	if d := m.latent.Dim(); n < 1 || len(z) != n*d {
		return nil, errors.Errorf("infogan.Generate: got %d values for %d latents of %d", len(z), n, d)
	}
	if m.genExec == nil {
		m.genExec, err = context.NewExecAny(m.backend, m.ctx, func(ctx *context.Context, z *Node) *Node {
			return m.generator(ctx, z)
		})
		if err != nil {
			return nil, errors.WithMessage(err, "infogan.Generate")
		}
	}
	outs, err := m.genExec.Exec(training.Tensor(z, n, m.latent.Dim()))
	if err != nil {
		return nil, errors.WithMessage(err, "infogan.Generate")
	}
	return tensors.CopyFlatData[float32](outs[0])
}

// GenerateBatch generates the observations of a latent batch (see gan.LatentSpec.Sample and Traversal).
func (m *Model) GenerateBatch(l *gan.LatentBatch) ([]float32, error) {
	if l == nil {
		return nil, errors.New("infogan.GenerateBatch: nil latents")
	}
	return m.Generate(l.Z, l.Batch)
}

// Encode returns the Q head's inference on n observations: one column per code, the arg-max category of each
// categorical code (as a float) and the predicted mean of each continuous code. This is the representation
// InfoGAN-CR evaluates (Q on real images).
func (m *Model) Encode(images []float32, n int) (out []float32, err error) {
	defer training.Recover(&err, "infogan.Encode")
	if m.latent.NumCodes() == 0 {
		return nil, errors.New("infogan.Encode: the model has no codes")
	}
	x, err := m.inputTensor(images, n)
	if err != nil {
		return nil, errors.WithMessage(err, "infogan.Encode")
	}
	if m.encExec == nil {
		m.encExec, err = context.NewExecAny(m.backend, m.ctx, func(ctx *context.Context, x *Node) *Node {
			q := m.qHead(ctx, m.trunk(ctx, x))
			var cols []*Node
			off := 0
			for _, k := range m.latent.Categorical {
				// ArgMax returns integers only; the codes are floats.
				idx := ConvertDType(ArgMax(Slice(q, AxisRange(), AxisRange(off, off+k)), -1), q.DType())
				cols = append(cols, Reshape(idx, -1, 1))
				off += k
			}
			if c := m.latent.Continuous; c > 0 {
				cols = append(cols, Slice(q, AxisRange(), AxisRange(off, off+c)))
			}
			return Concatenate(cols, -1)
		})
		if err != nil {
			return nil, errors.WithMessage(err, "infogan.Encode")
		}
	}
	outs, err := m.encExec.Exec(x)
	if err != nil {
		return nil, errors.WithMessage(err, "infogan.Encode")
	}
	return tensors.CopyFlatData[float32](outs[0])
}

// CodeDims lists the latent dimensions that hold continuous codes (selection.CodedModel): ModelCentrality fixes
// those and leaves the one-hot categorical codes and the noise random.
func (m *Model) CodeDims() []int {
	dims := make([]int, m.latent.Continuous)
	for i := range dims {
		dims[i] = m.latent.OneHotDim() + i
	}
	return dims
}

// LatentQuantile is the inverse CDF of latent dimension dim's prior (selection.PriorModel): U[−1, 1] or N(0, 1)
// for continuous codes and noise, as the latent spec says.
func (m *Model) LatentQuantile(dim int, p float64) float64 {
	d := m.latent.NoiseDist
	if dim < m.latent.OneHotDim()+m.latent.Continuous {
		d = m.latent.ContinuousDist
	}
	if d == gan.Normal {
		return math.Sqrt2 * math.Erfinv(2*p-1)
	}
	return 2*p - 1
}

// String describes the model.
func (m *Model) String() string {
	kind := "InfoGAN"
	if m.latent.NumCodes() == 0 {
		kind = "GAN"
	}
	if m.useCR {
		kind += "-CR"
	}
	if m.unroll.Steps > 0 {
		kind = fmt.Sprintf("Unrolled(K=%d) %s", m.unroll.Steps, kind)
	}
	return fmt.Sprintf("%s [%s, latent %d cat %v + %d cont + %d noise]", kind, m.arch.Name, m.latent.Dim(),
		m.latent.Categorical, m.latent.Continuous, m.latent.Noise)
}
