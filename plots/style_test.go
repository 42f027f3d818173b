package plots

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"image"
	"image/color"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// originalFont returns the sfnt font [Font] resolves to in gonum's cache.
func originalFont(t *testing.T) *sfnt.Font {
	t.Helper()
	face := font.DefaultCache.Lookup(Font, 10)
	if face.Face == nil {
		t.Fatalf("font %v is not in gonum's font cache", Font)
	}
	return face.Face
}

// glyphOf returns the outline and advance of r in f (size 1000 ppem).
func glyphOf(t *testing.T, f *sfnt.Font, r rune) (sfnt.Segments, fixed.Int26_6) {
	t.Helper()
	var buf sfnt.Buffer
	gi, err := f.GlyphIndex(&buf, r)
	if err != nil || gi == 0 {
		t.Fatalf("no glyph for %q: %v", r, err)
	}
	segs, err := f.LoadGlyph(&buf, gi, fixed.I(1000), nil)
	if err != nil {
		t.Fatalf("loading glyph %q: %v", r, err)
	}
	adv, err := f.GlyphAdvance(&buf, gi, fixed.I(1000), 0)
	if err != nil {
		t.Fatal(err)
	}
	return append(sfnt.Segments(nil), segs...), adv
}

func TestSubsetTTF(t *testing.T) {
	orig := originalFont(t)
	var src bytes.Buffer
	if _, err := orig.WriteSourceTo(nil, &src); err != nil {
		t.Fatal(err)
	}
	keep := []rune("AVé(0.31)-z")
	sub, err := subsetTTF(src.Bytes(), keep)
	if err != nil {
		t.Fatal(err)
	}
	if len(sub) > src.Len()/5 {
		t.Errorf("subset is %d bytes, the full font %d: expected a much smaller file", len(sub), src.Len())
	}
	f, err := sfnt.Parse(sub)
	if err != nil {
		t.Fatalf("subset font does not parse: %v", err)
	}
	// Kept glyphs (é is a composite of e and an accent) are unchanged.
	for _, r := range keep {
		s0, a0 := glyphOf(t, orig, r)
		s1, a1 := glyphOf(t, f, r)
		if a0 != a1 || len(s0) != len(s1) || len(s0) == 0 {
			t.Errorf("%q: subset glyph has advance %v and %d segments, original %v and %d", r, a1, len(s1), a0, len(s0))
			continue
		}
		for i := range s0 {
			if s0[i] != s1[i] {
				t.Errorf("%q: segment %d differs", r, i)
				break
			}
		}
	}
	// Dropped glyphs are empty but keep their metrics.
	s, a := glyphOf(t, f, 'Q')
	_, a0 := glyphOf(t, orig, 'Q')
	if len(s) != 0 || a != a0 {
		t.Errorf("'Q' should be an empty glyph with the original advance: %d segments, advance %v (want %v)", len(s), a, a0)
	}
	// Kerning is kept (gonum's layout uses it).
	var buf sfnt.Buffer
	ia, _ := f.GlyphIndex(&buf, 'A')
	iv, _ := f.GlyphIndex(&buf, 'V')
	k1, err1 := f.Kern(&buf, ia, iv, fixed.I(1000), 0)
	k0, err0 := orig.Kern(&buf, ia, iv, fixed.I(1000), 0)
	if err0 == nil && (err1 != nil || k0 != k1) {
		t.Errorf("kerning A-V: subset %v (%v), original %v", k1, err1, k0)
	}
	// The checksum adjustment makes the whole file sum to the magic number.
	if sum := tableChecksum(sub); sum != 0xB1B0AFBA {
		t.Errorf("file checksum %#x, want 0xB1B0AFBA", sum)
	}
	if _, err := subsetTTF([]byte("not a font"), keep); err == nil {
		t.Error("garbage should fail")
	}
}

// svgText holds what TestSVGEmbedsFont reads from an SVG file.
type svgText struct {
	families []string // first family of each <text>
	content  string   // all text content
	css      string   // all <style> content
}

