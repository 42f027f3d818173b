package data

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestNPYStrings(t *testing.T) {
	var b bytes.Buffer
	in := []string{"floor_hue", "", "héllo wörld", "x"}
	if err := WriteNPY(&b, []int{2, 2}, in); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "'descr': '<U11'") {
		t.Errorf("header %q, want descr <U11 (longest string in characters)", b.String()[:80])
	}
	a, err := ReadNPY(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Data, in) || !reflect.DeepEqual(a.Shape, []int{2, 2}) {
		t.Errorf("strings round trip: %v %v", a.Shape, a.Data)
	}
	if _, err := a.Ints(); err == nil {
		t.Error("Ints of strings gave no error")
	}
}

// npzFixture writes members into an in-memory .npz.
func npzFixture(t testing.TB, compress bool, members ...NPZMember) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteNPZ(&b, members, compress); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestNPZRoundTrip(t *testing.T) {
	img := make([]uint8, 3*4*5)
	for i := range img {
		img[i] = uint8(i * 7)
	}
	members := []NPZMember{
		{"images", []int{3, 4, 5}, img},
		{"labels", []int{3, 2}, []float64{0.5, 1, 2, 3, -4, 5e-9}},
		{"factor_names", []int{2}, []string{"a", "bc"}},
	}
	for _, compress := range []bool{false, true} {
		raw := npzFixture(t, compress, members...)
		z, err := NewNPZ(bytes.NewReader(raw), int64(len(raw)), "mem.npz")
		if err != nil {
			t.Fatal(err)
		}
		if got := z.Names(); !slices.Equal(got, []string{"images", "labels", "factor_names"}) {
			t.Errorf("names %v", got)
		}
		if z.First("x", "labels", "images") != "labels" || z.First("x") != "" {
			t.Error("First picks the first present name")
		}
		for _, m := range members {
			a, err := z.Read(m.Name)
			if err != nil {
				t.Fatalf("compress=%v %s: %v", compress, m.Name, err)
			}
			if !reflect.DeepEqual(a.Shape, m.Shape) || !reflect.DeepEqual(a.Data, m.Data) {
				t.Errorf("compress=%v %s: got %v %v", compress, m.Name, a.Shape, a.Data)
			}
		}
		h, rc, err := z.Stream("images")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, img) || h.Descr != "|u1" || h.Bytes() != 60 {
			t.Errorf("stream: %v %v %d bytes", err, h, len(got))
		}
		// A stored member's data can be read in place.
		sh, off, ok, err := z.storedData("images")
		if err != nil || ok == compress {
			t.Fatalf("storedData: ok=%v err=%v with compress=%v", ok, err, compress)
		}
		if ok {
			if !bytes.Equal(raw[off:off+sh.Bytes()], img) {
				t.Error("stored data offset does not point at the image bytes")
			}
		}
	}
}

func TestNPZErrors(t *testing.T) {
	good := npzFixture(t, false, NPZMember{"images", []int{2, 8}, make([]uint8, 16)})
	// A stored member cut short: drop the last data bytes but keep a valid zip (rewrite with a bad header).
	short := npzFixture(t, false, NPZMember{"images", []int{2, 8}, make([]uint8, 16)})
	hdrAt := bytes.Index(short, []byte("(2, 8)"))
	copy(short[hdrAt:], "(9, 8)") // declares 72 bytes, has 16
	dir := t.TempDir()
	checkBadInputs(t, []badInput{
		{"not-zip", func() error {
			_, err := NewNPZ(bytes.NewReader([]byte("hello world")), 11, "x.npz")
			return err
		}, "x.npz is not a zip"},
		{"missing-file", func() error { _, err := OpenNPZ(filepath.Join(dir, "nope.npz")); return err }, "nope.npz"},
		{"missing-member", func() error {
			z, _ := NewNPZ(bytes.NewReader(good), int64(len(good)), "g.npz")
			_, err := z.Read("labels")
			return err
		}, `no member "labels" (it has images)`},
		{"declared-beyond-stored", func() error {
			z, err := NewNPZ(bytes.NewReader(short), int64(len(short)), "s.npz")
			if err != nil {
				return nil
			}
			_, err = z.Read("images")
			return err
		}, "s.npz"},
		{"declared-beyond-stored-lazy", func() error {
			z, err := NewNPZ(bytes.NewReader(short), int64(len(short)), "s.npz")
			if err != nil {
				return nil
			}
			_, _, _, err = z.storedData("images")
			return err
		}, "truncated"},
	})
}

