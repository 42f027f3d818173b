package gan

import (
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
)

// UnrollOptimizer is the update rule of the unrolled discriminator steps.
type UnrollOptimizer string

const (
	// UnrollSGD is θ ← θ − η∇L: exact, cheap, and the default.
	UnrollSGD UnrollOptimizer = "sgd"
	// UnrollAdam is Adam as in Metz et al. (2017): the moments start from the discriminator's own Adam state when
	// Unroll.AdamStateScope names it (else from zero), with the square root taken as √(v̂ + ε²) so that the second
	// derivative stays finite where v̂ = 0.
	UnrollAdam UnrollOptimizer = "adam"
)

// Unroll configures K functional discriminator updates (Metz et al. 2017, "Unrolled Generative Adversarial
// Networks", arXiv:1611.02163). Inside one graph, Apply replaces the discriminator variables' graph values by
// θ_K, where θ_{k+1} = θ_k − update(∇_θ L_D(θ_k)); a generator loss built with D afterwards depends on the
// generator through every θ_k, so its gradient is the full second-order one (not the first-order shortcut that
// treats θ_K as a constant). The discriminator's stored variables are never changed by the unroll.
type Unroll struct {
	Steps        int             // K >= 0; 0 makes Apply a no-op
	LearningRate float64         // η of the inner steps
	Optimizer    UnrollOptimizer // "" means UnrollSGD
	// Adam settings (UnrollAdam only); zero values mean β1 0.5, β2 0.999, ε 1e-8.
	Beta1, Beta2, Epsilon float64
	// AdamStateScope optionally names the absolute scope of the discriminator's training Adam state (e.g.
	// training.Adam.StateScope()), laid out as <state scope><variable scope>/<name>_m, _v and <state scope>/step.
	AdamStateScope string
}

// Validate checks the configuration.
func (u Unroll) Validate() error {
	if u.Steps < 0 {
		return errors.Errorf("gan.Unroll: steps must be >= 0, got %d", u.Steps)
	}
	if u.Steps > 0 && (!(u.LearningRate > 0) || math.IsInf(u.LearningRate, 0)) {
		return errors.Errorf("gan.Unroll: learning rate must be finite and > 0, got %g", u.LearningRate)
	}
	switch u.Optimizer {
	case "", UnrollSGD, UnrollAdam:
	default:
		return errors.Errorf("gan.Unroll: unknown optimizer %q (want %q or %q)", u.Optimizer, UnrollSGD, UnrollAdam)
	}
	for _, b := range []float64{u.Beta1, u.Beta2} {
		if b < 0 || b >= 1 || math.IsNaN(b) {
			return errors.Errorf("gan.Unroll: Adam betas must be in [0, 1), got %g", b)
		}
	}
	if u.Epsilon < 0 || math.IsNaN(u.Epsilon) {
		return errors.Errorf("gan.Unroll: epsilon must be >= 0, got %g", u.Epsilon)
	}
	return nil
}

// InScope reports whether a variable scope is scope or below it.
func InScope(varScope, scope string) bool {
	if scope == context.RootScope {
		return true
	}
	return varScope == scope || strings.HasPrefix(varScope, scope+context.ScopeSeparator)
}

