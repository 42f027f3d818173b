package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPooled: each pooled pixel is the mean of its 2×2 source block, factors pass through, bad factors are refused.
func TestPooled(t *testing.T) {
	src := NewDSprites()
	p, err := NewPooled(src, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.ImageShape() != [3]int{32, 32, 1} || p.NumFactors() != src.NumFactors() {
		t.Fatalf("shape %v, %d factors", p.ImageShape(), p.NumFactors())
	}
	classes := src.Sample(rand.New(rand.NewPCG(1, 2)), 3)
	full, _ := src.Observe(classes, 3)
	small, err := p.Observe(classes, 3)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for i := range 3 {
		for y := range 32 {
			for x := range 32 {
				b := full[i*4096:]
				want := (b[(2*y)*64+2*x] + b[(2*y)*64+2*x+1] + b[(2*y+1)*64+2*x] + b[(2*y+1)*64+2*x+1]) / 4
				got := small[i*1024+y*32+x]
				if math.Abs(float64(got-want)) > 1e-6 {
					t.Fatalf("image %d pixel (%d,%d) = %g, want %g", i, y, x, got, want)
				}
				sum += float64(got)
			}
		}
	}
	if sum == 0 {
		t.Fatal("pooled images are empty")
	}
	for _, f := range []int{0, 3, -2} {
		if _, err := NewPooled(src, f); err == nil {
			t.Errorf("factor %d accepted", f)
		}
	}
}
