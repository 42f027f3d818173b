package directions

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/training"
)

// HessianDiscoveryConfig configures HessianDiscovery.
type HessianDiscoveryConfig struct {
	LatentDim  int
	Directions int            // K ≤ D
	Batch      int            // default 32
	LR         float64        // Adam, default 0.01 (Peebles et al.'s BigGAN discovery)
	Hessian    HessianOptions // default K=2, ε=0.1; Reduce defaults to max (set ReduceByMean as in their discovery code)
	DType      dtypes.DType
	Scope      string // default "/hessian_discovery"
	Seed       uint64
}

// HessianDiscovery learns an orthogonal A = expm(S − Sᵀ)[:, :K] that minimises the Hessian Penalty of
// w ↦ G(z + A w) at w = 0 over z ~ N(0, I) (Peebles et al. 2020, direction discovery: the penalty is taken with
// respect to the direction coordinates w, only A is trained, G is frozen).
type HessianDiscovery struct {
	ctx  *context.Context
	cfg  HessianDiscoveryConfig
	step *training.Step
	n    int64
}

// NewHessianDiscovery creates S (0.001·randn) in cfg.Scope and the train step.
func NewHessianDiscovery(b backends.Backend, ctx *context.Context, gen Generator, cfg HessianDiscoveryConfig) (hd *HessianDiscovery, err error) {
	defer training.Recover(&err, "directions: NewHessianDiscovery")
	if err := backendOK(b); err != nil {
		return nil, err
	}
	if ctx == nil || gen == nil || cfg.LatentDim <= 0 || cfg.Directions <= 0 || cfg.Directions > cfg.LatentDim {
		return nil, errors.Errorf("directions: NewHessianDiscovery: need ctx, gen and 0 < Directions (%d) ≤ LatentDim (%d)", cfg.Directions, cfg.LatentDim)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	if cfg.LR == 0 {
		cfg.LR = 0.01
	}
	cfg.DType = defaultDType(cfg.DType)
	cfg.Scope = absScope(cfg.Scope, "/hessian_discovery")
	d := cfg.LatentDim
	sctx := ctx.InAbsPath(cfg.Scope).Checked(false)
	if sctx.GetVariableByScopeAndName(sctx.Scope(), "S") == nil {
		rng := rand.New(rand.NewPCG(cfg.Seed, 98))
		init := make([]float64, d*d)
		for i := range init {
			init[i] = 0.001 * rng.NormFloat64()
		}
		t, err := tensorOf(cfg.DType, init, d, d)
		if err != nil {
			return nil, err
		}
		sctx.VariableWithValue("S", t)
	}
	hd = &HessianDiscovery{ctx: ctx, cfg: cfg}
	hd.step, err = training.NewStep(b, ctx, "directions/hessian_discovery", func(ctx *context.Context, _ *Node, _ []*Node, out *training.Outputs) {
		g := out.Graph()
		c := hd.cfg
		a := OrthogonalFromSkew(ctx.InAbsPath(c.Scope).GetVariable("S").ValueGraph(g), c.Directions) // D×K
		z := ctx.RandomNormal(g, shapes.Make(c.DType, c.Batch, d))
		reps := 2*max(c.Hessian.withDefaults().K, 2) + 1
		zt := Reshape(BroadcastToDims(InsertAxes(z, 0), reps, c.Batch, d), reps*c.Batch, d)
		f := func(w *Node) *Node {
			if w.Shape().Dimensions[0] != reps*c.Batch {
				panicf("directions: unexpected Hessian batch %d", w.Shape().Dimensions[0])
			}
			return frozenGen(ctx, gen, Add(zt, DotGeneral(w, []int{1}, nil, a, []int{1}, nil)))
		}
		loss := HessianPenalty(ctx, f, Zeros(g, shapes.Make(c.DType, c.Batch, c.Directions)), c.Hessian)
		minimize(ctx, out, c.Scope, loss, c.LR)
	})
	if err != nil {
		return nil, err
	}
	return hd, nil
}

// Step runs one step and returns the Hessian penalty before the update.
func (hd *HessianDiscovery) Step() (loss float64, err error) {
	defer training.Recover(&err, "directions: HessianDiscovery step")
	m, err := runStep(hd.step, &hd.n, "directions: HessianDiscovery step")
	return m["loss"], err
}

// Directions returns the current orthonormal A (D×K).
func (hd *HessianDiscovery) Directions() (Directions, error) {
	return readDirections(hd.ctx, hd.cfg.Scope, false, hd.cfg.Directions, "HessianPenalty")
}
