package plots

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ColorMap maps t in [0,1] to a colour.
type ColorMap func(t float64) color.Color

// Viridis is the perceptually uniform sequential colour map of matplotlib.
var Viridis ColorMap = interpolated(0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e,
	0x21918c, 0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725)

// BlueRed is a diverging blue–white–red colour map (ColorBrewer RdBu, reversed).
var BlueRed ColorMap = interpolated(0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7,
	0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b)

// interpolated returns a colour map interpolating linearly between anchors.
func interpolated(anchors ...uint32) ColorMap {
	cols := make([]color.RGBA, len(anchors))
	for i, a := range anchors {
		cols[i] = rgb(a)
	}
	return func(t float64) color.Color {
		t = math.Min(1, math.Max(0, t))
		f := t * float64(len(cols)-1)
		i := min(int(f), len(cols)-2)
		u := f - float64(i)
		a, b := cols[i], cols[i+1]
		mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-u) + float64(y)*u)) }
		return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
	}
}

// HeatGrid is a plot.Plotter drawing a matrix as coloured cells, row 0 at the
// top, with an optional colour bar to the right of the data area and optional
// value annotations. Cell (r, c) spans x ∈ [c, c+1], y ∈ [rows-r-1, rows-r].
type HeatGrid struct {
	Data     [][]float64
	Min, Max float64
	ColorMap ColorMap

	// Annotate writes each value (with Format, e.g. "%.2f") in its cell,
	// when it fits.
	Annotate  bool
	Format    string
	TextStyle text.Style

	// ColorBar draws a colour bar BarWidth wide, BarGap right of the cells.
	ColorBar         bool
	BarWidth, BarGap vg.Length
}

var (
	_ plot.Plotter    = (*HeatGrid)(nil)
	_ plot.DataRanger = (*HeatGrid)(nil)
	_ plot.GlyphBoxer = (*HeatGrid)(nil)
)

