package data

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// NPZLayout describes the .npz layout that [LoadNPZ] reads; error messages repeat it.
const NPZLayout = `an .npz archive (numpy.savez, or savez_compressed) with
  images (or imgs): uint8 [N,H,W,C] or [N,H,W] in 0..255, bool, or float32/float64 in [0,1];
    leading dims may also be the factor grid itself, [s1,...,sK,H,W,C]
  classes (or latents_classes, labels, factors, latents_values, values): [N,K] (or [s1,...,sK,K]), one row of
    factor values per image, any numeric dtype; each factor's distinct values, sorted, are its classes
  or, without classes, images in row-major grid order (last factor fastest) with the sizes given by
    factor_sizes: int [K] (or by the caller)
  optional factor_names: str [K]
and exactly one image per combination of factor classes (N = s1·…·sK), which the metrics need`

// Member names [LoadNPZ] looks for, in order of preference.
var (
	npzImageNames = []string{"images", "imgs"}
	npzClassNames = []string{"classes", "latents_classes", "labels", "factors", "latents_values", "values"}
)

// Preset fixes what a loader knows of a published data set: its factors' names and sizes (checked against the
// file) and which factors are latent. The image size is the file's: the published sets are 64×64 (see each
// preset), but a conversion at another size loads as well.
type Preset struct {
	Name        string
	FactorNames []string // nil: factor_names from the file, else factor0, factor1, …
	FactorSizes []int    // nil: from the file; else the file must have exactly these
	Latent      []int    // nil: every factor of size > 1

	packBits  bool // images are binary: pack them 8 to a byte (dSprites)
	gridOrder bool // the classes must enumerate the grid row-major (dSprites' latents_classes)
}

// Published grids (disentanglement_lib's cars3d.py, shapes3d.py, mpi3d.py).
var (
	// Cars3D (Reed, Zhang, Zhang & Lee 2015, "Deep Visual Analogy-Making"): 183 car models rendered at 4
	// elevations and 24 azimuths, 64×64×3 after resizing.
	Cars3DPreset = Preset{Name: "cars3d", FactorNames: []string{"elevation", "azimuth", "object"},
		FactorSizes: []int{4, 24, 183}}
	// 3D Shapes (Burgess & Kim 2018, https://github.com/deepmind/3d-shapes), 64×64×3.
	Shapes3DPreset = Preset{Name: "shapes3d",
		FactorNames: []string{"floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation"},
		FactorSizes: []int{10, 10, 10, 8, 4, 15}}
	// MPI3D toy and realistic (Gondal et al. 2019, "On the Transfer of Inductive Bias from Simulation to the Real
	// World: a New Disentanglement Dataset"), 64×64×3; the real-world set has 6 colours and 6 shapes.
	MPI3DPreset     = Preset{Name: "mpi3d", FactorNames: mpi3dNames, FactorSizes: []int{4, 4, 2, 3, 3, 40, 40}}
	MPI3DRealPreset = Preset{Name: "mpi3d_real", FactorNames: mpi3dNames, FactorSizes: []int{6, 6, 2, 3, 3, 40, 40}}
	// dSprites as distributed (dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz): its colour factor has one class
	// and is dropped from the latent factors.
	DSpritesFilePreset = Preset{Name: "dsprites",
		FactorNames: []string{"color", "shape", "scale", "orientation", "posX", "posY"},
		FactorSizes: []int{1, 3, 6, 40, 32, 32}, packBits: true, gridOrder: true}

	mpi3dNames = []string{"object_color", "object_shape", "object_size", "camera_height", "background_color",
		"horizontal_axis", "vertical_axis"}
)

// LoadCars3D loads Cars3D converted to the [NPZLayout] (see the package doc for the one-line conversion).
func LoadCars3D(path string) (*GridDataset, error) { return LoadNPZ(path, &Cars3DPreset) }

// LoadShapes3D loads 3D Shapes converted from 3dshapes.h5 to the [NPZLayout] (see the package doc).
func LoadShapes3D(path string) (*GridDataset, error) { return LoadNPZ(path, &Shapes3DPreset) }

// LoadMPI3D loads mpi3d_toy.npz or mpi3d_realistic.npz as distributed (images only, in grid order); use
// [MPI3DRealPreset] with [LoadNPZ] for mpi3d_real.
func LoadMPI3D(path string) (*GridDataset, error) { return LoadNPZ(path, &MPI3DPreset) }

