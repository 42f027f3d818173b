package directions

import (
	"github.com/gdisent/gdisent/gdisent/training"

	"math"
	"math/rand/v2"
	"sort"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// SeFaOptions configure SeFa.
type SeFaOptions struct {
	// KeepScale skips the per-column unit-norm normalisation that genforce/sefa applies to W̃ (default: normalise).
	KeepScale bool
}

// SeFa (Shen & Zhou 2021, eq. 1–3) returns the top-k directions n maximising ‖W̃ᵀn‖² for the weight w [D, M]
// that maps z (D) to the first activations (M), i.e. the top eigenvectors of W̃W̃ᵀ; W̃ is w with unit-norm
// columns unless opts.KeepScale. Values are the eigenvalues. Signs are fixed so the largest-|.| entry is positive.
func SeFa(w *mat.Dense, k int, opts SeFaOptions) (Directions, error) {
	if w == nil {
		return Directions{}, errors.New("directions: SeFa: nil weight")
	}
	d, m := w.Dims()
	if k <= 0 || k > d {
		return Directions{}, errors.Errorf("directions: SeFa: k=%d must be in [1, D=%d]", k, d)
	}
	if err := checkFinite("SeFa weight", w.RawMatrix().Data); err != nil {
		return Directions{}, err
	}
	wn := mat.DenseCopyOf(w)
	if !opts.KeepScale {
		for j := 0; j < m; j++ {
			n := mat.Norm(wn.ColView(j), 2)
			if n > 0 {
				for i := 0; i < d; i++ {
					wn.Set(i, j, wn.At(i, j)/n)
				}
			}
		}
	}
	var gram mat.SymDense
	gram.SymOuterK(1, wn) // W̃ W̃ᵀ, D×D
	vals, vecs, err := eigSymDesc(&gram)
	if err != nil {
		return Directions{}, errors.Wrap(err, "directions: SeFa")
	}
	out := mat.NewDense(d, k, nil)
	out.Copy(vecs.Slice(0, d, 0, k))
	fixSigns(out)
	return Directions{Method: "SeFa", Vectors: out, Values: vals[:k]}, nil
}

// LatentWeight reads the weight of the layer that maps z from ctx (scope, e.g. "/generator/dense", and name,
// e.g. "weights") as a D×M matrix. A rank-2 weight is taken as [D, M] (GoMLX Dense layout); a rank-4 conv
// kernel [kh, kw, in, out] (as for a DCGAN whose first layer is a transposed conv on a 1×1 z map) is flattened to
// [in, kh·kw·out]. inAxis overrides which axis is D (use -1 for the default).
func LatentWeight(ctx *context.Context, scope, name string, inAxis int) (m *mat.Dense, err error) {
	defer training.Recover(&err, "directions: reading weight %s/%s", scope, name)
	if ctx == nil {
		return nil, errors.New("directions: nil context")
	}
	v := ctx.GetVariableByScopeAndName(scope, name)
	if v == nil {
		return nil, errors.Errorf("directions: no variable %q in scope %q", name, scope)
	}
	t, err := v.Value()
	if err != nil {
		return nil, err
	}
	return WeightMatrix(t, inAxis)
}

// WeightMatrix converts a weight tensor to the D×M matrix SeFa needs, see LatentWeight.
func WeightMatrix(t *tensors.Tensor, inAxis int) (*mat.Dense, error) {
	if t == nil {
		return nil, errors.New("directions: nil weight tensor")
	}
	dims := t.Shape().Dimensions
	if inAxis < 0 {
		switch len(dims) {
		case 2:
			inAxis = 0
		case 4:
			inAxis = 2
		default:
			return nil, errors.Errorf("directions: weight of shape %v: give inAxis for rank %d", dims, len(dims))
		}
	}
	if inAxis >= len(dims) {
		return nil, errors.Errorf("directions: inAxis %d out of range for weight shape %v", inAxis, dims)
	}
	data, err := floats(t)
	if err != nil {
		return nil, err
	}
	d := dims[inAxis]
	m := len(data) / d
	out := mat.NewDense(d, m, nil)
	// Strides of the row-major tensor.
	strides := make([]int, len(dims))
	s := 1
	for a := len(dims) - 1; a >= 0; a-- {
		strides[a] = s
		s *= dims[a]
	}
	idx := make([]int, len(dims))
	for flat := range data {
		r := flat
		for a := range dims {
			idx[a] = r / strides[a]
			r %= strides[a]
		}
		// Column index: the remaining axes in order.
		c := 0
		for a := range dims {
			if a != inAxis {
				c = c*dims[a] + idx[a]
			}
		}
		out.Set(idx[inAxis], c, data[flat])
	}
	return out, nil
}

// eigSymDesc returns eigenvalues in descending order and the matching eigenvectors as columns.
func eigSymDesc(s *mat.SymDense) ([]float64, *mat.Dense, error) {
	var es mat.EigenSym
	if !es.Factorize(s, true) {
		return nil, nil, errors.New("symmetric eigendecomposition failed")
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	n := len(vals)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	outV := mat.NewDense(n, n, nil)
	outVals := make([]float64, n)
	for j, o := range order {
		outVals[j] = vals[o]
		outV.SetCol(j, mat.Col(nil, o, &vecs))
	}
	return outVals, outV, nil
}

// fixSigns flips each column so that its largest-magnitude entry is positive (a deterministic sign choice).
func fixSigns(v *mat.Dense) {
	r, c := v.Dims()
	for j := 0; j < c; j++ {
		best, bi := 0.0, 0
		for i := 0; i < r; i++ {
			if a := math.Abs(v.At(i, j)); a > best {
				best, bi = a, i
			}
		}
		if v.At(bi, j) < 0 {
			for i := 0; i < r; i++ {
				v.Set(i, j, -v.At(i, j))
			}
		}
	}
}

// Orthonormalize returns Q with orthonormal columns spanning the columns of a (thin QR, signs chosen so that
// diag(R) ≥ 0), e.g. to orthogonalise non-orthogonal directions before training an encoder on them.
func Orthonormalize(a *mat.Dense) (*mat.Dense, error) {
	if a == nil {
		return nil, errors.New("directions: Orthonormalize: nil matrix")
	}
	r, c := a.Dims()
	if c > r {
		return nil, errors.Errorf("directions: Orthonormalize: %d columns > %d rows", c, r)
	}
	var qr mat.QR
	qr.Factorize(a)
	var q, rr mat.Dense
	qr.QTo(&q)
	qr.RTo(&rr)
	out := mat.NewDense(r, c, nil)
	out.Copy(q.Slice(0, r, 0, c))
	for j := 0; j < c; j++ {
		if rr.At(j, j) < 0 {
			for i := 0; i < r; i++ {
				out.Set(i, j, -out.At(i, j))
			}
		}
	}
	return out, nil
}

// PCA holds principal components of row-vector data.
type PCA struct {
	Mean       []float64  // P
	Components *mat.Dense // P×k, orthonormal columns, largest variance first
	Std        []float64  // k, standard deviation of the data along each component
}

// FitPCA computes the top-k principal components of x (N×P, one sample per row). For P ≤ 1024 it
// eigendecomposes the covariance exactly; for larger P it uses randomized subspace iteration (Halko et al. 2011)
// with 10 extra vectors and 6 power iterations.
func FitPCA(x *mat.Dense, k int, seed uint64) (*PCA, error) {
	if x == nil {
		return nil, errors.New("directions: FitPCA: nil data")
	}
	n, p := x.Dims()
	if n < 2 || k <= 0 || k > p || k > n-1 {
		return nil, errors.Errorf("directions: FitPCA: need k in [1, min(P=%d, N-1=%d)], got k=%d", p, n-1, k)
	}
	if err := checkFinite("PCA data", x.RawMatrix().Data); err != nil {
		return nil, err
	}
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			mean[j] += x.At(i, j)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	xc := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			xc.Set(i, j, x.At(i, j)-mean[j])
		}
	}
	var comps *mat.Dense
	var vars []float64
	if p <= 1024 {
		var cov mat.SymDense
		cov.SymOuterK(1/float64(n-1), xc.T())
		vals, vecs, err := eigSymDesc(&cov)
		if err != nil {
			return nil, errors.Wrap(err, "directions: FitPCA")
		}
		comps = mat.NewDense(p, k, nil)
		comps.Copy(vecs.Slice(0, p, 0, k))
		vars = vals[:k]
	} else {
		var err error
		if comps, vars, err = randomizedPCA(xc, k, seed); err != nil {
			return nil, err
		}
	}
	fixSigns(comps)
	std := make([]float64, k)
	for i, v := range vars {
		std[i] = math.Sqrt(math.Max(v, 0))
	}
	return &PCA{Mean: mean, Components: comps, Std: std}, nil
}

