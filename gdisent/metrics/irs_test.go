package metrics

import (
	"math"
	"testing"
)

func TestIRSHand(t *testing.T) {
	// One factor {0, 0, 1, 1}, one code {0, 1, 10, 11}: mean 5.5, largest deviation 5.5; within each factor group
	// every |z − group mean| is 0.5, so every quantile is 0.5 and IRS = 1 − 0.5/5.5 = 10/11.
	s, err := NewSamples([]float64{0, 1, 10, 11}, 4, 1, []int{0, 0, 1, 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := IRS(s, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.Score-10.0/11) > 1e-12 || r.NumActiveDims != 1 || r.Parents[0] != 0 {
		t.Errorf("IRS %+v, want score 10/11 with one active code", r)
	}
	// A constant code is dropped; a code equal to the factor is perfectly robust (IRS 1) with weight 0.5 (its
	// largest deviation): score = (5.5·10/11 + 0.5·1)/(5.5 + 0.5).
	s2, _ := NewSamples([]float64{0, 7, 0, 1, 7, 0, 10, 7, 1, 11, 7, 1}, 4, 3, []int{0, 0, 1, 1}, 1)
	r2, err := IRS(s2, Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := (5.5*10/11 + 0.5*1) / 6
	if r2.NumActiveDims != 2 || r2.ActiveDims[0] != 0 || r2.ActiveDims[1] != 2 || math.Abs(r2.Score-want) > 1e-12 {
		t.Errorf("IRS %+v, want active dims [0 2] and score %.6f", r2, want)
	}
	// All codes constant: score 0, as disentanglement_lib.
	s3, _ := NewSamples([]float64{3, 3, 3, 3}, 4, 1, []int{0, 0, 1, 1}, 1)
	if r3, err := IRS(s3, Config{}); err != nil || r3.Score != 0 || r3.NumActiveDims != 0 {
		t.Errorf("constant codes: %+v, %v", r3, err)
	}
}

func TestQuantileNumpy(t *testing.T) {
	// numpy.percentile([1, 2, 3, 4, 10], 99) = 4 + 0.96·6 = 9.76 (index 0.99·4 = 3.96).
	if q := quantile([]float64{10, 2, 4, 3, 1}, 0.99); math.Abs(q-9.76) > 1e-12 {
		t.Errorf("quantile %v, want 9.76", q)
	}
	if q := quantile([]float64{5}, 0.99); q != 5 {
		t.Errorf("quantile of one value %v", q)
	}
}

func TestIRSKnownScores(t *testing.T) {
	cfg := testConfig(DisentanglementLib)
	score := func(enc Encoder) IRSResult {
		s := arrays(enc, 3000, 21)
		r, err := IRS(s, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	id, perm, ent, rnd := score(identityEnc), score(permutedEnc), score(entangledEnc), score(randomEnc(5))
	t.Logf("IRS identity %.4f permuted %.4f entangled %.4f random %.4f", id.Score, perm.Score, ent.Score, rnd.Score)
	// Each code is constant given its factor: zero deviation, IRS 1, and the factor is the parent.
	if id.Score != 1 || perm.Score != 1 {
		t.Errorf("identity %.6f, permuted %.6f: want exactly 1", id.Score, perm.Score)
	}
	for a, p := range id.Parents {
		if p != a {
			t.Errorf("identity code %d has parent %d", a, p)
		}
	}
	// Rotated codes move when either of their factors does; random codes when nothing does. For random
	// Gaussian codes the 99th percentile of |z − E z| (≈ 2.6σ) over the largest deviation (≈ 3.6σ at n = 3000)
	// leaves IRS ≈ 0.3.
	if !(ent.Score < 0.9 && ent.Score > rnd.Score+0.1) {
		t.Errorf("entangled %.4f: want below 0.9 and above random %.4f + 0.1", ent.Score, rnd.Score)
	}
	if rnd.Score > 0.4 {
		t.Errorf("random IRS %.4f > 0.4", rnd.Score)
	}
}
