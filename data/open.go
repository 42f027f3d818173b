package data

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/gdisent/gdisent/gdisent"
)

// GroundTruth is a factor dataset that can also be trained on: a [FactorDataset] for the metrics and a
// gdisent.Dataset for training. Every dataset of this package is one.
type GroundTruth interface {
	FactorDataset
	SampleImages(rng *rand.Rand, n int) ([]float32, error)
}

var (
	_ gdisent.Dataset = GroundTruth(nil)
	_ GroundTruth     = (*DSprites)(nil)
	_ GroundTruth     = (*GridDataset)(nil)
	_ GroundTruth     = (*DSpritesVariant)(nil)
	_ io.Closer       = (*GridDataset)(nil)
)

// Names lists the procedural datasets [Named] knows.
var Names = []string{"dsprites", "color-dsprites", "noisy-dsprites"}

// Named returns a procedural dataset by name: "dsprites", "color-dsprites" or "noisy-dsprites"
// (disentanglement_lib's dsprites_full, color_dsprites and noisy_dsprites are accepted too).
func Named(name string) (GroundTruth, error) {
	switch strings.ReplaceAll(strings.ToLower(name), "_", "-") {
	case "dsprites", "dsprites-full":
		return NewDSprites(), nil
	case "color-dsprites", "colour-dsprites":
		return NewColorDSprites(nil)
	case "noisy-dsprites":
		return NewNoisyDSprites(nil)
	}
	return nil, fmt.Errorf("data: unknown dataset %q (known: %s)", name, strings.Join(Names, ", "))
}

// Open returns the dataset at path, detecting its format:
//   - a procedural name of [Named] (when no file of that name exists);
//   - a SmallNORB directory, or one of its files ([LoadSmallNORB]);
//   - an .npz archive: the official dSprites file when it has imgs and latents_classes ([LoadDSpritesFile]);
//     else, by file name, Cars3D ("cars"), 3D Shapes ("3dshapes", "shapes3d"), MPI3D ("mpi3d_real",
//     "mpi3d"), whose presets fix the factors' names and the published grid; else the generic [LoadNPZ].
//
// A dataset read lazily from its file holds it open: close it with Close (io.Closer) when done.
func Open(path string) (GroundTruth, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if d, nerr := Named(path); nerr == nil {
			return d, nil
		}
		return nil, fmt.Errorf("data: %s: no such file or directory, nor a dataset name (%s); want %s", path,
			strings.Join(Names, ", "), openHelp)
	}
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if st.IsDir() {
		for _, c := range smallNORBChunks {
			if fileExists(filepath.Join(path, c+"-dat.mat")) || fileExists(filepath.Join(path, c+"-dat.mat.gz")) {
				return LoadSmallNORB(path)
			}
		}
		return nil, fmt.Errorf("data: %s is a directory without SmallNORB files; want %s", path, openHelp)
	}
	if isSmallNORBFile(path) {
		return LoadSmallNORB(filepath.Dir(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	f.Close()
	if err != nil || string(magic[:]) != "PK\x03\x04" {
		return nil, fmt.Errorf("data: %s is not an .npz archive nor a SmallNORB file; want %s", path, openHelp)
	}
	z, err := OpenNPZ(path)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	dsprites := z.Has("imgs") && z.Has("latents_classes")
	z.Close()
	if dsprites {
		return LoadDSpritesFile(path)
	}
	p := presetByName(filepath.Base(path))
	g, err := LoadNPZ(path, p)
	if err != nil && p != nil {
		return nil, fmt.Errorf("%w\n(the %s preset was chosen from the file name; rename the file to load it "+
			"without one)", err, p.Name)
	}
	return g, err
}

const openHelp = "a SmallNORB directory (or file), an .npz archive (the official dSprites file, or images and " +
	"factor classes: see data.NPZLayout), or a dataset name"

// presetByName picks a published data set's preset from a file name (nil: none).
func presetByName(base string) *Preset {
	b := strings.ToLower(base)
	switch {
	case strings.Contains(b, "cars"):
		return &Cars3DPreset
	case strings.Contains(b, "3dshapes") || strings.Contains(b, "shapes3d"):
		return &Shapes3DPreset
	case strings.Contains(b, "mpi3d_real") && !strings.Contains(b, "mpi3d_realistic"):
		return &MPI3DRealPreset
	case strings.Contains(b, "mpi3d"):
		return &MPI3DPreset
	}
	return nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