// zipRaw builds an archive whose members hold the given bytes verbatim (name → raw .npy content).
func zipRaw(t testing.TB, compress bool, names []string, contents ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	method := zip.Store
	if compress {
		method = zip.Deflate
	}
	for i, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n + ".npy", Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(contents[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func npyBytes(t testing.TB, shape []int, data any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteNPY(&b, shape, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// checkLoaded checks a dataset the loader accepted: consistent sizes, and the all-zero combination renders.
func checkLoaded(t *testing.T, z *NPZ) {
	g, _, err := loadNPZ(z, "fuzz.npz", &Preset{})
	if err != nil {
		if !strings.Contains(err.Error(), "fuzz.npz") {
			t.Fatalf("error does not name the file: %v", err)
		}
		return
	}
	s := g.ImageShape()
	if g.Len() != prod(g.AllFactorSizes()) || s[0]*s[1]*s[2] <= 0 {
		t.Fatalf("dataset of %d images for sizes %v, shape %v", g.Len(), g.AllFactorSizes(), s)
	}
	obs, err := g.Observe(make([]int, g.NumFactors()), 1)
	if err != nil || len(obs) != s[0]*s[1]*s[2] {
		t.Fatalf("observe: %d values, %v", len(obs), err)
	}
}

// FuzzReadNPZ feeds arbitrary archives to the .npz reader and the dataset loader: they must fail cleanly or
// return arrays and datasets consistent with their declared shapes.
func FuzzReadNPZ(f *testing.F) {
	img := make([]uint8, 4*2*3)
	for i := range img {
		img[i] = uint8(i * 11)
	}
	f.Add(npzFixture(f, false, NPZMember{"images", []int{4, 2, 3}, img},
		NPZMember{"classes", []int{4, 2}, []int64{0, 0, 0, 1, 1, 0, 1, 1}}))
	f.Add(npzFixture(f, true, NPZMember{"images", []int{4, 2, 3}, img},
		NPZMember{"labels", []int{4, 2}, []float64{1, 0.5, 1, 0.25, 2, 0.5, 2, 0.25}},
		NPZMember{"factor_names", []int{2}, []string{"u", "v"}}))
	f.Add(npzFixture(f, false, NPZMember{"imgs", []int{2, 2, 2, 1, 3}, img},
		NPZMember{"factor_sizes", []int{2}, []int64{2, 2}}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		z, err := NewNPZ(bytes.NewReader(raw), int64(len(raw)), "fuzz.npz")
		if err != nil {
			return
		}
		for _, name := range z.Names() {
			a, err := z.Read(name)
			if err != nil {
				continue
			}
			if n := reflect.ValueOf(a.Data).Len(); n != a.Len() {
				t.Fatalf("%s: shape %v but %d elements", name, a.Shape, n)
			}
		}
		checkLoaded(t, z)
	})
}

// FuzzLoadNPZMembers fuzzes the .npy contents of a well-formed archive's image and class members (the zip
// layer's checksums would otherwise reject nearly every mutation before the loader sees it).
func FuzzLoadNPZMembers(f *testing.F) {
	img := make([]uint8, 4*2*3)
	f.Add(npyBytes(f, []int{4, 2, 3}, img), npyBytes(f, []int{4, 2}, []int64{0, 0, 0, 1, 1, 0, 1, 1}), false)
	f.Add(npyBytes(f, []int{4, 6}, make([]float32, 24)), npyBytes(f, []int{4, 2}, []float64{1, .5, 1, .2, 2, .5, 2, .2}), true)
	f.Add(npyBytes(f, []int{2, 2, 2, 3}, make([]float64, 24)), npyBytes(f, []int{2, 2, 2}, []int32{0, 0, 0, 1, 1, 0, 1, 1}), false)
	f.Add(npyBytes(f, []int{4, 2, 3}, img), npyBytes(f, []int{4}, []uint8{3, 1, 2, 0}), true)
	f.Fuzz(func(t *testing.T, images, classes []byte, compress bool) {
		raw := zipRaw(t, compress, []string{"images", "classes"}, images, classes)
		z, err := NewNPZ(bytes.NewReader(raw), int64(len(raw)), "fuzz.npz")
		if err != nil {
			t.Fatal(err)
		}
		checkLoaded(t, z)
	})
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// le32 encodes int32 values little-endian.
func le32(v ...int32) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, v)
	return b.Bytes()
}
