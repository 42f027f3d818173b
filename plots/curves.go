package plots

import (
	"image/color"
	"math"
	"slices"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is a named sequence of points. If X is nil, X defaults to 0, 1, 2, ….
type Series struct {
	Name string
	X, Y []float64
}

// Palette holds the series colours (the matplotlib "tab10" cycle).
var Palette = []color.Color{
	rgb(0x1f77b4), rgb(0xff7f0e), rgb(0x2ca02c), rgb(0xd62728), rgb(0x9467bd),
	rgb(0x8c564b), rgb(0xe377c2), rgb(0x7f7f7f), rgb(0xbcbd22), rgb(0x17becf),
}

// SeriesColor returns the palette colour of the i-th series.
func SeriesColor(i int) color.Color { return Palette[i%len(Palette)] }

func rgb(hex uint32) color.RGBA {
	return color.RGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 255}
}

// withAlpha returns c with opacity a in [0,1] (premultiplied).
func withAlpha(c color.Color, a float64) color.Color {
	r, g, b, _ := c.RGBA()
	return color.RGBA64{
		R: uint16(float64(r) * a), G: uint16(float64(g) * a), B: uint16(float64(b) * a),
		A: uint16(0xffff * a),
	}
}

// xys validates s and returns its points.
func (s Series) xys() (plotter.XYs, error) {
	if s.X != nil && len(s.X) != len(s.Y) {
		return nil, errors.Errorf("series %q: len(X)=%d != len(Y)=%d", s.Name, len(s.X), len(s.Y))
	}
	pts := make(plotter.XYs, 0, len(s.Y))
	for i, y := range s.Y {
		x := float64(i)
		if s.X != nil {
			x = s.X[i]
		}
		if bad(x) || bad(y) {
			return nil, errors.Errorf("series %q: point %d is (%v, %v); NaN/Inf cannot be plotted", s.Name, i, x, y)
		}
		pts = append(pts, plotter.XY{X: x, Y: y})
	}
	if len(pts) == 0 {
		return nil, errors.Errorf("series %q is empty", s.Name)
	}
	return pts, nil
}

func bad(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// EMA returns the exponential moving average of y with smoothing weight alpha
// in [0,1) (0: no smoothing, 0.9: strong), debiased like TensorBoard so the
// start of the curve is not pulled towards zero.
func EMA(y []float64, alpha float64) []float64 {
	out := make([]float64, len(y))
	var acc, norm float64
	for i, v := range y {
		acc = alpha*acc + (1-alpha)*v
		norm = alpha*norm + (1 - alpha)
		out[i] = acc / norm
	}
	return out
}

// CurvesOptions configures [CurvesWith].
type CurvesOptions struct {
	Title, XLabel, YLabel string
	// Smooth is the EMA weight in [0,1) applied to every series; 0 disables it.
	Smooth float64
	// ShowRaw also draws the unsmoothed series, faintly, under the smoothed one.
	ShowRaw bool
	// LogY uses a logarithmic Y axis; points with Y <= 0 are left out.
	LogY bool
}

// Curves plots loss/metric curves, one line per series, with a legend.
func Curves(title, xLabel, yLabel string, series ...Series) (*plot.Plot, error) {
	return CurvesWith(CurvesOptions{Title: title, XLabel: xLabel, YLabel: yLabel}, series...)
}

// CurvesWith is [Curves] with smoothing and log-scale options.
func CurvesWith(opts CurvesOptions, series ...Series) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, errors.New("plots.Curves: no series")
	}
	if opts.Smooth < 0 || opts.Smooth >= 1 || math.IsNaN(opts.Smooth) {
		return nil, errors.Errorf("plots.Curves: Smooth must be in [0,1), got %v", opts.Smooth)
	}
	p := newPlot(opts.Title, opts.XLabel, opts.YLabel)
	if opts.LogY {
		setLogY(p)
	}
	p.Add(gridLines())
	for i, s := range series {
		raw, err := s.xys()
		if err != nil {
			return nil, errors.WithMessage(err, "plots.Curves")
		}
		col := SeriesColor(i)
		pts := raw
		if opts.Smooth > 0 {
			ys := make([]float64, len(raw))
			for j := range raw {
				ys[j] = raw[j].Y
			}
			ys = EMA(ys, opts.Smooth)
			pts = make(plotter.XYs, len(raw))
			for j := range raw {
				pts[j] = plotter.XY{X: raw[j].X, Y: ys[j]}
			}
			if opts.ShowRaw {
				if rawPts := toLogY(raw, opts.LogY); len(rawPts) > 0 {
					l, err := plotter.NewLine(rawPts)
					if err != nil {
						return nil, errors.Wrapf(err, "plots.Curves: series %q", s.Name)
					}
					l.Color = withAlpha(col, 0.25)
					l.Width = vg.Points(1)
					p.Add(l)
				}
			}
		}
		pts = toLogY(pts, opts.LogY)
		if len(pts) == 0 {
			return nil, errors.Errorf("plots.Curves: series %q has no positive values to show on a log axis", s.Name)
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, errors.Wrapf(err, "plots.Curves: series %q", s.Name)
		}
		l.Color = col
		l.Width = vg.Points(1.5)
		p.Add(l)
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
	}
	return p, nil
}