// Apply unrolls the variables under the absolute scope (the discriminator) for u.Steps steps of the loss built by
// lossFn (called once per step; it must build the discriminator loss with ctx's current variable values, so use
// an unchecked or reusing context). Afterwards the graph values of those variables are θ_K; call restore to put
// back the values they had before Apply (do it before building anything that should see the actual
// discriminator, e.g. InfoGAN's Q loss, and before the graph is finished so that no variable is written back).
// Graph-building function: it panics on invalid arguments, like GoMLX layers.
func (u Unroll) Apply(ctx *context.Context, g *Graph, scope string, lossFn func() *Node) (restore func()) {
	if err := u.Validate(); err != nil {
		panic(err)
	}
	if ctx == nil || g == nil || lossFn == nil {
		panic(errors.New("gan.Unroll.Apply: ctx, graph and lossFn must be non-nil"))
	}
	before := map[*context.Variable]*Node{}
	for v := range ctx.IterVariables() {
		if InScope(v.Scope(), scope) && v.InUseByGraph(g) {
			before[v] = v.ValueGraph(g)
		}
	}
	restore = func() {
		for v := range ctx.IterVariables() {
			if !InScope(v.Scope(), scope) || !v.InUseByGraph(g) {
				continue
			}
			if old, ok := before[v]; ok {
				v.SetValueGraph(old)
			} else if p := g.GetParameterByName(v.ParameterName()); p != nil {
				v.SetValueGraph(p)
			}
		}
	}
	if u.Steps == 0 {
		return restore
	}
	opt := u.Optimizer
	if opt == "" {
		opt = UnrollSGD
	}
	b1, b2, eps := u.Beta1, u.Beta2, u.Epsilon
	if b1 == 0 {
		b1 = 0.5
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	var vars []*context.Variable
	var ms, vs []*Node
	var t0 *Node
	for k := range u.Steps {
		loss := lossFn()
		if loss == nil || !loss.Shape().IsScalar() {
			panic(errors.Errorf("gan.Unroll.Apply: lossFn must return a scalar, got %v", shapeOf(loss)))
		}
		if k == 0 {
			for v := range ctx.IterVariables() {
				if v.Trainable && v.DType().IsFloat() && InScope(v.Scope(), scope) && v.InUseByGraph(g) {
					vars = append(vars, v)
				}
			}
			if len(vars) == 0 {
				panic(errors.Errorf("gan.Unroll.Apply: no trainable variables under %q are used by the loss", scope))
			}
			if opt == UnrollAdam {
				ms, vs = make([]*Node, len(vars)), make([]*Node, len(vars))
				t0 = Scalar(g, dtypes.Float64, 0)
				if u.AdamStateScope != "" {
					if sv := ctx.InspectVariable(u.AdamStateScope, "step"); sv != nil {
						t0 = ConvertDType(sv.ValueGraph(g), dtypes.Float64)
					}
				}
				for i, v := range vars {
					ms[i], vs[i] = ZerosLike(v.ValueGraph(g)), ZerosLike(v.ValueGraph(g))
					if u.AdamStateScope != "" {
						st := u.AdamStateScope + v.Scope()
						if mv := ctx.InspectVariable(st, v.Name()+"_m"); mv != nil && mv.Shape().Equal(v.Shape()) {
							ms[i] = mv.ValueGraph(g)
						}
						if vv := ctx.InspectVariable(st, v.Name()+"_v"); vv != nil && vv.Shape().Equal(v.Shape()) {
							vs[i] = vv.ValueGraph(g)
						}
					}
				}
			}
		}
		values := make([]*Node, len(vars))
		for i, v := range vars {
			values[i] = v.ValueGraph(g)
		}
		grads := Gradient(loss, values...)
		for i, v := range vars {
			theta, grad := values[i], grads[i]
			if opt == UnrollSGD {
				v.SetValueGraph(Sub(theta, MulScalar(grad, u.LearningRate)))
				continue
			}
			dt := theta.DType()
			t := AddScalar(t0, float64(k+1))
			c1 := ConvertDType(OneMinus(Pow(Scalar(g, dtypes.Float64, b1), t)), dt)
			c2 := ConvertDType(OneMinus(Pow(Scalar(g, dtypes.Float64, b2), t)), dt)
			ms[i] = Add(MulScalar(ms[i], b1), MulScalar(grad, 1-b1))
			vs[i] = Add(MulScalar(vs[i], b2), MulScalar(Square(grad), 1-b2))
			mHat, vHat := Div(ms[i], c1), Div(vs[i], c2)
			step := Div(MulScalar(mHat, u.LearningRate), Sqrt(AddScalar(vHat, eps*eps)))
			v.SetValueGraph(Sub(theta, step))
		}
	}
	return restore
}

// RestoreScope puts the graph values of every variable under the absolute scope back to the values they had when
// the graph started (their parameter nodes), discarding in-graph updates such as spectral-norm power iterations or
// batch-norm statistics made while another network was being trained.
func RestoreScope(ctx *context.Context, g *Graph, scope string) {
	for v := range ctx.IterVariables() {
		if InScope(v.Scope(), scope) && v.ChangedInGraph(g) {
			if p := g.GetParameterByName(v.ParameterName()); p != nil {
				v.SetValueGraph(p)
			}
		}
	}
}
