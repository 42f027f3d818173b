package metrics

import (
	"fmt"
	"math"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// DownstreamPredictor selects the downstream task's classifier.
type DownstreamPredictor int

const (
	// DownstreamLogReg is disentanglement_lib's logistic_regression_cv: LogisticRegressionCV(Cs=10,
	// cv=KFold(5)) (classify.LogRegCV; one-vs-rest as sklearn ≤ 0.21 unless Config.LogReg is LogRegLBFGS).
	DownstreamLogReg DownstreamPredictor = iota
	// DownstreamGBT is disentanglement_lib's gradient_boosting_classifier: GradientBoostingClassifier()
	// (classify.GBT with Config.GBT).
	DownstreamGBT
)

// String returns "logreg" or "gbt".
func (p DownstreamPredictor) String() string {
	switch p {
	case DownstreamLogReg:
		return "logreg"
	case DownstreamGBT:
		return "gbt"
	}
	return fmt.Sprintf("DownstreamPredictor(%d)", int(p))
}

// DownstreamResult is the downstream task score (Locatello et al. 2019, "Challenging common assumptions in the
// unsupervised learning of disentangled representations", section 4.2): how well each factor can be predicted
// from the codes, for several training-set sizes.
type DownstreamResult struct {
	Predictor string           `json:"predictor"`
	Sizes     []DownstreamSize `json:"sizes"`
}

// DownstreamSize holds the accuracies of one training-set size.
type DownstreamSize struct {
	NumTrain          int       `json:"num_train"`
	MeanTrainAccuracy float64   `json:"mean_train_accuracy"`
	MeanTestAccuracy  float64   `json:"mean_test_accuracy"`
	MinTrainAccuracy  float64   `json:"min_train_accuracy"`
	MinTestAccuracy   float64   `json:"min_test_accuracy"`
	TrainAccuracy     []float64 `json:"train_accuracy"` // per factor
	TestAccuracy      []float64 `json:"test_accuracy"`  // per factor
}

// Downstream trains one classifier per factor on the codes for each size in cfg.DownstreamSizes (10, 100, 1,000,
// 10,000) and reports its train and test accuracy (test: all rows of test, disentanglement_lib: 5,000). Each size
// trains on the first rows of train; sizes larger than train.N are left out (an error if all are).
// disentanglement_lib draws fresh points for each size; the distribution is the same.
func Downstream(train, test Samples, p DownstreamPredictor, cfg Config) (DownstreamResult, error) {
	cfg = cfg.withDefaults()
	if err := checkPair(train, test); err != nil {
		return DownstreamResult{}, fmt.Errorf("downstream task: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return DownstreamResult{}, fmt.Errorf("downstream task: %w", err)
	}
	if p != DownstreamLogReg && p != DownstreamGBT {
		return DownstreamResult{}, fmt.Errorf("downstream task: unknown predictor %d", int(p))
	}
	r := DownstreamResult{Predictor: p.String()}
	var sizes []int
	for _, n := range cfg.DownstreamSizes {
		if n <= train.N {
			sizes = append(sizes, n)
		}
	}
	if len(sizes) == 0 {
		return r, fmt.Errorf("downstream task: %d training rows, fewer than every size in %v (lower "+
			"Config.DownstreamSizes or pass more samples)", train.N, cfg.DownstreamSizes)
	}
	K := train.K
	for _, n := range sizes {
		sub := train.rows(seq(n))
		tr, te := make([]float64, K), make([]float64, K)
		err := parallel(K, cfg.Workers, func(k int) error {
			ytr := sub.factor(k)
			var predTr, predTe []int
			switch p {
			case DownstreamGBT:
				m, err := cfg.gbt(streamDownstream, k).Fit(sub.Codes, n, sub.D, ytr)
				if err != nil {
					return fmt.Errorf("downstream task (%d rows): factor %d: %w", n, k, err)
				}
				predTr, predTe = m.TrainPred, m.Predict(test.Codes, test.N)
			default:
				m, err := classify.LogRegCV{Multinomial: cfg.LogReg == LogRegLBFGS}.Fit(sub.Codes, n, sub.D, ytr)
				if err != nil {
					return fmt.Errorf("downstream task (%d rows): factor %d: %w", n, k, err)
				}
				predTr, predTe = m.Predict(sub.Codes, n), m.Predict(test.Codes, test.N)
			}
			tr[k] = classify.Accuracy(predTr, ytr)
			te[k] = classify.Accuracy(predTe, test.factor(k))
			return nil
		})
		if err != nil {
			return r, err
		}
		sz := DownstreamSize{NumTrain: n, TrainAccuracy: tr, TestAccuracy: te, MinTrainAccuracy: math.Inf(1),
			MinTestAccuracy: math.Inf(1)}
		for k := 0; k < K; k++ {
			sz.MeanTrainAccuracy += tr[k] / float64(K)
			sz.MeanTestAccuracy += te[k] / float64(K)
			sz.MinTrainAccuracy = math.Min(sz.MinTrainAccuracy, tr[k])
			sz.MinTestAccuracy = math.Min(sz.MinTestAccuracy, te[k])
		}
		r.Sizes = append(r.Sizes, sz)
	}
	return r, nil
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
