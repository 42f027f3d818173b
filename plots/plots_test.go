package plots

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui/protocol"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// blob renders a soft disc centred at (cx, cy) (fractions of the image) into an
// h×w grayscale image.
func blob(h, w int, cx, cy, radius, brightness float64) []float32 {
	out := make([]float32, h*w)
	for y := range h {
		for x := range w {
			dx, dy := (float64(x)+0.5)/float64(w)-cx, (float64(y)+0.5)/float64(h)-cy
			d := math.Sqrt(dx*dx+dy*dy) / radius
			out[y*w+x] = float32(brightness / (1 + math.Exp(8*(d-1))))
		}
	}
	return out
}

// sampleTraversal returns a rows×cols traversal of 28×28 blobs: row 0 moves
// the blob in x, row 1 in y, row 2 changes its size, row 3 its brightness.
func sampleTraversal(rows, cols int) ([]float32, []float64) {
	const h, w = 28, 28
	vals := make([]float64, cols)
	var imgs []float32
	for c := range cols {
		vals[c] = -2 + 4*float64(c)/float64(cols-1)
	}
	for r := range rows {
		for c := range cols {
			t := float64(c) / float64(cols-1)
			cx, cy, rad, br := 0.5, 0.5, 0.25, 1.0
			switch r % 4 {
			case 0:
				cx = 0.25 + 0.5*t
			case 1:
				cy = 0.25 + 0.5*t
			case 2:
				rad = 0.1 + 0.25*t
			case 3:
				br = 0.2 + 0.8*t
			}
			imgs = append(imgs, blob(h, w, cx, cy, rad, br)...)
		}
	}
	return imgs, vals
}

func decodePNG(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding PNG: %v", err)
	}
	return img
}

