package notebook

import (
	"strings"
	"testing"
	"time"

	"github.com/gdisent/gdisent/gdisent/training"
)

// TestReporter: one display id updated in place, throttled, with a progress bar, curves and the final status; a
// run that had nothing to do says so instead of "0.00 step/s".
func TestReporter(t *testing.T) {
	var calls []string
	r := NewReporter()
	r.Display = func(id, html string) { calls = append(calls, id) }
	h := training.NewHistory()
	p := training.Progress{StartStep: 0, TotalSteps: 1000, History: h}
	r.Start(p)
	for s := int64(1); s <= 1000; s++ {
		h.Add(s-1, training.Metrics{"loss": 1 / float64(s)})
		p.Step, p.Elapsed, p.Latest = s, time.Duration(s)*time.Microsecond, training.Metrics{"loss": 1 / float64(s)}
		r.Update(p)
	}
	p.Done = true
	r.Finish(p)
	if len(calls) < 2 || len(calls) > 5 {
		t.Fatalf("notebook reporter made %d display calls for 1000 fast steps", len(calls))
	}
	for _, id := range calls {
		if id != r.ID() {
			t.Fatalf("display id changed: %q vs %q", id, r.ID())
		}
	}
	html := r.render(p)
	if !strings.Contains(html, "<progress") || !strings.Contains(html, "data:image/png;base64") || !strings.Contains(html, "done") {
		t.Fatalf("notebook HTML lacks progress bar, curve or status: %s", html)
	}

	if sl := sparklines(h, 50); !strings.Contains(sl, "<svg") || !strings.Contains(sl, "loss") {
		t.Fatalf("sparklines: %s", sl)
	}
	idle := r.render(training.Progress{StartStep: 500, Step: 500, TotalSteps: 500, Done: true, History: h})
	if !strings.Contains(idle, "already trained to step 500") || strings.Contains(idle, "step/s") {
		t.Errorf("a run with nothing to do renders: %s", idle)
	}
}
