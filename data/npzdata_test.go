package data

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// encImage is a test image that names its grid index: the index in base 256 in the first three bytes, then a
// ramp.
func encImage(idx, pix int) []byte {
	b := make([]byte, pix)
	for j := range b {
		b[j] = byte(j * 37)
	}
	b[0], b[1], b[2] = byte(idx), byte(idx>>8), byte(idx>>16)
	return b
}

// decIdx reads back the grid index of a rendered encImage (values v/255).
func decIdx(t *testing.T, img []float32) int {
	t.Helper()
	var d [3]int
	for i := range d {
		v := float64(img[i]) * 255
		if math.Abs(v-math.Round(v)) > 1e-4 {
			t.Fatalf("pixel %d is %v, not a multiple of 1/255", i, img[i])
		}
		d[i] = int(math.Round(v))
	}
	return d[0] | d[1]<<8 | d[2]<<16
}

// gridImages returns the images of a grid in grid order, pix bytes each.
func gridImages(sizes []int, pix int) []byte {
	n := prod(sizes)
	out := make([]byte, 0, n*pix)
	for i := range n {
		out = append(out, encImage(i, pix)...)
	}
	return out
}

// checkGridRender checks that rendering class vectors returns the image the file stored for that combination
// (all of them when the grid is small, a random 500 otherwise).
func checkGridRender(t *testing.T, g *GridDataset) {
	t.Helper()
	sizes := g.FactorSizes()
	n := prod(sizes)
	s := g.ImageShape()
	img := make([]float32, s[0]*s[1]*s[2])
	rng := rand.New(rand.NewPCG(1, 1))
	for it := range min(n, 500) {
		i := it
		if n > 500 {
			i = rng.IntN(n)
		}
		c, _ := Classes(sizes, i, nil)
		if err := g.Render(c, img); err != nil {
			t.Fatal(err)
		}
		if got := decIdx(t, img); got != i {
			t.Fatalf("classes %v rendered the image of grid index %d, want %d", c, got, i)
		}
	}
}

