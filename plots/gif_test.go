package plots

import (
	"bytes"
	"encoding/base64"
	"image/color"
	"image/gif"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

func readGIF(t *testing.T, path string) *gif.GIF {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return a
}

// srcPixel returns image i's value at (y, x, ch) of a flat [N,H,W,C] tensor,
// as the 8-bit level the figure shows.
func srcPixel(imgs []float32, i, h, w, c, y, x, ch int) uint8 {
	return to8(imgs[((i*h+y)*w+x)*c+ch])
}

func TestTraversalGIFs(t *testing.T) {
	const rows, cols, ih, iw = 4, 7, 28, 28
	imgs, vals := sampleTraversal(rows, cols)
	g, err := TraversalGrid(imgs, rows, cols, ih, iw, 1, nil, vals)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := g.SaveGIFs(filepath.Join(dir, "gifs", "traversal_z%d.gif"), GIFOptions{Delay: 120 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != rows || filepath.Base(paths[2]) != "traversal_z2.gif" {
		t.Fatalf("paths = %v", paths)
	}
	const scale = 4 // automatic: smallest factor making 28 px at least 96 px
	for r, path := range paths {
		a := readGIF(t, path)
		if len(a.Image) != cols {
			t.Fatalf("row %d: %d frames, want %d", r, len(a.Image), cols)
		}
		for k, fr := range a.Image {
			if b := fr.Bounds(); b.Dx() != iw*scale || b.Dy() != ih*scale {
				t.Fatalf("row %d frame %d is %dx%d, want %dx%d", r, k, b.Dx(), b.Dy(), iw*scale, ih*scale)
			}
			if a.Delay[k] != 12 {
				t.Errorf("frame delay %d, want 12 (1/100 s)", a.Delay[k])
			}
			// Every pixel matches the source image exactly (grey levels).
			for y := range ih * scale {
				for x := range iw * scale {
					want := srcPixel(imgs, r*cols+k, ih, iw, 1, y/scale, x/scale, 0)
					got := color.GrayModel.Convert(fr.At(x, y)).(color.Gray).Y
					if got != want {
						t.Fatalf("row %d frame %d pixel (%d,%d) = %d, source %d", r, k, x, y, got, want)
					}
				}
			}
			// Consecutive frames differ: the traversal moves.
			if k > 0 && bytes.Equal(fr.Pix, a.Image[k-1].Pix) {
				t.Errorf("row %d: frames %d and %d are identical", r, k-1, k)
			}
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "gifs"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}

	// Ping-pong: forward then back without repeating the ends.
	a, err := g.RowGIF(0, GIFOptions{PingPong: true, Scale: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Image) != 2*cols-2 {
		t.Fatalf("ping-pong has %d frames, want %d", len(a.Image), 2*cols-2)
	}
	for k := cols; k < len(a.Image); k++ {
		if back := 2*cols - 2 - k; !bytes.Equal(a.Image[k].Pix, a.Image[back].Pix) {
			t.Errorf("ping-pong frame %d should repeat frame %d", k, back)
		}
	}
	if a.Delay[0] != 25 || a.LoopCount != 0 {
		t.Errorf("default delay %d (want 25), loop count %d (want 0: forever)", a.Delay[0], a.LoopCount)
	}
}

func TestRGBGIFPalette(t *testing.T) {
	const n, ih, iw = 3, 16, 16
	// Few colours: the palette is exact.
	few := make([]float32, n*ih*iw*3)
	for i := range n * ih * iw {
		k := i % 5
		few[3*i], few[3*i+1], few[3*i+2] = float32(k)/4, float32((i/ih)%2), float32(i/(ih*iw))/2
	}
	// Many colours: smooth random-looking images, quantised to 256 colours.
	rng := rand.New(rand.NewPCG(7, 8))
	many := make([]float32, n*ih*iw*3)
	for i := range many {
		many[i] = rng.Float32()
	}
	for name, imgs := range map[string][]float32{"few": few, "many": many} {
		g, err := NewImageGrid(imgs, n, ih, iw, 3, n)
		if err != nil {
			t.Fatal(err)
		}
		a, err := g.RowGIF(0, GIFOptions{Scale: 2})
		if err != nil {
			t.Fatal(err)
		}
		data, err := GIFBytes(a)
		if err != nil {
			t.Fatal(err)
		}
		a, err = gif.DecodeAll(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var sumErr, count float64
		for k, fr := range a.Image {
			if len(fr.Palette) > 256 {
				t.Fatalf("%s: palette of %d colours", name, len(fr.Palette))
			}
			for y := range ih {
				for x := range iw {
					r, gg, b, _ := fr.At(2*x+1, 2*y+1).RGBA()
					for ch, got := range []uint32{r >> 8, gg >> 8, b >> 8} {
						want := srcPixel(imgs, k, ih, iw, 3, y, x, ch)
						d := math.Abs(float64(got) - float64(want))
						if name == "few" && d != 0 {
							t.Fatalf("few colours: frame %d pixel (%d,%d) ch %d = %d, want %d", k, x, y, ch, got, want)
						}
						sumErr, count = sumErr+d, count+1
					}
				}
			}
		}
		t.Logf("%s: mean error %.2f levels", name, sumErr/count)
		// 256 colours for uniform noise in a 16M-colour cube: cells about
		// 40 levels wide, so a mean error near 10 levels.
		if mean := sumErr / count; name == "many" && mean > 16 {
			t.Errorf("many colours: mean quantisation error %.1f levels", mean)
		}
	}
}

func TestGIFErrors(t *testing.T) {
	imgs, _ := sampleTraversal(2, 3)
	g, err := TraversalGrid(imgs, 2, 3, 28, 28, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.RowGIF(2, GIFOptions{}); err == nil || !strings.Contains(err.Error(), "row 2") {
		t.Errorf("row out of range: %v", err)
	}
	if _, err := g.RowGIF(0, GIFOptions{Scale: 99}); err == nil {
		t.Error("Scale 99 should fail")
	}
	if _, err := g.RowGIF(0, GIFOptions{Delay: -time.Second}); err == nil {
		t.Error("negative delay should fail")
	}
	dir := t.TempDir()
	for _, bad := range []string{"noverb.gif", "two_%d_%d.gif", "str_%s.gif"} {
		if _, err := g.SaveGIFs(filepath.Join(dir, bad), GIFOptions{}); err == nil {
			t.Errorf("pattern %q should fail", bad)
		}
	}
	a, _ := g.RowGIF(0, GIFOptions{})
	if err := SaveGIF(a, filepath.Join(dir, "x.png")); err == nil || !strings.Contains(err.Error(), ".gif") {
		t.Errorf("wrong extension should fail: %v", err)
	}
	if err := SaveGIF(&gif.GIF{}, filepath.Join(dir, "x.gif")); err == nil {
		t.Error("empty animation should fail")
	}
	if _, err := os.Stat(filepath.Join(dir, "x.gif")); err == nil {
		t.Error("failed SaveGIF left a file")
	}
	// A partial last row: its empty cells are skipped.
	pg, err := NewImageGrid(make([]float32, 5*4*4), 5, 4, 4, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := pg.RowGIF(1, GIFOptions{}); err != nil || len(a.Image) != 2 {
		t.Errorf("partial row: %v", err)
	}
}

func TestDisplayGIFs(t *testing.T) {
	imgs, vals := sampleTraversal(2, 5)
	g, err := TraversalGrid(imgs, 2, 5, 28, 28, 1, []string{"z0 <size>", "z1"}, vals)
	if err != nil {
		t.Fatal(err)
	}
	var sent []*protocol.DisplayData
	oldIn, oldSend := inNotebook, sendData
	defer func() { inNotebook, sendData = oldIn, oldSend }()
	sendData = func(d *protocol.DisplayData) { sent = append(sent, d) }
	inNotebook = func() bool { return false }
	if err := g.DisplayGIFs(GIFOptions{}); err != nil || len(sent) != 0 {
		t.Fatalf("outside a notebook: err=%v, sent=%d", err, len(sent))
	}
	inNotebook = func() bool { return true }
	if err := g.DisplayGIFs(GIFOptions{PingPong: true}); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 1 {
		t.Fatalf("sent %d messages, want 1", len(sent))
	}
	page, ok := sent[0].Data[protocol.MIMETextHTML].(string)
	if !ok {
		t.Fatalf("payload is %T, want HTML", sent[0].Data[protocol.MIMETextHTML])
	}
	srcs := regexp.MustCompile(`<img [^>]*src="data:image/gif;base64,([A-Za-z0-9+/=]+)"`).FindAllStringSubmatch(page, -1)
	if len(srcs) != 2 {
		t.Fatalf("want 2 inline GIFs, found %d", len(srcs))
	}
	data, err := base64.StdEncoding.DecodeString(srcs[1][1])
	if err != nil {
		t.Fatal(err)
	}
	a, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil || len(a.Image) != 8 {
		t.Fatalf("inline GIF: err=%v", err)
	}
	if !strings.Contains(page, "z0 &lt;size&gt;") {
		t.Error("captions should be the HTML-escaped row labels")
	}
	if err := DisplayGIFs(nil, nil); err == nil {
		t.Error("no animations should fail")
	}
	anim, _ := g.RowGIF(0, GIFOptions{})
	if err := DisplayGIFs([]*gif.GIF{anim}, []string{"a", "b"}); err == nil {
		t.Error("caption count mismatch should fail")
	}
}
