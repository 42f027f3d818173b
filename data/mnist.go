package data

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// MNIST is one split of MNIST (LeCun et al. 1998): N grey-scale Rows×Cols images in [0, 1] with labels 0–9.
type MNIST struct {
	Images     []float32 // N×Rows×Cols (×1 channel), row-major, values in [0, 1]
	Labels     []int     // N labels in 0..9
	N          int
	Rows, Cols int
}

// mnistMaxSide bounds the image side accepted from a header (MNIST's is 28).
const mnistMaxSide = 1024

// mnistFiles maps a split name to its image and label file names (without .gz).
func mnistFiles(split string) (images, labels string, err error) {
	switch split {
	case "train":
		return "train-images-idx3-ubyte", "train-labels-idx1-ubyte", nil
	case "test", "t10k":
		return "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", nil
	}
	return "", "", fmt.Errorf("mnist: unknown split %q (want \"train\" or \"test\")", split)
}

// LoadMNIST reads split "train" (60,000 images) or "test" (alias "t10k", 10,000 images) from the IDX files in dir,
// named as distributed (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte), each either plain or gzipped with a .gz suffix.
func LoadMNIST(dir, split string) (*MNIST, error) {
	imgName, lblName, err := mnistFiles(split)
	if err != nil {
		return nil, err
	}
	imgs, err := readIDXFile(dir, imgName)
	if err != nil {
		return nil, fmt.Errorf("mnist %s images: %w", split, err)
	}
	lbls, err := readIDXFile(dir, lblName)
	if err != nil {
		return nil, fmt.Errorf("mnist %s labels: %w", split, err)
	}
	m, err := newMNIST(imgs, lbls)
	if err != nil {
		return nil, fmt.Errorf("mnist %s in %s: %w", split, dir, err)
	}
	return m, nil
}

// readIDXFile reads dir/name, or dir/name.gz when the plain file is absent.
func readIDXFile(dir, name string) (*IDX, error) {
	path := filepath.Join(dir, name)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.Open(path + ".gz")
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s not found: looked for %s and %s.gz; put the MNIST IDX files (from "+
				"http://yann.lecun.com/exdb/mnist/, gzipped or not) in %s", name, path, path, dir)
		}
		path += ".gz"
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	x, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

func newMNIST(imgs, lbls *IDX) (*MNIST, error) {
	if imgs.Type != IDXUint8 || len(imgs.Dims) != 3 {
		return nil, fmt.Errorf("image file has type 0x%02x and dimensions %v, want unsigned bytes [N, rows, cols]",
			byte(imgs.Type), imgs.Dims)
	}
	if lbls.Type != IDXUint8 || len(lbls.Dims) != 1 {
		return nil, fmt.Errorf("label file has type 0x%02x and dimensions %v, want unsigned bytes [N]",
			byte(lbls.Type), lbls.Dims)
	}
	n, rows, cols := imgs.Dims[0], imgs.Dims[1], imgs.Dims[2]
	if rows < 1 || cols < 1 || rows > mnistMaxSide || cols > mnistMaxSide {
		return nil, fmt.Errorf("image size %d×%d is absurd (want 1 to %d per side)", rows, cols, mnistMaxSide)
	}
	if lbls.Dims[0] != n {
		return nil, fmt.Errorf("%d images but %d labels", n, lbls.Dims[0])
	}
	m := &MNIST{Images: make([]float32, len(imgs.Data)), Labels: make([]int, n), N: n, Rows: rows, Cols: cols}
	for i, b := range imgs.Data {
		m.Images[i] = float32(b) / 255
	}
	for i, b := range lbls.Data {
		if b > 9 {
			return nil, fmt.Errorf("label %d of image %d is not a digit", b, i)
		}
		m.Labels[i] = int(b)
	}
	return m, nil
}

// ImageShape is [Rows Cols 1].
func (m *MNIST) ImageShape() [3]int { return [3]int{m.Rows, m.Cols, 1} }

// Image returns image i (a sub-slice of Images).
func (m *MNIST) Image(i int) []float32 {
	sz := m.Rows * m.Cols
	return m.Images[i*sz : (i+1)*sz]
}

// Batch draws n images uniformly with replacement: images [n, Rows, Cols, 1] and their labels.
//
// It never panics: a non-positive n, a nil rng or a set with no images give empty slices (use SampleImages for an
// error instead).
func (m *MNIST) Batch(rng *rand.Rand, n int) (images []float32, labels []int) {
	sz := m.Rows * m.Cols
	if n <= 0 || rng == nil || m.N <= 0 || sz <= 0 || len(m.Images) < m.N*sz || len(m.Labels) < m.N {
		return []float32{}, []int{}
	}
	images = make([]float32, n*sz)
	labels = make([]int, n)
	for i := range n {
		j := rng.IntN(m.N)
		copy(images[i*sz:], m.Image(j))
		labels[i] = m.Labels[j]
	}
	return images, labels
}

// SampleImages is Batch without labels (it satisfies the models' Dataset interface).
func (m *MNIST) SampleImages(rng *rand.Rand, n int) ([]float32, error) {
	if n < 0 {
		return nil, fmt.Errorf("mnist: sample images: negative n=%d", n)
	}
	if rng == nil {
		return nil, errors.New("mnist: sample images: nil rng")
	}
	if m.N <= 0 {
		return nil, errors.New("mnist: no images to sample")
	}
	if sz := m.Rows * m.Cols; sz <= 0 || len(m.Images) < m.N*sz || len(m.Labels) < m.N {
		return nil, fmt.Errorf("mnist: inconsistent set: N=%d, %d×%d images, %d image values, %d labels",
			m.N, m.Rows, m.Cols, len(m.Images), len(m.Labels))
	}
	imgs, _ := m.Batch(rng, n)
	return imgs, nil
}

// MNISTDirEnv names the environment variable that points FindMNIST at a directory of MNIST IDX files.
const MNISTDirEnv = "GDISENT_MNIST_DIR"

// FindMNIST returns the directory to load MNIST from: $GDISENT_MNIST_DIR when set, else the first
// "shared/data/mnist" found in the working directory or one of its parents (the layout of a gdisent checkout with
// the shared data beside it). The error says where the files were looked for and where to put them.
func FindMNIST() (string, error) {
	if dir := os.Getenv(MNISTDirEnv); dir != "" {
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding MNIST: %w", err)
	}
	var tried []string
	for dir := wd; ; dir = filepath.Dir(dir) {
		cand := filepath.Join(dir, "shared", "data", "mnist")
		tried = append(tried, cand)
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand, nil
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return "", fmt.Errorf("MNIST directory not found: set $%s to a directory holding t10k-images-idx3-ubyte(.gz) "+
		"and t10k-labels-idx1-ubyte(.gz) (looked in %s)", MNISTDirEnv, strings.Join(tried, ", "))
}
