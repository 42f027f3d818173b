package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gdisent/gdisent/gdisent"
)

// Encoder is the toolkit's one encoder type (gdisent.Encoder): n observations to n codes of D values.
type Encoder = gdisent.Encoder

// FactorSource is a ground-truth dataset with K discrete factors that can be sampled and rendered.
type FactorSource interface {
	NumFactors() int
	// FactorSizes are the number of classes of each factor.
	FactorSizes() []int
	// Sample draws n factor vectors (n×K class indices, row-major), each factor uniform and independent.
	Sample(rng *rand.Rand, n int) []int
	// Observe returns the n observations (row-major) for the given n×K class indices.
	Observe(classes []int, n int) ([]float32, error)
}

// Samples are paired codes and factor classes.
type Samples struct {
	Codes   []float64 // N×D, row-major
	Factors []int     // N×K class indices, row-major
	N, D, K int
}

// NewSamples checks shapes and values (no NaN/Inf codes, N, D, K > 0).
func NewSamples(codes []float64, n, d int, factors []int, k int) (Samples, error) {
	s := Samples{Codes: codes, Factors: factors, N: n, D: d, K: k}
	return s, s.Validate()
}

// Validate reports the first problem with s.
func (s Samples) Validate() error {
	switch {
	case s.N <= 0:
		return fmt.Errorf("metrics: no samples (n=%d)", s.N)
	case s.D <= 0:
		return fmt.Errorf("metrics: codes have no dimensions (D=%d)", s.D)
	case s.K <= 0:
		return fmt.Errorf("metrics: no factors (K=%d)", s.K)
	case len(s.Codes) != s.N*s.D:
		return fmt.Errorf("metrics: codes have %d values, want n*D=%d*%d=%d", len(s.Codes), s.N, s.D, s.N*s.D)
	case len(s.Factors) != s.N*s.K:
		return fmt.Errorf("metrics: factors have %d values, want n*K=%d*%d=%d (codes and factors disagree on n?)",
			len(s.Factors), s.N, s.K, s.N*s.K)
	}
	for i, v := range s.Codes {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("metrics: code [%d, %d] is %v", i/s.D, i%s.D, v)
		}
	}
	return nil
}

func (s Samples) code(d int) []float64 {
	out := make([]float64, s.N)
	for i := range out {
		out[i] = s.Codes[i*s.D+d]
	}
	return out
}

func (s Samples) factor(k int) []int {
	out := make([]int, s.N)
	for i := range out {
		out[i] = s.Factors[i*s.K+k]
	}
	return out
}

// rows returns the samples at the given row indices.
func (s Samples) rows(idx []int) Samples {
	o := Samples{N: len(idx), D: s.D, K: s.K, Codes: make([]float64, len(idx)*s.D), Factors: make([]int, len(idx)*s.K)}
	for j, i := range idx {
		copy(o.Codes[j*s.D:(j+1)*s.D], s.Codes[i*s.D:(i+1)*s.D])
		copy(o.Factors[j*s.K:(j+1)*s.K], s.Factors[i*s.K:(i+1)*s.K])
	}
	return o
}

// Split shuffles the rows with the config's seed and returns train and test sets. Under DisentanglementLib it
// takes NumTrain and NumTest rows when there are enough, otherwise it splits all rows in the proportion
// NumTrain:NumTest; under InfoGANCR train and test are both all rows. Metrics without a test set (MIG,
// Modularity) use the train set.
func Split(s Samples, cfg Config) (train, test Samples, err error) {
	if err := s.Validate(); err != nil {
		return train, test, err
	}
	cfg = cfg.withDefaults()
	if cfg.Protocol == InfoGANCR {
		return s, s, nil
	}
	if s.N < 2 {
		return train, test, fmt.Errorf("metrics: need at least 2 samples to split into train and test, have %d", s.N)
	}
	perm := newRNG(cfg.Seed, streamSplit).Perm(s.N)
	nTrain, nTest := cfg.NumTrain, cfg.NumTest
	if s.N < nTrain+nTest {
		nTrain = int(math.Round(float64(s.N) * float64(cfg.NumTrain) / float64(cfg.NumTrain+cfg.NumTest)))
		nTrain = min(max(nTrain, 1), s.N-1)
		nTest = s.N - nTrain
	}
	return s.rows(perm[:nTrain]), s.rows(perm[nTrain : nTrain+nTest]), nil
}

