package metrics

import (
	"fmt"
	"math"
)

// HistoryPrefix prefixes the names under which Tracker.Record stores scores, e.g. "metric/mig".
const HistoryPrefix = "metric/"

// ValueRecorder stores one named value at a step; training.History is one.
type ValueRecorder interface {
	AddValue(name string, step int64, value float64)
}

// Record returns a hook for a training loop, to pass as training.Loop.Every(int64(t.Every), hook): the loop calls
// it with the number of steps completed, and it evaluates the tracker there (Maybe) and stores every score in h
// as HistoryPrefix+name at the index of the last completed step (steps − 1), where the loop logged that step's
// losses. Metric curves thus live in the model's history: checkpoints keep them, and a resumed run continues them.
func (t *Tracker) Record(h ValueRecorder) func(steps int64) error {
	return func(steps int64) error {
		if h == nil {
			return fmt.Errorf("metrics: Tracker.Record needs a history to record into")
		}
		v, ok, err := t.Maybe(int(steps))
		if err != nil || !ok {
			return err
		}
		for name, x := range v {
			h.AddValue(HistoryPrefix+name, steps-1, x)
		}
		return nil
	}
}

// EvaluateLabelled scores enc against labels known for a fixed set of observations, where no FactorSource can
// render new ones (real data such as MNIST with its digit labels): images holds n observations (flat, row-major)
// and labels their classes, n×k row-major (k labelled factors; k = 1 for a digit label). Only the array metrics
// apply (names from ArrayMetrics; nil means all of them). The observations are encoded in batches of
// cfg.EncodeBatch, then scored as RunArrays does.
func EvaluateLabelled(enc Encoder, images []float32, n int, labels []int, k int, names []string, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	switch {
	case enc == nil:
		return Result{}, fmt.Errorf("metrics.EvaluateLabelled: nil Encoder")
	case n < 2 || len(images)%n != 0 || len(images) == 0:
		return Result{}, fmt.Errorf("metrics.EvaluateLabelled: %d values is not n = %d (>= 2) whole observations", len(images), n)
	case k < 1 || len(labels) != n*k:
		return Result{}, fmt.Errorf("metrics.EvaluateLabelled: %d labels for %d observations of k = %d factors (want n×k)",
			len(labels), n, k)
	}
	size := len(images) / n
	var codes []float64
	d := -1
	for s := 0; s < n; s += cfg.EncodeBatch {
		m := min(cfg.EncodeBatch, n-s)
		z, err := enc.Encode(images[s*size:(s+m)*size], m)
		if err != nil {
			return Result{}, fmt.Errorf("metrics.EvaluateLabelled: encoding rows %d..%d: %w", s, s+m, err)
		}
		if len(z) == 0 || len(z)%m != 0 || (d > 0 && len(z) != m*d) {
			return Result{}, fmt.Errorf("metrics.EvaluateLabelled: encoder returned %d values for %d observations (want n×D, D fixed)", len(z), m)
		}
		d = len(z) / m
		for i, v := range z {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return Result{}, fmt.Errorf("metrics.EvaluateLabelled: encoder returned %v at row %d, dim %d", v, s+i/d, i%d)
			}
			codes = append(codes, float64(v))
		}
	}
	r, err := RunArrays(codes, n, d, labels, k, names, cfg)
	if err != nil {
		return r, fmt.Errorf("metrics.EvaluateLabelled: %w", err)
	}
	return r, nil
}