func parseSVG(t *testing.T, data []byte) svgText {
	t.Helper()
	var out svgText
	famRE := regexp.MustCompile(`font-family:\s*([^;]+)`)
	dec := xml.NewDecoder(bytes.NewReader(data))
	var in string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			in = e.Name.Local
			if in == "text" {
				var style string
				for _, a := range e.Attr {
					if a.Name.Local == "style" {
						style = a.Value
					}
				}
				m := famRE.FindStringSubmatch(style)
				if m == nil {
					t.Fatalf("<text> without font-family: %q", style)
				}
				first := strings.Trim(strings.TrimSpace(strings.Split(m[1], ",")[0]), `'"`)
				out.families = append(out.families, first)
			}
		case xml.CharData:
			switch in {
			case "text":
				out.content += string(e)
			case "style":
				out.css += string(e)
			}
		case xml.EndElement:
			in = ""
		}
	}
	return out
}

func TestSVGEmbedsFont(t *testing.T) {
	orig := originalFont(t)
	var buf sfnt.Buffer
	family, err := orig.Name(&buf, sfnt.NameIDFamily)
	if err != nil || family != "Liberation Sans" {
		t.Fatalf("default font family is %q (%v), want Liberation Sans", family, err)
	}
	figs := allFigures(t)
	panel, err := Panels("both", 2, figs["curves"], figs["spectrum"])
	if err != nil {
		t.Fatal(err)
	}
	figs["panels"] = panel
	faceRE := regexp.MustCompile(`@font-face\s*{[^}]*font-family:\s*"([^"]+)"[^}]*src:\s*url\(data:font/ttf;base64,([A-Za-z0-9+/=]+)\)`)
	for name, p := range figs {
		data, err := Bytes(p, 5*vg.Inch, 3.5*vg.Inch, "svg")
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > 400_000 {
			t.Errorf("%s: SVG is %d bytes; the embedded font should be subset", name, len(data))
		}
		svg := parseSVG(t, data)
		if len(svg.families) == 0 {
			t.Fatalf("%s: no text in SVG", name)
		}
		for i, f := range svg.families {
			if f != family {
				t.Errorf("%s: text %d uses font family %q, want %q", name, i, f, family)
			}
		}
		faces := faceRE.FindAllStringSubmatch(svg.css, -1)
		if len(faces) != 1 || faces[0][1] != family {
			t.Fatalf("%s: want one embedded @font-face for %q, found %d", name, family, len(faces))
		}
		ttf, err := base64.StdEncoding.DecodeString(faces[0][2])
		if err != nil {
			t.Fatalf("%s: embedded font data: %v", name, err)
		}
		f, err := sfnt.Parse(ttf)
		if err != nil {
			t.Fatalf("%s: embedded font does not parse: %v", name, err)
		}
		if got, _ := f.Name(&buf, sfnt.NameIDFamily); got != family {
			t.Errorf("%s: embedded font is %q", name, got)
		}
		// Every character shown has its outline (and original advance).
		for _, r := range svg.content {
			if r == ' ' {
				continue
			}
			s0, a0 := glyphOf(t, orig, r)
			s1, a1 := glyphOf(t, f, r)
			if len(s1) != len(s0) || a1 != a0 {
				t.Errorf("%s: embedded glyph %q differs from the original", name, r)
			}
		}
	}
}

func TestPDFEmbedsFont(t *testing.T) {
	for name, p := range allFigures(t) {
		data, err := Bytes(p, 5*vg.Inch, 3.5*vg.Inch, "pdf")
		if err != nil {
			t.Fatal(err)
		}
		fonts := regexp.MustCompile(`/BaseFont\s*/([A-Za-z0-9+-]+)`).FindAllSubmatch(data, -1)
		if len(fonts) == 0 {
			t.Fatalf("%s: PDF names no font", name)
		}
		for _, f := range fonts {
			if string(f[1]) != "LiberationSans" {
				t.Errorf("%s: PDF uses font %q, want LiberationSans only", name, f[1])
			}
		}
		m := regexp.MustCompile(`/FontFile2\s+(\d+)\s+0\s+R`).FindSubmatch(data)
		if m == nil {
			t.Fatalf("%s: PDF does not embed a TrueType font (/FontFile2)", name)
		}
		// The referenced stream object holds the font program.
		obj := regexp.MustCompile(`(?s)\n` + string(m[1]) + ` 0 obj\s*<<(.*?)>>\s*stream`).FindSubmatch(data)
		if obj == nil {
			t.Fatalf("%s: font stream object %s not found", name, m[1])
		}
		length := regexp.MustCompile(`/Length1\s+(\d+)`).FindSubmatch(obj[1])
		if length == nil || len(length[1]) < 5 { // at least 10000 bytes
			t.Errorf("%s: embedded font stream is missing or tiny: %q", name, obj[1])
		}
	}
}

