package data

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// norbMatrix encodes a SmallNORB binary matrix: magic, rank, max(3, rank) dims (unused ones 1), data.
func norbMatrix(magic uint32, dims []int, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, magic)
	_ = binary.Write(&b, binary.LittleEndian, int32(len(dims)))
	for i := range max(3, len(dims)) {
		d := 1
		if i < len(dims) {
			d = dims[i]
		}
		_ = binary.Write(&b, binary.LittleEndian, int32(d))
	}
	b.Write(data)
	return b.Bytes()
}

// norbPixel is the constant grey level of the test image of a full class vector (category, instance,
// elevation, azimuth class, lighting); constant images resize to themselves.
func norbPixel(c []int) byte { return byte((c[0]*10+c[1])*5 + c[2]*3 + c[3]*7 + c[4]*11) }

// writeSmallNORB writes the six SmallNORB files into dir with the full published grid, split by instance as
// the official chunks are (training 4, 6, 7, 8, 9; testing 0, 1, 2, 3, 5), rows shuffled, side×side stereo
// pairs (the second camera's image inverted, so that using it shows). gz compresses the -dat files.
func writeSmallNORB(t *testing.T, dir string, side int, gz bool) {
	t.Helper()
	sizes := SmallNORBPreset.FactorSizes
	train := []int{4, 6, 7, 8, 9}
	rng := rand.New(rand.NewPCG(4, 5))
	for ci, chunk := range smallNORBChunks {
		var rows [][]int
		for i := range prod(sizes) {
			c := must(Classes(sizes, i, nil))
			if slices.Contains(train, c[1]) == (ci == 0) {
				rows = append(rows, c)
			}
		}
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		var cat, info []int32
		var dat []byte
		for _, c := range rows {
			cat = append(cat, int32(c[0]))
			info = append(info, int32(c[1]), int32(c[2]), int32(2*c[3]), int32(c[4])) // azimuth 0, 2, …, 34
			v := norbPixel(c)
			dat = append(dat, bytes.Repeat([]byte{v}, side*side)...)
			dat = append(dat, bytes.Repeat([]byte{255 - v}, side*side)...)
		}
		n := len(rows)
		writeFile(t, dir, chunk+"-cat.mat", norbMatrix(norbInt, []int{n}, le32(cat...)))
		writeFile(t, dir, chunk+"-info.mat", norbMatrix(norbInt, []int{n, 4}, le32(info...)))
		m := norbMatrix(norbByte, []int{n, 2, side, side}, dat)
		if gz {
			writeFile(t, dir, chunk+"-dat.mat.gz", vGz(m))
		} else {
			writeFile(t, dir, chunk+"-dat.mat", m)
		}
	}
}

func TestLoadSmallNORB(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		writeSmallNORB(t, dir, 6, gz)
		g, err := LoadSmallNORBSize(dir, 4)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(g.FactorSizes(), []int{5, 9, 18, 6}) ||
			!slices.Equal(g.FactorNames(), []string{"category", "elevation", "azimuth", "lighting"}) ||
			!slices.Equal(g.AllFactorSizes(), []int{5, 10, 9, 18, 6}) || g.ImageShape() != [3]int{4, 4, 1} ||
			g.Len() != 48600 {
			t.Fatalf("sizes %v names %v all %v shape %v len %d", g.FactorSizes(), g.FactorNames(),
				g.AllFactorSizes(), g.ImageShape(), g.Len())
		}
		// Each latent combination shows its own image with some instance; over rows, instances vary.
		rng := rand.New(rand.NewPCG(8, 9))
		for range 50 {
			lat := g.Sample(rng, 1)
			obs, err := g.Observe(slices.Repeat(lat, 40), 40)
			if err != nil {
				t.Fatal(err)
			}
			inst := map[int]bool{}
			for i := range 40 {
				v := int(math.Round(float64(obs[16*i]) * 255))
				found := -1
				for in := range 10 {
					if int(norbPixel([]int{lat[0], in, lat[1], lat[2], lat[3]})) == v {
						found = in
					}
				}
				if found < 0 {
					t.Fatalf("latent %v row %d: grey %d is no instance's image of that combination", lat, i, v)
				}
				inst[found] = true
				for _, p := range obs[16*i : 16*(i+1)] {
					if p != obs[16*i] {
						t.Fatal("a constant image did not resize to a constant")
					}
				}
			}
			if len(inst) < 4 {
				t.Errorf("latent %v: only instances %v over 40 rows", lat, inst)
			}
		}
	}
}

