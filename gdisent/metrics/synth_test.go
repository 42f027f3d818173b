package metrics

import (
	"fmt"
	"github.com/gdisent/gdisent/gdisent"
	"math"
	"math/rand/v2"
)

// synth is a tiny FactorSource whose "images" are the factor classes themselves (K floats per observation).
type synth struct{ sizes []int }

func (s synth) NumFactors() int    { return len(s.sizes) }
func (s synth) FactorSizes() []int { return s.sizes }
func (s synth) Sample(rng *rand.Rand, n int) []int {
	k := len(s.sizes)
	out := make([]int, n*k)
	for i := range out {
		out[i] = rng.IntN(s.sizes[i%k])
	}
	return out
}
func (s synth) Observe(classes []int, n int) ([]float32, error) {
	if len(classes) != n*len(s.sizes) {
		return nil, fmt.Errorf("synth: %d classes for n=%d", len(classes), n)
	}
	out := make([]float32, len(classes))
	for i, c := range classes {
		out[i] = float32(c)
	}
	return out, nil
}

var testSource = synth{sizes: []int{3, 4, 5}}

// Encoders over synth observations (K values each).
func identityEncFn(images []float32, n int) ([]float32, error) {
	return append([]float32(nil), images...), nil
}

// permutedEnc reverses the order of the codes.
func permutedEncFn(images []float32, n int) ([]float32, error) {
	k := len(images) / n
	out := make([]float32, len(images))
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			out[i*k+j] = images[i*k+k-1-j]
		}
	}
	return out, nil
}

// affineEnc maps each code affinely, with a sign flip: z0 → 2·z0, z1 → 7 − 3·z1, z2 → 0.5·z2.
func affineEncFn(images []float32, n int) ([]float32, error) {
	out := append([]float32(nil), images...)
	for i := 0; i < n; i++ {
		out[i*3] *= 2
		out[i*3+1] = 7 - 3*out[i*3+1]
		out[i*3+2] *= 0.5
	}
	return out, nil
}

// entangledEnc rotates codes 0 and 1 by 45° (after scaling to equal variance).
func entangledEncFn(images []float32, n int) ([]float32, error) {
	k := len(images) / n
	out := append([]float32(nil), images...)
	for i := 0; i < n; i++ {
		a := float64(images[i*k]) / math.Sqrt(2.0/3)  // std of uniform{0,1,2}
		b := float64(images[i*k+1]) / math.Sqrt(1.25) // std of uniform{0..3}
		out[i*k] = float32((a + b) / math.Sqrt2)
		out[i*k+1] = float32((a - b) / math.Sqrt2)
	}
	return out, nil
}

// randomEnc returns codes independent of the input, from its own seeded stream.
func randomEnc(seed uint64) Encoder {
	rng := rand.New(rand.NewPCG(seed, 99))
	return gdisent.EncoderFunc(func(images []float32, n int) ([]float32, error) {
		k := len(images) / n
		out := make([]float32, n*k)
		for i := range out {
			out[i] = float32(rng.NormFloat64())
		}
		return out, nil
	})
}

func testConfig(p Protocol) Config {
	c := Config{Protocol: p, Seed: 1, NumTrain: 2000, NumTest: 1000, NumVariance: 2000, GroupSize: 32}
	if p == InfoGANCR {
		c.NumTrain, c.GroupSize, c.NumGroups = 3000, 40, 150
	}
	return c
}

// arrays encodes n fresh samples of testSource with enc.
func arrays(enc Encoder, n int, seed uint64) Samples {
	rng := rand.New(rand.NewPCG(seed, 5))
	s, err := sampleSet(enc, testSource, rng, n, DefaultConfig())
	if err != nil {
		panic(err)
	}
	return s
}

var identityEnc = gdisent.EncoderFunc(identityEncFn)

var permutedEnc = gdisent.EncoderFunc(permutedEncFn)

var affineEnc = gdisent.EncoderFunc(affineEncFn)

var entangledEnc = gdisent.EncoderFunc(entangledEncFn)
