package metrics

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// exactCovCodes returns n codes whose sample covariance (ddof 1) is L·Lᵀ up to rounding: random columns are
// centred and Gram–Schmidt orthonormalised (so their sample covariance is I after scaling by √(n−1)), then mixed
// by the lower-triangular L.
func exactCovCodes(seed uint64, n int, L [][]float64) []float64 {
	D := len(L)
	rng := rand.New(rand.NewPCG(seed, 3))
	q := make([][]float64, D) // orthonormal, centred columns
	for d := range q {
		c := make([]float64, n)
		m := 0.0
		for i := range c {
			c[i] = rng.NormFloat64()
			m += c[i]
		}
		for i := range c {
			c[i] -= m / float64(n)
		}
		for _, p := range q[:d] {
			dp := 0.0
			for i := range c {
				dp += c[i] * p[i]
			}
			for i := range c {
				c[i] -= dp * p[i]
			}
		}
		nrm := 0.0
		for _, v := range c {
			nrm += v * v
		}
		for i := range c {
			c[i] /= math.Sqrt(nrm)
		}
		q[d] = c
	}
	out := make([]float64, n*D)
	s := math.Sqrt(float64(n - 1))
	for i := 0; i < n; i++ {
		for a := 0; a < D; a++ {
			v := 0.0
			for b := 0; b <= a; b++ {
				v += L[a][b] * q[b][i] * s
			}
			out[i*D+a] = v
		}
	}
	return out
}

