package metrics

import (
	"fmt"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// SAPResult is the separated attribute predictability score (Kumar et al. 2018).
type SAPResult struct {
	Score  float64     `json:"score"`
	Matrix [][]float64 `json:"matrix"` // D×K predictability of factor k from code d alone
}

// SAP scores each (code d, factor k): for a discrete factor, the test accuracy of a one-feature
// classify.LinearSVC1D (C = cfg.SVMC, balanced) trained on z_d; for a continuous factor
// (cfg.ContinuousFactors[k]), R² = Cov(z_d, v_k)² / (Var z_d · Var v_k) on the train set, 0 when
// Var z_d ≤ 1e-12 or Var v_k = 0 (class indices stand in for factor values; R² is the same for evenly spaced
// values). SAP = (1/K) Σ_k (top − second) over d; with D = 1 the second is 0.
func SAP(train, test Samples, cfg Config) (SAPResult, error) {
	cfg = cfg.withDefaults()
	if err := checkPair(train, test); err != nil {
		return SAPResult{}, fmt.Errorf("SAP: %w", err)
	}
	if c := cfg.ContinuousFactors; c != nil && len(c) != train.K {
		return SAPResult{}, fmt.Errorf("SAP: ContinuousFactors has %d entries for K=%d factors", len(c), train.K)
	}
	D, K := train.D, train.K
	m := make([][]float64, D)
	for d := range m {
		m[d] = make([]float64, K)
	}
	err := parallel(D*K, cfg.Workers, func(idx int) error {
		d, k := idx/K, idx%K
		ztr := train.code(d)
		ytr := train.factor(k)
		if cfg.ContinuousFactors != nil && cfg.ContinuousFactors[k] {
			m[d][k] = r2(ztr, ytr)
			return nil
		}
		model, err := classify.LinearSVC1D{C: cfg.SVMC, Balanced: true}.Fit(ztr, ytr)
		if err != nil {
			return fmt.Errorf("SAP: code %d, factor %d: %w", d, k, err)
		}
		m[d][k] = classify.Accuracy(model.Predict(test.code(d)), test.factor(k))
		return nil
	})
	if err != nil {
		return SAPResult{}, err
	}
	r := SAPResult{Matrix: m}
	col := make([]float64, D)
	for k := 0; k < K; k++ {
		for d := range col {
			col[d] = m[d][k]
		}
		a, b := top2(col)
		r.Score += a - b
	}
	r.Score = clamp01(r.Score / float64(K))
	return r, nil
}

// r2 is the squared Pearson correlation with ddof = 1 covariances, as disentanglement_lib's continuous SAP.
func r2(z []float64, y []int) float64 {
	n := float64(len(z))
	if n < 2 {
		return 0
	}
	var mz, my float64
	for i, v := range z {
		mz += v
		my += float64(y[i])
	}
	mz /= n
	my /= n
	var cov, vz, vy float64
	for i, v := range z {
		a, b := v-mz, float64(y[i])-my
		cov += a * b
		vz += a * a
		vy += b * b
	}
	cov, vz, vy = cov/(n-1), vz/(n-1), vy/(n-1)
	if vz <= 1e-12 || vy == 0 {
		return 0
	}
	return clamp01(cov * cov / (vz * vy))
}
