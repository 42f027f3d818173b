package training

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// Non-finite parameters (not only losses) must stop training with an error naming the step, and the last
// checkpoint kept on disk must hold only finite parameters.

// finiteCheckpoint fails the test if the checkpoint at path holds a non-finite float32 value.
func finiteCheckpoint(t *testing.T, path string) {
	t.Helper()
	c, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	for i, v := range c.vars {
		if c.values[i].DType() != dtypes.Float32 {
			continue
		}
		for j, x := range tensors.MustCopyFlatData[float32](c.values[i]) {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("checkpoint %s holds %s/%s[%d] = %v: the \"last good checkpoint\" is not good", path, v.Scope, v.Name, j, x)
			}
		}
	}
}

// sqrtModel's loss is sqrt(sum((w*x)^2)): finite (0) for x = 0, but its gradient is Inf*0 = NaN, so at zeroAt
// the losses are finite while the parameter update is not.
func sqrtModel(t *testing.T, b backends.Backend, ctx *context.Context, zeroAt int64) StepFunc {
	opt := NewAdam(ctx.In("m")).LearningRate(0.01)
	step, err := NewStep(b, ctx, "sqrt", func(ctx *context.Context, _ *Node, in []*Node, out *Outputs) {
		w := ctx.In("m").WithInitializer(initializers.One).VariableWithShape("w", shapes.Make(dtypes.Float32, 3)).ValueGraph(in[0].Graph())
		out.Minimize("loss", Sqrt(ReduceAllSum(Square(Mul(w, in[0])))), opt)
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(s int64, _ *rand.Rand) (Metrics, error) {
		x := []float32{1, 2, 3}
		if s == zeroAt {
			x = []float32{0, 0, 0}
		}
		return step.Run(s, x)
	}
}

// TestNonFiniteParameterUpdateStops: finite loss, NaN gradient ⇒ NonFiniteError at that step naming the update,
// variables unchanged, last good checkpoint kept and finite.
func TestNonFiniteParameterUpdateStops(t *testing.T) {
	b := testBackend(t)
	dir := t.TempDir()
	ctx := context.New()
	_ = SeedContext(ctx, 5)
	var before map[string][]float32
	fn := sqrtModel(t, b, ctx, 5)
	loop := NewLoop(b, ctx, func(s int64, rng *rand.Rand) (Metrics, error) {
		if s == 5 {
			before = varValues(t, ctx, context.RootScope)
		}
		return fn(s, rng)
	}).Checkpoints(dir, 2, 2).Reporter(Silent())
	err := loop.Run(10)
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("want *NonFiniteError for a NaN parameter update, got %v", err)
	}
	if nf.Step != 5 || nf.Name != UpdateName {
		t.Fatalf("error %+v, want step 5, %q", nf, UpdateName)
	}
	if !strings.Contains(err.Error(), "step 5") || !strings.Contains(err.Error(), "parameter update") {
		t.Fatalf("message does not name the step and the parameter update: %v", err)
	}
	if !strings.HasSuffix(nf.Checkpoint, CheckpointName(4)) {
		t.Fatalf("last good checkpoint %q, want step 4", nf.Checkpoint)
	}
	finiteCheckpoint(t, nf.Checkpoint)
	if !equalVars(before, varValues(t, ctx, context.RootScope)) {
		t.Fatal("the non-finite update was applied")
	}
}

// TestNonFiniteParameterStopsLoop: a parameter that becomes NaN outside a guarded Step (here an Every hook; the
// same holds for a StepFunc running its own executors, or user weight surgery between Runs) must stop the loop
// with an error naming the step, and must not be written into a checkpoint that the error then calls "good".
func TestNonFiniteParameterStopsLoop(t *testing.T) {
	b := testBackend(t)
	dir := t.TempDir()
	ctx := context.New()
	_ = SeedContext(ctx, 6)
	loop := NewLoop(b, ctx, noisyModel(t, b, ctx, -1)).Checkpoints(dir, 3, 3).Reporter(Silent()).
		Every(6, func(step int64) error {
			if step != 6 {
				return nil
			}
			v := ctx.GetVariableByScopeAndName("/model/l1/dense", "weights")
			if v == nil {
				t.Fatal("variable /model/l1/dense/weights not found")
			}
			w := tensors.MustCopyFlatData[float32](v.MustValue())
			w[0] = float32(math.NaN())
			return v.SetValue(tensors.FromFlatDataAndDimensions(w, v.Shape().Dimensions...))
		})
	err := loop.Run(12)
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("want *NonFiniteError once a parameter is NaN, got %v", err)
	}
	if nf.Step > 6 {
		t.Errorf("stopped at step %d; the parameter was NaN after step 6 completed", nf.Step)
	}
	if !strings.Contains(err.Error(), "step") {
		t.Errorf("message does not name the step: %v", err)
	}
	paths, _ := ListCheckpoints(dir)
	for _, p := range paths {
		finiteCheckpoint(t, p)
	}
	if nf.Checkpoint != "" {
		finiteCheckpoint(t, nf.Checkpoint)
	}
}

// TestSaveCheckpointRejectsNonFinite: SaveCheckpoint (public) should refuse non-finite parameters rather than
// write a checkpoint that LatestCheckpoint would later resume from.
func TestSaveCheckpointRejectsNonFinite(t *testing.T) {
	dir := t.TempDir()
	ctx := context.New()
	ctx.In("m").VariableWithValue("w", []float32{1, float32(math.Inf(1))})
	path, err := SaveCheckpoint(dir, ctx, 3, 0, nil, nil)
	if err == nil {
		t.Fatalf("SaveCheckpoint wrote %s with an infinite parameter /m/w[1] and no error", path)
	}
	if !strings.Contains(err.Error(), "/m/w") {
		t.Errorf("error does not name the variable: %v", err)
	}
	if paths, _ := ListCheckpoints(dir); len(paths) != 0 {
		t.Errorf("checkpoints written: %v", paths)
	}
}
