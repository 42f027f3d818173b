package classify

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// blobs returns n points in d dims whose label is determined by column 0 (nc classes) plus noise columns.
func blobs(seed uint64, n, d, nc int) ([]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n*d)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		y[i] = rng.IntN(nc)
		x[i*d] = float64(y[i]) + 0.1*rng.NormFloat64()
		for j := 1; j < d; j++ {
			x[i*d+j] = rng.NormFloat64()
		}
	}
	return x, y
}

func TestROCAUC(t *testing.T) {
	// Scores 0.1(−) 0.4(+) 0.35(−) 0.8(+): pairs (+,−): 0.4>0.1, 0.4>0.35, 0.8>0.1, 0.8>0.35 → 1.
	if got := ROCAUC([]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, true, false, true}); got != 1 {
		t.Errorf("AUC = %v, want 1", got)
	}
	// sklearn example: y=[0,0,1,1], s=[0.1,0.4,0.35,0.8] → 0.75.
	if got := ROCAUC([]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}); math.Abs(got-0.75) > 1e-12 {
		t.Errorf("AUC = %v, want 0.75", got)
	}
	// All tied → 0.5.
	if got := ROCAUC([]float64{1, 1, 1}, []bool{true, false, false}); got != 0.5 {
		t.Errorf("AUC = %v, want 0.5", got)
	}
	if got := ROCAUC([]float64{1, 2}, []bool{true, true}); !math.IsNaN(got) {
		t.Errorf("AUC with no negatives = %v, want NaN", got)
	}
}

func TestLogReg(t *testing.T) {
	for _, nc := range []int{2, 4} {
		x, y := blobs(1, 600, 3, nc)
		m, err := LogReg{}.Fit(x, 600, 3, y)
		if err != nil {
			t.Fatal(err)
		}
		if acc := Accuracy(m.Predict(x, 600), y); acc < 0.95 {
			t.Errorf("%d classes: train accuracy %.3f < 0.95", nc, acc)
		}
		p := m.PredictProba(x[:3], 1)
		s := 0.0
		for _, v := range p {
			s += v
		}
		if math.Abs(s-1) > 1e-9 {
			t.Errorf("probabilities sum to %v", s)
		}
	}
	if _, err := (LogReg{}).Fit([]float64{1, math.NaN()}, 2, 1, []int{0, 1}); err == nil {
		t.Error("NaN input: want error")
	}
}

func TestLogRegOptimum(t *testing.T) {
	// Binary 1-D problem: at the optimum the gradient of mean log-loss + w²/(2Cn) vanishes.
	x := []float64{-2, -1, -0.5, 0.3, 0.2, 1, 2, 0.1}
	y := []int{0, 0, 1, 0, 1, 1, 1, 0}
	m, err := LogReg{Tol: 1e-10, MaxIter: 1000}.Fit(x, 8, 1, y)
	if err != nil {
		t.Fatal(err)
	}
	w, b := m.W[0][0], m.W[0][1]
	gw, gb := w/8, 0.0
	for i, v := range x {
		r := sigmoid(w*v+b) - float64(y[i])
		gw += r * v / 8
		gb += r / 8
	}
	if math.Abs(gw) > 1e-8 || math.Abs(gb) > 1e-8 {
		t.Errorf("gradient at solution (%g, %g), want ~0", gw, gb)
	}
}

