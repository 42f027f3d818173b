package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// SmallNORB's binary matrix element types (the magic numbers of its "-dat", "-cat" and "-info" files).
const (
	norbSingle = 0x1E3D4C51
	norbDouble = 0x1E3D4C53
	norbInt    = 0x1E3D4C54
	norbByte   = 0x1E3D4C55
	norbShort  = 0x1E3D4C56
)

// SmallNORB file names as distributed (https://cs.nyu.edu/~ylclab/data/norb-v1.0-small/), each plain or .gz.
var smallNORBChunks = []string{
	"smallnorb-5x46789x9x18x6x2x96x96-training",
	"smallnorb-5x01235x9x18x6x2x96x96-testing",
}

// SmallNORBPreset is SmallNORB's grid (LeCun, Huang & Bottou 2004, "Learning methods for generic object
// recognition with invariance to pose and lighting"), as disentanglement_lib's norb.py sets it: category 5,
// instance 10, elevation 9, azimuth 18 (the files' 0, 2, …, 34 halved), lighting 6; the instance is not a
// latent factor but a nuisance drawn at random.
var SmallNORBPreset = Preset{Name: "smallnorb",
	FactorNames: []string{"category", "instance", "elevation", "azimuth", "lighting"},
	FactorSizes: []int{5, 10, 9, 18, 6}, Latent: []int{0, 2, 3, 4}}

// maxNORBBytes bounds the data a SmallNORB header may declare (the official -dat files hold 448 MB).
const maxNORBBytes = 1 << 32

// NORBHeader is the header of a SmallNORB binary matrix file: element type (magic) and dimensions.
type NORBHeader struct {
	Magic uint32
	Dims  []int
}

// ElemSize is the element size in bytes (0 for an unknown magic).
func (h NORBHeader) ElemSize() int {
	switch h.Magic {
	case norbByte:
		return 1
	case norbShort:
		return 2
	case norbInt, norbSingle:
		return 4
	case norbDouble:
		return 8
	}
	return 0
}

// Len is the number of elements.
func (h NORBHeader) Len() int { return prod(h.Dims) }

// ReadNORBHeader reads a SmallNORB matrix header: little-endian int32 magic, int32 rank, then max(3, rank)
// int32 dimensions (of which the first rank count), leaving r at the data.
func ReadNORBHeader(r io.Reader) (NORBHeader, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return NORBHeader{}, fmt.Errorf("norb: reading magic: %w", noEOF(err))
	}
	h := NORBHeader{Magic: binary.LittleEndian.Uint32(b[:4])}
	if h.ElemSize() == 0 {
		return NORBHeader{}, fmt.Errorf("norb: bad magic %#x: not a SmallNORB matrix file", h.Magic)
	}
	rank := int32(binary.LittleEndian.Uint32(b[4:]))
	if rank < 0 || rank > 16 {
		return NORBHeader{}, fmt.Errorf("norb: rank %d", rank)
	}
	dims := make([]byte, 4*max(3, int(rank)))
	if _, err := io.ReadFull(r, dims); err != nil {
		return NORBHeader{}, fmt.Errorf("norb: reading dimensions: %w", noEOF(err))
	}
	total := uint64(h.ElemSize())
	for i := range int(rank) {
		d := int32(binary.LittleEndian.Uint32(dims[4*i:]))
		if d < 0 {
			return NORBHeader{}, fmt.Errorf("norb: negative dimension %d", d)
		}
		if d != 0 && total > maxNORBBytes/uint64(d) {
			return NORBHeader{}, fmt.Errorf("norb: dimensions declare more than %d bytes", uint64(maxNORBBytes))
		}
		total *= uint64(d)
		h.Dims = append(h.Dims, int(d))
	}
	return h, nil
}

