package data_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent"
)

// The ring trains GANs through the same interface as the image data sets.
var _ gdisent.Dataset = data.NewRing()

func TestRingAsDataset(t *testing.T) {
	var ds gdisent.Dataset = data.NewRing()
	s := ds.ImageShape()
	if s != [3]int{1, 1, 2} {
		t.Fatalf("ImageShape %v, want [1 1 2]", s)
	}
	const n = 500
	x, err := ds.SampleImages(rand.New(rand.NewPCG(4, 2)), n)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != n*s[0]*s[1]*s[2] {
		t.Fatalf("%d values for %d observations of %v", len(x), n, s)
	}
	// Every observation is a point of the ring: its channels are (x, y) at radius 2 ± a few σ.
	ring := data.NewRing()
	for i := range n {
		r := math.Hypot(float64(x[2*i]), float64(x[2*i+1]))
		if math.Abs(r-ring.Radius) > 6*ring.Std {
			t.Fatalf("observation %d at radius %.3f, want %.1f ± %.2f", i, r, ring.Radius, 6*ring.Std)
		}
	}
	// The batch is Sample's points for the same random source.
	pts, _, err := ring.Sample(rand.New(rand.NewPCG(4, 2)), n)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pts {
		if pts[i] != x[i] {
			t.Fatalf("value %d: SampleImages %v, Sample %v", i, x[i], pts[i])
		}
	}
}
