package metrics

import (
	"fmt"
	"sort"
)

// Point is one evaluation of a Tracker.
type Point struct {
	Step   int                `json:"step"`
	Values map[string]float64 `json:"values"` // Result.Scores() keys
}

// Series is one metric's curve: X = steps, Y = values (for the plots package).
type Series struct {
	Name string
	X, Y []float64
}

// Tracker is a training callback that evaluates chosen metrics every Every steps. It depends on no training
// package: call Maybe(step) from the loop. Every evaluation uses the same Config (hence the same seed and the same
// ground-truth draws), so curves show the model's change, not sampling noise.
type Tracker struct {
	Names   []string
	Every   int
	Encoder func() Encoder // called at each evaluation, to snapshot the current model
	Source  FactorSource
	Config  Config
	History []Point
}

// NewTracker checks its arguments and returns a Tracker.
func NewTracker(names []string, every int, enc func() Encoder, src FactorSource, cfg Config) (*Tracker, error) {
	if every <= 0 {
		return nil, fmt.Errorf("metrics: tracker interval %d must be positive", every)
	}
	if enc == nil {
		return nil, fmt.Errorf("metrics: tracker needs an encoder factory")
	}
	if _, err := sourceInfo(src); err != nil {
		return nil, err
	}
	n, err := checkNames(names, AllMetrics)
	if err != nil {
		return nil, err
	}
	return &Tracker{Names: n, Every: every, Encoder: enc, Source: src, Config: cfg}, nil
}

// Maybe evaluates when step is a multiple of Every, appends the scores to History and returns them with true.
func (t *Tracker) Maybe(step int) (map[string]float64, bool, error) {
	if t.Every <= 0 {
		return nil, false, fmt.Errorf("metrics: tracker interval %d must be positive (use NewTracker)", t.Every)
	}
	if t.Encoder == nil {
		return nil, false, fmt.Errorf("metrics: tracker needs an encoder factory (use NewTracker)")
	}
	if step%t.Every != 0 {
		return nil, false, nil
	}
	r, err := Evaluate(t.Encoder(), t.Source, t.Names, t.Config)
	if err != nil {
		return nil, false, fmt.Errorf("metrics: tracker at step %d: %w", step, err)
	}
	v := r.Scores()
	t.History = append(t.History, Point{Step: step, Values: v})
	return v, true, nil
}

// Series returns one curve per score name, sorted by name.
func (t *Tracker) Series() []Series {
	idx := map[string]int{}
	var out []Series
	for _, p := range t.History {
		keys := make([]string, 0, len(p.Values))
		for k := range p.Values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			i, ok := idx[k]
			if !ok {
				i = len(out)
				idx[k] = i
				out = append(out, Series{Name: k})
			}
			out[i].X = append(out[i].X, float64(p.Step))
			out[i].Y = append(out[i].Y, p.Values[k])
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}
