package infogan

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/gdisent/training"
)

// expectLatent is the latent a traversal cell must use: base's codes and noise, categorical code cat set to
// category catVal (cat < 0: none) and continuous code cont set to v.
func expectLatent(s gan.LatentSpec, base *gan.LatentBatch, cat, catVal, cont int, v float64) []float32 {
	nc := len(s.Categorical)
	cats := append([]int32(nil), base.Cat[:nc]...)
	if cat >= 0 {
		cats[cat] = int32(catVal)
	}
	conts := append([]float32(nil), base.Cont[:s.Continuous]...)
	conts[cont] = float32(v)
	l, err := s.Assemble(1, cats, conts, append([]float32(nil), base.Noise[:s.Noise]...))
	if err != nil {
		panic(err)
	}
	return l.Z
}

// checkCell compares traversal cell (r, j) with the generator's output for the latent it should hold.
func checkCell(t *testing.T, m *Model, tr *Traversal, r, j int, z []float32) {
	t.Helper()
	want, err := m.Generate(z, 1)
	if err != nil {
		t.Fatal(err)
	}
	per := len(want)
	got := tr.Images[(r*tr.Cols+j)*per : (r*tr.Cols+j+1)*per]
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Fatalf("cell (%d, %d): %v, want G(latent) = %v", r, j, got, want)
		}
	}
}

func TestTraverseCategory(t *testing.T) {
	spec := gan.LatentSpec{Categorical: []int{4}, Continuous: 2, Noise: 3}
	m := newModel(t, mlpConfig(MNISTConfig(), 5, spec))
	base, err := spec.Sample(rand.New(rand.NewPCG(1, 2)), 1)
	if err != nil {
		t.Fatal(err)
	}
	values := []float64{-2, 0, 1.5}
	tr, err := m.TraverseCategory(base, 0, 1, values)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Rows != 4 || tr.Cols != 3 || tr.Shape != [3]int{1, 1, 2} || len(tr.Images) != 4*3*2 {
		t.Fatalf("traversal %d×%d of %v with %d values, want 4×3 of [1 1 2] with 24", tr.Rows, tr.Cols, tr.Shape, len(tr.Images))
	}
	if strings.Join(tr.RowLabels, ",") != "cat 0,cat 1,cat 2,cat 3" {
		t.Errorf("row labels %q", tr.RowLabels)
	}
	for r := range 4 {
		for j, v := range values {
			checkCell(t, m, tr, r, j, expectLatent(spec, base, 0, r, 1, v))
		}
	}
	// The untrained generator still depends on its input: the cells are not all one point.
	if tr.Images[0] == tr.Images[2*2] && tr.Images[0] == tr.Images[2*3] {
		t.Errorf("cells (0,0), (0,2) and (1,0) coincide: %v", tr.Images[:8])
	}
}

// TestTraversalGrid: a traversal of grey images becomes a labelled image grid and a figure.
func TestTraversalGrid(t *testing.T) {
	tr := &Traversal{Images: make([]float32, 2*3*4*4), Rows: 2, Cols: 3, Shape: [3]int{4, 4, 1},
		RowLabels: []string{"cat 0", "cat 1"}, Values: []float64{-2, 0, 1.5}}
	for i := range tr.Images {
		tr.Images[i] = float32(i%7) / 6
	}
	g, err := tr.Grid()
	if err != nil {
		t.Fatal(err)
	}
	if g.Rows != 2 || g.Cols != 3 || strings.Join(g.RowLabels, ",") != "cat 0,cat 1" || strings.Join(g.ColLabels, " ") != "-2 0 1.5" {
		t.Errorf("grid %d×%d, labels %q / %q", g.Rows, g.Cols, g.RowLabels, g.ColLabels)
	}
	if _, err := tr.Plot("K = 0"); err != nil {
		t.Error(err)
	}
	tr.Shape = [3]int{1, 1, 2} // points cannot be drawn as images
	if _, err := tr.Grid(); err == nil {
		t.Error("a traversal of 2-channel points became an image grid")
	}
}

