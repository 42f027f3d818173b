package data

import (
	"math"
	"slices"
	"testing"
)

func TestRingSampler(t *testing.T) {
	g := NewRing()
	const n = 80000
	pts, modes, err := g.SampleSeed(3, n)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, g.K)
	var sx, sxx float64
	for i, m := range modes {
		counts[m]++
		x, y := g.Mode(m)
		dx := float64(pts[2*i]) - x
		dy := float64(pts[2*i+1]) - y
		sx += dx + dy
		sxx += dx*dx + dy*dy
	}
	for m, c := range counts {
		if math.Abs(float64(c)-n/8) > 5*math.Sqrt(n/8) {
			t.Errorf("mode %d drawn %d times of %d", m, c, n)
		}
	}
	if mean, std := sx/(2*n), math.Sqrt(sxx/(2*n)); math.Abs(mean) > 5e-4 || math.Abs(std-0.02) > 5e-4 {
		t.Errorf("offset mean %v std %v, want 0 and 0.02", mean, std)
	}
	if x, y := g.Mode(2); math.Abs(x) > 1e-12 || math.Abs(y-2) > 1e-12 {
		t.Errorf("mode 2 at (%v, %v), want (0, 2)", x, y)
	}
	got, _ := g.Assign(pts)
	if !slices.Equal(got, modes) {
		t.Error("nearest mode differs from the generating mode")
	}
	s := g.Evaluate(pts)
	// In 2D, P(r ≤ 3σ) = 1 − exp(−9/2) ≈ 0.9889.
	if s.ModesCovered != 8 || math.Abs(s.HighQuality-(1-math.Exp(-4.5))) > 0.003 || s.KL > 0.01 || s.NearestKL > 0.01 || s.N != n {
		t.Errorf("stats %+v", s)
	}
	again, _, _ := g.SampleSeed(3, n)
	if !slices.Equal(again, pts) {
		t.Error("same seed, different samples")
	}
}

func TestRingCollapse(t *testing.T) {
	g := NewRing()
	pts := []float32{2, 0, 2.01, 0, 1.99, 0.01, 0, 0}
	s := g.Evaluate(pts)
	if s.ModesCovered != 1 || s.Counts[0] != 3 || s.HighQuality != 0.75 || math.Abs(s.KL-math.Log(8)) > 1e-12 {
		t.Errorf("collapsed stats %+v", s)
	}
	if s := g.Evaluate([]float32{0, 0}); !math.IsInf(s.KL, 1) || s.ModesCovered != 0 {
		t.Errorf("no high-quality points: %+v", s)
	}
	// Collapsed by mode 0 but none within 3σ: only NearestKL sees it. Two regions: log 8 − log 2.
	if s := g.Evaluate([]float32{2.3, 0, 1.8, 0.1, 2.2, -0.1, 1.7, 0}); s.ModesCovered != 0 || math.Abs(s.NearestKL-math.Log(8)) > 1e-12 {
		t.Errorf("imprecise collapse: %+v", s)
	}
	if s := g.Evaluate([]float32{2.3, 0, 1.8, 0.1, -2.2, 0, -1.7, 0.1}); math.Abs(s.NearestKL-math.Log(4)) > 1e-12 {
		t.Errorf("two regions: NearestKL %v, want log 4", s.NearestKL)
	}
	if _, _, err := (Ring{K: 0, Radius: 1, Std: 1}).SampleSeed(1, 1); err == nil {
		t.Error("K=0 accepted")
	}
}