// NewHeatGrid validates m (rectangular, finite) and returns a HeatGrid with a
// colour bar. The colour range is symmetric with the BlueRed map when m has
// both signs (e.g. correlations), otherwise [min, max] with Viridis.
func NewHeatGrid(m [][]float64) (*HeatGrid, error) {
	if len(m) == 0 || len(m[0]) == 0 {
		return nil, errors.New("plots: empty heatmap matrix")
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for r, row := range m {
		if len(row) != len(m[0]) {
			return nil, errors.Errorf("plots: heatmap row %d has %d values, row 0 has %d", r, len(row), len(m[0]))
		}
		for c, v := range row {
			if bad(v) {
				return nil, errors.Errorf("plots: heatmap value (%d, %d) is %v", r, c, v)
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	h := &HeatGrid{
		Data: m, Min: lo, Max: hi, ColorMap: Viridis,
		Format:    "%.2f",
		TextStyle: textStyle(annotateSize, draw.XCenter, draw.YCenter),
		ColorBar:  true,
		BarWidth:  vg.Points(10),
		BarGap:    vg.Points(8),
	}
	if lo < 0 && hi > 0 {
		a := max(-lo, hi)
		h.Min, h.Max, h.ColorMap = -a, a, BlueRed
	}
	if h.Min == h.Max {
		h.Min, h.Max = h.Min-1, h.Max+1
	}
	return h, nil
}

func (h *HeatGrid) dims() (rows, cols int) { return len(h.Data), len(h.Data[0]) }

// norm maps v to [0,1] in the colour range.
func (h *HeatGrid) norm(v float64) float64 { return (v - h.Min) / (h.Max - h.Min) }

// DataRange implements plot.DataRanger.
func (h *HeatGrid) DataRange() (xmin, xmax, ymin, ymax float64) {
	rows, cols := h.dims()
	return 0, float64(cols), 0, float64(rows)
}

// Plot implements plot.Plotter.
func (h *HeatGrid) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	rows, _ := h.dims()
	for r, row := range h.Data {
		for col, v := range row {
			x0, x1 := trX(float64(col)), trX(float64(col+1))
			y0, y1 := trY(float64(rows-r-1)), trY(float64(rows-r))
			fill := h.ColorMap(h.norm(v))
			// Overlap neighbours by a hair to avoid anti-aliasing seams.
			e := vg.Points(0.1)
			c.FillPolygon(fill, []vg.Point{{X: x0 - e, Y: y0 - e}, {X: x1 + e, Y: y0 - e}, {X: x1 + e, Y: y1 + e}, {X: x0 - e, Y: y1 + e}})
			if h.Annotate {
				txt := fmt.Sprintf(h.Format, v)
				if h.TextStyle.Width(txt) < 0.95*(x1-x0) && h.TextStyle.Height(txt) < 0.95*(y1-y0) {
					sty := h.TextStyle
					sty.Color = contrastText(fill)
					c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, txt)
				}
			}
		}
	}
	if h.ColorBar {
		h.drawColorBar(c, trX, trY)
	}
}

// contrastText returns black or white, whichever reads better on bg.
func contrastText(bg color.Color) color.Color {
	r, g, b, _ := bg.RGBA()
	lum := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 0xffff
	if lum > 0.5 {
		return color.Black
	}
	return color.White
}

// barLabelStyle is the style of the colour bar tick labels.
func barLabelStyle() text.Style {
	return textStyle(barLabelSize, draw.XLeft, draw.YCenter)
}

// barTicks returns the labelled ticks of the colour bar.
func (h *HeatGrid) barTicks() []plot.Tick {
	var ticks []plot.Tick
	for _, t := range (niceTicks{N: 4}).Ticks(h.Min, h.Max) {
		if t.Label != "" && t.Value >= h.Min-1e-12 && t.Value <= h.Max+1e-12 {
			ticks = append(ticks, t)
		}
	}
	return ticks
}

const barTickLen = vg.Length(3)

// drawColorBar draws the colour bar right of the data area, full height.
func (h *HeatGrid) drawColorBar(c draw.Canvas, trX, trY func(float64) vg.Length) {
	rows, cols := h.dims()
	left := trX(float64(cols)) + h.BarGap
	bottom, top := trY(0), trY(float64(rows))
	rect := vg.Rectangle{Min: vg.Point{X: left, Y: bottom}, Max: vg.Point{X: left + h.BarWidth, Y: top}}
	const n = 256
	img := image.NewRGBA(image.Rect(0, 0, 1, n))
	for i := range n {
		img.Set(0, n-1-i, h.ColorMap((float64(i)+0.5)/n))
	}
	c.DrawImage(rect, img)
	edge := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	c.StrokeLines(edge, rectPoints(rect))
	sty := barLabelStyle()
	for _, t := range h.barTicks() {
		y := bottom + (top-bottom)*vg.Length(h.norm(t.Value))
		c.StrokeLine2(edge, rect.Max.X, y, rect.Max.X+barTickLen, y)
		c.FillText(sty, vg.Point{X: rect.Max.X + barTickLen + vg.Points(2), Y: y}, t.Label)
	}
}

// GlyphBoxes implements plot.GlyphBoxer, reserving room for the colour bar.
func (h *HeatGrid) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	if !h.ColorBar {
		return nil
	}
	sty := barLabelStyle()
	var lw, lh vg.Length
	for _, t := range h.barTicks() {
		lw, lh = max(lw, sty.Width(t.Label)), max(lh, sty.Height(t.Label))
	}
	width := h.BarGap + h.BarWidth + barTickLen + vg.Points(2) + lw + vg.Points(2)
	return []plot.GlyphBox{
		{X: 1, Y: 0, Rectangle: vg.Rectangle{Min: vg.Point{Y: -lh / 2}, Max: vg.Point{X: width, Y: 0}}},
		{X: 1, Y: 1, Rectangle: vg.Rectangle{Min: vg.Point{Y: 0}, Max: vg.Point{X: width, Y: lh / 2}}},
	}
}

// Heatmap plots matrix m (e.g. a similarity or mutual-information matrix) with
// a colour bar; rowLabels / colLabels are optional (default: indices), and
// annotate writes the values into the cells when they fit.
func Heatmap(title string, m [][]float64, rowLabels, colLabels []string, annotate bool) (*plot.Plot, error) {
	h, err := NewHeatGrid(m)
	if err != nil {
		return nil, errors.WithMessage(err, "plots.Heatmap")
	}
	rows, cols := h.dims()
	if rowLabels != nil && len(rowLabels) != rows {
		return nil, errors.Errorf("plots.Heatmap: %d row labels for %d rows", len(rowLabels), rows)
	}
	if colLabels != nil && len(colLabels) != cols {
		return nil, errors.Errorf("plots.Heatmap: %d column labels for %d columns", len(colLabels), cols)
	}
	h.Annotate = annotate
	p := basePlot()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.Add(h)
	p.X.Tick.Marker = cellTicks(cols, colLabels, false)
	p.Y.Tick.Marker = cellTicks(rows, rowLabels, true)
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Padding = 0
		ax.Width = 0
		ax.Tick.Length = vg.Points(2)
	}
	if maxLen(colLabels) > 3 {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	return p, nil
}

// cellTicks puts one labelled tick at the centre of each of n cells; when
// reversed, cell 0 is at the top.
func cellTicks(n int, labels []string, reversed bool) plot.ConstantTicks {
	ticks := make(plot.ConstantTicks, n)
	for i := range n {
		pos := float64(i) + 0.5
		if reversed {
			pos = float64(n-1-i) + 0.5
		}
		label := strconv.Itoa(i)
		if labels != nil {
			label = labels[i]
		}
		ticks[i] = plot.Tick{Value: pos, Label: label}
	}
	return ticks
}

func maxLen(ss []string) int {
	n := 0
	for _, s := range ss {
		n = max(n, len([]rune(s)))
	}
	return n
}
