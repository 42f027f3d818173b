package pytorch

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/directions"
)

// TestMatchesPyTorch compares Generate with PyTorch's eval-mode outputs for every fixture, from the committed
// .safetensors and from .npz archives (stored and deflated) written here from the same weights.
func TestMatchesPyTorch(t *testing.T) {
	for _, f := range fixtures {
		io := readIO(t, f.name)
		want := nhwc(t, io.x)
		sd, _, err := ReadSafetensors(fixturePath(f.name))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		paths := []string{fixturePath(f.name), filepath.Join(dir, f.name+".npz"), filepath.Join(dir, f.name+"_deflate.npz")}
		if err := WriteNPZ(paths[1], sd, false); err != nil {
			t.Fatal(err)
		}
		if err := WriteNPZ(paths[2], sd, true); err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			g, err := Load(testBackend, p, f.cfg)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			s := io.x.Shape
			if g.ImageShape() != [3]int{s[2], s[3], s[1]} || g.LatentDim() != io.d {
				t.Fatalf("%s: image shape %v latent %d, PyTorch output %v latent %d", p, g.ImageShape(), g.LatentDim(), s, io.d)
			}
			got, err := g.Generate(io.z.Data, io.n)
			if err != nil {
				t.Fatal(err)
			}
			d := maxAbsDiff(got, want)
			t.Logf("%s: max |gdisent − PyTorch| = %.2g (outputs up to %.2g)", filepath.Base(p), d, maxAbs(f64s(want)))
			if d > 1e-5 {
				t.Errorf("%s: output differs from PyTorch by %.3g > 1e-5", p, d)
			}
		}
	}
}

// TestJacobianMatchesPyTorchAndFiniteDifferences checks, in float64, the double-VJP Jv that the direction
// methods use against PyTorch's forward-mode JVP and against central differences of G, and the VJP Jᵀu through
// the adjoint identity ⟨Jᵀu, v⟩ = ⟨u, Jv⟩ with Jv from differences. Every fixture has k4 s2 p1 (or k3 s2 with
// output padding) transposed convolutions, whose input gradient GoMLX's native convolution gets wrong.
func TestJacobianMatchesPyTorchAndFiniteDifferences(t *testing.T) {
	for _, f := range fixtures {
		cfg := f.cfg
		cfg.DType = dtypes.Float64
		g := load(t, f.name, cfg)
		io := readIO(t, f.name)
		z, v := f64s(io.z.Data), f64s(io.v.Data)
		n, d := io.n, io.d
		out := exec64(t, g, func(ctx *context.Context, z, v *graph.Node) *graph.Node {
			return directions.Jv(ctx, g.Graph, z, v)
		}, tensor64(z, n, d), tensor64(v, n, d))
		jv := out[0]
		// PyTorch computed in float32: compare relative to the largest entry.
		pt := f64s(nhwc(t, io.j))
		scale := maxAbs(pt)
		if diff := maxAbsDiff32(jv, pt); diff > 1e-4*scale {
			t.Errorf("%s: Jv differs from PyTorch's jvp by %.3g (max |Jv| %.3g)", f.name, diff, scale)
		}
		// Central differences in float64.
		const h = 1e-5
		zp, zm := make([]float64, len(z)), make([]float64, len(z))
		for i := range z {
			zp[i], zm[i] = z[i]+h*v[i], z[i]-h*v[i]
		}
		fp, fm := forward64(t, g, zp, n), forward64(t, g, zm, n)
		fd := make([]float64, len(fp))
		for i := range fd {
			fd[i] = (fp[i] - fm[i]) / (2 * h)
		}
		if diff := maxAbsDiff32(jv, fd); diff > 1e-6*scale {
			t.Errorf("%s: double-VJP Jv differs from central differences by %.3g (max |Jv| %.3g)", f.name, diff, scale)
		}
		// VJP: ⟨Jᵀu, v⟩ per example against ⟨u, Jv_fd⟩, u a fixed pattern.
		u := make([]float64, len(fd))
		for i := range u {
			u[i] = math.Sin(0.37*float64(i)) + 0.1
		}
		shape := g.ImageShape()
		dims := []int{n, shape[0], shape[1], shape[2]}
		jtu := exec64(t, g, func(ctx *context.Context, z, u *graph.Node) *graph.Node {
			return directions.Jtu(ctx, g.Graph, z, u)
		}, tensor64(z, n, d), tensor64(u, dims...))[0]
		per := len(fd) / n
		for b := range n {
			lhs, rhs := 0.0, 0.0
			for j := range d {
				lhs += jtu[b*d+j] * v[b*d+j]
			}
			for i := b * per; i < (b+1)*per; i++ {
				rhs += u[i] * fd[i]
			}
			if math.Abs(lhs-rhs) > 1e-6*(1+math.Abs(rhs)) {
				t.Errorf("%s example %d: ⟨Jᵀu, v⟩ = %.10g but ⟨u, Jv⟩ by differences = %.10g", f.name, b, lhs, rhs)
			}
		}
	}
}

