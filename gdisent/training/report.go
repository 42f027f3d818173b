package training

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Progress is a snapshot of a running Loop.
type Progress struct {
	Step       int64         // steps completed
	StartStep  int64         // Step when this Run started
	TotalSteps int64         // Step at which this Run ends
	Elapsed    time.Duration // since this Run started
	Latest     Metrics       // metrics of the last step (nil before the first)
	History    *History
	Done       bool  // set in Finish
	Err        error // the error that ended the run, in Finish
}

// StepsPerSecond is the throughput of this Run so far.
func (p Progress) StepsPerSecond() float64 {
	if p.Elapsed <= 0 || p.Step <= p.StartStep {
		return 0
	}
	return float64(p.Step-p.StartStep) / p.Elapsed.Seconds()
}

// ETA estimates the time left in this Run (0 if unknown).
func (p Progress) ETA() time.Duration {
	sps := p.StepsPerSecond()
	if sps == 0 {
		return 0
	}
	return time.Duration(float64(p.TotalSteps-p.Step) / sps * float64(time.Second))
}

// Reporter receives a Loop's progress: Start once, Update after every step (implementations throttle), Finish once.
type Reporter interface {
	Start(p Progress)
	Update(p Progress)
	Finish(p Progress)
}

// AutoReporter returns the notebook reporter when one is registered and running in a notebook (package
// gdisent/notebook registers its in-place display), and a TerminalReporter on stderr otherwise.
func AutoReporter() Reporter {
	if f := notebookReporter.Load(); f != nil {
		if r := (*f)(); r != nil {
			return r
		}
	}
	return NewTerminalReporter(os.Stderr)
}

var notebookReporter atomic.Pointer[func() Reporter]

// SetNotebookReporter registers the function AutoReporter asks first; it returns nil outside a notebook. Package
// training links no notebook or plotting code itself, so command-line and cluster binaries stay lean.
func SetNotebookReporter(f func() Reporter) { notebookReporter.Store(&f) }

// FormatDuration prints a duration for progress lines: tenths of a second below a minute, seconds above.
func FormatDuration(d time.Duration) string { return fmtDuration(d) }

type silent struct{}

func (silent) Start(Progress)  {}
func (silent) Update(Progress) {}
func (silent) Finish(Progress) {}

// Silent returns a Reporter that reports nothing.
func Silent() Reporter { return silent{} }

// TerminalReporter prints one line every Every steps or every Interval, whichever comes first, plus a final line.
type TerminalReporter struct {
	W        io.Writer
	Every    int64         // print every Every steps (0: only by time)
	Interval time.Duration // print at least this often (0: only by steps)
	last     time.Time
}

// NewTerminalReporter prints to w every 5 seconds.
func NewTerminalReporter(w io.Writer) *TerminalReporter {
	return &TerminalReporter{W: w, Interval: 5 * time.Second}
}

// Start implements Reporter.
func (r *TerminalReporter) Start(p Progress) {
	r.last = time.Now()
	fmt.Fprintf(r.W, "training: steps %d → %d\n", p.StartStep, p.TotalSteps)
}

// Update implements Reporter.
func (r *TerminalReporter) Update(p Progress) {
	byStep := r.Every > 0 && p.Step%r.Every == 0
	byTime := r.Interval > 0 && time.Since(r.last) >= r.Interval
	if !byStep && !byTime || p.Step == p.TotalSteps {
		return // the last step is printed by Finish
	}
	r.last = time.Now()
	fmt.Fprintln(r.W, progressLine(p))
}

// Finish implements Reporter.
func (r *TerminalReporter) Finish(p Progress) {
	fmt.Fprintln(r.W, progressLine(p))
	if p.Err != nil {
		fmt.Fprintf(r.W, "training: stopped: %v\n", p.Err)
	}
}

func progressLine(p Progress) string {
	var b strings.Builder
	total := max(p.TotalSteps-p.StartStep, 1)
	fmt.Fprintf(&b, "step %d/%d (%.0f%%) %.2f step/s elapsed %s", p.Step, p.TotalSteps,
		100*float64(p.Step-p.StartStep)/float64(total), p.StepsPerSecond(), fmtDuration(p.Elapsed))
	if !p.Done {
		fmt.Fprintf(&b, " ETA %s", fmtDuration(p.ETA()))
	}
	if len(p.Latest) > 0 {
		b.WriteString(" |")
		for _, n := range p.Latest.Names() {
			fmt.Fprintf(&b, " %s=%.5g", n, p.Latest[n])
		}
	}
	return b.String()
}

func fmtDuration(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
