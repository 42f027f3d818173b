package training

import (
	"sort"
	"sync"
)

// Series is one named metric over training: Values[i] was recorded at Steps[i].
type Series struct {
	Name   string
	Steps  []int64
	Values []float64
}

// History holds named series (step → value). It is safe for concurrent use, so a notebook cell can plot it while
// training runs.
type History struct {
	mu     sync.Mutex
	series map[string]*Series
	order  []string
}

// NewHistory returns an empty History.
func NewHistory() *History { return &History{series: map[string]*Series{}} }

// Add records the metrics at step.
func (h *History) Add(step int64, m Metrics) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, name := range m.Names() {
		h.addLocked(name, step, m[name])
	}
}

// AddValue records one value.
func (h *History) AddValue(name string, step int64, value float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addLocked(name, step, value)
}

func (h *History) addLocked(name string, step int64, value float64) {
	if h.series == nil {
		h.series = map[string]*Series{}
	}
	s := h.series[name]
	if s == nil {
		s = &Series{Name: name}
		h.series[name] = s
		h.order = append(h.order, name)
	}
	s.Steps = append(s.Steps, step)
	s.Values = append(s.Values, value)
}

// Names returns the series names in the order they first appeared.
func (h *History) Names() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.order...)
}

// Get returns a copy of the named series (ok is false if there is none).
func (h *History) Get(name string) (s Series, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.series[name]
	if p == nil {
		return Series{Name: name}, false
	}
	return Series{Name: name, Steps: append([]int64(nil), p.Steps...), Values: append([]float64(nil), p.Values...)}, true
}

// All returns copies of every series, in first-appearance order.
func (h *History) All() []Series {
	names := h.Names()
	out := make([]Series, 0, len(names))
	for _, n := range names {
		s, _ := h.Get(n)
		out = append(out, s)
	}
	return out
}

// Last returns the latest value of the named series.
func (h *History) Last(name string) (step int64, value float64, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.series[name]
	if p == nil || len(p.Values) == 0 {
		return 0, 0, false
	}
	return p.Steps[len(p.Steps)-1], p.Values[len(p.Values)-1], true
}

// Len returns the number of values in the named series.
func (h *History) Len(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p := h.series[name]; p != nil {
		return len(p.Values)
	}
	return 0
}

// Smoothed returns the named series averaged over consecutive windows of `window` points (window <= 1: a copy).
func (h *History) Smoothed(name string, window int) Series {
	s, _ := h.Get(name)
	if window <= 1 || len(s.Values) == 0 {
		return s
	}
	out := Series{Name: s.Name}
	for i := 0; i < len(s.Values); i += window {
		j := min(i+window, len(s.Values))
		sum := 0.0
		for _, v := range s.Values[i:j] {
			sum += v
		}
		out.Steps = append(out.Steps, s.Steps[j-1])
		out.Values = append(out.Values, sum/float64(j-i))
	}
	return out
}

// truncate drops every value recorded after a checkpoint at step (used when resuming from it).
func (h *History) truncate(step int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.series {
		// Step metrics of a checkpoint at `step` end at step−1; values Every hooks recorded after the last step
		// carry the step count itself and are kept.
		n := sort.Search(len(s.Steps), func(i int) bool { return s.Steps[i] > step })
		s.Steps, s.Values = s.Steps[:n], s.Values[:n]
	}
}

// replace sets h's content to a copy of the given series.
func (h *History) replace(all []Series) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.series = map[string]*Series{}
	h.order = nil
	for _, s := range all {
		c := s
		h.series[s.Name] = &c
		h.order = append(h.order, s.Name)
	}
}

// XY returns a copy of the named series as float64 steps and values (plots.HistorySeries reads it).
func (h *History) XY(name string) (x, y []float64, ok bool) {
	s, ok := h.Get(name)
	if !ok {
		return nil, nil, false
	}
	x = make([]float64, len(s.Steps))
	for i, st := range s.Steps {
		x[i] = float64(st)
	}
	return x, append([]float64(nil), s.Values...), true
}
