package directions

import (
	"github.com/gdisent/gdisent/gdisent/training"

	"math/rand/v2"

	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// NormalLatents draws n latents z ~ N(0, I_d).
func NormalLatents(rng *rand.Rand, n, d int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, d)
		for j := range out[i] {
			out[i][j] = rng.NormFloat64()
		}
	}
	return out
}

// TraversalLatents returns the latents of a traversal grid along the first rows directions (columns of dirs):
// row i holds z0 + t·a_i for each t in values, so the images of Flatten(latents) fill plots.Traversal row by row.
func TraversalLatents(z0 []float64, dirs *mat.Dense, rows int, values []float64) ([][]float64, error) {
	if dirs == nil {
		return nil, errors.New("directions: TraversalLatents: nil directions")
	}
	d, k := dirs.Dims()
	if len(z0) != d || rows <= 0 || rows > k || len(values) == 0 {
		return nil, errors.Errorf("directions: TraversalLatents: need a base point of %d values (got %d), 0 < rows ≤ %d (got %d) and some values", d, len(z0), k, rows)
	}
	out := make([][]float64, 0, rows*len(values))
	for i := range rows {
		for _, t := range values {
			z := make([]float64, d)
			for j := range z {
				z[j] = z0[j] + t*dirs.At(j, i)
			}
			out = append(out, z)
		}
	}
	return out, nil
}

// Flatten concatenates latent paths into one row-major float32 batch and returns it with the number of latents,
// the arguments of a generator's Generate: m.Generate(directions.Flatten(linear, curved)).
func Flatten(paths ...[][]float64) ([]float32, int) {
	var out []float32
	n := 0
	for _, p := range paths {
		for _, z := range p {
			for _, v := range z {
				out = append(out, float32(v))
			}
			n++
		}
	}
	return out, n
}

// Trajectories are a straight line and a curved path through Z0 (Ramesh, Choi & LeCun 2018, arXiv:1812.01161):
// the line follows the leading right-singular vector v1 of J = ∂G/∂z at Z0, the curve re-computes v1 at every step.
type Trajectories struct {
	Z0             []float64
	Offsets        []float64   // i·step for i = −n..n, the position along each path
	Linear, Curved [][]float64 // 2n+1 latents each, from the negative end through Z0
	Basis          *mat.Dense  // D×2: v1 and v2 of J at Z0
}

// Trajectories computes the linear and the curved path of n steps of size step each way from z0.
func (t *JacobianTool) Trajectories(z0 []float64, step float64, n int) (tr Trajectories, err error) {
	defer training.Recover(&err, "directions: Trajectories")
	if err := t.checkZ(z0); err != nil {
		return tr, err
	}
	if t.dim < 2 {
		return tr, errors.Errorf("directions: Trajectories needs a latent of at least 2 dimensions, got %d", t.dim)
	}
	svd, err := t.TopK(z0, 2, nil)
	if err != nil {
		return tr, err
	}
	lin, err := LinearTrajectory(z0, mat.Col(nil, 0, svd.Vectors), step, n)
	if err != nil {
		return tr, err
	}
	cur, err := t.CurvedTrajectory(z0, step, n)
	if err != nil {
		return tr, err
	}
	tr = Trajectories{Z0: append([]float64(nil), z0...), Linear: lin, Curved: cur, Basis: svd.Vectors}
	// v1's sign is arbitrary: orient the curve like the line, so that column i of both is the same side of z0.
	if n > 0 {
		if x, _ := tr.Plane(cur[len(cur)-1:]); x[0] < 0 {
			for i, j := 0, len(cur)-1; i < j; i, j = i+1, j-1 {
				cur[i], cur[j] = cur[j], cur[i]
			}
		}
	}
	for i := -n; i <= n; i++ {
		tr.Offsets = append(tr.Offsets, float64(i)*step)
	}
	return tr, nil
}

// Plane returns the coordinates ⟨z − Z0, v1⟩ and ⟨z − Z0, v2⟩ of each latent of path: where the curve bends away
// from the line, the leading direction rotates.
func (tr Trajectories) Plane(path [][]float64) (x, y []float64) {
	for _, z := range path {
		var a, b float64
		for j := range z {
			a += (z[j] - tr.Z0[j]) * tr.Basis.At(j, 0)
			b += (z[j] - tr.Z0[j]) * tr.Basis.At(j, 1)
		}
		x, y = append(x, a), append(y, b)
	}
	return x, y
}
