package selection

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// UDRMethod selects how UDR measures the similarity of two latent dimensions.
type UDRMethod int

const (
	UDRLasso    UDRMethod = iota // |coef| of Lasso(α) regressing one representation on the other
	UDRSpearman                  // |Spearman rank correlation|
)

// String returns "lasso" or "spearman".
func (m UDRMethod) String() string {
	if m == UDRSpearman {
		return "spearman"
	}
	return "lasso"
}

// Representation is one model's representation of the shared inputs, for UDR.
type Representation struct {
	Codes []float64 // N×D, row-major (the encoder means)
	N, D  int
	// KL is each latent's mean KL to the prior over the inputs (VAEs); nil for models without one, which then
	// use the activity mask (raw std >= UDRConfig.ActivityThreshold).
	KL []float64
}

// UDRConfig configures UDR; zero fields take disentanglement_lib's defaults.
type UDRConfig struct {
	Method            UDRMethod
	LassoAlpha        float64 // 0.1
	KLThreshold       float64 // latents with KL <= it are inactive: 0.01
	ActivityThreshold float64 // without KL, latents with raw std < it are inactive: 0.05
}

// UDRResult holds the pairwise and per-model UDR scores.
type UDRResult struct {
	Method   string      `json:"method"`
	Pairwise [][]float64 `json:"pairwise"` // Pairwise[i][j] = UDR_ij from R_ij (i's dims as rows); diagonal 0
	Scores   []float64   `json:"scores"`   // median over j ≠ i of Pairwise[j][i]
	Ranking  []int       `json:"ranking"`  // model indices by descending score
	Best     int         `json:"best"`
	Active   [][]bool    `json:"active"` // each model's active-latent mask
}

// UDR is Duan et al.'s (2020) unsupervised disentanglement ranking, as in disentanglement_lib's udr.py: each
// representation is standardised (population std; constant dims left at 0) and multiplied by its activity mask;
// for i ≠ j, R_ij (D_i×D_j) holds |Lasso coef| (Lasso(α) of rep_j on rep_i, one fit per target dim) or |Spearman
// ρ|, restricted to active_i × active_j; UDR_ij = (score_x + score_y)/2 with score_x the mean over columns of
// max²/sum and score_y the same over rows (0/0 counts as 0); model i's score is the median over j ≠ i of UDR_ji.
// With Lasso a perfectly matched pair scores 1 − α (shrinkage), with Spearman 1. Needs >= 2 models sharing N.
func UDR(reps []Representation, cfg UDRConfig) (UDRResult, error) {
	m := len(reps)
	if m < 2 {
		return UDRResult{}, fmt.Errorf("selection.UDR: need at least 2 models, have %d", m)
	}
	if cfg.LassoAlpha <= 0 {
		cfg.LassoAlpha = 0.1
	}
	if cfg.KLThreshold <= 0 {
		cfg.KLThreshold = 0.01
	}
	if cfg.ActivityThreshold <= 0 {
		cfg.ActivityThreshold = 0.05
	}
	if cfg.Method != UDRLasso && cfg.Method != UDRSpearman {
		return UDRResult{}, fmt.Errorf("selection.UDR: unknown method %d", int(cfg.Method))
	}
	n := reps[0].N
	std := make([][]float64, m) // column-major standardised, masked
	r := UDRResult{Method: cfg.Method.String(), Active: make([][]bool, m)}
	for i, rep := range reps {
		if err := rep.validate(n); err != nil {
			return UDRResult{}, fmt.Errorf("selection.UDR: model %d: %w", i, err)
		}
		std[i], r.Active[i] = standardise(rep, cfg)
	}
	r.Pairwise = make([][]float64, m)
	for i := range m {
		r.Pairwise[i] = make([]float64, m)
	}
	// Spearman works on ranks; rank every column once.
	if cfg.Method == UDRSpearman {
		for i := range std {
			std[i] = rankColumns(std[i], n, reps[i].D)
		}
	}
	for i := range m {
		for j := range m {
			if i == j {
				continue
			}
			var R [][]float64
			var err error
			if cfg.Method == UDRLasso {
				R, err = lassoMatrix(std[i], reps[i].D, std[j], reps[j].D, n, cfg.LassoAlpha)
				if err != nil {
					return UDRResult{}, fmt.Errorf("selection.UDR: models %d, %d: %w", i, j, err)
				}
			} else {
				R = pearsonMatrix(std[i], reps[i].D, std[j], reps[j].D, n)
			}
			r.Pairwise[i][j] = relativeStrength(restrict(R, r.Active[i], r.Active[j]))
		}
	}
	r.Scores = make([]float64, m)
	for i := range m {
		var col []float64
		for j := range m {
			if j != i {
				col = append(col, r.Pairwise[j][i])
			}
		}
		r.Scores[i] = median(col)
	}
	r.Ranking = rankDescending(r.Scores)
	r.Best = r.Ranking[0]
	return r, nil
}

