package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// FairnessResult is the unfairness of classifiers trained on the codes (Locatello et al. 2019, "On the fairness of
// disentangled representations", section 4): for a target factor i predicted by a classifier and a sensitive
// factor j, the total variation between the distribution of predictions under the intervention do(v_j = c) and
// the distribution pooled over c. Lower is fairer.
type FairnessResult struct {
	// Mean is disentanglement_lib's mean_fairness:mean_pred:mean_sens, the paper's score: the mean over target ≠
	// sensitive pairs of the TV averaged over sensitive classes (weighted by their counts, here equal).
	Mean float64 `json:"mean"`
	// Max is max_fairness:mean_pred:mean_sens: the mean over pairs of the largest TV over sensitive classes.
	Max float64 `json:"max"`
	// MeanTV and MaxTV are the K×K matrices [target][sensitive] (diagonal 0, unused).
	MeanTV [][]float64 `json:"mean_tv"`
	MaxTV  [][]float64 `json:"max_tv"`
	// Aggregates holds every row/column mean/max combination under disentanglement_lib's key names
	// ("mean_fairness:mean_pred:max_sens", ...).
	Aggregates map[string]float64 `json:"aggregates"`
}

// Fairness computes the unfairness scores with disentanglement_lib's fairness_study_v1 settings: one GBT
// (cfg.GBT, sklearn GradientBoostingClassifier()) per factor trained on cfg.NumTrain (10,000) sampled points; then
// for each target i and sensitive j ≠ i, cfg.FairnessPoints (100) factor vectors are drawn once and, for every
// class c of factor j, rendered with v_j set to c, encoded and classified. It needs K ≥ 2 factors.
func Fairness(enc Encoder, src FactorSource, cfg Config) (FairnessResult, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return FairnessResult{}, fmt.Errorf("fairness: %w", err)
	}
	rng := newRNG(cfg.Seed, streamFairness)
	train, err := sampleSet(enc, src, rng, cfg.NumTrain, cfg)
	if err != nil {
		return FairnessResult{}, fmt.Errorf("fairness: sampling the train set: %w", err)
	}
	models, err := fitGBTs(train, cfg)
	if err != nil {
		return FairnessResult{}, fmt.Errorf("fairness: %w", err)
	}
	return fairnessWith(enc, src, rng, models, train.D, cfg)
}

// fitGBTs trains cfg.GBT on train to predict each factor (shared by DCI and fairness).
func fitGBTs(train Samples, cfg Config) ([]*classify.GBTModel, error) {
	models := make([]*classify.GBTModel, train.K)
	err := parallel(train.K, cfg.Workers, func(k int) error {
		m, err := cfg.gbt(streamGBT, k).Fit(train.Codes, train.N, train.D, train.factor(k))
		if err != nil {
			return fmt.Errorf("factor %d: %w", k, err)
		}
		models[k] = m
		return nil
	})
	return models, err
}