func TestTraverseCodes(t *testing.T) {
	spec := gan.LatentSpec{Continuous: 3, Noise: 2}
	m := newModel(t, mlpConfig(DefaultConfig(), 2, spec))
	base, err := spec.Sample(rand.New(rand.NewPCG(3, 4)), 1)
	if err != nil {
		t.Fatal(err)
	}
	values := []float64{-1, 0.25, 1}
	tr, err := m.TraverseCodes(base, values)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Rows != 3 || tr.Cols != 3 || strings.Join(tr.RowLabels, ",") != "c1,c2,c3" {
		t.Fatalf("traversal %d×%d labelled %q, want 3×3 c1..c3", tr.Rows, tr.Cols, tr.RowLabels)
	}
	for r := range 3 {
		for j, v := range values {
			checkCell(t, m, tr, r, j, expectLatent(spec, base, -1, 0, r, v))
		}
	}
}

func TestTraverseErrors(t *testing.T) {
	spec := gan.LatentSpec{Categorical: []int{3}, Continuous: 1, Noise: 2}
	m := newModel(t, mlpConfig(MNISTConfig(), 1, spec))
	base, _ := spec.Sample(rand.New(rand.NewPCG(1, 1)), 1)
	other, _ := gan.LatentSpec{Continuous: 2, Noise: 1}.Sample(rand.New(rand.NewPCG(1, 1)), 1)
	noCodes := newModel(t, mlpConfig(RingConfig(), 1, gan.LatentSpec{Noise: 4}))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"nil base", func() error { _, err := m.TraverseCodes(nil, []float64{0}); return err }(), "Sample"},
		{"foreign base", func() error { _, err := m.TraverseCategory(other, 0, 0, []float64{0}); return err }(), "not one of"},
		{"no values", func() error { _, err := m.TraverseCodes(base, nil); return err }(), "no traversal values"},
		{"NaN value", func() error { _, err := m.TraverseCodes(base, []float64{0, math.NaN()}); return err }(), "finite"},
		{"categorical code", func() error { _, err := m.TraverseCategory(base, 1, 0, []float64{0}); return err }(), "categorical code 1"},
		{"continuous code", func() error { _, err := m.TraverseCategory(base, 0, 1, []float64{0}); return err }(), "continuous code 1"},
		{"no codes", func() error { _, err := noCodes.TraverseCodes(base, []float64{0}); return err }(), "no continuous codes"},
		{"nil traversal", func() error { _, err := (*Traversal)(nil).Grid(); return err }(), "nil traversal"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, tc.err, tc.want)
		}
	}
}

// TestRecoverCodes: Q reads the codes of generated points back at chance level before training and far better after
// a short InfoGAN training on the ring.
func TestRecoverCodes(t *testing.T) {
	cfg := mlpConfig(MNISTConfig(), 1, gan.LatentSpec{Categorical: []int{8}, Continuous: 1, Noise: 2})
	cfg.BatchSize, cfg.DLearningRate = 64, 1e-3
	m := newModel(t, cfg)
	rng := func() *rand.Rand { return rand.New(rand.NewPCG(9, 9)) }
	before, err := m.RecoverCodes(rng(), 2000)
	if err != nil {
		t.Fatal(err)
	}
	for step := range int64(150) {
		if _, err := m.TrainStep(step, training.StepRand(1, step)); err != nil {
			t.Fatal(err)
		}
	}
	after, err := m.RecoverCodes(rng(), 2000)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("before: accuracy %.3f, MSE %.3f; after 150 steps: accuracy %.3f, MSE %.3f", before.CategoricalAccuracy[0],
		before.ContinuousMSE[0], after.CategoricalAccuracy[0], after.ContinuousMSE[0])
	if after.N != 2000 || len(after.CategoricalAccuracy) != 1 || len(after.ContinuousMSE) != 1 {
		t.Fatalf("recovery %+v", after)
	}
	if a := before.CategoricalAccuracy[0]; a > 0.35 {
		t.Errorf("untrained Q accuracy %.3f, want near chance (1/8)", a)
	}
	if a := after.CategoricalAccuracy[0]; a < 0.6 {
		t.Errorf("trained Q accuracy %.3f, want well above chance", a)
	}
	if e := after.ContinuousMSE[0]; !(e < 1.0/3) || !(e < before.ContinuousMSE[0]) {
		t.Errorf("trained Q MSE %.3f (untrained %.3f), want below the prior's variance 1/3", e, before.ContinuousMSE[0])
	}
	pts, err := m.Sample(rng(), 5)
	if err != nil || len(pts) != 10 {
		t.Fatalf("Sample: %d values, %v", len(pts), err)
	}
	if _, err := m.Sample(nil, 5); err == nil {
		t.Error("Sample accepted a nil random source")
	}
	if _, err := m.RecoverCodes(rng(), 0); err == nil {
		t.Error("RecoverCodes accepted n = 0")
	}
}
