package training

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/pkg/errors"
)

// Hyperparameter keys read by Adam from its context scope (and parents), with GoMLX's names.
const (
	ParamLearningRate = "learning_rate" // default 1e-3
	ParamAdamBeta1    = "adam_beta1"    // default 0.9
	ParamAdamBeta2    = "adam_beta2"    // default 0.999
	ParamAdamEpsilon  = "adam_epsilon"  // default 1e-8
)

// OptimizerScope is the root scope under which optimiser state lives: OptimizerScope/<name>/...
const OptimizerScope = "/training_optimizers"

// Adam is the Adam optimiser (Kingma & Ba 2015, arXiv:1412.6980) restricted to the trainable variables under one
// absolute context scope. Its moments and step counter live in OptimizerScope/<name>, so two Adams over disjoint
// scopes (generator, discriminator, ...) never touch each other's variables or state.
//
// GoMLX's optimizers.Adam updates every trainable variable used by the graph, which is why gdisent has its own.
type Adam struct {
	name, scope               string
	lr, beta1, beta2, epsilon float64
	set                       map[string]bool // explicitly set hyperparameters (override the context)
}

// NewAdam returns an Adam over the trainable variables under ctx.Scope(). Hyperparameters not set with the builder
// methods are read now from ctx (ParamLearningRate, ParamAdamBeta1, ParamAdamBeta2, ParamAdamEpsilon), searching
// from ctx's scope up to the root. Its state name defaults to the scope path, e.g. "/gan/generator" → "gan_generator".
func NewAdam(ctx *context.Context) *Adam {
	scope := ctx.Scope()
	name := strings.Trim(strings.ReplaceAll(scope, context.ScopeSeparator, "_"), "_")
	if name == "" {
		name = "root"
	}
	a := &Adam{name: name, scope: scope, set: map[string]bool{}}
	a.lr = context.GetParamOr(ctx, ParamLearningRate, 1e-3)
	a.beta1 = context.GetParamOr(ctx, ParamAdamBeta1, 0.9)
	a.beta2 = context.GetParamOr(ctx, ParamAdamBeta2, 0.999)
	a.epsilon = context.GetParamOr(ctx, ParamAdamEpsilon, 1e-8)
	return a
}

// Name sets the name of the optimiser's state scope (OptimizerScope/name).
func (a *Adam) Name(name string) *Adam { a.name = name; return a }

// LearningRate sets the step size α.
func (a *Adam) LearningRate(lr float64) *Adam { a.lr = lr; return a }

// Betas sets the moment decay rates β1 and β2 (InfoGAN and DCGAN use β1 = 0.5).
func (a *Adam) Betas(beta1, beta2 float64) *Adam { a.beta1, a.beta2 = beta1, beta2; return a }

// Epsilon sets the denominator's ε.
func (a *Adam) Epsilon(eps float64) *Adam { a.epsilon = eps; return a }

// Scope returns the absolute scope of the variables the optimiser updates.
func (a *Adam) Scope() string { return a.scope }

// StateScope returns the absolute scope of the optimiser's state.
func (a *Adam) StateScope() string { return OptimizerScope + context.ScopeSeparator + a.name }

// Validate checks the hyperparameters.
func (a *Adam) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case a.name == "":
		return errors.New("training.Adam: empty name")
	case bad(a.lr) || a.lr < 0:
		return errors.Errorf("training.Adam(%s): learning rate must be finite and >= 0, got %g", a.scope, a.lr)
	case bad(a.beta1) || a.beta1 < 0 || a.beta1 >= 1:
		return errors.Errorf("training.Adam(%s): beta1 must be in [0, 1), got %g", a.scope, a.beta1)
	case bad(a.beta2) || a.beta2 < 0 || a.beta2 >= 1:
		return errors.Errorf("training.Adam(%s): beta2 must be in [0, 1), got %g", a.scope, a.beta2)
	case bad(a.epsilon) || a.epsilon < 0:
		return errors.Errorf("training.Adam(%s): epsilon must be finite and >= 0, got %g", a.scope, a.epsilon)
	}
	return nil
}

// inScope reports whether the variable's scope is scope or below it.
func inScope(varScope, scope string) bool {
	if scope == context.RootScope {
		return true
	}
	return varScope == scope || strings.HasPrefix(varScope, scope+context.ScopeSeparator)
}

