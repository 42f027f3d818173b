package data

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// GridDataset is a factor dataset read from files: one stored image per combination of its factors' classes
// (the full grid), as in disentanglement_lib's ground-truth data sets (Locatello et al. 2019, "Challenging Common
// Assumptions in the Unsupervised Learning of Disentangled Representations"). The loaders ([LoadNPZ],
// [LoadDSpritesFile], [LoadSmallNORB], [Open]) build it.
//
// Latent and nuisance factors: the factors a model should recover (FactorSizes, Sample, Observe and Render speak
// of these only) may be a subset of the file's factors. A factor of size 1 (dSprites' colour) is dropped, as
// disentanglement_lib's dsprites_full does, and a loader may declare others nuisances (SmallNORB's instance). A
// nuisance is drawn at random for every observation:
//   - SampleImages draws it from its rng, like the latent factors, so training batches are reproducible from
//     (seed, step).
//   - Observe and Render have no rng; the nuisance of row i is drawn from a PCG stream keyed by (Seed, i, the
//     row's latent combination). Equal calls return equal images (the metrics stay deterministic), while rows
//     that repeat a combination still see different nuisances, as with fresh draws. Render is row 0.
//
// Images are read on demand from wherever the loader left them (packed bits, bytes in memory, or the file
// itself); a dataset that reads its file lazily holds it open until Close (or until it is garbage collected).
// Safe for concurrent use.
type GridDataset struct {
	// Seed keys the nuisance draws of Observe and Render (see the type doc); it has no effect without nuisances.
	Seed uint64

	name     string
	sizes    []int // every factor, in file order
	names    []string
	bases    []int
	latent   []int // indices into sizes, in order
	nuisance []int
	latSizes []int
	shape    [3]int
	n        int // stored images, the product of sizes
	store    imageStore
	perm     []int32 // grid index → stored image index; nil when the file is in grid order
	closer   io.Closer
}

// imageStore yields stored image i (file order) as float32 values in [0, 1].
type imageStore interface {
	load(i int, dst []float32) error
}

// newGrid checks the pieces shared by every loader and derives the latent/nuisance split: latent nil means every
// factor of size > 1.
func newGrid(name string, sizes []int, names []string, latent []int, shape [3]int, store imageStore,
	perm []int32) (*GridDataset, error) {
	if len(names) != len(sizes) {
		return nil, fmt.Errorf("data: %s: %d factor names %v for %d factors", name, len(names), names, len(sizes))
	}
	n := 1
	for k, s := range sizes {
		if s <= 0 {
			return nil, fmt.Errorf("data: %s: factor %q has %d classes", name, names[k], s)
		}
		n *= s
	}
	if shape[0] <= 0 || shape[1] <= 0 || shape[2] <= 0 {
		return nil, fmt.Errorf("data: %s: image shape %v", name, shape)
	}
	if latent == nil {
		for k, s := range sizes {
			if s > 1 {
				latent = append(latent, k)
			}
		}
	}
	if len(latent) == 0 {
		return nil, fmt.Errorf("data: %s: no factor varies (sizes %v)", name, sizes)
	}
	g := &GridDataset{name: name, sizes: slices.Clone(sizes), names: slices.Clone(names), bases: Bases(sizes),
		latent: slices.Clone(latent), shape: shape, n: n, store: store, perm: perm}
	for k := range sizes {
		if !slices.Contains(latent, k) {
			g.nuisance = append(g.nuisance, k)
		}
	}
	for i, k := range latent {
		if k < 0 || k >= len(sizes) || (i > 0 && k <= latent[i-1]) {
			return nil, fmt.Errorf("data: %s: latent factors %v must be increasing indices in [0, %d)", name, latent, len(sizes))
		}
		g.latSizes = append(g.latSizes, sizes[k])
	}
	return g, nil
}

// Name says what the dataset is and where it came from.
func (g *GridDataset) Name() string { return g.name }

// NumFactors is the number of latent factors.
func (g *GridDataset) NumFactors() int { return len(g.latent) }

// FactorSizes are the latent factors' numbers of classes.
func (g *GridDataset) FactorSizes() []int { return slices.Clone(g.latSizes) }

