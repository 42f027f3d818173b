package selection

import (
	"fmt"
	"github.com/gdisent/gdisent/gdisent"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/gdisent/gdisent/gdisent/metrics"
)

// Model is a generative model with an encoder, as ModelCentrality needs it: Generate maps n latent vectors
// (n×LatentDim, row-major, drawn from the model's prior) to n observations, Encode maps n observations to n
// codes (n×D). For a VAE, Generate is the decoder and Encode the posterior mean; for InfoGAN(-CR) they are the
// generator and the Q head. Both must be deterministic.
// Every training.Model (vae, vaegan, infogan) is one.
type Model interface {
	gdisent.Encoder
	LatentDim() int
	Generate(z []float32, n int) ([]float32, error)
}

// PriorModel is a Model whose latent prior is not the standard normal (the default): LatentQuantile is the
// inverse CDF of latent dimension dim's prior (InfoGAN's uniform codes).
type PriorModel interface {
	LatentQuantile(dim int, p float64) float64
}

// quantileFunc adapts a PriorModel to Prior.
type quantileFunc func(dim int, p float64) float64

func (f quantileFunc) Quantile(dim int, p float64) float64 { return f(dim, p) }

// CodedModel is a Model whose latent vector holds nuisance dimensions besides its codes (InfoGAN's noise):
// CodeDims lists the latent dimensions that ModelCentrality holds fixed. Without it every latent is a code.
type CodedModel interface {
	CodeDims() []int
}

// Prior is a factorised latent prior given by its per-dimension quantile (inverse CDF) function.
type Prior interface {
	Quantile(dim int, p float64) float64
}

// GaussianPrior is the standard normal prior of VAEs.
type GaussianPrior struct{}

// Quantile implements Prior.
func (GaussianPrior) Quantile(_ int, p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// UniformPrior is uniform on [Lo, Hi] in every dimension (InfoGAN-CR's continuous codes use [−1, 1]).
type UniformPrior struct{ Lo, Hi float64 }

// Quantile implements Prior.
func (u UniformPrior) Quantile(_ int, p float64) float64 { return u.Lo + (u.Hi-u.Lo)*p }

// CentralityConfig configures ModelCentrality.
type CentralityConfig struct {
	// Metric is the FactorVAE-metric configuration; nil means metrics.InfoGANCRConfig() (500 groups
	// of L = 100, group i fixing code i mod K, normalising variances from 73,728 samples, training accuracy), the
	// protocol of Lin et al.'s ModelCentrality code. Lower NumGroups/NumVariance for quick runs.
	Metric *metrics.Config
	// Resolution is the number of quantile levels each code is discretised into so that a generator looks like
	// a discrete metrics.FactorSource (codes take values Quantile((c+½)/Resolution)); default 65,536.
	Resolution int
	// Progress, if set, is called after each column j of C is done.
	Progress func(done, total int)
}

// CentralityResult holds ModelCentrality's matrices and ranking.
type CentralityResult struct {
	C       [][]float64 `json:"c"`       // C[i][j]: FactorVAE score of model i's encoder on model j's generated data
	D       [][]float64 `json:"d"`       // symmetric similarity (C + Cᵀ)/2
	Scores  []float64   `json:"scores"`  // mean_{j≠i} D[i][j]
	Ranking []int       `json:"ranking"` // model indices by descending score (ties: lower index first)
	Best    int         `json:"best"`    // Ranking[0], the medoid of the pool
}

// ModelCentrality cross-evaluates the pool (Lin et al. 2020, §4): for each model j it draws FactorVAE-metric
// groups from j's prior holding one of j's codes fixed per group, generates them once with j and encodes them
// with every model i, giving C[i][j] = FactorVAE score of i on j's data (package metrics, InfoGAN-CR protocol by
// default). Then d_ij = (C_ij + C_ji)/2, score_i = mean_{j≠i} d_ij, and the pick is the argmax. Needs >= 2 models.
func ModelCentrality(models []Model, cfg CentralityConfig) (CentralityResult, error) {
	m := len(models)
	if m < 2 {
		return CentralityResult{}, fmt.Errorf("selection.ModelCentrality: need at least 2 models, have %d", m)
	}
	for i, mod := range models {
		if mod == nil {
			return CentralityResult{}, fmt.Errorf("selection.ModelCentrality: model %d is nil", i)
		}
	}
	if cfg.Metric == nil {
		mc := metrics.InfoGANCRConfig()
		cfg.Metric = &mc
	}
	if cfg.Resolution <= 0 {
		cfg.Resolution = 1 << 16
	}
	C := make([][]float64, m)
	for i := range C {
		C[i] = make([]float64, m)
	}
	for j := range models {
		col, err := crossColumn(models, j, cfg)
		if err != nil {
			return CentralityResult{}, fmt.Errorf("selection.ModelCentrality: data of model %d: %w", j, err)
		}
		for i := range models {
			C[i][j] = col[i]
		}
		if cfg.Progress != nil {
			cfg.Progress(j+1, m)
		}
	}
	return CentralityFromMatrix(C)
}

// CentralityFromMatrix derives ModelCentrality's similarity, scores and ranking from a cross-evaluation matrix
// C (M×M, M >= 2; the diagonal is ignored).
func CentralityFromMatrix(C [][]float64) (CentralityResult, error) {
	m := len(C)
	if m < 2 {
		return CentralityResult{}, fmt.Errorf("selection.CentralityFromMatrix: need at least 2 models, have %d", m)
	}
	r := CentralityResult{C: make([][]float64, m), D: make([][]float64, m), Scores: make([]float64, m)}
	for i, row := range C {
		if len(row) != m {
			return CentralityResult{}, fmt.Errorf("selection.CentralityFromMatrix: row %d has %d values, want %d", i, len(row), m)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return CentralityResult{}, fmt.Errorf("selection.CentralityFromMatrix: C[%d][%d] is %v", i, j, v)
			}
		}
		r.C[i] = slices.Clone(row)
	}
	for i := range m {
		r.D[i] = make([]float64, m)
		for j := range m {
			r.D[i][j] = (C[i][j] + C[j][i]) / 2
			if j != i {
				r.Scores[i] += r.D[i][j]
			}
		}
		r.Scores[i] /= float64(m - 1)
	}
	r.Ranking = rankDescending(r.Scores)
	r.Best = r.Ranking[0]
	return r, nil
}

