package metrics

import (
	"fmt"
	"math"
)

// MIGResult is the mutual information gap (Chen et al. 2018).
type MIGResult struct {
	Score     float64     `json:"score"`
	PerFactor []float64   `json:"per_factor"` // (I₁ − I₂)/H(v_k); NaN-free: factors with H = 0 are 0 and skipped
	MI        [][]float64 `json:"mi"`         // D×K, nats
	Entropy   []float64   `json:"entropy"`    // H(v_k), nats
}

// MIG computes (1/K) Σ_k (I(z_(1); v_k) − I(z_(2); v_k)) / H(v_k) on codes discretised into cfg.NumBins
// equal-width bins, using all rows of s. Factors that are constant in s (H = 0, where disentanglement_lib divides
// by zero) are left out of the mean; if all are constant it is an error. With D = 1, I₂ = 0.
func MIG(s Samples, cfg Config) (MIGResult, error) {
	cfg = cfg.withDefaults()
	if err := s.Validate(); err != nil {
		return MIGResult{}, fmt.Errorf("MIG: %w", err)
	}
	m, h := miMatrix(s, cfg.NumBins)
	r := MIGResult{MI: m, Entropy: h, PerFactor: make([]float64, s.K)}
	col := make([]float64, s.D)
	used := 0
	for k := 0; k < s.K; k++ {
		if h[k] <= 0 {
			continue
		}
		for d := range col {
			col[d] = m[d][k]
		}
		a, b := top2(col)
		r.PerFactor[k] = clamp01((a - b) / h[k])
		r.Score += r.PerFactor[k]
		used++
	}
	if used == 0 {
		return MIGResult{}, fmt.Errorf("MIG: every factor is constant in the %d samples", s.N)
	}
	r.Score /= float64(used)
	return r, nil
}

// ModularityResult is Ridgeway & Mozer's (2018) modularity.
type ModularityResult struct {
	Score   float64   `json:"score"`
	PerCode []float64 `json:"per_code"`
}

// Modularity computes, on the MI matrix m of MIG, for each code d with θ_d = max_k m_dk²:
// 1 − (Σ_k m_dk² − θ_d)/(θ_d (K − 1)) (0 when θ_d = 0; 1 when K = 1 and θ_d > 0), averaged over codes.
func Modularity(s Samples, cfg Config) (ModularityResult, error) {
	cfg = cfg.withDefaults()
	if err := s.Validate(); err != nil {
		return ModularityResult{}, fmt.Errorf("modularity: %w", err)
	}
	m, _ := miMatrix(s, cfg.NumBins)
	r := ModularityResult{PerCode: make([]float64, s.D)}
	for d := range m {
		theta, sum := 0.0, 0.0
		for _, v := range m[d] {
			sum += v * v
			theta = math.Max(theta, v*v)
		}
		switch {
		case theta == 0:
			r.PerCode[d] = 0
		case s.K == 1:
			r.PerCode[d] = 1
		default:
			r.PerCode[d] = clamp01(1 - (sum-theta)/(theta*float64(s.K-1)))
		}
		r.Score += r.PerCode[d]
	}
	r.Score /= float64(s.D)
	return r, nil
}