// FactorNames name the latent factors.
func (g *GridDataset) FactorNames() []string {
	out := make([]string, len(g.latent))
	for i, k := range g.latent {
		out[i] = g.names[k]
	}
	return out
}

// AllFactorSizes are the sizes of every factor of the file, latent or not, in file order.
func (g *GridDataset) AllFactorSizes() []int { return slices.Clone(g.sizes) }

// AllFactorNames name every factor of the file.
func (g *GridDataset) AllFactorNames() []string { return slices.Clone(g.names) }

// Latent are the indices (into AllFactorSizes) of the latent factors.
func (g *GridDataset) Latent() []int { return slices.Clone(g.latent) }

// ImageShape is [H W C].
func (g *GridDataset) ImageShape() [3]int { return g.shape }

// Len is the number of stored images (the product of AllFactorSizes).
func (g *GridDataset) Len() int { return g.n }

// Close releases the file a lazily read dataset holds open; the dataset must not be used afterwards.
func (g *GridDataset) Close() error {
	if g.closer == nil {
		return nil
	}
	c := g.closer
	g.closer = nil
	return c.Close()
}

// Image writes stored image i (in the file's order) into dst (at least H·W·C values).
func (g *GridDataset) Image(i int, dst []float32) error {
	if i < 0 || i >= g.n {
		return fmt.Errorf("data: %s: image %d out of range [0, %d)", g.name, i, g.n)
	}
	sz := g.shape[0] * g.shape[1] * g.shape[2]
	if len(dst) < sz {
		return fmt.Errorf("data: %s: dst has %d values, need %d", g.name, len(dst), sz)
	}
	return g.store.load(i, dst[:sz])
}

// AllClasses returns the full class vector (every factor, file order) of stored image i.
func (g *GridDataset) AllClasses(i int) ([]int, error) {
	if i < 0 || i >= g.n {
		return nil, fmt.Errorf("data: %s: image %d out of range [0, %d)", g.name, i, g.n)
	}
	idx := i
	if g.perm != nil {
		idx = slices.Index(g.perm, int32(i)) // rare use; the inverse table is not kept
	}
	return Classes(g.sizes, idx, nil)
}

// Sample draws n latent factor vectors uniformly (n×K class indices, row-major).
func (g *GridDataset) Sample(rng *rand.Rand, n int) []int { return SampleClasses(g.latSizes, rng, n) }

// Render writes the observation of one latent class vector into dst (at least H·W·C values); nuisance factors
// are those of row 0 of Observe.
func (g *GridDataset) Render(classes []int, dst []float32) error {
	return g.render(classes, 0, nil, dst)
}

// Observe renders n latent factor vectors (n×K, row-major) into a new [n, H, W, C] slice.
func (g *GridDataset) Observe(classes []int, n int) ([]float32, error) {
	k := len(g.latent)
	if n < 0 || len(classes) != n*k {
		return nil, fmt.Errorf("data: %s: observe: %d class indices for n=%d rows of %d factors", g.name, len(classes), n, k)
	}
	sz := g.shape[0] * g.shape[1] * g.shape[2]
	out := make([]float32, n*sz)
	for i := range n {
		if err := g.render(classes[i*k:(i+1)*k], i, nil, out[i*sz:(i+1)*sz]); err != nil {
			return nil, fmt.Errorf("data: observe row %d: %w", i, err)
		}
	}
	return out, nil
}

