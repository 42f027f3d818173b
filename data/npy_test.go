package data

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNPYRoundTrip(t *testing.T) {
	cases := []struct {
		shape []int
		data  any
	}{
		{[]int{2, 3}, []float32{0, 1.5, -2, 3, 4, 5e-8}},
		{[]int{4}, []float64{1, -1e300, 0.25, 7}},
		{[]int{3, 1}, []int64{-1 << 62, 0, 5}},
		{[]int{2}, []int32{-7, 1 << 30}},
		{[]int{2, 2, 1}, []uint8{0, 1, 254, 255}},
		{[]int{}, []float64{3.5}},
		{[]int{0, 4}, []float32{}},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := WriteNPY(&b, c.shape, c.data); err != nil {
			t.Fatal(err)
		}
		hlen := int(binary.LittleEndian.Uint16(b.Bytes()[8:]))
		if (10+hlen)%64 != 0 || b.Bytes()[9+hlen] != '\n' {
			t.Errorf("%v: header of %d bytes not padded to 64 with a final newline", c.shape, hlen)
		}
		a, err := ReadNPY(&b)
		if err != nil {
			t.Fatalf("%v %T: %v", c.shape, c.data, err)
		}
		if !reflect.DeepEqual(a.Shape, c.shape) || !reflect.DeepEqual(a.Data, c.data) {
			t.Errorf("round trip %v %v → %v %v", c.shape, c.data, a.Shape, a.Data)
		}
	}
	path := filepath.Join(t.TempDir(), "codes.npy")
	if err := WriteNPYFile(path, []int{2, 2}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	a, err := ReadNPYFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f := a.Float64s(); !reflect.DeepEqual(f, []float64{1, 2, 3, 4}) || a.Len() != 4 {
		t.Errorf("Float64s %v", f)
	}
	if ints, err := a.Ints(); err != nil || !reflect.DeepEqual(ints, []int{1, 2, 3, 4}) {
		t.Errorf("Ints %v %v", ints, err)
	}
	a.Data = []float32{0.5}
	if _, err := a.Ints(); err == nil {
		t.Error("Ints accepted 0.5")
	}
}

// TestNPYNumpyHeader checks the header byte for byte against what numpy.save writes for a (2, 3) float32 array.
func TestNPYNumpyHeader(t *testing.T) {
	var b bytes.Buffer
	if err := WriteNPY(&b, []int{2, 3}, make([]float32, 6)); err != nil {
		t.Fatal(err)
	}
	want := "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
		strings.Repeat(" ", 117-len("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")) + "\n"
	if got := b.String()[:128]; got != want {
		t.Errorf("header\n%q\nwant\n%q", got, want)
	}
}

func npyRaw(major byte, header string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	}
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestNPYVariants(t *testing.T) {
	data := []byte{1, 0, 0, 0, 2, 0, 0, 0}
	for _, raw := range [][]byte{
		npyRaw(2, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n", data),
		npyRaw(3, `{"shape": (2L,), "fortran_order": False, "descr": "<i4"}`, data),
		npyRaw(1, "{'descr':'<i4','fortran_order':False,'shape':(1, 2)}", data),
	} {
		a, err := ReadNPY(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Data, []int32{1, 2}) {
			t.Errorf("data %v", a.Data)
		}
	}
	a, err := ReadNPY(bytes.NewReader(npyRaw(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{1, 0, 1})))
	if err != nil || !reflect.DeepEqual(a.Data, []uint8{1, 0, 1}) {
		t.Errorf("bool: %v %v", a, err)
	}
}

func TestNPYErrors(t *testing.T) {
	hdr := func(descr, fortran, shape string) string {
		return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }"
	}
	ok := hdr("<f4", "False", "(2,)")
	cases := []struct {
		name string
		raw  []byte
		want string
	}{
		{"empty", nil, "unexpected EOF"},
		{"bad magic", []byte("\x93NUMPX\x01\x00\x00\x00"), "bad magic"},
		{"version", npyRaw(4, ok, nil), "unsupported format version 4"},
		{"short header", npyRaw(1, ok, nil)[:20], "unexpected EOF"},
		{"big endian", npyRaw(1, hdr(">f4", "False", "(2,)"), make([]byte, 8)), "unsupported dtype \">f4\""},
		{"complex", npyRaw(1, hdr("<c8", "False", "(2,)"), make([]byte, 16)), "unsupported dtype"},
		{"fortran", npyRaw(1, hdr("<f4", "True", "(2,)"), make([]byte, 8)), "Fortran"},
		{"truncated", npyRaw(1, ok, make([]byte, 5)), "truncated"},
		{"missing shape", npyRaw(1, "{'descr': '<f4', 'fortran_order': False}", nil), "missing key \"shape\""},
		{"bad shape", npyRaw(1, hdr("<f4", "False", "(2, x)"), nil), "shape"},
		{"absurd shape", npyRaw(1, hdr("<f8", "False", "(100000, 100000, 100000)"), nil), "declares more than"},
		{"not a dict", npyRaw(1, "[1, 2]", nil), "does not start with '{'"},
		{"unknown key", npyRaw(1, "{'descr': '<f4', 'foo': 1}", nil), "unexpected key"},
		{"bad bool", npyRaw(1, hdr("<f4", "Maybe", "(2,)"), nil), "True or False"},
	}
	for _, c := range cases {
		_, err := ReadNPY(bytes.NewReader(c.raw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", c.name, err, c.want)
		}
	}
	if err := WriteNPY(&bytes.Buffer{}, []int{3}, []float32{1}); err == nil {
		t.Error("shape/data mismatch accepted")
	}
	if err := WriteNPY(&bytes.Buffer{}, []int{1}, []int16{1}); err == nil {
		t.Error("int16 accepted")
	}
}

func FuzzReadNPY(f *testing.F) {
	var b bytes.Buffer
	WriteNPY(&b, []int{2, 2}, []float64{1, 2, 3, 4})
	f.Add(b.Bytes())
	f.Add(npyRaw(3, `{"shape": (2L,), "fortran_order": False, "descr": "<i4"}`, make([]byte, 8)))
	f.Add(npyRaw(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (), }", []byte{9}))
	f.Add(npyRaw(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (999999999999, 999999999999), }", nil))
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := ReadNPY(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if n := reflect.ValueOf(a.Data).Len(); n != a.Len() {
			t.Fatalf("shape %v but %d elements", a.Shape, n)
		}
		var out bytes.Buffer
		if err := WriteNPY(&out, a.Shape, a.Data); err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		back, err := ReadNPY(&out)
		if err != nil || !reflect.DeepEqual(back.Shape, a.Shape) || reflect.ValueOf(back.Data).Len() != a.Len() {
			t.Fatalf("rewrite round trip: %v", err)
		}
	})
}
