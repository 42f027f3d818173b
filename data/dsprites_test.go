package data

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

func TestDSpritesGrid(t *testing.T) {
	d := NewDSprites()
	if got := d.FactorSizes(); !slices.Equal(got, []int{3, 6, 40, 32, 32}) {
		t.Fatalf("sizes %v", got)
	}
	if got := d.FactorNames(); !slices.Equal(got, []string{"shape", "scale", "orientation", "posX", "posY"}) {
		t.Fatalf("names %v", got)
	}
	if got := d.Bases(); !slices.Equal(got, []int{245760, 40960, 1024, 32, 1}) {
		t.Fatalf("bases %v", got)
	}
	if d.Len() != 737280 || d.NumFactors() != 5 || d.ImageShape() != [3]int{64, 64, 1} {
		t.Fatalf("len %d, factors %d, shape %v", d.Len(), d.NumFactors(), d.ImageShape())
	}
	near := func(name string, got []float64, want ...float64) {
		t.Helper()
		for i, w := range want {
			if math.Abs(got[i]-w) > 1e-8 {
				t.Errorf("%s[%d] = %v, want %v", name, i, got[i], w)
			}
		}
	}
	near("shape", d.FactorGrid(FactorShape), 1, 2, 3)
	near("scale", d.FactorGrid(FactorScale), 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
	or := d.FactorGrid(FactorOrientation)
	near("orientation", or, 0, 0.16110732)
	if or[0] != 0 || or[39] != 2*math.Pi {
		t.Errorf("orientation ends %v, %v; want exactly 0 and 2π", or[0], or[39])
	}
	for _, k := range []int{FactorPosX, FactorPosY} {
		p := d.FactorGrid(k)
		near("pos", p, 0, 0.03225806)
		if p[31] != 1 {
			t.Errorf("pos last %v", p[31])
		}
	}
	v, err := d.Values([]int{2, 5, 39, 31, 0})
	if err != nil {
		t.Fatal(err)
	}
	near("values", v, 3, 1, 2*math.Pi, 1, 0)
}

func TestDSpritesIndexRoundTrip(t *testing.T) {
	d := NewDSprites()
	rng := rand.New(rand.NewPCG(1, 2))
	idx := []int{0, 1, 31, 32, 1023, 1024, 40959, 40960, 245759, 245760, 737279}
	for range 2000 {
		idx = append(idx, rng.IntN(737280))
	}
	bases := d.Bases()
	for _, i := range idx {
		c, err := d.Classes(i, nil)
		if err != nil {
			t.Fatal(err)
		}
		dot := 0
		for k := range c {
			dot += c[k] * bases[k]
		}
		j, err := d.Index(c)
		if err != nil || j != i || dot != i {
			t.Fatalf("index %d → classes %v → %d (dot %d, err %v)", i, c, j, dot, err)
		}
	}
	if c, _ := d.Classes(737279, nil); !slices.Equal(c, []int{2, 5, 39, 31, 31}) {
		t.Errorf("last classes %v", c)
	}
	for _, bad := range []int{-1, 737280} {
		if _, err := d.Classes(bad, nil); err == nil {
			t.Errorf("Classes(%d) accepted", bad)
		}
	}
	for _, bad := range [][]int{{3, 0, 0, 0, 0}, {0, 0, 40, 0, 0}, {0, 0, 0, 0, -1}, {0, 0, 0, 0}} {
		if _, err := d.Index(bad); err == nil {
			t.Errorf("Index(%v) accepted", bad)
		}
		if err := d.Render(bad, make([]float32, 4096)); err == nil {
			t.Errorf("Render(%v) accepted", bad)
		}
	}
	if err := d.Render([]int{0, 0, 0, 0, 0}, make([]float32, 100)); err == nil {
		t.Error("Render accepted a short dst")
	}
}

func render(t testing.TB, c ...int) []float32 {
	t.Helper()
	img := make([]float32, 4096)
	if err := NewDSprites().Render(c, img); err != nil {
		t.Fatal(err)
	}
	return img
}

// stats returns area, centroid and bounding box of the on pixels.
func stats(img []float32) (area int, cx, cy float64, x0, y0, x1, y1 int) {
	x0, y0, x1, y1 = 64, 64, -1, -1
	for i, v := range img {
		if v == 0 {
			continue
		}
		x, y := i%64, i/64
		area++
		cx += float64(x)
		cy += float64(y)
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	return area, cx / float64(area), cy / float64(area), x0, y0, x1, y1
}

func TestRenderBinaryAndInsideFrame(t *testing.T) {
	d := NewDSprites()
	img := make([]float32, 4096)
	// Every mask at the four extreme positions.
	for sh := range 3 {
		for sc := range 6 {
			for o := range 40 {
				for _, p := range [][2]int{{0, 0}, {31, 0}, {0, 31}, {31, 31}} {
					c := []int{sh, sc, o, p[0], p[1]}
					if err := d.Render(c, img); err != nil {
						t.Fatal(err)
					}
					area := 0
					for _, v := range img {
						if v != 0 && v != 1 {
							t.Fatalf("%v: pixel value %v", c, v)
						}
						area += int(v)
					}
					a, _, _, x0, y0, x1, y1 := stats(img)
					if a == 0 || a != len(spriteMask(sh, sc, o)) {
						t.Fatalf("%v: area %d, mask %d", c, a, len(spriteMask(sh, sc, o)))
					}
					if x0 < 1 || y0 < 1 || x1 > 62 || y1 > 62 || x1-x0 > 30 || y1-y0 > 30 {
						t.Fatalf("%v: bounding box x %d–%d y %d–%d leaves the frame or wraps", c, x0, x1, y0, y1)
					}
				}
			}
		}
	}
}

func TestAreaGrowsWithScale(t *testing.T) {
	for sh := range 3 {
		for _, o := range []int{0, 3, 7, 20} {
			prev := 0
			for sc := range 6 {
				a, _, _, _, _, _, _ := stats(render(t, sh, sc, o, 10, 20))
				if a <= prev {
					t.Errorf("shape %d orientation %d: area %d at scale %d not above %d", sh, o, a, sc, prev)
				}
				prev = a
			}
		}
	}
	// An unrotated square covers exactly (20·scale)² pixels.
	for sc, s := range []int{10, 12, 14, 16, 18, 20} {
		if a, _, _, _, _, _, _ := stats(render(t, ShapeSquare, sc, 0, 5, 5)); a != s*s {
			t.Errorf("square scale %d: area %d, want %d", sc, a, s*s)
		}
	}
}

func TestCentroidFollowsPosition(t *testing.T) {
	for sh := range 3 {
		for _, o := range []int{0, 13} {
			_, px, py, _, _, _, _ := stats(render(t, sh, 3, o, 0, 7))
			for x := 1; x < 32; x++ {
				_, cx, cy, _, _, _, _ := stats(render(t, sh, 3, o, x, 7))
				if math.Abs(cx-px-1) > 1e-9 || cy != py {
					t.Fatalf("shape %d posX %d: centroid moved (%.3f, %.3f) → (%.3f, %.3f), want +1 px in x", sh, x, px, py, cx, cy)
				}
				px = cx
			}
			_, px, py, _, _, _, _ = stats(render(t, sh, 3, o, 7, 0))
			for y := 1; y < 32; y++ {
				_, cx, cy, _, _, _, _ := stats(render(t, sh, 3, o, 7, y))
				if math.Abs(cy-py-1) > 1e-9 || cx != px {
					t.Fatalf("shape %d posY %d: centroid moved (%.3f, %.3f) → (%.3f, %.3f), want +1 px in y", sh, y, px, py, cx, cy)
				}
				py = cy
			}
		}
	}
	// The sprite centre sweeps the central region: from 16 to 47 px (continuous coordinates).
	_, cx, cy, _, _, _, _ := stats(render(t, ShapeSquare, 5, 0, 0, 31))
	if math.Abs(cx+0.5-16) > 1e-9 || math.Abs(cy+0.5-47) > 1e-9 {
		t.Errorf("square centre (%v, %v), want (16, 47)", cx+0.5, cy+0.5)
	}
}

func TestOrientation(t *testing.T) {
	for sh := range 3 {
		for sc := range 6 {
			if !slices.Equal(render(t, sh, sc, 0, 12, 9), render(t, sh, sc, 39, 12, 9)) {
				t.Errorf("shape %d scale %d: orientation 0 and 2π differ", sh, sc)
			}
			if slices.Equal(render(t, sh, sc, 0, 12, 9), render(t, sh, sc, 5, 12, 9)) {
				t.Errorf("shape %d scale %d: orientation 5 renders as 0", sh, sc)
			}
		}
	}
	// Counter-clockwise on screen: a heart (tip down) rotated by ~π/2 points its tip right, so its mass sits left.
	_, cx0, _, _, _, _, _ := stats(render(t, ShapeHeart, 5, 0, 16, 16))
	_, cx1, _, _, _, _, _ := stats(render(t, ShapeHeart, 5, 10, 16, 16))
	if cx1 >= cx0 {
		t.Errorf("heart rotated by %.2f rad: centroid x %.2f, want left of %.2f", 10*2*math.Pi/39, cx1, cx0)
	}
	// The heart at orientation 0 has its lobes up: more mass above the centre than below.
	_, _, cy, _, _, _, _ := stats(render(t, ShapeHeart, 5, 0, 16, 16))
	if cy+0.5 >= 32 {
		t.Errorf("heart centroid y %.2f, want above the centre 32", cy+0.5)
	}
}

func TestShapesDiffer(t *testing.T) {
	for _, o := range []int{0, 7} {
		imgs := [][]float32{render(t, 0, 5, o, 16, 16), render(t, 1, 5, o, 16, 16), render(t, 2, 5, o, 16, 16)}
		for i := range 3 {
			for j := i + 1; j < 3; j++ {
				diff := 0
				for p := range imgs[i] {
					if imgs[i][p] != imgs[j][p] {
						diff++
					}
				}
				if diff < 30 {
					t.Errorf("orientation %d: shapes %d and %d differ in only %d pixels", o, i, j, diff)
				}
			}
		}
	}
	// Square and heart have about the same area; the ellipse is smaller and elongated.
	sq, _, _, _, _, _, _ := stats(render(t, ShapeSquare, 5, 0, 16, 16))
	ht, _, _, _, _, _, _ := stats(render(t, ShapeHeart, 5, 0, 16, 16))
	el, _, _, x0, y0, x1, y1 := stats(render(t, ShapeEllipse, 5, 0, 16, 16))
	if math.Abs(float64(ht-sq)) > 0.05*float64(sq) || el >= sq || x1-x0 < 2*(y1-y0) {
		t.Errorf("areas square %d heart %d ellipse %d (ellipse %d×%d)", sq, ht, el, x1-x0+1, y1-y0+1)
	}
}

func TestBatches(t *testing.T) {
	d := NewDSprites()
	b1, err := SeededBatch(d, 7, 3, 16)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := SeededBatch(d, 7, 3, 16)
	b3, _ := SeededBatch(d, 7, 4, 16)
	if !slices.Equal(b1.Images, b2.Images) || !slices.Equal(b1.Classes, b2.Classes) {
		t.Error("same seed and step, different batches")
	}
	if slices.Equal(b1.Classes, b3.Classes) {
		t.Error("different steps, same batch")
	}
	if len(b1.Images) != 16*4096 || len(b1.Classes) != 16*5 || b1.N != 16 || b1.K != 5 {
		t.Fatalf("batch sizes %d %d %d %d", len(b1.Images), len(b1.Classes), b1.N, b1.K)
	}
	for i := range b1.N {
		want := render(t, b1.Classes[i*5:(i+1)*5]...)
		if !slices.Equal(b1.Image(i), want) {
			t.Fatalf("row %d does not match its classes", i)
		}
	}
	rng := rand.New(rand.NewPCG(1, 1))
	fb, err := FixedFactorBatch(d, rng, 64, FactorOrientation, 17)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for i := range fb.N {
		if fb.Class(i, FactorOrientation) != 17 {
			t.Fatalf("row %d: orientation %d", i, fb.Class(i, FactorOrientation))
		}
		seen[fb.Class(i, FactorPosX)] = true
	}
	if len(seen) < 10 {
		t.Errorf("posX took only %d values in a fixed-orientation batch", len(seen))
	}
	fb, _ = FixedFactorBatch(d, rng, 8, FactorShape, -1)
	for i := range fb.N {
		if fb.Class(i, FactorShape) != fb.Class(0, FactorShape) {
			t.Fatal("randomly fixed shape varies")
		}
	}
	if _, err := FixedFactorBatch(d, rng, 8, 5, 0); err == nil {
		t.Error("factor 5 accepted")
	}
	if _, err := FixedFactorBatch(d, rng, 8, FactorScale, 6); err == nil {
		t.Error("scale class 6 accepted")
	}
	a, b, err := PairBatches(d, rng, 32, FactorScale)
	if err != nil {
		t.Fatal(err)
	}
	diff := 0
	for i := range 32 {
		if a.Class(i, FactorScale) != b.Class(i, FactorScale) {
			t.Fatalf("pair %d: scale differs", i)
		}
		if a.Class(i, FactorPosY) != b.Class(i, FactorPosY) {
			diff++
		}
	}
	if diff < 16 {
		t.Errorf("pairs share posY too often (%d/32 differ)", diff)
	}
	if _, err := d.Observe([]int{0, 0, 0}, 1); err == nil {
		t.Error("Observe accepted 3 classes for 1 row")
	}
	imgs, err := d.SampleImages(rng, 3)
	if err != nil || len(imgs) != 3*4096 {
		t.Errorf("SampleImages: %d values, %v", len(imgs), err)
	}
	img := make([]float32, 4096)
	if err := d.Image(737279, img); err != nil || !slices.Equal(img, render(t, 2, 5, 39, 31, 31)) {
		t.Errorf("Image(737279) does not render classes [2 5 39 31 31] (err %v)", err)
	}
}

var _ FactorDataset = (*DSprites)(nil)

// TestContactSheet writes a PNG of sample sprites to $DSPRITES_SHEET when it is set: rows are shape × scale
// (0.5, 1), columns every 4th orientation, then the four corner positions.
func TestContactSheet(t *testing.T) {
	path := os.Getenv("DSPRITES_SHEET")
	if path == "" {
		t.Skip("set DSPRITES_SHEET=file.png to write a contact sheet")
	}
	var rows [][][5]int
	for sh := range 3 {
		for _, sc := range []int{0, 5} {
			var r [][5]int
			for o := 0; o < 40; o += 4 {
				r = append(r, [5]int{sh, sc, o, 16, 16})
			}
			for _, p := range [][2]int{{0, 0}, {31, 0}, {0, 31}, {31, 31}} {
				r = append(r, [5]int{sh, sc, 5, p[0], p[1]})
			}
			rows = append(rows, r)
		}
	}
	const cell = 66
	sheet := image.NewGray(image.Rect(0, 0, len(rows[0])*cell, len(rows)*cell))
	for i := range sheet.Pix {
		sheet.Pix[i] = 128
	}
	for ri, r := range rows {
		for ci, c := range r {
			img := render(t, c[:]...)
			for i, v := range img {
				sheet.SetGray(ci*cell+1+i%64, ri*cell+1+i/64, color.Gray{Y: uint8(255 * v)})
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, sheet); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkRenderBatch64(b *testing.B) {
	d := NewDSprites()
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := RandomBatch(d, rng, 64); err != nil {
			b.Fatal(err)
		}
	}
}