// SampleImages draws n observations, latent and nuisance factors alike from rng ([n, H, W, C]); it makes the
// dataset a gdisent.Dataset to train on.
func (g *GridDataset) SampleImages(rng *rand.Rand, n int) ([]float32, error) {
	if err := checkSampleArgs(g.name+": sample images", rng, n); err != nil {
		return nil, err
	}
	k := len(g.latent)
	classes := g.Sample(rng, n)
	sz := g.shape[0] * g.shape[1] * g.shape[2]
	out := make([]float32, n*sz)
	for i := range n {
		if err := g.render(classes[i*k:(i+1)*k], i, rng, out[i*sz:(i+1)*sz]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// render completes the latent classes with nuisance classes (from rng, or keyed by row when rng is nil) and
// loads the image of that combination.
func (g *GridDataset) render(classes []int, row int, rng *rand.Rand, dst []float32) error {
	sz := g.shape[0] * g.shape[1] * g.shape[2]
	if len(dst) < sz {
		return fmt.Errorf("data: %s: render: dst has %d values, need %d", g.name, len(dst), sz)
	}
	li, err := Index(g.latSizes, classes)
	if err != nil {
		return fmt.Errorf("data: %s: render: %w", g.name, err)
	}
	idx := 0
	for j, k := range g.latent {
		idx += classes[j] * g.bases[k]
	}
	if len(g.nuisance) > 0 {
		if rng == nil {
			rng = rowRand(g.Seed, row, li)
		}
		for _, k := range g.nuisance {
			idx += rng.IntN(g.sizes[k]) * g.bases[k]
		}
	}
	if g.perm != nil {
		idx = int(g.perm[idx])
	}
	return g.store.load(idx, dst[:sz])
}

// rowRand is the generator of the random nuisances of row `row` of an Observe call whose latent combination has
// index comb: a PCG stream keyed by a SplitMix64 hash of (seed, row, comb).
func rowRand(seed uint64, row, comb int) *rand.Rand {
	return rand.New(rand.NewPCG(mix64(seed^mix64(uint64(row)+0x9e3779b97f4a7c15)), mix64(uint64(comb)^seed)))
}

// mix64 is SplitMix64's finaliser (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators").
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// bitStore holds binary images packed 8 pixels a byte (dSprites: 377 MB instead of 3 GB).
type bitStore struct {
	bits   []byte
	pix    int // values per image
	stride int // bytes per image
}

func (s *bitStore) load(i int, dst []float32) error {
	b := s.bits[i*s.stride : (i+1)*s.stride]
	for j := range dst[:s.pix] {
		dst[j] = float32(b[j>>3] >> (j & 7) & 1)
	}
	return nil
}

// byteStore holds 8-bit images in memory, mapped through lut on load.
type byteStore struct {
	b   []byte
	pix int
	lut *[256]float32
}

func (s *byteStore) load(i int, dst []float32) error {
	for j, v := range s.b[i*s.pix : (i+1)*s.pix] {
		dst[j] = s.lut[v]
	}
	return nil
}

// Byte-to-float tables: unit for 8-bit intensities (v/255, as numpy's images/255.), identity for 0/1 data.
var unitLUT, identityLUT = func() (*[256]float32, *[256]float32) {
	var u, id [256]float32
	for v := range 256 {
		u[v], id[v] = float32(v)/255, float32(v)
	}
	return &u, &id
}()

// floatStore holds float32 images in memory.
type floatStore struct {
	f   []float32
	pix int
}

func (s *floatStore) load(i int, dst []float32) error {
	copy(dst, s.f[i*s.pix:(i+1)*s.pix])
	return nil
}

// readerStore reads images in place from an uncompressed array (a stored .npz member): nothing is held in memory.
type readerStore struct {
	r     io.ReaderAt
	off   int64 // first data byte
	pix   int
	descr string // |u1, |b1, <f4 or <f8
	elem  int
	lut   *[256]float32 // for |u1 and |b1
	bufs  sync.Pool
	name  string
}

func (s *readerStore) load(i int, dst []float32) error {
	n := s.pix * s.elem
	bp, _ := s.bufs.Get().(*[]byte)
	if bp == nil || len(*bp) != n {
		b := make([]byte, n)
		bp = &b
	}
	defer s.bufs.Put(bp)
	buf := *bp
	if _, err := s.r.ReadAt(buf, s.off+int64(i)*int64(n)); err != nil {
		return fmt.Errorf("data: %s: reading image %d: %w", s.name, i, err)
	}
	le := binary.LittleEndian
	switch s.descr {
	case "<f4":
		for j := range dst[:s.pix] {
			dst[j] = math.Float32frombits(le.Uint32(buf[4*j:]))
		}
	case "<f8":
		for j := range dst[:s.pix] {
			dst[j] = float32(math.Float64frombits(le.Uint64(buf[8*j:])))
		}
	default:
		for j, v := range buf {
			dst[j] = s.lut[v]
		}
	}
	return nil
}
