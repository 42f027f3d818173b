package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// FactorVAEResult is Kim & Mnih's (2018) FactorVAE score: the accuracy of a majority-vote classifier that maps
// the code with the least normalised variance to the factor held fixed.
type FactorVAEResult struct {
	Score         float64  `json:"score"` // EvalAccuracy (disentanglement_lib) or TrainAccuracy (InfoGAN-CR)
	TrainAccuracy float64  `json:"train_accuracy"`
	EvalAccuracy  *float64 `json:"eval_accuracy,omitempty"` // absent under InfoGAN-CR (no eval split)
	NumActiveDims int      `json:"num_active_dims"`
	Votes         [][]int  `json:"votes"` // K×D training votes
}

// BetaVAEResult is Higgins et al.'s (2017) BetaVAE score: the accuracy of a logistic regression predicting the
// fixed factor from the mean absolute difference of codes of pairs sharing that factor.
type BetaVAEResult struct {
	Score         float64  `json:"score"` // EvalAccuracy (disentanglement_lib) or TrainAccuracy (InfoGAN-CR)
	TrainAccuracy float64  `json:"train_accuracy"`
	EvalAccuracy  *float64 `json:"eval_accuracy,omitempty"`
}

// FactorVAE computes the FactorVAE score.
//
// DisentanglementLib: global variances (ddof 1) of NumVariance random codes; dims with std < PruneThreshold are
// inactive (none active → score 0). Each vote draws k uniformly, GroupSize factor vectors with factor k set to the
// first one's value, and votes for (k, argmin_d over active dims of local var_d / global var_d). The classifier
// maps each d to argmax_k votes[k, d]; score = its accuracy on NumTest fresh votes (NumTrain votes train it).
//
// InfoGANCR: NumGroups groups of GroupSize, group i fixing factor i mod K at a random value; variances from
// NumVariance random codes (the same pruning is applied, an assumption: the InfoGAN-CR code only normalises);
// score = training accuracy of the majority vote.
func FactorVAE(enc Encoder, src FactorSource, cfg Config) (FactorVAEResult, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return FactorVAEResult{}, err
	}
	if cfg.Protocol == InfoGANCR {
		g, err := groups(enc, src, cfg)
		if err != nil {
			return FactorVAEResult{}, fmt.Errorf("FactorVAE: %w", err)
		}
		return factorVAEGroups(g, cfg)
	}
	sizes, err := sourceInfo(src)
	if err != nil {
		return FactorVAEResult{}, fmt.Errorf("FactorVAE: %w", err)
	}
	K := len(sizes)
	rng := newRNG(cfg.Seed, streamFactorVAE)
	all, err := sampleSet(enc, src, rng, cfg.NumVariance, cfg)
	if err != nil {
		return FactorVAEResult{}, fmt.Errorf("FactorVAE: global variance: %w", err)
	}
	D := all.D
	gv := variances(all.Codes, all.N, D)
	active := activeDims(gv, cfg.PruneThreshold)
	r := FactorVAEResult{NumActiveDims: len(active), Votes: make([][]int, K)}
	for k := range r.Votes {
		r.Votes[k] = make([]int, D)
	}
	if len(active) == 0 {
		zero := 0.0
		r.EvalAccuracy = &zero
		return r, nil
	}
	eval := make([][]int, K)
	for k := range eval {
		eval[k] = make([]int, D)
	}
	for _, set := range []struct {
		votes [][]int
		n     int
	}{{r.Votes, cfg.NumTrain}, {eval, cfg.NumTest}} {
		err := votesFrom(enc, src, rng, set.n, D, cfg, func(k int, z []float64) {
			set.votes[k][argminRatio(z, cfg.GroupSize, D, gv, active)]++
		})
		if err != nil {
			return FactorVAEResult{}, fmt.Errorf("FactorVAE: %w", err)
		}
	}
	cls := majority(r.Votes)
	r.TrainAccuracy = voteAccuracy(r.Votes, cls)
	ev := voteAccuracy(eval, cls)
	r.EvalAccuracy = &ev
	r.Score = ev
	return r, nil
}

// votesFrom generates n interventional groups of cfg.GroupSize (factor k drawn uniformly and fixed to the first
// row's value), encodes them several groups per encoder call, and calls f(k, codes) for each (codes L×D).
func votesFrom(enc Encoder, src FactorSource, rng *rand.Rand, n, D int, cfg Config, f func(k int, z []float64)) error {
	sizes, err := sourceInfo(src)
	if err != nil {
		return err
	}
	K, L := len(sizes), cfg.GroupSize
	per := max(1, cfg.EncodeBatch/L)
	for s := 0; s < n; s += per {
		m := min(per, n-s)
		ks := make([]int, m)
		classes := make([]int, 0, m*L*K)
		for g := 0; g < m; g++ {
			ks[g] = rng.IntN(K)
			c := src.Sample(rng, L)
			if err := checkClasses(c, L, sizes); err != nil {
				return err
			}
			fixFactor(c, L, K, ks[g], c[ks[g]])
			classes = append(classes, c...)
		}
		z, d, err := encode(enc, src, classes, m*L, K, m*L)
		if err != nil {
			return err
		}
		if d != D {
			return fmt.Errorf("encoder returned D=%d, earlier D=%d", d, D)
		}
		for g := 0; g < m; g++ {
			f(ks[g], z[g*L*D:(g+1)*L*D])
		}
	}
	return nil
}

