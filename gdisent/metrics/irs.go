package metrics

import (
	"fmt"
	"math"
	"slices"
)

// IRSResult is the interventional robustness score (Suter et al. 2019, "Robustly disentangled causal mechanisms:
// validating deep representations for interventional robustness").
type IRSResult struct {
	Score         float64     `json:"score"`
	NumActiveDims int         `json:"num_active_dims"`
	ActiveDims    []int       `json:"active_dims"`    // codes with non-zero variance
	PerCode       []float64   `json:"per_code"`       // max_k IRS[d][k] per active code
	Parents       []int       `json:"parents"`        // argmax_k IRS[d][k] per active code
	Matrix        [][]float64 `json:"matrix"`         // active codes × K
	MaxDeviation  []float64   `json:"max_deviation"`  // max_i |z_id − mean_d| per active code (the weights)
	FactorClasses []int       `json:"factor_classes"` // distinct discretised values per factor
}

// IRS computes disentanglement_lib's scalable IRS on the samples s (codes and factors), with its defaults: factors
// discretised into cfg.NumBins equal-width bins (histogram_discretizer, 20), deviation quantile cfg.IRSQuantile
// (0.99; 1 gives the paper's maximum). Constant codes are dropped (score 0 if all are). For each factor k and each
// of its values v, the deviation of code d within the group {v_k = v} is the quantile of |z_d − E[z_d | v_k = v]|;
// these are averaged over v, divided by the code's largest deviation from its mean, and IRS[d][k] = 1 − that.
// Score = Σ_d m_d max_k IRS[d][k] / Σ_d m_d with m_d the largest deviation.
func IRS(s Samples, cfg Config) (IRSResult, error) {
	cfg = cfg.withDefaults()
	if err := s.Validate(); err != nil {
		return IRSResult{}, fmt.Errorf("IRS: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return IRSResult{}, fmt.Errorf("IRS: %w", err)
	}
	N, D, K := s.N, s.D, s.K
	// Discretise the factors as disentanglement_lib does (class indices with ≤ NumBins values keep one bin each).
	fv := make([]float64, N*K)
	for i, v := range s.Factors {
		fv[i] = float64(v)
	}
	disc := Discretize(Samples{Codes: fv, N: N, D: K, K: 1}, cfg.NumBins)

	mean := make([]float64, D)
	for i := 0; i < N; i++ {
		for d := 0; d < D; d++ {
			mean[d] += s.Codes[i*D+d]
		}
	}
	for d := range mean {
		mean[d] /= float64(N)
	}
	r := IRSResult{FactorClasses: make([]int, K)}
	for d := 0; d < D; d++ {
		v, dev := 0.0, 0.0
		for i := 0; i < N; i++ {
			e := s.Codes[i*D+d] - mean[d]
			v += e * e
			dev = math.Max(dev, math.Abs(e))
		}
		if v > 0 {
			r.ActiveDims = append(r.ActiveDims, d)
			r.MaxDeviation = append(r.MaxDeviation, dev)
		}
	}
	r.NumActiveDims = len(r.ActiveDims)
	if r.NumActiveDims == 0 {
		return r, nil
	}
	A := r.NumActiveDims
	cum := make([][]float64, A)
	for a := range cum {
		cum[a] = make([]float64, K)
	}
	vals := make([]float64, 0, N)
	for k := 0; k < K; k++ {
		groups := map[int][]int{}
		for i := 0; i < N; i++ {
			groups[disc[i*K+k]] = append(groups[disc[i*K+k]], i)
		}
		r.FactorClasses[k] = len(groups)
		keys := make([]int, 0, len(groups))
		for v := range groups {
			keys = append(keys, v)
		}
		slices.Sort(keys) // a fixed summation order: results are bit-for-bit reproducible
		for _, v := range keys {
			rows := groups[v]
			for a, d := range r.ActiveDims {
				m := 0.0
				for _, i := range rows {
					m += s.Codes[i*D+d]
				}
				m /= float64(len(rows))
				vals = vals[:0]
				for _, i := range rows {
					vals = append(vals, math.Abs(s.Codes[i*D+d]-m))
				}
				cum[a][k] += quantile(vals, cfg.IRSQuantile)
			}
		}
		for a := range cum {
			cum[a][k] /= float64(len(groups))
		}
	}
	r.Matrix = make([][]float64, A)
	r.PerCode = make([]float64, A)
	r.Parents = make([]int, A)
	wsum := 0.0
	for a := range cum {
		r.Matrix[a] = make([]float64, K)
		for k := range cum[a] {
			r.Matrix[a][k] = 1 - cum[a][k]/r.MaxDeviation[a]
			if k == 0 || r.Matrix[a][k] > r.PerCode[a] {
				r.PerCode[a], r.Parents[a] = r.Matrix[a][k], k
			}
		}
		r.Score += r.MaxDeviation[a] * r.PerCode[a]
		wsum += r.MaxDeviation[a]
	}
	r.Score /= wsum // > 0: every active code has a positive deviation
	return r, nil
}

// quantile is numpy's default (linear) percentile of v at q ∈ [0, 1]; it sorts v.
func quantile(v []float64, q float64) float64 {
	slices.Sort(v)
	pos := q * float64(len(v)-1)
	lo := int(math.Floor(pos))
	if lo >= len(v)-1 {
		return v[len(v)-1]
	}
	t := pos - float64(lo)
	return v[lo] + t*(v[lo+1]-v[lo])
}
