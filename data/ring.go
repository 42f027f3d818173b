package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Ring is the 2D mixture of K equally weighted Gaussians with standard deviation Std whose means are evenly
// spaced on a circle of radius Radius (the first at angle 0): the toy set of Metz et al. 2017 (Unrolled GANs) for
// studying mode collapse.
type Ring struct {
	K      int
	Radius float64
	Std    float64
}

// NewRing returns the usual ring: 8 modes, radius 2, std 0.02.
func NewRing() Ring { return Ring{K: 8, Radius: 2, Std: 0.02} }

func (g Ring) validate() error {
	if g.K < 1 || !(g.Radius >= 0) || !(g.Std > 0) {
		return fmt.Errorf("ring: invalid parameters K=%d radius=%v std=%v (want K ≥ 1, radius ≥ 0, std > 0)",
			g.K, g.Radius, g.Std)
	}
	return nil
}

// Mode returns the centre of mode i.
func (g Ring) Mode(i int) (x, y float64) {
	a := 2 * math.Pi * float64(i) / float64(g.K)
	return g.Radius * math.Cos(a), g.Radius * math.Sin(a)
}

// Sample draws n points (n×2, row-major) and the mode each was drawn from.
func (g Ring) Sample(rng *rand.Rand, n int) (points []float32, modes []int, err error) {
	if err := g.validate(); err != nil {
		return nil, nil, err
	}
	if n < 0 {
		return nil, nil, fmt.Errorf("ring: sample: negative n=%d", n)
	}
	if rng == nil {
		return nil, nil, fmt.Errorf("ring: sample: nil rng")
	}
	points = make([]float32, 2*n)
	modes = make([]int, n)
	for i := range n {
		m := rng.IntN(g.K)
		x, y := g.Mode(m)
		points[2*i] = float32(x + g.Std*rng.NormFloat64())
		points[2*i+1] = float32(y + g.Std*rng.NormFloat64())
		modes[i] = m
	}
	return points, modes, nil
}

// SampleSeed is Sample with a generator seeded by seed.
func (g Ring) SampleSeed(seed uint64, n int) (points []float32, modes []int, err error) {
	return g.Sample(rand.New(rand.NewPCG(seed, 0x52494e47)), n)
}

// ImageShape is one point's shape as an observation, 1×1×2 (gdisent.Dataset).
func (g Ring) ImageShape() [3]int { return [3]int{1, 1, 2} }

// SampleImages returns n points as [n, 2] (gdisent.Dataset).
func (g Ring) SampleImages(rng *rand.Rand, n int) ([]float32, error) {
	p, _, err := g.Sample(rng, n)
	return p, err
}

// Assign maps each point (n×2, row-major) to its nearest mode and reports whether it is "high quality", i.e.
// within 3 standard deviations of that mode.
func (g Ring) Assign(points []float32) (modes []int, highQuality []bool) {
	n := len(points) / 2
	modes = make([]int, n)
	highQuality = make([]bool, n)
	for i := range n {
		px, py := float64(points[2*i]), float64(points[2*i+1])
		best, bestD := 0, math.Inf(1)
		for m := range g.K {
			x, y := g.Mode(m)
			if d := math.Hypot(px-x, py-y); d < bestD {
				best, bestD = m, d
			}
		}
		modes[i] = best
		highQuality[i] = bestD <= 3*g.Std
	}
	return modes, highQuality
}

// RingStats summarises generated points against the ring.
type RingStats struct {
	N            int
	Counts       []int   // high-quality points per mode
	HighQuality  float64 // fraction of points within 3σ of their nearest mode
	ModesCovered int     // modes with at least one high-quality point
	// KL is KL(p ‖ uniform) in nats, p the distribution of high-quality points over modes (0 when perfectly
	// balanced, log K when all in one mode; +Inf when there are none).
	KL float64
	// NearestKL is KL(q ‖ uniform) in nats, q the distribution of all points over their nearest modes, whatever
	// their quality: it sees collapse onto one region of the ring even when no sample is within 3σ of a mode.
	NearestKL float64
}

// Evaluate computes mode coverage and sample quality of points (n×2, row-major), as used to measure mode
// collapse on this data set. With K < 1 no point can be assigned to a mode, so every point counts as low quality.
func (g Ring) Evaluate(points []float32) RingStats {
	if g.K < 1 {
		return RingStats{N: len(points) / 2, Counts: []int{}, KL: math.Inf(1)}
	}
	modes, hq := g.Assign(points)
	s := RingStats{N: len(modes), Counts: make([]int, g.K)}
	near := make([]int, g.K)
	total := 0
	for i, m := range modes {
		near[m]++
		if hq[i] {
			s.Counts[m]++
			total++
		}
	}
	s.NearestKL = klFromUniform(near, s.N)
	if s.N > 0 {
		s.HighQuality = float64(total) / float64(s.N)
	}
	if total == 0 {
		s.KL = math.Inf(1)
		return s
	}
	for _, c := range s.Counts {
		if c > 0 {
			s.ModesCovered++
		}
	}
	s.KL = klFromUniform(s.Counts, total)
	return s
}

// klFromUniform is KL(p ‖ uniform) in nats of the distribution p = counts/total over len(counts) modes.
func klFromUniform(counts []int, total int) float64 {
	kl := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(total)
			kl += p * math.Log(p*float64(len(counts)))
		}
	}
	return kl
}
