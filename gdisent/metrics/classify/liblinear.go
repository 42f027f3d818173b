package classify

import (
	"fmt"
	"math"
)

// LiblinearLogReg is scikit-learn ≤ 0.21's LogisticRegression() default, the classifier behind the published
// BetaVAE-metric and Explicitness numbers (disentanglement_lib, InfoGAN-CR): liblinear's L2-regularised logistic
// regression (Fan et al. 2008, "LIBLINEAR: a library for large linear classification"), one-vs-rest, C = 1, with
// the intercept learnt as the weight of an extra constant feature (intercept_scaling = 1) and therefore penalised
// like the other weights. For each class c (only the second class when there are two) it minimises
//
//	½‖w‖² + ½b² + C Σ_i log(1 + exp(−y_i (w·x_i + b))),  y_i = +1 if label_i = c else −1.
//
// Probabilities are sklearn's one-vs-rest ones: σ(z_c) normalised over classes (σ(z) and 1 − σ(z) for two).
//
// Deviation: liblinear minimises by trust-region Newton and stops at ‖∇f‖ ≤ 10⁻⁴·max(min(#pos, #neg), 1)/n ·
// ‖∇f(0)‖; here Newton's method with the exact Hessian, a Cholesky solve and Armijo backtracking runs until
// ‖∇f‖ ≤ Tol·‖∇f(0)‖ (Tol = 10⁻⁸ by default), i.e. to the optimum that liblinear approximates.
type LiblinearLogReg struct {
	C       float64 // inverse regularisation strength (default 1)
	Tol     float64 // relative gradient-norm tolerance (default 1e-8)
	MaxIter int     // Newton iterations per class (default 100)
}

// Fit trains on x (n×d, row-major) and labels y.
func (lr LiblinearLogReg) Fit(x []float64, n, d int, y []int) (*LogRegModel, error) {
	if err := checkXY(x, n, d, y); err != nil {
		return nil, fmt.Errorf("logistic regression (liblinear): %w", err)
	}
	if lr.C <= 0 {
		lr.C = 1
	}
	if lr.Tol <= 0 {
		lr.Tol = 1e-8
	}
	if lr.MaxIter <= 0 {
		lr.MaxIter = 100
	}
	labels := NewLabels(y)
	nc := len(labels.Classes)
	m := &LogRegModel{Labels: labels, D: d, OvR: true}
	if nc == 1 {
		return m, nil
	}
	yi := labels.Encode(y)
	s := newLogisticSolver(x, n, d)
	pos := []int{1}
	if nc > 2 {
		pos = make([]int, nc)
		for c := range pos {
			pos[c] = c
		}
	}
	sign := make([]float64, n)
	for _, c := range pos {
		for i, v := range yi {
			sign[i] = -1
			if v == c {
				sign[i] = 1
			}
		}
		w := make([]float64, d+1)
		s.solve(sign, lr.C, true, w, lr.Tol, lr.MaxIter)
		m.W = append(m.W, w)
	}
	return m, nil
}

// logisticSolver minimises f(w) = ½ wᵀPw + C Σ_i log(1 + exp(−y_i x̃_i·w)) over w ∈ R^{d+1}, with x̃ = (x, 1) and
// P = diag(1, …, 1, penBias), by Newton's method. The buffers are reused across calls.
type logisticSolver struct {
	x          []float64
	n, d       int
	z, zt, sig []float64
	g, step, h []float64
	wt         []float64
}

func newLogisticSolver(x []float64, n, d int) *logisticSolver {
	p := d + 1
	return &logisticSolver{x: x, n: n, d: d, z: make([]float64, n), zt: make([]float64, n), sig: make([]float64, n),
		g: make([]float64, p), step: make([]float64, p), h: make([]float64, p*p), wt: make([]float64, p)}
}

// margins sets z_i = x̃_i·w.
func (s *logisticSolver) margins(w, z []float64) {
	d := s.d
	for i := 0; i < s.n; i++ {
		xi := s.x[i*d : (i+1)*d]
		v := w[d]
		for j, xv := range xi {
			v += w[j] * xv
		}
		z[i] = v
	}
}

func (s *logisticSolver) objective(w, z, y []float64, C float64, penBias bool) float64 {
	f := 0.0
	for i, zi := range z {
		f += softplus(-y[i] * zi)
	}
	f *= C
	reg := 0.0
	for j := 0; j < s.d; j++ {
		reg += w[j] * w[j]
	}
	if penBias {
		reg += w[s.d] * w[s.d]
	}
	return f + 0.5*reg
}