// toLogY, when enabled, maps Y to log10(Y) for a [setLogY] axis, dropping
// points with Y <= 0.
func toLogY(pts plotter.XYs, enabled bool) plotter.XYs {
	if !enabled {
		return pts
	}
	out := make(plotter.XYs, 0, len(pts))
	for _, pt := range pts {
		if pt.Y > 0 {
			out = append(out, plotter.XY{X: pt.X, Y: math.Log10(pt.Y)})
		}
	}
	return out
}

// Scatter2D plots 2D point sets, e.g. real samples and generated samples of a
// Gaussian ring to spot mode collapse. Both axes get the same range; the
// legend (series with names) sits right of the data area, so a figure about
// 1.3 times wider than tall keeps shapes undistorted.
func Scatter2D(title string, series ...Series) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, errors.New("plots.Scatter2D: no series")
	}
	p := newPlot(title, "x", "y")
	p.Add(gridLines())
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range series {
		if s.X == nil {
			return nil, errors.Errorf("plots.Scatter2D: series %q has no X values", s.Name)
		}
		pts, err := s.xys()
		if err != nil {
			return nil, errors.WithMessage(err, "plots.Scatter2D")
		}
		for _, pt := range pts {
			lo, hi = min(lo, pt.X, pt.Y), max(hi, pt.X, pt.Y)
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, errors.Wrapf(err, "plots.Scatter2D: series %q", s.Name)
		}
		sc.GlyphStyle = draw.GlyphStyle{
			Color:  withAlpha(SeriesColor(i), 0.6),
			Radius: vg.Points(1.5),
			Shape:  draw.CircleGlyph{},
		}
		p.Add(sc)
		if s.Name != "" {
			// A larger, opaque marker in the legend: the faint small dots
			// that keep dense clouds readable are hard to see alone.
			p.Legend.Add(s.Name, glyphThumb{Color: SeriesColor(i), Radius: vg.Points(3), Shape: draw.CircleGlyph{}})
		}
	}
	pad := 0.05 * (hi - lo)
	if pad == 0 {
		pad = 1
	}
	// Equal ranges on both axes; the legend is outside the data area.
	p.X.Min, p.X.Max = lo-pad, hi+pad
	p.Y.Min, p.Y.Max = lo-pad, hi+pad
	return p, nil
}

// glyphThumb is a legend thumbnail showing one marker.
type glyphThumb draw.GlyphStyle

// Thumbnail implements plot.Thumbnailer.
func (g glyphThumb) Thumbnail(c *draw.Canvas) { c.DrawGlyph(draw.GlyphStyle(g), c.Center()) }

// Bars plots one bar per value (e.g. KL divergence per latent), labelled by
// labels (default "0", "1", …).
func Bars(title, yLabel string, labels []string, values []float64) (*plot.Plot, error) {
	if len(values) == 0 {
		return nil, errors.New("plots.Bars: no values")
	}
	if labels != nil && len(labels) != len(values) {
		return nil, errors.Errorf("plots.Bars: %d labels for %d values", len(labels), len(values))
	}
	for i, v := range values {
		if bad(v) {
			return nil, errors.Errorf("plots.Bars: value %d is %v", i, v)
		}
	}
	if labels == nil {
		labels = make([]string, len(values))
		for i := range labels {
			labels[i] = strconv.Itoa(i)
		}
	}
	p := newPlot(title, "", yLabel)
	p.Add(gridLines())
	p.Add(&barsPlotter{Values: slices.Clone(values), Color: SeriesColor(0), Width: 0.8})
	p.NominalX(labels...)
	if len(labels) > 16 {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return p, nil
}

// barsPlotter draws bars of Width data units centred on x = 0, 1, 2, ….
type barsPlotter struct {
	Values []float64
	Color  color.Color
	Width  float64
}

func (b *barsPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i, v := range b.Values {
		x0, x1 := trX(float64(i)-b.Width/2), trX(float64(i)+b.Width/2)
		y0, y1 := trY(0), trY(v)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(b.Color, c.ClipPolygonY(pts))
	}
}

func (b *barsPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = 0, 0
	for _, v := range b.Values {
		ymin, ymax = min(ymin, v), max(ymax, v)
	}
	if ymin == ymax {
		ymax = 1
	}
	// Headroom so the tallest bar does not touch the top of the plot.
	ymin, ymax = ymin*1.05, ymax*1.05
	return -0.5, float64(len(b.Values)) - 0.5, ymin, ymax
}

// Spectrum plots singular values (sorted in decreasing order) against their
// rank on a log axis, to show the effective dimensionality of a representation.
// Zero values cannot be shown on a log axis and are left out.
func Spectrum(title string, values []float64) (*plot.Plot, error) {
	if len(values) == 0 {
		return nil, errors.New("plots.Spectrum: no values")
	}
	sorted := slices.Clone(values)
	for i, v := range sorted {
		if bad(v) || v < 0 {
			return nil, errors.Errorf("plots.Spectrum: value %d is %v, want finite and >= 0", i, v)
		}
	}
	slices.Sort(sorted)
	slices.Reverse(sorted)
	pts := make(plotter.XYs, 0, len(sorted))
	for i, v := range sorted {
		if v > 0 {
			pts = append(pts, plotter.XY{X: float64(i + 1), Y: math.Log10(v)})
		}
	}
	if len(pts) == 0 {
		return nil, errors.New("plots.Spectrum: all values are zero")
	}
	p := newPlot(title, "index", "singular value")
	setLogY(p)
	p.Add(gridLines())
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return nil, errors.Wrap(err, "plots.Spectrum")
	}
	l.Color, l.Width = SeriesColor(0), vg.Points(1.5)
	s.Color, s.Radius, s.Shape = SeriesColor(0), vg.Points(2), draw.CircleGlyph{}
	p.Add(l, s)
	p.X.Min = 0.5
	p.X.Max = float64(len(sorted)) + 0.5
	p.X.Tick.Marker = niceTicks{Integer: true}
	return p, nil
}

