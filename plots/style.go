package plots

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Font is the typeface of all text in the figures this package builds.
//
// It defaults to Liberation Sans, whose TrueType data ships with gonum/plot
// (gonum.org/v1/plot/font/liberation), so text is measured at layout time with
// the same metrics it is drawn with. SVG and PDF exports embed the font, so a
// viewer without it installed shows the figure unchanged (no clipped labels).
// Change it before building figures; it does not affect figures already built.
var Font = font.Font{Typeface: "Liberation", Variant: "Sans"}

// Text sizes of the figure elements.
const (
	titleSize     = 12
	axisLabelSize = 11
	tickSize      = 10
	legendSize    = 10
	annotateSize  = 8
	barLabelSize  = 9
)

// textStyle returns a black text style in [Font] at size points.
func textStyle(size vg.Length, xAlign draw.XAlignment, yAlign draw.YAlignment) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(Font, size),
		XAlign:  xAlign,
		YAlign:  yAlign,
		Handler: plot.DefaultTextHandler,
	}
}

// ApplyFont sets every text of p (title, axis labels, tick labels, legend)
// to [Font], keeping each element's size. The builders of this package call
// it; call it on plots made with plot.New to match their look.
func ApplyFont(p *plot.Plot) {
	for _, s := range []*text.Style{
		&p.Title.TextStyle, &p.Legend.TextStyle,
		&p.X.Label.TextStyle, &p.X.Tick.Label,
		&p.Y.Label.TextStyle, &p.Y.Tick.Label,
	} {
		s.Font = font.From(Font, s.Font.Size)
	}
}

// basePlot returns plot.New() with [Font] at this package's text sizes.
func basePlot() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font.Size = titleSize
	p.X.Label.TextStyle.Font.Size = axisLabelSize
	p.Y.Label.TextStyle.Font.Size = axisLabelSize
	p.X.Tick.Label.Font.Size = tickSize
	p.Y.Tick.Label.Font.Size = tickSize
	p.Legend.TextStyle.Font.Size = legendSize
	ApplyFont(p)
	return p
}

// legendGap separates the legend from the data area.
const legendGap = vg.Length(8)

// legendSpace reserves room right of the data area for p's legend, which
// [newPlot] anchors to the right edge of the figure: gonum draws the legend
// inside the axes area, where it can hide data; reserving a glyph box makes
// the data area shrink so the legend sits beside it instead.
type legendSpace struct{}

var _ plot.GlyphBoxer = legendSpace{}

// Plot implements plot.Plotter; the legend itself is drawn by plot.Plot.
func (legendSpace) Plot(draw.Canvas, *plot.Plot) {}

// GlyphBoxes implements plot.GlyphBoxer.
func (legendSpace) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	size := p.Legend.Rectangle(draw.Canvas{}).Size()
	if size.X <= 0 {
		return nil
	}
	return []plot.GlyphBox{{
		X: 1, Y: 1,
		Rectangle: vg.Rectangle{
			Min: vg.Point{X: legendGap, Y: -size.Y},
			Max: vg.Point{X: legendGap + size.X, Y: 0},
		},
	}}
}

// legendRect returns where gonum draws p's legend when p is drawn on c:
// right-aligned at the figure's right edge, top-aligned below the title (for
// the Top, right-hand placement [newPlot] sets). It is empty when p has no
// legend entries.
func legendRect(p *plot.Plot, c draw.Canvas) vg.Rectangle {
	size := p.Legend.Rectangle(draw.Canvas{}).Size()
	if size.X <= 0 {
		return vg.Rectangle{}
	}
	top := c.Max.Y
	if p.Title.Text != "" {
		top -= p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	}
	right := c.Max.X + p.Legend.XOffs
	top += p.Legend.YOffs - p.Legend.TextStyle.FontExtents().Descent
	return vg.Rectangle{
		Min: vg.Point{X: right - size.X, Y: top - size.Y},
		Max: vg.Point{X: right, Y: top},
	}
}
