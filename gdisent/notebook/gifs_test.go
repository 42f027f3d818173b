package notebook

import (
	"image/gif"
	"os"
	"path/filepath"
	"testing"

	"github.com/gdisent/gdisent/plots"
)

// TestShowGIFs: one animation per row, one frame per column, exported under the notebook's figure directory; a
// nil grid stops the cell.
func TestShowGIFs(t *testing.T) {
	out := t.TempDir()
	t.Setenv(OutEnv, out)
	// 2 rows × 3 columns of 4×4 grey images, each a constant level.
	images := make([]float32, 2*3*16)
	for i := range images {
		images[i] = float32(i/16) / 5
	}
	g, err := plots.TraversalGrid(images, 2, 3, 4, 4, 1, []string{"z0", "z1"}, []float64{-1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	New("demo").ShowGIFs("trav", g, plots.GIFOptions{Scale: 2})
	for r := range 2 {
		f, err := os.Open(filepath.Join(out, "demo", []string{"trav_00.gif", "trav_01.gif"}[r]))
		if err != nil {
			t.Fatal(err)
		}
		a, err := gif.DecodeAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Image) != 3 || a.Image[0].Bounds().Dx() != 8 {
			t.Fatalf("row %d: %d frames of width %d, want 3 of 8", r, len(a.Image), a.Image[0].Bounds().Dx())
		}
		// Frame c of row r shows level (3r+c)/5.
		if y, _, _, _ := a.Image[2].At(1, 1).RGBA(); int(y>>8) != int(float32(3*r+2)/5*255+0.5) {
			t.Errorf("row %d frame 2 level %d", r, y>>8)
		}
	}
	code := -1
	exit = func(c int) { code = c }
	defer func() { exit = os.Exit }()
	New("demo").ShowGIFs("x", nil, plots.GIFOptions{})
	if code != 1 {
		t.Error("nil grid did not stop the cell")
	}
}