// readNORBInts reads a whole int32 matrix (the -cat and -info files).
func readNORBInts(path string) (NORBHeader, []int32, error) {
	f, c, err := openMaybeGz(path)
	if err != nil {
		return NORBHeader{}, nil, err
	}
	defer c.Close()
	h, err := ReadNORBHeader(f)
	if err != nil {
		return NORBHeader{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	if h.Magic != norbInt {
		return NORBHeader{}, nil, fmt.Errorf("%s: element type %#x, want int32 (%#x)", path, h.Magic, norbInt)
	}
	raw, err := io.ReadAll(io.LimitReader(f, int64(4*h.Len())))
	if err != nil {
		return NORBHeader{}, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(raw) < 4*h.Len() {
		return NORBHeader{}, nil, fmt.Errorf("%s: truncated: dimensions %v need %d bytes, file has %d", path, h.Dims,
			4*h.Len(), len(raw))
	}
	out := make([]int32, h.Len())
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return h, out, nil
}

// openMaybeGz opens path, or path.gz (decompressed) when only that exists.
func openMaybeGz(path string) (io.Reader, io.Closer, error) {
	f, err := os.Open(path)
	if err == nil {
		return bufio.NewReaderSize(f, 1<<16), f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	f, err = os.Open(path + ".gz")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s not found (nor %s.gz)", path, filepath.Base(path))
	}
	if err != nil {
		return nil, nil, err
	}
	z, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s.gz: %w", path, err)
	}
	return z, f, nil
}

// LoadSmallNORB reads SmallNORB from the six official files in dir (training and testing chunks, each -dat,
// -cat and -info .mat, plain or gzipped), keeps the first camera's image of each stereo pair, and resizes it to
// 64×64 as disentanglement_lib does; the 48,600 images cover the grid of [SmallNORBPreset] once.
func LoadSmallNORB(dir string) (*GridDataset, error) { return LoadSmallNORBSize(dir, 64) }

// LoadSmallNORBSize is [LoadSmallNORB] resizing to side×side (64 in disentanglement_lib).
func LoadSmallNORBSize(dir string, side int) (*GridDataset, error) {
	g, err := loadSmallNORB(dir, side)
	if err != nil {
		return nil, fmt.Errorf("data: smallnorb in %s: %w\nwant the official files %s-{dat,cat,info}.mat and "+
			"%s-{dat,cat,info}.mat (or .mat.gz)", dir, err, smallNORBChunks[0], smallNORBChunks[1])
	}
	return g, nil
}

func loadSmallNORB(dir string, side int) (*GridDataset, error) {
	if side <= 0 || side > 4096 {
		return nil, fmt.Errorf("image side %d", side)
	}
	const k = 5 // category, instance, elevation, azimuth, lighting
	var feats []float64
	var pixels []byte
	var rs *resampler
	for _, chunk := range smallNORBChunks {
		base := filepath.Join(dir, chunk)
		ch, cat, err := readNORBInts(base + "-cat.mat")
		if err != nil {
			return nil, err
		}
		ih, info, err := readNORBInts(base + "-info.mat")
		if err != nil {
			return nil, err
		}
		n := ch.Len()
		if len(ch.Dims) != 1 || len(ih.Dims) != 2 || ih.Dims[0] != n || ih.Dims[1] != 4 {
			return nil, fmt.Errorf("%s: -cat dimensions %v and -info dimensions %v, want [N] and [N 4]", base,
				ch.Dims, ih.Dims)
		}
		for i := range n {
			feats = append(feats, float64(cat[i]), float64(info[4*i]), float64(info[4*i+1]), float64(info[4*i+2]),
				float64(info[4*i+3]))
		}
		f, c, err := openMaybeGz(base + "-dat.mat")
		if err != nil {
			return nil, err
		}
		dh, err := ReadNORBHeader(f)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("%s-dat.mat: %w", base, err)
		}
		if dh.Magic != norbByte || len(dh.Dims) != 4 || dh.Dims[0] != n || dh.Dims[1] < 1 || dh.Dims[2] < 1 ||
			dh.Dims[3] < 1 {
			c.Close()
			return nil, fmt.Errorf("%s-dat.mat: type %#x dimensions %v, want bytes [%d 2 H W]", base, dh.Magic,
				dh.Dims, n)
		}
		h, w := dh.Dims[2], dh.Dims[3]
		if rs == nil {
			rs = newResampler(w, h, side, side)
		} else if rs.inW != w || rs.inH != h {
			c.Close()
			return nil, fmt.Errorf("%s-dat.mat: images are %d×%d, the other chunk's %d×%d", base, h, w, rs.inH, rs.inW)
		}
		buf := make([]byte, dh.Dims[1]*h*w)
		pixels = slices.Grow(pixels, min(n, 1<<28/(side*side))*side*side) // bounded: n is untrusted until read
		for i := range n {
			if _, err := io.ReadFull(f, buf); err != nil {
				c.Close()
				return nil, fmt.Errorf("%s-dat.mat: truncated at image %d of %d: %w", base, i, n, noEOF(err))
			}
			pixels = rs.resize(buf[:h*w], pixels)
		}
		c.Close()
	}
	n := len(feats) / k
	sizes, perm, err := gridFromValues(&Array{Shape: []int{n, k}, Data: feats}, n, k)
	if err != nil {
		return nil, err
	}
	p := SmallNORBPreset
	if !slices.Equal(sizes, p.FactorSizes) {
		return nil, fmt.Errorf("factor sizes %v, want SmallNORB's %v", sizes, p.FactorSizes)
	}
	store := &byteStore{b: pixels, pix: side * side, lut: unitLUT}
	return newGrid(p.Name+" ("+dir+")", sizes, p.FactorNames, p.Latent, [3]int{side, side, 1}, store, perm)
}

// isSmallNORBFile reports whether a file name is one of SmallNORB's matrices.
func isSmallNORBFile(name string) bool {
	name = strings.TrimSuffix(filepath.Base(name), ".gz")
	for _, c := range smallNORBChunks {
		if strings.HasPrefix(name, c+"-") && strings.HasSuffix(name, ".mat") {
			return true
		}
	}
	return false
}

// resampler resizes 8-bit grey images with a Lanczos-3 filter widened by the reduction factor (antialiasing),
// separably, rows first, rounding after each pass: the scheme of Pillow's Image.resize(LANCZOS) for 32-bit
// integer images, which is what disentanglement_lib applies to SmallNORB. Pillow does not clip that mode; the
// result here is clipped to 0..255 to fit a byte.
type resampler struct {
	inW, inH, outW, outH int
	hx, hy               filterTaps
	tmp                  []float64
}

// filterTaps are, for each output pixel, the first input pixel and the normalised weights.
type filterTaps struct {
	start []int
	w     [][]float64
}

func newResampler(inW, inH, outW, outH int) *resampler {
	return &resampler{inW: inW, inH: inH, outW: outW, outH: outH, hx: lanczosTaps(inW, outW),
		hy: lanczosTaps(inH, outH), tmp: make([]float64, outW*inH)}
}

// lanczosTaps computes the weights of each output pixel: centre (o+½)·scale in input coordinates, support 3
// input pixels times max(scale, 1), weights lanczos3((x+½−centre)/max(scale, 1)) normalised to sum 1.
func lanczosTaps(in, out int) filterTaps {
	scale := float64(in) / float64(out)
	fs := max(scale, 1)
	support := 3 * fs
	t := filterTaps{start: make([]int, out), w: make([][]float64, out)}
	for o := range out {
		c := (float64(o) + 0.5) * scale
		lo := max(int(c-support+0.5), 0)
		hi := min(int(c+support+0.5), in)
		w := make([]float64, hi-lo)
		sum := 0.0
		for j := range w {
			w[j] = lanczos3((float64(lo+j) - c + 0.5) / fs)
			sum += w[j]
		}
		if sum != 0 {
			for j := range w {
				w[j] /= sum
			}
		}
		t.start[o], t.w[o] = lo, w
	}
	return t
}

func lanczos3(x float64) float64 {
	if x < -3 || x >= 3 {
		return 0
	}
	return sinc(x) * sinc(x/3)
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	x *= math.Pi
	return math.Sin(x) / x
}

// roundHalfAway rounds to the nearest integer, halves away from zero.
func roundHalfAway(x float64) float64 {
	if x >= 0 {
		return math.Floor(x + 0.5)
	}
	return -math.Floor(-x + 0.5)
}

// resize appends the resized image (outH×outW bytes) of src (inH×inW bytes) to dst.
func (r *resampler) resize(src []byte, dst []byte) []byte {
	for y := range r.inH {
		row := src[y*r.inW : (y+1)*r.inW]
		for o, lo := range r.hx.start {
			s := 0.0
			for j, w := range r.hx.w[o] {
				s += float64(row[lo+j]) * w
			}
			r.tmp[y*r.outW+o] = roundHalfAway(s)
		}
	}
	for o, lo := range r.hy.start {
		for x := range r.outW {
			s := 0.0
			for j, w := range r.hy.w[o] {
				s += r.tmp[(lo+j)*r.outW+x] * w
			}
			dst = append(dst, byte(min(max(roundHalfAway(s), 0), 255)))
		}
	}
	return dst
}