func fixFactor(classes []int, n, K, k, v int) {
	for i := 0; i < n; i++ {
		classes[i*K+k] = v
	}
}

// groupSet holds InfoGAN-CR's groups and the normalising variances.
type groupSet struct {
	factor []int     // fixed factor per group
	codes  []float64 // NumGroups × L × D
	gv     []float64 // global variances
	K, D   int
}

// groups draws InfoGAN-CR's NumGroups groups (group i fixes factor i mod K at a uniformly random class) and the
// NumVariance random codes for the normalising variances.
func groups(enc Encoder, src FactorSource, cfg Config) (*groupSet, error) {
	sizes, err := sourceInfo(src)
	if err != nil {
		return nil, err
	}
	K, L := len(sizes), cfg.GroupSize
	rng := newRNG(cfg.Seed, streamGroups)
	all, err := sampleSet(enc, src, rng, cfg.NumVariance, cfg)
	if err != nil {
		return nil, fmt.Errorf("normalising variance: %w", err)
	}
	g := &groupSet{K: K, D: all.D, gv: variances(all.Codes, all.N, all.D)}
	classes := make([]int, 0, cfg.NumGroups*L*K)
	for i := 0; i < cfg.NumGroups; i++ {
		k := i % K
		c := src.Sample(rng, L)
		if err := checkClasses(c, L, sizes); err != nil {
			return nil, err
		}
		fixFactor(c, L, K, k, rng.IntN(sizes[k]))
		classes = append(classes, c...)
		g.factor = append(g.factor, k)
	}
	codes, d, err := encode(enc, src, classes, cfg.NumGroups*L, K, cfg.EncodeBatch)
	if err != nil {
		return nil, err
	}
	if d != g.D {
		return nil, fmt.Errorf("encoder returned D=%d, earlier D=%d", d, g.D)
	}
	g.codes = codes
	return g, nil
}

func factorVAEGroups(g *groupSet, cfg Config) (FactorVAEResult, error) {
	active := activeDims(g.gv, cfg.PruneThreshold)
	r := FactorVAEResult{NumActiveDims: len(active), Votes: make([][]int, g.K)}
	for k := range r.Votes {
		r.Votes[k] = make([]int, g.D)
	}
	if len(active) == 0 {
		return r, nil
	}
	L, D := cfg.GroupSize, g.D
	for i, k := range g.factor {
		r.Votes[k][argminRatio(g.codes[i*L*D:(i+1)*L*D], L, D, g.gv, active)]++
	}
	r.TrainAccuracy = voteAccuracy(r.Votes, majority(r.Votes))
	r.Score = r.TrainAccuracy
	return r, nil
}

// BetaVAE computes the BetaVAE score.
//
// DisentanglementLib: each point draws k uniformly and GroupSize pairs (v¹, v²) with v²_k = v¹_k, the rest
// independent; feature = mean_l |z(v¹_l) − z(v²_l)|, label k. The logistic regression of cfg.LogReg (by default
// sklearn ≤ 0.21's liblinear one-vs-rest, as in the published numbers) is trained on NumTrain points; score =
// accuracy on NumTest points.
//
// InfoGANCR: the FactorVAE groups; pairs are consecutive group members (0 vs 1, 2 vs 3, ...), features averaged
// over the GroupSize/2 pairs; score = training accuracy on the NumGroups points.
func BetaVAE(enc Encoder, src FactorSource, cfg Config) (BetaVAEResult, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return BetaVAEResult{}, err
	}
	if cfg.Protocol == InfoGANCR {
		g, err := groups(enc, src, cfg)
		if err != nil {
			return BetaVAEResult{}, fmt.Errorf("BetaVAE: %w", err)
		}
		return betaVAEGroups(g, cfg)
	}
	sizes, err := sourceInfo(src)
	if err != nil {
		return BetaVAEResult{}, fmt.Errorf("BetaVAE: %w", err)
	}
	K, L := len(sizes), cfg.GroupSize
	rng := newRNG(cfg.Seed, streamBetaVAE)
	D := -1
	points := func(n int) ([]float64, []int, error) {
		per := max(1, cfg.EncodeBatch/(2*L))
		var feats []float64
		labels := make([]int, 0, n)
		for s := 0; s < n; s += per {
			m := min(per, n-s)
			classes := make([]int, 0, 2*m*L*K)
			for p := 0; p < m; p++ {
				k := rng.IntN(K)
				c1 := src.Sample(rng, L)
				c2 := src.Sample(rng, L)
				if err := checkClasses(c1, L, sizes); err != nil {
					return nil, nil, err
				}
				if err := checkClasses(c2, L, sizes); err != nil {
					return nil, nil, err
				}
				for i := 0; i < L; i++ {
					c2[i*K+k] = c1[i*K+k]
				}
				classes = append(append(classes, c1...), c2...)
				labels = append(labels, k)
			}
			z, d, err := encode(enc, src, classes, 2*m*L, K, 2*m*L)
			if err != nil {
				return nil, nil, err
			}
			if D < 0 {
				D = d
			} else if d != D {
				return nil, nil, fmt.Errorf("encoder returned D=%d, earlier D=%d", d, D)
			}
			for p := 0; p < m; p++ {
				z1 := z[(2*p)*L*D : (2*p+1)*L*D]
				z2 := z[(2*p+1)*L*D : (2*p+2)*L*D]
				feats = append(feats, meanAbsDiff(z1, z2, L, D)...)
			}
		}
		return feats, labels, nil
	}
	xtr, ytr, err := points(cfg.NumTrain)
	if err != nil {
		return BetaVAEResult{}, fmt.Errorf("BetaVAE: %w", err)
	}
	xte, yte, err := points(cfg.NumTest)
	if err != nil {
		return BetaVAEResult{}, fmt.Errorf("BetaVAE: %w", err)
	}
	m, err := cfg.fitLogReg(xtr, len(ytr), D, ytr)
	if err != nil {
		return BetaVAEResult{}, fmt.Errorf("BetaVAE: %w", err)
	}
	r := BetaVAEResult{TrainAccuracy: classify.Accuracy(m.Predict(xtr, len(ytr)), ytr)}
	ev := classify.Accuracy(m.Predict(xte, len(yte)), yte)
	r.EvalAccuracy, r.Score = &ev, ev
	return r, nil
}

