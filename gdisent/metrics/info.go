package metrics

import (
	"math"
	"sort"
)

// Discretize bins each code into nbins equal-width bins spanning its range, exactly as disentanglement_lib's
// histogram_discretize (np.histogram edges, np.digitize on all but the last edge): bin = #{j < nbins : edge_j ≤ z}
// − 1 with edge_j = min + j·(max−min)/nbins. It returns N×D bin indices in [0, nbins).
//
// It never panics: nbins < 1 is treated as 1, and inconsistent Samples (N or D negative, or fewer than N·D codes)
// give nil.
func Discretize(s Samples, nbins int) []int {
	if s.N < 0 || s.D < 0 || (s.D > 0 && s.N > len(s.Codes)/s.D) {
		return nil // inconsistent Samples (Samples.Validate reports why)
	}
	nbins = max(nbins, 1) // fewer than one bin: every value falls in bin 0, as with one bin
	out := make([]int, s.N*s.D)
	edges := make([]float64, nbins)
	for d := 0; d < s.D; d++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := 0; i < s.N; i++ {
			v := s.Codes[i*s.D+d]
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if lo == hi { // np.histogram widens a zero range to ±0.5; all values then share a bin
			lo, hi = lo-0.5, hi+0.5
		}
		step := (hi - lo) / float64(nbins)
		for j := range edges {
			edges[j] = float64(float64(j)*step) + lo // explicit conversion: no fused multiply-add, as numpy
		}
		for i := 0; i < s.N; i++ {
			v := s.Codes[i*s.D+d]
			b := sort.Search(nbins, func(j int) bool { return edges[j] > v }) - 1
			out[i*s.D+d] = max(b, 0)
		}
	}
	return out
}

// MutualInfo is I(a; b) in nats from the contingency table of two label vectors of equal length (sklearn's
// mutual_info_score).
func MutualInfo(a, b []int) float64 {
	n := len(a)
	if n == 0 || len(b) != n {
		return 0
	}
	ai, na := dense(a)
	bi, nb := dense(b)
	table := make([]float64, na*nb)
	ca := make([]float64, na)
	cb := make([]float64, nb)
	for i := range ai {
		table[ai[i]*nb+bi[i]]++
		ca[ai[i]]++
		cb[bi[i]]++
	}
	nf := float64(n)
	mi := 0.0
	for x := 0; x < na; x++ {
		for y := 0; y < nb; y++ {
			c := table[x*nb+y]
			if c > 0 {
				mi += c / nf * (math.Log(c) + math.Log(nf) - math.Log(ca[x]) - math.Log(cb[y]))
			}
		}
	}
	return math.Max(mi, 0)
}

// Entropy is H(a) in nats (= MutualInfo(a, a)).
func Entropy(a []int) float64 {
	ai, na := dense(a)
	c := make([]float64, na)
	for _, v := range ai {
		c[v]++
	}
	nf := float64(len(a))
	h := 0.0
	for _, v := range c {
		if v > 0 {
			h -= v / nf * math.Log(v/nf)
		}
	}
	return math.Max(h, 0)
}

// dense relabels arbitrary ints to 0..m-1.
func dense(a []int) ([]int, int) {
	idx := map[int]int{}
	out := make([]int, len(a))
	for i, v := range a {
		j, ok := idx[v]
		if !ok {
			j = len(idx)
			idx[v] = j
		}
		out[i] = j
	}
	return out, len(idx)
}

// miMatrix returns the D×K mutual information between discretised codes and factors, and H(v_k).
func miMatrix(s Samples, nbins int) ([][]float64, []float64) {
	disc := Discretize(s, nbins)
	codes := make([][]int, s.D)
	for d := range codes {
		codes[d] = make([]int, s.N)
		for i := 0; i < s.N; i++ {
			codes[d][i] = disc[i*s.D+d]
		}
	}
	m := make([][]float64, s.D)
	h := make([]float64, s.K)
	facs := make([][]int, s.K)
	for k := range facs {
		facs[k] = s.factor(k)
		h[k] = Entropy(facs[k])
	}
	for d := range m {
		m[d] = make([]float64, s.K)
		for k := range facs {
			m[d][k] = MutualInfo(codes[d], facs[k])
		}
	}
	return m, h
}

// top2 returns the largest and second largest values (second = 0 when there is one value).
func top2(v []float64) (float64, float64) {
	a, b := math.Inf(-1), math.Inf(-1)
	for _, x := range v {
		if x > a {
			a, b = x, a
		} else if x > b {
			b = x
		}
	}
	if math.IsInf(b, -1) {
		b = 0
	}
	return a, b
}

func clamp01(v float64) float64 { return math.Min(math.Max(v, 0), 1) }
