package directions

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/nn"
)

func be(t *testing.T) backends.Backend {
	t.Helper()
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mlpGen is a tiny nonlinear generator z [B, D] → [B, 2, 3, 1].
func mlpGen(ctx *context.Context, z *Node) *Node {
	h := Tanh(nn.Dense(ctx.In("g1"), z, 5).Done())
	out := nn.Dense(ctx.In("g2"), h, 6).Done()
	return Reshape(Tanh(out), z.Shape().Dimensions[0], 2, 3, 1)
}

// linearGen returns G(z) = z Wᵀ for a fixed P×D matrix W (outputs [B, P]).
func linearGen(w *mat.Dense) Generator {
	p, d := w.Dims()
	wt := mat.DenseCopyOf(w.T()) // D×P
	return func(ctx *context.Context, z *Node) *Node {
		c := Const(z.Graph(), wt.RawMatrix().Data)
		c = ConvertDType(Reshape(c, d, p), z.DType())
		return MatMul(z, c)
	}
}

// initGen creates G's variables in a fresh context (seeded) by running it once.
func initGen(t *testing.T, b backends.Backend, gen Generator, dim int, dt dtypes.DType) *context.Context {
	t.Helper()
	ctx := context.New()
	ctx.SetParam(context.ParamInitialSeed, int64(7))
	e, err := context.NewExec(b, ctx, func(ctx *context.Context, g *Graph) *Node {
		return gen(ctx, Zeros(g, shapes.Make(dt, 1, dim)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Exec(); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func randMat(rng *rand.Rand, r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			m.Set(i, j, rng.NormFloat64())
		}
	}
	return m
}

// colAbsCos returns |cos| between column i of a and column j of b.
func colAbsCos(a *mat.Dense, i int, b *mat.Dense, j int) float64 {
	x, y := mat.Col(nil, i, a), mat.Col(nil, j, b)
	return math.Abs(mat.Dot(mat.NewVecDense(len(x), x), mat.NewVecDense(len(y), y))) /
		(mat.Norm(mat.NewVecDense(len(x), x), 2) * mat.Norm(mat.NewVecDense(len(y), y), 2))
}

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.9g, want %.9g (tol %g)", name, got, want, tol)
	}
}

// withSingular builds U diag(s) Vᵀ with random orthonormal U (r×len(s)) and V (c×len(s)).
func withSingular(rng *rand.Rand, r, c int, s []float64) (m, u, v *mat.Dense) {
	u, _ = Orthonormalize(randMat(rng, r, len(s)))
	v, _ = Orthonormalize(randMat(rng, c, len(s)))
	var us mat.Dense
	us.Mul(u, mat.NewDiagDense(len(s), s))
	m = mat.NewDense(r, c, nil)
	m.Mul(&us, v.T())
	return m, u, v
}
