package classify

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
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
	sign := make([]float64, n)
	for _, c := range ovrClasses(nc) {
		ovrSigns(sign, yi, c)
		w := make([]float64, d+1)
		s.solve(sign, lr.C, true, w, lr.Tol, lr.C*s.zeroGradNorm(sign), lr.MaxIter)
		m.W = append(m.W, w)
	}
	return m, nil
}

// logisticSolver minimises f(w) = ½ wᵀPw + C Σ_i log(1 + exp(−y_i x̃_i·w)) over w ∈ R^{d+1}, with x̃ = (x, 1) and
// P = diag(1, …, 1, penBias), by Newton's method. The buffers are reused across calls.
type logisticSolver struct {
	xT        [][]float64 // column-major design: xT[j] = feature j over the rows, xT[d] = ones (bias)
	n, d      int
	z, zt     []float64 // margins x̃_i·w at the current and the trial point
	sig, sigt []float64 // σ(z) at the current and the trial point
	et        []float64 // exp(−|z|) at the trial point
	u, r      []float64 // x̃_i·step; per-row scratch
	g, step   []float64
	h, wt     []float64
}

func newLogisticSolver(x []float64, n, d int) *logisticSolver {
	p := d + 1
	s := &logisticSolver{xT: make([][]float64, p), n: n, d: d, z: make([]float64, n), zt: make([]float64, n),
		sig: make([]float64, n), sigt: make([]float64, n), et: make([]float64, n), u: make([]float64, n),
		r: make([]float64, n), g: make([]float64, p), step: make([]float64, p), h: make([]float64, p*p),
		wt: make([]float64, p)}
	for j := range s.xT {
		s.xT[j] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			s.xT[j][i] = x[i*d+j]
		}
		s.xT[d][i] = 1
	}
	return s
}

// product sets out_i = x̃_i·v.
func (s *logisticSolver) product(v, out []float64) {
	for i := range out {
		out[i] = v[s.d]
	}
	for j := 0; j < s.d; j++ {
		floats.AddScaled(out, v[j], s.xT[j])
	}
}

// transposeProduct sets g_j = Σ_i r_i x̃_ij.
func (s *logisticSolver) transposeProduct(r, g []float64) {
	for j := range g {
		g[j] = floats.Dot(r, s.xT[j])
	}
}

// zeroGradNorm is ‖∇f(0)‖ for C = 1 (it scales with C): at w = 0 every σ is ½.
func (s *logisticSolver) zeroGradNorm(y []float64) float64 {
	for i, yi := range y {
		s.r[i] = 0.5 - (yi+1)/2
	}
	s.transposeProduct(s.r, s.g)
	return math.Sqrt(dot(s.g, s.g))
}

// loss is f at w given its margins z, with e_i = exp(−|z_i|).
func (s *logisticSolver) loss(w, z, e, y []float64, C float64, penBias bool) float64 {
	l := 0.0
	for i, zi := range z {
		// log(1 + exp(−y z)) = max(−y z, 0) + log(1 + exp(−|z|)).
		l += math.Max(-y[i]*zi, 0) + math.Log1p(e[i])
	}
	return C*l + 0.5*s.regDot(w, w, penBias)
}

// regDot is aᵀPb.
func (s *logisticSolver) regDot(a, b []float64, penBias bool) float64 {
	v := 0.0
	for j := 0; j < s.d; j++ {
		v += a[j] * b[j]
	}
	if penBias {
		v += a[s.d] * b[s.d]
	}
	return v
}

// sigmoids sets sig_i = σ(z_i) and e_i = exp(−|z_i|).
func sigmoids(z, sig, e []float64) {
	for i, zi := range z {
		ei := math.Exp(-math.Abs(zi))
		e[i] = ei
		if zi >= 0 {
			sig[i] = 1 / (1 + ei)
		} else {
			sig[i] = ei / (1 + ei)
		}
	}
}

// gradient fills s.g at w from s.sig = σ(x̃·w) and returns ‖g‖₂.
func (s *logisticSolver) gradient(w, y []float64, C float64, penBias bool) float64 {
	for i, p := range s.sig {
		// d/dz log(1 + exp(−y z)) = σ(z) − t with t = (y+1)/2.
		s.r[i] = C * (p - (y[i]+1)/2)
	}
	s.transposeProduct(s.r, s.g)
	for j := 0; j < s.d; j++ {
		s.g[j] += w[j]
	}
	if penBias {
		s.g[s.d] += w[s.d]
	}
	return math.Sqrt(dot(s.g, s.g))
}