func gray(img image.Image, x, y int) uint8 {
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

// checkFile verifies that path holds a valid figure of the given format.
func checkFile(t *testing.T, path string, w, h vg.Length) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 {
		t.Fatalf("%s is empty", path)
	}
	switch filepath.Ext(path) {
	case ".png":
		img := decodePNG(t, data)
		wantW, wantH := int(w.Dots(float64(DPI))+0.5), int(h.Dots(float64(DPI))+0.5)
		if b := img.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
			t.Errorf("%s: PNG is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), wantW, wantH)
		}
	case ".svg":
		s := strings.TrimSpace(string(data))
		if !strings.HasPrefix(s, "<?xml") && !strings.HasPrefix(s, "<svg") {
			t.Errorf("%s does not look like SVG: %.40q", path, s)
		}
		if !strings.HasSuffix(s, "</svg>") {
			t.Errorf("%s: SVG is not closed", path)
		}
	case ".pdf":
		if !bytes.HasPrefix(data, []byte("%PDF")) {
			t.Errorf("%s does not start with %%PDF: %.10q", path, data)
		}
	default:
		t.Fatalf("unexpected extension %q", path)
	}
	// Save is atomic: no temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// allFigures builds one of each figure type.
func allFigures(t *testing.T) map[string]*plot.Plot {
	t.Helper()
	must := func(p *plot.Plot, err error) *plot.Plot {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	imgs, vals := sampleTraversal(4, 7)
	rng := rand.New(rand.NewPCG(1, 2))
	loss, acc := Series{Name: "train"}, Series{Name: "eval"}
	for i := range 300 {
		loss.X = append(loss.X, float64(i*10))
		loss.Y = append(loss.Y, 2*math.Exp(-float64(i)/60)+0.05+0.1*rng.Float64())
		acc.X = append(acc.X, float64(i*10))
		acc.Y = append(acc.Y, 2.2*math.Exp(-float64(i)/70)+0.08+0.05*rng.Float64())
	}
	var ring, gen Series
	ring.Name, gen.Name = "real", "generated"
	for i := range 800 {
		k := float64(i % 8)
		ring.X = append(ring.X, 2*math.Cos(k*math.Pi/4)+0.05*rng.NormFloat64())
		ring.Y = append(ring.Y, 2*math.Sin(k*math.Pi/4)+0.05*rng.NormFloat64())
		k = float64(i % 3) // collapsed onto 3 of the 8 modes
		gen.X = append(gen.X, 2*math.Cos(k*math.Pi/4)+0.08*rng.NormFloat64())
		gen.Y = append(gen.Y, 2*math.Sin(k*math.Pi/4)+0.08*rng.NormFloat64())
	}
	sim := make([][]float64, 6)
	for i := range sim {
		sim[i] = make([]float64, 6)
		for j := range sim[i] {
			sim[i][j] = math.Cos(float64(i-j) * 0.6)
		}
	}
	return map[string]*plot.Plot{
		"traversal": must(Traversal(imgs, 4, 7, 28, 28, 1, nil, vals)),
		"curves": must(CurvesWith(CurvesOptions{Title: "Training loss", XLabel: "step", YLabel: "loss",
			Smooth: 0.9, ShowRaw: true, LogY: true}, loss, acc)),
		"scatter":  must(Scatter2D("Ring of 8 Gaussians", ring, gen)),
		"bars":     must(Bars("KL per latent", "KL (nats)", nil, []float64{3.1, 0.02, 2.2, 0.01, 1.5, 0.0, 0.7, 0.03})),
		"heatmap":  must(Heatmap("Cosine similarity", sim, nil, nil, true)),
		"spectrum": must(Spectrum("Singular values", []float64{10, 5, 2, 1, 0.3, 0.1, 0.01, 0.001})),
	}
}

func TestSaveAllFormats(t *testing.T) {
	dir := t.TempDir()
	const w, h = 5 * vg.Inch, 3.5 * vg.Inch
	for name, p := range allFigures(t) {
		for _, ext := range []string{".png", ".svg", ".pdf"} {
			path := filepath.Join(dir, "sub", "dir", name+ext) // parent dirs created
			if err := Save(p, w, h, path); err != nil {
				t.Fatalf("Save(%s): %v", path, err)
			}
			checkFile(t, path, w, h)
		}
	}
}

func TestSaveOverwritesAndErrors(t *testing.T) {
	dir := t.TempDir()
	p, err := Curves("t", "x", "y", Series{Name: "a", Y: []float64{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "c.png")
	for range 2 {
		if err := Save(p, 3*vg.Inch, 2*vg.Inch, path); err != nil {
			t.Fatal(err)
		}
	}
	checkFile(t, path, 3*vg.Inch, 2*vg.Inch)

	for _, bad := range []string{"fig.bmp", "fig", "fig.png.gz"} {
		err := Save(p, 3*vg.Inch, 2*vg.Inch, filepath.Join(dir, bad))
		if err == nil {
			t.Errorf("Save(%q) succeeded, want error", bad)
			continue
		}
		if !strings.Contains(err.Error(), "png") || !strings.Contains(err.Error(), bad) {
			t.Errorf("Save(%q) error should name the file and list formats: %v", bad, err)
		}
		if _, statErr := os.Stat(filepath.Join(dir, bad)); statErr == nil {
			t.Errorf("Save(%q) created a file despite the error", bad)
		}
	}
	if _, err := Bytes(p, 0, 2*vg.Inch, "png"); err == nil {
		t.Error("zero width should fail")
	}
	if _, err := Bytes(nil, 2*vg.Inch, 2*vg.Inch, "png"); err == nil {
		t.Error("nil plot should fail")
	}
	if _, err := Bytes(p, 2*vg.Inch, 2*vg.Inch, ".SVG"); err != nil {
		t.Errorf("format \".SVG\" should be accepted: %v", err)
	}
}

func TestBytesDPI(t *testing.T) {
	p, err := Bars("b", "v", []string{"a", "b"}, []float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	old := DPI
	defer func() { DPI = old }()
	for _, dpi := range []int{72, 150, 300} {
		DPI = dpi
		data, err := Bytes(p, 2*vg.Inch, 1*vg.Inch, "png")
		if err != nil {
			t.Fatal(err)
		}
		b := decodePNG(t, data).Bounds()
		if b.Dx() != 2*dpi || b.Dy() != dpi {
			t.Errorf("DPI %d: got %dx%d, want %dx%d", dpi, b.Dx(), b.Dy(), 2*dpi, dpi)
		}
	}
}

// cellPixelRect returns the pixel rectangle of grid cell (r, c) when p (holding
// g) is rendered at w×h and DPI, using the same layout code as drawing.
func cellPixelRect(p *plot.Plot, g *ImageGrid, w, h vg.Length, r, c int) image.Rectangle {
	cv := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	dc := p.DataCanvas(figureCanvas(p, cv))
	x0, y0, s := g.layout(dc, p)
	rect := g.cellRect(x0, y0, s, r, c)
	hPx := h.Dots(float64(DPI))
	return image.Rect(
		int(math.Ceil(rect.Min.X.Dots(float64(DPI)))), int(math.Ceil(hPx-rect.Max.Y.Dots(float64(DPI)))),
		int(math.Floor(rect.Max.X.Dots(float64(DPI)))), int(math.Floor(hPx-rect.Min.Y.Dots(float64(DPI)))))
}

func TestTraversalContent(t *testing.T) {
	// 3 rows × 4 cols of 20×30 (H×W) gray images: mid-gray except a white
	// cell at (0, 0) and a black one at (2, 3).
	const rows, cols, ih, iw = 3, 4, 20, 30
	imgs := make([]float32, rows*cols*ih*iw)
	for i := range imgs {
		imgs[i] = 0.5
	}
	fill := func(r, c int, v float32) {
		off := (r*cols + c) * ih * iw
		for i := range ih * iw {
			imgs[off+i] = v
		}
	}
	fill(0, 0, 1)
	fill(2, 3, 0)
	g, err := TraversalGrid(imgs, rows, cols, ih, iw, 1, nil, []float64{-1.5, -0.5, 0.5, 1.5})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g.RowLabels, ","); got != "c1,c2,c3" {
		t.Errorf("default row labels = %q", got)
	}
	if got := strings.Join(g.ColLabels, ","); got != "-1.5,-0.5,0.5,1.5" {
		t.Errorf("column labels = %q", got)
	}
	p := GridPlot(g, "")
	// A deliberately too-wide figure: cells must keep their 3:2 aspect.
	const w, h = 8 * vg.Inch, 3 * vg.Inch
	data, err := Bytes(p, w, h, "png")
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, data)

	center := func(r image.Rectangle) image.Point {
		return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
	}
	white := cellPixelRect(p, g, w, h, 0, 0)
	black := cellPixelRect(p, g, w, h, 2, 3)
	mid := cellPixelRect(p, g, w, h, 1, 1)
	if white.Dx() < 10 || white.Dy() < 10 {
		t.Fatalf("cells are too small: %v", white)
	}
	if pc := center(white); gray(img, pc.X, pc.Y) < 250 {
		t.Errorf("white cell centre %v has gray %d, want ~255", pc, gray(img, pc.X, pc.Y))
	}
	if pc := center(black); gray(img, pc.X, pc.Y) > 5 {
		t.Errorf("black cell centre %v has gray %d, want ~0", pc, gray(img, pc.X, pc.Y))
	}
	if pc := center(mid); math.Abs(float64(gray(img, pc.X, pc.Y))-128) > 4 {
		t.Errorf("mid cell centre %v has gray %d, want ~128", pc, gray(img, pc.X, pc.Y))
	}
	// Orientation, independent of the layout code: the black cell is
	// the only dark region, and it lies in the bottom-right quadrant.
	var sx, sy, n int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if gray(img, x, y) < 20 {
				sx, sy, n = sx+x, sy+y, n+1
			}
		}
	}
	if n == 0 {
		t.Fatal("no dark pixels found")
	}
	if cx, cy := sx/n, sy/n; cx < b.Dx()/2 || cy < b.Dy()/2 {
		t.Errorf("dark region centred at (%d,%d), want bottom-right of %v", cx, cy, b)
	}
	// Aspect ratio: measure the black cell's extent along its centre lines.
	pc := center(black)
	extent := func(dx, dy int) int {
		k := 0
		for x, y := pc.X, pc.Y; gray(img, x, y) < 64; x, y = x+dx, y+dy {
			k++
		}
		return k
	}
	cw, ch := extent(1, 0)+extent(-1, 0), extent(0, 1)+extent(0, -1)
	if ratio := float64(cw) / float64(ch); math.Abs(ratio-1.5) > 0.05 {
		t.Errorf("black cell is %dx%d px (ratio %.3f), want ratio 1.5", cw, ch, ratio)
	}
	// The grid does not fill the too-wide figure: the far left and right
	// columns of pixels are background.
	for _, x := range []int{2, b.Dx() - 3} {
		if v := gray(img, x, b.Dy()/2); v != 255 {
			t.Errorf("pixel column %d should be white background, got %d", x, v)
		}
	}
}

func TestImageGridRGBAndPartialRow(t *testing.T) {
	// 5 RGB images of 2×2 in rows of 3: second row has an empty cell.
	imgs := make([]float32, 5*2*2*3)
	for i := 0; i < len(imgs); i += 3 {
		imgs[i] = 1 // pure red
	}
	g, err := NewImageGrid(imgs, 5, 2, 2, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if g.Rows != 2 || g.Cols != 3 || g.Cell(1, 2) != nil || g.Cell(1, 1) == nil {
		t.Fatalf("bad layout: rows=%d cols=%d", g.Rows, g.Cols)
	}
	p := GridPlot(g, "RGB")
	w, h := g.FigSize(p, vg.Inch)
	data, err := Bytes(p, w, h, "png")
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, data)
	r := cellPixelRect(p, g, w, h, 0, 1)
	cr, cg, cb, _ := img.At((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2).RGBA()
	if cr>>8 < 250 || cg>>8 > 5 || cb>>8 > 5 {
		t.Errorf("RGB cell should be red, got (%d,%d,%d)", cr>>8, cg>>8, cb>>8)
	}
	r = cellPixelRect(p, g, w, h, 1, 2)
	if v := gray(img, (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2); v != 255 {
		t.Errorf("empty cell should be background, got %d", v)
	}
}

func TestImageGridErrors(t *testing.T) {
	imgs, _ := sampleTraversal(2, 3)
	cases := map[string]func() error{
		"short images": func() error {
			_, err := Traversal(imgs[:len(imgs)-1], 2, 3, 28, 28, 1, nil, nil)
			return err
		},
		"wrong rows": func() error { _, err := Traversal(imgs, 3, 3, 28, 28, 1, nil, nil); return err },
		"row labels": func() error {
			_, err := Traversal(imgs, 2, 3, 28, 28, 1, []string{"a"}, nil)
			return err
		},
		"col values": func() error {
			_, err := Traversal(imgs, 2, 3, 28, 28, 1, nil, []float64{1, 2})
			return err
		},
		"channels":  func() error { _, err := NewImageGrid(make([]float32, 8), 1, 2, 2, 2, 1); return err },
		"zero cols": func() error { _, err := NewImageGrid(make([]float32, 4), 1, 2, 2, 1, 0); return err },
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: want error", name)
		}
	}
	err := func() error { _, err := Traversal(imgs[:10], 2, 3, 28, 28, 1, nil, nil); return err }()
	if err == nil || !strings.Contains(err.Error(), "len(images)=10") {
		t.Errorf("length error should report the length: %v", err)
	}
	bad := append([]float32(nil), imgs...)
	bad[28*28+5*28+7] = float32(math.NaN()) // image 1, y=5, x=7
	_, err = Traversal(bad, 2, 3, 28, 28, 1, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "NaN") || !strings.Contains(err.Error(), "image 1") ||
		!strings.Contains(err.Error(), "y=5, x=7") {
		t.Errorf("NaN error should locate the pixel: %v", err)
	}
	bad[28*28+5*28+7] = float32(math.Inf(1))
	if _, err = Traversal(bad, 2, 3, 28, 28, 1, nil, nil); err == nil {
		t.Error("Inf should be an error")
	}
}

func TestCurvesErrorsAndEMA(t *testing.T) {
	if _, err := Curves("t", "x", "y"); err == nil {
		t.Error("no series should fail")
	}
	if _, err := Curves("t", "x", "y", Series{Name: "a", X: []float64{1}, Y: []float64{1, 2}}); err == nil {
		t.Error("len(X) != len(Y) should fail")
	}
	_, err := Curves("t", "x", "y", Series{Name: "loss", Y: []float64{1, math.NaN()}})
	if err == nil || !strings.Contains(err.Error(), "loss") || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN should fail naming the series: %v", err)
	}
	if _, err := CurvesWith(CurvesOptions{Smooth: 1}, Series{Y: []float64{1}}); err == nil {
		t.Error("Smooth=1 should fail")
	}
	if _, err := CurvesWith(CurvesOptions{LogY: true}, Series{Name: "z", Y: []float64{0, -1}}); err == nil {
		t.Error("log axis with no positive values should fail")
	}
	// Non-positive values are dropped on a log axis, and a single value renders.
	for _, s := range []Series{{Y: []float64{0, 1, 0.5}}, {Y: []float64{0.3}}} {
		p, err := CurvesWith(CurvesOptions{LogY: true}, s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Bytes(p, 3*vg.Inch, 2*vg.Inch, "png"); err != nil {
			t.Errorf("log plot of %v: %v", s.Y, err)
		}
	}

	if got := EMA([]float64{4, 4, 4}, 0.9); math.Abs(got[0]-4) > 1e-12 || math.Abs(got[2]-4) > 1e-12 {
		t.Errorf("debiased EMA of a constant should be constant, got %v", got)
	}
	got := EMA([]float64{0, 10}, 0.5) // (0.5*0 + 0.5*10)/(1-0.25)
	if math.Abs(got[1]-10*0.5/0.75) > 1e-12 {
		t.Errorf("EMA = %v", got)
	}
	if got := EMA([]float64{1, 2, 3}, 0); got[1] != 2 {
		t.Errorf("EMA with alpha 0 should be identity, got %v", got)
	}
}

func TestOtherErrors(t *testing.T) {
	if _, err := Scatter2D("s", Series{Y: []float64{1}}); err == nil {
		t.Error("scatter without X should fail")
	}
	if _, err := Bars("b", "", []string{"a"}, []float64{1, 2}); err == nil {
		t.Error("label count mismatch should fail")
	}
	if _, err := Bars("b", "", nil, []float64{math.NaN()}); err == nil {
		t.Error("NaN bar should fail")
	}
	if _, err := Heatmap("h", [][]float64{{1, 2}, {3}}, nil, nil, false); err == nil {
		t.Error("ragged matrix should fail")
	}
	if _, err := Heatmap("h", [][]float64{{1, math.NaN()}}, nil, nil, false); err == nil {
		t.Error("NaN matrix should fail")
	}
	if _, err := Heatmap("h", [][]float64{{1, 2}}, []string{"a", "b"}, nil, false); err == nil {
		t.Error("row label mismatch should fail")
	}
	if _, err := Spectrum("s", []float64{1, -1}); err == nil {
		t.Error("negative singular value should fail")
	}
	if _, err := Spectrum("s", []float64{0, 0}); err == nil {
		t.Error("all-zero spectrum should fail")
	}
}

func TestHeatmapColors(t *testing.T) {
	// Diverging data gets a symmetric range; cell (0,0)=-1 must be blue and
	// (0,1)=+1 red, at the right places (row 0 at the top).
	p, err := Heatmap("", [][]float64{{-1, 1}, {0, 0.5}}, []string{"a", "b"}, []string{"x", "y"}, false)
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 3 * vg.Inch, 3 * vg.Inch
	data, err := Bytes(p, w, h, "png")
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, data)
	cv := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	dc := p.DataCanvas(figureCanvas(p, cv))
	trX, trY := p.Transforms(&dc)
	at := func(x, y float64) (r, g, b uint32) {
		px := int(trX(x).Dots(float64(DPI)))
		py := int(h.Dots(float64(DPI)) - trY(y).Dots(float64(DPI)))
		r, g, b, _ = img.At(px, py).RGBA()
		return r >> 8, g >> 8, b >> 8
	}
	if r, _, b := at(0.5, 1.5); !(b > r+60) {
		t.Errorf("top-left cell (-1) should be blue, got r=%d b=%d", r, b)
	}
	if r, _, b := at(1.5, 1.5); !(r > b+60) {
		t.Errorf("top-right cell (+1) should be red, got r=%d b=%d", r, b)
	}
	if r, g, b := at(0.5, 0.5); r < 230 || g < 230 || b < 230 {
		t.Errorf("zero cell should be near white, got (%d,%d,%d)", r, g, b)
	}
}

func TestDisplay(t *testing.T) {
	p, err := Bars("b", "v", nil, []float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	// Outside a notebook: no-op.
	var sent []*protocol.DisplayData
	var updates []string
	oldIn, oldSend, oldUpdate := inNotebook, sendData, updateHTML
	defer func() { inNotebook, sendData, updateHTML = oldIn, oldSend, oldUpdate }()
	sendData = func(d *protocol.DisplayData) { sent = append(sent, d) }
	updateHTML = func(id, html string) { updates = append(updates, id+"|"+html) }
	inNotebook = func() bool { return false }
	if err := Display(p, 2*vg.Inch, vg.Inch); err != nil || len(sent) != 0 {
		t.Fatalf("Display outside notebook: err=%v, sent=%d", err, len(sent))
	}
	if err := DisplayUpdate("id", p, 2*vg.Inch, vg.Inch); err != nil || len(updates) != 0 {
		t.Fatalf("DisplayUpdate outside notebook: err=%v, updates=%d", err, len(updates))
	}

	// Inside a notebook: one message with PNG bytes and SVG text.
	inNotebook = func() bool { return true }
	if err := Display(p, 2*vg.Inch, vg.Inch); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(sent))
	}
	pngData, ok := sent[0].Data[protocol.MIMEImagePNG].([]byte)
	if !ok {
		t.Fatalf("PNG payload is %T, want []byte", sent[0].Data[protocol.MIMEImagePNG])
	}
	decodePNG(t, pngData)
	svg, ok := sent[0].Data[protocol.MIMEImageSVG].(string)
	if !ok || !strings.Contains(svg, "<svg") {
		t.Errorf("SVG payload missing or invalid (%T)", sent[0].Data[protocol.MIMEImageSVG])
	}
	if sent[0].DisplayID != "" {
		t.Error("Display must not be transient")
	}

	if err := DisplayUpdate("fig1", p, 2*vg.Inch, vg.Inch); err != nil {
		t.Fatal(err)
	}
	if len(updates) != 1 || !strings.HasPrefix(updates[0], `fig1|<img width="192" height="96" src="data:image/png;base64,`) {
		t.Errorf("unexpected update: %.120q", updates)
	}
	if err := DisplayUpdate("", p, 2*vg.Inch, vg.Inch); err == nil {
		t.Error("empty id should fail")
	}
	if err := Display(nil, 2*vg.Inch, vg.Inch); err == nil {
		t.Error("nil plot should fail in a notebook")
	}
}

