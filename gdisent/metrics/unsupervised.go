package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// UnsupervisedResult holds disentanglement_lib's unsupervised scores (Locatello et al. 2019, "Challenging common
// assumptions in the unsupervised learning of disentangled representations", section 4): statistics of the codes
// alone, without ground-truth factors.
type UnsupervisedResult struct {
	// GaussianTotalCorrelation is KL(N(0, Σ) ‖ N(0, diag Σ)) = ½ (Σ_d log Σ_dd − log det Σ), nats.
	GaussianTotalCorrelation float64 `json:"gaussian_total_correlation"`
	// GaussianWassersteinCorrelation is W₂²(N(0, Σ), N(0, diag Σ)) = 2 tr Σ − 2 tr (diag(Σ)^½ Σ diag(Σ)^½)^½.
	GaussianWassersteinCorrelation float64 `json:"gaussian_wasserstein_correlation"`
	// GaussianWassersteinCorrelationNorm is GaussianWassersteinCorrelation / tr Σ.
	GaussianWassersteinCorrelationNorm float64 `json:"gaussian_wasserstein_correlation_norm"`
	// MutualInfoScore is the mean over ordered pairs d ≠ d' of I(z_d; z_d') between codes discretised into
	// NumBins bins, nats.
	MutualInfoScore float64 `json:"mutual_info_score"`
	NumConstantDims int     `json:"num_constant_dims"` // left out of the total correlation
}

// Unsupervised computes the unsupervised scores on the codes of s (its factors are not used); see
// UnsupervisedCodes.
func Unsupervised(s Samples, cfg Config) (UnsupervisedResult, error) {
	if err := s.Validate(); err != nil {
		return UnsupervisedResult{}, fmt.Errorf("unsupervised scores: %w", err)
	}
	return UnsupervisedCodes(s.Codes, s.N, s.D, cfg)
}

// UnsupervisedCodes computes disentanglement_lib's unsupervised scores on n codes of D values (row-major), with
// its defaults: Σ the sample covariance (ddof 1) and 20-bin histogram discretisation (cfg.NumBins) for the mutual
// information. disentanglement_lib draws 10,000 codes (cfg.NumTrain).
//
// Constant codes are independent of the rest, so they are left out of the total correlation (where
// disentanglement_lib's log 0 gives NaN); a singular covariance among the others (an eigenvalue below 10⁻¹² of the
// largest: duplicated or linearly dependent codes) makes the total correlation infinite and is an error. With D = 1 the mutual information score is 0 (no pairs).
func UnsupervisedCodes(codes []float64, n, D int, cfg Config) (UnsupervisedResult, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return UnsupervisedResult{}, fmt.Errorf("unsupervised scores: %w", err)
	}
	s := Samples{Codes: codes, N: n, D: D, K: 1, Factors: make([]int, max(n, 0))}
	if err := s.Validate(); err != nil {
		return UnsupervisedResult{}, fmt.Errorf("unsupervised scores: %w", err)
	}
	if n < 2 {
		return UnsupervisedResult{}, fmt.Errorf("unsupervised scores: a covariance needs at least 2 codes, have %d", n)
	}
	mean := make([]float64, D)
	for i := 0; i < n; i++ {
		for d := 0; d < D; d++ {
			mean[d] += codes[i*D+d]
		}
	}
	for d := range mean {
		mean[d] /= float64(n)
	}
	cov := mat.NewSymDense(D, nil)
	row := make([]float64, D)
	for i := 0; i < n; i++ {
		for d := 0; d < D; d++ {
			row[d] = codes[i*D+d] - mean[d]
		}
		for a := 0; a < D; a++ {
			for b := a; b < D; b++ {
				cov.SetSym(a, b, cov.At(a, b)+row[a]*row[b])
			}
		}
	}
	cov.ScaleSym(1/float64(n-1), cov)
	var r UnsupervisedResult
	for a := 0; a < D; a++ {
		for b := a; b < D; b++ {
			if v := cov.At(a, b); math.IsNaN(v) || math.IsInf(v, 0) {
				return r, fmt.Errorf("unsupervised scores: the covariance of codes %d and %d overflows float64 "+
					"(codes of magnitude ~1e154 or more); rescale the codes before scoring", a, b)
			}
		}
	}

	// Total correlation over the non-constant codes.
	var active []int
	for d := 0; d < D; d++ {
		if cov.At(d, d) > 0 {
			active = append(active, d)
		}
	}
	r.NumConstantDims = D - len(active)
	if len(active) > 0 {
		sub := mat.NewSymDense(len(active), nil)
		logDiag := 0.0
		for a, da := range active {
			logDiag += math.Log(cov.At(da, da))
			for b, db := range active[a:] {
				sub.SetSym(a, a+b, cov.At(da, db))
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(sub, false) {
			return r, fmt.Errorf("unsupervised scores: eigendecomposition of the code covariance failed")
		}
		logDet := 0.0
		ev := eig.Values(nil) // ascending
		for _, l := range ev {
			if l <= 1e-12*ev[len(ev)-1] {
				return r, fmt.Errorf("unsupervised scores: the code covariance is singular (duplicated or linearly " +
					"dependent codes), so the Gaussian total correlation is infinite; drop the dependent codes or " +
					"leave this metric out")
			}
			logDet += math.Log(l)
		}
		r.GaussianTotalCorrelation = math.Max(0.5*(logDiag-logDet), 0)
	}

	// Wasserstein correlation: the eigenvalues of diag(Σ)^½ Σ diag(Σ)^½ (similar to diag(Σ)·Σ, whose matrix square
	// root disentanglement_lib takes) give tr of the root.
	// W₂² is homogeneous of degree 1 in Σ, so Σ is divided by its largest variance first: the products below then
	// stay finite for any finite covariance.
	unit := 0.0
	for a := 0; a < D; a++ {
		unit = math.Max(unit, cov.At(a, a))
	}
	if unit == 0 {
		unit = 1
	}
	scaled := mat.NewSymDense(D, nil)
	trace := 0.0
	for a := 0; a < D; a++ {
		trace += cov.At(a, a) / unit
		for b := a; b < D; b++ {
			va, vb := cov.At(a, a)/unit, cov.At(b, b)/unit
			scaled.SetSym(a, b, math.Sqrt(va)*(cov.At(a, b)/unit)*math.Sqrt(vb))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(scaled, false) {
		return r, fmt.Errorf("unsupervised scores: eigendecomposition of the scaled covariance failed")
	}
	rootTrace := 0.0
	for _, l := range eig.Values(nil) {
		rootTrace += math.Sqrt(math.Max(l, 0))
	}
	w := math.Max(2*trace-2*rootTrace, 0)
	r.GaussianWassersteinCorrelation = w * unit
	if trace > 0 {
		r.GaussianWassersteinCorrelationNorm = w / trace
	}

	// Mean pairwise mutual information of the discretised codes.
	if D > 1 {
		disc := Discretize(s, cfg.NumBins)
		cols := make([][]int, D)
		for d := range cols {
			cols[d] = make([]int, n)
			for i := 0; i < n; i++ {
				cols[d][i] = disc[i*D+d]
			}
		}
		sum := 0.0
		for a := 0; a < D; a++ {
			for b := a + 1; b < D; b++ {
				sum += 2 * MutualInfo(cols[a], cols[b]) // I is symmetric
			}
		}
		r.MutualInfoScore = sum / float64(D*D-D)
	}
	return r, nil
}
