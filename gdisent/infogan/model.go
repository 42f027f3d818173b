// Package infogan implements InfoGAN (Chen et al. 2016, arXiv:1606.03657), InfoGAN-CR (Lin et al. 2020,
// arXiv:1906.06034) and Unrolled InfoGAN — InfoGAN whose generator sees a discriminator unrolled K steps (Metz et
// al. 2017, arXiv:1611.02163) while its Q loss uses the actual discriminator — on GoMLX, with gdisent's training
// loop (progress, checkpoints, resume).
//
// One Model covers all three; hyperparameters live in the context (see the Param* keys, InfoGANParams and
// InfoGANCRParams). A plain GAN is a Model whose latent has no codes.
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

	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Hyperparameter keys read from the context by New (defaults in parentheses).
const (
	ParamBatchSize  = "batch_size"                 // (64)
	ParamGLR        = "infogan_g_learning_rate"    // generator Adam learning rate (1e-3)
	ParamDLR        = "infogan_d_learning_rate"    // discriminator + Q Adam learning rate (2e-4)
	ParamCRLR       = "infogan_cr_learning_rate"   // CR discriminator Adam learning rate (2e-3)
	ParamBeta1      = "infogan_adam_beta1"         // Adam β1 of all optimisers (0.5)
	ParamBeta2      = "infogan_adam_beta2"         // Adam β2 (0.999)
	ParamLambdaD    = "infogan_lambda_info_d"      // λ_info in the D/Q loss (1)
	ParamLambdaG    = "infogan_lambda_info_g"      // λ_info in the generator loss (1)
	ParamQStd       = "infogan_q_std"              // fixed std of the Gaussian Q; <= 0 learns it (1)
	ParamGSteps     = "infogan_g_steps"            // generator steps per iteration (1; InfoGAN-CR: 2)
	ParamCRStart    = "infogan_cr_start_step"      // step at which λ_CR switches on; < 0 disables InfoGAN-CR (-1)
	ParamLambdaCR   = "infogan_cr_lambda"          // λ_CR after the switch (2)
	ParamCRPretrain = "infogan_cr_train_before"    // train the CR discriminator before the switch, as the official code (true)
	ParamGapStart   = "infogan_gap_start"          // initial gap between non-shared codes of a CR pair (0)
	ParamGapDec     = "infogan_gap_decrease"       // gap decrease per schedule step (0)
	ParamGapEvery   = "infogan_gap_decrease_every" // steps between gap decreases (0: never)
	ParamGapTimes   = "infogan_gap_decrease_times" // maximum number of decreases (0)
	ParamUnrollK    = "unroll_steps"               // K unrolled D steps in the generator loss (0)
	ParamUnrollLR   = "unroll_learning_rate"       // inner step size (0: the D learning rate)
	ParamUnrollOpt  = "unroll_optimizer"           // "sgd" or "adam" ("sgd")
)

// InfoGANParams are InfoGAN's MNIST settings (Chen et al. 2016; openai/InfoGAN, RECIPES C.14): λ 1, G lr 1e-3,
// D lr 2e-4, Adam β1 0.5, batch 128 in the paper (64 here by default for CPU).
func InfoGANParams() map[string]any {
	return map[string]any{ParamLambdaD: 1.0, ParamLambdaG: 1.0, ParamGLR: 1e-3, ParamDLR: 2e-4, ParamBeta1: 0.5,
		ParamGSteps: 1, ParamCRStart: -1, ParamQStd: 1.0, ParamBatchSize: 64}
}

// InfoGANCRParams are InfoGAN-CR's dSprites settings (RECIPES C.3): λ_info 0.05, λ_CR 0 → 2 at step 288,000
// with the CR discriminator re-initialised, gap 0, two generator steps per iteration, G lr 1e-3, D/Q and CR-D lr
// 2e-3, Adam β1 0.5, Q std 1, batch 64.
func InfoGANCRParams() map[string]any {
	return map[string]any{ParamLambdaD: 0.05, ParamLambdaG: 0.05, ParamGLR: 1e-3, ParamDLR: 2e-3, ParamCRLR: 2e-3,
		ParamBeta1: 0.5, ParamGSteps: 2, ParamCRStart: 288000, ParamLambdaCR: 2.0, ParamCRPretrain: true,
		ParamGapStart: 0.0, ParamQStd: 1.0, ParamBatchSize: 64}
}

