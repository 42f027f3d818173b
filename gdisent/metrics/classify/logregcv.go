package classify

import (
	"fmt"
	"math"
)

// LogRegCV is sklearn's LogisticRegressionCV(Cs=10, cv=KFold(n_splits=5)), the logistic-regression predictor of
// disentanglement_lib's downstream task: for each candidate C of logspace(−4, 4, 10) it trains on four of five
// contiguous, unshuffled folds and scores accuracy on the fifth, picks the C with the highest summed fold accuracy
// (the smallest on ties), and refits on all rows with it. The intercept is not penalised (solver lbfgs).
//
// With Multinomial false (sklearn ≤ 0.21, whose multi_class default was one-vs-rest, as in the published studies)
// each class c (only the second of two) gets its own binary model and its own C, scored by the binary accuracy of
// "c vs rest"; prediction is the class with the largest decision value. With Multinomial true (sklearn ≥ 0.22) one
// softmax model (LogReg) is cross-validated by its multiclass accuracy.
//
// Deviation: the binary models are solved to ‖∇f‖ ≤ Tol·‖∇f(0)‖ by Newton's method (warm-started along the C path,
// as sklearn does); sklearn's L-BFGS stops at max_iter = 100 iterations or a 10⁻⁴ gradient, which on nearly
// separable data at the largest Cs can leave it short of the optimum. A factor with a single class in the training
// rows predicts that class (sklearn refuses to fit).
type LogRegCV struct {
	Cs          []float64 // default logspace(−4, 4, 10)
	Folds       int       // default 5
	Multinomial bool
	Tol         float64 // binary Newton tolerance (default 1e-8); multinomial: LogReg's default
	MaxIter     int     // Newton (binary) or L-BFGS (multinomial) iterations (default 100)
}

// LogRegCVModel is a cross-validated logistic regression: the refitted model and the C chosen for each of its rows.
type LogRegCVModel struct {
	*LogRegModel
	C []float64
}

// DefaultCs is logspace(−4, 4, 10), sklearn's Cs=10.
func DefaultCs() []float64 {
	cs := make([]float64, 10)
	for i := range cs {
		cs[i] = math.Pow(10, -4+8*float64(i)/9)
	}
	return cs
}

