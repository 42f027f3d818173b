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

// Public entry points must answer bad input with an error naming the problem, never a panic (a panic in a GoNB
// cell kills the kernel's program and loses the notebook's state).

type badInput struct {
	name string
	call func() error
	want string // substring the error must contain (case-insensitive); "" accepts any error
}

// checkBadInputs runs each case, failing on a panic, a nil error, or an error that does not name the problem.
func checkBadInputs(t *testing.T, cases []badInput) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			panicked := func() (p any) {
				defer func() { p = recover() }()
				err = c.call()
				return nil
			}()
			switch {
			case panicked != nil:
				t.Errorf("PANIC instead of an error: %v", panicked)
			case err == nil:
				t.Errorf("no error")
			case c.want != "" && !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)):
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func vIDX(typ byte, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, typ, byte(len(dims))})
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func vGz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	_, _ = w.Write(b)
	_ = w.Close()
	return out.Bytes()
}

// writeMNIST writes an MNIST-like split into a new dir: n images of r×c, and nl labels.
func vWriteMNIST(t *testing.T, n, r, c, nl int, mutate func(img, lbl []byte) ([]byte, []byte)) string {
	t.Helper()
	dir := t.TempDir()
	img := vIDX(0x08, []uint32{uint32(n), uint32(r), uint32(c)}, make([]byte, n*r*c))
	lbl := vIDX(0x08, []uint32{uint32(nl)}, make([]byte, nl))
	if mutate != nil {
		img, lbl = mutate(img, lbl)
	}
	if err := os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"), lbl, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestValidateIDXAndMNIST(t *testing.T) {
	good := vWriteMNIST(t, 3, 4, 4, 3, nil)
	if m, err := LoadMNIST(good, "test"); err != nil || m.N != 3 {
		t.Fatalf("control: LoadMNIST of a valid split: %v", err)
	}
	checkBadInputs(t, []badInput{
		{"ReadIDX/nil-reader-empty", func() error { _, err := ReadIDX(bytes.NewReader(nil)); return err }, "magic"},
		{"ReadIDX/truncated-dims", func() error {
			_, err := ReadIDX(bytes.NewReader(vIDX(0x08, []uint32{3, 4}, nil)[:7]))
			return err
		}, "dimension"},
		{"ReadIDX/truncated-data", func() error {
			_, err := ReadIDX(bytes.NewReader(vIDX(0x08, []uint32{3, 4}, make([]byte, 11))))
			return err
		}, "truncated"},
		{"ReadIDX/huge-dims-no-data", func() error {
			_, err := ReadIDX(bytes.NewReader(vIDX(0x0D, []uint32{1 << 31, 1 << 31, 1 << 31}, nil)))
			return err
		}, "bytes"},
		{"ReadIDX/truncated-gzip", func() error {
			z := vGz(vIDX(0x08, []uint32{64}, make([]byte, 64)))
			_, err := ReadIDX(bytes.NewReader(z[:len(z)-6]))
			return err
		}, ""},
		{"ReadIDX/bad-type", func() error {
			_, err := ReadIDX(bytes.NewReader(vIDX(0x01, []uint32{1}, []byte{0})))
			return err
		}, "type"},
		{"LoadMNIST/missing-dir", func() error {
			_, err := LoadMNIST(filepath.Join(t.TempDir(), "nope"), "test")
			return err
		}, "t10k-images"},
		{"LoadMNIST/bad-split", func() error { _, err := LoadMNIST(good, "validation"); return err }, "split"},
		{"LoadMNIST/truncated-images", func() error {
			_, err := LoadMNIST(vWriteMNIST(t, 3, 4, 4, 3, func(img, lbl []byte) ([]byte, []byte) {
				return img[:len(img)-5], lbl
			}), "test")
			return err
		}, "truncated"},
		{"LoadMNIST/label-count-mismatch", func() error {
			_, err := LoadMNIST(vWriteMNIST(t, 3, 4, 4, 2, nil), "test")
			return err
		}, "label"},
		{"LoadMNIST/labels-2d", func() error {
			_, err := LoadMNIST(vWriteMNIST(t, 3, 4, 4, 3, func(img, _ []byte) ([]byte, []byte) {
				return img, vIDX(0x08, []uint32{3, 1}, make([]byte, 3))
			}), "test")
			return err
		}, ""},
		{"LoadMNIST/images-1d", func() error {
			_, err := LoadMNIST(vWriteMNIST(t, 3, 4, 4, 3, func(_, lbl []byte) ([]byte, []byte) {
				return vIDX(0x08, []uint32{48}, make([]byte, 48)), lbl
			}), "test")
			return err
		}, ""},
		{"LoadMNIST/images-float", func() error {
			_, err := LoadMNIST(vWriteMNIST(t, 3, 4, 4, 3, func(_, lbl []byte) ([]byte, []byte) {
				return vIDX(0x0D, []uint32{3, 4, 4}, make([]byte, 4*48)), lbl
			}), "test")
			return err
		}, ""},
		{"LoadMNIST/label-out-of-range", func() error {
			_, err := LoadMNIST(vWriteMNIST(t, 3, 4, 4, 3, func(img, _ []byte) ([]byte, []byte) {
				return img, vIDX(0x08, []uint32{3}, []byte{1, 200, 3})
			}), "test")
			return err
		}, "label"},
		{"MNIST.SampleImages/negative-n", func() error {
			m, err := LoadMNIST(good, "test")
			if err != nil {
				return nil
			}
			_, err = m.SampleImages(rand.New(rand.NewPCG(1, 2)), -1)
			return err
		}, "-1"},
		{"MNIST.SampleImages/nil-rng", func() error {
			m, err := LoadMNIST(good, "test")
			if err != nil {
				return nil
			}
			_, err = m.SampleImages(nil, 2)
			return err
		}, "rng"},
	})
}