func maxAbsDiff32(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// TestJacobianSVDMatchesFiniteDifferenceSVD compares the JacobianTool's block power iteration (double-VJP
// products) with gonum's SVD of the Jacobian built column by column from central differences.
func TestJacobianSVDMatchesFiniteDifferenceSVD(t *testing.T) {
	cfg := fixtures[0].cfg
	cfg.DType = dtypes.Float64
	g := load(t, fixtures[0].name, cfg)
	io := readIO(t, fixtures[0].name)
	d := g.LatentDim()
	z0 := f64s(io.z.Data[:d])
	const h = 1e-5
	zs := make([]float64, 0, 2*d*d)
	for j := range d {
		for _, s := range []float64{h, -h} {
			z := append([]float64(nil), z0...)
			z[j] += s
			zs = append(zs, z...)
		}
	}
	out := forward64(t, g, zs, 2*d)
	p := len(out) / (2 * d)
	jac := mat.NewDense(p, d, nil)
	for j := range d {
		for i := range p {
			jac.Set(i, j, (out[(2*j)*p+i]-out[(2*j+1)*p+i])/(2*h))
		}
	}
	var svd mat.SVD
	if !svd.Factorize(jac, mat.SVDThin) {
		t.Fatal("gonum SVD failed")
	}
	want := svd.Values(nil)
	var vt mat.Dense
	svd.VTo(&vt)
	tool, err := directions.NewJacobianTool(testBackend, g.Context(), g.Graph, d,
		directions.JacobianOptions{DType: dtypes.Float64, Iterations: 300, Tol: 1e-10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	const k = 3
	got, err := tool.TopK(z0, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("singular values: power iteration %.6g, SVD of finite differences %.6g", got.Values, want[:k])
	for i := range k {
		if math.Abs(got.Values[i]-want[i]) > 1e-5*want[0] {
			t.Errorf("σ%d = %.8g, want %.8g", i+1, got.Values[i], want[i])
		}
		cos := 0.0
		for j := range d {
			cos += got.Vectors.At(j, i) * vt.At(j, i)
		}
		if math.Abs(cos) < 0.9999 {
			t.Errorf("v%d: |cos| with the SVD's vector %.6f", i+1, math.Abs(cos))
		}
	}
}

// TestTransposedConvLayoutNoFlip: a one-layer ConvTranspose2d from a 1×1 map with z = 1 outputs its kernel as
// PyTorch stores it (out[y, x] = W[0, 0, y, x]), so the layout conversion neither flips nor transposes it.
func TestTransposedConvLayoutNoFlip(t *testing.T) {
	cfg := Config{LatentDim: 1, Blocks: []Block{{Channels: 1, Kernel: 3}}, Output: Identity}
	w := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	g, err := New(testBackend, StateDict{"0.weight": {DType: "F32", Shape: []int{1, 1, 3, 3}, Data: w}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Generate([]float32{1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if g.ImageShape() != [3]int{3, 3, 1} || maxAbsDiff(out, w) != 0 {
		t.Errorf("G(1) = %v (shape %v), want the kernel %v", out, g.ImageShape(), w)
	}
}

// TestExplicitNames loads the dcgan_fc weights renamed as a hand-written module would name them.
func TestExplicitNames(t *testing.T) {
	sd, _, err := ReadSafetensors(fixturePath("dcgan_fc"))
	if err != nil {
		t.Fatal(err)
	}
	rename := map[string]string{"0": "fc", "1": "fc_bn", "4": "up.0.conv", "5": "up.0.bn", "7": "up.1.conv",
		"8": "up.1.bn", "10": "to_rgb"}
	renamed := StateDict{}
	for name, tensor := range sd {
		for old, nw := range rename {
			if len(name) > len(old) && name[:len(old)+1] == old+"." {
				renamed[nw+name[len(old):]] = tensor
			}
		}
	}
	cfg := LinearDCGAN(8, 64, 4, 32, 16, 3)
	cfg.Linear.Name, cfg.Linear.NormName = "fc", "fc_bn"
	cfg.Blocks[0].Name, cfg.Blocks[0].NormName = "up.0.conv", "up.0.bn"
	cfg.Blocks[1].Name, cfg.Blocks[1].NormName = "up.1.conv", "up.1.bn"
	cfg.Blocks[2].Name = "to_rgb"
	g, err := New(testBackend, renamed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	io := readIO(t, "dcgan_fc")
	got, err := g.Generate(io.z.Data, io.n)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(got, nhwc(t, io.x)); d > 1e-5 {
		t.Errorf("renamed weights: output differs from PyTorch by %.3g", d)
	}
	if scope, _ := g.FirstLayer(); scope != "/generator/fc/dense" {
		t.Errorf("FirstLayer scope %q, want /generator/fc/dense", scope)
	}
}

// TestFeatures checks the intermediate feature maps' shapes and that the last one is the output.
func TestFeatures(t *testing.T) {
	g := load(t, "dcgan_fc", fixtures[0].cfg)
	io := readIO(t, "dcgan_fc")
	wantDims := [][]int{{4, 4, 4, 64}, {4, 8, 8, 32}, {4, 16, 16, 16}, {4, 32, 32, 3}}
	if g.NumLayers() != len(wantDims) {
		t.Fatalf("NumLayers %d, want %d", g.NumLayers(), len(wantDims))
	}
	z := f64s(io.z.Data)
	for n := 1; n <= g.NumLayers(); n++ {
		feat := g.Features(n)
		e, err := context.NewExec(testBackend, g.Context(), func(ctx *context.Context, z *graph.Node) *graph.Node { return feat(ctx, z) })
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Exec(tensor64(z, io.n, io.d))
		if err != nil {
			t.Fatal(err)
		}
		if got := res[0].Shape().Dimensions; len(got) != 4 || got[1] != wantDims[n-1][1] || got[3] != wantDims[n-1][3] {
			t.Errorf("Features(%d): dims %v, want %v", n, got, wantDims[n-1])
		}
		if n == g.NumLayers() {
			last := f64s(func() []float32 { x, _ := g.Generate(io.z.Data, io.n); return x }())
			if d := maxAbsDiff32(last, flat64(t, res[0])); d > 1e-5 {
				t.Errorf("Features(%d) differs from Generate by %.3g", n, d)
			}
		}
	}
}
