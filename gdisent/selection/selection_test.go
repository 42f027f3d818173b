package selection

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gdisent/gdisent/gdisent/metrics"
)

// linearModel generates x = E·A·z (E: obs×K with orthonormal columns, A: K×K orthogonal) and encodes
// z' = Aᵀ·Eᵀ·x, an exact inverse. Two such models see each other's codes through A_iᵀ·A_j.
type linearModel struct {
	E   [][]float64 // obs × K
	A   [][]float64 // K × K
	obs int
}

func (m linearModel) LatentDim() int { return len(m.A) }

func (m linearModel) Generate(z []float32, n int) ([]float32, error) {
	K := len(m.A)
	out := make([]float32, n*m.obs)
	for r := range n {
		az := make([]float64, K)
		for a := range K {
			for b := range K {
				az[a] += m.A[a][b] * float64(z[r*K+b])
			}
		}
		for o := range m.obs {
			s := 0.0
			for a := range K {
				s += m.E[o][a] * az[a]
			}
			out[r*m.obs+o] = float32(s)
		}
	}
	return out, nil
}

func (m linearModel) Encode(x []float32, n int) ([]float32, error) {
	K := len(m.A)
	out := make([]float32, n*K)
	for r := range n {
		ex := make([]float64, K)
		for a := range K {
			for o := range m.obs {
				ex[a] += m.E[o][a] * float64(x[r*m.obs+o])
			}
		}
		for b := range K {
			s := 0.0
			for a := range K {
				s += m.A[a][b] * ex[a]
			}
			out[r*K+b] = float32(s)
		}
	}
	return out, nil
}

// orthonormal returns an n×k matrix with orthonormal columns (Gram–Schmidt on Gaussian columns).
func orthonormal(rng *rand.Rand, n, k int) [][]float64 {
	cols := make([][]float64, k)
	for c := range cols {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		for _, u := range cols[:c] {
			dot := 0.0
			for i := range v {
				dot += v[i] * u[i]
			}
			for i := range v {
				v[i] -= dot * u[i]
			}
		}
		norm := 0.0
		for _, x := range v {
			norm += x * x
		}
		for i := range v {
			v[i] /= math.Sqrt(norm)
		}
		cols[c] = v
	}
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, k)
		for c := range k {
			m[i][c] = cols[c][i]
		}
	}
	return m
}

// signedPerm returns the K×K matrix mapping z to sign·z[perm].
func signedPerm(perm []int, signs []float64) [][]float64 {
	K := len(perm)
	m := make([][]float64, K)
	for a := range m {
		m[a] = make([]float64, K)
		m[a][perm[a]] = signs[a]
	}
	return m
}

// planeRotation rotates dims (a, b) by θ and leaves the rest.
func planeRotation(K int, theta float64, a, b int) [][]float64 {
	m := signedPerm(identityPerm(K), ones(K))
	c, s := math.Cos(theta), math.Sin(theta)
	m[a][a], m[a][b], m[b][a], m[b][b] = c, -s, s, c
	return m
}

func identityPerm(K int) []int {
	p := make([]int, K)
	for i := range p {
		p[i] = i
	}
	return p
}

func ones(K int) []float64 {
	o := make([]float64, K)
	for i := range o {
		o[i] = 1
	}
	return o
}

// syntheticPool: models 0–3 are signed permutations of the ground truth (the identity-like cluster, which the
// FactorVAE metric cannot tell apart), models 4 and 5 mix two codes by a 45° rotation in the plane (0, 1) resp.
// (2, 3) — each fixed code then leaves two dims equally quiet, so half of those votes go astray — and model 6
// mixes both planes.
func syntheticPool() []Model {
	const K, obs = 4, 8
	rng := rand.New(rand.NewPCG(1, 2))
	E := orthonormal(rng, obs, K)
	both := planeRotation(K, math.Pi/4, 0, 1)
	r23 := planeRotation(K, math.Pi/4, 2, 3)
	both[2][2], both[2][3], both[3][2], both[3][3] = r23[2][2], r23[2][3], r23[3][2], r23[3][3]
	return []Model{
		linearModel{E, signedPerm([]int{0, 1, 2, 3}, []float64{1, 1, 1, 1}), obs},
		linearModel{E, signedPerm([]int{1, 0, 3, 2}, []float64{-1, 1, 1, 1}), obs},
		linearModel{E, signedPerm([]int{3, 2, 1, 0}, []float64{1, -1, 1, -1}), obs},
		linearModel{E, signedPerm([]int{2, 3, 0, 1}, []float64{1, 1, -1, 1}), obs},
		linearModel{E, planeRotation(K, math.Pi/4, 0, 1), obs},
		linearModel{E, r23, obs},
		linearModel{E, both, obs},
	}
}