// hessian fills s.h = P + C X̃ᵀ diag(σ(1−σ)) X̃ (both triangles), as dot products of scaled columns.
func (s *logisticSolver) hessian(C float64, penBias bool) {
	d, p := s.d, s.d+1
	h := s.h
	a := s.r
	for i, q := range s.sig {
		a[i] = C * q * (1 - q)
	}
	v := s.et // scratch: a ∘ x̃_j (et is rewritten by the line search before it is read)
	for j := 0; j < p; j++ {
		floats.MulTo(v, a, s.xT[j])
		for k := j; k < p; k++ {
			h[j*p+k] = floats.Dot(v, s.xT[k])
			h[k*p+j] = h[j*p+k]
		}
	}
	for j := 0; j < d; j++ {
		h[j*p+j]++
	}
	if penBias {
		h[d*p+d]++
	}
}

// solve runs Newton's method from w (overwritten with the result) until ‖∇f‖ ≤ tol·g0 (g0 = ‖∇f(0)‖, see
// zeroGradNorm) or maxIter iterations, and returns the number of iterations.
//
// The step length is found by backtracking from the Newton step t = 1. A trial t with φ'(t) ≤ 0 for φ(t) =
// f(w + t·step) is accepted without evaluating f: φ is convex, so t lies before the line minimum and φ(t) is
// below φ at every shorter step, in particular below the point Armijo backtracking would accept. Otherwise the
// Armijo condition φ(t) ≤ φ(0) + 10⁻⁴·t·φ'(0) decides (this needs logarithms, the rest only exponentials).
func (s *logisticSolver) solve(y []float64, C float64, penBias bool, w []float64, tol, g0 float64, maxIter int) int {
	p := s.d + 1
	s.product(w, s.z)
	sigmoids(s.z, s.sig, s.et)
	f, fValid := 0.0, false
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
		dec := dot(s.g, s.step) // φ'(0)
		if dec >= 0 {           // not a descent direction (numerical breakdown): fall back to steepest descent
			for j := range s.step {
				s.step[j] = -s.g[j]
			}
			dec = -gn * gn
		}
		s.product(s.step, s.u)
		a0, a1 := s.regDot(s.step, w, penBias), s.regDot(s.step, s.step, penBias)
		accepted := false
		for t := 1.0; t > 1e-18; t /= 2 {
			for i, zi := range s.z {
				s.zt[i] = zi + t*s.u[i]
			}
			sigmoids(s.zt, s.sigt, s.et)
			dphi := a0 + t*a1
			for i, q := range s.sigt {
				dphi += C * (q - (y[i]+1)/2) * s.u[i]
			}
			for j := range w {
				s.wt[j] = w[j] + t*s.step[j]
			}
			if dphi <= 0 {
				accepted, fValid = true, false
				break
			}
			if !fValid {
				e := s.u // scratch: exp(−|z|) at the current point (u is not needed after this trial)
				for i, zi := range s.z {
					e[i] = math.Exp(-math.Abs(zi))
				}
				f, fValid = s.loss(w, s.z, e, y, C, penBias), true
				s.product(s.step, s.u) // restore u
			}
			if ft := s.loss(s.wt, s.zt, s.et, y, C, penBias); ft <= f+1e-4*t*dec {
				accepted, f = true, ft
				break
			}
		}
		if !accepted { // no decrease possible at machine precision: w is optimal to rounding
			return it
		}
		copy(w, s.wt)
		s.z, s.zt = s.zt, s.z
		s.sig, s.sigt = s.sigt, s.sig
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

// ovrClasses lists the classes that get a one-vs-rest model: class 1 alone for two classes (liblinear fits one
// model), every class otherwise.
func ovrClasses(nc int) []int {
	if nc <= 2 {
		return []int{1}
	}
	pos := make([]int, nc)
	for c := range pos {
		pos[c] = c
	}
	return pos
}

// ovrSigns sets sign[i] to +1 where yi[i] is class c and to −1 elsewhere.
func ovrSigns(sign []float64, yi []int, c int) {
	for i, v := range yi {
		sign[i] = -1
		if v == c {
			sign[i] = 1
		}
	}
}
