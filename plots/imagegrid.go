package plots

import (
	"image"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ImageGrid is a plot.Plotter drawing images in a Rows×Cols grid with optional
// row labels (left) and column labels (top).
//
// Data coordinates are image pixels: a cell is W×H units and cells are Gap·min(W,H)
// apart, with row 0 at the top. The grid is drawn with its aspect ratio preserved
// (centred in the space the plot gives it), and small images are upscaled with
// nearest-neighbour sampling so pixels stay sharp.
type ImageGrid struct {
	Rows, Cols int
	// H, W, C are the shape of each image; C is 1 (grayscale) or 3 (RGB).
	H, W, C int

	// RowLabels (len Rows) and ColLabels (len Cols) are optional.
	RowLabels, ColLabels []string
	// Label is the text style of the row and column labels.
	Label text.Style
	// LabelPad separates labels from the images.
	LabelPad vg.Length

	// Gap between cells as a fraction of the smaller image side; it shows the
	// plot background, acting as a thin separator.
	Gap float64
	// Separator, if its Width is positive, is drawn along the middle of the gaps.
	Separator draw.LineStyle
	// Border, if its Width is positive, is drawn around each image.
	Border draw.LineStyle
	// Margin is extra blank space kept around the grid (besides [FigureMargin]).
	Margin vg.Length

	// cells holds one image per grid cell in row-major order; nil cells are empty.
	cells []image.Image
}

var (
	_ plot.Plotter    = (*ImageGrid)(nil)
	_ plot.DataRanger = (*ImageGrid)(nil)
	_ plot.GlyphBoxer = (*ImageGrid)(nil)
)

// NewImageGrid lays out n images of shape [H,W,C] (images is the flat [N,H,W,C]
// tensor, values in [0,1]; values slightly outside are clamped) in rows of cols
// images. NaN or infinite values are an error.
func NewImageGrid(images []float32, n, h, w, c, cols int) (*ImageGrid, error) {
	if n <= 0 || h <= 0 || w <= 0 || cols <= 0 {
		return nil, errors.Errorf("plots: image grid needs positive n, h, w, cols; got n=%d h=%d w=%d cols=%d", n, h, w, cols)
	}
	if c != 1 && c != 3 {
		return nil, errors.Errorf("plots: image grid supports 1 (gray) or 3 (RGB) channels, got c=%d", c)
	}
	if want := n * h * w * c; len(images) != want {
		return nil, errors.Errorf("plots: len(images)=%d does not match shape [N=%d,H=%d,W=%d,C=%d] (want %d values)",
			len(images), n, h, w, c, want)
	}
	rows := (n + cols - 1) / cols
	g := &ImageGrid{
		Rows: rows, Cols: cols, H: h, W: w, C: c,
		Label:    textStyle(tickSize, draw.XCenter, draw.YCenter),
		LabelPad: vg.Points(4),
		Gap:      0.06,
		cells:    make([]image.Image, rows*cols),
	}
	size := h * w * c
	for i := range n {
		img, err := toImage(images[i*size:(i+1)*size], h, w, c)
		if err != nil {
			return nil, errors.WithMessagef(err, "plots: image %d", i)
		}
		g.cells[i] = img
	}
	return g, nil
}

// toImage converts one [H,W,C] image with values in [0,1] to an image.Image.
func toImage(v []float32, h, w, c int) (image.Image, error) {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			p := i / c
			return nil, errors.Errorf("pixel (y=%d, x=%d, ch=%d) is %v", p/w, p%w, i%c, x)
		}
	}
	if c == 1 {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for i, x := range v {
			img.Pix[i] = to8(x)
		}
		return img, nil
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := range h * w {
		img.Pix[4*p] = to8(v[3*p])
		img.Pix[4*p+1] = to8(v[3*p+1])
		img.Pix[4*p+2] = to8(v[3*p+2])
		img.Pix[4*p+3] = 255
	}
	return img, nil
}

// to8 maps [0,1] to [0,255], clamping.
func to8(x float32) uint8 {
	return uint8(math.Round(255 * math.Min(1, math.Max(0, float64(x)))))
}

