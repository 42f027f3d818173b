package metrics

import (
	"github.com/gdisent/gdisent/gdisent"

	"math/rand/v2"
	"strings"
	"testing"
)

// Public entry points must answer bad input with an error naming the problem, never a panic.

type badInput struct {
	name string
	call func() error
	want string // substring the error must contain (case-insensitive); "" accepts any error
}

func checkBadInputs(t *testing.T, cases []badInput) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			panicked := func() (p any) {
				defer func() { p = recover() }()
				err = c.call()
				return nil
			}()
			switch {
			case panicked != nil:
				t.Errorf("PANIC instead of an error: %v", panicked)
			case err == nil:
				t.Errorf("no error")
			case c.want != "" && !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)):
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

// fakeSource is a configurable FactorSource: 2 factors of sizes, images of 2 values (the class indices).
type fakeSource struct {
	sizes   []int
	k       int                               // NumFactors (defaults to len(sizes))
	sample  func(rng *rand.Rand, n int) []int // nil: uniform classes
	observe func(classes []int, n int) ([]float32, error)
}

func (f fakeSource) NumFactors() int {
	if f.k != 0 {
		return f.k
	}
	return len(f.sizes)
}
func (f fakeSource) FactorSizes() []int { return f.sizes }
func (f fakeSource) Sample(rng *rand.Rand, n int) []int {
	if f.sample != nil {
		return f.sample(rng, n)
	}
	out := make([]int, n*len(f.sizes))
	for i := range out {
		out[i] = rng.IntN(f.sizes[i%len(f.sizes)])
	}
	return out
}
func (f fakeSource) Observe(classes []int, n int) ([]float32, error) {
	if f.observe != nil {
		return f.observe(classes, n)
	}
	out := make([]float32, len(classes))
	for i, c := range classes {
		out[i] = float32(c)
	}
	return out, nil
}

func smallConfig() Config {
	c := DefaultConfig()
	c.NumTrain, c.NumTest, c.NumVariance, c.GroupSize, c.Workers = 200, 100, 200, 8, 1
	c.GBT.NumTrees = 5
	return c
}

