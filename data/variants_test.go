package data

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// variantRows observes n random dSprites combinations through v and through the binary base.
func variantRows(t *testing.T, v *DSpritesVariant, n int) (classes []int, rgb, mono []float32) {
	t.Helper()
	classes = v.Sample(rand.New(rand.NewPCG(11, 12)), n)
	rgb, err := v.Observe(classes, n)
	if err != nil {
		t.Fatal(err)
	}
	mono, err = NewDSprites().Observe(classes, n)
	if err != nil {
		t.Fatal(err)
	}
	return classes, rgb, mono
}

func TestColorDSprites(t *testing.T) {
	v, err := NewColorDSprites(nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.ImageShape() != [3]int{64, 64, 3} || !slices.Equal(v.FactorSizes(), []int{3, 6, 40, 32, 32}) {
		t.Fatalf("shape %v sizes %v", v.ImageShape(), v.FactorSizes())
	}
	const n = 64
	_, rgb, mono := variantRows(t, v, n)
	var cols [][3]float32
	for i := range n {
		var col [3]float32
		set := false
		for p := range 4096 {
			px := rgb[(i*4096+p)*3 : (i*4096+p)*3+3]
			if mono[i*4096+p] == 0 {
				if px[0] != 0 || px[1] != 0 || px[2] != 0 {
					t.Fatalf("row %d: background pixel %d is %v, want black", i, p, px)
				}
				continue
			}
			if !set {
				col, set = [3]float32(px), true
			}
			if [3]float32(px) != col {
				t.Fatalf("row %d: sprite pixels differ in colour: %v vs %v", i, px, col)
			}
		}
		for _, c := range col {
			if c < 0.5 || c > 1 {
				t.Fatalf("row %d: colour %v outside [0.5, 1]", i, col)
			}
		}
		cols = append(cols, col)
	}
	// The colour is a fresh draw per row: spread over [0.5, 1] per channel.
	for c := range 3 {
		lo, hi := float32(1), float32(0)
		for _, col := range cols {
			lo, hi = min(lo, col[c]), max(hi, col[c])
		}
		if lo > 0.6 || hi < 0.9 {
			t.Errorf("channel %d colours span only [%v, %v] over %d rows", c, lo, hi, n)
		}
	}
}

func TestNoisyDSprites(t *testing.T) {
	v, err := NewNoisyDSprites(nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	_, rgb, mono := variantRows(t, v, n)
	var sum, cnt float64
	for i := range n * 4096 {
		px := rgb[3*i : 3*i+3]
		if mono[i] == 1 {
			if px[0] != 1 || px[1] != 1 || px[2] != 1 {
				t.Fatalf("sprite pixel %d is %v, want white", i, px)
			}
			continue
		}
		for _, x := range px {
			if x < 0 || x >= 1 {
				t.Fatalf("background value %v outside [0, 1)", x)
			}
			sum += float64(x)
			cnt++
		}
		if px[0] == px[1] && px[1] == px[2] {
			t.Fatalf("pixel %d has equal channels %v: noise should be per channel", i, px)
		}
	}
	if m := sum / cnt; m < 0.49 || m > 0.51 {
		t.Errorf("background noise mean %.4f, want about 0.5 for uniform [0, 1)", m)
	}
}

func TestDSpritesVariantDeterminism(t *testing.T) {
	for _, mk := range []func(GroundTruth) (*DSpritesVariant, error){NewColorDSprites, NewNoisyDSprites} {
		v, err := mk(nil)
		if err != nil {
			t.Fatal(err)
		}
		// The same combination repeated: equal calls agree, rows differ, Render is row 0, Seed matters.
		classes := slices.Repeat([]int{2, 3, 10, 5, 20}, 4)
		a, _ := v.Observe(classes, 4)
		b, _ := v.Observe(classes, 4)
		if !slices.Equal(a, b) {
			t.Errorf("%s: Observe not deterministic", v.Name())
		}
		sz := 64 * 64 * 3
		if slices.Equal(a[:sz], a[sz:2*sz]) {
			t.Errorf("%s: two rows of the same combination got the same nuisance", v.Name())
		}
		one := make([]float32, sz)
		if err := v.Render(classes[:5], one); err != nil || !slices.Equal(one, a[:sz]) {
			t.Errorf("%s: Render differs from Observe row 0 (%v)", v.Name(), err)
		}
		v.Seed = 1
		if c, _ := v.Observe(classes, 4); slices.Equal(a, c) {
			t.Errorf("%s: Seed has no effect", v.Name())
		}
		// SampleImages: reproducible from the rng.
		s1, err := v.SampleImages(rand.New(rand.NewPCG(3, 4)), 3)
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := v.SampleImages(rand.New(rand.NewPCG(3, 4)), 3)
		if !slices.Equal(s1, s2) || len(s1) != 3*sz {
			t.Errorf("%s: SampleImages not reproducible (%d values)", v.Name(), len(s1))
		}
	}
}

func TestDSpritesVariantOverFile(t *testing.T) {
	// Over the official file's layout the variant colours the stored images.
	sizes := []int{1, 3, 2, 2, 2, 2}
	p := DSpritesFilePreset
	p.FactorSizes = sizes
	g, err := LoadNPZ(writeFile(t, t.TempDir(), "d.npz", dspritesFileMembers(t, sizes, true, nil)), &p)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewColorDSprites(g)
	if err != nil {
		t.Fatal(err)
	}
	c := []int{1, 1, 0, 1, 1}
	rgb, err := v.Observe(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	mono := make([]float32, 4096)
	_ = NewDSprites().Render(c, mono)
	for p, m := range mono {
		if (m == 0) != (rgb[3*p] == 0) {
			t.Fatalf("pixel %d: sprite mask %v but red %v", p, m, rgb[3*p])
		}
	}
}

func TestDSpritesVariantErrors(t *testing.T) {
	col, _ := NewColorDSprites(nil)
	checkBadInputs(t, []badInput{
		{"rgb-base", func() error { _, err := NewNoisyDSprites(col); return err }, "3 channels"},
		{"Observe/count", func() error { _, err := col.Observe([]int{1}, 1); return err }, "color-dsprites"},
		{"Observe/range", func() error { _, err := col.Observe([]int{3, 0, 0, 0, 0}, 1); return err }, "range"},
		{"Render/dst", func() error { return col.Render([]int{0, 0, 0, 0, 0}, make([]float32, 4096)) }, "dst"},
		{"SampleImages/nil", func() error { _, err := col.SampleImages(nil, 1); return err }, "rng"},
		{"SampleImages/negative", func() error {
			_, err := col.SampleImages(rand.New(rand.NewPCG(1, 1)), -1)
			return err
		}, "-1"},
	})
}