// near tells whether c is within tol of want in every channel.
func near(c color.Color, want color.Color, tol int) bool {
	r, g, b, _ := c.RGBA()
	wr, wg, wb, _ := want.RGBA()
	d := func(x, y uint32) int { return int(math.Abs(float64(x>>8) - float64(y>>8))) }
	return d(r, wr) <= tol && d(g, wg) <= tol && d(b, wb) <= tol
}

func TestLegendOutsideData(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// Data filling every corner of the axes, where an inside legend would
	// necessarily cover points.
	var a, b Series
	a.Name, b.Name = "reconstruction loss", "KL"
	for i := range 200 {
		a.X, a.Y = append(a.X, float64(i)), append(a.Y, 10*rng.Float64())
		b.X, b.Y = append(b.X, float64(i)), append(b.Y, 10-float64(i)/20)
	}
	curves, err := Curves("loss", "step", "value", a, b)
	if err != nil {
		t.Fatal(err)
	}
	scatter, err := Scatter2D("ring", a, b)
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 5 * vg.Inch, 3 * vg.Inch
	for name, p := range map[string]*plot.Plot{"curves": curves, "scatter": scatter} {
		cv := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
		fc := figureCanvas(p, cv)
		dc := p.DataCanvas(fc)
		lr := legendRect(p, fc)
		if lr.Size().X <= 0 || lr.Size().Y <= 0 {
			t.Fatalf("%s: no legend", name)
		}
		if lr.Min.X < fc.Min.X || lr.Max.X > fc.Max.X || lr.Min.Y < fc.Min.Y || lr.Max.Y > fc.Max.Y {
			t.Errorf("%s: legend %v sticks out of the figure %v", name, lr, fc.Rectangle)
		}
		trX, trY := p.Transforms(&dc)
		for _, s := range []Series{a, b} {
			for i := range s.X {
				pt := vg.Point{X: trX(s.X[i]), Y: trY(s.Y[i])}
				if pt.X >= lr.Min.X && pt.X <= lr.Max.X && pt.Y >= lr.Min.Y && pt.Y <= lr.Max.Y {
					t.Fatalf("%s: point %d of %q at %v is under the legend %v", name, i, s.Name, pt, lr)
				}
			}
		}
		if lr.Min.X < dc.Max.X {
			t.Errorf("%s: legend starts at x=%v, inside the data area (right edge %v)", name, lr.Min.X, dc.Max.X)
		}

		// The rendering agrees: the legend swatch of series 0 is inside
		// the computed rectangle, and nothing of that colour is drawn
		// right of the data area outside it.
		data, err := Bytes(p, w, h, "png")
		if err != nil {
			t.Fatal(err)
		}
		img := decodePNG(t, data)
		px := func(l vg.Length) int { return int(l.Dots(float64(DPI))) }
		hPx := px(h)
		inside, outside := 0, 0
		for y := range hPx {
			for x := px(dc.Max.X) + 3; x < px(w); x++ {
				if !near(img.At(x, y), SeriesColor(0), 40) {
					continue
				}
				if image.Pt(x, y).In(image.Rect(px(lr.Min.X)-1, hPx-px(lr.Max.Y)-1, px(lr.Max.X)+1, hPx-px(lr.Min.Y)+1)) {
					inside++
				} else {
					outside++
				}
			}
		}
		if inside == 0 || outside != 0 {
			t.Errorf("%s: legend swatch pixels: %d inside the legend box, %d elsewhere right of the data", name, inside, outside)
		}
	}
}