func quickMetric() *metrics.Config {
	c := metrics.InfoGANCRConfig()
	c.NumGroups, c.GroupSize, c.NumVariance = 200, 50, 2000
	return &c
}

func TestModelCentralitySyntheticPool(t *testing.T) {
	pool := syntheticPool()
	r, err := ModelCentrality(pool, CentralityConfig{Metric: quickMetric()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pool {
		t.Logf("model %d: score %.3f  C row %.2f", i, r.Scores[i], r.C[i])
	}
	// Every model decodes its own data perfectly; the cluster decodes each other's perfectly.
	for i := range 4 {
		for j := range 4 {
			if r.C[i][j] < 0.99 {
				t.Errorf("C[%d][%d] = %.3f, want 1 (signed permutations of each other)", i, j, r.C[i][j])
			}
		}
	}
	for i := range pool {
		if r.C[i][i] < 0.99 {
			t.Errorf("C[%d][%d] = %.3f, want 1 (own data)", i, i, r.C[i][i])
		}
	}
	if r.Best > 3 {
		t.Errorf("best = %d, want one of the identity-like cluster 0–3", r.Best)
	}
	for _, c := range []int{0, 1, 2, 3} {
		for _, h := range []int{4, 5} {
			if r.Scores[c] <= r.Scores[h] {
				t.Errorf("cluster model %d (%.3f) should outrank the half-mixed model %d (%.3f)", c, r.Scores[c], h, r.Scores[h])
			}
			if r.Scores[h] <= r.Scores[6] {
				t.Errorf("half-mixed model %d (%.3f) should outrank the fully mixed model 6 (%.3f)", h, r.Scores[h], r.Scores[6])
			}
		}
	}
	checkCentralityInvariants(t, r)
}

func checkCentralityInvariants(t *testing.T, r CentralityResult) {
	t.Helper()
	m := len(r.C)
	for i := range m {
		for j := range m {
			if r.D[i][j] != r.D[j][i] {
				t.Errorf("D not symmetric at (%d, %d): %v vs %v", i, j, r.D[i][j], r.D[j][i])
			}
		}
	}
	for k := 1; k < m; k++ {
		if r.Scores[r.Ranking[k-1]] < r.Scores[r.Ranking[k]] {
			t.Errorf("ranking not descending at %d", k)
		}
	}
	if r.Best != r.Ranking[0] {
		t.Errorf("best %d != ranking[0] %d", r.Best, r.Ranking[0])
	}
}

func TestCentralityFromMatrixProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const m = 6
	C := make([][]float64, m)
	for i := range C {
		C[i] = make([]float64, m)
		for j := range C[i] {
			C[i][j] = rng.Float64()
		}
	}
	r, err := CentralityFromMatrix(C)
	if err != nil {
		t.Fatal(err)
	}
	checkCentralityInvariants(t, r)
	// Hand-computed score of model 0.
	want := 0.0
	for j := 1; j < m; j++ {
		want += (C[0][j] + C[j][0]) / 2
	}
	if got := r.Scores[0]; math.Abs(got-want/(m-1)) > 1e-12 {
		t.Errorf("score 0 = %v, want %v", got, want/(m-1))
	}
	// The diagonal does not matter.
	C2 := cloneMatrix(C)
	for i := range C2 {
		C2[i][i] = 100
	}
	r2, _ := CentralityFromMatrix(C2)
	if !slices.Equal(r.Scores, r2.Scores) {
		t.Errorf("scores changed with the diagonal: %v vs %v", r.Scores, r2.Scores)
	}
	// Relabelling the models permutes the scores; transposing C changes nothing.
	perm := rng.Perm(m)
	Cp := make([][]float64, m)
	for i := range Cp {
		Cp[i] = make([]float64, m)
		for j := range Cp[i] {
			Cp[i][j] = C[perm[i]][perm[j]]
		}
	}
	rp, _ := CentralityFromMatrix(Cp)
	for i := range m {
		if math.Abs(rp.Scores[i]-r.Scores[perm[i]]) > 1e-12 {
			t.Errorf("permuted score %d = %v, want %v", i, rp.Scores[i], r.Scores[perm[i]])
		}
	}
	if perm[rp.Best] != r.Best {
		t.Errorf("permuted best %d maps to %d, want %d", rp.Best, perm[rp.Best], r.Best)
	}
	Ct := make([][]float64, m)
	for i := range Ct {
		Ct[i] = make([]float64, m)
		for j := range Ct[i] {
			Ct[i][j] = C[j][i]
		}
	}
	rt, _ := CentralityFromMatrix(Ct)
	for i := range m {
		if math.Abs(rt.Scores[i]-r.Scores[i]) > 1e-12 {
			t.Errorf("transposed score %d = %v, want %v", i, rt.Scores[i], r.Scores[i])
		}
	}
	// Errors, not panics.
	if _, err := CentralityFromMatrix([][]float64{{1}}); err == nil {
		t.Error("one model: want an error")
	}
	if _, err := CentralityFromMatrix([][]float64{{1, 2}, {1}}); err == nil {
		t.Error("ragged matrix: want an error")
	}
	if _, err := CentralityFromMatrix([][]float64{{1, math.NaN()}, {1, 1}}); err == nil {
		t.Error("NaN: want an error")
	}
	if _, err := ModelCentrality([]Model{syntheticPool()[0]}, CentralityConfig{}); err == nil {
		t.Error("one model: want an error")
	}
}

func cloneMatrix(C [][]float64) [][]float64 {
	out := make([][]float64, len(C))
	for i := range C {
		out[i] = slices.Clone(C[i])
	}
	return out
}

// nuisanceModel wraps a linear model with extra nuisance latents that Generate ignores.
type nuisanceModel struct {
	linearModel
	extra int
}

func (m nuisanceModel) LatentDim() int  { return len(m.A) + m.extra }
func (m nuisanceModel) CodeDims() []int { return identityPerm(len(m.A)) }
func (m nuisanceModel) LatentQuantile(d int, p float64) float64 {
	return UniformPrior{Lo: -1, Hi: 1}.Quantile(d, p)
}
func (m nuisanceModel) Generate(z []float32, n int) ([]float32, error) {
	K, L := len(m.A), m.LatentDim()
	codes := make([]float32, 0, n*K)
	for r := range n {
		codes = append(codes, z[r*L:r*L+K]...)
	}
	return m.linearModel.Generate(codes, n)
}

func TestModelCentralityCodesAndPrior(t *testing.T) {
	pool := syntheticPool()
	a := nuisanceModel{pool[0].(linearModel), 3}
	b := nuisanceModel{pool[1].(linearModel), 3}
	r, err := ModelCentrality([]Model{a, b, pool[6]}, CentralityConfig{Metric: quickMetric()})
	if err != nil {
		t.Fatal(err)
	}
	if r.C[0][1] < 0.99 || r.C[1][0] < 0.99 {
		t.Errorf("C = %v: nuisance dims should not disturb matched codes", r.C)
	}
	if r.Best == 2 {
		t.Errorf("rotated model picked: %v", r.Scores)
	}
}

// factorial returns the full factorial design of k factors with `levels` equally spaced, centred levels
// (levels^k rows): the factors are exactly uncorrelated, in value and in rank, so equivalent representations
// score exactly 1 (Spearman) or 1 − α (Lasso).
func factorial(levels, k int) ([]float64, int) {
	n := 1
	for range k {
		n *= levels
	}
	v := make([]float64, n*k)
	for r := range n {
		c := r
		for f := range k {
			v[r*k+f] = float64(c%levels) - float64(levels-1)/2
			c /= levels
		}
	}
	return v, n
}

func transform(v []float64, n, k int, A [][]float64, f func(float64) float64) Representation {
	out := make([]float64, n*len(A))
	for r := range n {
		for a := range A {
			s := 0.0
			for b := range k {
				s += A[a][b] * v[r*k+b]
			}
			if f != nil {
				s = f(s)
			}
			out[r*len(A)+a] = s
		}
	}
	return Representation{Codes: out, N: n, D: len(A)}
}

func TestUDREquivalentModels(t *testing.T) {
	const k = 4
	v, n := factorial(6, k)
	a := transform(v, n, k, signedPerm([]int{0, 1, 2, 3}, ones(k)), nil)
	b := transform(v, n, k, signedPerm([]int{2, 0, 3, 1}, []float64{-1, 1, -1, 1}), nil)
	c := transform(v, n, k, signedPerm([]int{3, 1, 0, 2}, ones(k)), math.Tanh) // monotone per dim
	rot := transform(v, n, k, orthonormal(rand.New(rand.NewPCG(5, 5)), k, k), nil)
	for _, tc := range []struct {
		method UDRMethod
		want   float64
	}{{UDRSpearman, 1}, {UDRLasso, 0.9}} {
		r, err := UDR([]Representation{a, b}, UDRConfig{Method: tc.method})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.Pairwise[0][1]-tc.want) > 0.01 || math.Abs(r.Pairwise[1][0]-tc.want) > 0.01 {
			t.Errorf("%v: signed permutation pair UDR = %v, want %v", tc.method, r.Pairwise, tc.want)
		}
		rr, err := UDR([]Representation{a, rot}, UDRConfig{Method: tc.method})
		if err != nil {
			t.Fatal(err)
		}
		if rr.Pairwise[0][1] > tc.want-0.1 {
			t.Errorf("%v: rotated pair UDR = %.3f, want clearly below %v", tc.method, rr.Pairwise[0][1], tc.want)
		}
		t.Logf("%v: permuted %.3f, rotated %.3f", tc.method, r.Pairwise[0][1], rr.Pairwise[0][1])
	}
	r, _ := UDR([]Representation{a, c}, UDRConfig{Method: UDRSpearman})
	if math.Abs(r.Pairwise[0][1]-1) > 1e-9 {
		t.Errorf("Spearman UDR under a monotone map = %v, want 1", r.Pairwise[0][1])
	}
}