func TestLinearSVC1D(t *testing.T) {
	x, y := blobs(2, 400, 1, 2)
	m, err := LinearSVC1D{C: 0.01, Balanced: true}.Fit(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if acc := Accuracy(m.Predict(x), y); acc < 0.95 {
		t.Errorf("binary accuracy %.3f", acc)
	}
	// KKT check: the gradient of the primal vanishes at the returned (w, b).
	w, b := m.W[0], m.B[0]
	gw, gb := w, b
	cw := map[int]float64{}
	for _, v := range y {
		cw[v]++
	}
	for i, v := range x {
		s := -1.0
		if y[i] == 1 {
			s = 1
		}
		c := 0.01 * 400 / (2 * cw[y[i]])
		if mg := 1 - s*(w*v+b); mg > 0 {
			gw -= 2 * c * mg * s * v
			gb -= 2 * c * mg * s
		}
	}
	if math.Abs(gw) > 1e-8 || math.Abs(gb) > 1e-8 {
		t.Errorf("primal gradient (%g, %g), want 0", gw, gb)
	}
}

func TestGBT(t *testing.T) {
	for _, nc := range []int{2, 5} {
		x, y := blobs(3, 1000, 4, nc)
		m, err := GBT{}.Fit(x, 1000, 4, y)
		if err != nil {
			t.Fatal(err)
		}
		if acc := Accuracy(m.TrainPred, y); acc < 0.99 {
			t.Errorf("%d classes: train accuracy %.3f", nc, acc)
		}
		if acc := Accuracy(m.Predict(x, 1000), m.TrainPred); acc != 1 {
			t.Errorf("%d classes: Predict disagrees with training scores (%.4f)", nc, acc)
		}
		if m.Importances[0] < 0.9 {
			t.Errorf("%d classes: importance of the informative feature %.3f < 0.9 (%v)", nc, m.Importances[0], m.Importances)
		}
		xt, yt := blobs(4, 500, 4, nc)
		if acc := Accuracy(m.Predict(xt, 500), yt); acc < 0.95 {
			t.Errorf("%d classes: test accuracy %.3f", nc, acc)
		}
	}
}

func TestGBTExactVsBinned(t *testing.T) {
	x, y := blobs(5, 2000, 3, 3)
	a, _ := GBT{ApproxBins: 256}.Fit(x, 2000, 3, y)
	b, _ := GBT{}.Fit(x, 2000, 3, y)
	for f := range a.Importances {
		if math.Abs(a.Importances[f]-b.Importances[f]) > 0.02 {
			t.Errorf("importance %d: binned %.4f vs exact %.4f", f, a.Importances[f], b.Importances[f])
		}
	}
}

func TestLasso(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	n, d := 500, 3
	x := make([]float64, n*d)
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x[i*d+j] = rng.NormFloat64()
		}
		y[i] = 2*x[i*d] + 1
	}
	m, err := Lasso{Alpha: 0.02}.Fit(x, n, d, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(m.Coef[0]-2) > 0.05 || math.Abs(m.Coef[1]) > 0.02 || math.Abs(m.Coef[2]) > 0.02 {
		t.Errorf("coef %v, want ≈ [1.98 0 0]", m.Coef)
	}
}