// Sampler draws a batch of real data, [batch, ...] float32 matching the generator's output.
type Sampler func(rng *rand.Rand, batch int) (*tensors.Tensor, error)

// Config is the resolved hyperparameters of a Model (read from the context by New).
type Config struct {
	BatchSize                  int
	GLR, DLR, CRLR             float64
	Beta1, Beta2               float64
	LambdaD, LambdaG, LambdaCR float64
	QStd                       float64
	GSteps                     int
	CRStart                    int64
	CRPretrain                 bool
	GapStart, GapDecrease      float64
	GapEvery                   int64
	GapTimes                   int
	Unroll                     gan.Unroll
}

func readConfig(ctx *context.Context) (c Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("infogan: reading hyperparameters: %v", r)
		}
	}()
	c = Config{
		BatchSize:   context.GetParamOr(ctx, ParamBatchSize, 64),
		GLR:         context.GetParamOr(ctx, ParamGLR, 1e-3),
		DLR:         context.GetParamOr(ctx, ParamDLR, 2e-4),
		CRLR:        context.GetParamOr(ctx, ParamCRLR, 2e-3),
		Beta1:       context.GetParamOr(ctx, ParamBeta1, 0.5),
		Beta2:       context.GetParamOr(ctx, ParamBeta2, 0.999),
		LambdaD:     context.GetParamOr(ctx, ParamLambdaD, 1.0),
		LambdaG:     context.GetParamOr(ctx, ParamLambdaG, 1.0),
		LambdaCR:    context.GetParamOr(ctx, ParamLambdaCR, 2.0),
		QStd:        context.GetParamOr(ctx, ParamQStd, 1.0),
		GSteps:      context.GetParamOr(ctx, ParamGSteps, 1),
		CRStart:     int64(context.GetParamOr(ctx, ParamCRStart, -1)),
		CRPretrain:  context.GetParamOr(ctx, ParamCRPretrain, true),
		GapStart:    context.GetParamOr(ctx, ParamGapStart, 0.0),
		GapDecrease: context.GetParamOr(ctx, ParamGapDec, 0.0),
		GapEvery:    int64(context.GetParamOr(ctx, ParamGapEvery, 0)),
		GapTimes:    context.GetParamOr(ctx, ParamGapTimes, 0),
	}
	c.Unroll = gan.Unroll{
		Steps:        context.GetParamOr(ctx, ParamUnrollK, 0),
		LearningRate: context.GetParamOr(ctx, ParamUnrollLR, 0.0),
		Optimizer:    gan.UnrollOptimizer(context.GetParamOr(ctx, ParamUnrollOpt, string(gan.UnrollSGD))),
		Beta1:        c.Beta1, Beta2: c.Beta2,
	}
	if c.Unroll.LearningRate == 0 {
		c.Unroll.LearningRate = c.DLR
	}
	return c, c.validate()
}

func (c Config) validate() error {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	switch {
	case c.BatchSize <= 0:
		return errors.Errorf("infogan: %s must be > 0, got %d", ParamBatchSize, c.BatchSize)
	case bad(c.GLR) || bad(c.DLR) || bad(c.CRLR) || c.GLR <= 0 || c.DLR <= 0 || c.CRLR <= 0:
		return errors.Errorf("infogan: learning rates must be finite and > 0, got G %g, D %g, CR %g", c.GLR, c.DLR, c.CRLR)
	case bad(c.LambdaD) || bad(c.LambdaG) || bad(c.LambdaCR) || c.LambdaD < 0 || c.LambdaG < 0 || c.LambdaCR < 0:
		return errors.Errorf("infogan: λ_info (D %g, G %g) and λ_CR (%g) must be finite and >= 0", c.LambdaD, c.LambdaG, c.LambdaCR)
	case bad(c.QStd):
		return errors.Errorf("infogan: %s must be finite, got %g", ParamQStd, c.QStd)
	case c.GSteps < 1:
		return errors.Errorf("infogan: %s must be >= 1, got %d", ParamGSteps, c.GSteps)
	case bad(c.GapStart) || c.GapStart < 0 || c.GapStart >= 2 || bad(c.GapDecrease) || c.GapDecrease < 0:
		return errors.Errorf("infogan: gap start must be in [0, 2) and decrease >= 0, got %g and %g", c.GapStart, c.GapDecrease)
	case c.GapEvery < 0 || c.GapTimes < 0:
		return errors.Errorf("infogan: gap schedule interval and count must be >= 0, got %d and %d", c.GapEvery, c.GapTimes)
	}
	if err := c.Unroll.Validate(); err != nil {
		return errors.WithMessage(err, "infogan")
	}
	return nil
}