func TestValidateMetricsInputs(t *testing.T) {
	cfg := smallConfig()
	good, err := NewSamples([]float64{0, 1, 2, 3, 4, 5, 6, 7}, 4, 2, []int{0, 1, 0, 1}, 1)
	if err != nil {
		t.Fatalf("control: %v", err)
	}
	id := gdisent.EncoderFunc(func(im []float32, n int) ([]float32, error) { return im, nil })
	src := fakeSource{sizes: []int{3, 4}}
	checkBadInputs(t, []badInput{
		{"NewSamples/negative-n", func() error { _, err := NewSamples(nil, -2, -2, nil, 1); return err }, "n=-2"},
		{"RunArrays/codes-short", func() error {
			_, err := RunArrays([]float64{1, 2, 3}, 2, 2, []int{0, 1}, 1, nil, cfg)
			return err
		}, "codes"},
		{"RunArrays/negative-K", func() error { _, err := RunArrays([]float64{1, 2}, 2, 1, nil, -1, nil, cfg); return err }, "K=-1"},
		{"RunArrays/NumBins=1", func() error {
			c := cfg
			c.NumBins = 1
			_, err := RunArrays(good.Codes, 4, 2, good.Factors, 1, nil, c)
			return err
		}, "NumBins"},
		{"RunArrays/negative-protocol", func() error {
			c := cfg
			c.Protocol = Protocol(-3)
			_, err := RunArrays(good.Codes, 4, 2, good.Factors, 1, nil, c)
			return err
		}, "protocol"},
		{"MIG/unvalidated-short-codes", func() error {
			_, err := MIG(Samples{Codes: []float64{1}, Factors: []int{0, 1}, N: 2, D: 1, K: 1}, cfg)
			return err
		}, "codes"},
		{"Modularity/zero-value", func() error { _, err := Modularity(Samples{}, cfg); return err }, "samples"},
		{"SAP/train-test-D-mismatch", func() error {
			other, _ := NewSamples([]float64{0, 1, 2, 3}, 4, 1, []int{0, 1, 0, 1}, 1)
			_, err := SAP(good, other, cfg)
			return err
		}, "D="},
		{"DCI/empty-test", func() error { _, err := DCI(good, Samples{}, cfg); return err }, "test"},
		{"Explicitness/empty-train", func() error { _, err := Explicitness(Samples{}, good, cfg); return err }, "train"},
		{"Split/empty", func() error { _, _, err := Split(Samples{}, cfg); return err }, "samples"},
		{"ParseProtocol/unknown", func() error { _, err := ParseProtocol("nope"); return err }, "nope"},
		{"Evaluate/nil-encoder", func() error { _, err := Evaluate(nil, src, []string{NameMIG}, cfg); return err }, "Encoder"},
		{"Evaluate/zero-size-factor", func() error {
			_, err := Evaluate(id, fakeSource{sizes: []int{3, 0}}, []string{NameMIG}, cfg)
			return err
		}, "size 0"},
		{"Evaluate/sizes-vs-NumFactors", func() error {
			_, err := Evaluate(id, fakeSource{sizes: []int{3, 4}, k: 3}, []string{NameMIG}, cfg)
			return err
		}, "factors"},
		{"Evaluate/sample-out-of-range", func() error {
			s := fakeSource{sizes: []int{3, 4}, sample: func(_ *rand.Rand, n int) []int { return make([]int, 2*n-1) }}
			_, err := Evaluate(id, s, []string{NameMIG}, cfg)
			return err
		}, "Sample"},
		{"Evaluate/observe-error", func() error {
			s := fakeSource{sizes: []int{3, 4}, observe: func([]int, int) ([]float32, error) { return nil, errTest }}
			_, err := Evaluate(id, s, []string{NameMIG}, cfg)
			return err
		}, "injected"},
		{"FactorVAE/nil-source", func() error { _, err := FactorVAE(id, nil, cfg); return err }, "FactorSource"},
		{"FactorVAE/encoder-ragged", func() error {
			n := 0
			enc := gdisent.EncoderFunc(func(im []float32, m int) ([]float32, error) {
				n++
				if n > 1 {
					return make([]float32, 3*m), nil
				}
				return im, nil
			})
			c := cfg
			c.EncodeBatch = 50
			_, err := FactorVAE(enc, src, c)
			return err
		}, "D="},
		{"BetaVAE/GroupSize=1", func() error {
			c := cfg
			c.GroupSize = 1
			_, err := BetaVAE(id, src, c)
			return err
		}, "GroupSize"},
		{"BetaVAE/nil-encoder", func() error { _, err := BetaVAE(nil, src, cfg); return err }, "Encoder"},
		{"NewTracker/unknown-metric", func() error {
			_, err := NewTracker([]string{"nope"}, 1, func() Encoder { return id }, src, cfg)
			return err
		}, "nope"},
		{"Tracker.Maybe/factory-returns-nil", func() error {
			tr, err := NewTracker([]string{NameMIG}, 1, func() Encoder { return nil }, src, cfg)
			if err != nil {
				return nil
			}
			_, _, err = tr.Maybe(1)
			return err
		}, "Encoder"},
		{"Tracker.Maybe/zero-value-tracker", func() error { _, _, err := (&Tracker{}).Maybe(0); return err }, ""},
		{"IRS/zero-value", func() error { _, err := IRS(Samples{}, cfg); return err }, "samples"},
		{"IRS/quantile>1", func() error {
			c := cfg
			c.IRSQuantile = 2
			_, err := IRS(good, c)
			return err
		}, "IRSQuantile"},
		{"Unsupervised/short-codes", func() error { _, err := UnsupervisedCodes([]float64{1, 2, 3}, 2, 2, cfg); return err }, "codes"},
		{"Downstream/unknown-predictor", func() error {
			_, err := Downstream(good, good, DownstreamPredictor(7), cfg)
			return err
		}, "predictor"},
		{"Downstream/negative-size", func() error {
			c := cfg
			c.DownstreamSizes = []int{10, -1}
			_, err := Downstream(good, good, DownstreamGBT, c)
			return err
		}, "DownstreamSizes"},
		{"Evaluate/unknown-logreg", func() error {
			c := cfg
			c.LogReg = LogRegMethod(9)
			_, err := Evaluate(id, src, []string{NameExplicitness}, c)
			return err
		}, "logistic regression"},
		{"Fairness/nil-encoder", func() error { _, err := Fairness(nil, src, cfg); return err }, "Encoder"},
		{"Fairness/nil-source", func() error { _, err := Fairness(id, nil, cfg); return err }, "FactorSource"},
		{"Fairness/ragged-encoder", func() error {
			n := 0
			enc := gdisent.EncoderFunc(func(im []float32, m int) ([]float32, error) {
				n++
				if n > 1 {
					return make([]float32, 3*m), nil
				}
				return im, nil
			})
			c := cfg
			c.EncodeBatch = 1000
			_, err := Fairness(enc, src, c)
			return err
		}, "D="},
	})
}

// TestValidateNoPanicInfo covers helpers without an error result: no panic on degenerate input.
func TestValidateNoPanicInfo(t *testing.T) {
	for _, c := range []struct {
		name string
		call func()
	}{
		{"Discretize/nbins=0", func() { _ = Discretize(Samples{Codes: []float64{1, 2}, N: 2, D: 1, K: 1}, 0) }},
		{"Discretize/negative-nbins", func() { _ = Discretize(Samples{Codes: []float64{1, 2}, N: 2, D: 1, K: 1}, -1) }},
		{"Discretize/short-codes", func() { _ = Discretize(Samples{Codes: []float64{1}, N: 2, D: 1, K: 1}, 3) }},
		{"Discretize/negative-N", func() { _ = Discretize(Samples{N: -1, D: 2}, 3) }},
		{"MutualInfo/length-mismatch", func() { _ = MutualInfo([]int{1, 2}, []int{1}) }},
		{"Entropy/empty", func() { _ = Entropy(nil) }},
		{"Result.Scores/zero", func() { _ = (&Result{}).Scores() }},
		{"RunArrays/arbitrary-labels", func() { // factor classes are labels: negative or huge values are fine
			codes := make([]float64, 40)
			f := make([]int, 20)
			for i := range codes {
				codes[i] = float64(i * 7 % 13)
			}
			for i := range f {
				f[i] = []int{-1, 1 << 40}[i%2]
			}
			_, _ = RunArrays(codes, 20, 2, f, 1, nil, smallConfig())
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("PANIC: %v", r)
				}
			}()
			c.call()
		})
	}
}

type testError string

func (e testError) Error() string { return string(e) }

const errTest = testError("injected observe failure")
