package notebook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"

	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/training"
)

// MetricsFile is the file TrackMetrics keeps in a run directory.
const MetricsFile = "metrics.json"

// TrackMetrics evaluates tr while loop trains the model of run directory dir: after every tr.Every completed
// steps (training.Loop.Every), and once now, as step 0, when dir holds no checkpoint yet (the model before
// training). Every evaluation rewrites dir/MetricsFile, so a later cell — a process of its own — reads the curve
// back with LoadMetrics, and re-running the training cell continues it like the model: points already in the file
// are loaded into tr.History first, and an evaluation at step s replaces those at steps >= s, so a run resumed from
// an older checkpoint rewrites its curve instead of duplicating it.
func TrackMetrics(loop *training.Loop, tr *metrics.Tracker, dir string) error {
	if loop == nil || tr == nil {
		return errors.New("notebook.TrackMetrics: nil loop or tracker (build the tracker with metrics.NewTracker)")
	}
	if tr.Every <= 0 {
		return errors.Errorf("notebook.TrackMetrics: tracker interval %d must be positive (use metrics.NewTracker)", tr.Every)
	}
	if dir == "" {
		return errors.New("notebook.TrackMetrics: empty run directory (use nb.RunDir)")
	}
	old, err := LoadMetrics(dir)
	if err != nil {
		return errors.WithMessage(err, "notebook.TrackMetrics")
	}
	tr.History = old
	eval := func(step int64) error {
		kept := tr.History[:0]
		for _, p := range tr.History {
			if int64(p.Step) < step {
				kept = append(kept, p)
			}
		}
		tr.History = kept
		if _, _, err := tr.Maybe(int(step)); err != nil {
			return err
		}
		return saveMetrics(dir, tr.History)
	}
	ckpts, err := training.ListCheckpoints(dir)
	if err != nil {
		return errors.WithMessage(err, "notebook.TrackMetrics")
	}
	if len(ckpts) == 0 && loop.Step() == 0 {
		if err := eval(0); err != nil {
			return errors.WithMessage(err, "notebook.TrackMetrics: step 0")
		}
	}
	loop.Every(int64(tr.Every), eval)
	return nil
}

// saveMetrics writes the points to dir/MetricsFile atomically (a temporary file renamed over it).
func saveMetrics(dir string, points []metrics.Point) error {
	b, err := json.MarshalIndent(points, "", " ")
	if err != nil {
		return errors.Wrap(err, "notebook: encoding the metric curve")
	}
	path := filepath.Join(dir, MetricsFile)
	tmp, err := os.CreateTemp(dir, ".metrics-*.tmp")
	if err != nil {
		return errors.Wrapf(err, "notebook: writing %s", path)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if werr == nil && cerr == nil {
		cerr = os.Rename(tmp.Name(), path)
	}
	if werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		return errors.Wrapf(werr, "notebook: writing %s", path)
	}
	return nil
}

// Metrics is a metric curve written by TrackMetrics: the evaluations in step order. It satisfies plots.History,
// so plots.HistorySeries(points, metrics.NameMIG) is MIG over training.
type Metrics []metrics.Point

// LoadMetrics reads the metric curve TrackMetrics keeps in run directory dir (empty when there is none yet).
func LoadMetrics(dir string) (Metrics, error) {
	path := filepath.Join(dir, MetricsFile)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrapf(err, "notebook: reading the metric curve")
	}
	var points Metrics
	if err := json.Unmarshal(b, &points); err != nil {
		return nil, errors.Wrapf(err, "notebook: %s is not a metric curve (delete it to start the curve over)", path)
	}
	sort.SliceStable(points, func(i, j int) bool { return points[i].Step < points[j].Step })
	return points, nil
}

// Names lists the metrics evaluated, sorted.
func (p Metrics) Names() []string {
	seen := map[string]bool{}
	var names []string
	for _, pt := range p {
		for k := range pt.Values {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	return names
}

// XY returns one metric's curve: steps and values.
func (p Metrics) XY(name string) (x, y []float64, ok bool) {
	for _, pt := range p {
		if v, has := pt.Values[name]; has {
			x, y = append(x, float64(pt.Step)), append(y, v)
		}
	}
	return x, y, len(x) > 0
}

// Last returns the latest evaluation's step and value of one metric.
func (p Metrics) Last(name string) (step int, value float64, ok bool) {
	for i := len(p) - 1; i >= 0; i-- {
		if v, has := p[i].Values[name]; has {
			return p[i].Step, v, true
		}
	}
	return 0, 0, false
}