// Fit cross-validates and trains on x (n×d, row-major) and labels y.
func (cv LogRegCV) Fit(x []float64, n, d int, y []int) (*LogRegCVModel, error) {
	if err := checkXY(x, n, d, y); err != nil {
		return nil, fmt.Errorf("logistic regression CV: %w", err)
	}
	if len(cv.Cs) == 0 {
		cv.Cs = DefaultCs()
	}
	for _, c := range cv.Cs {
		if !(c > 0) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("logistic regression CV: C = %v must be positive and finite", c)
		}
	}
	if cv.Folds <= 0 {
		cv.Folds = 5
	}
	if cv.MaxIter <= 0 {
		cv.MaxIter = 100
	}
	if cv.Tol <= 0 {
		cv.Tol = 1e-8
	}
	if n < cv.Folds {
		return nil, fmt.Errorf("logistic regression CV: %d rows cannot make %d folds", n, cv.Folds)
	}
	labels := NewLabels(y)
	nc := len(labels.Classes)
	if nc == 1 {
		return &LogRegCVModel{LogRegModel: &LogRegModel{Labels: labels, D: d, OvR: !cv.Multinomial}}, nil
	}
	folds := kFolds(n, cv.Folds)
	if cv.Multinomial {
		return cv.fitMultinomial(x, n, d, y, labels, folds)
	}
	yi := labels.Encode(y)
	// Per fold: the training rows as their own matrix and solver, and the test range.
	type fold struct {
		x      []float64
		rows   []int // training row indices into x
		lo, hi int   // test rows [lo, hi)
		s      *logisticSolver
	}
	fs := make([]fold, len(folds))
	for f, t := range folds {
		rows := make([]int, 0, n-(t[1]-t[0]))
		xf := make([]float64, 0, (n-(t[1]-t[0]))*d)
		for i := 0; i < n; i++ {
			if i < t[0] || i >= t[1] {
				rows = append(rows, i)
				xf = append(xf, x[i*d:(i+1)*d]...)
			}
		}
		fs[f] = fold{x: xf, rows: rows, lo: t[0], hi: t[1], s: newLogisticSolver(xf, len(rows), d)}
	}
	m := &LogRegCVModel{LogRegModel: &LogRegModel{Labels: labels, D: d, OvR: true}}
	full := newLogisticSolver(x, n, d)
	sign := make([]float64, n)
	for _, c := range ovrClasses(nc) {
		ovrSigns(sign, yi, c)
		score := make([]float64, len(cv.Cs))
		coefs := make([][][]float64, len(fs)) // [fold][C] weights
		for f, fd := range fs {
			ys := make([]float64, len(fd.rows))
			for j, i := range fd.rows {
				ys[j] = sign[i]
			}
			w := make([]float64, d+1)
			coefs[f] = make([][]float64, len(cv.Cs))
			g0 := fd.s.zeroGradNorm(ys)
			for k, C := range cv.Cs {
				fd.s.solve(ys, C, false, w, cv.Tol, C*g0, cv.MaxIter)
				coefs[f][k] = append([]float64(nil), w...)
				hit := 0
				for i := fd.lo; i < fd.hi; i++ {
					z := w[d]
					for j, v := range x[i*d : (i+1)*d] {
						z += w[j] * v
					}
					if (z > 0) == (sign[i] > 0) {
						hit++
					}
				}
				score[k] += float64(hit) / float64(fd.hi-fd.lo)
			}
		}
		best := 0
		for k := range score {
			if score[k] > score[best] {
				best = k
			}
		}
		w := make([]float64, d+1)
		for f := range fs {
			for j := range w {
				w[j] += coefs[f][best][j] / float64(len(fs))
			}
		}
		full.solve(sign, cv.Cs[best], false, w, cv.Tol, cv.Cs[best]*full.zeroGradNorm(sign), cv.MaxIter)
		m.W = append(m.W, w)
		m.C = append(m.C, cv.Cs[best])
	}
	return m, nil
}

func (cv LogRegCV) fitMultinomial(x []float64, n, d int, y []int, labels Labels, folds [][2]int) (*LogRegCVModel, error) {
	score := make([]float64, len(cv.Cs))
	for _, t := range folds {
		var xf []float64
		var yf []int
		for i := 0; i < n; i++ {
			if i < t[0] || i >= t[1] {
				xf = append(xf, x[i*d:(i+1)*d]...)
				yf = append(yf, y[i])
			}
		}
		for k, C := range cv.Cs {
			mf, err := LogReg{C: C, MaxIter: cv.MaxIter}.Fit(xf, len(yf), d, yf)
			if err != nil {
				return nil, fmt.Errorf("logistic regression CV: %w", err)
			}
			score[k] += Accuracy(mf.Predict(x[t[0]*d:t[1]*d], t[1]-t[0]), y[t[0]:t[1]])
		}
	}
	best := 0
	for k := range score {
		if score[k] > score[best] {
			best = k
		}
	}
	m, err := LogReg{C: cv.Cs[best], MaxIter: cv.MaxIter}.Fit(x, n, d, y)
	if err != nil {
		return nil, fmt.Errorf("logistic regression CV: %w", err)
	}
	m.Labels = labels
	return &LogRegCVModel{LogRegModel: m, C: []float64{cv.Cs[best]}}, nil
}

// kFolds returns sklearn KFold(k)'s contiguous test ranges: the first n mod k folds have one extra row.
func kFolds(n, k int) [][2]int {
	out := make([][2]int, k)
	at := 0
	for f := 0; f < k; f++ {
		size := n / k
		if f < n%k {
			size++
		}
		out[f] = [2]int{at, at + size}
		at += size
	}
	return out
}
