package directions

import (
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/nn"
)

// scopeVars returns the trainable float variables whose scope is scope or below it.
func scopeVars(ctx *context.Context, scope string) []*context.Variable {
	var out []*context.Variable
	for v := range ctx.IterVariables() {
		s := v.Scope()
		if v.Trainable && v.DType().IsFloat() && (s == scope || strings.HasPrefix(s, scope+context.ScopeSeparator)) &&
			!strings.Contains(s, context.ScopeSeparator+"adam") {
			out = append(out, v)
		}
	}
	return out
}

// adamStep updates vars by Adam (Kingma & Ba 2015; β1 0.9, β2 0.999, ε 1e-8) on the gradient of loss. Its state
// lives under scope/adam. Only these variables change: everything else in ctx (e.g. G) stays frozen.
func adamStep(ctx *context.Context, scope string, loss *Node, vars []*context.Variable, lr float64) {
	g := loss.Graph()
	if len(vars) == 0 {
		panicf("directions: no trainable variables under %q", scope)
	}
	nodes := make([]*Node, len(vars))
	for i, v := range vars {
		nodes[i] = v.ValueGraph(g)
	}
	grads := Gradient(loss, nodes...)
	actx := ctx.InAbsPath(scope).In("adam").Checked(false).WithInitializer(initializers.Zero)
	stepVar := actx.VariableWithValue("step", float64(0)).SetTrainable(false)
	step := AddScalar(stepVar.ValueGraph(g), 1)
	stepVar.SetValueGraph(step)
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1 := OneMinus(Pow(Scalar(g, dtypes.Float64, b1), step))
	c2 := OneMinus(Pow(Scalar(g, dtypes.Float64, b2), step))
	for i, v := range vars {
		dt := v.DType()
		name := strings.ReplaceAll(v.ScopeAndName(), context.ScopeSeparator, "|")
		mVar := actx.VariableWithShape("m"+name, v.Shape()).SetTrainable(false)
		vVar := actx.VariableWithShape("v"+name, v.Shape()).SetTrainable(false)
		gr := grads[i]
		m := Add(MulScalar(mVar.ValueGraph(g), b1), MulScalar(gr, 1-b1))
		s := Add(MulScalar(vVar.ValueGraph(g), b2), MulScalar(Square(gr), 1-b2))
		mVar.SetValueGraph(m)
		vVar.SetValueGraph(s)
		mh := Div(m, ConvertDType(c1, dt))
		sh := Div(s, ConvertDType(c2, dt))
		upd := MulScalar(Div(mh, AddScalar(Sqrt(sh), eps)), lr)
		v.SetValueGraph(Sub(nodes[i], upd))
	}
}

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
	exec *context.Exec
}

// DiscoveryStats are the per-step training statistics.
type DiscoveryStats struct {
	Loss, CE, ShiftL1, Accuracy float64
}

// NewLatentDiscovery creates A (in cfg.Scope) and the train step for generator gen in ctx.
func NewLatentDiscovery(b backends.Backend, ctx *context.Context, gen Generator, cfg LatentDiscoveryConfig) (ld *LatentDiscovery, err error) {
	defer catch(&err, "directions: NewLatentDiscovery")
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
	ld.exec, err = context.NewExec(b, ctx, func(ctx *context.Context, g *Graph) []*Node {
		return ld.stepGraph(ctx, g, gen)
	})
	return ld, err
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
	if c.Scope == "" {
		c.Scope = "/latent_discovery"
	}
	if !strings.HasPrefix(c.Scope, context.ScopeSeparator) {
		c.Scope = context.ScopeSeparator + c.Scope
	}
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

func (ld *LatentDiscovery) stepGraph(ctx *context.Context, g *Graph, gen Generator) []*Node {
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
	x1 := StopGradient(genReuse(ctx, gen, z))
	x2 := genReuse(ctx, gen, Add(z, shift))
	logits, pred := c.Reconstructor(sctx.In("reconstructor"), x1, x2)
	ce := Neg(ReduceAllMean(ReduceSum(Mul(oh, LogSoftmax(logits, -1)), -1)))
	l1 := ReduceAllMean(Abs(Sub(pred, eps)))
	loss := Add(ce, MulScalar(l1, c.ShiftWeight))
	acc := ReduceAllMean(ConvertDType(Equal(ArgMax(logits, -1, dtypes.Int32), k), dt))
	adamStep(ctx, c.Scope, loss, scopeVars(ctx, c.Scope), c.LR)
	return []*Node{loss, ce, l1, acc}
}

// Step runs one training step.
func (ld *LatentDiscovery) Step() (s DiscoveryStats, err error) {
	defer catch(&err, "directions: LatentDiscovery step")
	res, err := ld.exec.Exec()
	if err != nil {
		return s, err
	}
	var v [4]float64
	for i := range v {
		f, err := floats(res[i])
		if err != nil {
			return s, err
		}
		v[i] = f[0]
	}
	s = DiscoveryStats{Loss: v[0], CE: v[1], ShiftL1: v[2], Accuracy: v[3]}
	if math.IsNaN(s.Loss) {
		return s, errors.New("directions: LatentDiscovery loss is NaN")
	}
	return s, nil
}

// Directions returns the current A (D×K) with unit columns (ORTHO: computed with gonum's expm).
func (ld *LatentDiscovery) Directions() (Directions, error) {
	return readDirections(ld.ctx, ld.cfg.Scope, ld.cfg.Linear, ld.cfg.Directions, "LatentDiscovery")
}

func readDirections(ctx *context.Context, scope string, linear bool, k int, method string) (dirs Directions, err error) {
	defer catch(&err, "directions: reading %s directions", method)
	name := "S"
	if linear {
		name = "A"
	}
	v := ctx.GetVariableByScopeAndName(scope, name)
	if v == nil {
		return dirs, errors.Errorf("directions: no variable %s/%s", scope, name)
	}
	t, err := v.Value()
	if err != nil {
		return dirs, err
	}
	m, err := WeightMatrix(t, 0)
	if err != nil {
		return dirs, err
	}
	d, _ := m.Dims()
	out := mat.NewDense(d, k, nil)
	if linear {
		out.Copy(m)
	} else {
		var skew, e mat.Dense
		skew.Sub(m, m.T())
		e.Exp(&skew)
		out.Copy(e.Slice(0, d, 0, k))
	}
	for j := 0; j < k; j++ {
		n := mat.Norm(out.ColView(j), 2)
		if n == 0 {
			return dirs, errors.Errorf("directions: %s direction %d is zero", method, j)
		}
		for i := 0; i < d; i++ {
			out.Set(i, j, out.At(i, j)/n)
		}
	}
	return Directions{Method: method, Vectors: out}, nil
}
