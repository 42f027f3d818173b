package classify

import (
	"fmt"
	"math"
	"sort"
)

// GBT configures gradient-boosted classification trees, following sklearn's GradientBoostingClassifier()
// defaults: 100 stages, depth-3 regression trees split by Friedman's MSE improvement on the loss's negative
// gradient, learning rate 0.1, log-loss (one tree per stage for two classes, one per class per stage with the
// softmax for more), initial scores from the class priors, leaves set by one Newton step
// ((C−1)/C · Σr / Σ|r|(1−|r|) for C classes), subsample 1, min_samples_leaf 1.
//
// Feature importance is each split's weighted impurity decrease n_L·n_R/n·(mean_L − mean_R)², summed over all
// trees and normalised to sum 1 (sklearn's feature_importances_).
//
// Deviation (speed): candidate thresholds come from histograms. A feature with at most MaxBins distinct values is
// split exactly as sklearn does (thresholds at midpoints between consecutive distinct values); a feature with more
// is cut at up to MaxBins−1 quantile midpoints, as sklearn's HistGradientBoosting does. Ties between equally good
// splits go to the lowest feature then the lowest threshold (sklearn draws features in random order). Nodes whose
// best split has zero improvement become leaves. Set MaxBins ≥ n for exact splitting. Measured effect on DCI
// (10,000 × 10 continuous codes, dSprites factor sizes, BenchmarkDCI10k data): 256 bins vs exact gave
// disentanglement 0.8021 vs 0.8085, completeness 0.6897 vs 0.6966, test informativeness 0.8519 vs 0.8446, in
// 3.7 s vs 19.4 s on 2 cores.
type GBT struct {
	NumTrees     int     // default 100
	MaxDepth     int     // default 3
	LearningRate float64 // default 0.1
	MaxBins      int     // default 256
}

// GBTModel is a fitted boosted ensemble.
type GBTModel struct {
	Labels      Labels
	D           int
	Init        []float64 // initial raw score per tree column
	Trees       [][]Tree  // [stage][column]; one column for two classes
	LR          float64
	Importances []float64 // normalised to sum 1 (all zero if no split was made)
	TrainPred   []int     // predictions on the training rows
}

// Tree is a binary regression tree; node 0 is the root.
type Tree struct{ Nodes []TreeNode }

// TreeNode is a split (Feature ≥ 0: x[Feature] ≤ Threshold goes Left) or a leaf (Feature = -1, Value).
type TreeNode struct {
	Feature     int
	Threshold   float64
	Left, Right int
	Value       float64
}

type gbtHist struct {
	g []float64
	c []int32
}

type gbtBuilder struct {
	n, d, maxDepth int
	bins           []uint16    // n×d bin indices
	off            []int       // bin offset of each feature in a histogram
	nb             []int       // bins per feature
	thr            [][]float64 // thresholds per feature
	total          int
	free           []*gbtHist
	rows           []int32
	r, h           []float64
	imp            []float64
}