// Cell returns the image in grid cell (row, col), or nil if the cell is empty.
func (g *ImageGrid) Cell(row, col int) image.Image { return g.cells[row*g.Cols+col] }

// gap is the space between cells in data units.
func (g *ImageGrid) gap() float64 { return g.Gap * float64(min(g.H, g.W)) }

// DataRange implements plot.DataRanger.
func (g *ImageGrid) DataRange() (xmin, xmax, ymin, ymax float64) {
	gap := g.gap()
	return 0, float64(g.Cols)*(float64(g.W)+gap) - gap, 0, float64(g.Rows)*(float64(g.H)+gap) - gap
}

// layout returns the drawing-space origin (bottom-left) and scale (length per
// data unit) of the grid, fitted into the data area with its aspect preserved.
func (g *ImageGrid) layout(c draw.Canvas, p *plot.Plot) (x0, y0, s vg.Length) {
	xmin, xmax, ymin, ymax := g.DataRange()
	trX, trY := p.Transforms(&c)
	ax0, ax1, ay0, ay1 := trX(xmin), trX(xmax), trY(ymin), trY(ymax)
	s = min((ax1-ax0)/vg.Length(xmax-xmin), (ay1-ay0)/vg.Length(ymax-ymin))
	x0 = ax0 + ((ax1-ax0)-s*vg.Length(xmax-xmin))/2
	y0 = ay0 + ((ay1-ay0)-s*vg.Length(ymax-ymin))/2
	return x0, y0, s
}

// cellRect returns the drawing rectangle of cell (r, col).
func (g *ImageGrid) cellRect(x0, y0, s vg.Length, r, col int) vg.Rectangle {
	gap := g.gap()
	_, _, _, ymax := g.DataRange()
	left := x0 + s*vg.Length(float64(col)*(float64(g.W)+gap))
	top := y0 + s*vg.Length(ymax-float64(r)*(float64(g.H)+gap))
	return vg.Rectangle{
		Min: vg.Point{X: left, Y: top - s*vg.Length(g.H)},
		Max: vg.Point{X: left + s*vg.Length(g.W), Y: top},
	}
}

// Plot implements plot.Plotter.
func (g *ImageGrid) Plot(c draw.Canvas, p *plot.Plot) {
	x0, y0, s := g.layout(c, p)
	if s <= 0 {
		return
	}
	// Upscale so each image pixel covers several device pixels: the backends
	// interpolate bilinearly, which would otherwise blur small images.
	dpi := 144.0
	if d, ok := c.Canvas.(interface{ DPI() float64 }); ok {
		dpi = max(dpi, d.DPI())
	}
	factor := int(math.Ceil(float64((s * vg.Length(g.W)).Dots(dpi)) / float64(g.W)))
	factor = min(max(factor, 1), 16)

	for r := range g.Rows {
		for col := range g.Cols {
			img := g.Cell(r, col)
			if img == nil {
				continue
			}
			rect := g.cellRect(x0, y0, s, r, col)
			c.DrawImage(rect, upscale(img, factor))
			if g.Border.Width > 0 {
				c.StrokeLines(g.Border, rectPoints(rect))
			}
		}
	}
	if g.Separator.Width > 0 {
		g.drawSeparators(c, x0, y0, s)
	}

	// Labels.
	sty := g.Label
	sty.XAlign, sty.YAlign = draw.XRight, draw.YCenter
	for r := 0; r < g.Rows && r < len(g.RowLabels); r++ {
		rect := g.cellRect(x0, y0, s, r, 0)
		c.FillText(sty, vg.Point{X: rect.Min.X - g.LabelPad, Y: (rect.Min.Y + rect.Max.Y) / 2}, g.RowLabels[r])
	}
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
	for col := 0; col < g.Cols && col < len(g.ColLabels); col++ {
		rect := g.cellRect(x0, y0, s, 0, col)
		c.FillText(sty, vg.Point{X: (rect.Min.X + rect.Max.X) / 2, Y: rect.Max.Y + g.LabelPad}, g.ColLabels[col])
	}
}

