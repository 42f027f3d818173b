package notebook

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/plots"
)

var _ plots.History = Metrics(nil)

// pairFactors is a ground-truth source with two factors (4 and 3 classes) observed directly as 1×1×2 values.
type pairFactors struct{}

func (pairFactors) NumFactors() int    { return 2 }
func (pairFactors) FactorSizes() []int { return []int{4, 3} }
func (pairFactors) ImageShape() [3]int { return [3]int{1, 1, 2} }
func (pairFactors) Sample(rng *rand.Rand, n int) []int {
	c := make([]int, 2*n)
	for i := range n {
		c[2*i], c[2*i+1] = rng.IntN(4), rng.IntN(3)
	}
	return c
}
func (pairFactors) Observe(classes []int, n int) ([]float32, error) {
	x := make([]float32, 2*n)
	for i := range x {
		x[i] = float32(classes[i])
	}
	return x, nil
}

// learner is an encoder that "learns" with the training steps: at step s its first code mixes the two factors
// with weight min(s, 8)/8 on factor 0, so the MIG of the codes changes as training goes on.
func learner(step func() int64) gdisent.Encoder {
	return gdisent.EncoderFunc(func(x []float32, n int) ([]float32, error) {
		w := float32(min(step(), 8)) / 8
		out := make([]float32, 2*n)
		for i := range n {
			out[2*i] = w*x[2*i] + (1-w)*x[2*i+1]
			out[2*i+1] = 0.5 * x[2*i+1]
		}
		return out, nil
	})
}

func trackConfig() metrics.Config {
	c := metrics.DefaultConfig()
	c.NumTrain, c.NumTest = 400, 200
	return c
}

// newTrackedLoop returns a loop whose steps do nothing but count, checkpointing into dir every 4 steps, with a MIG
// tracker every 2 steps attached by TrackMetrics.
func newTrackedLoop(t *testing.T, dir string) (*training.Loop, *metrics.Tracker) {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	loop := training.NewLoop(b, context.New(), func(int64, *rand.Rand) (training.Metrics, error) {
		return training.Metrics{"loss": 1}, nil
	}).Checkpoints(dir, 4, 0).Reporter(training.Silent())
	tr, err := metrics.NewTracker([]string{metrics.NameMIG}, 2, func() metrics.Encoder { return learner(loop.Step) },
		pairFactors{}, trackConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := TrackMetrics(loop, tr, dir); err != nil {
		t.Fatal(err)
	}
	return loop, tr
}

// migAt is the MIG of the learner at step s, evaluated directly.
func migAt(t *testing.T, s int64) float64 {
	t.Helper()
	r, err := metrics.Evaluate(learner(func() int64 { return s }), pairFactors{}, []string{metrics.NameMIG}, trackConfig())
	if err != nil {
		t.Fatal(err)
	}
	return r.Scores()[metrics.NameMIG]
}

func steps(p Metrics) []int {
	var s []int
	for _, pt := range p {
		s = append(s, pt.Step)
	}
	return s
}

func TestTrackMetricsResumes(t *testing.T) {
	dir := t.TempDir()
	loop, _ := newTrackedLoop(t, dir)
	if err := loop.RunTo(6); err != nil {
		t.Fatal(err)
	}
	got, err := LoadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps(got), []int{0, 2, 4, 6}) {
		t.Fatalf("evaluated at steps %v, want 0 (before training), 2, 4, 6", steps(got))
	}
	for _, pt := range got {
		if want := migAt(t, int64(pt.Step)); pt.Values[metrics.NameMIG] != want {
			t.Errorf("step %d: MIG %v, want %v", pt.Step, pt.Values[metrics.NameMIG], want)
		}
	}
	if got[0].Values[metrics.NameMIG] == got[3].Values[metrics.NameMIG] {
		t.Errorf("MIG did not change with training: %v", got)
	}

	// The run stops and resumes from its checkpoint at step 4 (the one at 6 is lost): the evaluation at 6 is
	// redone and replaces the old one instead of repeating it; there is no second step-0 evaluation.
	ckpts, err := training.ListCheckpoints(dir)
	if err != nil || len(ckpts) != 2 {
		t.Fatalf("checkpoints %v, %v; want steps 4 and 6", ckpts, err)
	}
	if err := os.Remove(ckpts[1]); err != nil {
		t.Fatal(err)
	}
	loop2, tr2 := newTrackedLoop(t, dir)
	if len(tr2.History) != 4 {
		t.Fatalf("resumed tracker holds %d points, want the 4 on disk", len(tr2.History))
	}
	if ok, err := loop2.Restore(); !ok || err != nil || loop2.Step() != 4 {
		t.Fatalf("restore: %v %v at step %d", ok, err, loop2.Step())
	}
	if err := loop2.RunTo(8); err != nil {
		t.Fatal(err)
	}
	got, err = LoadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps(got), []int{0, 2, 4, 6, 8}) {
		t.Fatalf("after resuming: steps %v, want 0, 2, 4, 6, 8", steps(got))
	}
	x, y, ok := got.XY(metrics.NameMIG)
	if !ok || len(x) != 5 || x[4] != 8 || y[4] != migAt(t, 8) {
		t.Errorf("XY: %v %v %v", x, y, ok)
	}
	if s, v, ok := got.Last(metrics.NameMIG); !ok || s != 8 || v != y[4] {
		t.Errorf("Last: %d %v %v", s, v, ok)
	}
	if names := got.Names(); !slices.Equal(names, []string{metrics.NameMIG}) {
		t.Errorf("Names %v", names)
	}
	if s := plots.HistorySeries(got, metrics.NameMIG); len(s) != 1 || len(s[0].Y) != 5 {
		t.Errorf("HistorySeries %+v", s)
	}
}

func TestTrackMetricsErrors(t *testing.T) {
	dir := t.TempDir()
	if m, err := LoadMetrics(dir); err != nil || len(m) != 0 {
		t.Errorf("no file: %v, %v; want an empty curve", m, err)
	}
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	loop := training.NewLoop(b, context.New(), nil)
	tr, err := metrics.NewTracker([]string{metrics.NameMIG}, 2, func() metrics.Encoder { return learner(loop.Step) },
		pairFactors{}, trackConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, MetricsFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"nil tracker", TrackMetrics(loop, nil, dir), "nil loop or tracker"},
		{"no dir", TrackMetrics(loop, tr, ""), "nb.RunDir"},
		{"bad interval", TrackMetrics(loop, &metrics.Tracker{}, dir), "interval"},
		{"corrupt file", TrackMetrics(loop, tr, dir), "delete it"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, c.err, c.want)
		}
	}
}
