package metrics

import (
	"encoding/json"
	"github.com/gdisent/gdisent/gdisent"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestMutualInfoHand(t *testing.T) {
	cases := []struct {
		a, b []int
		want float64
	}{
		{[]int{0, 0, 1, 1}, []int{0, 1, 0, 1}, 0},
		{[]int{0, 0, 1, 1}, []int{5, 5, 7, 7}, math.Log(2)},
		// joint (0,0):2 (0,1):1 (1,1):1 → ½ln(4/3) + ¼ln(2/3) + ¼ln2.
		{[]int{0, 0, 0, 1}, []int{0, 0, 1, 1}, 0.21576155433883565},
	}
	for i, c := range cases {
		if got := MutualInfo(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("case %d: MI = %.15f, want %.15f", i, got, c.want)
		}
	}
	if got, want := Entropy([]int{0, 0, 0, 1}), -(0.75*math.Log(0.75) + 0.25*math.Log(0.25)); math.Abs(got-want) > 1e-12 {
		t.Errorf("entropy %v, want %v", got, want)
	}
	a := []int{0, 1, 2, 2, 1, 0, 0}
	if math.Abs(Entropy(a)-MutualInfo(a, a)) > 1e-12 {
		t.Error("H(a) != I(a; a)")
	}
}

func TestDiscretize(t *testing.T) {
	s := Samples{Codes: []float64{0, 0.05, 0.5, 1, 0.999}, N: 5, D: 1, K: 1, Factors: make([]int, 5)}
	if got, want := Discretize(s, 20), []int{0, 1, 10, 19, 19}; !reflect.DeepEqual(got, want) {
		t.Errorf("bins %v, want %v", got, want)
	}
	c := Samples{Codes: []float64{3, 3, 3}, N: 3, D: 1, K: 1, Factors: make([]int, 3)}
	if got := Discretize(c, 20); got[0] != got[1] || got[1] != got[2] {
		t.Errorf("constant code split into bins %v", got)
	}
}

func TestEntropyBaseDCI(t *testing.T) {
	// A diagonal importance matrix is perfectly disentangled and complete.
	if h := entropyBase([]float64{0.7, 0, 0}, 3); h > 1e-9 {
		t.Errorf("entropy of a one-hot row %v", h)
	}
	if h := entropyBase([]float64{1, 1, 1}, 3); math.Abs(h-1) > 1e-12 {
		t.Errorf("entropy of a uniform row %v, want 1", h)
	}
}

// classicArrayMetrics are the array metrics of the known-score test (the newer ones have their own tests).
var classicArrayMetrics = []string{NameMIG, NameDCI, NameSAP, NameModularity, NameExplicitness}

func arrayScores(t *testing.T, enc Encoder, cfg Config) map[string]float64 {
	t.Helper()
	s := arrays(enc, 3000, 11)
	r, err := RunArrays(s.Codes, s.N, s.D, s.Factors, s.K, classicArrayMetrics, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r.Scores()
}

func TestArrayMetricsKnownScores(t *testing.T) {
	cfg := testConfig(DisentanglementLib)
	id := arrayScores(t, identityEnc, cfg)
	perm := arrayScores(t, permutedEnc, cfg)
	ent := arrayScores(t, entangledEnc, cfg)
	rnd := arrayScores(t, randomEnc(3), cfg)
	cont := cfg
	cont.ContinuousFactors = []bool{true, true, true}
	idc := arrayScores(t, identityEnc, cont)
	rndc := arrayScores(t, randomEnc(3), cont)
	t.Logf("identity %v", id)
	t.Logf("permuted %v", perm)
	t.Logf("entangled %v", ent)
	t.Logf("random %v", rnd)
	t.Logf("continuous SAP: identity %.4f random %.4f", idc[NameSAP], rndc[NameSAP])

	// Identity: bias of the plug-in MI estimator is ~(|a|−1)(|b|−1)/(2N) ≈ 0.003 nats against H ≥ 1.1 nats.
	for name, lo := range map[string]float64{NameMIG: 0.98, "dci_disentanglement": 0.95, "dci_completeness": 0.95,
		"dci_informativeness": 0.99, NameModularity: 0.98, NameExplicitness: 0.95} {
		if id[name] < lo {
			t.Errorf("identity %s = %.4f < %.2f", name, id[name], lo)
		}
	}
	// Continuous SAP (R²) of the identity is 1 minus chance correlations.
	if idc[NameSAP] < 0.95 || rndc[NameSAP] > 0.05 {
		t.Errorf("continuous SAP identity %.4f (want > 0.95), random %.4f (want < 0.05)", idc[NameSAP], rndc[NameSAP])
	}
	// Discrete SAP: a 1-D one-vs-rest linear SVM cannot isolate middle classes and chance accuracy with balanced
	// weights is ~1/|classes| on other codes, so the identity sits well below 1 but far above random.
	if id[NameSAP] < 0.25 || rnd[NameSAP] > 0.05 {
		t.Errorf("discrete SAP identity %.4f (want > 0.25), random %.4f (want < 0.05)", id[NameSAP], rnd[NameSAP])
	}
	// Permuted codes score the same.
	for name, v := range id {
		if math.Abs(perm[name]-v) > 1e-9 {
			t.Errorf("permuted %s = %.6f, identity %.6f", name, perm[name], v)
		}
	}
	// Affinely rescaled codes score the same on the scale-free metrics (not discrete SAP: LinearSVC penalises its
	// weight and intercept, so its accuracy depends on the code's scale, as in sklearn).
	aff := arrayScores(t, affineEnc, cfg)
	affc := arrayScores(t, affineEnc, cont)
	for name, v := range id {
		if name != NameSAP && math.Abs(aff[name]-v) > 1e-3 {
			t.Errorf("affine %s = %.6f, identity %.6f", name, aff[name], v)
		}
	}
	if math.Abs(affc[NameSAP]-idc[NameSAP]) > 1e-9 {
		t.Errorf("affine continuous SAP %.6f, identity %.6f", affc[NameSAP], idc[NameSAP])
	}
	// Entangling two codes lowers MIG, DCI-D and Modularity.
	for _, name := range []string{NameMIG, "dci_disentanglement", NameModularity} {
		if ent[name] > id[name]-0.1 {
			t.Errorf("entangled %s = %.4f not below identity %.4f − 0.1", name, ent[name], id[name])
		}
	}
	// Random codes carry no information.
	// (Modularity is not asserted: for random codes it sits near 0.6, because the plug-in MI noise is spread
	// unevenly over factors.)
	for name, hi := range map[string]float64{NameMIG: 0.02, "dci_disentanglement": 0.15} {
		if rnd[name] > hi {
			t.Errorf("random %s = %.4f > %.2f", name, rnd[name], hi)
		}
	}
	if rnd[NameExplicitness] > 0.6 || rnd["dci_informativeness"] > 0.45 {
		t.Errorf("random explicitness %.3f (want ~0.5), informativeness %.3f (want ~chance ≈ 0.28)",
			rnd[NameExplicitness], rnd["dci_informativeness"])
	}
}

func TestInterventionalKnownScores(t *testing.T) {
	for _, p := range []Protocol{DisentanglementLib, InfoGANCR} {
		cfg := testConfig(p)
		scores := map[string]map[string]float64{}
		for name, enc := range map[string]Encoder{"identity": identityEnc, "permuted": permutedEnc,
			"affine": affineEnc, "entangled": entangledEnc, "random": randomEnc(4)} {
			r, err := Evaluate(enc, testSource, []string{NameFactorVAE, NameBetaVAE}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			scores[name] = r.Scores()
		}
		t.Logf("%v: %v", p, scores)
		for _, n := range []string{NameFactorVAE, NameBetaVAE} {
			if v := scores["identity"][n]; v < 0.99 {
				t.Errorf("%v identity %s = %.4f < 0.99", p, n, v)
			}
			for _, e := range []string{"permuted", "affine"} {
				if v := scores[e][n]; v < 0.99 {
					t.Errorf("%v %s %s = %.4f < 0.99", p, e, n, v)
				}
			}
			// Chance is 1/K = 1/3; the majority vote over few votes per dim adds a little.
			if v := scores["random"][n]; v > 0.45 {
				t.Errorf("%v random %s = %.4f, want ≈ 1/3", p, n, v)
			}
		}
		// Rotating codes 0 and 1 makes them tie for factors 0 and 1: FactorVAE ≈ (1 + ½ + ½)/3.
		if v := scores["entangled"][NameFactorVAE]; v > 0.85 {
			t.Errorf("%v entangled FactorVAE = %.4f, want ≈ 0.67", p, v)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, p := range []Protocol{DisentanglementLib, InfoGANCR} {
		cfg := testConfig(p)
		cfg.NumTrain, cfg.NumTest, cfg.NumVariance, cfg.NumGroups = 600, 300, 600, 60
		run := func() []byte {
			r, err := Evaluate(randomEnc(7), testSource, nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
			r.Seconds = nil
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		a, b := run(), run()
		if string(a) != string(b) {
			t.Errorf("%v: two runs with the same seed differ", p)
		}
		cfg.Seed = 2
		r2, _ := Evaluate(entangledEnc, testSource, []string{NameFactorVAE}, cfg)
		cfg.Seed = 1
		r1, _ := Evaluate(entangledEnc, testSource, []string{NameFactorVAE}, cfg)
		if reflect.DeepEqual(r1.FactorVAE.Votes, r2.FactorVAE.Votes) {
			t.Errorf("%v: different seeds gave identical votes", p)
		}
	}
}

func TestInfoGANCRProtocol(t *testing.T) {
	cfg := testConfig(InfoGANCR)
	cfg.ContinuousFactors = []bool{false, true, true}
	r, err := Evaluate(identityEnc, testSource, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.FactorVAE.EvalAccuracy != nil || r.BetaVAE.EvalAccuracy != nil {
		t.Error("InfoGAN-CR reports training accuracy only")
	}
	if r.DCI.Method != "lasso" || r.NumTrain != r.NumTest || r.NumTrain != cfg.NumTrain {
		t.Errorf("DCI method %q, train %d, test %d", r.DCI.Method, r.NumTrain, r.NumTest)
	}
	tot := 0
	for k := range r.FactorVAE.Votes {
		for _, v := range r.FactorVAE.Votes[k] {
			tot += v
		}
	}
	if tot != cfg.NumGroups {
		t.Errorf("%d votes, want %d groups", tot, cfg.NumGroups)
	}
	if s := r.Scores(); s["dci_disentanglement"] < 0.95 || s[NameSAP] < 0.5 {
		t.Errorf("identity under InfoGAN-CR: %v", s)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("JSON: %v", err)
	}
}

func TestInvalidInputs(t *testing.T) {
	cfg := testConfig(DisentanglementLib)
	nan := []float64{1, math.NaN(), 2, 3}
	cases := []struct {
		name    string
		err     error
		contain string
	}{}
	add := func(name string, err error, contain string) {
		cases = append(cases, struct {
			name    string
			err     error
			contain string
		}{name, err, contain})
	}
	_, err := RunArrays([]float64{1, 2, 3}, 3, 1, []int{0, 1}, 1, nil, cfg)
	add("n mismatch", err, "factors have 2 values")
	_, err = RunArrays(nan, 4, 1, []int{0, 1, 0, 1}, 1, nil, cfg)
	add("NaN", err, "NaN")
	_, err = RunArrays(nil, 0, 1, nil, 1, nil, cfg)
	add("zero samples", err, "no samples")
	_, err = RunArrays(nil, 3, 0, []int{0, 1, 0}, 1, nil, cfg)
	add("D=0", err, "D=0")
	_, err = RunArrays([]float64{1, 2}, 2, 1, []int{0, 1}, 1, []string{NameFactorVAE}, cfg)
	add("interventional on arrays", err, "needs an Encoder")
	_, err = RunArrays([]float64{1, 2}, 2, 1, []int{0, 1}, 1, []string{"nope"}, cfg)
	add("unknown metric", err, "unknown metric")
	_, err = MIG(Samples{Codes: []float64{1, 2}, Factors: []int{0, 0}, N: 2, D: 1, K: 1}, cfg)
	add("constant factor", err, "constant")
	_, err = Evaluate(gdisent.EncoderFunc(func([]float32, int) ([]float32, error) { return []float32{1}, nil }), testSource,
		[]string{NameMIG}, cfg)
	add("bad encoder output", err, "encoder returned")
	_, err = Evaluate(gdisent.EncoderFunc(func(im []float32, n int) ([]float32, error) { return []float32(nil), nil }), testSource,
		[]string{NameFactorVAE}, cfg)
	add("empty encoder output", err, "encoder returned 0 values")
	_, err = Evaluate(gdisent.EncoderFunc(func(im []float32, n int) ([]float32, error) {
		o := append([]float32(nil), im...)
		o[0] = float32(math.NaN())
		return o, nil
	}), testSource, []string{NameBetaVAE}, cfg)
	add("NaN encoder output", err, "NaN")
	_, err = Evaluate(identityEnc, nil, nil, cfg)
	add("nil source", err, "nil FactorSource")
	_, err = NewTracker(nil, 0, func() Encoder { return identityEnc }, testSource, cfg)
	add("tracker interval", err, "interval")
	sap := cfg
	sap.ContinuousFactors = []bool{true}
	_, err = RunArrays([]float64{1, 2, 3, 4}, 2, 2, []int{0, 1, 1, 0}, 2, []string{NameSAP}, sap)
	add("ContinuousFactors length", err, "ContinuousFactors")
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.contain) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.contain)
		}
	}
}

func TestTracker(t *testing.T) {
	cfg := testConfig(DisentanglementLib)
	cfg.NumTrain, cfg.NumTest = 500, 250
	calls := 0
	tr, err := NewTracker([]string{NameMIG, NameModularity}, 10, func() Encoder {
		calls++
		if calls == 1 {
			return randomEnc(1)
		}
		return identityEnc
	}, testSource, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for step := 0; step <= 25; step++ {
		v, ok, err := tr.Maybe(step)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (step%10 == 0) || (ok && len(v) != 2) {
			t.Fatalf("step %d: ok=%v values=%v", step, ok, v)
		}
	}
	s := tr.Series()
	if len(s) != 2 || s[0].Name != NameMIG || !reflect.DeepEqual(s[0].X, []float64{0, 10, 20}) {
		t.Fatalf("series %+v", s)
	}
	if !(s[0].Y[0] < 0.1 && s[0].Y[1] > 0.9 && s[0].Y[2] == s[0].Y[1]) {
		t.Errorf("MIG curve %v, want random then identity", s[0].Y)
	}
}

func TestProtocolParse(t *testing.T) {
	for s, want := range map[string]Protocol{"dlib": DisentanglementLib, "infogan-cr": InfoGANCR, "": DisentanglementLib} {
		if p, err := ParseProtocol(s); err != nil || p != want {
			t.Errorf("ParseProtocol(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := ParseProtocol("x"); err == nil {
		t.Error("want error")
	}
	if c := DefaultConfig(); c.NumTrain != 10000 || c.NumTest != 5000 || c.GroupSize != 64 || c.NumBins != 20 ||
		c.PruneThreshold != 0.05 || c.DCI != DCIGBT {
		t.Errorf("defaults %+v", c)
	}
	if c := InfoGANCRConfig(); c.NumGroups != 500 || c.GroupSize != 100 || c.NumVariance != 73728 || c.DCI != DCILasso {
		t.Errorf("InfoGAN-CR defaults %+v", c)
	}
	// Both presets reproduce published numbers: scikit-learn ≤ 0.21's liblinear logistic regression, exact trees,
	// and disentanglement_lib's IRS, downstream and fairness settings.
	for _, c := range []Config{DefaultConfig(), InfoGANCRConfig()} {
		if c.LogReg != LogRegLiblinear || c.GBT.ApproxBins != 0 || c.IRSQuantile != 0.99 || c.FairnessPoints != 100 ||
			!reflect.DeepEqual(c.DownstreamSizes, []int{10, 100, 1000, 10000}) {
			t.Errorf("%v preset %+v", c.Protocol, c)
		}
	}
	for s, want := range map[string]LogRegMethod{"": LogRegAuto, "liblinear": LogRegLiblinear, "LBFGS": LogRegLBFGS} {
		if m, err := ParseLogRegMethod(s); err != nil || m != want {
			t.Errorf("ParseLogRegMethod(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseLogRegMethod("newton"); err == nil {
		t.Error("ParseLogRegMethod(newton): want an error")
	}
}