// Fit trains on x (n×d, row-major) and labels y.
func (cfg GBT) Fit(x []float64, n, d int, y []int) (*GBTModel, error) {
	if err := checkXY(x, n, d, y); err != nil {
		return nil, fmt.Errorf("gradient boosting: %w", err)
	}
	if cfg.NumTrees <= 0 {
		cfg.NumTrees = 100
	}
	if cfg.MaxDepth <= 0 {
		cfg.MaxDepth = 3
	}
	if cfg.LearningRate <= 0 {
		cfg.LearningRate = 0.1
	}
	if cfg.MaxBins <= 1 {
		cfg.MaxBins = 256
	}
	if cfg.MaxBins > math.MaxUint16 {
		cfg.MaxBins = math.MaxUint16
	}
	labels := NewLabels(y)
	nc := len(labels.Classes)
	m := &GBTModel{Labels: labels, D: d, LR: cfg.LearningRate, Importances: make([]float64, d)}
	yi := labels.Encode(y)
	if nc == 1 {
		m.TrainPred = append([]int(nil), y...)
		return m, nil
	}
	b := newGBTBuilder(x, n, d, cfg.MaxBins, cfg.MaxDepth)
	cols := nc
	if nc == 2 {
		cols = 1
	}
	prior := make([]float64, nc)
	for _, v := range yi {
		prior[v]++
	}
	m.Init = make([]float64, cols)
	if cols == 1 {
		p := prior[1] / float64(n)
		m.Init[0] = math.Log(p / (1 - p))
	} else {
		for c := range prior {
			m.Init[c] = math.Log(prior[c] / float64(n))
		}
	}
	raw := make([]float64, n*cols)
	for i := 0; i < n; i++ {
		copy(raw[i*cols:], m.Init)
	}
	prob := make([]float64, n*cols)
	scale := 1.0
	if cols > 1 {
		scale = float64(nc-1) / float64(nc)
	}
	for s := 0; s < cfg.NumTrees; s++ {
		// Probabilities from the scores before this stage (all class trees of a stage share them).
		for i := 0; i < n; i++ {
			ri, pi := raw[i*cols:(i+1)*cols], prob[i*cols:(i+1)*cols]
			if cols == 1 {
				pi[0] = sigmoid(ri[0])
				continue
			}
			mx := math.Inf(-1)
			for _, v := range ri {
				mx = math.Max(mx, v)
			}
			t := 0.0
			for c, v := range ri {
				pi[c] = math.Exp(v - mx)
				t += pi[c]
			}
			for c := range pi {
				pi[c] /= t
			}
		}
		stage := make([]Tree, cols)
		for c := 0; c < cols; c++ {
			target := c
			if cols == 1 {
				target = 1
			}
			for i := 0; i < n; i++ {
				t := 0.0
				if yi[i] == target {
					t = 1
				}
				p := prob[i*cols+c]
				b.r[i] = t - p
				if cols == 1 {
					b.h[i] = p * (1 - p)
				} else {
					a := math.Abs(b.r[i])
					b.h[i] = a * (1 - a)
				}
			}
			stage[c] = b.tree(scale, func(rows []int32, v float64) {
				for _, i := range rows {
					raw[int(i)*cols+c] += cfg.LearningRate * v
				}
			})
		}
		m.Trees = append(m.Trees, stage)
	}
	tot := 0.0
	for _, v := range b.imp {
		tot += v
	}
	if tot > 0 {
		for f, v := range b.imp {
			m.Importances[f] = v / tot
		}
	}
	m.TrainPred = m.argmax(raw, n)
	return m, nil
}

func newGBTBuilder(x []float64, n, d, maxBins, maxDepth int) *gbtBuilder {
	b := &gbtBuilder{n: n, d: d, maxDepth: maxDepth, bins: make([]uint16, n*d), off: make([]int, d), nb: make([]int, d),
		thr: make([][]float64, d), rows: make([]int32, n), r: make([]float64, n), h: make([]float64, n), imp: make([]float64, d)}
	col := make([]float64, n)
	for f := 0; f < d; f++ {
		for i := 0; i < n; i++ {
			col[i] = x[i*d+f]
		}
		sorted := append([]float64(nil), col...)
		sort.Float64s(sorted)
		uniq := sorted[:1]
		for _, v := range sorted[1:] {
			if v != uniq[len(uniq)-1] {
				uniq = append(uniq, v)
			}
		}
		var thr []float64
		mid := func(a, c float64) float64 {
			t := a/2 + c/2
			if t >= c || t < a { // rounding: keep a ≤ t < c
				t = a
			}
			return t
		}
		if len(uniq) <= maxBins {
			for j := 0; j+1 < len(uniq); j++ {
				thr = append(thr, mid(uniq[j], uniq[j+1]))
			}
		} else {
			for q := 1; q < maxBins; q++ {
				k := q * n / maxBins
				if k <= 0 || sorted[k-1] == sorted[k] {
					continue
				}
				t := mid(sorted[k-1], sorted[k])
				if len(thr) == 0 || t > thr[len(thr)-1] {
					thr = append(thr, t)
				}
			}
		}
		b.thr[f] = thr
		b.nb[f] = len(thr) + 1
		b.off[f] = b.total
		b.total += b.nb[f]
		for i := 0; i < n; i++ {
			b.bins[i*d+f] = uint16(sort.SearchFloat64s(thr, col[i]))
		}
	}
	return b
}

func (b *gbtBuilder) getHist() *gbtHist {
	if k := len(b.free); k > 0 {
		h := b.free[k-1]
		b.free = b.free[:k-1]
		clear(h.g)
		clear(h.c)
		return h
	}
	return &gbtHist{g: make([]float64, b.total), c: make([]int32, b.total)}
}

func (b *gbtBuilder) putHist(h *gbtHist) { b.free = append(b.free, h) }

func (b *gbtBuilder) fill(h *gbtHist, rows []int32) {
	d := b.d
	for _, i := range rows {
		g := b.r[i]
		base := int(i) * d
		for f := 0; f < d; f++ {
			k := b.off[f] + int(b.bins[base+f])
			h.g[k] += g
			h.c[k]++
		}
	}
}

