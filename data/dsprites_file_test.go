package data

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// dspritesFileMembers lays out a dSprites archive as distributed (imgs uint8 [N,64,64], latents_classes and
// latents_values [N,6], a pickled metadata object) for the grid sizes (colour first), with the procedural
// renderer's images: grid class c of factor k is procedural class c.
func dspritesFileMembers(t testing.TB, sizes []int, compress bool, mutate func(imgs []uint8, cls []int64)) []byte {
	t.Helper()
	d := NewDSprites()
	n := prod(sizes)
	imgs := make([]uint8, 0, n*4096)
	cls := make([]int64, 0, n*6)
	vals := make([]float64, 0, n*6)
	img := make([]float32, 4096)
	for i := range n {
		c := must(Classes(sizes, i, nil))
		if err := d.Render(c[1:], img); err != nil {
			t.Fatal(err)
		}
		for _, v := range img {
			imgs = append(imgs, uint8(v))
		}
		for k, x := range c {
			cls = append(cls, int64(x))
			vals = append(vals, float64(x)+0.5*float64(k))
		}
	}
	if mutate != nil {
		mutate(imgs, cls)
	}
	return zipRaw(t, compress, []string{"imgs", "latents_classes", "latents_values", "metadata"},
		npyBytes(t, []int{n, 64, 64}, imgs), npyBytes(t, []int{n, 6}, cls), npyBytes(t, []int{n, 6}, vals),
		npyRaw(1, "{'descr': '|O', 'fortran_order': False, 'shape': (), }", []byte("\x80\x02}q\x00.")))
}

func TestLoadDSpritesFile(t *testing.T) {
	sizes := []int{1, 3, 2, 2, 2, 2}
	p := DSpritesFilePreset
	p.FactorSizes = sizes
	d := NewDSprites()
	dir := t.TempDir()
	for _, compress := range []bool{false, true} {
		path := writeFile(t, dir, "dsprites.npz", dspritesFileMembers(t, sizes, compress, nil))
		g, err := LoadNPZ(path, &p)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := g.store.(*bitStore); !ok {
			t.Errorf("compress=%v: images held as %T, want packed bits", compress, g.store)
		}
		if g.NumFactors() != 5 || !slices.Equal(g.FactorSizes(), sizes[1:]) || g.ImageShape() != [3]int{64, 64, 1} ||
			!slices.Equal(g.FactorNames(), d.FactorNames()) {
			t.Fatalf("factors %v %v shape %v", g.FactorSizes(), g.FactorNames(), g.ImageShape())
		}
		got, want := make([]float32, 4096), make([]float32, 4096)
		for i := range prod(sizes) {
			c := must(Classes(sizes[1:], i, nil))
			if err := g.Render(c, got); err != nil {
				t.Fatal(err)
			}
			_ = d.Render(c, want)
			if !slices.Equal(got, want) {
				t.Fatalf("compress=%v: classes %v: the file's image differs from the one written", compress, c)
			}
		}
		// Training draws come from the stored images too.
		imgs, err := g.SampleImages(rand.New(rand.NewPCG(1, 2)), 3)
		if err != nil || len(imgs) != 3*4096 {
			t.Fatalf("SampleImages: %d values, %v", len(imgs), err)
		}
	}
}

func TestLoadDSpritesFileErrors(t *testing.T) {
	sizes := []int{1, 3, 2, 2, 2, 2}
	p := DSpritesFilePreset
	p.FactorSizes = sizes
	dir := t.TempDir()
	load := func(name string, raw []byte) func() error {
		return func() error { _, err := LoadNPZ(writeFile(t, dir, name, raw), &p); return err }
	}
	checkBadInputs(t, []badInput{
		{"rows-out-of-order", load("a.npz", dspritesFileMembers(t, sizes, true, func(_ []uint8, c []int64) {
			c[5], c[11] = c[11], c[5] // rows 0 and 1 swapped
		})), "row 0 has classes [0 0 0 0 0 1], want [0 0 0 0 0 0]"},
		{"not-binary", load("b.npz", dspritesFileMembers(t, sizes, false, func(im []uint8, _ []int64) {
			im[4096*5+7] = 255
		})), "image 5 has pixel value 255"},
		{"wrong-grid", func() error {
			_, err := LoadDSpritesFile(writeFile(t, dir, "c.npz", dspritesFileMembers(t, sizes, false, nil)))
			return err
		}, "dsprites has [1 3 6 40 32 32]"},
		{"float-images", load("d.npz", zipRaw(t, false, []string{"imgs", "latents_classes"},
			npyBytes(t, []int{2, 2, 2}, make([]float32, 8)), npyBytes(t, []int{2, 1}, []int64{0, 1}))),
			"want binary uint8 or bool"},
		{"missing", func() error { _, err := LoadDSpritesFile(filepath.Join(dir, "none.npz")); return err }, "none.npz"},
	})
}

// TestLoadDSpritesFileFullGrid loads an archive with the published grid (737,280 rows of latents_classes) and
// 1×8-pixel images, through LoadDSpritesFile and Open.
func TestLoadDSpritesFileFullGrid(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 41 MB archive")
	}
	sizes := DSpritesFilePreset.FactorSizes
	n := prod(sizes)
	imgs := make([]uint8, n*8)
	for i := range n {
		for j := range 8 {
			imgs[i*8+j] = uint8(i>>j) & 1 // the image spells the low 8 bits of its index
		}
	}
	path := filepath.Join(t.TempDir(), "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz")
	err := WriteNPZFile(path, []NPZMember{{"imgs", []int{n, 1, 8}, imgs},
		{"latents_classes", []int{n, 6}, gridClasses64(sizes)}}, false)
	if err != nil {
		t.Fatal(err)
	}
	imgs = nil
	for _, open := range []func(string) (GroundTruth, error){
		func(p string) (GroundTruth, error) { return LoadDSpritesFile(p) },
		Open,
	} {
		g, err := open(path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(g.FactorSizes(), []int{3, 6, 40, 32, 32}) || g.ImageShape() != [3]int{1, 8, 1} {
			t.Fatalf("sizes %v shape %v", g.FactorSizes(), g.ImageShape())
		}
		rng := rand.New(rand.NewPCG(3, 3))
		img := make([]float32, 8)
		for range 300 {
			i := rng.IntN(n)
			if err := g.Render(must(Classes(g.FactorSizes(), i, nil)), img); err != nil {
				t.Fatal(err)
			}
			for j, v := range img {
				if v != float32(i>>j&1) {
					t.Fatalf("index %d: pixel %d is %v", i, j, v)
				}
			}
		}
	}
}
