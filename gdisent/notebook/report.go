package notebook

import (
	"encoding/base64"
	"fmt"
	"html"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot/vg"

	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/plots"
)

func init() {
	training.SetNotebookReporter(func() training.Reporter {
		if gonbui.IsNotebook {
			return NewReporter()
		}
		return nil
	})
}

// Reporter shows training progress in GoNB as ONE output that is updated in place (gonbui.UpdateHTML
// with a fixed display id): an HTML progress bar, speed, ETA, the latest metrics and, every PlotInterval, loss
// curves. A saved notebook therefore holds a single output per run instead of one per update.
type Reporter struct {
	Interval     time.Duration // minimum time between updates (default 1s)
	PlotInterval time.Duration // minimum time between curve redraws (default 5s; < 0 disables curves)
	Smooth       int           // curve points are averaged over windows so at most ~Smooth points remain (default 200)
	// Plot renders the curves as HTML (default CurvesHTML, a plots figure as a PNG <img>); if it fails, or is
	// nil, built-in SVG sparklines are shown.
	Plot func(h *training.History) (string, error)
	// Display sends the HTML; nil means gonbui.UpdateHTML (tests replace it).
	Display func(id, html string)

	id                 string
	mu                 sync.Mutex
	lastShow, lastPlot time.Time
	curves             string
}

// NewReporter returns a Reporter with its own display id; it updates every second (every quarter second in quick
// mode, whose runs last a few seconds).
func NewReporter() *Reporter {
	return &Reporter{Interval: Pick(time.Second, time.Second/4), PlotInterval: 5 * time.Second, Smooth: 200, Plot: CurvesHTML,
		id: "gdisent-training-" + gonbui.UniqueId()}
}

// ID returns the display id updated in place.
func (r *Reporter) ID() string { return r.id }

func (r *Reporter) show(p training.Progress, force bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !force && now.Sub(r.lastShow) < r.Interval {
		return
	}
	r.lastShow = now
	if r.PlotInterval >= 0 && p.History != nil && (force || now.Sub(r.lastPlot) >= r.PlotInterval) {
		r.lastPlot = now
		r.curves = ""
		if r.Plot != nil {
			if s, err := r.Plot(p.History); err == nil {
				r.curves = s
			}
		}
		if r.curves == "" {
			r.curves = sparklines(p.History, max(r.Smooth, 2))
		}
	}
	display := r.Display
	if display == nil {
		display = gonbui.UpdateHTML
	}
	display(r.id, r.render(p))
}

func (r *Reporter) render(p training.Progress) string {
	var b strings.Builder
	b.WriteString(`<div style="font-family:monospace;font-size:12px">`)
	total := max(p.TotalSteps-p.StartStep, 1)
	status := "training"
	color := "#1f77b4"
	switch {
	case p.Done && p.Err != nil:
		status, color = "stopped", "#d62728"
	case p.Done:
		status, color = "done", "#2ca02c"
	}
	if p.Done && p.Err == nil && p.Step == p.StartStep {
		// Nothing ran: the model was already at (or past) the requested step, e.g. a re-opened finished run.
		fmt.Fprintf(&b, `<div><b style="color:%s">done</b> already trained to step %d (restored from its checkpoint)</div>`,
			color, p.Step)
		fmt.Fprintf(&b, `<progress value="1" max="1" style="width:400px"></progress>`)
	} else {
		fmt.Fprintf(&b, `<div><b style="color:%s">%s</b> step %d/%d · %.2f step/s · elapsed %s`,
			color, status, p.Step, p.TotalSteps, p.StepsPerSecond(), training.FormatDuration(p.Elapsed))
		if !p.Done {
			fmt.Fprintf(&b, " · ETA %s", training.FormatDuration(p.ETA()))
		}
		b.WriteString("</div>")
		fmt.Fprintf(&b, `<progress value="%d" max="%d" style="width:400px"></progress>`, p.Step-p.StartStep, total)
	}
	if p.Err != nil {
		fmt.Fprintf(&b, `<div style="color:#d62728">%s</div>`, html.EscapeString(p.Err.Error()))
	}
	if len(p.Latest) > 0 {
		b.WriteString("<div>")
		for _, n := range p.Latest.Names() {
			fmt.Fprintf(&b, "%s=<b>%.5g</b> &nbsp;", html.EscapeString(n), p.Latest[n])
		}
		b.WriteString("</div>")
	}
	b.WriteString(r.curves)
	b.WriteString("</div>")
	return b.String()
}

// Start implements training.Reporter.
func (r *Reporter) Start(p training.Progress) { r.show(p, true) }

// Update implements training.Reporter.
func (r *Reporter) Update(p training.Progress) { r.show(p, false) }

// Finish implements training.Reporter.
func (r *Reporter) Finish(p training.Progress) { r.show(p, true) }

// sparklines renders one small SVG line chart per series, averaged down to at most ~points points.
func sparklines(h *training.History, points int) string {
	const w, ht = 260.0, 48.0
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse">`)
	for _, name := range h.Names() {
		n := h.Len(name)
		if n == 0 {
			continue
		}
		s := h.Smoothed(name, (n+points-1)/points)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		if lo > hi {
			continue
		}
		if hi == lo {
			hi, lo = hi+0.5, lo-0.5
		}
		x0, x1 := float64(s.Steps[0]), float64(s.Steps[len(s.Steps)-1])
		if x1 == x0 {
			x1 = x0 + 1
		}
		var pts strings.Builder
		for i, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			x := (float64(s.Steps[i]) - x0) / (x1 - x0) * w
			y := ht - (v-lo)/(hi-lo)*ht
			fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
		}
		fmt.Fprintf(&b, `<tr><td style="padding-right:8px">%s</td><td><svg width="%g" height="%g" style="background:#f8f8f8">`+
			`<polyline fill="none" stroke="#1f77b4" stroke-width="1.2" points="%s"/></svg></td>`+
			`<td style="padding-left:8px;color:#666">%.4g … %.4g</td></tr>`,
			html.EscapeString(name), w, ht, pts.String(), lo, hi)
	}
	b.WriteString("</table>")
	return b.String()
}

// CurvesHTML renders the History as one plots.Curves figure (a PNG <img>): every series whose name has no "/"
// (so per-latent series such as "kl/03" are left out), averaged down to at most ~200 points, with a log Y axis
// when all values are positive. It returns "" when there is nothing to plot.
func CurvesHTML(h *training.History) (string, error) {
	var series []plots.Series
	logY := true
	for _, name := range h.Names() {
		n := h.Len(name)
		if strings.Contains(name, "/") || n == 0 || len(series) == len(plots.Palette) {
			continue
		}
		s := h.Smoothed(name, (n+199)/200)
		ps := plots.Series{Name: name}
		for i, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			ps.X = append(ps.X, float64(s.Steps[i]))
			ps.Y = append(ps.Y, v)
			logY = logY && v > 0
		}
		if len(ps.Y) > 0 {
			series = append(series, ps)
		}
	}
	if len(series) == 0 {
		return "", nil
	}
	p, err := plots.CurvesWith(plots.CurvesOptions{Title: "training", XLabel: "step", LogY: logY}, series...)
	if err != nil {
		return "", err
	}
	const w, hgt = 6 * vg.Inch, 3 * vg.Inch
	png, err := plots.Bytes(p, w, hgt, "png")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`<div><img width="%d" height="%d" src="data:image/png;base64,%s"/></div>`,
		int(w.Dots(96)+0.5), int(hgt.Dots(96)+0.5), base64.StdEncoding.EncodeToString(png)), nil
}
