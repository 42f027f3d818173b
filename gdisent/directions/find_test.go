package directions

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"gonum.org/v1/gonum/mat"
)

// orthonormalCols fails unless the columns of a are orthonormal.
func orthonormalCols(t *testing.T, name string, a *mat.Dense) {
	t.Helper()
	_, k := a.Dims()
	var ata mat.Dense
	ata.Mul(a.T(), a)
	for i := range k {
		for j := range k {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(ata.At(i, j)-want) > 1e-6 {
				t.Fatalf("%s: AᵀA[%d,%d] = %g, want %g", name, i, j, ata.At(i, j), want)
			}
		}
	}
}

// TestFindOnLinearGenerator: on G(z) = W z every method that reads G's geometry (GANSpace's PCA, DeepSpectral's
// Jacobian SVD) recovers W's right-singular vectors; SeFa is SeFa of the target's latent weight; the learned
// methods run and report their statistics; Random is orthonormal and reproducible; every result is orthonormal.
func TestFindOnLinearGenerator(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(31, 32))
	w, _, v := withSingular(rng, 8, 4, []float64{4, 2.5, 1.5, 0.7})
	gen := linearGen(w)
	wt := mat.DenseCopyOf(w.T())
	tg := Target{Backend: b, Context: seeded(6), Generator: gen, LatentDim: 4,
		LatentWeight: func() (*mat.Dense, error) { return wt, nil }}
	var logged []string
	cfg := FindConfig{Directions: 2, Seed: 1, GANSpaceSamples: 3000, LatentDiscoverySteps: 20, HessianSteps: 10,
		Jacobian: JacobianOptions{Iterations: 200}, Log: func(s string) { logged = append(logged, s) }}
	got := map[string]Result{}
	for _, m := range Methods() {
		r, err := Find(tg, m, cfg)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if r.Method != m || r.Dim != 4 || r.K != 2 || r.Seconds < 0 {
			t.Fatalf("%s: result %+v", m, r)
		}
		orthonormalCols(t, m, r.Matrix())
		got[m] = r
	}
	for _, m := range []string{MethodGANSpace, MethodDeepSpectral} {
		for i := range 2 {
			if c := colAbsCos(got[m].Matrix(), i, v, i); c < 0.995 {
				t.Errorf("%s direction %d: |cos| with W's right-singular vector %.4f", m, i, c)
			}
		}
	}
	near(t, "DeepSpectral σ1", got[MethodDeepSpectral].Values[0], 4, 1e-3)
	sefa, err := SeFa(wt, 2, SeFaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		near(t, "SeFa through Find", colAbsCos(got[MethodSeFa].Matrix(), i, sefa.Vectors, i), 1, 1e-9)
	}
	if got[MethodLatentDiscovery].Stats["accuracy"] <= 0 && got[MethodLatentDiscovery].Stats["shift_l1"] <= 0 {
		t.Errorf("Latent Discovery stats missing: %v", got[MethodLatentDiscovery].Stats)
	}
	if _, ok := got[MethodHessian].Stats["penalty"]; !ok {
		t.Errorf("Hessian stats missing: %v", got[MethodHessian].Stats)
	}
	if len(logged) != 20 || !strings.Contains(logged[9], "LatentDiscovery step 20/20") {
		t.Errorf("progress lines: %q", logged)
	}
	again, err := Find(tg, MethodRandom, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(again.Matrix(), got[MethodRandom].Matrix()) {
		t.Errorf("Random directions differ for the same seed")
	}
	if !strings.Contains(got[MethodLatentDiscovery].String(), "accuracy") {
		t.Errorf("String() = %q", got[MethodLatentDiscovery].String())
	}

	// Bad requests fail with a message that names the problem.
	for name, c := range map[string]struct {
		tg     Target
		method string
		cfg    FindConfig
		want   string
	}{
		"unknown method": {tg, "PCA", cfg, "unknown method"},
		"too many":       {tg, MethodRandom, FindConfig{Directions: 5}, "5 directions"},
		"no LD steps":    {tg, MethodLatentDiscovery, FindConfig{Directions: 2}, "LatentDiscoverySteps"},
		"no HP steps":    {tg, MethodHessian, FindConfig{Directions: 2}, "HessianSteps"},
		"no weight":      {Target{Backend: b, Context: tg.Context, Generator: gen, LatentDim: 4}, MethodSeFa, cfg, "LatentWeight"},
		"no generator":   {Target{Backend: b, Context: tg.Context, LatentDim: 4}, MethodRandom, cfg, "no generator"},
		"bad base":       {tg, MethodDeepSpectral, FindConfig{Directions: 2, Base: []float64{0}}, "base point"},
	} {
		if _, err := Find(c.tg, c.method, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, c.want)
		}
	}
}