func TestRenderPanicBecomesError(t *testing.T) {
	p := plot.New()
	p.Y.Scale = plot.LogScale{}
	p.Y.Min, p.Y.Max = -1, 1
	if _, err := Bytes(p, 2*vg.Inch, 2*vg.Inch, "png"); err == nil {
		t.Error("invalid log range should become an error, not a panic")
	}
}

// TestWriteSamples writes sample figures for visual inspection when
// PLOTS_SAMPLES_DIR is set (e.g. PLOTS_SAMPLES_DIR=/tmp/plots_samples).
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("PLOTS_SAMPLES_DIR")
	if dir == "" {
		t.Skip("PLOTS_SAMPLES_DIR not set")
	}
	figs := allFigures(t)
	sizes := map[string][2]vg.Length{
		"scatter":  {4 * vg.Inch, 4 * vg.Inch},
		"heatmap":  {4.5 * vg.Inch, 4 * vg.Inch},
		"curves":   {5 * vg.Inch, 3.5 * vg.Inch},
		"bars":     {5 * vg.Inch, 3 * vg.Inch},
		"spectrum": {5 * vg.Inch, 3.5 * vg.Inch},
	}
	if w, err := EqualScaleWidth(figs["scatter"], 4*vg.Inch); err == nil {
		sizes["scatter"] = [2]vg.Length{w, 4 * vg.Inch}
	} else {
		t.Fatal(err)
	}
	for name, p := range figs {
		sz, ok := sizes[name]
		if !ok {
			continue
		}
		for _, ext := range []string{".png", ".svg", ".pdf"} {
			if err := Save(p, sz[0], sz[1], filepath.Join(dir, name+ext)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Compared panels on shared axes.
	a, b := Series{Name: "β=1"}, Series{Name: "β=4"}
	for i := range 100 {
		a.X, a.Y = append(a.X, float64(i)), append(a.Y, 40*math.Exp(-float64(i)/30)+5)
		b.X, b.Y = append(b.X, float64(i)), append(b.Y, 60*math.Exp(-float64(i)/50)+12)
	}
	pa, _ := Curves("β-VAE, β=1", "step", "loss", a)
	pb, _ := Curves("β-VAE, β=4", "step", "loss", b)
	if err := ShareAxes(pa, pb); err != nil {
		t.Fatal(err)
	}
	panels, err := Panels("Reconstruction loss", 2, pa, pb)
	if err != nil {
		t.Fatal(err)
	}
	if err := Save(panels, 7*vg.Inch, 3*vg.Inch, filepath.Join(dir, "panels.png")); err != nil {
		t.Fatal(err)
	}
	imgs, vals := sampleTraversal(4, 7)
	g, err := TraversalGrid(imgs, 4, 7, 28, 28, 1, nil, vals)
	if err != nil {
		t.Fatal(err)
	}
	p := GridPlot(g, "Latent traversal")
	w, h := g.FigSize(p, 0.7*vg.Inch)
	for _, ext := range []string{".png", ".svg", ".pdf"} {
		if err := Save(p, w, h, filepath.Join(dir, "traversal"+ext)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.SaveGIFs(filepath.Join(dir, "traversal_z%d.gif"), GIFOptions{PingPong: true}); err != nil {
		t.Fatal(err)
	}
	// Coarse RGB images in a grid with a partial last row: pixels must stay sharp.
	rng := rand.New(rand.NewPCG(3, 4))
	const n, ih, iw = 10, 8, 12
	rgbImgs := make([]float32, n*ih*iw*3)
	for i := range rgbImgs {
		rgbImgs[i] = float32(rng.IntN(2)) * (0.3 + 0.7*float32(i%3)/2)
	}
	rg, err := NewImageGrid(rgbImgs, n, ih, iw, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	rp := GridPlot(rg, "RGB samples")
	w, h = rg.FigSize(rp, vg.Inch)
	if err := Save(rp, w, h, filepath.Join(dir, "grid_rgb.png")); err != nil {
		t.Fatal(err)
	}
	// The traversal grid in a badly proportioned figure: must not be distorted.
	if err := Save(p, 7*vg.Inch, 2.5*vg.Inch, filepath.Join(dir, "traversal_wide.png")); err != nil {
		t.Fatal(err)
	}
}
