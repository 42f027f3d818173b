// Package classify holds the small classifiers and regressors that the disentanglement metrics need: multinomial
// logistic regression (L-BFGS from gonum/optimize), liblinear-style one-vs-rest logistic regression with a
// penalised intercept (Newton), cross-validated logistic regression, a one-feature linear SVM (squared hinge, exact
// Newton solve), multiclass gradient-boosted trees with exact (or optional approximate histogram) splits, Lasso by
// coordinate descent, and ROC-AUC.
//
// Each model follows the corresponding scikit-learn estimator's defaults as used by disentanglement_lib; every
// deviation is stated on the type. Inputs are row-major float64 matrices (n rows × d columns) and integer labels.
// All training is deterministic.
package classify

import (
	"fmt"
	"math"
	"sort"
)

// Labels maps arbitrary integer labels to dense indices 0..C-1 in ascending label order (sklearn's classes_).
type Labels struct {
	Classes []int       // sorted distinct labels
	index   map[int]int // label → dense index
}

// NewLabels collects the distinct labels of y.
func NewLabels(y []int) Labels {
	seen := map[int]struct{}{}
	for _, v := range y {
		seen[v] = struct{}{}
	}
	cl := make([]int, 0, len(seen))
	for v := range seen {
		cl = append(cl, v)
	}
	sort.Ints(cl)
	idx := make(map[int]int, len(cl))
	for i, v := range cl {
		idx[v] = i
	}
	return Labels{Classes: cl, index: idx}
}

// Index returns the dense index of label v, or -1 if v was not seen.
func (l Labels) Index(v int) int {
	if i, ok := l.index[v]; ok {
		return i
	}
	return -1
}

// Encode returns the dense indices of y (-1 for unseen labels).
func (l Labels) Encode(y []int) []int {
	out := make([]int, len(y))
	for i, v := range y {
		out[i] = l.Index(v)
	}
	return out
}

func checkXY(x []float64, n, d int, y []int) error {
	if n <= 0 {
		return fmt.Errorf("classify: no samples (n=%d)", n)
	}
	if d <= 0 {
		return fmt.Errorf("classify: no features (d=%d)", d)
	}
	if len(x) != n*d {
		return fmt.Errorf("classify: x has %d values, want n*d=%d*%d=%d", len(x), n, d, n*d)
	}
	if y != nil && len(y) != n {
		return fmt.Errorf("classify: y has %d labels, want n=%d", len(y), n)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("classify: x[%d] (row %d, column %d) is %v", i, i/d, i%d, v)
		}
	}
	return nil
}

// Accuracy is the fraction of pred equal to y.
func Accuracy(pred, y []int) float64 {
	if len(y) == 0 {
		return 0
	}
	c := 0
	for i := range y {
		if pred[i] == y[i] {
			c++
		}
	}
	return float64(c) / float64(len(y))
}

// ROCAUC is the area under the ROC curve of scores for the binary labels pos (Mann–Whitney U with tied scores
// counted as one half, as sklearn's roc_auc_score). It returns NaN when pos has no positives or no negatives.
func ROCAUC(scores []float64, pos []bool) float64 {
	n := len(scores)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum float64
	np := 0
	for i := 0; i < n; {
		j := i
		for j < n && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		r := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for t := i; t < j; t++ {
			if pos[idx[t]] {
				rankSum += r
				np++
			}
		}
		i = j
	}
	nn := n - np
	if np == 0 || nn == 0 {
		return math.NaN()
	}
	return (rankSum - float64(np)*float64(np+1)/2) / (float64(np) * float64(nn))
}