func TestShareAxes(t *testing.T) {
	p1, err := Curves("a", "step", "loss", Series{Name: "a", X: []float64{0, 10}, Y: []float64{1, 3}})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Curves("b", "step", "loss", Series{Name: "b", X: []float64{5, 20}, Y: []float64{-2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	empty := plot.New() // no data: left alone, no error
	if err := ShareAxes(p1, p2, empty); err != nil {
		t.Fatal(err)
	}
	for i, p := range []*plot.Plot{p1, p2} {
		if p.X.Min != 0 || p.X.Max != 20 || p.Y.Min != -2 || p.Y.Max != 3 {
			t.Errorf("plot %d: ranges x [%v, %v] y [%v, %v], want x [0, 20] y [-2, 3]", i, p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
		}
	}
	// The shared range is what is drawn: the same data value lands at the
	// same place in both panels.
	const w, h = 3 * vg.Inch, 2 * vg.Inch
	var ys []vg.Length
	for _, p := range []*plot.Plot{p1, p2} {
		dc := p.DataCanvas(figureCanvas(p, vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))))
		_, trY := p.Transforms(&dc)
		ys = append(ys, (trY(1)-dc.Min.Y)/dc.Size().Y)
	}
	if math.Abs(float64(ys[0]-ys[1])) > 1e-9 {
		t.Errorf("y=1 is drawn at fractions %v and %v of the data areas' heights", ys[0], ys[1])
	}

	q1, _ := Curves("", "", "", Series{Y: []float64{1, 2}})
	q2, _ := Curves("", "", "", Series{Y: []float64{5, 6, 7}})
	if err := ShareX(q1, q2); err != nil || q1.X.Max != 2 || q1.Y.Max != 2 || q2.Y.Min != 5 {
		t.Errorf("ShareX changed the wrong axis or failed (%v): q1 x max %v y max %v, q2 y min %v", err, q1.X.Max, q1.Y.Max, q2.Y.Min)
	}
	if err := ShareY(q1, q2); err != nil || q1.Y.Min != 1 || q1.Y.Max != 7 {
		t.Errorf("ShareY: %v, q1 y [%v, %v]", err, q1.Y.Min, q1.Y.Max)
	}

	logp, _ := CurvesWith(CurvesOptions{LogY: true}, Series{Y: []float64{1, 10}})
	if err := ShareAxes(p1, logp); err == nil || !strings.Contains(err.Error(), "log") {
		t.Errorf("sharing a log axis with a linear one should fail naming it: %v", err)
	}
	if err := ShareAxes(p1, nil); err == nil {
		t.Error("nil plot should fail")
	}
}

func TestPanels(t *testing.T) {
	mk := func(y ...float64) *plot.Plot {
		p, err := Curves("", "", "", Series{Y: y})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Three panels in rows of two: the bottom-right cell stays empty.
	p, err := Panels("three", 2, mk(0, 1), mk(1, 0), mk(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Bytes(p, 6*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, data)
	b := img.Bounds()
	count := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if near(img.At(x, y), SeriesColor(0), 30) {
					n++
				}
			}
		}
		return n
	}
	mx, my := b.Dx()/2, b.Dy()/2
	for name, r := range map[string]image.Rectangle{
		"top-left": image.Rect(0, 0, mx, my), "top-right": image.Rect(mx, 0, b.Dx(), my),
		"bottom-left": image.Rect(0, my, mx, b.Dy()),
	} {
		if count(r) == 0 {
			t.Errorf("no curve in the %s panel", name)
		}
	}
	if n := count(image.Rect(mx+10, b.Dy()*3/4, b.Dx(), b.Dy())); n != 0 {
		t.Errorf("%d curve pixels in the empty bottom-right cell", n)
	}
	if _, err := Panels("", 0, mk(1)); err == nil {
		t.Error("cols=0 should fail")
	}
	if _, err := Panels("", 2); err == nil {
		t.Error("no plots should fail")
	}
}

func TestEqualScaleWidth(t *testing.T) {
	ring := Series{Name: "points"}
	for i := range 64 {
		a := float64(i) * math.Pi / 32
		ring.X, ring.Y = append(ring.X, 3*math.Cos(a)), append(ring.Y, math.Sin(a))
	}
	p, err := Scatter2D("ellipse", ring)
	if err != nil {
		t.Fatal(err)
	}
	const h = 4 * vg.Inch
	w, err := EqualScaleWidth(p, h)
	if err != nil {
		t.Fatal(err)
	}
	dc := p.DataCanvas(figureCanvas(p, vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))))
	trX, trY := p.Transforms(&dc)
	unitX, unitY := trX(1)-trX(0), trY(1)-trY(0)
	if math.Abs(float64(unitX/unitY)-1) > 0.01 {
		t.Errorf("at width %v a data unit is %v wide and %v tall", w, unitX, unitY)
	}
	if _, err := EqualScaleWidth(plot.New(), h); err == nil {
		t.Error("plot without ranges should fail")
	}
	if _, err := EqualScaleWidth(nil, h); err == nil {
		t.Error("nil plot should fail")
	}
}