func TestSmallNORBErrors(t *testing.T) {
	loadSmall := func(dir string) (*GridDataset, error) { return LoadSmallNORBSize(dir, 2) }
	good := t.TempDir()
	writeSmallNORB(t, good, 2, false)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(good, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// variant copies good's files into a new dir, replacing one.
	variant := func(name string, content []byte) string {
		dir := t.TempDir()
		for _, c := range smallNORBChunks {
			for _, s := range []string{"-dat.mat", "-cat.mat", "-info.mat"} {
				writeFile(t, dir, c+s, read(c+s))
			}
		}
		if content == nil {
			os.Remove(filepath.Join(dir, name))
		} else {
			writeFile(t, dir, name, content)
		}
		return dir
	}
	tr := smallNORBChunks[0]
	dat := read(tr + "-dat.mat")
	info := read(tr + "-info.mat")
	dupInfo := slices.Clone(info)
	copy(dupInfo[20+16:20+32], dupInfo[20:20+16]) // row 1 repeats row 0's info (same category? not always)
	cat := read(tr + "-cat.mat")
	dupCat := slices.Clone(cat)
	copy(dupCat[20+4:20+8], dupCat[20:20+4])
	dupDir := variant(tr+"-info.mat", dupInfo)
	writeFile(t, dupDir, tr+"-cat.mat", dupCat)
	checkBadInputs(t, []badInput{
		{"missing-dat", func() error { _, err := loadSmall(variant(tr+"-dat.mat", nil)); return err }, tr + "-dat.mat not found"},
		{"bad-magic", func() error {
			b := slices.Clone(dat)
			b[0] = 0
			_, err := loadSmall(variant(tr+"-dat.mat", b))
			return err
		}, "bad magic"},
		{"truncated-dat", func() error {
			_, err := loadSmall(variant(tr+"-dat.mat", dat[:len(dat)-3]))
			return err
		}, "truncated at image 24299"},
		{"cat-as-bytes", func() error {
			_, err := loadSmall(variant(tr+"-cat.mat", norbMatrix(norbByte, []int{24300}, make([]byte, 24300))))
			return err
		}, "want int32"},
		{"info-rows", func() error {
			_, err := loadSmall(variant(tr+"-info.mat", norbMatrix(norbInt, []int{10, 4}, make([]byte, 160))))
			return err
		}, "want [N] and [N 4]"},
		{"duplicate-row", func() error { _, err := loadSmall(dupDir); return err }, "same factor classes"},
		{"huge-dims", func() error {
			_, err := loadSmall(variant(tr+"-cat.mat", norbMatrix(norbInt, []int{1 << 30, 1 << 30}, nil)))
			return err
		}, "more than"},
		{"bad-side", func() error { _, err := LoadSmallNORBSize(good, 0); return err }, "side 0"},
	})
	// The error names the directory and the expected files.
	_, err := loadSmall(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "smallnorb-5x01235x9x18x6x2x96x96-testing-{dat,cat,info}.mat") {
		t.Errorf("error %v does not name the expected files", err)
	}
}

// TestResampleMatchesPillow compares the resampler with Pillow's Image.resize(LANCZOS) on the reference that
// testdata/pil_lanczos.py writes (Pillow's values clipped to 0..255, as the resampler stores bytes).
func TestResampleMatchesPillow(t *testing.T) {
	src, err := ReadNPYFile("testdata/pil_lanczos_src.npy")
	if err != nil {
		t.Fatal(err)
	}
	in := src.Data.([]uint8)
	for _, c := range []struct{ h, w int }{{16, 16}, {16, 9}} {
		ref, err := ReadNPYFile(filepath.Join("testdata", "pil_lanczos_"+strconv.Itoa(c.h)+"x"+strconv.Itoa(c.w)+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		want := ref.Data.([]int32)
		got := newResampler(24, 24, c.w, c.h).resize(in, nil)
		if len(got) != len(want) {
			t.Fatalf("%d×%d: %d values, want %d", c.h, c.w, len(got), len(want))
		}
		for i, v := range got {
			if w := min(max(want[i], 0), 255); int32(v) != w {
				t.Fatalf("%d×%d: pixel %d = %d, Pillow %d", c.h, c.w, i, v, want[i])
			}
		}
	}
}

func TestResampleProperties(t *testing.T) {
	// A horizontal ramp stays a ramp: each output row equals the others and increases.
	src := make([]byte, 96*96)
	for y := range 96 {
		for x := range 96 {
			src[y*96+x] = byte(x * 2)
		}
	}
	out := newResampler(96, 96, 64, 64).resize(src, nil)
	for y := range 64 {
		if !slices.Equal(out[y*64:(y+1)*64], out[:64]) {
			t.Fatalf("row %d differs from row 0", y)
		}
	}
	// Away from the edges (where the filter is cut) the ramp is linear: output x covers input (x+½)·1.5−½.
	for x := 4; x < 60; x++ {
		want := 2 * ((float64(x)+0.5)*1.5 - 0.5)
		if math.Abs(float64(out[x])-want) > 0.6 {
			t.Errorf("ramp pixel %d = %d, want %.1f", x, out[x], want)
		}
	}
	// Weights of every output pixel sum to 1.
	for _, tp := range []filterTaps{lanczosTaps(96, 64), lanczosTaps(7, 3), lanczosTaps(4, 9)} {
		for o, w := range tp.w {
			s := 0.0
			for _, v := range w {
				s += v
			}
			if math.Abs(s-1) > 1e-12 {
				t.Errorf("taps %d sum to %v", o, s)
			}
		}
	}
}

func FuzzReadNORBHeader(f *testing.F) {
	f.Add(norbMatrix(norbByte, []int{2, 2, 3, 3}, make([]byte, 36)))
	f.Add(norbMatrix(norbInt, []int{5}, le32(1, 2, 3, 4, 5)))
	f.Add(norbMatrix(norbDouble, []int{1 << 20, 1 << 20}, nil))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, err := ReadNORBHeader(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if h.ElemSize() == 0 || int64(h.Len())*int64(h.ElemSize()) > maxNORBBytes {
			t.Fatalf("accepted header %+v", h)
		}
	})
}