func (rep Representation) validate(n int) error {
	switch {
	case rep.N < 2:
		return fmt.Errorf("need at least 2 inputs, have %d", rep.N)
	case rep.N != n:
		return fmt.Errorf("has %d inputs, model 0 has %d (UDR needs shared inputs)", rep.N, n)
	case rep.D < 1 || len(rep.Codes) != rep.N*rep.D:
		return fmt.Errorf("codes have %d values, want N×D = %d×%d", len(rep.Codes), rep.N, rep.D)
	case rep.KL != nil && len(rep.KL) != rep.D:
		return fmt.Errorf("KL has %d values, want D = %d", len(rep.KL), rep.D)
	}
	for i, v := range rep.Codes {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("code [%d, %d] is %v", i/rep.D, i%rep.D, v)
		}
	}
	return nil
}

// standardise returns the column-major standardised, masked codes and the activity mask.
func standardise(rep Representation, cfg UDRConfig) ([]float64, []bool) {
	n, D := rep.N, rep.D
	out := make([]float64, n*D)
	active := make([]bool, D)
	for d := range D {
		mean, ss := 0.0, 0.0
		for i := range n {
			mean += rep.Codes[i*D+d]
		}
		mean /= float64(n)
		for i := range n {
			e := rep.Codes[i*D+d] - mean
			ss += e * e
		}
		sd := math.Sqrt(ss / float64(n))
		if rep.KL != nil {
			active[d] = rep.KL[d] > cfg.KLThreshold
		} else {
			active[d] = sd >= cfg.ActivityThreshold
		}
		if !active[d] || sd == 0 {
			continue // masked (×0) as in udr.py
		}
		for i := range n {
			out[d*n+i] = (rep.Codes[i*D+d] - mean) / sd
		}
	}
	return out, active
}

// lassoMatrix returns R (Di×Dj) with R[a][b] = |coef of x_a| in Lasso(α) regressing y_b on x (udr.py's
// transposed |coef_|).
func lassoMatrix(x []float64, di int, y []float64, dj, n int, alpha float64) ([][]float64, error) {
	rows := make([]float64, n*di) // row-major for classify.Lasso
	for a := range di {
		for i := range n {
			rows[i*di+a] = x[a*n+i]
		}
	}
	R := make([][]float64, di)
	for a := range R {
		R[a] = make([]float64, dj)
	}
	for b := range dj {
		fit, err := classify.Lasso{Alpha: alpha}.Fit(rows, n, di, y[b*n:(b+1)*n])
		if err != nil {
			return nil, err
		}
		for a, c := range fit.Coef {
			R[a][b] = math.Abs(c)
		}
	}
	return R, nil
}

