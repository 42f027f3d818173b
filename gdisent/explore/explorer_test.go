package explore

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// blob is a plain Go generator: a Gaussian spot on an H×W gray image whose centre is (W/2 + z0·W/8, H/2 + z1·H/8)
// and whose width grows with |z2|. It is also an Encoder: the intensity centroid gives z0 and z1 back (z2 = 0).
type blob struct {
	h, w  int
	calls int
	fail  error
	extra int // extra values returned, to test the size check
}

func (b *blob) LatentDim() int     { return 3 }
func (b *blob) ImageShape() [3]int { return [3]int{b.h, b.w, 1} }

func (b *blob) Generate(z []float32, n int) ([]float32, error) {
	b.calls++
	if b.fail != nil {
		return nil, b.fail
	}
	if len(z) != 3*n {
		return nil, fmt.Errorf("blob: %d values for %d latents", len(z), n)
	}
	out := make([]float32, n*b.h*b.w+b.extra)
	for i := range n {
		cx := float64(b.w)/2 + float64(z[3*i])*float64(b.w)/8
		cy := float64(b.h)/2 + float64(z[3*i+1])*float64(b.h)/8
		s := 1.5 + 0.5*math.Abs(float64(z[3*i+2]))
		for y := range b.h {
			for x := range b.w {
				d := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
				out[i*b.h*b.w+y*b.w+x] = float32(math.Exp(-d / (2 * s * s)))
			}
		}
	}
	return out, nil
}

func (b *blob) Encode(images []float32, n int) ([]float32, error) {
	size := b.h * b.w
	if n < 1 || len(images) != n*size {
		return nil, fmt.Errorf("blob: %d values is not %d images", len(images), n)
	}
	out := make([]float32, 0, 3*n)
	for i := range n {
		var sx, sy, m float64
		for y := range b.h {
			for x := range b.w {
				v := float64(images[i*size+y*b.w+x])
				sx, sy, m = sx+v*float64(x), sy+v*float64(y), m+v
			}
		}
		out = append(out, float32((sx/m-float64(b.w)/2)*8/float64(b.w)), float32((sy/m-float64(b.h)/2)*8/float64(b.h)), 0)
	}
	return out, nil
}

// brightest returns the (x, y) of the brightest pixel of a decoded PNG.
func brightest(t *testing.T, data []byte) (int, int, int, int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	r := img.Bounds()
	bx, by, best := 0, 0, uint32(0)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			v, _, _, _ := img.At(x, y).RGBA()
			if v > best {
				bx, by, best = x, y, v
			}
		}
	}
	return bx, by, r.Dx(), r.Dy()
}