// tree grows one regression tree on b.r and calls leaf(rows, value) for each leaf.
func (b *gbtBuilder) tree(scale float64, leaf func(rows []int32, v float64)) Tree {
	for i := range b.rows {
		b.rows[i] = int32(i)
	}
	t := Tree{}
	var root *gbtHist
	if b.maxDepth > 0 {
		root = b.getHist()
		b.fill(root, b.rows)
	}
	b.grow(&t, b.rows, root, 0, scale, leaf)
	return t
}

func (b *gbtBuilder) grow(t *Tree, rows []int32, h *gbtHist, depth int, scale float64, leaf func([]int32, float64)) int {
	id := len(t.Nodes)
	t.Nodes = append(t.Nodes, TreeNode{Feature: -1})
	bestF, bestB, bestGain := -1, 0, 0.0
	if h != nil && len(rows) >= 2 {
		n := float64(len(rows))
		var G float64
		for k := 0; k < b.nb[0]; k++ {
			G += h.g[k]
		}
		for f := 0; f < b.d; f++ {
			o := b.off[f]
			var gl float64
			var cl int32
			for k := 0; k < b.nb[f]-1; k++ {
				if h.c[o+k] == 0 {
					continue
				}
				gl += h.g[o+k]
				cl += h.c[o+k]
				nl := float64(cl)
				nr := n - nl
				if nr <= 0 {
					break
				}
				diff := gl/nl - (G-gl)/nr
				gain := nl * nr / n * diff * diff
				if gain > bestGain {
					bestF, bestB, bestGain = f, k, gain
				}
			}
		}
	}
	if bestF < 0 {
		if h != nil {
			b.putHist(h)
		}
		var sr, sh float64
		for _, i := range rows {
			sr += b.r[i]
			sh += b.h[i]
		}
		v := 0.0
		if math.Abs(sh) >= 1e-150 {
			v = scale * sr / sh
		}
		t.Nodes[id].Value = v
		leaf(rows, v)
		return id
	}
	b.imp[bestF] += bestGain
	// Partition rows: bin ≤ bestB to the left.
	d := b.d
	lo, hi := 0, len(rows)-1
	for lo <= hi {
		if int(b.bins[int(rows[lo])*d+bestF]) <= bestB {
			lo++
		} else {
			rows[lo], rows[hi] = rows[hi], rows[lo]
			hi--
		}
	}
	left, right := rows[:lo], rows[lo:]
	var hl, hr *gbtHist
	if depth+1 < b.maxDepth {
		small, large := left, right
		if len(right) < len(left) {
			small, large = right, left
		}
		hs := b.getHist()
		b.fill(hs, small)
		for k := range h.g { // parent − small = large, reusing the parent's buffer
			h.g[k] -= hs.g[k]
			h.c[k] -= hs.c[k]
		}
		_ = large
		if len(right) < len(left) {
			hl, hr = h, hs
		} else {
			hl, hr = hs, h
		}
	} else {
		b.putHist(h)
	}
	l := b.grow(t, left, hl, depth+1, scale, leaf)
	r := b.grow(t, right, hr, depth+1, scale, leaf)
	t.Nodes[id] = TreeNode{Feature: bestF, Threshold: b.thr[bestF][bestB], Left: l, Right: r}
	return id
}

func (t *Tree) predict(x []float64) float64 {
	k := 0
	for {
		nd := &t.Nodes[k]
		if nd.Feature < 0 {
			return nd.Value
		}
		if x[nd.Feature] <= nd.Threshold {
			k = nd.Left
		} else {
			k = nd.Right
		}
	}
}

func (m *GBTModel) argmax(raw []float64, n int) []int {
	out := make([]int, n)
	cols := len(m.Init)
	for i := 0; i < n; i++ {
		if cols == 1 {
			if raw[i] > 0 {
				out[i] = m.Labels.Classes[1]
			} else {
				out[i] = m.Labels.Classes[0]
			}
			continue
		}
		best := 0
		for c := 1; c < cols; c++ {
			if raw[i*cols+c] > raw[i*cols+best] {
				best = c
			}
		}
		out[i] = m.Labels.Classes[best]
	}
	return out
}

// Predict returns the predicted label of each row of x (n×D).
func (m *GBTModel) Predict(x []float64, n int) []int {
	if len(m.Labels.Classes) == 1 {
		out := make([]int, n)
		for i := range out {
			out[i] = m.Labels.Classes[0]
		}
		return out
	}
	cols := len(m.Init)
	raw := make([]float64, n*cols)
	for i := 0; i < n; i++ {
		xi := x[i*m.D : (i+1)*m.D]
		for c := 0; c < cols; c++ {
			v := m.Init[c]
			for s := range m.Trees {
				v += m.LR * m.Trees[s][c].predict(xi)
			}
			raw[i*cols+c] = v
		}
	}
	return m.argmax(raw, n)
}
