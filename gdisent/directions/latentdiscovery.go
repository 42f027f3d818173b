package directions

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/nn"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Reconstructor is the Latent Discovery head: from an image pair it predicts direction logits [B, K] and the
// shift [B].
type Reconstructor func(ctx *context.Context, x1, x2 *Node) (logits, shift *Node)

// MLPReconstructor flattens and concatenates the pair and applies a ReLU MLP with the given hidden widths.
func MLPReconstructor(k int, hidden ...int) Reconstructor {
	return func(ctx *context.Context, x1, x2 *Node) (*Node, *Node) {
		h := Concatenate([]*Node{flatBatch(x1), flatBatch(x2)}, -1)
		for i, w := range hidden {
			h = activations.Relu(nn.Dense(ctx.Inf("h%d", i), h, w).Done())
		}
		return nn.Dense(ctx.In("type"), h, k).Done(), Reshape(nn.Dense(ctx.In("shift"), h, 1).Done(), -1)
	}
}

// ConvReconstructor is a LeNet-sized conv net for image pairs [B, H, W, C] (e.g. 64×64 dSprites), replacing the
// paper's ResNet18: the pair is stacked on channels, then four k4/s2 convs of `width`, 2·width, 2·width, 4·width
// with leaky ReLU, a Dense(256) and the two heads.
func ConvReconstructor(k, width int) Reconstructor {
	return func(ctx *context.Context, x1, x2 *Node) (*Node, *Node) {
		h := Concatenate([]*Node{x1, x2}, -1)
		for i, w := range []int{width, 2 * width, 2 * width, 4 * width} {
			h = activations.LeakyReluWithAlpha(nn.Conv(ctx.Inf("c%d", i), h, w).Kernel(4).Stride(2).Padding(1).Done(), 0.2)
		}
		h = activations.Relu(nn.Dense(ctx.In("fc"), flatBatch(h), 256).Done())
		return nn.Dense(ctx.In("type"), h, k).Done(), Reshape(nn.Dense(ctx.In("shift"), h, 1).Done(), -1)
	}
}

// LatentDiscoveryConfig configures LatentDiscovery; zero values take Voynov & Babenko's defaults.
type LatentDiscoveryConfig struct {
	LatentDim     int           // D
	Directions    int           // K ≤ D (paper (1): 10)
	Linear        bool          // A is a free D×K matrix (identity init) instead of ORTHO expm(S − Sᵀ)
	Batch         int           // default 32
	ShiftScale    float64       // ε ~ U[−ShiftScale, ShiftScale], default 6
	MinShift      float64       // |ε| < MinShift is pushed to ±MinShift, default 0.5
	ShiftWeight   float64       // weight of the L1 shift loss, default 0.25
	LR            float64       // Adam learning rate for A and R, default 1e-4
	DType         dtypes.DType  // default Float32
	Scope         string        // absolute scope of A, R and Adam state, default "/latent_discovery"
	Seed          uint64        // initial S (0.001·randn)
	Reconstructor Reconstructor // default MLPReconstructor(K, 256, 256)
}

// LatentDiscovery trains directions A and a reconstructor R with G frozen (Voynov & Babenko 2020): z ~ N(0, I),
// k ~ U{0..K−1}, ε ~ U[−6, 6] with |ε| ≥ 0.5, pair (G(z), G(z + A ε e_k)),
// L = CE(R_type, k) + 0.25·|R_shift − ε|.
type LatentDiscovery struct {
	ctx  *context.Context
	cfg  LatentDiscoveryConfig
	step *training.Step
	n    int64
}

// DiscoveryStats are the per-step training statistics.
type DiscoveryStats struct {
	Loss, CE, ShiftL1, Accuracy float64
}

// NewLatentDiscovery creates A (in cfg.Scope) and the train step for generator gen in ctx.
func NewLatentDiscovery(b backends.Backend, ctx *context.Context, gen Generator, cfg LatentDiscoveryConfig) (ld *LatentDiscovery, err error) {
	defer training.Recover(&err, "directions: NewLatentDiscovery")
	if err := backendOK(b); err != nil {
		return nil, err
	}
	if ctx == nil || gen == nil {
		return nil, errors.New("directions: NewLatentDiscovery: nil context or generator")
	}
	if cfg.LatentDim <= 0 || cfg.Directions <= 0 || cfg.Directions > cfg.LatentDim {
		return nil, errors.Errorf("directions: NewLatentDiscovery: need 0 < Directions (%d) ≤ LatentDim (%d)", cfg.Directions, cfg.LatentDim)
	}
	cfg = ldDefaults(cfg)
	d, k := cfg.LatentDim, cfg.Directions
	sctx := ctx.InAbsPath(cfg.Scope).Checked(false)
	rng := rand.New(rand.NewPCG(cfg.Seed, 99))
	var init []float64
	name := "S"
	if cfg.Linear {
		name = "A"
		init = make([]float64, d*k)
		for i := 0; i < k; i++ {
			init[i*k+i] = 1
		}
	} else {
		init = make([]float64, d*d)
		for i := range init {
			init[i] = 0.001 * rng.NormFloat64()
		}
	}
	cols := d
	if cfg.Linear {
		cols = k
	}
	t, err := tensorOf(cfg.DType, init, d, cols)
	if err != nil {
		return nil, err
	}
	if v := sctx.GetVariableByScopeAndName(sctx.Scope(), name); v == nil {
		sctx.VariableWithValue(name, t)
	}
	ld = &LatentDiscovery{ctx: ctx, cfg: cfg}
	ld.step, err = training.NewStep(b, ctx, "directions/latent_discovery", func(ctx *context.Context, _ *Node, _ []*Node, out *training.Outputs) {
		ld.stepGraph(ctx, out, gen)
	})
	if err != nil {
		return nil, err
	}
	return ld, nil
}

