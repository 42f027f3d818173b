package directions

import (
	"github.com/gdisent/gdisent/gdisent/training"

	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// Jtu returns Jᵀu (a VJP) per example: the gradient of Σ G(z)·u with respect to z, for z [B, D] and u shaped like G(z).
// Since G is per-example, row b is J(z_b)ᵀ u_b.
func Jtu(ctx *context.Context, gen Generator, z, u *Node) *Node {
	zz := Identity(z) // a private node, so only the path through G counts
	out := genReuse(ctx, gen, zz)
	if !out.Shape().Equal(u.Shape()) {
		panicf("directions.Jtu: u shape %s differs from G(z) shape %s", u.Shape(), out.Shape())
	}
	return Gradient(ReduceAllSum(Mul(out, u)), zz)[0]
}

// Jv returns J v (a JVP) per example (shaped like G(z)) by the double-VJP trick: Jv = ∂/∂u ⟨Jᵀu, v⟩ (the result does
// not depend on u, which is a zero dummy). Needs second-order gradients of G (gdisent/nn layers support them).
func Jv(ctx *context.Context, gen Generator, z, v *Node) *Node {
	zz := Identity(z)
	out := genReuse(ctx, gen, zz)
	u := Identity(ZerosLike(out))
	jtu := Gradient(ReduceAllSum(Mul(out, u)), zz)[0]
	return Gradient(ReduceAllSum(Mul(jtu, v)), u)[0]
}

// JvFiniteDiff returns the central difference (G(z+hv) − G(z−hv)) / 2h ≈ J v; first-order only, so it works
// with any generator and keeps a regularizer built on it at second order.
func JvFiniteDiff(ctx *context.Context, gen Generator, z, v *Node, h float64) *Node {
	hv := MulScalar(v, h)
	plus := genReuse(ctx, gen, Add(z, hv))
	minus := genReuse(ctx, gen, Sub(z, hv))
	return DivScalar(Sub(plus, minus), 2*h)
}

// JtJv returns JᵀJ v per example for z, v [B, D]: one JVP (double-VJP, or central differences with step h when
// h > 0) followed by one VJP. Gradients flow through both products.
func JtJv(ctx *context.Context, gen Generator, z, v *Node, h float64) *Node {
	var jv *Node
	if h > 0 {
		jv = JvFiniteDiff(ctx, gen, z, v, h)
	} else {
		jv = Jv(ctx, gen, z, v)
	}
	return Jtu(ctx, gen, z, jv)
}

// JacobianOptions configure a JacobianTool.
type JacobianOptions struct {
	DType dtypes.DType // dtype of z fed to G (default Float32)
	// FDStep > 0 computes Jv by central differences with this step instead of double-VJP (use it for generators
	// without second-order gradients).
	FDStep     float64
	Iterations int     // block power iterations for TopK (default 50)
	Tol        float64 // stop when every Ritz residual ‖JᵀJv − λv‖ < Tol·λ1 (default 1e-6)
	Seed       uint64  // random start of the power iteration
}

// JacobianTool computes Jacobian products, SVDs and trajectories of G at given latents. It compiles one graph
// per batch shape; it is not safe for concurrent use.
type JacobianTool struct {
	ctx     *context.Context
	gen     Generator
	dim     int
	opts    JacobianOptions
	jtj     *context.Exec
	vjp     *context.Exec
	fwd     *context.Exec
	rng     *rand.Rand
	dtype   dtypes.DType
	outDims []int
}

// NewJacobianTool prepares the executors for G with latent dimension dim.
func NewJacobianTool(b backends.Backend, ctx *context.Context, gen Generator, dim int, opts JacobianOptions) (t *JacobianTool, err error) {
	defer training.Recover(&err, "directions: NewJacobianTool")
	if err := backendOK(b); err != nil {
		return nil, err
	}
	if ctx == nil || gen == nil || dim <= 0 {
		return nil, errors.Errorf("directions: NewJacobianTool: need a context, a generator and dim > 0 (got %d)", dim)
	}
	if opts.Iterations <= 0 {
		opts.Iterations = 50
	}
	if opts.Tol <= 0 {
		opts.Tol = 1e-6
	}
	t = &JacobianTool{ctx: ctx, gen: gen, dim: dim, opts: opts, dtype: defaultDType(opts.DType),
		rng: rand.New(rand.NewPCG(opts.Seed, 17))}
	t.jtj, err = context.NewExec(b, ctx, func(ctx *context.Context, z, v *Node) *Node {
		return JtJv(ctx, gen, z, v, opts.FDStep)
	})
	if err != nil {
		return nil, err
	}
	t.vjp, err = context.NewExec(b, ctx, func(ctx *context.Context, z, u *Node) *Node {
		return flatBatch(Jtu(ctx, gen, z, u))
	})
	if err != nil {
		return nil, err
	}
	t.fwd, err = context.NewExec(b, ctx, func(ctx *context.Context, z *Node) *Node {
		return genReuse(ctx, gen, z)
	})
	return t, err
}

func (t *JacobianTool) checkZ(z []float64) error {
	if len(z) != t.dim {
		return errors.Errorf("directions: latent has %d values, want %d", len(z), t.dim)
	}
	return checkFinite("z", z)
}

// repeat returns z repeated n times (row-major n×D).
func repeat(z []float64, n int) []float64 {
	out := make([]float64, 0, n*len(z))
	for range n {
		out = append(out, z...)
	}
	return out
}

// Forward returns G(z) flattened, for one latent.
func (t *JacobianTool) Forward(z []float64) (out []float64, err error) {
	defer training.Recover(&err, "directions: Forward")
	if err := t.checkZ(z); err != nil {
		return nil, err
	}
	zt, err := tensorOf(t.dtype, z, 1, t.dim)
	if err != nil {
		return nil, err
	}
	res, err := t.fwd.Exec(zt)
	if err != nil {
		return nil, err
	}
	t.outDims = res[0].Shape().Dimensions[1:]
	return floats(res[0])
}

// JTJColumns returns JᵀJ V at z for V (D×k), as a D×k matrix.
func (t *JacobianTool) JTJColumns(z []float64, v *mat.Dense) (out *mat.Dense, err error) {
	defer training.Recover(&err, "directions: JTJColumns")
	if err := t.checkZ(z); err != nil {
		return nil, err
	}
	d, k := v.Dims()
	if d != t.dim {
		return nil, errors.Errorf("directions: V has %d rows, want %d", d, t.dim)
	}
	zt, err := tensorOf(t.dtype, repeat(z, k), k, d)
	if err != nil {
		return nil, err
	}
	vt := mat.DenseCopyOf(v.T()) // k×D
	vtt, err := tensorOf(t.dtype, vt.RawMatrix().Data, k, d)
	if err != nil {
		return nil, err
	}
	res, err := t.jtj.Exec(zt, vtt)
	if err != nil {
		return nil, err
	}
	data, err := floats(res[0])
	if err != nil {
		return nil, err
	}
	if err := checkFinite("JᵀJv", data); err != nil {
		return nil, err
	}
	rows := mat.NewDense(k, d, data)
	return mat.DenseCopyOf(rows.T()), nil
}

// Matrix returns the full Jacobian J (P×D) at z by stacking VJPs with one-hot u (in chunks of 256 rows).
// Meant for small outputs and for checking; TopK never forms J.
func (t *JacobianTool) Matrix(z []float64) (j *mat.Dense, err error) {
	defer training.Recover(&err, "directions: Jacobian matrix")
	out, err := t.Forward(z)
	if err != nil {
		return nil, err
	}
	p := len(out)
	j = mat.NewDense(p, t.dim, nil)
	const chunk = 256
	for start := 0; start < p; start += chunk {
		n := min(chunk, p-start)
		zt, err := tensorOf(t.dtype, repeat(z, n), n, t.dim)
		if err != nil {
			return nil, err
		}
		u := make([]float64, n*p)
		for r := 0; r < n; r++ {
			u[r*p+start+r] = 1
		}
		ut, err := tensorOf(t.dtype, u, append([]int{n}, t.outDims...)...)
		if err != nil {
			return nil, err
		}
		res, err := t.vjp.Exec(zt, ut)
		if err != nil {
			return nil, err
		}
		rows, err := floats(res[0])
		if err != nil {
			return nil, err
		}
		for r := 0; r < n; r++ {
			j.SetRow(start+r, rows[r*t.dim:(r+1)*t.dim])
		}
	}
	return j, nil
}

// SVD is a truncated singular value decomposition of J at a point: J ≈ U diag(Values) Vᵀ.
type SVD struct {
	Values  []float64  // k singular values, descending
	Vectors *mat.Dense // D×k right-singular vectors (columns)
	Iters   int        // power iterations used
}

// TopK returns the top-k right-singular vectors and singular values of J = ∂G/∂z at z by block power (subspace)
// iteration on JᵀJ with QR re-orthonormalisation and a final Rayleigh–Ritz step (Khrulkov & Oseledets 2018;
// Ramesh et al. 2018). start (D×k, optional) warm-starts the iteration.
func (t *JacobianTool) TopK(z []float64, k int, start *mat.Dense) (s SVD, err error) {
	defer training.Recover(&err, "directions: TopK")
	if k <= 0 || k > t.dim {
		return SVD{}, errors.Errorf("directions: TopK: k=%d must be in [1, D=%d]", k, t.dim)
	}
	var q *mat.Dense
	if start != nil {
		if r, c := start.Dims(); r != t.dim || c != k {
			return SVD{}, errors.Errorf("directions: TopK: start is %d×%d, want %d×%d", r, c, t.dim, k)
		}
		q = mat.DenseCopyOf(start)
	} else {
		q = mat.NewDense(t.dim, k, nil)
		for i := 0; i < t.dim; i++ {
			for j := 0; j < k; j++ {
				q.Set(i, j, t.rng.NormFloat64())
			}
		}
	}
	if q, err = Orthonormalize(q); err != nil {
		return SVD{}, err
	}
	var vals []float64
	var vecs *mat.Dense
	it := 0
	for it < t.opts.Iterations {
		it++
		mq, err := t.JTJColumns(z, q)
		if err != nil {
			return SVD{}, err
		}
		// Rayleigh–Ritz: eig of QᵀMQ gives the current estimates.
		var h mat.Dense
		h.Mul(q.T(), mq)
		sym := mat.NewSymDense(k, nil)
		for a := 0; a < k; a++ {
			for b := a; b < k; b++ {
				sym.SetSym(a, b, (h.At(a, b)+h.At(b, a))/2)
			}
		}
		ev, w, err := eigSymDesc(sym)
		if err != nil {
			return SVD{}, err
		}
		vals = ev
		var rot, mrot mat.Dense
		rot.Mul(q, w)
		vecs = mat.DenseCopyOf(&rot)
		// Converged when every Ritz pair has a small residual ‖M v − λ v‖ relative to λ1.
		mrot.Mul(mq, w)
		done := true
		for i := range ev {
			res := 0.0
			for r := 0; r < t.dim; r++ {
				d := mrot.At(r, i) - ev[i]*vecs.At(r, i)
				res += d * d
			}
			if math.Sqrt(res) > t.opts.Tol*math.Max(math.Abs(ev[0]), 1e-300) {
				done = false
			}
		}
		if done {
			break
		}
		// Next subspace: orthonormalised M Q, rotated to the Ritz basis.
		var next mat.Dense
		next.Mul(mq, w)
		if q, err = Orthonormalize(&next); err != nil {
			return SVD{}, err
		}
	}
	fixSigns(vecs)
	sv := make([]float64, k)
	for i, v := range vals {
		sv[i] = math.Sqrt(math.Max(v, 0))
	}
	return SVD{Values: sv, Vectors: vecs, Iters: it}, nil
}

// Spectrum returns all D singular values of J at z (descending).
func (t *JacobianTool) Spectrum(z []float64) ([]float64, error) {
	s, err := t.TopK(z, t.dim, nil)
	if err != nil {
		return nil, err
	}
	return s.Values, nil
}

// LinearTrajectory returns z0 + i·step·v for i = −n..n (2n+1 latents, v normalised).
func LinearTrajectory(z0, v []float64, step float64, n int) ([][]float64, error) {
	if len(z0) != len(v) || len(z0) == 0 || n < 0 {
		return nil, errors.Errorf("directions: LinearTrajectory: z0 (%d) and v (%d) must have the same positive length, n=%d ≥ 0", len(z0), len(v), n)
	}
	nrm := 0.0
	for _, x := range v {
		nrm += x * x
	}
	nrm = math.Sqrt(nrm)
	if nrm == 0 {
		return nil, errors.New("directions: LinearTrajectory: zero direction")
	}
	out := make([][]float64, 0, 2*n+1)
	for i := -n; i <= n; i++ {
		z := make([]float64, len(z0))
		for j := range z {
			z[j] = z0[j] + float64(i)*step*v[j]/nrm
		}
		out = append(out, z)
	}
	return out, nil
}

// CurvedTrajectory follows the leading right-singular vector of J (Ramesh et al. 2018): from z0,
// z_{t+1} = z_t + step·s_t·v1(z_t), recomputing v1 at every step (warm-started from the previous one) with its
// sign s_t chosen to agree with the previous step; n steps each way. It returns the 2n+1 latents in order, from
// the negative end through z0 to the positive end.
func (t *JacobianTool) CurvedTrajectory(z0 []float64, step float64, n int) (path [][]float64, err error) {
	defer training.Recover(&err, "directions: CurvedTrajectory")
	if err := t.checkZ(z0); err != nil {
		return nil, err
	}
	if n < 0 || step <= 0 {
		return nil, errors.Errorf("directions: CurvedTrajectory: need n ≥ 0 and step > 0, got n=%d step=%g", n, step)
	}
	s0, err := t.TopK(z0, 1, nil)
	if err != nil {
		return nil, err
	}
	v0 := mat.Col(nil, 0, s0.Vectors)
	walk := func(sign float64) ([][]float64, error) {
		z := append([]float64(nil), z0...)
		prev := make([]float64, len(v0))
		for i := range v0 {
			prev[i] = sign * v0[i]
		}
		var pts [][]float64
		for range n {
			s, err := t.TopK(z, 1, mat.NewDense(t.dim, 1, append([]float64(nil), prev...)))
			if err != nil {
				return nil, err
			}
			v := mat.Col(nil, 0, s.Vectors)
			dot := 0.0
			for i := range v {
				dot += v[i] * prev[i]
			}
			if dot < 0 {
				for i := range v {
					v[i] = -v[i]
				}
			}
			next := make([]float64, len(z))
			for i := range z {
				next[i] = z[i] + step*v[i]
			}
			pts = append(pts, next)
			z, prev = next, v
		}
		return pts, nil
	}
	neg, err := walk(-1)
	if err != nil {
		return nil, err
	}
	pos, err := walk(1)
	if err != nil {
		return nil, err
	}
	for i := len(neg) - 1; i >= 0; i-- {
		path = append(path, neg[i])
	}
	path = append(path, append([]float64(nil), z0...))
	return append(path, pos...), nil
}