func randomizedPCA(xc *mat.Dense, k int, seed uint64) (*mat.Dense, []float64, error) {
	n, p := xc.Dims()
	l := min(k+10, p, n)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	omega := mat.NewDense(p, l, nil)
	for i := 0; i < p; i++ {
		for j := 0; j < l; j++ {
			omega.Set(i, j, rng.NormFloat64())
		}
	}
	q, err := Orthonormalize(omega)
	if err != nil {
		return nil, nil, err
	}
	var y, v mat.Dense
	for it := 0; it < 6; it++ {
		y.Mul(xc, q)      // N×l
		v.Mul(xc.T(), &y) // P×l  (XᵀX q)
		if q, err = Orthonormalize(&v); err != nil {
			return nil, nil, err
		}
	}
	// Rayleigh–Ritz on span(q): eig of qᵀ XᵀX q.
	y.Mul(xc, q)
	var small mat.SymDense
	small.SymOuterK(1/float64(n-1), y.T())
	vals, vecs, err := eigSymDesc(&small)
	if err != nil {
		return nil, nil, errors.Wrap(err, "directions: randomized PCA")
	}
	var comps mat.Dense
	comps.Mul(q, vecs.Slice(0, l, 0, k))
	return mat.DenseCopyOf(&comps), vals[:k], nil
}

