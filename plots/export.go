package plots

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgeps"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI is the resolution used for raster output (PNG/JPEG), in dots per inch.
// A 6in wide figure at the default 150 DPI is 900 pixels wide.
var DPI = 150

// FigureMargin is blank space kept around every rendered figure so that
// labels never touch the image border.
var FigureMargin = vg.Points(4)

// Formats lists the output formats understood by [Save] and [Bytes].
var Formats = []string{"png", "svg", "pdf", "eps", "jpg", "jpeg"}

// Save renders p at size w×h and writes it to path, choosing the format from
// the file extension (see [Formats]). Parent directories are created and the
// file is written atomically (temporary file + rename), so readers never see
// a half-written figure.
func Save(p *plot.Plot, w, h vg.Length, path string) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format == "" {
		return errors.Errorf("plots.Save(%q): missing file extension, want one of %v", path, Formats)
	}
	data, err := Bytes(p, w, h, format)
	if err != nil {
		return errors.WithMessagef(err, "plots.Save(%q)", path)
	}
	if err := writeFileAtomic(path, data); err != nil {
		return errors.WithMessagef(err, "plots.Save(%q)", path)
	}
	return nil
}

// Bytes renders p at size w×h in the given format ("png", "svg", "pdf", ...;
// case-insensitive, a leading dot is allowed) and returns the encoded figure.
func Bytes(p *plot.Plot, w, h vg.Length, format string) ([]byte, error) {
	var buf bytes.Buffer
	if err := WriteTo(&buf, p, w, h, format); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteTo renders p at size w×h in the given format and writes it to out.
func WriteTo(out io.Writer, p *plot.Plot, w, h vg.Length, format string) (err error) {
	if p == nil {
		return errors.New("plots: nil plot")
	}
	if !(w > 0 && h > 0) {
		return errors.Errorf("plots: figure size must be positive, got %s", sizeString(w, h))
	}
	canvas, err := newCanvas(w, h, format)
	if err != nil {
		return err
	}
	// gonum panics on some invalid data (e.g. non-positive values on a log
	// axis): report it as an error instead of crashing the notebook kernel.
	defer func() {
		if r := recover(); r != nil {
			err = errors.Errorf("plots: rendering %s failed: %v", format, r)
		}
	}()
	p.Draw(figureCanvas(p, canvas))
	if _, err := canvas.WriteTo(out); err != nil {
		return errors.Wrapf(err, "plots: encoding %s", format)
	}
	return nil
}

// figureCanvas paints p's background on the whole canvas and returns the area
// inside [FigureMargin] to draw p into.
func figureCanvas(p *plot.Plot, canvas vg.CanvasSizer) draw.Canvas {
	dc := draw.New(canvas)
	if p.BackgroundColor != nil {
		dc.SetColor(p.BackgroundColor)
		dc.Fill(dc.Rectangle.Path())
	}
	m := FigureMargin
	if 2*m >= min(dc.Size().X, dc.Size().Y) {
		return dc
	}
	return draw.Crop(dc, m, -m, m, -m)
}

// newCanvas returns a canvas for format, with raster formats at [DPI].
func newCanvas(w, h vg.Length, format string) (vg.CanvasWriterTo, error) {
	f := strings.TrimPrefix(strings.ToLower(format), ".")
	switch f {
	case "png", "jpg", "jpeg":
		if DPI <= 0 {
			return nil, errors.Errorf("plots: DPI must be positive, got %d", DPI)
		}
		c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
		if f == "png" {
			return compactPNG{c}, nil
		}
		return vgimg.JpegCanvas{Canvas: c}, nil
	case "svg":
		// Embedded fonts: browsers without Liberation installed would
		// otherwise substitute a font with other metrics and clip labels.
		return svgCanvas{vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(true))}, nil
	case "pdf":
		c := vgpdf.New(w, h)
		c.EmbedFonts(true) // the default, made explicit
		return pdfCanvas{c}, nil
	case "eps":
		return vgeps.New(w, h), nil
	}
	return nil, errors.Errorf("plots: unknown figure format %q, want one of %v", format, Formats)
}

// pdfCanvas corrects vgpdf (gonum/plot v0.17.0), which draws images upside
// down: it flips the page to put the origin at the bottom left, and the image
// placement of the underlying PDF library assumes a top-left origin.
type pdfCanvas struct{ *vgpdf.Canvas }

// DrawImage implements vg.Canvas.
func (c pdfCanvas) DrawImage(rect vg.Rectangle, img image.Image) {
	c.Canvas.DrawImage(rect, flipVertical(img))
}

// flipVertical returns img mirrored top to bottom.
func flipVertical(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if g, ok := img.(*image.Gray); ok {
		gout := image.NewGray(out.Rect)
		for y := range b.Dy() {
			copy(gout.Pix[y*gout.Stride:(y+1)*gout.Stride], g.Pix[(b.Dy()-1-y)*g.Stride:])
		}
		return gout
	}
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(x, y, img.At(b.Min.X+x, b.Max.Y-1-y))
		}
	}
	return out
}

// writeFileAtomic writes data to a temporary file next to path and renames it
// into place, creating parent directories as needed.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrapf(err, "creating directory %q", dir)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return errors.Wrap(err, "creating temporary file")
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return errors.Wrapf(err, "writing %q", tmp.Name())
	}
	if err = tmp.Chmod(0o644); err != nil {
		return errors.Wrapf(err, "chmod %q", tmp.Name())
	}
	if err = tmp.Close(); err != nil {
		return errors.Wrapf(err, "closing %q", tmp.Name())
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return errors.Wrapf(err, "renaming %q to %q", tmp.Name(), path)
	}
	return nil
}

// sizeString formats a figure size for error messages.
func sizeString(w, h vg.Length) string {
	return fmt.Sprintf("%.3gin×%.3gin", float64(w/vg.Inch), float64(h/vg.Inch))
}