// Gap is the CR pair gap at a step: GapStart reduced by GapDecrease every GapEvery steps, at most GapTimes
// times, floored at 0 (Lin et al. 2020's progressive schedule).
func (c Config) Gap(step int64) float64 {
	if c.GapEvery <= 0 {
		return c.GapStart
	}
	n := min(step/c.GapEvery, int64(c.GapTimes))
	return max(0, c.GapStart-float64(n)*c.GapDecrease)
}

// gapChangesAt reports whether the gap schedule decreases at step (the CR discriminator is then re-initialised).
func (c Config) gapChangesAt(step int64) bool {
	return c.GapEvery > 0 && step > 0 && step%c.GapEvery == 0 && step/c.GapEvery <= int64(c.GapTimes) &&
		c.Gap(step) != c.Gap(step-1)
}

// CRWeight is λ_CR at a step: 0 before CRStart, LambdaCR from it on (0 when CR is disabled).
func (c Config) CRWeight(step int64) float64 {
	if c.CRStart < 0 || step < c.CRStart {
		return 0
	}
	return c.LambdaCR
}

// Model is an InfoGAN / InfoGAN-CR / Unrolled InfoGAN under a context.
type Model struct {
	backend backends.Backend
	ctx     *context.Context
	arch    Architecture
	latent  gan.LatentSpec
	data    Sampler
	cfg     Config
	useCR   bool

	genScope, disScope, crScope string
	gAdam, dAdam, crAdam        *training.Adam

	dStep, gStep, gStepCR, crStep, crStepOn *training.Step
	genExec, encExec                        *context.Exec
}

// New creates a model. The networks' variables live under ctx's scope ("generator", "discriminator",
// "cr_discriminator"); hyperparameters are read from ctx now. InfoGAN-CR is on when ParamCRStart >= 0 (it needs
// at least two codes and an architecture with a CR discriminator).
func New(backend backends.Backend, ctx *context.Context, arch Architecture, latent gan.LatentSpec, data Sampler) (*Model, error) {
	if backend == nil || ctx == nil || data == nil {
		return nil, errors.New("infogan.New: backend, context and data sampler must be non-nil")
	}
	if err := arch.validate(); err != nil {
		return nil, err
	}
	if err := latent.Validate(); err != nil {
		return nil, errors.WithMessage(err, "infogan.New")
	}
	cfg, err := readConfig(ctx)
	if err != nil {
		return nil, err
	}
	m := &Model{backend: backend, ctx: ctx.Checked(false), arch: arch, latent: latent, data: data, cfg: cfg}
	if cfg.CRStart >= 0 {
		if arch.CRDiscriminator == nil || latent.NumCodes() < 2 {
			return nil, errors.Errorf("infogan.New: InfoGAN-CR (%s=%d) needs >= 2 codes and a CR discriminator; got %d codes, architecture %q",
				ParamCRStart, cfg.CRStart, latent.NumCodes(), arch.Name)
		}
		m.useCR = true
	}
	m.genScope = m.ctx.In("generator").Scope()
	m.disScope = m.ctx.In("discriminator").Scope()
	m.crScope = m.ctx.In("cr_discriminator").Scope()
	m.gAdam = training.NewAdam(m.ctx.In("generator")).LearningRate(cfg.GLR).Betas(cfg.Beta1, cfg.Beta2)
	m.dAdam = training.NewAdam(m.ctx.In("discriminator")).LearningRate(cfg.DLR).Betas(cfg.Beta1, cfg.Beta2)
	m.crAdam = training.NewAdam(m.ctx.In("cr_discriminator")).LearningRate(cfg.CRLR).Betas(cfg.Beta1, cfg.Beta2)
	m.cfg.Unroll.AdamStateScope = m.dAdam.StateScope()
	return m, nil
}

// Config returns the resolved hyperparameters.
func (m *Model) Config() Config { return m.cfg }

// Latent returns the latent specification.
func (m *Model) Latent() gan.LatentSpec { return m.latent }

