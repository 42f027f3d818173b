package directions

import (
	"github.com/gdisent/gdisent/gdisent"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Encoder maps images [B, ...] to codes [B, k].
type Encoder func(ctx *context.Context, x *Node) *Node

// CoordinateEncoderConfig configures CoordinateEncoder.
type CoordinateEncoderConfig struct {
	Directions *mat.Dense   // D×k; coordinates are c = Aᵀz (orthonormalise non-orthogonal directions first)
	Batch      int          // default 64
	LR         float64      // Adam, default 1e-3
	DType      dtypes.DType // default Float32
	Scope      string       // encoder scope, default "/coord_encoder"
}

// CoordinateEncoder trains E(G(z)) ≈ Aᵀz by MSE on freshly generated images (the two-stage protocol of
// Khrulkov et al. 2021, arXiv:2102.06204, stage two), with G frozen.
type CoordinateEncoder struct {
	b    backends.Backend
	ctx  *context.Context
	enc  Encoder
	cfg  CoordinateEncoderConfig
	step *training.Step
	n    int64
	eval *context.Exec
}

// NewCoordinateEncoder prepares the train step; the encoder's variables live in cfg.Scope.
func NewCoordinateEncoder(b backends.Backend, ctx *context.Context, gen Generator, enc Encoder, cfg CoordinateEncoderConfig) (ce *CoordinateEncoder, err error) {
	defer training.Recover(&err, "directions: NewCoordinateEncoder")
	if err := backendOK(b); err != nil {
		return nil, err
	}
	if ctx == nil || gen == nil || enc == nil || cfg.Directions == nil {
		return nil, errors.New("directions: NewCoordinateEncoder: nil context, generator, encoder or directions")
	}
	if err := checkFinite("directions", cfg.Directions.RawMatrix().Data); err != nil {
		return nil, err
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	if cfg.LR == 0 {
		cfg.LR = 1e-3
	}
	cfg.DType = defaultDType(cfg.DType)
	cfg.Scope = absScope(cfg.Scope, "/coord_encoder")
	d, k := cfg.Directions.Dims()
	aData := mat.DenseCopyOf(cfg.Directions).RawMatrix().Data
	ce = &CoordinateEncoder{b: b, ctx: ctx, enc: enc, cfg: cfg}
	ce.step, err = training.NewStep(b, ctx, "directions/coordinate_encoder", func(ctx *context.Context, _ *Node, _ []*Node, out *training.Outputs) {
		g := out.Graph()
		z := ctx.RandomNormal(g, shapes.Make(cfg.DType, cfg.Batch, d))
		a := ConvertDType(Reshape(Const(g, aData), d, k), cfg.DType)
		target := MatMul(z, a)
		x := StopGradient(frozenGen(ctx, gen, z))
		pred := enc(ctx.InAbsPath(cfg.Scope).Checked(false), x)
		if !pred.Shape().Equal(target.Shape()) {
			panicf("directions: encoder output %s, want %s", pred.Shape(), target.Shape())
		}
		loss := ReduceAllMean(Square(Sub(pred, target)))
		minimize(ctx, out, cfg.Scope, loss, cfg.LR)
	})
	if err != nil {
		return nil, err
	}
	ce.eval, err = context.NewExec(b, ctx, func(ctx *context.Context, x *Node) *Node {
		return enc(ctx.InAbsPath(cfg.Scope).Checked(false), x)
	})
	return ce, err
}

// Step runs one MSE step and returns the loss before the update.
func (ce *CoordinateEncoder) Step() (loss float64, err error) {
	defer training.Recover(&err, "directions: CoordinateEncoder step")
	m, err := runStep(ce.step, &ce.n, "directions: CoordinateEncoder step")
	return m["loss"], err
}

// MetricsEncoder adapts the trained encoder to gdisent/metrics: observations are n images of shape imageDims
// (e.g. [64, 64, 1]) as row-major float32, run in batches of `batch`.
func (ce *CoordinateEncoder) MetricsEncoder(imageDims []int, batch int) metrics.Encoder {
	if batch <= 0 {
		batch = 256
	}
	per := 1
	for _, d := range imageDims {
		per *= d
	}
	return gdisent.EncoderFunc(func(images []float32, n int) (codes []float32, err error) {
		defer training.Recover(&err, "directions: encoding %d images", n)
		if per <= 0 || len(images) != n*per {
			return nil, errors.Errorf("directions: got %d values for %d images of shape %v", len(images), n, imageDims)
		}
		for start := 0; start < n; start += batch {
			m := min(batch, n-start)
			x64 := make([]float64, m*per)
			for i := range x64 {
				x64[i] = float64(images[start*per+i])
			}
			xt, err := tensorOf(ce.cfg.DType, x64, append([]int{m}, imageDims...)...)
			if err != nil {
				return nil, err
			}
			res, err := ce.eval.Exec(xt)
			if err != nil {
				return nil, err
			}
			f, err := floats(res[0])
			if err != nil {
				return nil, err
			}
			for _, v := range f {
				codes = append(codes, float32(v))
			}
		}
		return codes, nil
	})
}