func BenchmarkGBT10k40Classes(b *testing.B) {
	x, y := blobs(7, 10000, 10, 40)
	for b.Loop() {
		if _, err := (GBT{}).Fit(x, 10000, 10, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGBT10k40ClassesApprox(b *testing.B) {
	x, y := blobs(7, 10000, 10, 40)
	for b.Loop() {
		if _, err := (GBT{ApproxBins: 256}).Fit(x, 10000, 10, y); err != nil {
			b.Fatal(err)
		}
	}
}

// liblinearProblem: one feature centred at 3 with the label set above 3.5, so the optimal intercept is large and
// negative and penalising it matters.
func liblinearProblem(n int) ([]float64, []int) {
	rng := rand.New(rand.NewPCG(8, 1))
	x := make([]float64, n)
	y := make([]int, n)
	for i := range x {
		x[i] = 3 + rng.NormFloat64()
		if x[i]+0.5*rng.NormFloat64() > 3.5 {
			y[i] = 1
		}
	}
	return x, y
}

func TestLiblinearLogRegOptimality(t *testing.T) {
	x, y := liblinearProblem(300)
	const C = 1.0
	m, err := LiblinearLogReg{C: C}.Fit(x, len(x), 1, y)
	if err != nil {
		t.Fatal(err)
	}
	if !m.OvR || len(m.W) != 1 {
		t.Fatalf("binary problem: want one one-vs-rest row, got OvR=%v rows=%d", m.OvR, len(m.W))
	}
	// Gradient of ½w² + ½b² + C Σ log(1 + exp(−s_i(w x_i + b))), s = ±1, computed independently here.
	grad := func(w, b float64, penBias bool) (float64, float64) {
		gw, gb := w, 0.0
		if penBias {
			gb = b
		}
		for i, v := range x {
			s := -1.0
			if y[i] == 1 {
				s = 1
			}
			q := -s * C / (1 + math.Exp(s*(w*v+b)))
			gw += q * v
			gb += q
		}
		return gw, gb
	}
	w, b := m.W[0][0], m.W[0][1]
	if gw, gb := grad(w, b, true); math.Hypot(gw, gb) > 1e-6 {
		t.Errorf("gradient of the penalised-bias objective at the solution (%g, %g), want ≈ 0", gw, gb)
	}
	// The unpenalised-bias optimum (LogReg: sklearn ≥ 0.22 lbfgs) is a different point: there the bias gradient
	// vanishes without the ½b² term, and the penalty pulls the liblinear bias towards zero.
	u, err := LogReg{C: C, Tol: 1e-12, MaxIter: 2000}.Fit(x, len(x), 1, y)
	if err != nil {
		t.Fatal(err)
	}
	wu, bu := u.W[0][0], u.W[0][1]
	if gw, gb := grad(wu, bu, false); math.Hypot(gw, gb) > 1e-5 {
		t.Errorf("gradient of the unpenalised objective at the lbfgs solution (%g, %g), want ≈ 0", gw, gb)
	}
	if !(bu < -5 && b > bu+0.1 && b < 0) {
		t.Errorf("penalised bias %.4f should lie between the unpenalised bias %.4f and 0", b, bu)
	}
	// Shrinking b raises the decision threshold's intercept, so w shrinks with it to keep the fit.
	if !(w > 0 && w < wu) {
		t.Errorf("penalised slope %.4f, unpenalised %.4f: want 0 < penalised < unpenalised", w, wu)
	}
	t.Logf("liblinear (w, b) = (%.5f, %.5f); unpenalised bias (w, b) = (%.5f, %.5f)", w, b, wu, bu)
}

func TestLiblinearLogRegMulticlass(t *testing.T) {
	x, y := blobs(9, 600, 3, 4)
	m, err := LiblinearLogReg{}.Fit(x, 600, 3, y)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.W) != 4 {
		t.Fatalf("%d one-vs-rest rows, want 4", len(m.W))
	}
	if acc := Accuracy(m.Predict(x, 600), y); acc < 0.9 {
		t.Errorf("train accuracy %.3f < 0.9", acc)
	}
	// One-vs-rest probabilities: σ(z_c) normalised, so rows sum to 1 and rank like the decision values.
	p := m.PredictProba(x[:3*5], 5)
	for i := 0; i < 5; i++ {
		s := 0.0
		for c := 0; c < 4; c++ {
			s += p[i*4+c]
		}
		if math.Abs(s-1) > 1e-12 {
			t.Errorf("row %d probabilities sum to %v", i, s)
		}
	}
	// Each class's row solves its own binary problem: check the gradient of class 2's objective.
	w := m.W[2]
	g := make([]float64, 4)
	copy(g, w)
	for i := 0; i < 600; i++ {
		z := w[3]
		for j := 0; j < 3; j++ {
			z += w[j] * x[i*3+j]
		}
		s := -1.0
		if y[i] == 2 {
			s = 1
		}
		q := -s / (1 + math.Exp(s*z))
		for j := 0; j < 3; j++ {
			g[j] += q * x[i*3+j]
		}
		g[3] += q
	}
	if n := math.Sqrt(g[0]*g[0] + g[1]*g[1] + g[2]*g[2] + g[3]*g[3]); n > 1e-5 {
		t.Errorf("class 2 gradient norm %g at the solution", n)
	}
	if _, err := (LiblinearLogReg{}).Fit([]float64{1, 2}, 2, 1, []int{0}); err == nil {
		t.Error("label count mismatch: want an error")
	}
}

// refTree grows a regression tree on residuals r by brute force (every feature sorted afresh at every node), with
// the exact splitter's rules: float32 features, midpoints between values more than 1e-7 apart, the best
// Friedman-MSE proxy (features visited in the order of a shuffle drawn at each searched node, in preorder, from
// the same PCG stream as GBT's; lowest threshold within a feature), leaves at depth maxDepth or for pure nodes.
func refTree(x []float64, d int, rows []int, r []float64, depth, maxDepth int, nodes *[]TreeNode, rng *rand.Rand,
	order []int) int {
	id := len(*nodes)
	*nodes = append(*nodes, TreeNode{Feature: -1})
	m := len(rows)
	var sum, sq float64
	for _, i := range rows {
		sum += r[i]
		sq += r[i] * r[i]
	}
	if depth >= maxDepth || m < 2 || sq/float64(m)-(sum/float64(m))*(sum/float64(m)) <= 2.220446049250313e-16 {
		return id
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	bestF, bestT, best := -1, 0.0, -1.0
	var bestLeft []int
	for _, f := range order {
		sorted := append([]int(nil), rows...)
		sort.SliceStable(sorted, func(a, b int) bool {
			return float32(x[sorted[a]*d+f]) < float32(x[sorted[b]*d+f])
		})
		sl := 0.0
		for j := 0; j < m-1; j++ {
			sl += r[sorted[j]]
			v0, v1 := float64(float32(x[sorted[j]*d+f])), float64(float32(x[sorted[j+1]*d+f]))
			if v1 <= v0+1e-7 {
				continue
			}
			nl, nr := float64(j+1), float64(m-j-1)
			diff := nr*sl - nl*(sum-sl)
			if p := diff * diff / (nl * nr); p > best*(1+1e-12) {
				bestF, bestT, best = f, v0/2+v1/2, p
				bestLeft = append([]int(nil), sorted[:j+1]...)
			}
		}
	}
	if bestF < 0 {
		return id
	}
	inLeft := map[int]bool{}
	for _, i := range bestLeft {
		inLeft[i] = true
	}
	var left, right []int
	for _, i := range rows {
		if inLeft[i] {
			left = append(left, i)
		} else {
			right = append(right, i)
		}
	}
	l := refTree(x, d, left, r, depth+1, maxDepth, nodes, rng, order)
	rr := refTree(x, d, right, r, depth+1, maxDepth, nodes, rng, order)
	(*nodes)[id] = TreeNode{Feature: bestF, Threshold: bestT, Left: l, Right: rr}
	return id
}

func TestGBTExactMatchesBruteForce(t *testing.T) {
	// Three classes; column 0 is coarse (many ties), column 1 continuous, column 2 a duplicate of column 1 (ties
	// between features go to the first in the node's random order), column 3 has values 1e-8 apart (not split
	// apart, as sklearn).
	rng := rand.New(rand.NewPCG(11, 1))
	n, d := 300, 4
	x := make([]float64, n*d)
	y := make([]int, n)
	for i := 0; i < n; i++ {
		y[i] = rng.IntN(3)
		x[i*d] = float64(rng.IntN(5) + y[i])
		x[i*d+1] = float64(y[i]) + rng.NormFloat64()
		x[i*d+2] = x[i*d+1]
		x[i*d+3] = 1 + 1e-8*float64(rng.IntN(3))
	}
	m, err := GBT{NumTrees: 1, Seed: 5}.Fit(x, n, d, y)
	if err != nil {
		t.Fatal(err)
	}
	prior := make([]float64, 3)
	for _, v := range y {
		prior[v] += 1 / float64(n)
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	order, rng := []int{0, 1, 2, 3}, rand.New(rand.NewPCG(5, gbtStream))
	for c := 0; c < 3; c++ {
		r := make([]float64, n)
		for i, v := range y {
			r[i] = -prior[c]
			if v == c {
				r[i]++
			}
		}
		var want []TreeNode
		refTree(x, d, rows, r, 0, 3, &want, rng, order)
		got := m.Trees[0][c].Nodes
		if len(got) != len(want) {
			t.Fatalf("class %d: %d nodes, brute force %d", c, len(got), len(want))
		}
		for k := range want {
			g, w := got[k], want[k]
			if g.Feature != w.Feature || g.Left != w.Left || g.Right != w.Right || g.Threshold != w.Threshold {
				t.Errorf("class %d node %d: got %+v, brute force %+v", c, k, g, w)
			}
		}
	}
	if m.Importances[3] != 0 {
		t.Errorf("feature 3 (values within 1e-7) has importance %v, want 0", m.Importances[3])
	}
	// The duplicated column ties with column 1 at every split: the random order gives both a share, as sklearn.
	if m.Importances[1] == 0 || m.Importances[2] == 0 {
		t.Errorf("duplicated columns' importances %v, %v: want both used", m.Importances[1], m.Importances[2])
	}
}
