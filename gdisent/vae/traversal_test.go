package vae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gdisent/gdisent/gdisent/training"
)

// TestTraversalGrid: one row per latent labelled with the image's KL for that latent, one column per value, and
// the cells are the decoded traversal.
func TestTraversalGrid(t *testing.T) {
	m, err := New(testBackend(t), tinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(squares(16), 5, training.Silent()); err != nil {
		t.Fatal(err)
	}
	img, _ := squares(16).SampleImages(rand.New(rand.NewPCG(3, 4)), 1)
	values := []float64{-1.5, 0, 1.5}
	g, err := m.TraversalGrid(img, values)
	if err != nil {
		t.Fatal(err)
	}
	if g.Rows != 4 || g.Cols != 3 || g.H != 16 || g.W != 16 {
		t.Fatalf("grid %d×%d of %d×%d images, want 4×3 of 16×16", g.Rows, g.Cols, g.H, g.W)
	}
	kl, _ := m.LatentKL(img, 1)
	for j, lab := range g.RowLabels {
		if want := fmt.Sprintf("z%d (%.1f)", j, kl[j]); lab != want {
			t.Errorf("row %d label %q, want %q", j, lab, want)
		}
	}
	if !slices.Equal(g.ColLabels, []string{"-1.5", "0", "1.5"}) {
		t.Errorf("column labels %q", g.ColLabels)
	}
	want, _ := m.TraverseImage(img, values)
	// Cell (row 2, column 2): pixel (5, 7) of the third value of latent 2.
	px := want[(2*3+2)*256+5*16+7]
	if got := g.Cell(2, 2).At(7, 5); got == nil {
		t.Fatal("empty cell")
	} else if r, _, _, _ := got.RGBA(); math.Abs(float64(r>>8)-float64(px)*255) > 1.5 {
		t.Errorf("cell pixel %d, want %.0f", r>>8, px*255)
	}
	if _, err := m.TraversalGrid(img[:100], values); err == nil || !strings.Contains(err.Error(), "TraversalGrid") {
		t.Errorf("partial image: %v, want an error naming TraversalGrid", err)
	}
}

// TestLatentRecovery: after training, the most informative latent comes back through decode–encode best and the
// least informative worst; before training little comes back.
func TestLatentRecovery(t *testing.T) {
	b := testBackend(t)
	cfg := tinyConfig()
	cfg.Beta = 8 // collapse some of the 4 latents
	m, err := New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := func() *rand.Rand { return rand.New(rand.NewPCG(9, 9)) }
	before, err := m.LatentRecovery(rng(), 400)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(squares(16), 600, training.Silent()); err != nil {
		t.Fatal(err)
	}
	after, err := m.LatentRecovery(rng(), 400)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := m.LatentRecovery(rng(), 400)
	if !slices.Equal(after, again) {
		t.Error("LatentRecovery is not reproducible for one rng seed")
	}
	imgs, _ := squares(16).SampleImages(rand.New(rand.NewPCG(1, 1)), 256)
	kl, _ := m.LatentKL(imgs, 256)
	t.Logf("recovery before %.2f, after %.2f, KL %.2f", before, after, kl)
	for _, r := range after {
		if r < -1 || r > 1 {
			t.Fatalf("correlation %g outside [-1, 1]", r)
		}
	}
	// The latents that carry the most and the least information come back best and worst.
	argmax := func(v []float64) int { return slices.Index(v, slices.Max(v)) }
	argmin := func(v []float64) int { return slices.Index(v, slices.Min(v)) }
	if argmax(after) != argmax(kl) || argmin(after) != argmin(kl) {
		t.Errorf("recovery %.2f does not follow the KL %.2f", after, kl)
	}
	if slices.Max(after) < 0.85 || slices.Max(before) > 0.5 {
		t.Errorf("best recovery %.2f after training, %.2f before; want > 0.85 and < 0.5", slices.Max(after), slices.Max(before))
	}
	if _, err := m.LatentRecovery(nil, 10); err == nil {
		t.Error("nil rng accepted")
	}
	if _, err := m.LatentRecovery(rng(), 1); err == nil {
		t.Error("n = 1 accepted")
	}
}

func TestPearson(t *testing.T) {
	// Two columns: column 0 of b is 2a+1 (r = 1), column 1 of b is constant (r = 0 by convention).
	a := []float32{1, 5, 2, 5, 3, 5, 4, 5}
	b := []float32{3, 7, 5, 7, 7, 7, 9, 7}
	if r := pearson(a, b, 4, 2, 0); math.Abs(r-1) > 1e-12 {
		t.Errorf("r = %g, want 1", r)
	}
	if r := pearson(a, b, 4, 2, 1); r != 0 {
		t.Errorf("constant column: r = %g, want 0", r)
	}
	neg := []float32{-1, 0, -2, 0, -3, 0, -4, 0}
	if r := pearson(a, neg, 4, 2, 0); math.Abs(r+1) > 1e-12 {
		t.Errorf("r = %g, want -1", r)
	}
}
