package training

import (
	"fmt"
	"math"
	"sort"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
)

// Metrics are the named scalars one training step reports (losses, KL terms, accuracies).
type Metrics map[string]float64

// Merge copies other into m (other wins on equal names) and returns m; m may be nil.
func (m Metrics) Merge(other Metrics) Metrics {
	if m == nil {
		m = Metrics{}
	}
	for k, v := range other {
		m[k] = v
	}
	return m
}

// Names returns the metric names, sorted.
func (m Metrics) Names() []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// NonFiniteError reports a NaN or ±Inf loss (or parameter update) at a training step.
type NonFiniteError struct {
	Step  int64   // the step (0-based) whose values were not finite
	Name  string  // the loss or metric name; UpdateName for a non-finite parameter update
	Value float64 // the offending value
	// Checkpoint is the path of the last good checkpoint kept on disk ("" when none was written).
	Checkpoint string
}

// UpdateName is NonFiniteError.Name when the losses were finite but a variable update was not (e.g. an infinite
// gradient).
const UpdateName = "<parameter update>"

func (e *NonFiniteError) Error() string {
	msg := fmt.Sprintf("training stopped at step %d: %q is %v", e.Step, e.Name, e.Value)
	if e.Name == UpdateName {
		msg = fmt.Sprintf("training stopped at step %d: a parameter update is not finite (losses were finite)", e.Step)
	}
	if e.Checkpoint != "" {
		msg += fmt.Sprintf("; last good checkpoint kept: %s", e.Checkpoint)
	}
	return msg
}

// StepFn builds the graph of one training step. step is the 0-based step number (int64 scalar, handy for
// schedules such as AnnealedVAE's capacity) and inputs are the tensors given to Step.Run. It reports scalars with
// out.Log and registers objectives with out.Minimize. The context is marked as training (ctx.IsTraining) and is
// unchecked (existing variables are reused), since several steps share networks.
type StepFn func(ctx *context.Context, step *Node, inputs []*Node, out *Outputs)

// Outputs collects what a StepFn logs and minimises.
type Outputs struct {
	ctx        *context.Context
	g          *Graph
	names      []string
	values     []*Node
	objectives []objective
}

type objective struct {
	name string
	loss *Node
	opt  *Adam
}

// Graph returns the graph being built.
func (o *Outputs) Graph() *Graph { return o.g }

// Log reports a scalar under name (it is checked for NaN/Inf and recorded in the History).
func (o *Outputs) Log(name string, scalar *Node) {
	if name == "" {
		panic(errors.New("training: Outputs.Log with an empty name"))
	}
	for _, n := range o.names {
		if n == name {
			panic(errors.Errorf("training: Outputs.Log(%q) called twice", name))
		}
	}
	if scalar == nil || !scalar.Shape().IsScalar() || !scalar.DType().IsFloat() {
		panic(errors.Errorf("training: Outputs.Log(%q) needs a float scalar, got %v", name, shapeOrNil(scalar)))
	}
	o.names = append(o.names, name)
	o.values = append(o.values, scalar)
}

// Minimize registers a scalar loss to be minimised by opt over its scope's trainable variables, and logs it under
// name (unless name is ""). Several objectives may share a graph as long as their optimisers' variables are
// disjoint; all gradients are taken before any variable is updated.
func (o *Outputs) Minimize(name string, loss *Node, opt *Adam) {
	if opt == nil {
		panic(errors.Errorf("training: Outputs.Minimize(%q) with a nil optimiser", name))
	}
	if err := opt.Validate(); err != nil {
		panic(err)
	}
	if loss == nil || !loss.Shape().IsScalar() || !loss.DType().IsFloat() {
		panic(errors.Errorf("training: Outputs.Minimize(%q) needs a float scalar loss, got %v", name, shapeOrNil(loss)))
	}
	if name != "" {
		o.Log(name, loss)
	}
	o.objectives = append(o.objectives, objective{name: name, loss: loss, opt: opt})
}

func shapeOrNil(x *Node) any {
	if x == nil {
		return "nil"
	}
	return x.Shape()
}

// Step is a compiled training step: one graph that computes the logged scalars and applies the optimisers.
// It is compiled on the first Run (and again only if input shapes change).
type Step struct {
	name    string
	backend backends.Backend
	ctx     *context.Context
	fn      StepFn
	exec    *context.Exec
	names   []string
	guard   bool
}

// NewStep prepares a train step named name (used in error messages) over ctx's variables.
func NewStep(backend backends.Backend, ctx *context.Context, name string, fn StepFn) (s *Step, err error) {
	defer Recover(&err, "training.NewStep(%s)", name)
	if backend == nil || ctx == nil || fn == nil {
		return nil, errors.Errorf("training.NewStep(%q): backend, ctx and fn must be non-nil", name)
	}
	s = &Step{name: name, backend: backend, ctx: ctx, fn: fn, guard: true}
	s.exec, err = context.NewExecAny(backend, ctx, s.build)
	if err != nil {
		return nil, errors.WithMessagef(err, "training.NewStep(%q)", name)
	}
	s.exec.SetMaxCache(4)
	return s, nil
}

// GuardNonFinite sets whether a step whose logged values or updates are not all finite leaves every variable
// unchanged (default true). The guard costs one select per variable element per step.
func (s *Step) GuardNonFinite(on bool) *Step { s.guard = on; return s }

// Names returns the logged names in Log order (known after the first Run).
func (s *Step) Names() []string { return s.names }

