package metrics

import (
	"fmt"
	"math"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// ExplicitnessResult is Ridgeway & Mozer's (2018) explicitness: mean over factors of the one-vs-rest ROC-AUC
// (macro-averaged over classes) of a logistic regression predicting the factor from all codes.
type ExplicitnessResult struct {
	Train     float64   `json:"train"`
	Test      float64   `json:"test"` // the headline score
	PerFactor []float64 `json:"per_factor_test"`
}

// Explicitness fits a logistic regression (cfg.LogReg: by default sklearn ≤ 0.21's liblinear one-vs-rest, as in
// the published numbers; its one-vs-rest probabilities are what the ROC-AUC ranks) per factor on codes standardised
// with the train mean and std (ddof 0; a constant code keeps std 1), and scores one-vs-rest ROC-AUC on train and
// test. Classes that are absent from training, or have no positives or no negatives in a set, are left out of
// that set's macro average; factors with a single training class are left out of the mean.
func Explicitness(train, test Samples, cfg Config) (ExplicitnessResult, error) {
	cfg = cfg.withDefaults()
	if err := checkPair(train, test); err != nil {
		return ExplicitnessResult{}, fmt.Errorf("explicitness: %w", err)
	}
	xtr, xte := standardize(train, test)
	type out struct {
		tr, te float64
		ok     bool
	}
	res := make([]out, train.K)
	err := parallel(train.K, cfg.Workers, func(k int) error {
		ytr := train.factor(k)
		m, err := cfg.fitLogReg(xtr, train.N, train.D, ytr)
		if err != nil {
			return fmt.Errorf("explicitness: factor %d: %w", k, err)
		}
		if len(m.Labels.Classes) < 2 {
			return nil
		}
		tr := macroAUC(m, xtr, train.N, ytr)
		te := macroAUC(m, xte, test.N, test.factor(k))
		res[k] = out{tr, te, !math.IsNaN(tr) && !math.IsNaN(te)}
		return nil
	})
	if err != nil {
		return ExplicitnessResult{}, err
	}
	r := ExplicitnessResult{PerFactor: make([]float64, train.K)}
	used := 0
	for k, o := range res {
		if !o.ok {
			continue
		}
		r.PerFactor[k] = o.te
		r.Train += o.tr
		r.Test += o.te
		used++
	}
	if used == 0 {
		return ExplicitnessResult{}, fmt.Errorf("explicitness: no factor has two classes in both train and test")
	}
	r.Train /= float64(used)
	r.Test /= float64(used)
	return r, nil
}

func macroAUC(m *classify.LogRegModel, x []float64, n int, y []int) float64 {
	p := m.PredictProba(x, n)
	nc := len(m.Labels.Classes)
	scores := make([]float64, n)
	pos := make([]bool, n)
	sum, used := 0.0, 0
	for c, label := range m.Labels.Classes {
		for i := 0; i < n; i++ {
			scores[i] = p[i*nc+c]
			pos[i] = y[i] == label
		}
		if a := classify.ROCAUC(scores, pos); !math.IsNaN(a) {
			sum += a
			used++
		}
	}
	if used == 0 {
		return math.NaN()
	}
	return sum / float64(used)
}

// standardize returns train and test codes scaled by the train mean and std (ddof 0).
func standardize(train, test Samples) ([]float64, []float64) {
	d := train.D
	mean := make([]float64, d)
	sd := make([]float64, d)
	for i := 0; i < train.N; i++ {
		for j := 0; j < d; j++ {
			mean[j] += train.Codes[i*d+j]
		}
	}
	for j := range mean {
		mean[j] /= float64(train.N)
	}
	for i := 0; i < train.N; i++ {
		for j := 0; j < d; j++ {
			v := train.Codes[i*d+j] - mean[j]
			sd[j] += v * v
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j] / float64(train.N))
		if sd[j] == 0 {
			sd[j] = 1
		}
	}
	f := func(s Samples) []float64 {
		out := make([]float64, len(s.Codes))
		for i, v := range s.Codes {
			out[i] = (v - mean[i%d]) / sd[i%d]
		}
		return out
	}
	return f(train), f(test)
}

func checkPair(train, test Samples) error {
	if err := train.Validate(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := test.Validate(); err != nil {
		return fmt.Errorf("test: %w", err)
	}
	if train.D != test.D || train.K != test.K {
		return fmt.Errorf("train is D=%d, K=%d but test is D=%d, K=%d", train.D, train.K, test.D, test.K)
	}
	return nil
}