// gradient fills s.g at w (with s.z = margins of w) and returns ‖g‖₂; it leaves σ(z_i) in s.sig.
func (s *logisticSolver) gradient(w, y []float64, C float64, penBias bool) float64 {
	d := s.d
	g := s.g
	clear(g)
	for i, zi := range s.z {
		p := sigmoid(zi)
		s.sig[i] = p
		// d/dz softplus(−y z) = −y σ(−y z) = (p − t) with t = (y+1)/2.
		r := C * (p - (y[i]+1)/2)
		xi := s.x[i*d : (i+1)*d]
		for j, xv := range xi {
			g[j] += r * xv
		}
		g[d] += r
	}
	for j := 0; j < d; j++ {
		g[j] += w[j]
	}
	if penBias {
		g[d] += w[d]
	}
	return math.Sqrt(dot(g, g))
}

// hessian fills s.h = P + C X̃ᵀ diag(σ(1−σ)) X̃ (upper and lower triangles).
func (s *logisticSolver) hessian(C float64, penBias bool) {
	d, p := s.d, s.d+1
	h := s.h
	clear(h)
	for i := 0; i < s.n; i++ {
		q := s.sig[i]
		a := C * q * (1 - q)
		if a == 0 {
			continue
		}
		xi := s.x[i*d : (i+1)*d]
		for j := 0; j < d; j++ {
			axj := a * xi[j]
			row := h[j*p : j*p+p]
			for k := j; k < d; k++ {
				row[k] += axj * xi[k]
			}
			row[d] += axj
		}
		h[d*p+d] += a
	}
	for j := 0; j < d; j++ {
		h[j*p+j]++
	}
	if penBias {
		h[d*p+d]++
	}
	for j := 0; j < p; j++ {
		for k := 0; k < j; k++ {
			h[j*p+k] = h[k*p+j]
		}
	}
}

// solve runs Newton's method from w (overwritten with the result) until ‖∇f‖ ≤ tol·‖∇f(0)‖ or maxIter iterations;
// it returns the number of iterations.
func (s *logisticSolver) solve(y []float64, C float64, penBias bool, w []float64, tol float64, maxIter int) int {
	p := s.d + 1
	// ‖∇f(0)‖: at w = 0 every σ is ½.
	zero := s.wt
	clear(zero)
	s.margins(zero, s.z)
	g0 := s.gradient(zero, y, C, penBias)
	s.margins(w, s.z)
	f := s.objective(w, s.z, y, C, penBias)
	for it := 0; it < maxIter; it++ {
		gn := s.gradient(w, y, C, penBias)
		if gn <= tol*g0 || gn == 0 {
			return it
		}
		s.hessian(C, penBias)
		for j := range s.step {
			s.step[j] = -s.g[j]
		}
		choleskySolve(s.h, p, s.step)
		// Armijo backtracking along the Newton step.
		dec := dot(s.g, s.step)
		if dec >= 0 { // not a descent direction (numerical breakdown): fall back to steepest descent
			for j := range s.step {
				s.step[j] = -s.g[j]
			}
			dec = -gn * gn
		}
		t := 1.0
		var nf float64
		for k := 0; k < 60; k++ {
			for j := range w {
				s.wt[j] = w[j] + t*s.step[j]
			}
			s.margins(s.wt, s.zt)
			nf = s.objective(s.wt, s.zt, y, C, penBias)
			if nf <= f+1e-4*t*dec {
				break
			}
			t /= 2
		}
		if nf > f { // no decrease possible at machine precision: w is optimal to rounding
			return it
		}
		copy(w, s.wt)
		s.z, s.zt = s.zt, s.z
		f = nf
	}
	return maxIter
}

// choleskySolve solves A·x = b in place (b becomes x) for the symmetric positive definite p×p matrix a (which it
// overwrites with its Cholesky factor). A non-positive pivot (rounding on a near-singular A) is lifted to a tiny
// ridge, so the result is still a descent direction.
func choleskySolve(a []float64, p int, b []float64) {
	for j := 0; j < p; j++ {
		s := a[j*p+j]
		for k := 0; k < j; k++ {
			s -= a[j*p+k] * a[j*p+k]
		}
		if s <= 1e-12*math.Max(1, math.Abs(a[j*p+j])) {
			s = 1e-12 * math.Max(1, math.Abs(a[j*p+j]))
		}
		l := math.Sqrt(s)
		a[j*p+j] = l
		for i := j + 1; i < p; i++ {
			t := a[i*p+j]
			for k := 0; k < j; k++ {
				t -= a[i*p+k] * a[j*p+k]
			}
			a[i*p+j] = t / l
		}
	}
	for i := 0; i < p; i++ { // L y = b
		t := b[i]
		for k := 0; k < i; k++ {
			t -= a[i*p+k] * b[k]
		}
		b[i] = t / a[i*p+i]
	}
	for i := p - 1; i >= 0; i-- { // Lᵀ x = y
		t := b[i]
		for k := i + 1; k < p; k++ {
			t -= a[k*p+i] * b[k]
		}
		b[i] = t / a[i*p+i]
	}
}
