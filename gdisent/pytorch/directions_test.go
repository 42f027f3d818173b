package pytorch

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/directions"
	"github.com/gdisent/gdisent/gdisent/nn"
)

// TestSeFaReadsThePyTorchWeight: SeFa on the variable the importer created equals SeFa on the PyTorch weight
// itself (Linear: weight.T; ConvTranspose2d from 1×1: weight.view(nz, -1), whose columns are a permutation of
// ours), so the first layer landed where directions.LatentWeight reads it, in the right layout.
func TestSeFaReadsThePyTorchWeight(t *testing.T) {
	for _, f := range fixtures[:2] {
		g := load(t, f.name, f.cfg)
		w, err := g.LatentWeight()
		if err != nil {
			t.Fatal(err)
		}
		sd, _, err := ReadSafetensors(fixturePath(f.name))
		if err != nil {
			t.Fatal(err)
		}
		pw := sd[map[string]string{"dcgan_fc": "0.weight", "dcgan": "main.0.weight"}[f.name]]
		d := g.LatentDim()
		var ref *mat.Dense
		if len(pw.Shape) == 2 { // Linear (out, in)
			ref = mat.DenseCopyOf(mat.NewDense(pw.Shape[0], d, f64s(pw.Data)).T())
		} else { // ConvTranspose2d (in, out, k, k)
			ref = mat.NewDense(d, len(pw.Data)/d, f64s(pw.Data))
		}
		const k = 4
		got, err := directions.SeFa(w, k, directions.SeFaOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := directions.SeFa(ref, k, directions.SeFaOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range k {
			if math.Abs(got.Values[i]-want.Values[i]) > 1e-9*want.Values[0] {
				t.Errorf("%s: eigenvalue %d = %.10g, want %.10g", f.name, i, got.Values[i], want.Values[i])
			}
			cos := mat.Dot(got.Vectors.ColView(i), want.Vectors.ColView(i))
			if math.Abs(cos) < 1-1e-9 {
				t.Errorf("%s: direction %d: |cos| with the PyTorch weight's %.12f", f.name, i, math.Abs(cos))
			}
		}
	}
}

// TestDirectionMethodsRunOnImportedGenerator runs GANSpace, the Jacobian SVD and a curved trajectory, Latent
// Discovery, the Hessian penalty, Hessian discovery and a coordinate encoder on the imported dcgan_fc, and checks
// that the learned methods' parameters move (gradients flow through G) while G itself does not change.
func TestDirectionMethodsRunOnImportedGenerator(t *testing.T) {
	g := load(t, "dcgan_fc", fixtures[0].cfg)
	ctx := g.Context()
	ctx.SetParam(context.ParamInitialSeed, int64(3))
	b, d := g.Backend(), g.LatentDim()
	io := readIO(t, "dcgan_fc")
	before, err := g.Generate(io.z.Data, io.n)
	if err != nil {
		t.Fatal(err)
	}

	gs, pca, err := directions.GANSpace(b, ctx, g.Graph, directions.GANSpaceConfig{LatentDim: d, Components: 3, Samples: 200, Batch: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkUnit(t, "GANSpace", gs.Vectors)
	if pca == nil || !(gs.Values[0] >= gs.Values[1] && gs.Values[1] >= gs.Values[2] && gs.Values[2] > 0) {
		t.Errorf("GANSpace values %v: want positive and descending", gs.Values)
	}

	jt, err := directions.NewJacobianTool(b, ctx, g.Graph, d, directions.JacobianOptions{Iterations: 30, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	z0 := f64s(io.z.Data[:d])
	sv, err := jt.TopK(z0, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkUnit(t, "Jacobian SVD", sv.Vectors)
	if !(sv.Values[0] >= sv.Values[1] && sv.Values[2] > 0) {
		t.Errorf("Jacobian singular values %v: want positive and descending", sv.Values)
	}
	path, err := jt.CurvedTrajectory(z0, 0.5, 2)
	if err != nil || len(path) != 5 {
		t.Fatalf("curved trajectory: %d points, %v", len(path), err)
	}

	ld, err := directions.NewLatentDiscovery(b, ctx, g.Graph, directions.LatentDiscoveryConfig{LatentDim: d, Directions: 4,
		Batch: 8, LR: 1e-2, Seed: 4, Reconstructor: directions.MLPReconstructor(4, 32)})
	if err != nil {
		t.Fatal(err)
	}
	a0, err := ld.Directions()
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		s, err := ld.Step()
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(s.Loss) || math.IsInf(s.Loss, 0) {
			t.Fatalf("Latent Discovery loss %v", s.Loss)
		}
	}
	a1, err := ld.Directions()
	if err != nil {
		t.Fatal(err)
	}
	if mat.EqualApprox(a0.Vectors, a1.Vectors, 1e-9) {
		t.Errorf("Latent Discovery: A did not move, no gradient reached it through G")
	}
	checkUnit(t, "Latent Discovery", a1.Vectors)

	hp, err := context.NewExec(b, ctx, func(ctx *context.Context, z *graph.Node) *graph.Node {
		return directions.GeneratorHessianPenalty(ctx, g.Graph, z, directions.HessianOptions{})
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := hp.Exec(tensors.FromFlatDataAndDimensions(io.z.Data[:2*d], 2, d))
	if err != nil {
		t.Fatal(err)
	}
	if v := flat64(t, res[0])[0]; !(v > 0) || math.IsInf(v, 0) {
		t.Errorf("Hessian penalty %v: want finite and positive (G is not additively separable)", v)
	}

	hd, err := directions.NewHessianDiscovery(b, ctx, g.Graph, directions.HessianDiscoveryConfig{LatentDim: d, Directions: 3, Batch: 4, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if l, err := hd.Step(); err != nil || math.IsNaN(l) {
			t.Fatalf("Hessian discovery step: %v, %v", l, err)
		}
	}

	enc := func(ctx *context.Context, x *graph.Node) *graph.Node {
		h := activations.Relu(nn.Conv(ctx.In("c"), x, 4).Kernel(4).Stride(2).Padding(1).Done())
		return nn.Dense(ctx.In("out"), graph.Reshape(h, h.Shape().Dimensions[0], -1), 3).Done()
	}
	ce, err := directions.NewCoordinateEncoder(b, ctx, g.Graph, enc, directions.CoordinateEncoderConfig{Directions: sv.Vectors, Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if l, err := ce.Step(); err != nil || math.IsNaN(l) {
			t.Fatalf("coordinate encoder step: %v, %v", l, err)
		}
	}

	after, err := g.Generate(io.z.Data, io.n)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(before, after); d != 0 {
		t.Errorf("the training steps changed G (outputs moved by %.3g): weights or batch-norm statistics updated", d)
	}
}

func checkUnit(t *testing.T, what string, v *mat.Dense) {
	t.Helper()
	_, k := v.Dims()
	for i := range k {
		if n := mat.Norm(v.ColView(i), 2); math.Abs(n-1) > 1e-5 || math.IsNaN(n) {
			t.Errorf("%s: direction %d has norm %v", what, i, n)
		}
	}
}
