package data_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gdisent/gdisent/data"
)

func ExampleDSprites() {
	d := data.NewDSprites()
	i, _ := d.Index([]int{data.ShapeHeart, 5, 0, 31, 31})
	c, _ := d.Classes(i, nil)
	img := make([]float32, 64*64)
	_ = d.Image(i, img)
	fmt.Println(d.FactorSizes(), d.Len(), i, c)
	// Output: [3 6 40 32 32] 737280 697343 [2 5 0 31 31]
}

func ExampleFixedFactorBatch() {
	d := data.NewDSprites()
	rng := rand.New(rand.NewPCG(0, 0))
	b, _ := data.FixedFactorBatch(d, rng, 64, data.FactorScale, 2)
	fmt.Println(len(b.Images), b.Class(0, data.FactorScale), b.Class(63, data.FactorScale))
	// Output: 262144 2 2
}

func ExampleRing() {
	g := data.NewRing()
	pts, _, _ := g.SampleSeed(1, 1000)
	s := g.Evaluate(pts)
	fmt.Println(s.ModesCovered, s.HighQuality > 0.97)
	// Output: 8 true
}
