package plots

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// TestCompactPNG: a grey figure (an image grid with black text) is written as 8-bit greyscale with exactly the
// pixels of the RGBA rendering, in fewer bytes; a figure with coloured curves stays RGBA.
func TestCompactPNG(t *testing.T) {
	images := make([]float32, 6*8*8)
	for i := range images {
		images[i] = float32(i%17) / 16
	}
	grey, err := ImageGridPlot("grey", images, 6, 8, 8, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Bytes(grey, 3*vg.Inch, 2*vg.Inch, "png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		t.Fatalf("grey figure decoded as %T, want *image.Gray", img)
	}
	c := vgimg.NewWith(vgimg.UseWH(3*vg.Inch, 2*vg.Inch), vgimg.UseDPI(DPI))
	grey.Draw(figureCanvas(grey, c))
	var full bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&full); err != nil {
		t.Fatal(err)
	}
	ref := c.Image()
	b := ref.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, _, _, _ := ref.At(x, y).RGBA()
			if uint8(r>>8) != g.GrayAt(x, y).Y {
				t.Fatalf("pixel (%d, %d): grey %d, RGBA rendering %d", x, y, g.GrayAt(x, y).Y, r>>8)
			}
		}
	}
	if len(got) >= full.Len() {
		t.Errorf("greyscale PNG %d bytes, RGBA PNG %d: want smaller", len(got), full.Len())
	}
	t.Logf("grey figure: %d bytes as greyscale, %d as RGBA", len(got), full.Len())

	colour, err := Curves("colour", "x", "y", Series{Name: "a", X: []float64{0, 1}, Y: []float64{0, 1}})
	if err != nil {
		t.Fatal(err)
	}
	got, err = Bytes(colour, 3*vg.Inch, 2*vg.Inch, "png")
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(got)); err != nil {
		t.Fatal(err)
	} else if _, isGrey := img.(*image.Gray); isGrey {
		t.Error("a figure with a blue curve was written as greyscale")
	}
}