// rankDescending returns indices by descending score, ties by index.
func rankDescending(scores []float64) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx
}

// generated presents model j's prior as a metrics.FactorSource whose "observations" are latent vectors: codes
// are discretised into resolution quantile levels, nuisance dims are drawn from the prior with an own RNG.
type generated struct {
	prior      Prior
	latent     int
	codes      []int
	resolution int
	rng        *rand.Rand
}

func newGenerated(mod Model, resolution int, seed uint64) (*generated, error) {
	g := &generated{prior: GaussianPrior{}, latent: mod.LatentDim(), resolution: resolution,
		rng: rand.New(rand.NewPCG(seed, 0x5e1ec7))}
	if g.latent < 1 {
		return nil, fmt.Errorf("latent dimension %d < 1", g.latent)
	}
	if pm, ok := mod.(PriorModel); ok {
		g.prior = quantileFunc(pm.LatentQuantile)
	}
	if cm, ok := mod.(CodedModel); ok {
		g.codes = slices.Clone(cm.CodeDims())
	} else {
		for d := range g.latent {
			g.codes = append(g.codes, d)
		}
	}
	if len(g.codes) == 0 {
		return nil, fmt.Errorf("model has no codes")
	}
	for _, d := range g.codes {
		if d < 0 || d >= g.latent {
			return nil, fmt.Errorf("code dim %d outside [0, %d)", d, g.latent)
		}
	}
	return g, nil
}

func (g *generated) NumFactors() int { return len(g.codes) }

func (g *generated) FactorSizes() []int {
	s := make([]int, len(g.codes))
	for i := range s {
		s[i] = g.resolution
	}
	return s
}

func (g *generated) Sample(rng *rand.Rand, n int) []int {
	c := make([]int, n*len(g.codes))
	for i := range c {
		c[i] = rng.IntN(g.resolution)
	}
	return c
}

func (g *generated) Observe(classes []int, n int) ([]float32, error) {
	k := len(g.codes)
	if len(classes) != n*k {
		return nil, fmt.Errorf("%d classes for %d rows of %d codes", len(classes), n, k)
	}
	z := make([]float32, n*g.latent)
	for i := range n {
		row := z[i*g.latent : (i+1)*g.latent]
		for d := range row {
			// Nuisance dims (overwritten below for codes); keep p strictly inside (0, 1).
			row[d] = float32(g.prior.Quantile(d, (float64(g.rng.Uint64()>>11)+0.5)/(1<<53)))
		}
		for c, d := range g.codes {
			row[d] = float32(g.prior.Quantile(d, (float64(classes[i*k+c])+0.5)/float64(g.resolution)))
		}
	}
	return z, nil
}

// crossColumn computes C[·][j]: j's groups are generated once and encoded by every model; metrics.FactorVAE is
// run once per encoder, replaying the recorded codes after the first pass (its draws are deterministic in
// cfg.Metric.Seed, which is checked with a checksum of the latents).
func crossColumn(models []Model, j int, cfg CentralityConfig) ([]float64, error) {
	gen := models[j]
	seed := cfg.Metric.Seed ^ (uint64(j+1) * 0x9e3779b97f4a7c15)
	type call struct {
		sum   uint64
		codes [][]float32 // per model
	}
	var calls []call
	record := func(z []float32, n int) ([]float32, error) {
		imgs, err := gen.Generate(z, n)
		if err != nil {
			return nil, fmt.Errorf("generating %d observations: %w", n, err)
		}
		c := call{sum: checksum(z), codes: make([][]float32, len(models))}
		for i, enc := range models {
			codes, err := enc.Encode(imgs, n)
			if err != nil {
				return nil, fmt.Errorf("model %d encoding: %w", i, err)
			}
			c.codes[i] = codes
		}
		calls = append(calls, c)
		return c.codes[0], nil
	}
	col := make([]float64, len(models))
	for i := range models {
		src, err := newGenerated(gen, cfg.Resolution, seed)
		if err != nil {
			return nil, err
		}
		var enc metrics.Encoder = gdisent.EncoderFunc(record)
		if i > 0 {
			next := 0
			enc = gdisent.EncoderFunc(func(z []float32, n int) ([]float32, error) {
				if next >= len(calls) || calls[next].sum != checksum(z) {
					return nil, fmt.Errorf("internal: metric draws differ between encoders (call %d)", next)
				}
				next++
				return calls[next-1].codes[i], nil
			})
		}
		res, err := metrics.FactorVAE(enc, src, *cfg.Metric)
		if err != nil {
			return nil, fmt.Errorf("model %d's encoder: %w", i, err)
		}
		col[i] = res.Score
	}
	return col, nil
}

func checksum(z []float32) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, v := range z {
		u := math.Float32bits(v)
		b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		_, _ = h.Write(b[:])
	}
	return h.Sum64()
}
