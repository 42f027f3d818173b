package nn

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Layer builders follow GoMLX's convention of panicking while a graph is built; the executor must turn that into
// an error naming the problem, so that nothing reaches a notebook cell as a panic.
func TestValidateLayerArguments(t *testing.T) {
	img := tensors.FromShape(shapes.Make(dtypes.Float32, 2, 5, 5, 3))
	vec := tensors.FromShape(shapes.Make(dtypes.Float32, 2, 3))
	ints := tensors.FromShape(shapes.Make(dtypes.Int32, 2, 3))
	cases := []struct {
		name  string
		input *tensors.Tensor
		build func(ctx *context.Context, x *Node) *Node
		want  string
	}{
		{"Dense/out=0", vec, func(ctx *context.Context, x *Node) *Node { return Dense(ctx, x, 0).Done() }, "output size"},
		{"Dense/out<0", vec, func(ctx *context.Context, x *Node) *Node { return Dense(ctx, x, -4).Done() }, "-4"},
		{"Dense/int-input", ints, func(ctx *context.Context, x *Node) *Node { return Dense(ctx, x, 2).Done() }, "float"},
		{"Dense/nil-input", vec, func(ctx *context.Context, x *Node) *Node { return Dense(ctx, nil, 2).Done() }, "nil"},
		{"Conv/rank-2", vec, func(ctx *context.Context, x *Node) *Node { return Conv(ctx, x, 4).Done() }, "rank 4"},
		{"Conv/outChannels=0", img, func(ctx *context.Context, x *Node) *Node { return Conv(ctx, x, 0).Done() }, "outChannels"},
		{"Conv/kernel=0", img, func(ctx *context.Context, x *Node) *Node { return Conv(ctx, x, 4).Kernel(0).Done() }, "kernel"},
		{"Conv/stride=0", img, func(ctx *context.Context, x *Node) *Node { return Conv(ctx, x, 4).Stride(0).Done() }, "stride"},
		{"Conv/padding<0", img, func(ctx *context.Context, x *Node) *Node { return Conv(ctx, x, 4).Padding(-1).Done() }, "padding"},
		{"Conv/kernel>input", img, func(ctx *context.Context, x *Node) *Node { return Conv(ctx, x, 4).Kernel(9).Done() }, ""},
		{"ConvTranspose/stride=0", img, func(ctx *context.Context, x *Node) *Node {
			return ConvTranspose(ctx, x, 4).Stride(0).Done()
		}, "stride"},
		{"ConvTranspose/same-kernel<stride", img, func(ctx *context.Context, x *Node) *Node {
			return ConvTranspose(ctx, x, 4).Kernel(1).Stride(2).PaddingSame().Done()
		}, "kernel"},
		{"Conv2D/stride=0", img, func(ctx *context.Context, x *Node) *Node {
			k := ctx.VariableWithShape("k", shapes.Make(dtypes.Float32, 3, 3, 3, 2)).ValueGraph(x.Graph())
			return Conv2D(x, k, [2]int{0, 0}, [2][2]int{})
		}, "stride"},
		{"Conv2D/channel-mismatch", img, func(ctx *context.Context, x *Node) *Node {
			k := ctx.VariableWithShape("k", shapes.Make(dtypes.Float32, 3, 3, 7, 2)).ValueGraph(x.Graph())
			return Conv2D(x, k, [2]int{1, 1}, [2][2]int{})
		}, ""},
		{"BatchNorm/rank-1", tensors.FromShape(shapes.Make(dtypes.Float32, 4)), func(ctx *context.Context, x *Node) *Node {
			return BatchNorm(ctx, x).Done()
		}, "BatchNorm"},
		{"BatchNorm/momentum>1", vec, func(ctx *context.Context, x *Node) *Node { return BatchNorm(ctx, x).Momentum(2).Done() }, "momentum"},
		{"BatchNorm/momentum=NaN", vec, func(ctx *context.Context, x *Node) *Node {
			return BatchNorm(ctx, x).Momentum(math.NaN()).Done()
		}, "momentum"},
		{"BatchNorm/epsilon<0", vec, func(ctx *context.Context, x *Node) *Node { return BatchNorm(ctx, x).Epsilon(-1).Done() }, "epsilon"},
		{"BatchNorm/epsilon=NaN", vec, func(ctx *context.Context, x *Node) *Node {
			return BatchNorm(ctx, x).Epsilon(math.NaN()).Done()
		}, "epsilon"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			panicked := func() (p any) {
				defer func() { p = recover() }()
				ctx := context.New()
				exec, e := context.NewExec(testBackend, ctx, func(ctx *context.Context, x *Node) *Node {
					return c.build(ctx, x)
				})
				if e != nil {
					err = e
					return nil
				}
				_, err = exec.Exec(c.input)
				return nil
			}()
			switch {
			case panicked != nil:
				t.Errorf("PANIC reached the caller: %v", panicked)
			case err == nil:
				t.Errorf("no error")
			case c.want != "" && !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)):
				t.Errorf("error does not mention %q: %v", c.want, firstLine(err.Error()))
			}
		})
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// TestValidateSamePadding: a plain function (no graph), so it must not panic on a zero stride.
func TestValidateSamePadding(t *testing.T) {
	for _, c := range [][3]int{{5, 3, 0}, {5, 3, -1}, {0, 3, 1}, {-2, 3, 1}} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("SamePadding(%d, %d, %d): PANIC: %v", c[0], c[1], c[2], r)
				}
			}()
			_ = SamePadding(c[0], c[1], c[2])
		}()
	}
}
