package vae

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/training"
)

// writeOfficialDSprites writes a dSprites archive in the distributed layout (imgs uint8 [N,64,64],
// latents_classes and latents_values int64/float64 [N,6], colour first) over a reduced grid, with the procedural
// renderer's images.
func writeOfficialDSprites(t *testing.T, path string, sizes []int) {
	t.Helper()
	d := data.NewDSprites()
	n := 1
	for _, s := range sizes {
		n *= s
	}
	imgs := make([]uint8, 0, n*4096)
	cls := make([]int64, 0, n*6)
	vals := make([]float64, 0, n*6)
	img := make([]float32, 4096)
	for i := range n {
		c, err := data.Classes(sizes, i, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Render(c[1:], img); err != nil {
			t.Fatal(err)
		}
		for _, v := range img {
			imgs = append(imgs, uint8(v))
		}
		for _, x := range c {
			cls = append(cls, int64(x))
			vals = append(vals, float64(x))
		}
	}
	err := data.WriteNPZFile(path, []data.NPZMember{{Name: "imgs", Shape: []int{n, 64, 64}, Data: imgs},
		{Name: "latents_classes", Shape: []int{n, 6}, Data: cls}, {Name: "latents_values", Shape: []int{n, 6}, Data: vals}}, true)
	if err != nil {
		t.Fatal(err)
	}
}

// TestTrainOnOfficialDSpritesFile: a β-VAE trains from a dSprites archive in the official layout, and the file
// serves the metrics as the ground truth.
func TestTrainOnOfficialDSpritesFile(t *testing.T) {
	sizes := []int{1, 3, 2, 4, 4, 4}
	path := filepath.Join(t.TempDir(), "dsprites_ndarray_small.npz")
	writeOfficialDSprites(t, path, sizes)
	p := data.DSpritesFilePreset
	p.FactorSizes = sizes // a reduced grid: the official file has 1, 3, 6, 40, 32, 32
	ds, err := data.LoadNPZ(path, &p)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	cfg := SmallConfig()
	cfg.Hidden, cfg.LatentDim, cfg.BatchSize, cfg.LearningRate = 64, 4, 16, 1e-3
	m, err := New(testBackend(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(ds, 40, training.Silent()); err != nil {
		t.Fatal(err)
	}
	_, rec, _ := m.History().XY("reconstruction")
	if first, last := mean(rec[:5]), mean(rec[35:]); !(last < 0.7*first) {
		t.Errorf("reconstruction did not fall on the file's images: %.1f → %.1f", first, last)
	}
	mc := metrics.DefaultConfig()
	mc.NumTrain, mc.NumTest = 300, 100
	r, err := metrics.Evaluate(m, ds, []string{metrics.NameMIG}, mc)
	if err != nil {
		t.Fatal(err)
	}
	if mig := r.Scores()[metrics.NameMIG]; !(mig >= 0 && mig <= 1) {
		t.Errorf("MIG on the file's factors = %g", mig)
	}
	if _, err := ds.SampleImages(rand.New(rand.NewPCG(1, 1)), 2); err != nil {
		t.Error(err)
	}
}
