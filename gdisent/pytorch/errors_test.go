package pytorch

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestSafetensorsDTypes reads tensors that torch stored as F16, BF16, F64 and I64, against torch's own
// conversions to float32 stored beside them.
func TestSafetensorsDTypes(t *testing.T) {
	sd, _, err := ReadSafetensors(filepath.Join("testdata", "dtypes.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range []string{"f16", "bf16", "f64"} {
		got, want := sd[dt], sd[dt+"_as_f32"]
		if got == nil || want == nil {
			t.Fatalf("dtypes.safetensors lacks %s", dt)
		}
		if got.DType != strings.ToUpper(dt) || want.DType != "F32" {
			t.Errorf("%s: dtypes %s / %s", dt, got.DType, want.DType)
		}
		if d := maxAbsDiff(got.Data, want.Data); d != 0 || len(got.Data) != 15 {
			t.Errorf("%s: differs from torch's float32 conversion by %g (%d values)", dt, d, len(got.Data))
		}
	}
	if i := sd["i64"]; i == nil || i.DType != "I64" || maxAbsDiff(i.Data, []float32{-3, -2, -1, 0, 1, 2}) != 0 {
		t.Errorf("i64 = %v", i)
	}
	if s := sd["scalar"]; s == nil || len(s.Shape) != 0 || len(s.Data) != 1 || s.Data[0] != 2.5 {
		t.Errorf("scalar = %v", s)
	}
}

// TestSafetensorsRoundTripAndCorruption writes a state dict, reads it back, then damages the file in ways that
// must be reported, not panic.
func TestSafetensorsRoundTripAndCorruption(t *testing.T) {
	sd := StateDict{"a.weight": {DType: "F32", Shape: []int{2, 3}, Data: []float32{1, -2, 3.5, 4, 5, 6}},
		"b": {DType: "F32", Shape: []int{1}, Data: []float32{7}}}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, sd, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	if hl := binary.LittleEndian.Uint64(raw); hl%8 != 0 {
		t.Errorf("header length %d not padded to 8", hl)
	}
	back, meta, err := ParseSafetensors(raw)
	if err != nil {
		t.Fatal(err)
	}
	if meta["format"] != "pt" || len(back) != 2 || maxAbsDiff(back["a.weight"].Data, sd["a.weight"].Data) != 0 ||
		back["a.weight"].String() != "F32[2 3]" {
		t.Errorf("round trip: %v %v", back, meta)
	}
	header := func(js string) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
		return append(append(b, js...), make([]byte, 8)...)
	}
	for _, c := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"short", raw[:5], "too short"},
		{"truncated", raw[:len(raw)-4], "outside"},
		{"huge header", append(binary.LittleEndian.AppendUint64(nil, 1<<40), raw[8:]...), "header length"},
		{"not json", header("[1, 2]  "), "not a JSON object"},
		{"bad dtype", header(`{"x":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}`), "F8_E4M3"},
		{"size mismatch", header(`{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`), "needs 12 bytes"},
		{"negative dim", header(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`), "negative"},
		{"unknown field", header(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}`), "extra"},
		{"offsets", header(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`), "data_offsets"},
	} {
		_, _, err := ParseSafetensors(c.raw)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestReadStateDictErrors(t *testing.T) {
	dir := t.TempDir()
	pt := filepath.Join(dir, "g.pt")
	if err := os.WriteFile(pt, []byte("PK"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "g.npz")
	if err := os.WriteFile(bad, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{pt: "safetensors.torch.save_file", bad: "zip",
		filepath.Join(dir, "g.onnx"): "want .safetensors or .npz", filepath.Join(dir, "missing.safetensors"): "no such file"} {
		if _, err := ReadStateDict(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error containing %q", filepath.Base(path), err, want)
		}
	}
}

// TestConfigErrors: invalid architectures are rejected with the field named.
func TestConfigErrors(t *testing.T) {
	ok := DCGAN(8, 4, 1, 32)
	if s, err := ok.ImageShape(); err != nil || s != [3]int{32, 32, 1} {
		t.Fatalf("DCGAN(8, 4, 1, 32): %v %v", s, err)
	}
	mod := func(f func(c *Config)) Config {
		c := DCGAN(8, 4, 1, 32)
		c.Blocks = append([]Block(nil), c.Blocks...)
		f(&c)
		return c
	}
	for want, c := range map[string]Config{
		"LatentDim":           mod(func(c *Config) { c.LatentDim = 0 }),
		"Blocks is empty":     mod(func(c *Config) { c.Blocks = nil }),
		"Activation":          mod(func(c *Config) { c.Activation = Tanh }),
		"Output":              mod(func(c *Config) { c.Output = "softplus" }),
		"Kind":                mod(func(c *Config) { c.Blocks[1].Kind = "Conv3d" }),
		"Channels":            mod(func(c *Config) { c.Blocks[2].Channels = 0 }),
		"Kernel":              mod(func(c *Config) { c.Blocks[0].Kernel = 0 }),
		"smaller than Stride": mod(func(c *Config) { c.Blocks[1].OutputPadding = 2 }),
		"only defined for ConvTranspose2d": mod(func(c *Config) {
			c.Blocks[1].Kind, c.Blocks[1].OutputPadding = Conv2d, 1
		}),
		"gives no output":           mod(func(c *Config) { c.Blocks[0].Kind = Conv2d }),
		"two layers are named":      mod(func(c *Config) { c.Blocks[1].Name = "main.0" }),
		"DType":                     mod(func(c *Config) { c.DType = 3 }),
		"contain no '/'":            mod(func(c *Config) { c.Blocks[0].Name = "a/b" }),
		"must name a context scope": mod(func(c *Config) { c.Scope = "/" }),
		"Linear":                    mod(func(c *Config) { c.Linear = &Linear{Channels: 4} }),
	} {
		if _, err := c.Tensors(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error containing %q", err, want)
		}
	}
}

// TestStateDictMismatches damages the dcgan_fc and upconv state dicts and checks each error names the tensor
// and says what was expected.
func TestStateDictMismatches(t *testing.T) {
	fc, _, err := ReadSafetensors(fixturePath("dcgan_fc"))
	if err != nil {
		t.Fatal(err)
	}
	up, _, err := ReadSafetensors(fixturePath("upconv"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(src StateDict, f func(sd StateDict)) StateDict {
		sd := StateDict{}
		for k, v := range src {
			sd[k] = v
		}
		f(sd)
		return sd
	}
	permute := func(x *Tensor, shape []int) *Tensor { return &Tensor{DType: x.DType, Shape: shape, Data: x.Data} }
	cfgFC, cfgUp := fixtures[0].cfg, fixtures[2].cfg
	cases := []struct {
		name string
		sd   StateDict
		cfg  Config
		want []string
	}{
		{"prefix", edit(fc, func(sd StateDict) {
			for k, v := range fc {
				delete(sd, k)
				sd["module."+k] = v
			}
		}), cfgFC, []string{`"0.weight"`, `"module.0.weight"`, "Config.Prefix"}},
		{"conv layout", edit(fc, func(sd StateDict) { sd["4.weight"] = permute(fc["4.weight"], []int{32, 64, 4, 4}) }), cfgFC,
			[]string{`"4.weight"`, "Conv2d weight (out, in, kH, kW)", "[64 32 4 4]"}},
		{"convT layout", edit(up, func(sd StateDict) { sd["5.weight"] = permute(up["5.weight"], []int{16, 8, 3, 3}) }), cfgUp,
			[]string{`"5.weight"`, "ConvTranspose2d weight"}},
		{"linear transposed", edit(fc, func(sd StateDict) { sd["0.weight"] = permute(fc["0.weight"], []int{8, 1024}) }), cfgFC,
			[]string{`"0.weight"`, "stored transposed"}},
		{"hwio", edit(fc, func(sd StateDict) { sd["7.weight"] = permute(fc["7.weight"], []int{4, 4, 32, 16}) }), cfgFC,
			[]string{`"7.weight"`, "HWIO"}},
		{"norm1d", fc, func() Config { c := cfgFC; l := *c.Linear; l.Norm1d, l.NormName = false, "1"; c.Linear = &l; return c }(),
			[]string{"set Linear.Norm1d"}},
		{"bias", fc, func() Config {
			c := cfgFC
			c.Blocks = append([]Block(nil), c.Blocks...)
			c.Blocks[0].Bias = true
			return c
		}(),
			[]string{`missing "4.bias"`, "bias=False"}},
		{"unused", edit(fc, func(sd StateDict) { sd["disc.0.weight"] = fc["4.weight"] }), cfgFC,
			[]string{"disc.0.weight", "IgnoreUnused"}},
		{"nan", edit(fc, func(sd StateDict) {
			d := append([]float32(nil), fc["5.running_var"].Data...)
			d[3] = float32(math.NaN())
			sd["5.running_var"] = &Tensor{DType: "F32", Shape: fc["5.running_var"].Shape, Data: d}
		}), cfgFC, []string{`"5.running_var"`, "element 3 is NaN"}},
	}
	for _, c := range cases {
		_, err := New(testBackend, c.sd, c.cfg)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
	// IgnoreUnused accepts the extra tensor.
	c := cfgFC
	c.IgnoreUnused = true
	if _, err := New(testBackend, cases[7].sd, c); err != nil {
		t.Errorf("IgnoreUnused: %v", err)
	}
}

func TestGenerateAndGraphErrors(t *testing.T) {
	g := load(t, "upconv", fixtures[2].cfg)
	if _, err := g.Generate(make([]float32, 5), 1); err == nil || !strings.Contains(err.Error(), "n×6") {
		t.Errorf("short z: %v", err)
	}
	if _, err := g.Generate(nil, 0); err == nil {
		t.Errorf("n=0 accepted")
	}
	// A context without the weights.
	e, err := context.NewExec(testBackend, context.New(), g.Graph)
	if err == nil {
		_, err = e.Exec(tensors.FromFlatDataAndDimensions(make([]float32, 6), 1, 6))
	}
	if err == nil || !strings.Contains(err.Error(), "Generator.Context()") {
		t.Errorf("foreign context: %v", err)
	}
	if _, err := ToNHWC(make([]float32, 5), 1, 2, 2, 2); err == nil {
		t.Errorf("ToNHWC accepted a short slice")
	}
}

// TestGraphInTrainingGraph: called inside a training graph, G still uses the running statistics and does not
// update them.
func TestGraphInTrainingGraph(t *testing.T) {
	g := load(t, "dcgan_fc", fixtures[0].cfg)
	io := readIO(t, "dcgan_fc")
	want, err := g.Generate(io.z.Data, io.n)
	if err != nil {
		t.Fatal(err)
	}
	e, err := context.NewExec(testBackend, g.Context(), func(ctx *context.Context, z *graph.Node) *graph.Node {
		ctx.SetTraining(z.Graph(), true)
		return g.Graph(ctx, z)
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Exec(tensors.FromFlatDataAndDimensions(io.z.Data, io.n, io.d))
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(tensors.MustCopyFlatData[float32](res[0]), want); d > 1e-6 {
		t.Errorf("training-graph output differs from inference by %.3g", d)
	}
	again, err := g.Generate(io.z.Data, io.n)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(again, want); d != 0 {
		t.Errorf("batch-norm statistics changed: outputs moved by %.3g", d)
	}
}

func TestLayoutHelpers(t *testing.T) {
	x := make([]float32, 2*3*4*5)
	for i := range x {
		x[i] = float32(i)
	}
	h, err := ToNHWC(x, 2, 3, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	// NCHW element (n=1, c=2, y=3, x=4) is at ((1*3+2)*4+3)*5+4; NHWC at ((1*4+3)*5+4)*3+2.
	if h[((1*4+3)*5+4)*3+2] != x[((1*3+2)*4+3)*5+4] {
		t.Errorf("ToNHWC misplaced an element")
	}
	back, err := ToNCHW(h, 2, 4, 5, 3)
	if err != nil || maxAbsDiff(back, x) != 0 {
		t.Errorf("ToNCHW(ToNHWC(x)) != x: %v", err)
	}
}

// TestHalfToFloat32 checks the binary16 decoder on every class of value.
func TestHalfToFloat32(t *testing.T) {
	for h, want := range map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 1.0 / (1 << 24),
		0x8200: -float32(0x200) / (1 << 24), 0x0400: 1.0 / (1 << 14), 0x3555: 0.333251953125, 0x8000: 0} {
		if got := halfToFloat32(h); got != want {
			t.Errorf("halfToFloat32(%#04x) = %g, want %g", h, got, want)
		}
	}
	if !math.IsInf(float64(halfToFloat32(0xfc00)), -1) || !math.IsNaN(float64(halfToFloat32(0x7e00))) {
		t.Errorf("infinity or NaN decoded wrongly")
	}
}

// FuzzParseSafetensors: arbitrary bytes give a state dict whose tensors match their shapes, or an error; never a
// panic or an allocation beyond the input's size.
func FuzzParseSafetensors(f *testing.F) {
	var buf bytes.Buffer
	sd := StateDict{"w": {DType: "F32", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}}
	if err := WriteSafetensors(&buf, sd, map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	if raw, err := os.ReadFile(filepath.Join("testdata", "dtypes.safetensors")); err == nil {
		f.Add(raw)
	}
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":{\"dtype\":\"BF16\"}}"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		sd, _, err := ParseSafetensors(raw)
		if err != nil {
			return
		}
		for name, tensor := range sd {
			if tensor.Len() != len(tensor.Data) || len(tensor.Data) > len(raw) {
				t.Fatalf("%q: %d values for shape %v from %d bytes", name, len(tensor.Data), tensor.Shape, len(raw))
			}
		}
	})
}
