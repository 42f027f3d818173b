package directions

import (
	"math"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// Generator maps latents z [B, D] to outputs [B, ...] (images [B, H, W, C] or features). It must be per-example.
type Generator func(ctx *context.Context, z *Node) *Node

// Directions are k unit directions in latent space with a per-direction strength.
type Directions struct {
	Method  string
	Vectors *mat.Dense // D×k, one unit-norm direction per column, strongest first
	Values  []float64  // strength of each direction: eigenvalue (SeFa), PCA std (GANSpace), singular value (Jacobian)
}

// Dim returns (D, k).
func (d Directions) Dim() (int, int) {
	if d.Vectors == nil {
		return 0, 0
	}
	return d.Vectors.Dims()
}

// Column returns direction i as a new slice.
func (d Directions) Column(i int) []float64 {
	return mat.Col(nil, i, d.Vectors)
}

// catch turns a panic (GoMLX exception) into an error with context.

func panicf(format string, args ...any) { panic(errors.Errorf(format, args...)) }

// genReuse calls gen with a reusing context and checks the output is a batch.
func genReuse(ctx *context.Context, gen Generator, z *Node) *Node {
	out := gen(ctx.Reuse(), z)
	if out == nil || out.Rank() < 1 || out.Shape().Dimensions[0] != z.Shape().Dimensions[0] {
		panicf("directions: generator output %v does not have the batch size %d of z", shapeOf(out), z.Shape().Dimensions[0])
	}
	return out
}

func shapeOf(x *Node) any {
	if x == nil {
		return "nil"
	}
	return x.Shape()
}

// flatBatch reshapes x [B, ...] to [B, P].
func flatBatch(x *Node) *Node {
	return Reshape(x, x.Shape().Dimensions[0], -1)
}

// tensorOf builds a [rows, cols] tensor of dtype from row-major float64 data.
func tensorOf(dt dtypes.DType, data []float64, dims ...int) (*tensors.Tensor, error) {
	switch dt {
	case dtypes.Float64:
		return tensors.FromFlatDataAndDimensions(append([]float64(nil), data...), dims...), nil
	case dtypes.Float32:
		f := make([]float32, len(data))
		for i, v := range data {
			f[i] = float32(v)
		}
		return tensors.FromFlatDataAndDimensions(f, dims...), nil
	}
	return nil, errors.Errorf("directions: unsupported dtype %s (want Float32 or Float64)", dt)
}

// floats copies a float tensor to float64.
func floats(t *tensors.Tensor) ([]float64, error) {
	switch t.DType() {
	case dtypes.Float64:
		return tensors.CopyFlatData[float64](t)
	case dtypes.Float32:
		f, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out, nil
	}
	return nil, errors.Errorf("directions: tensor of dtype %s is not a float tensor", t.DType())
}

func checkFinite(what string, x []float64) error {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.Errorf("directions: %s[%d] is %v", what, i, v)
		}
	}
	return nil
}

func defaultDType(dt dtypes.DType) dtypes.DType {
	if dt == dtypes.InvalidDType {
		return dtypes.Float32
	}
	return dt
}

// backendOK checks b is usable.
func backendOK(b backends.Backend) error {
	if b == nil {
		return errors.New("directions: nil backend")
	}
	return nil
}
