package directions

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"

	"gonum.org/v1/gonum/mat"
)

func TestSeFaAnalytic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := []float64{5, 3, 2, 1}
	w, u, _ := withSingular(rng, 4, 7, s) // W [D=4, M=7] = U S Vᵀ: top eigvecs of WWᵀ are U's columns
	dirs, err := SeFa(w, 3, SeFaOptions{KeepScale: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		near(t, "SeFa |cos| with U col", colAbsCos(dirs.Vectors, i, u, i), 1, 1e-9)
		near(t, "SeFa eigenvalue", dirs.Values[i], s[i]*s[i], 1e-9)
	}
}

func TestSeFaNormalizedVsGonumSVD(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	w := randMat(rng, 5, 9)
	for j := 0; j < 9; j++ { // uneven column scales, so normalisation matters
		for i := 0; i < 5; i++ {
			w.Set(i, j, w.At(i, j)*float64(j+1))
		}
	}
	dirs, err := SeFa(w, 5, SeFaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wn := mat.DenseCopyOf(w)
	for j := 0; j < 9; j++ {
		n := mat.Norm(wn.ColView(j), 2)
		for i := 0; i < 5; i++ {
			wn.Set(i, j, wn.At(i, j)/n)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(wn, mat.SVDThin) {
		t.Fatal("svd failed")
	}
	var u mat.Dense
	svd.UTo(&u)
	sv := svd.Values(nil)
	for i := 0; i < 5; i++ {
		near(t, "normalized SeFa |cos|", colAbsCos(dirs.Vectors, i, &u, i), 1, 1e-9)
		near(t, "normalized SeFa value", dirs.Values[i], sv[i]*sv[i], 1e-9)
	}
	// Without normalisation the answer differs: the test can tell the two apart.
	raw, _ := SeFa(w, 1, SeFaOptions{KeepScale: true})
	if colAbsCos(raw.Vectors, 0, &u, 0) > 0.999 {
		t.Errorf("normalisation had no effect on the top direction")
	}
	if _, err := SeFa(w, 6, SeFaOptions{}); err == nil {
		t.Errorf("k > D accepted")
	}
}

func TestWeightMatrixConv(t *testing.T) {
	// kernel [kh=1, kw=2, in=3, out=2]: element value encodes its index.
	data := make([]float64, 12)
	for i := range data {
		data[i] = float64(i)
	}
	if _, err := tensorOf(dtypes.Int32, data, 12); err == nil {
		t.Errorf("int dtype accepted")
	}
	ten, err := tensorOf(dtypes.Float64, data, 1, 2, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	m, err := WeightMatrix(ten, -1)
	if err != nil {
		t.Fatal(err)
	}
	r, c := m.Dims()
	if r != 3 || c != 4 {
		t.Fatalf("dims %d×%d, want 3×4", r, c)
	}
	// element [0, kw, in, out] sits at flat kw*6 + in*2 + out → row in, col kw*2+out.
	for kw := 0; kw < 2; kw++ {
		for in := 0; in < 3; in++ {
			for out := 0; out < 2; out++ {
				near(t, "WeightMatrix", m.At(in, kw*2+out), float64(kw*6+in*2+out), 0)
			}
		}
	}
}

func TestFitPCAExactAndRandomized(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range []int{30, 1100} {
		n, r := 300, 4
		lat := randMat(rng, n, r)
		scales := []float64{10, 6, 3, 1.5}
		for i := 0; i < n; i++ {
			for j := 0; j < r; j++ {
				lat.Set(i, j, lat.At(i, j)*scales[j])
			}
		}
		basis, _ := Orthonormalize(randMat(rng, p, r))
		var x mat.Dense
		x.Mul(lat, basis.T())
		noise := randMat(rng, n, p)
		noise.Scale(0.01, noise)
		x.Add(&x, noise)
		pca, err := FitPCA(&x, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		// Reference: gonum SVD of the centred data.
		xc := mat.DenseCopyOf(&x)
		for j := 0; j < p; j++ {
			for i := 0; i < n; i++ {
				xc.Set(i, j, xc.At(i, j)-pca.Mean[j])
			}
		}
		var svd mat.SVD
		if !svd.Factorize(xc, mat.SVDThin) {
			t.Fatal("svd")
		}
		var v mat.Dense
		svd.VTo(&v)
		sv := svd.Values(nil)
		for i := 0; i < 3; i++ {
			near(t, "PCA |cos|", colAbsCos(pca.Components, i, &v, i), 1, 1e-6)
			near(t, "PCA std", pca.Std[i], sv[i]/math.Sqrt(float64(n-1)), 1e-6*sv[0])
		}
	}
}

func TestGANSpaceLinearAnalytic(t *testing.T) {
	// G(z) = W z with W = U S Vᵀ: PCA components of G(z) are U's columns with coordinates s_i v_iᵀ z, and the
	// regression back to z gives v_i: GANSpace directions are W's right-singular vectors.
	rng := rand.New(rand.NewPCG(7, 8))
	w, _, v := withSingular(rng, 8, 4, []float64{4, 2.5, 1.5, 0.7})
	n := 4000
	z := randMat(rng, n, 4)
	var f mat.Dense
	f.Mul(z, w.T())
	dirs, pca, err := GANSpaceFromFeatures(z, &f, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if c := colAbsCos(dirs.Vectors, i, v, i); c < 0.995 {
			t.Errorf("GANSpace direction %d |cos| with right-singular vector = %.5f", i, c)
		}
	}
	near(t, "GANSpace std 0", pca.Std[0], 4, 0.2)
}
