package directions

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"gonum.org/v1/gonum/mat"
)

// fdJacobian is an independent Jacobian by central differences of the forward pass.
func fdJacobian(t *testing.T, tool *JacobianTool, z []float64, h float64) *mat.Dense {
	t.Helper()
	var j *mat.Dense
	for c := range z {
		zp, zm := append([]float64(nil), z...), append([]float64(nil), z...)
		zp[c] += h
		zm[c] -= h
		fp, err := tool.Forward(zp)
		if err != nil {
			t.Fatal(err)
		}
		fm, err := tool.Forward(zm)
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			j = mat.NewDense(len(fp), len(z), nil)
		}
		for r := range fp {
			j.Set(r, c, (fp[r]-fm[r])/(2*h))
		}
	}
	return j
}

func TestJacobianToolsVsExactSVD(t *testing.T) {
	b := be(t)
	const dim = 4
	ctx := initGen(t, b, mlpGen, dim, dtypes.Float64)
	z := []float64{0.3, -0.8, 1.1, 0.2}
	for _, mode := range []struct {
		name string
		fd   float64
	}{{"double-VJP", 0}, {"finite-diff JVP", 1e-4}} {
		tool, err := NewJacobianTool(b, ctx, mlpGen, dim, JacobianOptions{DType: dtypes.Float64, FDStep: mode.fd, Iterations: 300, Tol: 1e-12, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		ref := fdJacobian(t, tool, z, 1e-5)
		jm, err := tool.Matrix(z)
		if err != nil {
			t.Fatal(err)
		}
		var diff mat.Dense
		diff.Sub(jm, ref)
		if m := mat.Norm(&diff, math.Inf(1)); m > 1e-7 {
			t.Errorf("%s: stacked-VJP Jacobian differs from finite differences by %g", mode.name, m)
		}
		var svd mat.SVD
		if !svd.Factorize(ref, mat.SVDThin) {
			t.Fatal("svd")
		}
		var v mat.Dense
		svd.VTo(&v)
		sv := svd.Values(nil)
		top, err := tool.TopK(z, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			near(t, mode.name+" singular value", top.Values[i], sv[i], 1e-6*sv[0])
			near(t, mode.name+" right-singular |cos|", colAbsCos(top.Vectors, i, &v, i), 1, 1e-6)
		}
		spec, err := tool.Spectrum(z)
		if err != nil {
			t.Fatal(err)
		}
		for i := range sv {
			near(t, mode.name+" spectrum", spec[i], sv[i], 1e-6*sv[0])
		}
		// JᵀJ v matches the exact product.
		vv := randMat(rand.New(rand.NewPCG(1, 1)), dim, 2)
		got, err := tool.JTJColumns(z, vv)
		if err != nil {
			t.Fatal(err)
		}
		var jtj, want mat.Dense
		jtj.Mul(ref.T(), ref)
		want.Mul(&jtj, vv)
		var diff2 mat.Dense
		diff2.Sub(got, &want)
		if m := mat.Norm(&diff2, math.Inf(1)); m > 1e-6 {
			t.Errorf("%s: JᵀJv off by %g", mode.name, m)
		}
	}
}

func TestTrajectories(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(9, 9))
	w, _, v := withSingular(rng, 6, 3, []float64{3, 2, 1})
	lin := linearGen(w)
	ctx := initGen(t, b, lin, 3, dtypes.Float64)
	tool, err := NewJacobianTool(b, ctx, lin, 3, JacobianOptions{DType: dtypes.Float64, Tol: 1e-12})
	if err != nil {
		t.Fatal(err)
	}
	z0 := []float64{0.1, 0.2, -0.3}
	// Linear G: the leading vector is constant, so the curved path is the straight line along v1.
	path, err := tool.CurvedTrajectory(z0, 0.5, 3)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := LinearTrajectory(z0, mat.Col(nil, 0, v), 0.5, 3)
	if len(path) != 7 {
		t.Fatalf("path has %d points, want 7", len(path))
	}
	sameOrFlipped := func(a, b [][]float64) float64 {
		d1, d2 := 0.0, 0.0
		for i := range a {
			for j := range a[i] {
				d1 = math.Max(d1, math.Abs(a[i][j]-b[i][j]))
				d2 = math.Max(d2, math.Abs(a[i][j]-b[len(b)-1-i][j]))
			}
		}
		return math.Min(d1, d2)
	}
	if d := sameOrFlipped(path, line); d > 1e-8 {
		t.Errorf("curved trajectory of a linear G deviates from the line by %g", d)
	}
	// Nonlinear G: each step has length `step` and follows v1 at its start point.
	ctx2 := initGen(t, b, mlpGen, 4, dtypes.Float64)
	tool2, err := NewJacobianTool(b, ctx2, mlpGen, 4, JacobianOptions{DType: dtypes.Float64, Tol: 1e-12, Iterations: 300})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := tool2.CurvedTrajectory([]float64{0.3, -0.8, 1.1, 0.2}, 0.3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i < 4; i++ {
		s, err := tool2.TopK(p2[i], 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		step := make([]float64, 4)
		n := 0.0
		for j := range step {
			step[j] = p2[i+1][j] - p2[i][j]
			n += step[j] * step[j]
		}
		near(t, "step length", math.Sqrt(n), 0.3, 1e-9)
		cos := math.Abs(mat.Dot(mat.NewVecDense(4, step), s.Vectors.ColView(0))) / 0.3
		near(t, "step follows v1", cos, 1, 1e-6)
	}
	if _, err := tool2.CurvedTrajectory([]float64{1}, 0.3, 2); err == nil {
		t.Errorf("wrong-size z accepted")
	}
}

func TestGANSpaceAndSeFaOnGenerators(t *testing.T) {
	b := be(t)
	rng := rand.New(rand.NewPCG(21, 22))
	w, _, v := withSingular(rng, 8, 4, []float64{4, 2.5, 1.5, 0.7})
	lin := linearGen(w)
	ctx := initGen(t, b, lin, 4, dtypes.Float64)
	dirs, _, err := GANSpace(b, ctx, lin, GANSpaceConfig{LatentDim: 4, Components: 2, Samples: 3000, Batch: 500, DType: dtypes.Float64, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if c := colAbsCos(dirs.Vectors, i, v, i); c < 0.995 {
			t.Errorf("GANSpace on a generator: direction %d |cos| %.4f", i, c)
		}
	}
	// SeFa from a context variable: the first Dense layer of mlpGen, weights [4, 5].
	ctx2 := initGen(t, b, mlpGen, 4, dtypes.Float64)
	wm, err := LatentWeight(ctx2, "/g1/dense", "weights", -1)
	if err != nil {
		t.Fatal(err)
	}
	if r, c := wm.Dims(); r != 4 || c != 5 {
		t.Fatalf("LatentWeight dims %d×%d", r, c)
	}
	raw := ctx2.GetVariableByScopeAndName("/g1/dense", "weights").MustValue()
	data, _ := floats(raw)
	for i := range data {
		near(t, "LatentWeight value", wm.RawMatrix().Data[i], data[i], 0)
	}
	if _, err := LatentWeight(ctx2, "/nope", "weights", -1); err == nil {
		t.Errorf("missing variable accepted")
	}
}
