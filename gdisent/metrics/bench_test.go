package metrics

import (
	"github.com/gdisent/gdisent/gdisent"
	"math/rand/v2"
	"testing"
)

// benchSource has dSprites' factor sizes; observations are the 5 classes plus 5 noise-free copies mixed in, and
// benchEnc turns them into D = 10 codes: 5 noisy factor codes and 5 entangled mixtures.
var benchSource = synth{sizes: []int{3, 6, 40, 32, 32}}

func benchEncFn(images []float32, n int) ([]float32, error) {
	out := make([]float32, n*10)
	for i := 0; i < n; i++ {
		v := images[i*5 : (i+1)*5]
		h := uint64(i)*0x9e3779b97f4a7c15 + uint64(v[0]*7+v[1]*11+v[2]*13+v[3]*17+v[4]*19)
		for j := 0; j < 5; j++ {
			h = h*6364136223846793005 + 1442695040888963407
			noise := float32(h>>40)/float32(1<<24) - 0.5
			out[i*10+j] = v[j] + 2*noise
			out[i*10+5+j] = v[j] + v[(j+1)%5] + noise
		}
	}
	return out, nil
}

func benchSamples(b *testing.B) (Samples, Samples, Config) {
	cfg := DefaultConfig()
	tr, err := sampleSet(benchEnc, benchSource, rand.New(rand.NewPCG(1, 1)), 10000, cfg)
	if err != nil {
		b.Fatal(err)
	}
	te, err := sampleSet(benchEnc, benchSource, rand.New(rand.NewPCG(2, 1)), 5000, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return tr, te, cfg
}

func BenchmarkMIG10k(b *testing.B) {
	tr, _, cfg := benchSamples(b)
	for b.Loop() {
		if _, err := MIG(tr, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkModularity10k(b *testing.B) {
	tr, _, cfg := benchSamples(b)
	for b.Loop() {
		if _, err := Modularity(tr, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSAP10k(b *testing.B) {
	tr, te, cfg := benchSamples(b)
	for b.Loop() {
		if _, err := SAP(tr, te, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSAPContinuous10k(b *testing.B) {
	tr, te, cfg := benchSamples(b)
	cfg.ContinuousFactors = DSpritesContinuous
	for b.Loop() {
		if _, err := SAP(tr, te, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExplicitness10k(b *testing.B) {
	tr, te, cfg := benchSamples(b)
	for b.Loop() {
		if _, err := Explicitness(tr, te, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDCI10k(b *testing.B) {
	tr, te, cfg := benchSamples(b)
	for b.Loop() {
		if _, err := DCI(tr, te, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDCILasso10k(b *testing.B) {
	tr, te, cfg := benchSamples(b)
	cfg.DCI = DCILasso
	for b.Loop() {
		if _, err := DCI(tr, te, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFactorVAE10k runs the full disentanglement_lib protocol: 10,000 variance samples, 10,000 + 5,000
// votes of L = 64 (970k encodes of the cheap synthetic encoder).
func BenchmarkFactorVAE10k(b *testing.B) {
	for b.Loop() {
		if _, err := FactorVAE(benchEnc, benchSource, DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBetaVAE10k: 10,000 + 5,000 points of 64 pairs (1.9M encodes) and the logistic regression.
func BenchmarkBetaVAE10k(b *testing.B) {
	for b.Loop() {
		if _, err := BetaVAE(benchEnc, benchSource, DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
}

var benchEnc = gdisent.EncoderFunc(benchEncFn)

func BenchmarkIRS10k(b *testing.B) {
	tr, _, cfg := benchSamples(b)
	for b.Loop() {
		if _, err := IRS(tr, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnsupervised10k(b *testing.B) {
	tr, _, cfg := benchSamples(b)
	for b.Loop() {
		if _, err := Unsupervised(tr, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDownstreamLogReg10k: LogisticRegressionCV (10 Cs × 5 folds, one-vs-rest) at 10, 100, 1,000, 10,000 rows.
func BenchmarkDownstreamLogReg10k(b *testing.B) {
	tr, te, cfg := benchSamples(b)
	for b.Loop() {
		if _, err := Downstream(tr, te, DownstreamLogReg, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDownstreamGBT10k(b *testing.B) {
	tr, te, cfg := benchSamples(b)
	for b.Loop() {
		if _, err := Downstream(tr, te, DownstreamGBT, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFairness10k: GBTs on 10,000 points, then 100 draws per (target, sensitive) pair and sensitive class
// (45,200 encodes for dSprites' factor sizes).
func BenchmarkFairness10k(b *testing.B) {
	for b.Loop() {
		if _, err := Fairness(benchEnc, benchSource, DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
}
