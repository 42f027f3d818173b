package plots

import (
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ShareAxes gives the plots the same X range and the same Y range (the union
// of their ranges), so panels that are compared read on one scale. Call it
// once the plots are built, before they are drawn; plots without data are
// left alone. All plots must use the same kind of axis: a log-scale axis
// (CurvesOptions.LogY, Spectrum) cannot be shared with a linear one.
func ShareAxes(ps ...*plot.Plot) error {
	if err := shareAxis("ShareAxes", ps, func(p *plot.Plot) *plot.Axis { return &p.X }); err != nil {
		return err
	}
	return shareAxis("ShareAxes", ps, func(p *plot.Plot) *plot.Axis { return &p.Y })
}

// ShareX is [ShareAxes] for the X axis only.
func ShareX(ps ...*plot.Plot) error {
	return shareAxis("ShareX", ps, func(p *plot.Plot) *plot.Axis { return &p.X })
}

// ShareY is [ShareAxes] for the Y axis only.
func ShareY(ps ...*plot.Plot) error {
	return shareAxis("ShareY", ps, func(p *plot.Plot) *plot.Axis { return &p.Y })
}

// shareAxis sets the axis picked by axis to the union range over ps.
func shareAxis(name string, ps []*plot.Plot, axis func(*plot.Plot) *plot.Axis) error {
	lo, hi := math.Inf(1), math.Inf(-1)
	var firstLog *bool
	for i, p := range ps {
		if p == nil {
			return errors.Errorf("plots.%s: plot %d is nil", name, i)
		}
		a := axis(p)
		if !(a.Min <= a.Max) || bad(a.Min) || bad(a.Max) {
			continue // no data yet
		}
		log := isLogAxis(a)
		if firstLog == nil {
			firstLog = &log
		} else if log != *firstLog {
			return errors.Errorf("plots.%s: plot %d has a %s axis, the others a %s one; share only axes of one kind",
				name, i, scaleName(log), scaleName(*firstLog))
		}
		lo, hi = min(lo, a.Min), max(hi, a.Max)
	}
	if lo > hi {
		return nil
	}
	for _, p := range ps {
		a := axis(p)
		a.Min, a.Max = lo, hi
	}
	return nil
}

// isLogAxis tells whether a shows log10 values ([setLogY]) or uses gonum's
// log scale.
func isLogAxis(a *plot.Axis) bool {
	if _, ok := a.Tick.Marker.(log10Ticks); ok {
		return true
	}
	_, ok := a.Scale.(plot.LogScale)
	return ok
}

func scaleName(log bool) string {
	if log {
		return "logarithmic"
	}
	return "linear"
}

// Panels returns one figure showing ps in a grid of cols columns (row-major;
// nil entries leave a cell empty), with the data areas of every row and
// column aligned and of equal size, and title above them all. It is a plain
// *plot.Plot, so [Save], [Bytes] and [Display] apply. Call [ShareAxes] first
// when the panels are compared on the same scale.
func Panels(title string, cols int, ps ...*plot.Plot) (*plot.Plot, error) {
	if len(ps) == 0 {
		return nil, errors.New("plots.Panels: no plots")
	}
	if cols <= 0 {
		return nil, errors.Errorf("plots.Panels: cols must be positive, got %d", cols)
	}
	rows := (len(ps) + cols - 1) / cols
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range cols {
			if i := r*cols + c; i < len(ps) {
				grid[r][c] = ps[i]
			}
		}
	}
	p := basePlot()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.HideAxes()
	p.X.Padding, p.Y.Padding = 0, 0
	p.Add(&panelGrid{plots: grid, gap: vg.Points(10)})
	return p, nil
}

// panelGrid draws a grid of plots into the data area of its host plot.
type panelGrid struct {
	plots [][]*plot.Plot
	gap   vg.Length
}

// Plot implements plot.Plotter.
func (g *panelGrid) Plot(c draw.Canvas, _ *plot.Plot) {
	tiles := draw.Tiles{Rows: len(g.plots), Cols: len(g.plots[0]), PadX: g.gap, PadY: g.gap}
	canvases := plot.Align(g.plots, tiles, c)
	for r, row := range g.plots {
		for col, p := range row {
			if p != nil {
				p.Draw(canvases[r][col])
			}
		}
	}
}

// EqualScaleWidth returns the width of a figure h tall in which p shows one
// data unit at the same length on both axes, so shapes keep their proportions
// (e.g. rings in [Scatter2D], whose legend takes room beside the data).
func EqualScaleWidth(p *plot.Plot, h vg.Length) (vg.Length, error) {
	if p == nil {
		return 0, errors.New("plots.EqualScaleWidth: nil plot")
	}
	if !(h > 2*FigureMargin) {
		return 0, errors.Errorf("plots.EqualScaleWidth: height %s is too small", sizeString(h, h))
	}
	xr, yr := p.X.Max-p.X.Min, p.Y.Max-p.Y.Min
	if !(xr > 0 && yr > 0) || bad(xr) || bad(yr) {
		return 0, errors.Errorf("plots.EqualScaleWidth: axis ranges must be set and non-empty, got x [%v, %v], y [%v, %v]",
			p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	w := h
	// The data area's width grows one for one with the figure's, so this
	// converges in one or two steps; a few more cover tick-label changes.
	for range 4 {
		fig := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: w, Y: h}}}
		dc := p.DataCanvas(draw.Crop(fig, FigureMargin, -FigureMargin, FigureMargin, -FigureMargin))
		size := dc.Size()
		if size.Y <= 0 {
			return 0, errors.Errorf("plots.EqualScaleWidth: no room for data in a figure %s tall", sizeString(h, h))
		}
		w += size.Y*vg.Length(xr/yr) - size.X
	}
	return w, nil
}
