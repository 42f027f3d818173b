package infogan

import (
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/gdisent/training"
)

func be(t *testing.T) backends.Backend {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ringData samples the 8-Gaussian ring (radius 2, std 0.02) of Metz et al. (2017) as 1×1×2 observations.
type ringData struct{}

func (ringData) ImageShape() [3]int { return [3]int{1, 1, 2} }

func (ringData) SampleImages(rng *rand.Rand, batch int) ([]float32, error) {
	d := make([]float32, 2*batch)
	for i := range batch {
		a := 2 * math.Pi * float64(rng.IntN(8)) / 8
		d[2*i] = float32(2*math.Cos(a) + 0.02*rng.NormFloat64())
		d[2*i+1] = float32(2*math.Sin(a) + 0.02*rng.NormFloat64())
	}
	return d, nil
}

// mlpConfig is a small MLP model on the ring with the given base hyperparameters.
func mlpConfig(base Config, seed int64, latent gan.LatentSpec) Config {
	c := base
	c.Arch, c.MLP, c.Latent, c.Seed = ArchMLP, MLPConfig{DataDim: 2, Hidden: 32, Layers: 2}, latent, seed
	return c
}

// newModel builds a model ready for TrainStep calls on the ring.
func newModel(t *testing.T, cfg Config) *Model {
	t.Helper()
	m, err := New(be(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.ds = ringData{}
	return m
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// TestInfoGANTrainingImprovesQ trains a small InfoGAN on the ring: the Q loss (−E log Q(c|G(c,z)), categorical 8
// + one continuous code) must fall well below its starting value.
func TestInfoGANTrainingImprovesQ(t *testing.T) {
	cfg := mlpConfig(MNISTConfig(), 1, gan.LatentSpec{Categorical: []int{8}, Continuous: 1, Noise: 2})
	cfg.BatchSize, cfg.DLearningRate = 64, 1e-3
	m := newModel(t, cfg)
	start := time.Now()
	var q []float64
	for step := range int64(150) {
		mm, err := m.TrainStep(step, training.StepRand(1, step))
		if err != nil {
			t.Fatal(err)
		}
		q = append(q, mm["q_loss"])
	}
	early, late := mean(q[:10]), mean(q[len(q)-20:])
	t.Logf("%s: 150 iterations in %s; Q loss %.3f → %.3f (log 8 + Gaussian(σ=1) ≈ %.3f at chance)",
		m, time.Since(start).Round(time.Millisecond), early, late, math.Log(8)+0.5*math.Log(2*math.Pi)+1.0/6)
	if !(late < early-0.5) {
		t.Errorf("Q loss did not improve: %.3f → %.3f", early, late)
	}
}

// TestUnrolledQUsesActualD: with K unrolled steps the generator's GAN term changes but its Q term, computed with
// the actual discriminator, does not.
func TestUnrolledQUsesActualD(t *testing.T) {
	run := func(k int) training.Metrics {
		cfg := mlpConfig(MNISTConfig(), 3, gan.LatentSpec{Categorical: []int{4}, Continuous: 2, Noise: 2})
		cfg.BatchSize, cfg.UnrollSteps, cfg.UnrollLearningRate = 16, k, 0.5
		m := newModel(t, cfg)
		mm, err := m.TrainStep(0, training.StepRand(3, 0))
		if err != nil {
			t.Fatal(err)
		}
		return mm
	}
	m0, m3 := run(0), run(3)
	t.Logf("K=0: g_gan %.6f g_q_loss %.6f; K=3: g_gan %.6f g_q_loss %.6f", m0["g_gan"], m0["g_q_loss"], m3["g_gan"], m3["g_q_loss"])
	if math.Abs(m0["g_q_loss"]-m3["g_q_loss"]) > 1e-5 {
		t.Errorf("Q loss should use the non-unrolled D: %g vs %g", m0["g_q_loss"], m3["g_q_loss"])
	}
	if math.Abs(m0["g_gan"]-m3["g_gan"]) < 1e-4 {
		t.Errorf("unrolling had no effect on the GAN term: %g vs %g", m0["g_gan"], m3["g_gan"])
	}
}

func TestGapScheduleAndCRWeight(t *testing.T) {
	c := Config{GapStart: 1.9, GapDecrease: 1.0, GapEvery: 10, GapTimes: 2, CRStart: 5, LambdaCR: 3}
	for _, tc := range []struct {
		step    int64
		gap     float64
		changes bool
		lambda  float64
	}{{0, 1.9, false, 0}, {4, 1.9, false, 0}, {5, 1.9, false, 3}, {9, 1.9, false, 3}, {10, 0.9, true, 3},
		{19, 0.9, false, 3}, {20, 0, true, 3}, {30, 0, false, 3}, {1000, 0, false, 3}} {
		if got := c.Gap(tc.step); math.Abs(got-tc.gap) > 1e-12 {
			t.Errorf("Gap(%d) = %g, want %g", tc.step, got, tc.gap)
		}
		if got := c.gapChangesAt(tc.step); got != tc.changes {
			t.Errorf("gapChangesAt(%d) = %v, want %v", tc.step, got, tc.changes)
		}
		if got := c.CRWeight(tc.step); got != tc.lambda {
			t.Errorf("CRWeight(%d) = %g, want %g", tc.step, got, tc.lambda)
		}
	}
	if (Config{CRStart: -1, LambdaCR: 2}).CRWeight(10) != 0 {
		t.Error("CR disabled must give λ_CR 0")
	}
}

func varValues(t *testing.T, ctx *context.Context, scope string) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range ctx.IterVariables() {
		if gan.InScope(v.Scope(), scope) && v.DType().IsFloat() {
			d, err := tensors.CopyFlatData[float32](v.MustValue())
			if err != nil {
				t.Fatal(err)
			}
			out[v.ScopeAndName()] = d
		}
	}
	return out
}

// TestCRSwitchResets: at the λ_CR switch the CR discriminator's weights and Adam state are re-initialised (its
// Adam step counter restarts), the generator starts optimising the CR term, and the gap schedule resets too.
func TestCRSwitchResets(t *testing.T) {
	cfg := mlpConfig(InfoGANCRConfig(), 5, gan.LatentSpec{Continuous: 3, Noise: 2})
	cfg.BatchSize, cfg.CRStart, cfg.GapStart, cfg.GapDecrease, cfg.GapEvery, cfg.GapTimes = 16, 3, 1, 0.5, 5, 1
	m := newModel(t, cfg)
	ctx := m.Context()
	adamStep := func() int64 {
		v := ctx.InspectVariable(m.crAdam.StateScope(), "step")
		if v == nil {
			t.Fatal("no CR-D Adam step counter")
		}
		return tensors.ToScalar[int64](v.MustValue())
	}
	var before map[string][]float32
	for step := range int64(6) {
		mm, err := m.TrainStep(step, training.StepRand(5, step))
		if err != nil {
			t.Fatal(err)
		}
		_, hasCR := mm["g_cr_loss"]
		if hasCR != (step >= 3) || mm["lambda_cr"] != m.cfg.CRWeight(step) || mm["gap"] != m.cfg.Gap(step) {
			t.Errorf("step %d: metrics %v", step, mm)
		}
		want := map[int64]int64{0: 1, 1: 2, 2: 3, 3: 1, 4: 2, 5: 1}[step] // reset at 3 (switch) and 5 (gap)
		if got := adamStep(); got != want {
			t.Errorf("after step %d: CR-D Adam step = %d, want %d", step, got, want)
		}
		if step == 1 {
			before = varValues(t, ctx, m.crScope)
		}
	}
	// Direct reset: weights back to fresh random values (different from the trained ones), Adam moments zero.
	if err := m.ResetCR(); err != nil {
		t.Fatal(err)
	}
	after := varValues(t, ctx, m.crScope)
	state := varValues(t, ctx, m.crAdam.StateScope())
	if len(state) == 0 {
		t.Fatal("no CR-D Adam state found")
	}
	for name, vals := range state {
		for _, x := range vals {
			if x != 0 {
				t.Fatalf("Adam state %s not zeroed", name)
			}
		}
	}
	same := 0
	for name, b := range before {
		a := after[name]
		if len(a) == len(b) && a[0] == b[0] && len(a) > 1 && a[1] == b[1] {
			same++
		}
	}
	if len(before) == 0 || same == len(before) {
		t.Errorf("CR-D weights unchanged by reset (%d variables)", len(before))
	}
}

// TestCheckpointResume: 4 steps + checkpoint, then a model loaded from the directory alone and trained to 6
// steps, equals 6 steps uninterrupted; a changed hyperparameter is refused with a message naming it.
func TestCheckpointResume(t *testing.T) {
	cfg := mlpConfig(InfoGANCRConfig(), 9, gan.LatentSpec{Categorical: []int{3}, Continuous: 2, Noise: 2})
	cfg.BatchSize, cfg.CRStart, cfg.UnrollSteps, cfg.CheckpointEvery = 8, 2, 1, 2
	full, err := New(be(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := full.Train(ringData{}, 6, training.Silent()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.CheckpointDir = dir
	first, err := New(be(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Train(ringData{}, 4, training.Silent()); err != nil {
		t.Fatal(err)
	}
	second, err := Load(be(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	if second.Step() != 4 || second.Config().CRStart != 2 {
		t.Fatalf("Load: step %d, config %+v", second.Step(), second.Config())
	}
	if err := second.Train(ringData{}, 6, training.Silent()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"g_loss", "d_loss", "crd_loss", "q_loss"} {
		_, a, _ := full.History().Last(name)
		_, b, _ := second.History().Last(name)
		if a != b {
			t.Errorf("%s after resume: %g, uninterrupted: %g", name, b, a)
		}
	}
	if n := second.History().Len("g_loss"); n != 6 {
		t.Errorf("resumed history has %d g_loss entries, want 6", n)
	}
	// Training to a step already reached runs nothing.
	if err := second.Train(ringData{}, 5, training.Silent()); err != nil || second.Step() != 6 {
		t.Errorf("Train(5) at step 6: err %v, step %d", err, second.Step())
	}
	changed := cfg
	changed.LambdaInfoG = 0.5
	third, err := New(be(t), changed)
	if err != nil {
		t.Fatal(err)
	}
	err = third.Train(ringData{}, 8, training.Silent())
	var cc *training.ConfigChangedError
	if !errors.As(err, &cc) || !strings.Contains(err.Error(), "LambdaInfoG: checkpoint 0.05, now 0.5") {
		t.Fatalf("changed λ_info: got %v", err)
	}
	t.Log(err)
	changed.StartOver = true
	fourth, err := New(be(t), changed)
	if err != nil {
		t.Fatal(err)
	}
	if err := fourth.Train(ringData{}, 2, training.Silent()); err != nil || fourth.Step() != 2 {
		t.Fatalf("StartOver: err %v, step %d", err, fourth.Step())
	}
}

func TestInvalidHyperparameters(t *testing.T) {
	base := mlpConfig(MNISTConfig(), 1, gan.LatentSpec{Continuous: 1, Noise: 2})
	b := be(t)
	for name, tc := range map[string]struct {
		edit  func(c *Config)
		field string
	}{
		"negative lambda":  {func(c *Config) { c.LambdaInfoD = -1 }, "LambdaInfoD"},
		"zero batch":       {func(c *Config) { c.BatchSize = 0 }, "BatchSize"},
		"bad gap":          {func(c *Config) { c.GapStart = 2.5 }, "GapStart"},
		"bad unroll":       {func(c *Config) { c.UnrollSteps = -1 }, "UnrollSteps"},
		"unknown unroll":   {func(c *Config) { c.UnrollSteps, c.UnrollOptimizer = 2, "rmsprop" }, "optimizer"},
		"zero g steps":     {func(c *Config) { c.GSteps = 0 }, "GSteps"},
		"simultaneous x2":  {func(c *Config) { c.Simultaneous, c.GSteps = true, 2 }, "Simultaneous"},
		"dis input scale":  {func(c *Config) { c.MLP.DisInputScale = -0.25 }, "DisInputScale"},
		"dis layers":       {func(c *Config) { c.MLP.DisLayers = -1 }, "DisLayers"},
		"CR with one code": {func(c *Config) { c.CRStart = 0 }, "CRStart"},
		"NaN lr":           {func(c *Config) { c.GLearningRate = math.NaN() }, "GLearningRate"},
		"unknown arch":     {func(c *Config) { c.Arch = "resnet" }, "Arch"},
		"bad conv size": {func(c *Config) {
			c.Arch, c.Conv = ArchConv, ConvConfig{ImageSize: 30, Channels: 1, GenHidden: 8, GenChannels: []int{4}, DisChannels: []int{4}, DisHidden: 8, QHidden: 8}
		}, "Conv"},
	} {
		c := base
		tc.edit(&c)
		if _, err := New(b, c); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: got %v, want an error naming %s", name, err, tc.field)
		}
	}
	var c Config
	err := training.DecodeConfig([]byte(`{"BatchSize": 8, "LamdaCR": 1}`), &c)
	if err == nil || !strings.Contains(err.Error(), "LamdaCR") {
		t.Errorf("misspelled field: got %v", err)
	}
}

// TestConvInfoGANCRStep runs InfoGAN-CR iterations with the small conv architecture (16×16, CR on, K=1 unroll)
// to check shapes, spectral norm and second-order gradients through convolutions.
func TestConvInfoGANCRStep(t *testing.T) {
	cfg := InfoGANCRConfig()
	cfg.Conv = SmallConvConfig(16, 1)
	cfg.Conv.GenHidden, cfg.Conv.GenChannels, cfg.Conv.DisChannels, cfg.Conv.DisHidden, cfg.Conv.QHidden = 16, []int{8}, []int{4, 8}, 16, 16
	cfg.Latent, cfg.Seed = gan.LatentSpec{Continuous: 2, Noise: 2}, 11
	cfg.BatchSize, cfg.CRStart, cfg.UnrollSteps = 4, 1, 1
	m, err := New(be(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.ds = blobs{}
	start := time.Now()
	for step := range int64(2) {
		mm, err := m.TrainStep(step, training.StepRand(11, step))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("step %d: %v", step, mm)
	}
	t.Logf("2 conv iterations (incl. compiling 5 graphs): %s", time.Since(start).Round(time.Millisecond))
	lat, _ := m.Latent().Sample(rand.New(rand.NewPCG(1, 1)), 3)
	img, err := m.GenerateBatch(lat)
	if err != nil {
		t.Fatal(err)
	}
	if len(img) != 3*16*16 {
		t.Errorf("Generate returned %d values, want 3×16×16", len(img))
	}
	enc, err := m.Encode(img, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != 3*m.CodeDim() || m.CodeDim() != 2 {
		t.Errorf("Encode returned %d values (CodeDim %d), want 3×2", len(enc), m.CodeDim())
	}
	if _, err := m.Encode(img[:10], 3); err == nil {
		t.Error("Encode of a short input should fail")
	}
}

// blobs are 16×16 images of one 5×5 square at a random place.
type blobs struct{}

func (blobs) ImageShape() [3]int { return [3]int{16, 16, 1} }

func (blobs) SampleImages(rng *rand.Rand, batch int) ([]float32, error) {
	d := make([]float32, batch*16*16)
	for b := range batch {
		cx, cy := 4+rng.IntN(8), 4+rng.IntN(8)
		for y := cy - 2; y <= cy+2; y++ {
			for x := cx - 2; x <= cx+2; x++ {
				d[b*256+y*16+x] = 1
			}
		}
	}
	return d, nil
}

// The model satisfies the toolkit's model interface.
var _ training.Model = (*Model)(nil)

// TestGeneratorRegularizers: with the Hessian penalty in the generator's loss the logged penalty falls during
// training; the spectral alignment loss is logged every step, finite, and changes the generator that the same
// seed trains without it (it reaches the gradient); neither is logged at weight 0.
func TestGeneratorRegularizers(t *testing.T) {
	train := func(hessian, spectral float64) *Model {
		cfg := mlpConfig(RingConfig(), 2, gan.LatentSpec{Noise: 3, NoiseDist: gan.Normal})
		cfg.BatchSize, cfg.MLP.Hidden, cfg.GLearningRate = 32, 16, 3e-3
		cfg.HessianPenalty, cfg.SpectralAlignment, cfg.SpectralVectors = hessian, spectral, 2
		m, err := New(be(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(ringData{}, 120, training.Silent()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	series := func(m *Model, name string) []float64 {
		_, y, ok := m.History().XY(name)
		if ok && len(y) != 120 {
			t.Fatalf("%s logged %d times in 120 steps", name, len(y))
		}
		return y
	}
	plain, hess, spec := train(0, 0), train(1, 0), train(0, 1)
	if series(plain, "g_hessian") != nil || series(plain, "g_spectral") != nil || series(hess, "g_spectral") != nil {
		t.Error("a regularizer with weight 0 is logged")
	}
	y := series(hess, "g_hessian")
	if first, last := mean(y[:15]), mean(y[105:]); !(last < 0.8*first) {
		t.Errorf("the Hessian penalty did not fall: %.4g → %.4g", first, last)
	} else {
		t.Logf("Hessian penalty %.4g → %.4g", first, last)
	}
	for i, v := range series(spec, "g_spectral") {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 2*(1-1.0/3) {
			t.Fatalf("spectral loss at step %d = %g, outside [0, k(1 − 1/D)]", i, v)
		}
	}
	z := make([]float32, 3*4)
	for i := range z {
		z[i] = float32(i%5) - 2
	}
	a, _ := plain.Generate(z, 4)
	b, _ := spec.Generate(z, 4)
	if slices.Equal(a, b) {
		t.Error("the spectral term did not change the generator")
	}
	bad := mlpConfig(RingConfig(), 2, gan.LatentSpec{Noise: 3})
	bad.SpectralVectors = 9
	if _, err := New(be(t), bad); err == nil || !strings.Contains(err.Error(), "SpectralVectors") {
		t.Errorf("too many spectral vectors: %v", err)
	}
}

// TestOrthogonalInit: with MLP.Init "orthogonal" every weight matrix of the generator and the discriminator starts
// with orthonormal columns (or rows) times InitGain, the same for the same seed; the default initialiser's do not.
func TestOrthogonalInit(t *testing.T) {
	weights := func(init string, seed int64) map[string][]float32 {
		cfg := mlpConfig(RingConfig(), seed, gan.LatentSpec{Noise: 8, NoiseDist: gan.Normal})
		cfg.MLP.Init, cfg.MLP.InitGain, cfg.BatchSize = init, 1.4, 16
		m := newModel(t, cfg)
		if _, err := m.TrainStep(0, training.StepRand(seed, 0)); err != nil { // builds every network
			t.Fatal(err)
		}
		return varValues(t, m.Context(), "")
	}
	// gramErr is max |WᵀW − gain²·I| of a square weight matrix.
	gramErr := func(w []float32, n int) float64 {
		m := mat.NewDense(n, n, nil)
		for i, v := range w {
			m.Set(i/n, i%n, float64(v))
		}
		var g mat.Dense
		g.Mul(m.T(), m)
		worst := 0.0
		for a := range n {
			for b := range n {
				worst = max(worst, math.Abs(g.At(a, b)-1.96*float64(btoi(a == b))))
			}
		}
		return worst
	}
	orth, def, again := weights("orthogonal", 3), weights("", 3), weights("orthogonal", 3)
	checked := 0
	for name, w := range orth {
		if !strings.HasSuffix(name, "/weights") || !strings.Contains(name, "hidden1") {
			continue
		}
		// hidden1: a 32×32 layer (square), after one training step (lr ≤ 1e-3 moves a weight by about that much).
		t.Logf("%s: |WᵀW − 1.96·I| max %.4f orthogonal, %.4f default", name, gramErr(w, 32), gramErr(def[name], 32))
		if e := gramErr(w, 32); e > 0.1 {
			t.Errorf("%s: orthogonal init, |WᵀW − 1.96·I| up to %.3f", name, e)
		}
		if e := gramErr(def[name], 32); e < 0.5 {
			t.Errorf("%s: default init is orthogonal too (%.3f): the test cannot tell them apart", name, e)
		}
		if !slices.Equal(w, again[name]) {
			t.Errorf("%s: same seed, different weights", name)
		}
		checked++
	}
	if checked < 2 {
		t.Fatalf("checked %d hidden1 weight matrices, want the generator's and the discriminator's", checked)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSimultaneousUpdates: with Simultaneous, the generator's update is the one a lone G step computes against the
// discriminator before its update, on the same batch and latent, and the discriminator's update is the D step of
// the alternating schedule.
func TestSimultaneousUpdates(t *testing.T) {
	cfg := mlpConfig(RingConfig(), 4, gan.LatentSpec{Noise: 8, NoiseDist: gan.Normal})
	cfg.BatchSize = 16
	sim := cfg
	sim.Simultaneous = true
	a, alt, gOnly := newModel(t, sim), newModel(t, cfg), newModel(t, cfg)
	for _, m := range []*Model{a, alt} {
		if _, err := m.TrainStep(0, training.StepRand(9, 0)); err != nil {
			t.Fatal(err)
		}
	}
	rng := training.StepRand(9, 0) // the batch and latent that a's step drew
	real, err := gOnly.realBatch(rng, cfg.BatchSize)
	if err != nil {
		t.Fatal(err)
	}
	lat, err := gOnly.latent.Sample(rng, cfg.BatchSize)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := gOnly.step(&gOnly.gStep, "infogan/g", gOnly.gStepFn(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gs.Run(0, append([]any{real, lat.ZTensor()}, gOnly.codeInputs(lat)...)...); err != nil {
		t.Fatal(err)
	}
	// scopeDiff is the largest |x − y| over the variables of scope, and how many variables it compared.
	scopeDiff := func(x, y *Model, scope string) (float64, int) {
		vx, vy := varValues(t, x.Context(), scope), varValues(t, y.Context(), scope)
		worst := 0.0
		for name, w := range vx {
			worst = max(worst, maxDiff(w, vy[name]))
		}
		return worst, len(vx)
	}
	if d, n := scopeDiff(a, gOnly, a.genScope); n == 0 || d > 1e-6 {
		t.Errorf("generator after a simultaneous step vs a G step against the old D: max diff %g over %d variables", d, n)
	}
	if d, n := scopeDiff(a, alt, a.disScope); n == 0 || d > 1e-6 {
		t.Errorf("discriminator after a simultaneous step vs the alternating D step: max diff %g over %d variables", d, n)
	}
	if d, _ := scopeDiff(a, alt, a.genScope); d < 1e-7 {
		t.Errorf("the alternating generator step (against the updated D, new latent) moved G exactly as the simultaneous one")
	}
	if d, _ := scopeDiff(a, gOnly, a.disScope); d < 1e-7 {
		t.Errorf("the simultaneous step left the discriminator unchanged")
	}
}

// TestMLPDiscriminatorOptions: with the paper's ring networks the discriminator is one ReLU layer on its input
// scaled by 1/4: its logits, computed by hand from its weights, match the model's, and the generator keeps its
// two layers.
func TestMLPDiscriminatorOptions(t *testing.T) {
	cfg := RingPaperConfig()
	cfg.MLP.Hidden, cfg.BatchSize, cfg.Latent.Noise, cfg.Seed = 8, 4, 6, 2
	m := newModel(t, cfg)
	if _, err := m.TrainStep(0, training.StepRand(2, 0)); err != nil { // builds and moves every variable
		t.Fatal(err)
	}
	vars := varValues(t, m.Context(), m.disScope)
	if !slices.ContainsFunc(slices.Collect(maps.Keys(varValues(t, m.Context(), m.genScope))),
		func(name string) bool { return strings.Contains(name, "hidden1") }) {
		t.Error("the generator has no second hidden layer")
	}
	var w0, b0, w1, b1 []float32
	for name, v := range vars {
		switch {
		case strings.Contains(name, "hidden1"):
			t.Errorf("DisLayers 1, but the discriminator has %s", name)
		case strings.Contains(name, "trunk/hidden0/dense/weights"):
			w0 = v
		case strings.Contains(name, "trunk/hidden0/dense/biases"):
			b0 = v
		case strings.Contains(name, "d_head/dense/weights"):
			w1 = v
		case strings.Contains(name, "d_head/dense/biases"):
			b1 = v
		}
	}
	if len(w0) != 2*8 || len(b0) != 8 || len(w1) != 8 || len(b1) != 1 {
		t.Fatalf("discriminator variables: %d %d %d %d values, want 16 8 8 1 (%v)", len(w0), len(b0), len(w1), len(b1), slices.Sorted(maps.Keys(vars)))
	}
	x := []float32{2, 0, -1.4, 1.4, 0.3, -2}
	e, err := context.NewExec(m.backend, m.Context(), func(ctx *context.Context, x *Node) *Node {
		return m.dHead(ctx.Reuse(), m.trunk(ctx.Reuse(), x))
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(training.Tensor(x, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out[0])
	for i := range 3 {
		logit := float64(b1[0])
		for j := range 8 {
			h := float64(b0[j]) + 0.25*(float64(x[2*i])*float64(w0[j])+float64(x[2*i+1])*float64(w0[8+j]))
			logit += math.Max(h, 0) * float64(w1[j])
		}
		if math.Abs(logit-float64(got[i])) > 1e-5 {
			t.Errorf("point %d: model logit %g, by hand (ReLU layer on x/4) %g", i, got[i], logit)
		}
	}
}