// drawSeparators strokes lines through the middle of the gaps between cells.
func (g *ImageGrid) drawSeparators(c draw.Canvas, x0, y0, s vg.Length) {
	xmin, xmax, ymin, ymax := g.DataRange()
	half := s * vg.Length(g.gap()) / 2
	left, right := x0+s*vg.Length(xmin), x0+s*vg.Length(xmax)
	bottom, top := y0+s*vg.Length(ymin), y0+s*vg.Length(ymax)
	for col := 1; col < g.Cols; col++ {
		x := g.cellRect(x0, y0, s, 0, col).Min.X - half
		c.StrokeLine2(g.Separator, x, bottom, x, top)
	}
	for r := 1; r < g.Rows; r++ {
		y := g.cellRect(x0, y0, s, r, 0).Max.Y + half
		c.StrokeLine2(g.Separator, left, y, right, y)
	}
}

// GlyphBoxes implements plot.GlyphBoxer, reserving room for labels and margins.
func (g *ImageGrid) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	_, _, _, ymax := g.DataRange()
	gap := g.gap()
	m := g.Margin
	var boxes []plot.GlyphBox
	if m > 0 {
		boxes = append(boxes,
			plot.GlyphBox{X: 0, Y: 0, Rectangle: vg.Rectangle{Min: vg.Point{X: -m, Y: -m}}},
			plot.GlyphBox{X: 1, Y: 1, Rectangle: vg.Rectangle{Max: vg.Point{X: m, Y: m}}})
	}
	for r := 0; r < g.Rows && r < len(g.RowLabels); r++ {
		w, h := g.Label.Width(g.RowLabels[r]), g.Label.Height(g.RowLabels[r])
		y := ymax - (float64(r)*(float64(g.H)+gap) + float64(g.H)/2)
		boxes = append(boxes, plot.GlyphBox{
			X: 0, Y: p.Y.Norm(y),
			Rectangle: vg.Rectangle{
				Min: vg.Point{X: -g.LabelPad - w - m, Y: -h / 2},
				Max: vg.Point{X: 0, Y: h / 2},
			},
		})
	}
	for col := 0; col < g.Cols && col < len(g.ColLabels); col++ {
		w, h := g.Label.Width(g.ColLabels[col]), g.Label.Height(g.ColLabels[col])
		x := float64(col)*(float64(g.W)+gap) + float64(g.W)/2
		boxes = append(boxes, plot.GlyphBox{
			X: p.X.Norm(x), Y: 1,
			Rectangle: vg.Rectangle{
				Min: vg.Point{X: -w / 2, Y: 0},
				Max: vg.Point{X: w / 2, Y: g.LabelPad + h + m},
			},
		})
	}
	return boxes
}

// FigSize returns a figure size for p (holding g) that shows each image
// cellWidth wide with its aspect ratio, leaving room for labels and title.
func (g *ImageGrid) FigSize(p *plot.Plot, cellWidth vg.Length) (w, h vg.Length) {
	scale := cellWidth / vg.Length(g.W)
	xmin, xmax, ymin, ymax := g.DataRange()
	w = scale*vg.Length(xmax-xmin) + 2*(g.Margin+FigureMargin)
	h = scale*vg.Length(ymax-ymin) + 2*(g.Margin+FigureMargin)
	var lw, lh vg.Length
	for _, l := range g.RowLabels {
		lw = max(lw, g.Label.Width(l))
	}
	for _, l := range g.ColLabels {
		lh = max(lh, g.Label.Height(l))
	}
	if lw > 0 {
		w += lw + g.LabelPad
	}
	if lh > 0 {
		h += lh + g.LabelPad
	}
	if p != nil && p.Title.Text != "" {
		h += p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
	}
	return w, h
}

// GridPlot returns a plot showing only g (axes hidden) with the given title.
func GridPlot(g *ImageGrid, title string) *plot.Plot {
	p := basePlot()
	p.Title.Text = title
	p.Title.Padding = vg.Points(2)
	p.HideAxes()
	p.X.Padding, p.Y.Padding = 0, 0
	p.Add(g)
	return p
}

