package data_test

import (
	"math"
	"testing"

	"github.com/gdisent/gdisent/data"
)

// TestRingCoverageDefinition pins Ring.Evaluate to the mode-collapse measures of Srivastava et al. 2017 (VEEGAN,
// arXiv:1705.07761), used for the 2D ring of Metz et al. 2017: a sample is high quality when within three
// standard deviations of its nearest mode, and a mode is captured when it is the nearest mode of at least one
// high-quality sample.
func TestRingCoverageDefinition(t *testing.T) {
	g := data.NewRing()
	at := func(mode int, dist, angle float64) (float32, float32) {
		x, y := g.Mode(mode)
		return float32(x + dist*math.Cos(angle)), float32(y + dist*math.Sin(angle))
	}
	var pts []float32
	add := func(mode int, sigmas, angle float64) {
		x, y := at(mode, sigmas*g.Std, angle)
		pts = append(pts, x, y)
	}
	add(0, 2.9, 0.3)  // high quality, mode 0
	add(0, 0.5, 2.0)  // high quality, mode 0
	add(3, 3.1, 1.0)  // just outside 3σ: low quality, mode 3 not captured by it
	add(5, 2.99, 4.0) // high quality, mode 5
	add(6, 40, 1.5)   // far away (0.8 from mode 6, still nearest to it): low quality
	s := g.Evaluate(pts)
	if s.N != 5 {
		t.Fatalf("N = %d, want 5", s.N)
	}
	want := []int{2, 0, 0, 0, 0, 1, 0, 0}
	for m, c := range s.Counts {
		if c != want[m] {
			t.Errorf("mode %d: %d high-quality samples, want %d (counts %v)", m, c, want[m], s.Counts)
		}
	}
	if s.ModesCovered != 2 {
		t.Errorf("%d modes covered, want 2 (modes 0 and 5)", s.ModesCovered)
	}
	if math.Abs(s.HighQuality-0.6) > 1e-12 {
		t.Errorf("high-quality fraction %v, want 3/5", s.HighQuality)
	}
	// KL(p ‖ uniform) of p = (2/3, 1/3) over the 8 modes.
	if kl := 2.0/3*math.Log(2.0/3*8) + 1.0/3*math.Log(1.0/3*8); math.Abs(s.KL-kl) > 1e-12 {
		t.Errorf("KL %v, want %v", s.KL, kl)
	}
	modes, hq := g.Assign(pts)
	if modes[4] != 6 || hq[4] {
		t.Errorf("far point: mode %d, high quality %v; want mode 6, low quality", modes[4], hq[4])
	}
}