func TestUnsupervisedAnalytic(t *testing.T) {
	// Σ = [[σ1², ρσ1σ2], [ρσ1σ2, σ2²]] with σ1 = 1, σ2 = 2, ρ = 0.6:
	// TC = −½ log(1 − ρ²); with a = σ1², b = σ2², W = 2(a + b) − 2 √(a² + b² + 2ab√(1 − ρ²)) (the trace of the
	// square root of a 2×2 PSD matrix M is √(tr M + 2 √det M)).
	s1, s2, rho := 1.0, 2.0, 0.6
	L := [][]float64{{s1, 0}, {rho * s2, s2 * math.Sqrt(1-rho*rho)}}
	n := 5000
	codes := exactCovCodes(1, n, L)
	r, err := UnsupervisedCodes(codes, n, 2, Config{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := s1*s1, s2*s2
	wantTC := -0.5 * math.Log(1-rho*rho)
	wantW := 2*(a+b) - 2*math.Sqrt(a*a+b*b+2*a*b*math.Sqrt(1-rho*rho))
	if math.Abs(r.GaussianTotalCorrelation-wantTC) > 1e-9 {
		t.Errorf("total correlation %.12f, want %.12f", r.GaussianTotalCorrelation, wantTC)
	}
	if math.Abs(r.GaussianWassersteinCorrelation-wantW) > 1e-9 ||
		math.Abs(r.GaussianWassersteinCorrelationNorm-wantW/(a+b)) > 1e-9 {
		t.Errorf("Wasserstein %.12f (norm %.12f), want %.12f (%.12f)", r.GaussianWassersteinCorrelation,
			r.GaussianWassersteinCorrelationNorm, wantW, wantW/(a+b))
	}
	// Uncorrelated codes of any scales: both are 0 up to rounding.
	codes = exactCovCodes(2, n, [][]float64{{3, 0, 0}, {0, 0.1, 0}, {0, 0, 7}})
	r, err = UnsupervisedCodes(codes, n, 3, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if r.GaussianTotalCorrelation > 1e-10 || r.GaussianWassersteinCorrelation > 1e-9 {
		t.Errorf("uncorrelated codes: TC %g, W %g, want 0", r.GaussianTotalCorrelation, r.GaussianWassersteinCorrelation)
	}
}

func TestUnsupervisedSampled(t *testing.T) {
	// Independent Gaussian codes (sampled, as disentanglement_lib: 10,000): TC ≈ D(D−1)/(4n) bias, mutual
	// information ≈ (bins−1)²/(2n) plug-in bias.
	n, D := 10000, 4
	rng := rand.New(rand.NewPCG(3, 3))
	codes := make([]float64, n*D)
	for i := range codes {
		codes[i] = rng.NormFloat64()
	}
	ind, err := UnsupervisedCodes(codes, n, D, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// z1 = z0³ + noise, z2 = −z0: strongly dependent (z2 linearly, z1 not).
	dep := append([]float64(nil), codes...)
	for i := 0; i < n; i++ {
		z := dep[i*D]
		dep[i*D+1] = z*z*z + 0.1*dep[i*D+1]
		dep[i*D+2] = -z + 0.01*dep[i*D+2]
	}
	dr, err := UnsupervisedCodes(dep, n, D, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("independent %+v", ind)
	t.Logf("dependent   %+v", dr)
	if ind.GaussianTotalCorrelation > 0.005 || ind.GaussianWassersteinCorrelationNorm > 0.005 || ind.MutualInfoScore > 0.03 {
		t.Errorf("independent codes: %+v, want all ≈ 0", ind)
	}
	if dr.GaussianTotalCorrelation < 1 || dr.GaussianWassersteinCorrelationNorm < 0.05 || dr.MutualInfoScore < 0.3 {
		t.Errorf("dependent codes: %+v, want clearly positive scores", dr)
	}
	// A constant code is independent of the rest: it changes no score but the mutual information's average.
	withConst := make([]float64, n*(D+1))
	for i := 0; i < n; i++ {
		copy(withConst[i*(D+1):], dep[i*D:(i+1)*D])
		withConst[i*(D+1)+D] = 5
	}
	cr, err := UnsupervisedCodes(withConst, n, D+1, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if cr.NumConstantDims != 1 || math.Abs(cr.GaussianTotalCorrelation-dr.GaussianTotalCorrelation) > 1e-9 ||
		math.Abs(cr.GaussianWassersteinCorrelation-dr.GaussianWassersteinCorrelation) > 1e-9 {
		t.Errorf("with a constant code %+v, without %+v", cr, dr)
	}
	if want := dr.MutualInfoScore * float64(D*D-D) / float64((D+1)*(D+1)-(D+1)); math.Abs(cr.MutualInfoScore-want) > 1e-12 {
		t.Errorf("mutual info score with a constant code %.6f, want %.6f", cr.MutualInfoScore, want)
	}
	// Duplicated codes: singular covariance, infinite total correlation.
	dup := make([]float64, n*2)
	for i := 0; i < n; i++ {
		dup[i*2], dup[i*2+1] = codes[i*D], codes[i*D]
	}
	if _, err := UnsupervisedCodes(dup, n, 2, Config{}); err == nil || !strings.Contains(err.Error(), "singular") {
		t.Errorf("duplicated codes: error %v, want one about a singular covariance", err)
	}
	if _, err := UnsupervisedCodes(codes[:D], 1, D, Config{}); err == nil {
		t.Error("one code: want an error")
	}
}

func TestUnsupervisedScaleAndOverflow(t *testing.T) {
	// W₂² scales with Σ (codes times c: W times c²; the normalised score and TC unchanged), even where the
	// unscaled products diag(Σ)^½ Σ diag(Σ)^½ would overflow float64.
	L := [][]float64{{1, 0}, {1.2, 1.6}}
	n := 2000
	codes := exactCovCodes(4, n, L)
	base, err := UnsupervisedCodes(codes, n, 2, Config{})
	if err != nil {
		t.Fatal(err)
	}
	const c = 1e90
	big := make([]float64, len(codes))
	for i, v := range codes {
		big[i] = v * c
	}
	r, err := UnsupervisedCodes(big, n, 2, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.GaussianWassersteinCorrelation/(c*c)-base.GaussianWassersteinCorrelation) > 1e-9*base.GaussianWassersteinCorrelation ||
		math.Abs(r.GaussianWassersteinCorrelationNorm-base.GaussianWassersteinCorrelationNorm) > 1e-9 ||
		math.Abs(r.GaussianTotalCorrelation-base.GaussianTotalCorrelation) > 1e-9 {
		t.Errorf("codes ×1e90: %+v; unscaled %+v", r, base)
	}
	// Codes so large that the covariance itself overflows: an error naming the overflow, not NaN scores.
	for i := range big {
		big[i] = codes[i] * 1e300
	}
	if _, err := UnsupervisedCodes(big, n, 2, Config{}); err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Errorf("codes ×1e300: err %v, want an overflow error", err)
	}
}