func TestValidateNPY(t *testing.T) {
	var good bytes.Buffer
	if err := WriteNPY(&good, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	npyWithHeader := func(dict string, data []byte) []byte {
		h := dict
		for (10+len(h)+1)%64 != 0 {
			h += " "
		}
		h += "\n"
		var b bytes.Buffer
		b.WriteString("\x93NUMPY\x01\x00")
		_ = binary.Write(&b, binary.LittleEndian, uint16(len(h)))
		b.WriteString(h)
		b.Write(data)
		return b.Bytes()
	}
	dir := t.TempDir()
	checkBadInputs(t, []badInput{
		{"ReadNPY/empty", func() error { _, err := ReadNPY(bytes.NewReader(nil)); return err }, ""},
		{"ReadNPY/truncated-data", func() error {
			_, err := ReadNPY(bytes.NewReader(good.Bytes()[:good.Len()-3]))
			return err
		}, "truncated"},
		{"ReadNPY/truncated-header", func() error { _, err := ReadNPY(bytes.NewReader(good.Bytes()[:20])); return err }, ""},
		{"ReadNPY/negative-dim", func() error {
			_, err := ReadNPY(bytes.NewReader(npyWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", nil)))
			return err
		}, "shape"},
		{"ReadNPY/huge-shape-no-data", func() error {
			_, err := ReadNPY(bytes.NewReader(npyWithHeader(
				"{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", nil)))
			return err
		}, "shape"},
		{"ReadNPY/overflowing-dim", func() error {
			_, err := ReadNPY(bytes.NewReader(npyWithHeader(
				"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, ), }", nil)))
			return err
		}, ""},
		{"ReadNPY/unsupported-dtype", func() error {
			_, err := ReadNPY(bytes.NewReader(npyWithHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", make([]byte, 16))))
			return err
		}, "c16"},
		{"ReadNPYFile/missing", func() error { _, err := ReadNPYFile(filepath.Join(dir, "missing.npy")); return err }, "missing.npy"},
		{"WriteNPY/shape-mismatch", func() error {
			return WriteNPY(&bytes.Buffer{}, []int{2, 2}, []float32{1, 2, 3})
		}, "shape"},
		{"WriteNPY/negative-dim", func() error { return WriteNPY(&bytes.Buffer{}, []int{-1}, []float32{}) }, "negative"},
		{"WriteNPY/nil-data", func() error { return WriteNPY(&bytes.Buffer{}, []int{0}, nil) }, ""},
		{"WriteNPY/unsupported-type", func() error { return WriteNPY(&bytes.Buffer{}, []int{1}, []complex64{1}) }, ""},
		{"WriteNPYFile/bad-dir", func() error {
			return WriteNPYFile(filepath.Join(dir, "no", "such", "dir", "a.npy"), []int{1}, []float32{1})
		}, "a.npy"},
	})
}

func TestValidateFactorsAndSamplers(t *testing.T) {
	rng := func() *rand.Rand { return rand.New(rand.NewPCG(3, 4)) }
	d := NewDSprites()
	img := make([]float32, 64*64)
	checkBadInputs(t, []badInput{
		{"Index/wrong-length", func() error { _, err := Index([]int{3, 4}, []int{1}); return err }, "factors"},
		{"Index/out-of-range", func() error { _, err := Index([]int{3, 4}, []int{1, 4}); return err }, "range"},
		{"Classes/negative-index", func() error { _, err := Classes([]int{3, 4}, -1, nil); return err }, "range"},
		{"Classes/negative-size", func() error { _, err := Classes([]int{3, -4}, 1, nil); return err }, ""},
		{"DSprites.Values/out-of-range", func() error { _, err := d.Values([]int{0, 0, 0, 0, 32}); return err }, "range"},
		{"DSprites.Image/negative", func() error { return d.Image(-1, img) }, "range"},
		{"DSprites.Image/short-dst", func() error { return d.Image(0, img[:10]) }, "dst"},
		{"DSprites.Observe/negative-n", func() error { _, err := d.Observe(nil, -1); return err }, "n=-1"},
		{"DSprites.Observe/class-count", func() error { _, err := d.Observe([]int{0, 0, 0}, 1); return err }, ""},
		{"DSprites.SampleImages/negative-n", func() error { _, err := d.SampleImages(rng(), -1); return err }, "-1"},
		{"DSprites.SampleImages/nil-rng", func() error { _, err := d.SampleImages(nil, 1); return err }, "rng"},
		{"RandomBatch/negative-n", func() error { _, err := RandomBatch(d, rng(), -2); return err }, "-2"},
		{"SeededBatch/negative-n", func() error { _, err := SeededBatch(d, 1, 2, -2); return err }, "-2"},
		{"FixedFactorBatch/negative-n", func() error { _, err := FixedFactorBatch(d, rng(), -1, 0, 0); return err }, "-1"},
		{"FixedFactorBatch/bad-factor", func() error { _, err := FixedFactorBatch(d, rng(), 2, 5, 0); return err }, "factor"},
		{"FixedFactorBatch/bad-class", func() error { _, err := FixedFactorBatch(d, rng(), 2, 0, 3); return err }, "class"},
		{"PairBatches/negative-n", func() error { _, _, err := PairBatches(d, rng(), -1, 0); return err }, "-1"},
		{"PairBatches/bad-factor", func() error { _, _, err := PairBatches(d, rng(), 2, -1); return err }, "factor"},
		{"Ring.Sample/bad-K", func() error { _, _, err := Ring{K: 0, Radius: 1, Std: 1}.Sample(rng(), 3); return err }, "K=0"},
		{"Ring.Sample/negative-n", func() error { _, _, err := NewRing().Sample(rng(), -1); return err }, "-1"},
		{"Ring.SampleImages/negative-n", func() error { _, err := NewRing().SampleImages(rng(), -1); return err }, "-1"},
		{"Ring.SampleImages/nil-rng", func() error { _, err := NewRing().SampleImages(nil, 1); return err }, "rng"},
	})
}

// TestValidateNoPanicHelpers covers public helpers without an error result: they must not panic on bad sizes
// (returning an empty or clamped result is acceptable).
func TestValidateNoPanicHelpers(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		name string
		call func()
	}{
		{"Linspace/negative-n", func() { _ = Linspace(0, 1, -3) }},
		{"Linspace/n=1", func() { _ = Linspace(0, 1, 1) }},
		{"SampleClasses/negative-n", func() { _ = SampleClasses([]int{2, 3}, rng, -1) }},
		{"SampleClasses/zero-size-factor", func() { _ = SampleClasses([]int{2, 0}, rng, 1) }},
		{"Bases/negative-size", func() { _ = Bases([]int{-1, 2}) }},
		{"Ring.Assign/odd-length", func() { _, _ = NewRing().Assign([]float32{1, 2, 3}) }},
		{"Ring.Evaluate/negative-K", func() { _ = Ring{K: -1, Radius: 1, Std: 1}.Evaluate([]float32{1, 2}) }},
		{"Ring.Evaluate/empty", func() { _ = NewRing().Evaluate(nil) }},
		{"MNIST.Batch/negative-n", func() { (&MNIST{Rows: 2, Cols: 2, N: 1, Images: make([]float32, 4), Labels: []int{0}}).Batch(rng, -1) }},
		{"MNIST.Batch/empty", func() { (&MNIST{Rows: 2, Cols: 2}).Batch(rng, 1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("PANIC: %v", r)
				}
			}()
			c.call()
		})
	}
}