func TestImageFollowsTheSliders(t *testing.T) {
	g := &blob{h: 32, w: 32}
	e, err := New(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := e.State()
	_ = st.SetBase([]float64{0, 0, 0})
	_ = st.SetSlider(0, 2) // centre x = 16 + 2·4 = 24
	_ = st.SetSlider(1, -1)
	img, err := e.Image()
	if err != nil {
		t.Fatal(err)
	}
	data, err := e.PNG(img)
	if err != nil {
		t.Fatal(err)
	}
	x, y, w, h := brightest(t, data)
	if w != 32 || h != 32 || x != 24 || y != 12 {
		t.Fatalf("PNG %d×%d with the spot at (%d, %d), want 32×32 with it at (24, 12)", w, h, x, y)
	}
	if g.calls != 1 {
		t.Fatalf("one image, %d Generate calls", g.calls)
	}
}

func TestPickImageEncodesTheBase(t *testing.T) {
	g := &blob{h: 32, w: 32}
	// Two real images: spots at z = (1, -1.5) and (-2, 0.5).
	real, _ := g.Generate([]float32{1, -1.5, 0, -2, 0.5, 0}, 2)
	e, err := New(g, Options{Images: real, ImageNames: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.PickImage(1); err != nil {
		t.Fatal(err)
	}
	near(t, "encoded base", e.State().Base()[:2], []float64{-2, 0.5}, 0.05)
	if err := e.PickImage(2); err == nil || !strings.Contains(err.Error(), "2 images") {
		t.Fatalf("PickImage(2) of 2: err = %v", err)
	}
	// A generator that is not an Encoder cannot take images without an explicit encoder.
	if _, err := New(plainGen{g}, Options{Images: real}); err == nil || !strings.Contains(err.Error(), "encoder") {
		t.Fatalf("images without an encoder: err = %v", err)
	}
	if _, err := NewWithEncoder(g, g, Options{Images: real[:100]}); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Fatalf("ragged images: err = %v", err)
	}
}

// plainGen hides blob's Encode method.
type plainGen struct{ b *blob }

func (p plainGen) LatentDim() int                                 { return p.b.LatentDim() }
func (p plainGen) ImageShape() [3]int                             { return p.b.ImageShape() }
func (p plainGen) Generate(z []float32, n int) ([]float32, error) { return p.b.Generate(z, n) }

func TestGeneratorProblemsAreErrors(t *testing.T) {
	boom := errors.New("out of memory")
	e, err := New(&blob{h: 8, w: 8, fail: boom}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Image(); !errors.Is(err, boom) {
		t.Fatalf("generator error not passed on: %v", err)
	}
	e, _ = New(&blob{h: 8, w: 8, extra: 1}, Options{})
	if _, err := e.Image(); err == nil || !strings.Contains(err.Error(), "65 values") {
		t.Fatalf("wrong output size: err = %v", err)
	}
	if _, err := New(&blob{h: 0, w: 8}, Options{}); err == nil || !strings.Contains(err.Error(), "image shape") {
		t.Fatalf("zero height: err = %v", err)
	}
}

func TestExportWritesImageAndTraversal(t *testing.T) {
	g := &blob{h: 16, w: 16}
	dir := t.TempDir()
	e, err := New(g, Options{ExportDir: dir, Name: "blob", CodeNames: []string{"x pos", "y", "width"}, TraversalValues: 5})
	if err != nil {
		t.Fatal(err)
	}
	_ = e.State().SetSlider(0, 1)
	files, err := e.Export("")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"blob-image.png", "blob-image.svg", "blob-image.pdf",
		"blob-traversal-x_pos.png", "blob-traversal-x_pos.svg", "blob-traversal-x_pos.pdf"}
	if len(files) != len(want) {
		t.Fatalf("exported %v, want %v", files, want)
	}
	for i, f := range files {
		if filepath.Base(f) != want[i] || filepath.Dir(f) != dir {
			t.Fatalf("file %d is %s, want %s in %s", i, f, want[i], dir)
		}
		data, err := os.ReadFile(f)
		if err != nil || len(data) < 200 {
			t.Fatalf("%s: %d bytes, %v", f, len(data), err)
		}
	}
	if data, _ := os.ReadFile(files[3]); !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Fatal("traversal PNG is not a PNG")
	}
	if svg, _ := os.ReadFile(files[4]); !bytes.Contains(svg, []byte("x pos")) {
		t.Fatal("traversal SVG does not carry the slider label")
	}
	// The traversal renders the 5 values in one batch; the current image is one more call.
	if g.calls != 2 {
		t.Fatalf("export made %d Generate calls, want 2 (image + one traversal batch)", g.calls)
	}
	trav, vals, err := e.Traversal(0)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "traversal values", vals, []float64{-3, -1.5, 0, 1.5, 3}, 1e-12)
	// Column k's spot moves right with the value: centre x = 8 + v·2.
	for k, v := range vals {
		one := trav[k*256 : (k+1)*256]
		data, _ := e.PNG(one)
		x, _, _, _ := brightest(t, data)
		if want := int(math.Round(8 + 2*v)); x != want && x != want-1 {
			t.Fatalf("traversal column %d (value %v): spot at x=%d, want %d", k, v, x, want)
		}
	}
}