// LoadDSpritesFile loads the official dSprites archive (Matthey et al. 2017), whose imgs member is 737,280
// 64×64 binary images (3 GB as uint8): it streams imgs out of the zip, stored or deflated, and keeps the images
// packed as bits (377 MB). It checks that latents_classes enumerates the grid row-major, as the index arithmetic
// assumes; latents_values and the pickled metadata are not read. The latent factors are shape, scale,
// orientation, posX and posY, as for [DSprites].
func LoadDSpritesFile(path string) (*GridDataset, error) { return LoadNPZ(path, &DSpritesFilePreset) }

// LoadNPZ loads a factor dataset from an .npz archive in the [NPZLayout]; p (may be nil) names the factors and
// fixes the published grid. Images of a stored member (numpy.savez) are read lazily from the file, so a data set
// larger than memory loads at once and costs nothing until used; those of a deflated member
// (savez_compressed) are inflated into memory once, as uint8 where they are uint8 or bool.
//
// It is an error, naming the file and the layout, when the file is missing or malformed, or when the images do
// not cover the factor grid exactly once: the disentanglement metrics need one image for every combination.
func LoadNPZ(path string, p *Preset) (*GridDataset, error) {
	if p == nil {
		p = &Preset{}
	}
	z, err := OpenNPZ(path)
	if err != nil {
		return nil, fmt.Errorf("data: loading %s: %w\nwant %s", path, err, NPZLayout)
	}
	g, lazy, err := loadNPZ(z, path, p)
	if err != nil || !lazy {
		z.Close()
	}
	if err != nil {
		return nil, err
	}
	if lazy {
		g.closer = z
		runtime.AddCleanup(g, func(z *NPZ) { z.Close() }, z)
	}
	return g, nil
}

// loadNPZ builds the dataset from an open archive; lazy reports that its images are read from z later.
func loadNPZ(z *NPZ, path string, p *Preset) (g *GridDataset, lazy bool, err error) {
	fail := func(format string, a ...any) (*GridDataset, bool, error) {
		return nil, false, fmt.Errorf("data: %s: %s\nwant %s", path, fmt.Sprintf(format, a...), NPZLayout)
	}
	imgName := z.First(npzImageNames...)
	if imgName == "" {
		return fail("no image member (images or imgs) among %s", strings.Join(z.Names(), ", "))
	}
	ih, err := z.Header(imgName)
	if err != nil {
		return fail("%v", err)
	}
	switch ih.Descr {
	case "|u1", "<u1", "|b1", "<f4", "<f8":
	default:
		return fail("%s has dtype %s", imgName, ih.Descr)
	}
	if p.packBits && ih.Descr != "|u1" && ih.Descr != "<u1" && ih.Descr != "|b1" {
		return fail("%s has dtype %s, want binary uint8 or bool images", imgName, ih.Descr)
	}

	// Factor sizes and the grid permutation.
	var sizes []int
	var perm []int32
	var lead []int // the sample dims of the image array
	clsName := z.First(npzClassNames...)
	if clsName != "" {
		ca, err := z.Read(clsName)
		if err != nil {
			return fail("%v", err)
		}
		if len(ca.Shape) == 0 {
			return fail("%s is a scalar, want [N,K]", clsName)
		}
		lead = ca.Shape[:len(ca.Shape)-1]
		if len(lead) == 0 { // [N]: a single factor
			lead, ca.Shape = ca.Shape, append(slices.Clone(ca.Shape), 1)
		}
		k := ca.Shape[len(ca.Shape)-1]
		n := prod(lead)
		if k == 0 || n == 0 {
			return fail("%s has shape %v: no factors or no rows", clsName, ca.Shape)
		}
		if p.gridOrder {
			sizes, err = checkGridOrder(ca, n, k)
		} else {
			sizes, perm, err = gridFromValues(ca, n, k)
		}
		if err != nil {
			return fail("%s: %v", clsName, err)
		}
	} else {
		sizes = p.FactorSizes
		if sizes == nil && z.Has("factor_sizes") {
			a, err := z.Read("factor_sizes")
			if err != nil {
				return fail("%v", err)
			}
			if sizes, err = a.Ints(); err != nil || len(a.Shape) != 1 {
				return fail("factor_sizes must be integers of shape [K], got shape %v (%v)", a.Shape, err)
			}
		}
		if sizes == nil {
			return fail("no factor classes: found none of %s, nor factor_sizes", strings.Join(npzClassNames, ", "))
		}
		total, ok := prodBounded(sizes, MaxNPYBytes)
		if !ok || total <= 0 || slices.ContainsFunc(sizes, func(s int) bool { return s <= 0 }) {
			return fail("factor sizes %v do not make a grid", sizes)
		}
		lead = []int{total}
		if r := len(ih.Shape) - len(sizes); (r == 2 || r == 3) && slices.Equal(ih.Shape[:len(sizes)], sizes) {
			lead = sizes
		}
	}
	if p.FactorSizes != nil && !slices.Equal(sizes, p.FactorSizes) {
		return fail("factor sizes %v, but %s has %v", sizes, p.Name, p.FactorSizes)
	}

	// Image shape.
	var shape [3]int
	switch r := len(ih.Shape) - len(lead); {
	case (r != 2 && r != 3) || !slices.Equal(ih.Shape[:len(lead)], lead):
		return fail("%s has shape %v; for samples of shape %v want [%s,H,W,C] or [%[4]s,H,W]", imgName, ih.Shape,
			lead, joinInts(lead))
	case r == 2:
		shape = [3]int{ih.Shape[len(lead)], ih.Shape[len(lead)+1], 1}
	default:
		shape = [3]int(ih.Shape[len(lead):])
	}
	if n := prod(lead); n != prod(sizes) {
		return fail("%d images for a grid of %v = %d combinations; the metrics need exactly one image per "+
			"combination of factor classes", n, sizes, prod(sizes))
	}
	if shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0 {
		return fail("%s has shape %v: empty images", imgName, ih.Shape)
	}

	// Names.
	names := p.FactorNames
	if names == nil && z.Has("factor_names") {
		a, err := z.Read("factor_names")
		if err != nil {
			return fail("%v", err)
		}
		s, ok := a.Data.([]string)
		if !ok || len(s) != len(sizes) {
			return fail("factor_names must be %d strings, got %v of %T", len(sizes), a.Shape, a.Data)
		}
		names = s
	}
	if names == nil {
		for k := range sizes {
			names = append(names, "factor"+strconv.Itoa(k))
		}
	}
	if len(names) != len(sizes) {
		return fail("%d factor names for %d factors", len(names), len(sizes))
	}

	store, lazy, err := npzImages(z, imgName, prod(sizes), shape[0]*shape[1]*shape[2], p.packBits)
	if err != nil {
		return fail("%v", err)
	}
	name := p.Name
	if name == "" {
		name = "npz"
	}
	g, err = newGrid(name+" ("+path+")", sizes, names, p.Latent, shape, store, perm)
	if err != nil {
		return nil, false, err
	}
	return g, lazy, nil
}