func TestResultsSaveLoadTable(t *testing.T) {
	a, _ := RandomDirections(3, 2, 1)
	r1 := Result{Method: "A", Dim: 3, K: 2, Vectors: mat.DenseCopyOf(a).RawMatrix().Data, Values: []float64{2, 1}, Seconds: 1.5}
	r2 := Result{Method: "B", Dim: 3, K: 2, Vectors: mat.DenseCopyOf(a).RawMatrix().Data, Stats: map[string]float64{"accuracy": 0.25}}
	var rs Results
	rs.Put(r1)
	rs.Put(r2)
	r1.Seconds = 2
	rs.Put(r1) // replaces A in place
	if got := rs.Methods(); len(got) != 2 || got[0] != "A" || rs[0].Seconds != 2 {
		t.Fatalf("Put: %v, A seconds %g", got, rs[0].Seconds)
	}
	if err := rs.SetScores("B", map[string]float64{"mig": 0.123456, "encoder_seconds": 1234.4}); err != nil {
		t.Fatal(err)
	}
	if err := rs.SetScores("C", nil); err == nil {
		t.Error("SetScores of a missing method succeeded")
	}
	path := filepath.Join(t.TempDir(), "sub", "results.json")
	if err := rs.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := back.Get("B")
	if err != nil || b.Scores["mig"] != 0.123456 || b.Stats["accuracy"] != 0.25 || !mat.Equal(b.Matrix(), a) {
		t.Fatalf("round trip: %+v, %v", b, err)
	}
	if _, err := back.Get("Z"); err == nil || !strings.Contains(err.Error(), "run Find") {
		t.Errorf("Get of a missing method: %v", err)
	}
	header, rows := back.Table("mig", "accuracy", "find_seconds", "encoder_seconds")
	want := [][]string{{"A", "–", "–", "2.000", "–"}, {"B", "0.123", "0.250", "0.000", "1234"}}
	if strings.Join(header, ",") != "method,mig,accuracy,find_seconds,encoder_seconds" {
		t.Errorf("header %v", header)
	}
	for i := range want {
		if strings.Join(rows[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("row %d = %v, want %v", i, rows[i], want[i])
		}
	}
	// Missing and malformed files give errors that say what to do or what is wrong.
	if _, err := LoadResults(filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), "find them first") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`[{"method":"A","dim":3,"k":2,"vectors":[1,2]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadResults(bad); err == nil || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("malformed file: %v", err)
	}
	if err := (Results{{Method: "A", Dim: 3, K: 2, Vectors: []float64{1}}}).Save(path); err == nil {
		t.Error("Save of a malformed result succeeded")
	}
}

func TestPathsAndTrajectoryPair(t *testing.T) {
	a, _ := RandomDirections(3, 2, 4)
	z0 := []float64{1, 0, -1}
	zs, err := TraversalLatents(z0, a, 2, []float64{-1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(zs) != 4 {
		t.Fatalf("%d latents, want 4", len(zs))
	}
	for j := range 3 { // row 1, value 2: z0 + 2·a_1
		near(t, "traversal latent", zs[3][j], z0[j]+2*a.At(j, 1), 1e-12)
	}
	if _, err := TraversalLatents(z0, a, 3, []float64{1}); err == nil {
		t.Error("more rows than directions accepted")
	}
	flat, n := Flatten(zs[:1], zs[1:])
	if n != 4 || len(flat) != 12 || flat[5] != float32(zs[1][2]) {
		t.Errorf("Flatten: n %d, len %d", n, len(flat))
	}
	if got := NormalLatents(rand.New(rand.NewPCG(1, 1)), 2, 5); len(got) != 2 || len(got[1]) != 5 || got[0][0] == got[1][0] {
		t.Errorf("NormalLatents: %v", got)
	}

	// On a linear G the curve is the line: both lie on the v1 axis of the plane at the offsets, in the same order.
	b := be(t)
	rng := rand.New(rand.NewPCG(9, 10))
	w, _, _ := withSingular(rng, 6, 3, []float64{3, 2, 1})
	gen := linearGen(w)
	ctx := initGen(t, b, gen, 3, dtypes.Float64)
	tool, err := NewJacobianTool(b, ctx, gen, 3, JacobianOptions{DType: dtypes.Float64, Tol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := tool.Trajectories([]float64{0.1, 0.2, -0.3}, 0.5, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Offsets) != 5 || tr.Offsets[0] != -1 || len(tr.Linear) != 5 || len(tr.Curved) != 5 {
		t.Fatalf("trajectories: offsets %v, %d and %d latents", tr.Offsets, len(tr.Linear), len(tr.Curved))
	}
	for _, path := range [][][]float64{tr.Linear, tr.Curved} {
		x, y := tr.Plane(path)
		for i := range x {
			near(t, "position along v1", x[i], tr.Offsets[i], 1e-6)
			near(t, "distance off the v1 axis", y[i], 0, 1e-6)
		}
	}
	if _, err := tool.Trajectories([]float64{0}, 0.5, 2); err == nil {
		t.Error("wrong-size z0 accepted")
	}
}
