package classify

import (
	"fmt"
	"math"
)

// Lasso fits (1/(2n))·||y − Xw − b||² + Alpha·||w||₁ by cyclic coordinate descent with an unpenalised intercept,
// as sklearn's Lasso(alpha) (max_iter 1000). Deviation: convergence is declared when no coefficient moves by more
// than Tol·max(1, max|w|) in a sweep (sklearn checks the duality gap against tol·||y||²/n); both stop at the
// same optimum to within tolerance.
type Lasso struct {
	Alpha   float64 // default 1
	MaxIter int     // default 1000
	Tol     float64 // default 1e-4
}

// LassoModel is a fitted Lasso: prediction = Coef·x + Intercept.
type LassoModel struct {
	Coef      []float64
	Intercept float64
}

// Fit regresses y on x (n×d, row-major).
func (l Lasso) Fit(x []float64, n, d int, y []float64) (*LassoModel, error) {
	if err := checkXY(x, n, d, nil); err != nil {
		return nil, fmt.Errorf("lasso: %w", err)
	}
	if len(y) != n {
		return nil, fmt.Errorf("lasso: y has %d values, want n=%d", len(y), n)
	}
	if l.Alpha <= 0 {
		l.Alpha = 1
	}
	if l.MaxIter <= 0 {
		l.MaxIter = 1000
	}
	if l.Tol <= 0 {
		l.Tol = 1e-4
	}
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			mean[j] += x[i*d+j]
		}
	}
	ym := 0.0
	for _, v := range y {
		ym += v
	}
	ym /= float64(n)
	for j := range mean {
		mean[j] /= float64(n)
	}
	// Column-major centred copy and the residual.
	xc := make([]float64, n*d)
	sq := make([]float64, d)
	for j := 0; j < d; j++ {
		col := xc[j*n : (j+1)*n]
		for i := 0; i < n; i++ {
			col[i] = x[i*d+j] - mean[j]
			sq[j] += col[i] * col[i]
		}
	}
	res := make([]float64, n)
	for i, v := range y {
		res[i] = v - ym
	}
	w := make([]float64, d)
	nf := float64(n)
	for it := 0; it < l.MaxIter; it++ {
		maxDelta, maxW := 0.0, 0.0
		for j := 0; j < d; j++ {
			if sq[j] == 0 {
				continue
			}
			col := xc[j*n : (j+1)*n]
			rho := 0.0
			for i, v := range col {
				rho += v * res[i]
			}
			rho = rho/nf + w[j]*sq[j]/nf
			nw := math.Copysign(math.Max(math.Abs(rho)-l.Alpha, 0), rho) / (sq[j] / nf)
			if dw := nw - w[j]; dw != 0 {
				for i, v := range col {
					res[i] -= dw * v
				}
				maxDelta = math.Max(maxDelta, math.Abs(dw))
				w[j] = nw
			}
			maxW = math.Max(maxW, math.Abs(w[j]))
		}
		if maxDelta <= l.Tol*math.Max(1, maxW) {
			break
		}
	}
	b := ym
	for j := range w {
		b -= w[j] * mean[j]
	}
	return &LassoModel{Coef: w, Intercept: b}, nil
}

// Predict returns Coef·x + Intercept for each row of x (n×d).
func (m *LassoModel) Predict(x []float64, n int) []float64 {
	d := len(m.Coef)
	out := make([]float64, n)
	for i := range out {
		v := m.Intercept
		for j, c := range m.Coef {
			v += c * x[i*d+j]
		}
		out[i] = v
	}
	return out
}
