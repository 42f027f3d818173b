package plots

import (
	"image"
	"image/color"
	"image/png"
	"io"

	"gonum.org/v1/plot/vg/vgimg"
)

// compactPNG is a PNG canvas whose encoding is lossless but smaller where the figure allows: a figure whose every
// pixel is an opaque grey (image grids of grey data, black text) is written as 8-bit greyscale, a quarter of the
// RGBA bytes before compression. Notebooks that keep their outputs stay lighter.
type compactPNG struct{ *vgimg.Canvas }

// WriteTo implements io.WriterTo.
func (c compactPNG) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	img := c.Image()
	if g, ok := asGray(img); ok {
		return cw.n, png.Encode(cw, g)
	}
	return cw.n, png.Encode(cw, img)
}

// asGray returns img as *image.Gray when every pixel is opaque with R = G = B.
func asGray(img image.Image) (*image.Gray, bool) {
	b := img.Bounds()
	g := image.NewGray(b)
	rgba, isRGBA := img.(*image.RGBA)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var r, gg, bb, a uint8
			if isRGBA {
				i := rgba.PixOffset(x, y)
				r, gg, bb, a = rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2], rgba.Pix[i+3]
			} else {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				r, gg, bb, a = c.R, c.G, c.B, c.A
			}
			if a != 0xff || r != gg || gg != bb {
				return nil, false
			}
			g.Pix[g.PixOffset(x, y)] = r
		}
	}
	return g, true
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