// ImageGridPlot is a convenience for NewImageGrid + GridPlot.
func ImageGridPlot(title string, images []float32, n, h, w, c, cols int) (*plot.Plot, error) {
	g, err := NewImageGrid(images, n, h, w, c, cols)
	if err != nil {
		return nil, err
	}
	return GridPlot(g, title), nil
}

// TraversalGrid builds the image grid of a latent traversal: images is
// [rows*cols, h, w, c] in row-major order, one row per latent code and one
// column per traversal value. rowLabels defaults to "c1", "c2", …; colValues
// (optional) become the column headers.
func TraversalGrid(images []float32, rows, cols, h, w, c int, rowLabels []string, colValues []float64) (*ImageGrid, error) {
	if rows <= 0 || cols <= 0 {
		return nil, errors.Errorf("plots.Traversal: rows and cols must be positive, got %d×%d", rows, cols)
	}
	if want := rows * cols * h * w * c; len(images) != want {
		return nil, errors.Errorf("plots.Traversal: len(images)=%d, want rows*cols*h*w*c = %d*%d*%d*%d*%d = %d",
			len(images), rows, cols, h, w, c, want)
	}
	if rowLabels != nil && len(rowLabels) != rows {
		return nil, errors.Errorf("plots.Traversal: %d row labels for %d rows", len(rowLabels), rows)
	}
	if colValues != nil && len(colValues) != cols {
		return nil, errors.Errorf("plots.Traversal: %d column values for %d columns", len(colValues), cols)
	}
	g, err := NewImageGrid(images, rows*cols, h, w, c, cols)
	if err != nil {
		return nil, errors.WithMessage(err, "plots.Traversal")
	}
	if rowLabels == nil {
		rowLabels = make([]string, rows)
		for i := range rowLabels {
			rowLabels[i] = "c" + strconv.Itoa(i+1)
		}
	}
	g.RowLabels = rowLabels
	for _, v := range colValues {
		g.ColLabels = append(g.ColLabels, formatValue(v))
	}
	return g, nil
}

// Traversal returns a latent-traversal figure: rows are latent codes (labelled
// "c1"… unless rowLabels is given), columns are traversal values (headers from
// colValues, optional). See [TraversalGrid] for the layout of images.
func Traversal(images []float32, rows, cols, h, w, c int, rowLabels []string, colValues []float64) (*plot.Plot, error) {
	g, err := TraversalGrid(images, rows, cols, h, w, c, rowLabels, colValues)
	if err != nil {
		return nil, err
	}
	return GridPlot(g, ""), nil
}

// formatValue formats a header value compactly ("-2", "0.5", "1.33").
func formatValue(v float64) string {
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// upscale enlarges img by an integer factor with nearest-neighbour sampling.
func upscale(img image.Image, k int) image.Image {
	if k <= 1 {
		return img
	}
	b := img.Bounds()
	switch src := img.(type) {
	case *image.Gray:
		dst := image.NewGray(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
		for y := range dst.Rect.Dy() {
			row := src.Pix[(y/k)*src.Stride:]
			out := dst.Pix[y*dst.Stride:]
			for x := range dst.Rect.Dx() {
				out[x] = row[x/k]
			}
		}
		return dst
	case *image.RGBA:
		dst := image.NewRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
		for y := range dst.Rect.Dy() {
			row := src.Pix[(y/k)*src.Stride:]
			out := dst.Pix[y*dst.Stride:]
			for x := range dst.Rect.Dx() {
				copy(out[4*x:4*x+4], row[4*(x/k):4*(x/k)+4])
			}
		}
		return dst
	default:
		dst := image.NewRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
		for y := range dst.Rect.Dy() {
			for x := range dst.Rect.Dx() {
				dst.Set(x, y, img.At(b.Min.X+x/k, b.Min.Y+y/k))
			}
		}
		return dst
	}
}

// rectPoints returns the closed outline of r.
func rectPoints(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min}
}
