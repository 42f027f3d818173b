package data

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gdisent/gdisent/gdisent"
)

// MNIST is training data for every model family.
var _ gdisent.Dataset = (*MNIST)(nil)

// TestMNISTAsDataset: through the gdisent.Dataset interface, a loaded split reports its shape and samples whole
// images of that shape, drawn from the split, reproducibly for one rng seed.
func TestMNISTAsDataset(t *testing.T) {
	pix := []byte{0, 255, 51, 102, 10, 20, 30, 40, 5, 6, 7, 8}
	m, err := LoadMNIST(writeMNIST(t, idxBytes([]uint32{3, 2, 2}, pix), idxBytes([]uint32{3}, []byte{7, 3, 1}), true), "test")
	if err != nil {
		t.Fatal(err)
	}
	var ds gdisent.Dataset = m
	if s := ds.ImageShape(); s != [3]int{2, 2, 1} {
		t.Fatalf("ImageShape %v, want [2 2 1]", s)
	}
	a, err := ds.SampleImages(rand.New(rand.NewPCG(2, 3)), 20)
	if err != nil || len(a) != 20*4 {
		t.Fatalf("SampleImages: %d values, %v; want 80", len(a), err)
	}
	seen := map[int]bool{}
	for i := range 20 {
		j := slices.IndexFunc([]int{0, 1, 2}, func(k int) bool { return slices.Equal(a[i*4:i*4+4], m.Image(k)) })
		if j < 0 {
			t.Fatalf("sample %d %v is none of the split's images", i, a[i*4:i*4+4])
		}
		seen[j] = true
	}
	if len(seen) != 3 {
		t.Errorf("20 draws hit only images %v", seen)
	}
	b, _ := ds.SampleImages(rand.New(rand.NewPCG(2, 3)), 20)
	if !slices.Equal(a, b) {
		t.Error("SampleImages is not reproducible for one rng seed")
	}
	if _, err := ds.SampleImages(nil, 2); err == nil {
		t.Error("nil rng accepted")
	}
}