func TestUDRMaskAndRanking(t *testing.T) {
	const k = 4
	v, n := factorial(6, k)
	rng := rand.New(rand.NewPCG(7, 7))
	// Cluster: signed permutations, one with two extra collapsed latents (KL ~ 0, small noise).
	var pool []Representation
	for p := range 3 {
		perm := rng.Perm(k)
		signs := ones(k)
		signs[p] = -1
		pool = append(pool, transform(v, n, k, signedPerm(perm, signs), nil))
	}
	wide := transform(v, n, k, signedPerm([]int{1, 2, 3, 0}, ones(k)), nil)
	codes := make([]float64, 0, n*(k+2))
	for r := range n {
		codes = append(codes, wide.Codes[r*k:(r+1)*k]...)
		codes = append(codes, 0.001*rng.NormFloat64(), 0.001*rng.NormFloat64())
	}
	pool = append(pool, Representation{Codes: codes, N: n, D: k + 2, KL: []float64{2, 2, 2, 2, 0.001, 0.002}})
	for range 2 {
		pool = append(pool, transform(v, n, k, orthonormal(rng, k, k), nil))
	}
	for _, method := range []UDRMethod{UDRLasso, UDRSpearman} {
		r, err := UDR(pool, UDRConfig{Method: method})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v scores %.3f", method, r.Scores)
		if r.Best > 3 {
			t.Errorf("%v: best = %d, want a member of the permutation cluster", method, r.Best)
		}
		for c := range 4 {
			for _, o := range []int{4, 5} {
				if r.Scores[c] <= r.Scores[o] {
					t.Errorf("%v: cluster model %d (%.3f) should outrank rotated %d (%.3f)", method, c, r.Scores[c], o, r.Scores[o])
				}
			}
		}
		if r.Active[3][4] || r.Active[3][5] || !r.Active[3][0] {
			t.Errorf("%v: mask of the wide model = %v", method, r.Active[3])
		}
		for k := 1; k < len(pool); k++ {
			if r.Scores[r.Ranking[k-1]] < r.Scores[r.Ranking[k]] {
				t.Errorf("ranking not descending")
			}
		}
		// The wide model's collapsed latents are masked out: it scores like the other cluster members.
		if math.Abs(r.Pairwise[0][3]-r.Pairwise[0][1]) > 0.02 {
			t.Errorf("%v: UDR with the wide model %.3f, with a plain one %.3f", method, r.Pairwise[0][3], r.Pairwise[0][1])
		}
	}
	// Errors.
	if _, err := UDR(pool[:1], UDRConfig{}); err == nil {
		t.Error("one model: want an error")
	}
	bad := pool[1]
	bad.N = 10
	if _, err := UDR([]Representation{pool[0], bad}, UDRConfig{}); err == nil {
		t.Error("mismatched N: want an error")
	}
}

func TestSpearman(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	for _, tc := range []struct {
		y    []float64
		want float64
	}{
		{[]float64{10, 20, 30, 40, 50}, 1},
		{[]float64{5, 4, 3, 2, 1}, -1},
		{[]float64{1, 1, 1, 1, 1}, 0},
		{[]float64{2, 1, 4, 3, 5}, 0.8},    // d² = 1+1+1+1 = 4 → 1 − 6·4/120
		{[]float64{1, 2, 2, 4, 5}, 0.9747}, // ties averaged (scipy: 0.97467943)
	} {
		got, err := Spearman(x, tc.y)
		if err != nil || math.Abs(got-tc.want) > 1e-4 {
			t.Errorf("Spearman(%v) = %v, %v; want %v", tc.y, got, err, tc.want)
		}
	}
	if _, err := Spearman(x, x[:3]); err == nil {
		t.Error("length mismatch: want an error")
	}
}