func TestApplyFont(t *testing.T) {
	p := plot.New()
	p.Add(plotter.NewGrid())
	ApplyFont(p)
	for _, f := range []font.Font{p.Title.TextStyle.Font, p.X.Label.TextStyle.Font, p.Y.Tick.Label.Font, p.Legend.TextStyle.Font} {
		if f.Typeface != Font.Typeface || f.Variant != Font.Variant || f.Size <= 0 {
			t.Errorf("font %+v, want %v %v with its size kept", f, Font.Typeface, Font.Variant)
		}
	}
}

func TestFlipVertical(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 2, 3))
	copy(g.Pix, []uint8{1, 2, 3, 4, 5, 6})
	f := flipVertical(g).(*image.Gray)
	if got := f.Pix; !bytes.Equal(got, []uint8{5, 6, 3, 4, 1, 2}) {
		t.Errorf("flipped gray = %v", got)
	}
	c := image.NewRGBA(image.Rect(0, 0, 1, 2))
	c.Set(0, 0, color.RGBA{R: 255, A: 255})
	c.Set(0, 1, color.RGBA{B: 255, A: 255})
	fc := flipVertical(c)
	if r, _, b, _ := fc.At(0, 0).RGBA(); r != 0 || b == 0 {
		t.Errorf("flipped RGBA top pixel should be blue")
	}
}

// TestPDFImageOrientation rasterises a PDF with poppler's pdftoppm (when
// installed) and checks images are drawn upright, as in the PNG.
func TestPDFImageOrientation(t *testing.T) {
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Skip("pdftoppm (poppler-utils) not installed")
	}
	// One 20×20 image: white top half, black bottom half.
	img := make([]float32, 20*20)
	for i := range 10 * 20 {
		img[i] = 1
	}
	g, err := TraversalGrid(img, 1, 1, 20, 20, 1, []string{"z0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := GridPlot(g, "")
	const w, h = 2 * vg.Inch, 2 * vg.Inch
	dir := t.TempDir()
	if err := Save(p, w, h, filepath.Join(dir, "f.pdf")); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftoppm, "-png", "-r", strconv.Itoa(DPI), "-singlefile",
		filepath.Join(dir, "f.pdf"), filepath.Join(dir, "f")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "f.png"))
	if err != nil {
		t.Fatal(err)
	}
	raster := decodePNG(t, data)
	r := cellPixelRect(p, g, w, h, 0, 0)
	cx := (r.Min.X + r.Max.X) / 2
	top, bottom := gray(raster, cx, r.Min.Y+r.Dy()/4), gray(raster, cx, r.Max.Y-r.Dy()/4)
	if top < 200 || bottom > 50 {
		t.Errorf("PDF image is upside down or missing: top quarter %d (want white), bottom quarter %d (want black)", top, bottom)
	}
}