// Transform returns the PCA coordinates (N×k) of x (N×P).
func (p *PCA) Transform(x *mat.Dense) *mat.Dense {
	n, c := x.Dims()
	xc := mat.NewDense(n, c, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			xc.Set(i, j, x.At(i, j)-p.Mean[j])
		}
	}
	var out mat.Dense
	out.Mul(xc, p.Components)
	return &out
}

// GANSpaceFromFeatures runs the GANSpace non-StyleGAN recipe (Härkönen et al. 2020, §2 and ganspace's
// linreg_lstsq) on paired samples: z (N×D) and features (N×P). It fits PCA on the features, computes the PCA
// coordinates X (N×k), solves the least-squares regression Z − z̄ ≈ X·B (B k×D), and returns the rows of B,
// normalised, as z-space directions (columns of Vectors). Values are the PCA standard deviations.
func GANSpaceFromFeatures(z, features *mat.Dense, k int, seed uint64) (Directions, *PCA, error) {
	if z == nil || features == nil {
		return Directions{}, nil, errors.New("directions: GANSpace: nil input")
	}
	n, d := z.Dims()
	nf, _ := features.Dims()
	if nf != n {
		return Directions{}, nil, errors.Errorf("directions: GANSpace: %d latents but %d feature rows", n, nf)
	}
	if k > d {
		return Directions{}, nil, errors.Errorf("directions: GANSpace: k=%d > latent dim %d", k, d)
	}
	pca, err := FitPCA(features, k, seed)
	if err != nil {
		return Directions{}, nil, errors.Wrap(err, "directions: GANSpace")
	}
	x := pca.Transform(features)
	zc := mat.DenseCopyOf(z)
	for j := 0; j < d; j++ {
		m := 0.0
		for i := 0; i < n; i++ {
			m += zc.At(i, j)
		}
		m /= float64(n)
		for i := 0; i < n; i++ {
			zc.Set(i, j, zc.At(i, j)-m)
		}
	}
	var b mat.Dense
	if err := b.Solve(x, zc); err != nil { // least squares (QR), k×D
		return Directions{}, nil, errors.Wrap(err, "directions: GANSpace regression")
	}
	vecs := mat.NewDense(d, k, nil)
	for i := 0; i < k; i++ {
		row := mat.Row(nil, i, &b)
		nrm := 0.0
		for _, v := range row {
			nrm += v * v
		}
		nrm = math.Sqrt(nrm)
		if nrm == 0 {
			return Directions{}, nil, errors.Errorf("directions: GANSpace: component %d regresses to zero", i)
		}
		for j, v := range row {
			vecs.Set(j, i, v/nrm)
		}
	}
	return Directions{Method: "GANSpace", Vectors: vecs, Values: append([]float64(nil), pca.Std...)}, pca, nil
}