// newPlot returns a plot with title and axis labels, paper-friendly padding,
// text in [Font], and its legend (if entries are added) outside the data
// area, top right, so it never hides data.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := basePlot()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Padding, p.Y.Padding = vg.Points(3), vg.Points(3)
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Legend.Padding = vg.Points(2)
	p.Legend.XOffs, p.Legend.YOffs = 0, 0
	p.Add(legendSpace{})
	p.X.Tick.Marker = niceTicks{}
	p.Y.Tick.Marker = niceTicks{}
	return p
}

// gridLines returns faint background grid lines.
func gridLines() *plotter.Grid {
	g := plotter.NewGrid()
	sty := draw.LineStyle{Color: color.Gray{Y: 225}, Width: vg.Points(0.5)}
	g.Vertical, g.Horizontal = sty, sty
	return g
}

// setLogY makes p's Y axis logarithmic. Data must be added as log10(y): this
// avoids gonum's LogScale, which panics on non-positive ranges and misplaces
// the axis label's glyph box.
func setLogY(p *plot.Plot) {
	p.Y.Tick.Marker = log10Ticks{}
}

// log10Ticks labels an axis holding log10 values with the original values:
// powers of ten, plus 2× and 5× multiples when the range spans under two
// decades, with unlabelled minor ticks at the other multiples.
type log10Ticks struct{}

func (log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi >= lo) || bad(lo) || bad(hi) {
		return nil
	}
	dense := hi-lo < 2
	var ticks []plot.Tick
	for d := int(math.Floor(lo)); d <= int(math.Ceil(hi)); d++ {
		for m := 1; m < 10; m++ {
			pos := float64(d) + math.Log10(float64(m))
			if pos < lo-1e-9 || pos > hi+1e-9 {
				continue
			}
			t := plot.Tick{Value: pos}
			if m == 1 || (dense && (m == 2 || m == 5)) {
				t.Label = formatTick(float64(m)*math.Pow(10, float64(d)), 0)
			}
			ticks = append(ticks, t)
		}
	}
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" {
			labelled++
		}
	}
	if labelled < 2 { // less than a decade: fall back to linear-style labels
		ticks = ticks[:0]
		for _, t := range (niceTicks{}).Ticks(math.Pow(10, lo), math.Pow(10, hi)) {
			if t.Value > 0 {
				ticks = append(ticks, plot.Tick{Value: math.Log10(t.Value), Label: t.Label})
			}
		}
	}
	return ticks
}

// niceTicks places about N (default 6) labelled ticks at round values
// (1, 2, 2.5 or 5 × 10^k), formatted with no more digits than needed.
// With Integer set, only integer ticks are produced.
type niceTicks struct {
	N       int
	Integer bool
}

func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if bad(lo) || bad(hi) || hi < lo {
		return nil
	}
	if hi == lo {
		return []plot.Tick{{Value: lo, Label: formatTick(lo, 0)}}
	}
	n := t.N
	if n <= 0 {
		n = 6
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if t.Integer {
		step = math.Max(1, math.Round(step))
	}
	var ticks []plot.Tick
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9; k++ {
		v := k * step
		ticks = append(ticks, plot.Tick{Value: v, Label: formatTick(v, step)})
	}
	return ticks
}

// formatTick formats v compactly, with enough decimals to resolve step
// (0: as few as possible).
func formatTick(v, step float64) string {
	if v == 0 {
		return "0"
	}
	if a := math.Abs(v); a >= 1e6 || a < 1e-4 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	if step <= 0 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	decimals := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	if s := step * math.Pow(10, float64(decimals)); math.Abs(s-math.Round(s)) > 1e-6 {
		decimals++ // e.g. step 0.25
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}
