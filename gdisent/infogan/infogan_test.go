package infogan

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

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

// ring samples the 8-Gaussian ring (radius 2, std 0.02) of Metz et al. (2017).
func ring(rng *rand.Rand, batch int) (*tensors.Tensor, error) {
	d := make([]float32, 2*batch)
	for i := range batch {
		a := 2 * math.Pi * float64(rng.IntN(8)) / 8
		d[2*i] = float32(2*math.Cos(a) + 0.02*rng.NormFloat64())
		d[2*i+1] = float32(2*math.Sin(a) + 0.02*rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(d, batch, 2), nil
}

func newCtx(t *testing.T, seed int64, params map[string]any) *context.Context {
	t.Helper()
	ctx := context.New()
	if err := training.SeedContext(ctx, seed); err != nil {
		t.Fatal(err)
	}
	ctx.SetParams(params)
	return ctx
}

func mlpModel(t *testing.T, ctx *context.Context, latent gan.LatentSpec) *Model {
	t.Helper()
	arch, err := MLPArchitecture(2, 32, 2)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(be(t), ctx, arch, latent, ring)
	if err != nil {
		t.Fatal(err)
	}
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
	params := InfoGANParams()
	params[ParamBatchSize] = 64
	params[ParamDLR] = 1e-3
	ctx := newCtx(t, 1, params)
	m := mlpModel(t, ctx, gan.LatentSpec{Categorical: []int{8}, Continuous: 1, Noise: 2})
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
		params := InfoGANParams()
		params[ParamBatchSize] = 16
		params[ParamUnrollK] = k
		params[ParamUnrollLR] = 0.5
		m := mlpModel(t, newCtx(t, 3, params), gan.LatentSpec{Categorical: []int{4}, Continuous: 2, Noise: 2})
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
	params := InfoGANCRParams()
	params[ParamBatchSize] = 16
	params[ParamCRStart] = 3
	params[ParamGapStart] = 1.0
	params[ParamGapDec] = 0.5
	params[ParamGapEvery] = 5
	params[ParamGapTimes] = 1
	ctx := newCtx(t, 5, params)
	m := mlpModel(t, ctx, gan.LatentSpec{Continuous: 3, Noise: 2})
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

// TestCheckpointResume: 4 steps + checkpoint, then a fresh model resumed from it to 6 steps, equals 6 steps
// uninterrupted.
func TestCheckpointResume(t *testing.T) {
	latent := gan.LatentSpec{Categorical: []int{3}, Continuous: 2, Noise: 2}
	mk := func(dir string) (*Model, *training.Loop) {
		params := InfoGANCRParams()
		params[ParamBatchSize] = 8
		params[ParamCRStart] = 2
		params[ParamUnrollK] = 1
		params[training.ParamCheckpointDir] = dir
		params[training.ParamCheckpointEvery] = 2
		ctx := newCtx(t, 9, params)
		m := mlpModel(t, ctx, latent)
		return m, m.NewLoop().Reporter(training.Silent())
	}
	_, full := mk("")
	if err := full.Run(6); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, first := mk(dir)
	if err := first.Run(4); err != nil {
		t.Fatal(err)
	}
	m2, second := mk(dir)
	ok, err := second.Restore()
	if err != nil || !ok || second.Step() != 4 {
		t.Fatalf("restore: ok=%v err=%v step=%d", ok, err, second.Step())
	}
	if err := second.RunTo(6); err != nil {
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
	_ = m2
}

func TestInvalidHyperparameters(t *testing.T) {
	arch, _ := MLPArchitecture(2, 8, 1)
	b := be(t)
	for name, params := range map[string]map[string]any{
		"negative lambda":  {ParamLambdaD: -1.0},
		"zero batch":       {ParamBatchSize: 0},
		"bad gap":          {ParamGapStart: 2.5},
		"bad unroll":       {ParamUnrollK: -1},
		"unknown unroll":   {ParamUnrollK: 2, ParamUnrollOpt: "rmsprop"},
		"zero g steps":     {ParamGSteps: 0},
		"CR with one code": {ParamCRStart: 0},
		"wrong type":       {ParamBatchSize: "sixty-four"},
	} {
		ctx := context.New()
		ctx.SetParams(params)
		if _, err := New(b, ctx, arch, gan.LatentSpec{Continuous: 1, Noise: 2}, ring); err == nil {
			t.Errorf("%s: expected an error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := ConvArchitecture(ConvConfig{ImageSize: 30, Channels: 1, GenHidden: 8, GenChannels: []int{4}, DisChannels: []int{4}, DisHidden: 8, QHidden: 8}); err == nil {
		t.Error("image size 30 with 1 deconv layer should be rejected")
	}
}

// TestConvInfoGANCRStep runs InfoGAN-CR iterations with the small conv architecture (16×16, CR on, K=1 unroll)
// to check shapes, spectral norm and second-order gradients through convolutions.
func TestConvInfoGANCRStep(t *testing.T) {
	cfg := SmallConvConfig(16, 1)
	cfg.GenHidden, cfg.GenChannels, cfg.DisChannels, cfg.DisHidden, cfg.QHidden = 16, []int{8}, []int{4, 8}, 16, 16
	arch, err := ConvArchitecture(cfg)
	if err != nil {
		t.Fatal(err)
	}
	params := InfoGANCRParams()
	params[ParamBatchSize] = 4
	params[ParamCRStart] = 1
	params[ParamUnrollK] = 1
	ctx := newCtx(t, 11, params)
	blobs := func(rng *rand.Rand, batch int) (*tensors.Tensor, error) {
		d := make([]float32, batch*16*16)
		for b := range batch {
			cx, cy := 4+rng.IntN(8), 4+rng.IntN(8)
			for y := cy - 2; y <= cy+2; y++ {
				for x := cx - 2; x <= cx+2; x++ {
					d[b*256+y*16+x] = 1
				}
			}
		}
		return tensors.FromFlatDataAndDimensions(d, batch, 16, 16, 1), nil
	}
	m, err := New(be(t), ctx, arch, gan.LatentSpec{Continuous: 2, Noise: 2}, blobs)
	if err != nil {
		t.Fatal(err)
	}
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
	img, err := m.Generate(lat)
	if err != nil {
		t.Fatal(err)
	}
	if d := img.Shape().Dimensions; len(d) != 4 || d[0] != 3 || d[1] != 16 || d[3] != 1 {
		t.Errorf("Generate shape %v", d)
	}
	enc, err := m.Encode(img)
	if err != nil {
		t.Fatal(err)
	}
	if d := enc.Shape().Dimensions; d[0] != 3 || d[1] != 2 {
		t.Errorf("Encode shape %v", d)
	}
}