// Variables returns the trainable variables under the optimiser's scope used by graph g, in context order.
func (a *Adam) Variables(ctx *context.Context, g *Graph) []*context.Variable {
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.DType().IsFloat() && v.InUseByGraph(g) && inScope(v.Scope(), a.scope) && !inScope(v.Scope(), OptimizerScope) {
			vars = append(vars, v)
		}
	}
	return vars
}

// applyGraph updates vars with their gradients grads (graph-building; panics on errors).
func (a *Adam) applyGraph(ctx *context.Context, g *Graph, vars []*context.Variable, grads []*Node) {
	state := ctx.InAbsPath(a.StateScope()).Checked(false).WithInitializer(initializers.Zero)
	stepVar := state.VariableWithShape("step", shapes.Make(dtypes.Int64)).SetTrainable(false)
	t := AddScalar(stepVar.ValueGraph(g), 1)
	stepVar.SetValueGraph(t)
	for i, v := range vars {
		dtype := v.DType()
		if !dtype.IsFloat() {
			panic(errors.Errorf("training.Adam(%s): variable %s has non-float dtype %s", a.scope, v.ScopeAndName(), dtype))
		}
		// Bias corrections in float64 precision, then cast: α_t = α·sqrt(1-β2^t)/(1-β1^t).
		tf := ConvertDType(t, dtypes.Float64)
		c1 := OneMinus(Pow(Scalar(g, dtypes.Float64, a.beta1), tf))
		c2 := OneMinus(Pow(Scalar(g, dtypes.Float64, a.beta2), tf))
		vs := state.InAbsPath(a.StateScope() + v.Scope())
		mVar := vs.VariableWithShape(v.Name()+"_m", v.Shape()).SetTrainable(false)
		sVar := vs.VariableWithShape(v.Name()+"_v", v.Shape()).SetTrainable(false)
		grad := grads[i]
		m := Add(MulScalar(mVar.ValueGraph(g), a.beta1), MulScalar(grad, 1-a.beta1))
		s := Add(MulScalar(sVar.ValueGraph(g), a.beta2), MulScalar(Square(grad), 1-a.beta2))
		mVar.SetValueGraph(m)
		sVar.SetValueGraph(s)
		mHat := Div(m, ConvertDType(c1, dtype))
		sHat := Div(s, ConvertDType(c2, dtype))
		update := Div(MulScalar(mHat, a.lr), AddScalar(Sqrt(sHat), a.epsilon))
		v.SetValueGraph(Sub(v.ValueGraph(g), update))
	}
}

// Reset re-initialises, with their initializers, the variables under the optimiser's scope (trainable or not, e.g.
// batch-norm statistics) and zeroes its state, as InfoGAN-CR does to its contrastive discriminator when the
// regulariser is switched on (Lin et al. 2020). Random initializers draw from the context's RNG, so a seeded run
// resets identically.
func (a *Adam) Reset(backend backends.Backend, ctx *context.Context) error {
	return ResetScopes(backend, ctx, a.scope, a.StateScope())
}

// ResetScopes re-initialises every variable under the given absolute scopes with its initializer.
func ResetScopes(backend backends.Backend, ctx *context.Context, scopes ...string) (err error) {
	defer Recover(&err, "training.ResetScopes")
	n := 0
	for v := range ctx.IterVariables() {
		for _, s := range scopes {
			if inScope(v.Scope(), s) {
				if err := v.Reset(); err != nil {
					return errors.WithMessagef(err, "training.ResetScopes: resetting %s", v.ScopeAndName())
				}
				n++
				break
			}
		}
	}
	if n == 0 {
		return nil
	}
	if err := ctx.InitializeVariables(backend, nil); err != nil {
		return errors.WithMessagef(err, "training.ResetScopes(%v): re-initialising %d variables", scopes, n)
	}
	return nil
}

// Recover, deferred, turns a panic (GoMLX reports bad shapes and graph errors as panics) into *err, prefixed with
// the formatted context: `defer training.Recover(&err, "vae.Train")`.
func Recover(err *error, format string, args ...any) {
	if r := recover(); r != nil {
		where := fmt.Sprintf(format, args...)
		if e, ok := r.(error); ok {
			*err = errors.WithMessage(e, where)
		} else {
			*err = errors.Errorf("%s: %v", where, r)
		}
	}
}
