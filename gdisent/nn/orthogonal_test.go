package nn

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// TestOrthogonal: WᵀW = gain²·I for a tall weight, W·Wᵀ = gain²·I for a wide one; the same seed gives the same
// weights, another seed other ones; biases are zero.
func TestOrthogonal(t *testing.T) {
	for _, dims := range [][]int{{6, 3}, {3, 6}, {4, 4}} {
		init := Orthogonal(7, 1.4)
		w := execFlat(t, func(g *Graph) *Node { return init(g, shapes.Make(dtypes.Float32, dims...)) })
		rows, cols := dims[0], dims[1]
		n, inner := cols, rows // tall: WᵀW (cols × cols, summing over rows)
		at := func(k, a int) float64 { return float64(w[k*cols+a]) }
		if rows < cols {
			n, inner = rows, cols
			at = func(k, a int) float64 { return float64(w[a*cols+k]) }
		}
		for a := range n {
			for b := range n {
				s := 0.0
				for k := range inner {
					s += at(k, a) * at(k, b)
				}
				want := 0.0
				if a == b {
					want = 1.4 * 1.4
				}
				if math.Abs(s-want) > 1e-5 {
					t.Fatalf("%v: Gram[%d][%d] = %.6f, want %.2f", dims, a, b, s, want)
				}
			}
		}
	}
	a := execFlat(t, func(g *Graph) *Node { return Orthogonal(1, 1)(g, shapes.Make(dtypes.Float32, 5, 4)) })
	b := execFlat(t, func(g *Graph) *Node { return Orthogonal(1, 1)(g, shapes.Make(dtypes.Float32, 5, 4)) })
	c := execFlat(t, func(g *Graph) *Node { return Orthogonal(2, 1)(g, shapes.Make(dtypes.Float32, 5, 4)) })
	same, diff := true, false
	for i := range a {
		same = same && a[i] == b[i]
		diff = diff || a[i] != c[i]
	}
	if !same || !diff {
		t.Errorf("seed 1 twice equal: %v; seeds 1 and 2 differ: %v", same, diff)
	}
	bias := execFlat(t, func(g *Graph) *Node { return Orthogonal(1, 1)(g, shapes.Make(dtypes.Float32, 4)) })
	for _, v := range bias {
		if v != 0 {
			t.Fatalf("bias %v, want zeros", bias)
		}
	}
}

func execFlat(t *testing.T, fn func(g *Graph) *Node) []float32 {
	t.Helper()
	out := MustNewExec(testBackend, func(g *Graph) *Node { return Reshape(fn(g), -1) }).MustExec1()
	return out.Value().([]float32)
}
