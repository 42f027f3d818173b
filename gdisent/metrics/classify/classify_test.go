package classify

import (
	"math"
	"math/rand/v2"
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
	a, _ := GBT{}.Fit(x, 2000, 3, y)
	b, _ := GBT{MaxBins: 4000}.Fit(x, 2000, 3, y)
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