// RNG streams, one per consumer, so that adding a metric does not change the others' draws.
const (
	streamSplit uint64 = iota + 1
	streamSamples
	streamFactorVAE
	streamBetaVAE
	streamGroups
	streamFairness
	streamGBT        // DCI's and fairness's trees (shared models)
	streamDownstream // the downstream task's trees
)

func newRNG(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^stream))
}

// checkClasses validates classes returned by a FactorSource.
func checkClasses(classes []int, n int, sizes []int) error {
	k := len(sizes)
	if len(classes) != n*k {
		return fmt.Errorf("metrics: FactorSource.Sample returned %d values, want n*K=%d*%d", len(classes), n, k)
	}
	for i, c := range classes {
		if c < 0 || c >= sizes[i%k] {
			return fmt.Errorf("metrics: FactorSource.Sample: factor %d class %d outside [0, %d)", i%k, c, sizes[i%k])
		}
	}
	return nil
}

// sourceInfo validates a FactorSource and returns its factor sizes.
func sourceInfo(src FactorSource) ([]int, error) {
	if src == nil {
		return nil, fmt.Errorf("metrics: nil FactorSource")
	}
	k := src.NumFactors()
	sizes := src.FactorSizes()
	if k <= 0 || len(sizes) != k {
		return nil, fmt.Errorf("metrics: FactorSource has %d factors but %d sizes", k, len(sizes))
	}
	for i, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("metrics: factor %d has size %d", i, s)
		}
	}
	return sizes, nil
}

// encode renders and encodes classes (n×K) in batches of at most batch rows and returns n×D float64 codes.
func encode(enc Encoder, src FactorSource, classes []int, n, k, batch int) ([]float64, int, error) {
	if enc == nil {
		return nil, 0, fmt.Errorf("metrics: nil Encoder")
	}
	var out []float64
	d := -1
	for s := 0; s < n; s += batch {
		m := min(batch, n-s)
		obs, err := src.Observe(classes[s*k:(s+m)*k], m)
		if err != nil {
			return nil, 0, fmt.Errorf("metrics: observing rows %d..%d: %w", s, s+m, err)
		}
		z, err := enc.Encode(obs, m)
		if err != nil {
			return nil, 0, fmt.Errorf("metrics: encoding rows %d..%d: %w", s, s+m, err)
		}
		if len(z) == 0 || len(z)%m != 0 {
			return nil, 0, fmt.Errorf("metrics: encoder returned %d values for %d observations (want n×D, D > 0)", len(z), m)
		}
		if d < 0 {
			d = len(z) / m
			out = make([]float64, 0, n*d)
		} else if len(z)/m != d {
			return nil, 0, fmt.Errorf("metrics: encoder returned D=%d codes, earlier D=%d", len(z)/m, d)
		}
		for i, v := range z {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, 0, fmt.Errorf("metrics: encoder returned %v at row %d, dim %d", v, s+i/d, i%d)
			}
			out = append(out, float64(v))
		}
	}
	return out, d, nil
}

// sampleSet draws n factor vectors from src and encodes them.
func sampleSet(enc Encoder, src FactorSource, rng *rand.Rand, n int, cfg Config) (Samples, error) {
	sizes, err := sourceInfo(src)
	if err != nil {
		return Samples{}, err
	}
	k := len(sizes)
	classes := src.Sample(rng, n)
	if err := checkClasses(classes, n, sizes); err != nil {
		return Samples{}, err
	}
	codes, d, err := encode(enc, src, classes, n, k, cfg.EncodeBatch)
	if err != nil {
		return Samples{}, err
	}
	return Samples{Codes: codes, Factors: classes, N: n, D: d, K: k}, nil
}