// pearsonMatrix returns |Pearson correlation| between columns (on ranks: |Spearman ρ|); constant columns give 0.
func pearsonMatrix(x []float64, di int, y []float64, dj, n int) [][]float64 {
	center := func(v []float64) ([]float64, float64) {
		m := 0.0
		for _, e := range v {
			m += e
		}
		m /= float64(len(v))
		c := make([]float64, len(v))
		ss := 0.0
		for i, e := range v {
			c[i] = e - m
			ss += c[i] * c[i]
		}
		return c, math.Sqrt(ss)
	}
	xs, xn := make([][]float64, di), make([]float64, di)
	for a := range di {
		xs[a], xn[a] = center(x[a*n : (a+1)*n])
	}
	R := make([][]float64, di)
	for a := range R {
		R[a] = make([]float64, dj)
	}
	for b := range dj {
		yc, yn := center(y[b*n : (b+1)*n])
		for a := range di {
			if xn[a] == 0 || yn == 0 {
				continue
			}
			dot := 0.0
			for i, e := range xs[a] {
				dot += e * yc[i]
			}
			R[a][b] = math.Min(math.Abs(dot/(xn[a]*yn)), 1)
		}
	}
	return R
}

// rankColumns replaces each column (column-major, n rows) by its ranks, ties averaged (scipy's rankdata).
func rankColumns(x []float64, n, d int) []float64 {
	out := make([]float64, len(x))
	idx := make([]int, n)
	for c := range d {
		col := x[c*n : (c+1)*n]
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return col[idx[a]] < col[idx[b]] })
		for s := 0; s < n; {
			e := s
			for e+1 < n && col[idx[e+1]] == col[idx[s]] {
				e++
			}
			r := float64(s+e)/2 + 1
			for k := s; k <= e; k++ {
				out[c*n+idx[k]] = r
			}
			s = e + 1
		}
	}
	return out
}

// Spearman returns Spearman's rank correlation of x and y (ties get average ranks); 0 when either is constant.
func Spearman(x, y []float64) (float64, error) {
	if len(x) != len(y) || len(x) < 2 {
		return 0, fmt.Errorf("selection.Spearman: need two series of equal length >= 2, have %d and %d", len(x), len(y))
	}
	n := len(x)
	rx, ry := rankColumns(x, n, 1), rankColumns(y, n, 1)
	mean := float64(n+1) / 2
	var sxy, sxx, syy float64
	for i := range n {
		a, b := rx[i]-mean, ry[i]-mean
		sxy += a * b
		sxx += a * a
		syy += b * b
	}
	if sxx == 0 || syy == 0 {
		return 0, nil
	}
	return sxy / math.Sqrt(sxx*syy), nil
}

func restrict(R [][]float64, rows, cols []bool) [][]float64 {
	var out [][]float64
	for a, row := range R {
		if !rows[a] {
			continue
		}
		var r []float64
		for b, v := range row {
			if cols[b] {
				r = append(r, v)
			}
		}
		out = append(out, r)
	}
	return out
}

// relativeStrength is udr.py's relative_strength_disentanglement: the mean over columns of max²/sum and the
// same over rows, averaged (0/0 counts as 0; an empty matrix scores 0).
func relativeStrength(R [][]float64) float64 {
	if len(R) == 0 || len(R[0]) == 0 {
		return 0
	}
	rows, cols := len(R), len(R[0])
	ratio := func(mx, sum float64) float64 {
		if sum == 0 {
			return 0
		}
		return mx * mx / sum
	}
	sx := 0.0
	for b := range cols {
		mx, sum := 0.0, 0.0
		for a := range rows {
			mx = math.Max(mx, R[a][b])
			sum += R[a][b]
		}
		sx += ratio(mx, sum)
	}
	sy := 0.0
	for a := range rows {
		mx, sum := 0.0, 0.0
		for _, v := range R[a] {
			mx = math.Max(mx, v)
			sum += v
		}
		sy += ratio(mx, sum)
	}
	return (sx/float64(cols) + sy/float64(rows)) / 2
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