// build is the context.Exec graph function: inputs[0] is the step number, the rest are the user inputs.
func (s *Step) build(ctx *context.Context, inputs []*Node) []*Node {
	g := inputs[0].Graph()
	// Unchecked: several steps share networks (a GAN's D and G steps both build D and G), and restored
	// checkpoint values are claimed when a graph creates their variables.
	ctx = ctx.Checked(false)
	ctx.SetTraining(g, true)
	out := &Outputs{ctx: ctx, g: g}
	s.fn(ctx, inputs[0], inputs[1:], out)

	// Gradients of every objective first, against the variables' current graph values, then the updates.
	type pending struct {
		opt   *Adam
		vars  []*context.Variable
		grads []*Node
	}
	var updates []pending
	owner := map[*context.Variable]string{}
	for _, obj := range out.objectives {
		vars := obj.opt.Variables(ctx, g)
		if len(vars) == 0 {
			panic(errors.Errorf("training: step %q: objective %q: no trainable variables under scope %q are used by the graph",
				s.name, obj.name, obj.opt.Scope()))
		}
		values := make([]*Node, len(vars))
		for i, v := range vars {
			if prev, ok := owner[v]; ok {
				panic(errors.Errorf("training: step %q: variable %s is optimised by both %q and %q; optimiser scopes must be disjoint",
					s.name, v.ScopeAndName(), prev, obj.name))
			}
			owner[v] = obj.name
			values[i] = v.ValueGraph(g)
		}
		updates = append(updates, pending{obj.opt, vars, Gradient(obj.loss, values...)})
	}
	for _, u := range updates {
		u.opt.applyGraph(ctx, g, u.vars, u.grads)
	}

	// Finiteness of the logged values and of every updated float variable: x-x is 0, or NaN for NaN/±Inf.
	zero := ScalarZero(g, dtypes.Float64)
	lossCheck, updateCheck := zero, zero
	for _, v := range out.values {
		lossCheck = Add(lossCheck, ConvertDType(Sub(v, v), dtypes.Float64))
	}
	var changed []*context.Variable
	for v := range ctx.IterVariables() {
		if v.ChangedInGraph(g) {
			changed = append(changed, v)
			if nv := v.ValueGraph(g); nv.DType().IsFloat() {
				updateCheck = Add(updateCheck, ConvertDType(ReduceAllSum(Sub(nv, nv)), dtypes.Float64))
			}
		}
	}
	lossesFinite := Equal(lossCheck, zero)
	updatesFinite := Equal(updateCheck, zero)
	if s.guard {
		ok := LogicalAnd(lossesFinite, updatesFinite)
		for _, v := range changed {
			if v.Scope() == context.RootScope && v.Name() == context.RNGStateVariableName {
				// Not guarded: SimpleGo (v0.26) writes a fresh, partly uninitialised RNG state when the old
				// state is still read elsewhere, which would break bit-exact resumption. After a non-finite
				// step only the random stream advances.
				continue
			}
			nv := v.ValueGraph(g)
			old := g.GetParameterByName(v.ParameterName()) // the value before the step
			if old == nil {
				panic(errors.Errorf("training: step %q: no parameter node for variable %s", s.name, v.ScopeAndName()))
			}
			v.SetValueGraph(Where(BroadcastToShape(ok, nv.Shape()), nv, old))
		}
	}
	results := make([]*Node, 0, len(out.values)+1)
	for _, v := range out.values {
		results = append(results, ConvertDType(v, dtypes.Float64))
	}
	results = append(results, ConvertDType(updatesFinite, dtypes.Float64))
	names := append([]string(nil), out.names...)
	if s.names != nil && !equalStrings(s.names, names) {
		panic(errors.Errorf("training: step %q: logged names changed between graphs: %v vs %v", s.name, s.names, names))
	}
	s.names = names
	return []*Node{Stack(results, 0)}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Run executes the step: step is the 0-based step number, inputs are tensors (*tensors.Tensor) or Go values
// accepted by GoMLX (e.g. [][]float32). It returns the logged metrics, or a *NonFiniteError (with every variable
// left unchanged when the guard is on) if a logged value or an update is not finite.
func (s *Step) Run(step int64, inputs ...any) (m Metrics, err error) {
	defer Recover(&err, "training: step %q at %d", s.name, step)
	args := make([]any, 0, len(inputs)+1)
	args = append(args, tensors.FromScalar(step))
	args = append(args, inputs...)
	outs, err := s.exec.Exec(args...)
	if err != nil {
		return nil, errors.WithMessagef(err, "training: step %q at %d", s.name, step)
	}
	if len(outs) != 1 {
		return nil, errors.Errorf("training: step %q: expected 1 output, got %d", s.name, len(outs))
	}
	vals, err := tensors.CopyFlatData[float64](outs[0])
	outs[0].FinalizeAll()
	if err != nil {
		return nil, errors.WithMessagef(err, "training: step %q: reading outputs", s.name)
	}
	m = make(Metrics, len(s.names))
	for i, n := range s.names {
		m[n] = vals[i]
	}
	for i, n := range s.names {
		if math.IsNaN(vals[i]) || math.IsInf(vals[i], 0) {
			return m, &NonFiniteError{Step: step, Name: n, Value: vals[i]}
		}
	}
	if vals[len(vals)-1] != 1 {
		return m, &NonFiniteError{Step: step, Name: UpdateName, Value: math.NaN()}
	}
	return m, nil
}

// Tensor wraps flat float32 data with the given dimensions, e.g. a batch of images [B, H, W, C].
func Tensor(data []float32, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(data, dims...)
}