func TestLoadNPZShuffledValues(t *testing.T) {
	// Factor values (not classes) in shuffled rows: 0.1+0.5c, 1.5c, 2c−3; the loader ranks each factor's values.
	sizes := []int{2, 3, 4}
	n, pix := prod(sizes), 5*6*3
	perm := rand.New(rand.NewPCG(2, 3)).Perm(n)
	images := make([]byte, 0, n*pix)
	labels := make([]float64, 0, 3*n)
	for _, i := range perm {
		c, _ := Classes(sizes, i, nil)
		images = append(images, encImage(i, pix)...)
		labels = append(labels, 0.1+0.5*float64(c[0]), 1.5*float64(c[1]), 2*float64(c[2])-3)
	}
	dir := t.TempDir()
	for _, compress := range []bool{false, true} {
		path := writeFile(t, dir, "shuffled.npz", npzFixture(t, compress,
			NPZMember{"images", []int{n, 5, 6, 3}, images},
			NPZMember{"labels", []int{n, 3}, labels},
			NPZMember{"factor_names", []int{3}, []string{"a", "b", "c"}}))
		g, err := LoadNPZ(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(g.FactorSizes(), sizes) || !slices.Equal(g.FactorNames(), []string{"a", "b", "c"}) ||
			g.ImageShape() != [3]int{5, 6, 3} || g.Len() != n {
			t.Fatalf("sizes %v names %v shape %v len %d", g.FactorSizes(), g.FactorNames(), g.ImageShape(), g.Len())
		}
		if _, lazy := g.store.(*readerStore); lazy == compress {
			t.Errorf("compress=%v: lazy store=%v; stored members should be read in place", compress, lazy)
		}
		checkGridRender(t, g)
		// Stored image i is file row i.
		img := make([]float32, pix)
		if err := g.Image(7, img); err != nil || decIdx(t, img) != perm[7] {
			t.Errorf("Image(7) = index %d, want %d (%v)", decIdx(t, img), perm[7], err)
		}
		if c, err := g.AllClasses(7); err != nil || slices.Compare(c, must(Classes(sizes, perm[7], nil))) != 0 {
			t.Errorf("AllClasses(7) = %v, %v", c, err)
		}
		if err := g.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestLoadNPZGridOrder(t *testing.T) {
	sizes := []int{3, 1, 4}
	n, pix := prod(sizes), 2*2
	dir := t.TempDir()
	imgs := gridImages(sizes, pix)
	cases := []struct {
		name    string
		members []NPZMember
		preset  *Preset
	}{
		{"factor_sizes", []NPZMember{{"images", []int{n, 2, 2}, imgs}, {"factor_sizes", []int{3}, []int64{3, 1, 4}}}, nil},
		{"grid-shaped", []NPZMember{{"imgs", []int{3, 1, 4, 2, 2, 1}, imgs}}, &Preset{FactorSizes: sizes}},
		{"preset", []NPZMember{{"images", []int{n, 2, 2, 1}, imgs}}, &Preset{FactorSizes: sizes,
			FactorNames: []string{"x", "const", "y"}}},
		{"int-classes", []NPZMember{{"images", []int{n, 2, 2}, imgs},
			{"classes", []int{n, 3}, gridClasses64(sizes)}}, nil},
	}
	for _, c := range cases {
		path := writeFile(t, dir, c.name+".npz", npzFixture(t, c.name == "preset", c.members...))
		g, err := LoadNPZ(path, c.preset)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		// The size-1 factor is not latent.
		if !slices.Equal(g.FactorSizes(), []int{3, 4}) || !slices.Equal(g.Latent(), []int{0, 2}) ||
			!slices.Equal(g.AllFactorSizes(), sizes) || g.ImageShape() != [3]int{2, 2, 1} || g.perm != nil {
			t.Fatalf("%s: sizes %v latent %v all %v shape %v perm %v", c.name, g.FactorSizes(), g.Latent(),
				g.AllFactorSizes(), g.ImageShape(), g.perm != nil)
		}
		if c.name == "preset" && !slices.Equal(g.FactorNames(), []string{"x", "y"}) {
			t.Errorf("names %v", g.FactorNames())
		}
		if c.name == "factor_sizes" && !slices.Equal(g.AllFactorNames(), []string{"factor0", "factor1", "factor2"}) {
			t.Errorf("default names %v", g.AllFactorNames())
		}
		checkGridRender(t, g)
		g.Close()
	}
}

func gridClasses64(sizes []int) []int64 {
	var out []int64
	for i := range prod(sizes) {
		for _, c := range must(Classes(sizes, i, nil)) {
			out = append(out, int64(c))
		}
	}
	return out
}

func TestLoadNPZImageTypes(t *testing.T) {
	// bool, float32 and float64 images keep their values; uint8 ones are divided by 255.
	sizes := []int{2, 2}
	vals := []float64{0, 0.25, 1, 0.5, 0.75, 0.125, 1, 0}
	dir := t.TempDir()
	for _, c := range []struct {
		data any
		want []float32
	}{
		{[]uint8{0, 1, 1, 0, 1, 1, 0, 0}, []float32{0, 1, 1, 0, 1, 1, 0, 0}},
		{[]float32{0, 0.25, 1, 0.5, 0.75, 0.125, 1, 0}, convert[float32](vals)},
		{vals, convert[float32](vals)},
		{[]uint8{0, 51, 255, 102, 0, 0, 0, 0}, []float32{0, 0.2, 1, 0.4, 0, 0, 0, 0}},
	} {
		for _, compress := range []bool{false, true} {
			raw := npzFixture(t, compress, NPZMember{"images", []int{4, 1, 2}, c.data},
				NPZMember{"factor_sizes", []int{2}, []int32{2, 2}})
			if _, ok := c.data.([]uint8); ok && c.want[1] == 1 { // write it as numpy's bool dtype
				raw = zipRaw(t, compress, []string{"images", "factor_sizes"},
					npyRaw(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (4, 1, 2), }", c.data.([]uint8)),
					npyBytes(t, []int{2}, []int32{2, 2}))
			}
			g, err := LoadNPZ(writeFile(t, dir, "t.npz", raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.Observe([]int{0, 0, 0, 1, 1, 0, 1, 1}, 4)
			if err != nil || !slices.Equal(got, c.want) || !slices.Equal(g.FactorSizes(), sizes) {
				t.Errorf("%T compress=%v: got %v (%v), want %v", c.data, compress, got, err, c.want)
			}
			g.Close()
		}
	}
}

func TestLoadNPZNuisance(t *testing.T) {
	// Factor 1 (size 5) is a nuisance: drawn per observation, never exposed.
	sizes := []int{3, 5, 2}
	n, pix := prod(sizes), 3
	path := writeFile(t, t.TempDir(), "n.npz", npzFixture(t, false,
		NPZMember{"images", []int{n, 1, 1, 3}, gridImages(sizes, pix)}))
	g, err := LoadNPZ(path, &Preset{FactorSizes: sizes, Latent: []int{0, 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !slices.Equal(g.FactorSizes(), []int{3, 2}) || g.NumFactors() != 2 {
		t.Fatalf("latent sizes %v", g.FactorSizes())
	}
	// Observe: each row's image has the row's latent classes; the nuisance varies over rows repeating a combination.
	rows := 200
	classes := make([]int, 0, 2*rows)
	for range rows {
		classes = append(classes, 2, 1)
	}
	obs, err := g.Observe(classes, rows)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for i := range rows {
		c := must(Classes(sizes, decIdx(t, obs[i*pix:(i+1)*pix]), nil))
		if c[0] != 2 || c[2] != 1 {
			t.Fatalf("row %d shows classes %v for latent (2, 1)", i, c)
		}
		seen[c[1]]++
	}
	if len(seen) != 5 {
		t.Errorf("nuisance classes seen %v, want all 5", seen)
	}
	for k, v := range seen {
		if v < rows/5/2 {
			t.Errorf("nuisance class %d drawn %d times of %d, far below uniform", k, v, rows)
		}
	}
	// Deterministic: the same call gives the same images; Render is row 0; another Seed changes the draws.
	again, _ := g.Observe(classes, rows)
	if !slices.Equal(obs, again) {
		t.Error("Observe is not deterministic")
	}
	one := make([]float32, pix)
	if err := g.Render([]int{2, 1}, one); err != nil || !slices.Equal(one, obs[:pix]) {
		t.Errorf("Render differs from Observe row 0 (%v)", err)
	}
	g.Seed = 99
	other, _ := g.Observe(classes, rows)
	if slices.Equal(obs, other) {
		t.Error("Seed does not change the nuisance draws")
	}
	// SampleImages is reproducible from its rng and draws the nuisance too.
	a, err := g.SampleImages(rand.New(rand.NewPCG(5, 6)), 300)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := g.SampleImages(rand.New(rand.NewPCG(5, 6)), 300)
	if !slices.Equal(a, b) {
		t.Error("SampleImages is not reproducible from its rng")
	}
	counts := make([]int, n)
	for i := range 300 {
		counts[decIdx(t, a[i*pix:(i+1)*pix])]++
	}
	if z := slices.Index(counts, 0); z >= 0 {
		t.Errorf("combination %v never sampled in 300 draws of 30", must(Classes(sizes, z, nil)))
	}
}

func TestLoadNPZIncompleteGrid(t *testing.T) {
	dir := t.TempDir()
	img := make([]uint8, 4*2)
	cases := []struct {
		name    string
		classes []int64
		want    string
	}{
		{"duplicate", []int64{0, 0, 0, 1, 1, 0, 0, 1}, "same factor classes [0 1]"},
		{"too-few-values", []int64{0, 0, 0, 1, 1, 0, 2, 1}, "6 combinations"},
	}
	for _, c := range cases {
		path := writeFile(t, dir, c.name+".npz", npzFixture(t, false, NPZMember{"images", []int{4, 2, 1}, img},
			NPZMember{"classes", []int{4, 2}, c.classes}))
		_, err := LoadNPZ(path, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "one image per") ||
			!strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want it to name the file, mention %q and the one-image-per-combination rule",
				c.name, err, c.want)
		}
	}
}

func TestLoadNPZErrors(t *testing.T) {
	dir := t.TempDir()
	img := make([]uint8, 4*2*2)
	file := func(name string, compress bool, m ...NPZMember) string {
		return writeFile(t, dir, name, npzFixture(t, compress, m...))
	}
	cls := NPZMember{"classes", []int{4, 2}, []int64{0, 0, 0, 1, 1, 0, 1, 1}}
	notZip := writeFile(t, dir, "text.npz", []byte("not a zip at all"))
	checkBadInputs(t, []badInput{
		{"missing-file", func() error { _, err := LoadNPZ(filepath.Join(dir, "none.npz"), nil); return err }, "none.npz"},
		{"not-zip", func() error { _, err := LoadNPZ(notZip, nil); return err }, "images (or imgs)"},
		{"no-images", func() error { _, err := LoadNPZ(file("a.npz", false, cls), nil); return err }, "no image member"},
		{"no-classes", func() error {
			_, err := LoadNPZ(file("b.npz", false, NPZMember{"images", []int{4, 2, 2}, img}), nil)
			return err
		}, "no factor classes"},
		{"image-dtype", func() error {
			_, err := LoadNPZ(file("c.npz", false, NPZMember{"images", []int{4, 2, 2}, make([]int64, 16)}, cls), nil)
			return err
		}, "dtype <i8"},
		{"image-count", func() error {
			_, err := LoadNPZ(file("d.npz", false, NPZMember{"images", []int{3, 2, 2}, img[:12]}, cls), nil)
			return err
		}, "has shape [3 2 2]"},
		{"image-rank", func() error {
			_, err := LoadNPZ(file("e.npz", false, NPZMember{"images", []int{4, 4}, img}, cls), nil)
			return err
		}, "want [4,H,W,C]"},
		{"string-classes", func() error {
			_, err := LoadNPZ(file("f.npz", false, NPZMember{"images", []int{4, 2, 2}, img},
				NPZMember{"classes", []int{4, 1}, []string{"a", "b", "c", "d"}}), nil)
			return err
		}, "strings"},
		{"nan-values", func() error {
			_, err := LoadNPZ(file("g.npz", false, NPZMember{"images", []int{4, 2, 2}, img},
				NPZMember{"labels", []int{4, 1}, []float64{0, 1, math.NaN(), 2}}), nil)
			return err
		}, "NaN"},
		{"preset-sizes", func() error {
			_, err := LoadNPZ(file("h.npz", true, NPZMember{"images", []int{4, 2, 2}, img}, cls), &Cars3DPreset)
			return err
		}, "cars3d has [4 24 183]"},
		{"bad-factor-sizes", func() error {
			_, err := LoadNPZ(file("i.npz", false, NPZMember{"images", []int{4, 2, 2}, img},
				NPZMember{"factor_sizes", []int{2}, []int64{2, -2}}), nil)
			return err
		}, "do not make a grid"},
		{"names-count", func() error {
			_, err := LoadNPZ(file("j.npz", false, NPZMember{"images", []int{4, 2, 2}, img}, cls,
				NPZMember{"factor_names", []int{3}, []string{"a", "b", "c"}}), nil)
			return err
		}, "factor_names must be 2 strings"},
		{"truncated-deflated", func() error {
			raw := zipRaw(t, true, []string{"images", "classes"},
				npyBytes(t, []int{4, 2, 2}, img)[:128+5], npyBytes(t, []int{4, 2}, cls.Data))
			_, err := LoadNPZ(writeFile(t, dir, "k.npz", raw), nil)
			return err
		}, "truncated"},
	})
	// Every loader error spells out the expected layout.
	_, err := LoadNPZ(filepath.Join(dir, "none.npz"), nil)
	if err == nil || !strings.Contains(err.Error(), NPZLayout) {
		t.Errorf("error %v does not give the layout", err)
	}
	// Bad calls on a good dataset.
	g, err := LoadNPZ(file("ok.npz", false, NPZMember{"images", []int{4, 2, 2}, img}, cls), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	dst := make([]float32, 4)
	checkBadInputs(t, []badInput{
		{"Image/range", func() error { return g.Image(4, dst) }, "out of range"},
		{"Image/dst", func() error { return g.Image(0, dst[:3]) }, "dst"},
		{"Render/classes", func() error { return g.Render([]int{0, 2}, dst) }, "range"},
		{"Render/dst", func() error { return g.Render([]int{0, 1}, dst[:2]) }, "dst"},
		{"Observe/count", func() error { _, err := g.Observe([]int{0}, 1); return err }, "n=1"},
		{"SampleImages/nil-rng", func() error { _, err := g.SampleImages(nil, 1); return err }, "rng"},
		{"AllClasses/range", func() error { _, err := g.AllClasses(-1); return err }, "range"},
	})
}

// TestGridConcurrentObserve observes from several goroutines at once on a dataset read in place from its file
// (and a nuisance to draw), comparing with serial results.
func TestGridConcurrentObserve(t *testing.T) {
	sizes := []int{4, 3, 5}
	path := writeFile(t, t.TempDir(), "c.npz", npzFixture(t, false,
		NPZMember{"images", []int{prod(sizes), 2, 2, 3}, gridImages(sizes, 12)}))
	g, err := LoadNPZ(path, &Preset{FactorSizes: sizes, Latent: []int{0, 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	classes := g.Sample(rand.New(rand.NewPCG(1, 9)), 64)
	want, err := g.Observe(classes, 64)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			got, err := g.Observe(classes, 64)
			if err == nil && !slices.Equal(got, want) {
				err = errors.New("concurrent Observe differs from the serial one")
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