func ldDefaults(c LatentDiscoveryConfig) LatentDiscoveryConfig {
	if c.Batch <= 0 {
		c.Batch = 32
	}
	if c.ShiftScale == 0 {
		c.ShiftScale = 6
	}
	if c.MinShift == 0 {
		c.MinShift = 0.5
	}
	if c.ShiftWeight == 0 {
		c.ShiftWeight = 0.25
	}
	if c.LR == 0 {
		c.LR = 1e-4
	}
	c.DType = defaultDType(c.DType)
	c.Scope = absScope(c.Scope, "/latent_discovery")
	if c.Reconstructor == nil {
		c.Reconstructor = MLPReconstructor(c.Directions, 256, 256)
	}
	return c
}

func (ld *LatentDiscovery) matrix(sctx *context.Context, g *Graph) *Node {
	if ld.cfg.Linear {
		return sctx.GetVariable("A").ValueGraph(g)
	}
	return OrthogonalFromSkew(sctx.GetVariable("S").ValueGraph(g), ld.cfg.Directions)
}

func (ld *LatentDiscovery) stepGraph(ctx *context.Context, out *training.Outputs, gen Generator) {
	g := out.Graph()
	c := ld.cfg
	dt := c.DType
	sctx := ctx.InAbsPath(c.Scope).Checked(false)
	z := ctx.RandomNormal(g, shapes.Make(dt, c.Batch, c.LatentDim))
	k := ctx.RandomIntN(g, int32(c.Directions), shapes.Make(dtypes.Int32, c.Batch))
	u := ctx.RandomUniform(g, shapes.Make(dt, c.Batch))
	eps := MulScalar(SubScalar(MulScalar(u, 2), 1), c.ShiftScale)
	minShift := Where(IsNegative(eps), Scalar(g, dt, -c.MinShift), Scalar(g, dt, c.MinShift))
	eps = Where(LessThan(Abs(eps), Scalar(g, dt, c.MinShift)), minShift, eps)
	oh := OneHot(k, c.Directions, dt)
	a := ld.matrix(sctx, g)                                                            // D×K
	shift := DotGeneral(Mul(oh, InsertAxes(eps, -1)), []int{1}, nil, a, []int{1}, nil) // [B, D]
	x1 := StopGradient(frozenGen(ctx, gen, z))
	x2 := frozenGen(ctx, gen, Add(z, shift))
	logits, pred := c.Reconstructor(sctx.In("reconstructor"), x1, x2)
	ce := Neg(ReduceAllMean(ReduceSum(Mul(oh, LogSoftmax(logits, -1)), -1)))
	l1 := ReduceAllMean(Abs(Sub(pred, eps)))
	loss := Add(ce, MulScalar(l1, c.ShiftWeight))
	acc := ReduceAllMean(ConvertDType(Equal(ArgMax(logits, -1, dtypes.Int32), k), dt))
	out.Log("ce", ce)
	out.Log("shift_l1", l1)
	out.Log("accuracy", acc)
	minimize(ctx, out, c.Scope, loss, c.LR)
}

// Step runs one training step.
func (ld *LatentDiscovery) Step() (s DiscoveryStats, err error) {
	defer training.Recover(&err, "directions: LatentDiscovery step")
	m, err := runStep(ld.step, &ld.n, "directions: LatentDiscovery step")
	s = DiscoveryStats{Loss: m["loss"], CE: m["ce"], ShiftL1: m["shift_l1"], Accuracy: m["accuracy"]}
	return s, err
}

// Directions returns the current A (D×K) with unit columns (ORTHO: computed with gonum's expm).
func (ld *LatentDiscovery) Directions() (Directions, error) {
	return readDirections(ld.ctx, ld.cfg.Scope, ld.cfg.Linear, ld.cfg.Directions, "LatentDiscovery")
}
