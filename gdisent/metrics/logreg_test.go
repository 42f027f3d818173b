package metrics

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// noisyEnc returns the factor classes plus Gaussian noise of the given std, from its own seeded stream.
func noisyEnc(seed uint64, std float64) Encoder {
	rng := rand.New(rand.NewPCG(seed, 7))
	return gdisent.EncoderFunc(func(im []float32, n int) ([]float32, error) {
		out := make([]float32, len(im))
		for i, v := range im {
			out[i] = v + float32(std*rng.NormFloat64())
		}
		return out, nil
	})
}

// TestExplicitnessLogRegMethods checks the wiring of Config.LogReg: the default is scikit-learn ≤ 0.21's liblinear
// model (one-vs-rest probabilities with a penalised intercept), which ranks classes differently from the
// multinomial model and scores lower on noisy codes.
func TestExplicitnessLogRegMethods(t *testing.T) {
	// Factors with many classes, where one-vs-rest probabilities of middle classes are the least informative.
	src := synth{sizes: []int{3, 20, 30}}
	cfg := testConfig(DisentanglementLib).withDefaults()
	tr, err := sampleSet(noisyEnc(1, 1), src, rand.New(rand.NewPCG(41, 1)), 3000, cfg)
	if err != nil {
		t.Fatal(err)
	}
	te, err := sampleSet(noisyEnc(2, 1), src, rand.New(rand.NewPCG(42, 1)), 1000, cfg)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := Explicitness(tr, te, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.LogReg = LogRegLBFGS
	lb, err := Explicitness(tr, te, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("explicitness: liblinear %.4f, lbfgs %.4f", lib.Test, lb.Test)
	if !(lib.Test < lb.Test-0.01) {
		t.Errorf("liblinear explicitness %.4f, lbfgs %.4f: want liblinear clearly lower", lib.Test, lb.Test)
	}
	// The default result is the liblinear model's macro ROC-AUC, recomputed here factor by factor.
	xtr, xte := standardize(tr, te)
	for k := 0; k < tr.K; k++ {
		m, err := classify.LiblinearLogReg{}.Fit(xtr, tr.N, tr.D, tr.factor(k))
		if err != nil {
			t.Fatal(err)
		}
		if want := macroAUC(m, xte, te.N, te.factor(k)); math.Abs(lib.PerFactor[k]-want) > 1e-12 {
			t.Errorf("factor %d: default explicitness %.6f, liblinear model %.6f", k, lib.PerFactor[k], want)
		}
	}
}
