package data

import (
	"fmt"
	"math/rand/v2"
)

// Squares is a tiny dSprites-like training set for tests and demos: size×size×1 images, each holding one filled
// square of random side (3 to 2+size/3 pixels) at a random position.
type Squares struct{ Size int }

// ImageShape implements gdisent.Dataset.
func (s Squares) ImageShape() [3]int { return [3]int{s.Size, s.Size, 1} }

// SampleImages implements gdisent.Dataset.
func (s Squares) SampleImages(rng *rand.Rand, n int) ([]float32, error) {
	size := s.Size
	if size < 6 || n < 0 || rng == nil {
		return nil, fmt.Errorf("data.Squares: need size >= 6, n >= 0 and an rng, got size %d, n %d", size, n)
	}
	out := make([]float32, n*size*size)
	for i := range n {
		side := 3 + rng.IntN(size/3)
		x0, y0 := rng.IntN(size-side+1), rng.IntN(size-side+1)
		for y := y0; y < y0+side; y++ {
			for x := x0; x < x0+side; x++ {
				out[i*size*size+y*size+x] = 1
			}
		}
	}
	return out, nil
}