// fairnessWith runs the interventions with trained per-factor models.
func fairnessWith(enc Encoder, src FactorSource, rng *rand.Rand, models []*classify.GBTModel, D int,
	cfg Config) (FairnessResult, error) {
	sizes, err := sourceInfo(src)
	if err != nil {
		return FairnessResult{}, fmt.Errorf("fairness: %w", err)
	}
	K, P := len(sizes), cfg.FairnessPoints
	if K < 2 {
		return FairnessResult{}, fmt.Errorf("fairness: needs at least 2 factors (a target and a sensitive one), have %d", K)
	}
	r := FairnessResult{MeanTV: make([][]float64, K), MaxTV: make([][]float64, K)}
	for i := 0; i < K; i++ {
		r.MeanTV[i] = make([]float64, K)
		r.MaxTV[i] = make([]float64, K)
		for j := 0; j < K; j++ {
			if i == j {
				continue
			}
			orig := src.Sample(rng, P)
			if err := checkClasses(orig, P, sizes); err != nil {
				return r, fmt.Errorf("fairness: %w", err)
			}
			classes := make([]int, 0, sizes[j]*P*K)
			for c := 0; c < sizes[j]; c++ {
				block := append([]int(nil), orig...)
				fixFactor(block, P, K, j, c)
				classes = append(classes, block...)
			}
			z, d, err := encode(enc, src, classes, sizes[j]*P, K, cfg.EncodeBatch)
			if err != nil {
				return r, fmt.Errorf("fairness: target %d, sensitive %d: %w", i, j, err)
			}
			if d != D {
				return r, fmt.Errorf("fairness: encoder returned D=%d, earlier D=%d", d, D)
			}
			pred := models[i].Predict(z, sizes[j]*P)
			// counts[a][c]: predictions of class a under do(v_j = c).
			counts := make([][]float64, sizes[i])
			for a := range counts {
				counts[a] = make([]float64, sizes[j])
			}
			for t, a := range pred {
				if a < 0 || a >= sizes[i] {
					return r, fmt.Errorf("fairness: factor %d classifier predicted class %d outside [0, %d)", i, a, sizes[i])
				}
				counts[a][t/P]++
			}
			r.MeanTV[i][j], r.MaxTV[i][j] = interGroupTV(counts)
		}
	}
	r.Aggregates = map[string]float64{}
	for name, m := range map[string][][]float64{"mean_fairness": r.MeanTV, "max_fairness": r.MaxTV} {
		aggregateFairness(r.Aggregates, name, m)
	}
	r.Mean = r.Aggregates["mean_fairness:mean_pred:mean_sens"]
	r.Max = r.Aggregates["max_fairness:mean_pred:mean_sens"]
	return r, nil
}

// interGroupTV returns, for counts[a][c] of predictions a under sensitive class c, the count-weighted mean and the
// largest over c of TV(P(a | c), P(a)).
func interGroupTV(counts [][]float64) (mean, maxTV float64) {
	A, C := len(counts), len(counts[0])
	overall := make([]float64, A)
	perClass := make([]float64, C)
	total := 0.0
	for a := range counts {
		for c, v := range counts[a] {
			overall[a] += v
			perClass[c] += v
			total += v
		}
	}
	for c := 0; c < C; c++ {
		if perClass[c] == 0 {
			continue
		}
		tv := 0.0
		for a := 0; a < A; a++ {
			tv += math.Abs(counts[a][c]/perClass[c] - overall[a]/total)
		}
		tv /= 2
		mean += tv * perClass[c] / total
		maxTV = math.Max(maxTV, tv)
	}
	return mean, maxTV
}

// aggregateFairness adds disentanglement_lib's combinations of means and maxima over targets (pred) and sensitive
// factors (sens) of the off-diagonal entries of m.
func aggregateFairness(out map[string]float64, prefix string, m [][]float64) {
	K := len(m)
	stats := func(get func(a, b int) float64) (means, maxs []float64) {
		for a := 0; a < K; a++ {
			s, mx := 0.0, math.Inf(-1)
			for b := 0; b < K; b++ {
				if a != b {
					s += get(a, b)
					mx = math.Max(mx, get(a, b))
				}
			}
			means = append(means, s/float64(K-1))
			maxs = append(maxs, mx)
		}
		return means, maxs
	}
	meanOf := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	maxOf := func(v []float64) float64 {
		mx := math.Inf(-1)
		for _, x := range v {
			mx = math.Max(mx, x)
		}
		return mx
	}
	rowMeans, rowMaxs := stats(func(a, b int) float64 { return m[a][b] }) // per target, over sensitive
	colMeans, colMaxs := stats(func(a, b int) float64 { return m[b][a] }) // per sensitive, over targets
	out[prefix+":mean_sens:mean_pred"] = meanOf(colMeans)
	out[prefix+":mean_sens:max_pred"] = meanOf(colMaxs)
	out[prefix+":max_sens:mean_pred"] = maxOf(colMeans)
	out[prefix+":max_sens:max_pred"] = maxOf(colMaxs)
	out[prefix+":mean_pred:mean_sens"] = meanOf(rowMeans)
	out[prefix+":mean_pred:max_sens"] = meanOf(rowMaxs)
	out[prefix+":max_pred:mean_sens"] = maxOf(rowMeans)
	out[prefix+":max_pred:max_sens"] = maxOf(rowMaxs)
}