// npzImages makes the image store: in place for a stored member, else inflated into memory.
func npzImages(z *NPZ, name string, n, pix int, packBits bool) (imageStore, bool, error) {
	if !packBits {
		h, off, ok, err := z.storedData(name)
		if err != nil {
			return nil, false, err
		}
		if ok {
			lut := identityLUT
			if h.Descr == "|u1" || h.Descr == "<u1" {
				lut = unitLUT
			}
			return &readerStore{r: z.r, off: off, pix: pix, descr: h.Descr, elem: h.ElemSize(), lut: lut,
				name: z.name}, true, nil
		}
	}
	h, rc, err := z.Stream(name)
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	truncated := func(i int, err error) error {
		return fmt.Errorf("%s: truncated or corrupt after %d of %d images: %w", name, i, n, noEOF(err))
	}
	switch {
	case packBits:
		stride := (pix + 7) / 8
		bits := make([]byte, n*stride)
		buf := make([]byte, pix)
		for i := range n {
			if _, err := io.ReadFull(rc, buf); err != nil {
				return nil, false, truncated(i, err)
			}
			b := bits[i*stride : (i+1)*stride]
			for j, v := range buf {
				if v > 1 {
					return nil, false, fmt.Errorf("%s: image %d has pixel value %d; binary images hold 0 or 1", name, i, v)
				}
				b[j>>3] |= v << (j & 7)
			}
		}
		return &bitStore{bits: bits, pix: pix, stride: stride}, false, nil
	case h.Descr == "<f4" || h.Descr == "<f8":
		a, err := readNPYData(rc, h, z.inflateCap(z.members[name]))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", name, err)
		}
		f, ok := a.Data.([]float32)
		if !ok {
			f = a.Float32s()
		}
		return &floatStore{f: f, pix: pix}, false, nil
	default:
		b := make([]byte, min(int64(n*pix), z.inflateCap(z.members[name])))
		if len(b) < n*pix {
			return nil, false, truncated(0, io.ErrUnexpectedEOF)
		}
		if _, err := io.ReadFull(rc, b); err != nil {
			return nil, false, truncated(0, err)
		}
		lut := unitLUT
		if h.Descr == "|b1" {
			lut = identityLUT
		}
		return &byteStore{b: b, pix: pix, lut: lut}, false, nil
	}
}