func betaVAEGroups(g *groupSet, cfg Config) (BetaVAEResult, error) {
	L, D := cfg.GroupSize, g.D
	pairs := L / 2
	x := make([]float64, 0, len(g.factor)*D)
	for i := range g.factor {
		z := g.codes[i*L*D : (i+1)*L*D]
		f := make([]float64, D)
		for p := 0; p < pairs; p++ {
			for d := 0; d < D; d++ {
				f[d] += math.Abs(z[(2*p)*D+d]-z[(2*p+1)*D+d]) / float64(pairs)
			}
		}
		x = append(x, f...)
	}
	m, err := cfg.fitLogReg(x, len(g.factor), D, g.factor)
	if err != nil {
		return BetaVAEResult{}, fmt.Errorf("BetaVAE: %w", err)
	}
	acc := classify.Accuracy(m.Predict(x, len(g.factor)), g.factor)
	return BetaVAEResult{Score: acc, TrainAccuracy: acc}, nil
}

func meanAbsDiff(z1, z2 []float64, L, D int) []float64 {
	f := make([]float64, D)
	for i := 0; i < L; i++ {
		for d := 0; d < D; d++ {
			f[d] += math.Abs(z1[i*D+d] - z2[i*D+d])
		}
	}
	for d := range f {
		f[d] /= float64(L)
	}
	return f
}

// variances returns per-dimension variances with ddof = 1 (0 for n < 2).
func variances(z []float64, n, D int) []float64 {
	mean := make([]float64, D)
	v := make([]float64, D)
	if n < 2 {
		return v
	}
	for i := 0; i < n; i++ {
		for d := 0; d < D; d++ {
			mean[d] += z[i*D+d]
		}
	}
	for d := range mean {
		mean[d] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for d := 0; d < D; d++ {
			e := z[i*D+d] - mean[d]
			v[d] += e * e
		}
	}
	for d := range v {
		v[d] /= float64(n - 1)
	}
	return v
}

func activeDims(gv []float64, threshold float64) []int {
	var a []int
	for d, v := range gv {
		if math.Sqrt(v) >= threshold {
			a = append(a, d)
		}
	}
	return a
}

// argminRatio returns the active dim with the smallest local variance / global variance (first on ties).
func argminRatio(z []float64, L, D int, gv []float64, active []int) int {
	lv := variances(z, L, D)
	best, bv := active[0], math.Inf(1)
	for _, d := range active {
		if r := lv[d] / gv[d]; r < bv {
			best, bv = d, r
		}
	}
	return best
}

// majority maps each dim to the factor with most votes (lowest factor on ties, as np.argmax).
func majority(votes [][]int) []int {
	D := len(votes[0])
	cls := make([]int, D)
	for d := 0; d < D; d++ {
		for k := range votes {
			if votes[k][d] > votes[cls[d]][d] {
				cls[d] = k
			}
		}
	}
	return cls
}

func voteAccuracy(votes [][]int, cls []int) float64 {
	tot, hit := 0, 0
	for k := range votes {
		for d, v := range votes[k] {
			tot += v
			if cls[d] == k {
				hit += v
			}
		}
	}
	if tot == 0 {
		return 0
	}
	return float64(hit) / float64(tot)
}
