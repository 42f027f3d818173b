package data

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNamed(t *testing.T) {
	for _, c := range []struct {
		names []string
		shape [3]int
		kind  string
	}{
		{[]string{"dsprites", "dsprites_full", "DSprites"}, [3]int{64, 64, 1}, "*data.DSprites"},
		{[]string{"color-dsprites", "color_dsprites"}, [3]int{64, 64, 3}, "color-dsprites"},
		{[]string{"noisy-dsprites", "noisy_dsprites"}, [3]int{64, 64, 3}, "noisy-dsprites"},
	} {
		for _, name := range c.names {
			d, err := Named(name)
			if err != nil {
				t.Fatal(err)
			}
			kind := "*data.DSprites"
			if v, ok := d.(*DSpritesVariant); ok {
				kind = v.Name()
			}
			if kind != c.kind || d.ImageShape() != c.shape || d.NumFactors() != 5 {
				t.Errorf("%s: %s %v", name, kind, d.ImageShape())
			}
		}
	}
	if _, err := Named("scream-dsprites"); err == nil || !strings.Contains(err.Error(), "noisy-dsprites") {
		t.Errorf("unknown name: %v", err)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	// A generic archive: factor names from the file, images lazily read.
	sizes := []int{2, 3}
	generic := writeFile(t, dir, "mine.npz", npzFixture(t, false,
		NPZMember{"images", []int{6, 1, 1, 3}, gridImages(sizes, 3)},
		NPZMember{"factor_sizes", []int{2}, []int64{2, 3}},
		NPZMember{"factor_names", []int{2}, []string{"size", "hue"}}))
	d, err := Open(generic)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.FactorNames(), []string{"size", "hue"}) {
		t.Errorf("names %v", d.FactorNames())
	}
	if c, ok := d.(io.Closer); !ok || c.Close() != nil {
		t.Error("a lazily read dataset should close its file")
	}
	// A procedural name, when no such file exists.
	wd, _ := os.Getwd()
	t.Chdir(dir)
	if d, err := Open("noisy-dsprites"); err != nil || d.ImageShape() != [3]int{64, 64, 3} {
		t.Errorf("Open(noisy-dsprites): %v", err)
	}
	t.Chdir(wd)
	// SmallNORB: the directory or any of its files goes to the SmallNORB reader (a full load, resizing to 64×64,
	// is TestLoadSmallNORB's; here the -dat files are not matrices, so the reader's error shows).
	norb := filepath.Join(dir, "norb")
	os.Mkdir(norb, 0o755)
	for _, c := range smallNORBChunks {
		writeFile(t, norb, c+"-dat.mat", []byte("not a matrix"))
	}
	for _, p := range []string{norb, filepath.Join(norb, smallNORBChunks[1]+"-dat.mat")} {
		if _, err := Open(p); err == nil || !strings.Contains(err.Error(), "smallnorb in "+norb) {
			t.Errorf("Open(%s): %v, want the SmallNORB reader's error", p, err)
		}
	}
	// A dSprites-layout archive is recognised by its members (and this one lacks the published grid).
	ds := writeFile(t, dir, "tiny.npz", dspritesFileMembers(t, []int{1, 3, 2, 2, 2, 2}, true, nil))
	if _, err := Open(ds); err == nil || !strings.Contains(err.Error(), "dsprites has [1 3 6 40 32 32]") {
		t.Errorf("dSprites layout: %v", err)
	}
	// A name hinting at a published set applies its preset, and says so when the file does not fit.
	bad := writeFile(t, dir, "cars_subset.npz", npzFixture(t, false,
		NPZMember{"images", []int{6, 1, 1, 3}, gridImages(sizes, 3)},
		NPZMember{"factor_sizes", []int{2}, []int64{2, 3}}))
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "cars3d preset was chosen from the file name") {
		t.Errorf("preset mismatch: %v", err)
	}
	notData := writeFile(t, dir, "notes.txt", []byte("hello"))
	checkBadInputs(t, []badInput{
		{"missing", func() error { _, err := Open(filepath.Join(dir, "nothing.npz")); return err }, "nothing.npz: no such file"},
		{"text", func() error { _, err := Open(notData); return err }, "notes.txt is not an .npz"},
		{"empty-dir", func() error { _, err := Open(t.TempDir()); return err }, "without SmallNORB files"},
	})
}

// TestPublishedGrids loads archives laid out as the conversions in the package doc write them, with the
// published grids and tiny images, through the presets and Open's name detection.
func TestPublishedGrids(t *testing.T) {
	if testing.Short() {
		t.Skip("writes archives with up to a million rows")
	}
	dir := t.TempDir()
	// Cars3D: images only, grid order (elevation, azimuth, object).
	cars := Cars3DPreset.FactorSizes
	carsPath := filepath.Join(dir, "cars3d.npz")
	if err := WriteNPZFile(carsPath, []NPZMember{{"images", []int{prod(cars), 2, 2, 3}, gridImages(cars, 12)}}, true); err != nil {
		t.Fatal(err)
	}
	// 3D Shapes: images [480000,H,W,3] and labels [480000,6] holding factor values, as in 3dshapes.h5.
	shapes := Shapes3DPreset.FactorSizes
	values := [][]float64{Linspace(0, 0.9, 10), Linspace(0, 0.9, 10), Linspace(0, 0.9, 10), Linspace(0.75, 1.25, 8),
		{0, 1, 2, 3}, Linspace(-30, 30, 15)}
	n := prod(shapes)
	labels := make([]float64, 0, 6*n)
	for i := range n {
		for k, c := range must(Classes(shapes, i, nil)) {
			labels = append(labels, values[k][c])
		}
	}
	shapesPath := filepath.Join(dir, "3dshapes.npz")
	if err := WriteNPZFile(shapesPath, []NPZMember{{"images", []int{n, 1, 1, 3}, gridImages(shapes, 3)},
		{"labels", []int{n, 6}, labels}}, false); err != nil {
		t.Fatal(err)
	}
	labels = nil
	// MPI3D toy: images only, as distributed.
	mpi := MPI3DPreset.FactorSizes
	mpiPath := filepath.Join(dir, "mpi3d_toy.npz")
	if err := WriteNPZFile(mpiPath, []NPZMember{{"images", []int{prod(mpi), 1, 1, 3}, gridImages(mpi, 3)}}, false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path   string
		load   func(string) (*GridDataset, error)
		preset *Preset
	}{
		{carsPath, LoadCars3D, &Cars3DPreset},
		{shapesPath, LoadShapes3D, &Shapes3DPreset},
		{mpiPath, LoadMPI3D, &MPI3DPreset},
	} {
		g, err := c.load(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(g.FactorSizes(), c.preset.FactorSizes) || !slices.Equal(g.FactorNames(), c.preset.FactorNames) {
			t.Fatalf("%s: sizes %v names %v", c.path, g.FactorSizes(), g.FactorNames())
		}
		checkGridRender(t, g)
		g.Close()
		d, err := Open(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.FactorNames(), c.preset.FactorNames) {
			t.Errorf("Open(%s) names %v", c.path, d.FactorNames())
		}
		if _, err := d.SampleImages(rand.New(rand.NewPCG(1, 1)), 8); err != nil {
			t.Error(err)
		}
		d.(io.Closer).Close()
	}
}
