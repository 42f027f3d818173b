package vaegan

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTraversalGridTagsQCodes: the first InfoCodes rows carry the Q tag, the others the plain VAE label.
func TestTraversalGridTagsQCodes(t *testing.T) {
	cfg := tinyConfig()
	cfg.InfoCodes = 2
	m, err := New(testBackend(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := squares(16).SampleImages(rand.New(rand.NewPCG(1, 1)), 1)
	g, err := m.TraversalGrid(img, []float64{-1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if g.Rows != 4 || g.Cols != 3 {
		t.Fatalf("grid %d×%d, want 4×3", g.Rows, g.Cols)
	}
	for j, lab := range g.RowLabels {
		if q := strings.HasPrefix(lab, "Q z"); q != (j < 2) || !strings.Contains(lab, "z"+string(rune('0'+j))+" (") {
			t.Errorf("row %d label %q", j, lab)
		}
	}
	if _, err := m.TraversalGrid(img[:10], []float64{0}); err == nil || !strings.Contains(err.Error(), "vaegan") {
		t.Errorf("partial image: %v", err)
	}
}
