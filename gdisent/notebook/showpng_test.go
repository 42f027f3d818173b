package notebook

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/gdisent/gdisent/plots"
)

// TestShowPNG: the inline display is one PNG (no SVG) sized in CSS pixels; the exports are the three formats.
func TestShowPNG(t *testing.T) {
	pts := make([]float32, 2*3000)
	for i := range pts {
		pts[i] = float32(i%97) / 97
	}
	s, err := plots.PointSeries("points", pts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plots.Scatter2D("many points", s)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := pngTag(p, 4*vg.Inch, 3*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^<img width="(\d+)" height="(\d+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"/>$`).FindStringSubmatch(tag)
	if m == nil {
		t.Fatalf("display is not one PNG <img>: %.200s", tag)
	}
	if m[1] != "384" || m[2] != "288" {
		t.Errorf("shown at %s×%s CSS pixels, want 384×288 (4×3 in)", m[1], m[2])
	}
	data, err := base64.StdEncoding.DecodeString(m[3])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() <= 384 || b.Dx()*3 != b.Dy()*4 {
		t.Errorf("PNG is %d×%d pixels, want a 4:3 rendering sharper than its CSS size", b.Dx(), b.Dy())
	}

	t.Setenv(OutEnv, t.TempDir())
	nb := New("shown")
	nb.ShowPNG("scatter", p, 4*vg.Inch, 3*vg.Inch)
	for _, ext := range []string{".png", ".svg", ".pdf"} {
		st, err := os.Stat(filepath.Join(os.Getenv(OutEnv), "shown", "scatter"+ext))
		if err != nil || st.Size() == 0 {
			t.Errorf("export %s: %v", ext, err)
		}
	}
}