// gridFromValues turns per-image factor values (n rows of k) into classes, each factor's distinct values
// ranked, and checks that the rows cover the grid once; perm maps a grid index to its row (nil when the rows
// are already in grid order).
func gridFromValues(a *Array, n, k int) (sizes []int, perm []int32, err error) {
	if _, ok := a.Data.([]string); ok {
		return nil, nil, errors.New("holds strings, want numbers")
	}
	if n > math.MaxInt32 {
		return nil, nil, fmt.Errorf("%d rows is more than this loader indexes", n)
	}
	v := a.Float64s()
	ranks := make([]map[float64]int, k)
	sizes = make([]int, k)
	for j := range k {
		var distinct []float64
		seen := map[float64]bool{}
		for i := range n {
			x := v[i*k+j]
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, nil, fmt.Errorf("row %d factor %d is %v", i, j, x)
			}
			if !seen[x] {
				seen[x] = true
				distinct = append(distinct, x)
			}
		}
		slices.Sort(distinct)
		ranks[j] = make(map[float64]int, len(distinct))
		for r, x := range distinct {
			ranks[j][x] = r
		}
		sizes[j] = len(distinct)
	}
	if total, ok := prodBounded(sizes, n); !ok || total != n {
		return nil, nil, fmt.Errorf("%d rows but the factors' distinct values %v make %s combinations; the metrics "+
			"need exactly one image per combination of factor classes", n, sizes, prodString(sizes))
	}
	bases := Bases(sizes)
	perm = make([]int32, n)
	for i := range perm {
		perm[i] = -1
	}
	identity := true
	for i := range n {
		idx := 0
		for j := range k {
			idx += ranks[j][v[i*k+j]] * bases[j]
		}
		if perm[idx] >= 0 {
			c, _ := Classes(sizes, idx, nil)
			return nil, nil, fmt.Errorf("rows %d and %d have the same factor classes %v, so some combination has no "+
				"image; the metrics need exactly one image per combination of factor classes", perm[idx], i, c)
		}
		perm[idx] = int32(i)
		identity = identity && idx == i
	}
	if identity {
		perm = nil
	}
	return sizes, perm, nil
}

// checkGridOrder checks that integer classes (n rows of k) enumerate their grid row-major from 0 (dSprites'
// latents_classes) and returns the sizes (largest class + 1).
func checkGridOrder(a *Array, n, k int) ([]int, error) {
	c, err := a.Ints()
	if err != nil {
		return nil, err
	}
	sizes := make([]int, k)
	for i, x := range c {
		sizes[i%k] = max(sizes[i%k], x+1)
	}
	if total, ok := prodBounded(sizes, n); !ok || total != n {
		return nil, fmt.Errorf("%d rows for classes up to %v (%s combinations): not the full grid", n, sizes,
			prodString(sizes))
	}
	want := make([]int, k)
	for i := range n {
		if _, err := Classes(sizes, i, want); err != nil {
			return nil, err
		}
		if !slices.Equal(c[i*k:(i+1)*k], want) {
			return nil, fmt.Errorf("row %d has classes %v, want %v: the rows must enumerate the grid %v row-major "+
				"(last factor fastest)", i, c[i*k:(i+1)*k], want, sizes)
		}
	}
	return sizes, nil
}

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

// prodBounded multiplies sizes, giving up (ok false) once the product passes limit.
func prodBounded(s []int, limit int) (int, bool) {
	p := 1
	for _, v := range s {
		if v < 0 || (v > 0 && p > limit/v+1) {
			return 0, false
		}
		p *= v
	}
	return p, p <= limit || limit <= 0
}

// prodString writes the product of sizes, or "too many" when it overflows.
func prodString(s []int) string {
	if p, ok := prodBounded(s, math.MaxInt/2); ok {
		return strconv.Itoa(p)
	}
	return "too many"
}

func joinInts(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}
