package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mnistDir is the shared MNIST directory (t10k split only, gzipped), found by FindMNIST. Outside CI a missing
// directory skips the test; under CI it fails, since CI always has the shared data beside the checkout.
func mnistDir(t *testing.T) string {
	dir, err := FindMNIST()
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("MNIST test split not found: %v", err)
		}
		t.Skipf("MNIST test split not found: %v", err)
	}
	return dir
}

func TestFindMNISTHonoursEnv(t *testing.T) {
	t.Setenv(MNISTDirEnv, "/some/dir")
	if dir, err := FindMNIST(); err != nil || dir != "/some/dir" {
		t.Errorf("FindMNIST() = %q, %v; want /some/dir", dir, err)
	}
}

func TestLoadMNISTTestSplit(t *testing.T) {
	m, err := LoadMNIST(mnistDir(t), "test")
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 10000 || m.Rows != 28 || m.Cols != 28 || len(m.Images) != 10000*784 || len(m.Labels) != 10000 {
		t.Fatalf("N %d, %d×%d, %d pixels, %d labels", m.N, m.Rows, m.Cols, len(m.Images), len(m.Labels))
	}
	var counts [10]int
	for _, l := range m.Labels {
		counts[l]++
	}
	for d, c := range counts {
		if c < 800 || c > 1200 {
			t.Errorf("digit %d appears %d times", d, c)
		}
	}
	sum, lo, hi := 0.0, float32(1), float32(0)
	for _, v := range m.Images {
		sum += float64(v)
		lo, hi = min(lo, v), max(hi, v)
	}
	if mean := sum / float64(len(m.Images)); mean < 0.12 || mean > 0.145 || lo != 0 || hi != 1 {
		t.Errorf("mean intensity %.4f (want ≈0.13), range [%v, %v]", mean, lo, hi)
	}
	imgs, labels := m.Batch(rand.New(rand.NewPCG(1, 1)), 5)
	if len(imgs) != 5*784 || len(labels) != 5 {
		t.Errorf("batch sizes %d, %d", len(imgs), len(labels))
	}
	if s := m.ImageShape(); s != [3]int{28, 28, 1} {
		t.Errorf("image shape %v", s)
	}
}

// idxBytes builds an IDX file of unsigned bytes.
func idxBytes(dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func writeMNIST(t *testing.T, images, labels []byte, gzipped bool) string {
	t.Helper()
	dir := t.TempDir()
	suffix := ""
	if gzipped {
		suffix = ".gz"
		if images != nil {
			images = gz(images)
		}
		if labels != nil {
			labels = gz(labels)
		}
	}
	if images != nil {
		os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte"+suffix), images, 0o644)
	}
	if labels != nil {
		os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"+suffix), labels, 0o644)
	}
	return dir
}

func TestLoadMNISTSmall(t *testing.T) {
	pix := []byte{0, 255, 51, 102, 0, 0, 0, 0}
	for _, gzipped := range []bool{false, true} {
		dir := writeMNIST(t, idxBytes([]uint32{2, 2, 2}, pix), idxBytes([]uint32{2}, []byte{7, 3}), gzipped)
		m, err := LoadMNIST(dir, "t10k")
		if err != nil {
			t.Fatal(err)
		}
		if m.N != 2 || m.Labels[0] != 7 || m.Labels[1] != 3 || m.Images[1] != 1 || m.Images[2] != 0.2 {
			t.Errorf("gzipped=%v: %+v", gzipped, m)
		}
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	img := idxBytes([]uint32{2, 2, 2}, make([]byte, 8))
	lbl := idxBytes([]uint32{2}, []byte{1, 2})
	badGzip := gz(img)
	badGzip[len(badGzip)-6] ^= 0xff // corrupt the CRC
	cases := []struct {
		name        string
		images, lbl []byte
		gzipped     bool
		split       string
		want        string
	}{
		{"missing images", nil, lbl, false, "test", "t10k-images-idx3-ubyte not found"},
		{"missing labels", img, nil, true, "test", "t10k-labels-idx1-ubyte not found"},
		{"bad split", img, lbl, false, "valid", "unknown split"},
		{"wrong magic", append([]byte{1, 2, 8, 3}, img[4:]...), lbl, false, "test", "bad magic"},
		{"unknown type", append([]byte{0, 0, 7, 3}, img[4:]...), lbl, false, "test", "unknown element type"},
		{"truncated data", img[:len(img)-3], lbl, false, "test", "truncated"},
		{"truncated header", img[:7], lbl, false, "test", "unexpected EOF"},
		{"trailing data", append(img, 9), lbl, false, "test", "trailing data"},
		{"count mismatch", img, idxBytes([]uint32{3}, []byte{1, 2, 3}), false, "test", "2 images but 3 labels"},
		{"label not a digit", img, idxBytes([]uint32{2}, []byte{1, 12}), false, "test", "not a digit"},
		{"labels as images", lbl, lbl, false, "test", "want unsigned bytes [N, rows, cols]"},
		{"absurd dims", idxBytes([]uint32{60000, 100000, 100000}, nil), lbl, false, "test", "declare more than"},
		{"absurd side", idxBytes([]uint32{1, 2000, 1}, make([]byte, 2000)), idxBytes([]uint32{1}, []byte{0}), false, "test", "absurd"},
		{"truncated gzip", gz(img)[:20], lbl, false, "test", "unexpected EOF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeMNIST(t, c.images, c.lbl, c.gzipped)
			_, err := LoadMNIST(dir, c.split)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
			t.Log(err)
		})
	}
	t.Run("bad gzip checksum", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), badGzip, 0o644)
		os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"), lbl, 0o644)
		_, err := LoadMNIST(dir, "test")
		if err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("error %v, want a checksum error", err)
		}
		t.Log(err)
	})
	t.Run("missing mentions directory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := LoadMNIST(dir, "train")
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz") {
			t.Fatalf("error %v", err)
		}
	})
}

func TestReadIDXTypes(t *testing.T) {
	// A 2×3 int32 array, big-endian.
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x0C, 2, 0, 0, 0, 2, 0, 0, 0, 3})
	for i := range 6 {
		binary.Write(&b, binary.BigEndian, int32(i-2))
	}
	x, err := ReadIDX(&b)
	if err != nil {
		t.Fatal(err)
	}
	if x.Type != IDXInt32 || len(x.Dims) != 2 || x.Dims[0] != 2 || x.Dims[1] != 3 || len(x.Data) != 24 {
		t.Fatalf("%+v", x)
	}
	if v := int32(binary.BigEndian.Uint32(x.Data[0:])); v != -2 {
		t.Errorf("first element %d", v)
	}
	if _, err := ReadIDX(bytes.NewReader([]byte{0, 0, 8, 0})); err == nil {
		t.Error("zero dimensions accepted")
	}
	if _, err := ReadIDX(bytes.NewReader(nil)); err == nil {
		t.Error("empty input accepted")
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes([]uint32{2, 2, 2}, make([]byte, 8)))
	f.Add(idxBytes([]uint32{3}, []byte{1, 2, 3}))
	f.Add(gz(idxBytes([]uint32{1, 1}, []byte{5})))
	f.Add([]byte{0, 0, 0x0E, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b))
		if err != nil {
			return
		}
		n := x.Type.Size()
		for _, d := range x.Dims {
			n *= d
		}
		if len(x.Data) != n || len(x.Dims) == 0 {
			t.Fatalf("dims %v type %v but %d data bytes", x.Dims, x.Type, len(x.Data))
		}
	})
}
