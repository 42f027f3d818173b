package nn

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestUpsampleNearest checks the values against a loop and the gradient against block sums of the cotangent.
func TestUpsampleNearest(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	xd := []int{2, 3, 4, 2}
	const f = 3
	x := randSlice(r, prod(xd))
	od := []int{2, 9, 12, 2}
	u := randSlice(r, prod(od))
	want := make([]float64, prod(od))
	wantGrad := make([]float64, prod(xd))
	for b := range od[0] {
		for i := range od[1] {
			for j := range od[2] {
				for c := range od[3] {
					src := ((b*xd[1]+i/f)*xd[2]+j/f)*xd[3] + c
					dst := ((b*od[1]+i)*od[2]+j)*od[3] + c
					want[dst] = x[src]
					wantGrad[src] += u[dst]
				}
			}
		}
	}
	res := MustExecOnceN(testBackend, func(x, u *Node) []*Node {
		y := UpsampleNearest(x, f)
		return []*Node{y, Gradient(ReduceAllSum(Mul(y, u)), x)[0]}
	}, tensorOf(x, xd), tensorOf(u, od))
	if got := res[0].Shape().Dimensions; len(got) != 4 || got[1] != 9 || got[2] != 12 {
		t.Fatalf("output dims %v, want %v", got, od)
	}
	assertClose(t, "values", values(res[0]), want, 0)
	assertClose(t, "gradient", values(res[1]), wantGrad, 1e-12)
}

func TestUpsampleNearestErrors(t *testing.T) {
	for _, c := range []struct {
		dims   []int
		factor int
		want   string
	}{{[]int{2, 3}, 2, "rank 4"}, {[]int{1, 2, 2, 1}, 0, "factor must be >= 1"}} {
		var p any
		func() {
			defer func() { p = recover() }()
			MustExecOnce(testBackend, func(x *Node) *Node { return UpsampleNearest(x, c.factor) },
				tensorOf(make([]float64, prod(c.dims)), c.dims))
		}()
		if p == nil || !strings.Contains(fmt.Sprint(p), c.want) {
			t.Errorf("dims %v factor %d: got panic %v, want one containing %q", c.dims, c.factor, p, c.want)
		}
	}
}

// TestConvTransposeOutputPadding checks PyTorch's output_padding (k3 s2 p1 op1 doubles the size) against the naive
// scatter loop, whose extra bottom/right rows are a smaller end padding, and rejects op > padding.
func TestConvTransposeOutputPadding(t *testing.T) {
	ctx := context.New()
	r := rand.New(rand.NewPCG(5, 5))
	xd := []int{2, 5, 4, 3}
	xv := randSlice(r, prod(xd))
	out := context.MustExecOnce(testBackend, ctx, func(ctx *context.Context, x *Node) *Node {
		return ConvTranspose(ctx, x, 2).Kernel(3).Stride(2).Padding(1).OutputPadding(1).Done()
	}, tensorOf(xv, xd))
	if got := fmt.Sprint(out.Shape().Dimensions); got != "[2 10 8 2]" {
		t.Fatalf("output dims %s, want [2 10 8 2]", got)
	}
	k := ctx.GetVariableByScopeAndName("/conv_transpose", "weights")
	want, _ := naiveConvTranspose2D(xv, xd, values(k.MustValue()), []int{3, 3, 3, 2}, 2, [2][2]int{{1, 0}, {1, 0}})
	assertClose(t, "output padding vs naive", values(out), want, 1e-12)
	err := catch(func() {
		context.MustExecOnce(testBackend, context.New(), func(ctx *context.Context, x *Node) *Node {
			return ConvTranspose(ctx, x, 2).Kernel(3).Stride(2).Padding(0).OutputPadding(1).Done()
		}, tensorOf(xv, xd))
	})
	if err == nil || !strings.Contains(err.Error(), "OutputPadding") {
		t.Errorf("op > padding: got %v, want an error naming OutputPadding", err)
	}
}
