package pytorch

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gdisent/gdisent/gdisent/backend"
)

var testBackend = func() backends.Backend {
	backend.Report = nil
	return backend.MustNew()
}()

// fixtures are the generators testdata/make_fixtures.py builds, with the Config that describes each.
var fixtures = []struct {
	name string
	cfg  Config
}{
	{"dcgan_fc", LinearDCGAN(8, 64, 4, 32, 16, 3)},
	{"dcgan", DCGAN(8, 4, 1, 64)},
	{"upconv", Config{LatentDim: 6, Linear: &Linear{Channels: 16, Height: 4, Width: 4, Bias: true},
		Blocks: []Block{
			{Kind: Conv2d, Channels: 8, Kernel: 3, Padding: 1, Upsample: 2, Bias: true},
			{Channels: 2, Kernel: 3, Stride: 2, Padding: 1, OutputPadding: 1, Bias: true},
		},
		BatchNorm: true, Activation: LeakyReLU, LeakySlope: 0.2, Output: Sigmoid}},
}

func fixturePath(name string) string { return filepath.Join("testdata", name+".safetensors") }

// pyIO is what PyTorch computed for a fixture: z [n, D], x = G(z) [n, C, H, W], v [n, D], Jv [n, C, H, W].
type pyIO struct {
	n, d       int
	z, x, v, j *Tensor
}

func readIO(t *testing.T, name string) pyIO {
	t.Helper()
	sd, _, err := ReadSafetensors(filepath.Join("testdata", name+"_io.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	io := pyIO{z: sd["z"], x: sd["x"], v: sd["v"], j: sd["jv"]}
	if io.z == nil || io.x == nil || io.v == nil || io.j == nil || len(io.x.Shape) != 4 {
		t.Fatalf("%s_io.safetensors lacks z, x, v or jv", name)
	}
	io.n, io.d = io.z.Shape[0], io.z.Shape[1]
	return io
}

// nhwc returns a PyTorch NCHW tensor as flat NHWC.
func nhwc(t *testing.T, x *Tensor) []float32 {
	t.Helper()
	s := x.Shape
	out, err := ToNHWC(x.Data, s[0], s[1], s[2], s[3])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func load(t *testing.T, name string, cfg Config) *Generator {
	t.Helper()
	g, err := Load(testBackend, fixturePath(name), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func maxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

func maxAbs(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

func f64s(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// exec64 runs fn on float64 inputs in g's context and returns its outputs as float64 slices.
func exec64(t *testing.T, g *Generator, fn any, inputs ...*tensors.Tensor) [][]float64 {
	t.Helper()
	e, err := context.NewExecAny(testBackend, g.Context(), fn)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	args := make([]any, len(inputs))
	for i, in := range inputs {
		args[i] = in
	}
	res, err := e.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(res))
	for i, r := range res {
		if r.DType() != dtypes.Float64 {
			r = tensors.FromFlatDataAndDimensions(f64s(tensors.MustCopyFlatData[float32](r)), r.Shape().Dimensions...)
		}
		out[i] = tensors.MustCopyFlatData[float64](r)
	}
	return out
}

func tensor64(data []float64, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), data...), dims...)
}

// forward64 is G on float64 latents.
func forward64(t *testing.T, g *Generator, z []float64, n int) []float64 {
	t.Helper()
	return exec64(t, g, func(ctx *context.Context, z *graph.Node) *graph.Node { return g.Graph(ctx, z) },
		tensor64(z, n, g.LatentDim()))[0]
}

func flat64(t *testing.T, x *tensors.Tensor) []float64 {
	t.Helper()
	if x.DType() == dtypes.Float32 {
		return f64s(tensors.MustCopyFlatData[float32](x))
	}
	return tensors.MustCopyFlatData[float64](x)
}
