package classify

import (
	"fmt"
	"math"
)

// LinearSVC1D is a linear SVM on a single feature, matching sklearn's LinearSVC(C, class_weight="balanced") as
// used by the SAP score: L2 penalty, squared hinge loss, intercept fitted as an extra constant feature
// (intercept_scaling = 1) and therefore penalised like liblinear, one-vs-rest for more than two classes. With
// balanced weights each class c weighs n/(C·n_c); as in liblinear's one-vs-rest, positives of the sub-problem for c
// get C·w_c and negatives plain C (for two classes both get their own class's weight).
//
// Deviation: liblinear solves the dual by coordinate descent to tol = 1e-4 (max 1000 passes); here the strictly
// convex two-parameter primal is solved by Newton's method with the generalised Hessian to gradient < 1e-10, i.e.
// to the exact optimum liblinear approximates.
type LinearSVC1D struct {
	C        float64 // default 0.01 (SAP)
	Balanced bool
}

// SVCModel is a fitted one-feature linear SVM: decision_c(x) = W[c]·x + B[c].
type SVCModel struct {
	Labels Labels
	W, B   []float64 // one per class, or a single entry (positive class = Classes[1]) for two classes
}

// Fit trains on the single feature x and labels y.
func (s LinearSVC1D) Fit(x []float64, y []int) (*SVCModel, error) {
	if err := checkXY(x, len(x), 1, y); err != nil {
		return nil, fmt.Errorf("linear SVM: %w", err)
	}
	if s.C <= 0 {
		s.C = 0.01
	}
	n := len(x)
	labels := NewLabels(y)
	nc := len(labels.Classes)
	m := &SVCModel{Labels: labels}
	if nc == 1 {
		return m, nil
	}
	yi := labels.Encode(y)
	cw := make([]float64, nc)
	for c := range cw {
		cw[c] = 1
	}
	if s.Balanced {
		cnt := make([]float64, nc)
		for _, v := range yi {
			cnt[v]++
		}
		for c := range cw {
			cw[c] = float64(n) / (float64(nc) * cnt[c])
		}
	}
	sign := make([]float64, n)
	cost := make([]float64, n)
	solve := func(pos int, binary bool) (float64, float64) {
		for i, v := range yi {
			if v == pos {
				sign[i], cost[i] = 1, s.C*cw[v]
			} else {
				sign[i], cost[i] = -1, s.C
				if binary {
					cost[i] = s.C * cw[v]
				}
			}
		}
		return newtonSqHinge(x, sign, cost)
	}
	if nc == 2 {
		w, b := solve(1, true)
		m.W, m.B = []float64{w}, []float64{b}
		return m, nil
	}
	m.W, m.B = make([]float64, nc), make([]float64, nc)
	for c := 0; c < nc; c++ {
		m.W[c], m.B[c] = solve(c, false)
	}
	return m, nil
}

// newtonSqHinge minimises ½(w²+b²) + Σ cost_i·max(0, 1 − y_i(w·x_i + b))².
func newtonSqHinge(x, y, cost []float64) (w, b float64) {
	obj := func(w, b float64) float64 {
		f := 0.5 * (w*w + b*b)
		for i, xi := range x {
			if m := 1 - y[i]*(w*xi+b); m > 0 {
				f += cost[i] * m * m
			}
		}
		return f
	}
	f := obj(w, b)
	for it := 0; it < 200; it++ {
		gw, gb := w, b
		hww, hwb, hbb := 1.0, 0.0, 1.0
		for i, xi := range x {
			m := 1 - y[i]*(w*xi+b)
			if m <= 0 {
				continue
			}
			c2 := 2 * cost[i]
			gw -= c2 * m * y[i] * xi
			gb -= c2 * m * y[i]
			hww += c2 * xi * xi
			hwb += c2 * xi
			hbb += c2
		}
		if math.Abs(gw) < 1e-10 && math.Abs(gb) < 1e-10 {
			break
		}
		det := hww*hbb - hwb*hwb
		dw := -(hbb*gw - hwb*gb) / det
		db := -(-hwb*gw + hww*gb) / det
		// Armijo backtracking on the piecewise-quadratic objective.
		step, dec := 1.0, gw*dw+gb*db
		var nf float64
		for k := 0; k < 50; k++ {
			nf = obj(w+step*dw, b+step*db)
			if nf <= f+1e-4*step*dec {
				break
			}
			step /= 2
		}
		w, b = w+step*dw, b+step*db
		if f-nf <= 1e-15*math.Max(1, math.Abs(f)) {
			f = nf
			break
		}
		f = nf
	}
	return w, b
}

// Predict returns the label with the largest decision value for each x.
func (m *SVCModel) Predict(x []float64) []int {
	out := make([]int, len(x))
	nc := len(m.Labels.Classes)
	for i, v := range x {
		switch nc {
		case 1:
			out[i] = m.Labels.Classes[0]
		case 2:
			if m.W[0]*v+m.B[0] > 0 {
				out[i] = m.Labels.Classes[1]
			} else {
				out[i] = m.Labels.Classes[0]
			}
		default:
			best := 0
			for c := 1; c < nc; c++ {
				if m.W[c]*v+m.B[c] > m.W[best]*v+m.B[best] {
					best = c
				}
			}
			out[i] = m.Labels.Classes[best]
		}
	}
	return out
}