// Context returns the model's (unchecked) context.
func (m *Model) Context() *context.Context { return m.ctx }

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
		loss = Add(loss, MulScalar(q, m.cfg.LambdaD))
	}
	gan.RestoreScope(ctx, g, m.genScope) // the generator's batch-norm statistics move only in generator steps
	out.Log("d_gan", ganLoss)
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
		if k := m.cfg.Unroll.Steps; k > 0 {
			b := real.Shape().Dimensions[0]
			restore := m.cfg.Unroll.Apply(ctx, g, m.disScope, func() *Node {
				lg := m.dHead(ctx, m.trunk(ctx, Concatenate([]*Node{real, fake}, 0)))
				return gan.DiscriminatorLossJoint(lg, b)
			})
			ganLoss = gan.GeneratorLoss(m.dHead(ctx, m.trunk(ctx, fake))) // against θ_D^K
			restore()
		} else {
			h = m.trunk(ctx, fake)
			ganLoss = gan.GeneratorLoss(m.dHead(ctx, h))
		}
		loss := ganLoss
		out.Log("g_gan", ganLoss)
		if m.latent.NumCodes() > 0 {
			if h == nil {
				h = m.trunk(ctx, fake) // Unrolled InfoGAN: Q uses the actual (non-unrolled) discriminator trunk
			}
			q := m.qLoss(m.qHead(ctx, h), cat, cont)
			out.Log("g_q_loss", q)
			loss = Add(loss, MulScalar(q, m.cfg.LambdaG))
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

// TrainStep runs one iteration (a training.StepFunc): [CR-D step], D/Q step, GSteps generator steps (RECIPES
// C.3's order). Batches are drawn from rng. At the λ_CR switch step and at gap decreases the CR discriminator and
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
	real, err := m.data(rng, bs)
	if err != nil {
		return nil, errors.WithMessagef(err, "infogan: step %d: sampling data", step)
	}
	lat, err := m.latent.Sample(rng, bs)
	if err != nil {
		return nil, err
	}
	ds, err := m.step(&m.dStep, "infogan/d", m.dStepFn)
	if err != nil {
		return nil, err
	}
	mm, err := ds.Run(step, append([]any{real, lat.ZTensor()}, m.codeInputs(lat)...)...)
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

// NewLoop returns a training.Loop running TrainStep, with checkpoint settings and seed read from the context
// (training.ParamCheckpointDir, ParamCheckpointEvery, ...). Call Restore on it to resume.
func (m *Model) NewLoop() *training.Loop {
	return training.NewLoop(m.backend, m.ctx, m.TrainStep).SetExtra("model", "infogan/"+m.arch.Name)
}

// Generate maps latents to samples with the generator in inference mode (batch-norm moving averages).
func (m *Model) Generate(l *gan.LatentBatch) (out *tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("infogan.Generate: %v", r)
		}
	}()
	if l == nil {
		return nil, errors.New("infogan.Generate: nil latents")
	}
	if m.genExec == nil {
		m.genExec, err = context.NewExecAny(m.backend, m.ctx, func(ctx *context.Context, z *Node) *Node {
			return m.generator(ctx, z)
		})
		if err != nil {
			return nil, errors.WithMessage(err, "infogan.Generate")
		}
	}
	outs, err := m.genExec.Exec(l.ZTensor())
	if err != nil {
		return nil, errors.WithMessage(err, "infogan.Generate")
	}
	return outs[0], nil
}

// Encode returns the Q head's inference on samples x: one column per code, the arg-max category of each
// categorical code (as a float) and the predicted mean of each continuous code. This is the representation
// InfoGAN-CR evaluates (Q on real images).
func (m *Model) Encode(x *tensors.Tensor) (out *tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("infogan.Encode: %v", r)
		}
	}()
	if m.latent.NumCodes() == 0 {
		return nil, errors.New("infogan.Encode: the model has no codes")
	}
	if m.encExec == nil {
		m.encExec, err = context.NewExecAny(m.backend, m.ctx, func(ctx *context.Context, x *Node) *Node {
			q := m.qHead(ctx, m.trunk(ctx, x))
			var cols []*Node
			off := 0
			for _, k := range m.latent.Categorical {
				idx := ArgMax(Slice(q, AxisRange(), AxisRange(off, off+k)), -1, q.DType())
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
	return outs[0], nil
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
	if m.cfg.Unroll.Steps > 0 {
		kind = fmt.Sprintf("Unrolled(K=%d) %s", m.cfg.Unroll.Steps, kind)
	}
	return fmt.Sprintf("%s [%s, latent %d cat %v + %d cont + %d noise]", kind, m.arch.Name, m.latent.Dim(),
		m.latent.Categorical, m.latent.Continuous, m.latent.Noise)
}
