package training

import (
	"bytes"
	stdcontext "context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/nn"
)

func testBackend(t *testing.T) backends.Backend {
	t.Helper()
	backend.Report = nil
	b, err := backend.New()
	if err != nil {
		t.Fatalf("backend: %v", err)
	}
	return b
}

func varValues(t *testing.T, ctx *context.Context, scope string) map[string][]float32 {
	t.Helper()
	out := map[string][]float32{}
	for v := range ctx.IterVariables() {
		if v.DType() != dtypes.Float32 || !inScope(v.Scope(), scope) {
			continue
		}
		out[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](v.MustValue())
	}
	return out
}

// TestAdamMatchesReference checks the update against Adam computed by hand in float64.
func TestAdamMatchesReference(t *testing.T) {
	b := testBackend(t)
	ctx := context.New()
	lr, b1, b2, eps := 0.1, 0.5, 0.9, 1e-8
	opt := NewAdam(ctx.In("m")).LearningRate(lr).Betas(b1, b2).Epsilon(eps)
	target := []float32{1, -2, 3}
	step, err := NewStep(b, ctx, "adam", func(ctx *context.Context, _ *Node, in []*Node, out *Outputs) {
		w := ctx.In("m").WithInitializer(initializers.Zero).VariableWithShape("w", shapes.Make(dtypes.Float32, 3)).ValueGraph(in[0].Graph())
		out.Minimize("loss", ReduceAllSum(Square(Sub(w, in[0]))), opt)
	})
	if err != nil {
		t.Fatal(err)
	}
	w, m, v := make([]float64, 3), make([]float64, 3), make([]float64, 3)
	for s := 1; s <= 4; s++ {
		if _, err := step.Run(int64(s-1), target); err != nil {
			t.Fatal(err)
		}
		for i := range w {
			g := 2 * (w[i] - float64(target[i]))
			m[i] = b1*m[i] + (1-b1)*g
			v[i] = b2*v[i] + (1-b2)*g*g
			mh, vh := m[i]/(1-math.Pow(b1, float64(s))), v[i]/(1-math.Pow(b2, float64(s)))
			w[i] -= lr * mh / (math.Sqrt(vh) + eps)
		}
	}
	got := tensors.MustCopyFlatData[float32](ctx.GetVariableByScopeAndName("/m", "w").MustValue())
	for i := range w {
		if math.Abs(float64(got[i])-w[i]) > 1e-5 {
			t.Fatalf("w[%d]=%g, reference Adam gives %g", i, got[i], w[i])
		}
	}
}

// twoNets builds a step where only scope "a" is optimised although both "a" and "b" are used.
func twoNets(t *testing.T, b backends.Backend, ctx *context.Context) (*Step, *Adam) {
	optA := NewAdam(ctx.In("a")).LearningRate(0.05)
	step, err := NewStep(b, ctx, "two", func(ctx *context.Context, _ *Node, in []*Node, out *Outputs) {
		ha := nn.Dense(ctx.In("a"), in[0], 4).Done()
		hb := nn.Dense(ctx.In("b"), in[0], 4).Done()
		out.Minimize("loss", ReduceAllMean(Square(Add(ha, hb))), optA)
	})
	if err != nil {
		t.Fatal(err)
	}
	return step, optA
}

func TestOptimizerScopesAndReset(t *testing.T) {
	b := testBackend(t)
	ctx := context.New()
	if err := SeedContext(ctx, 7); err != nil {
		t.Fatal(err)
	}
	step, optA := twoNets(t, b, ctx)
	x := [][]float32{{1, 2}, {3, 4}}
	if _, err := step.Run(0, x); err != nil {
		t.Fatal(err)
	}
	a0, b0 := varValues(t, ctx, "/a"), varValues(t, ctx, "/b")
	for s := int64(1); s < 4; s++ {
		if _, err := step.Run(s, x); err != nil {
			t.Fatal(err)
		}
	}
	a1, b1 := varValues(t, ctx, "/a"), varValues(t, ctx, "/b")
	if equalVars(a0, a1) {
		t.Fatal("scope /a was not updated")
	}
	if !equalVars(b0, b1) {
		t.Fatal("scope /b changed although only /a is optimised")
	}
	if stepVar := ctx.GetVariableByScopeAndName(optA.StateScope(), "step"); tensors.ToScalar[int64](stepVar.MustValue()) != 4 {
		t.Fatalf("Adam step = %v, want 4", stepVar.MustValue())
	}
	// Reset /a: weights re-drawn, Adam state zero, /b untouched.
	if err := optA.Reset(b, ctx); err != nil {
		t.Fatal(err)
	}
	if tensors.ToScalar[int64](ctx.GetVariableByScopeAndName(optA.StateScope(), "step").MustValue()) != 0 {
		t.Fatal("Adam step not reset")
	}
	for name, vals := range varValues(t, ctx, optA.StateScope()) {
		for _, x := range vals {
			if x != 0 {
				t.Fatalf("Adam state %s not zeroed", name)
			}
		}
	}
	if equalVars(a1, varValues(t, ctx, "/a")) {
		t.Fatal("scope /a weights not re-initialised")
	}
	if !equalVars(b1, varValues(t, ctx, "/b")) {
		t.Fatal("reset of /a touched /b")
	}
	if _, err := step.Run(4, x); err != nil { // the compiled step still works after the reset
		t.Fatal(err)
	}
}

func equalVars(a, b map[string][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb := b[k]
		if len(va) != len(vb) {
			return false
		}
		for i := range va {
			if math.Float32bits(va[i]) != math.Float32bits(vb[i]) {
				return false
			}
		}
	}
	return true
}

// noisyModel is a small regression with in-graph noise (ctx RNG) and data drawn from the step's rng, so exact
// resumption needs the RNG state, the Adam state and (seed, step) sampling to be restored.
func noisyModel(t *testing.T, b backends.Backend, ctx *context.Context, nanAt int64) StepFunc {
	opt := NewAdam(ctx.In("model")).LearningRate(0.01)
	step, err := NewStep(b, ctx, "noisy", func(ctx *context.Context, _ *Node, in []*Node, out *Outputs) {
		g := in[0].Graph()
		x := Add(in[0], MulScalar(ctx.RandomNormal(g, in[0].Shape()), 0.1))
		h := nn.Dense(ctx.In("model").In("l1"), x, 8).Done()
		y := nn.Dense(ctx.In("model").In("l2"), Tanh(h), 1).Done()
		loss := ReduceAllMean(Square(Sub(y, in[1])))
		out.Minimize("loss", loss, opt)
		out.Log("y_mean", ReduceAllMean(y))
	})
	if err != nil {
		t.Fatal(err)
	}
	return func(s int64, rng *rand.Rand) (Metrics, error) {
		const n = 16
		xs, ys := make([]float32, n*3), make([]float32, n)
		for i := 0; i < n; i++ {
			for j := 0; j < 3; j++ {
				xs[i*3+j] = float32(rng.NormFloat64())
			}
			ys[i] = xs[i*3] - 2*xs[i*3+1] + 0.5*xs[i*3+2]
			if s == nanAt && i == 3 {
				ys[i] = float32(math.NaN())
			}
		}
		return step.Run(s, Tensor(xs, n, 3), Tensor(ys, n, 1))
	}
}

func TestResumeIsExact(t *testing.T) {
	b := testBackend(t)
	dirA, dirB := t.TempDir(), t.TempDir()

	ctxA := context.New()
	_ = SeedContext(ctxA, 42)
	loopA := NewLoop(b, ctxA, noisyModel(t, b, ctxA, -1)).Checkpoints(dirA, 5, 0).Reporter(Silent())
	if err := loopA.Run(12); err != nil {
		t.Fatal(err)
	}
	paths, _ := ListCheckpoints(dirA)
	if len(paths) != 3 || !strings.HasSuffix(paths[0], CheckpointName(5)) || !strings.HasSuffix(paths[2], CheckpointName(12)) {
		t.Fatalf("checkpoints = %v, want steps 5, 10, 12", paths)
	}
	if first, _, _ := loopA.History().Last("loss"); first != 11 {
		t.Fatalf("last loss step %d, want 11", first)
	}
	if s, _ := loopA.History().Get("loss"); s.Values[11] >= s.Values[0] {
		t.Logf("loss did not decrease in 12 steps: %v", s.Values)
	}

	// A fresh process: new context, restore the step-5 checkpoint, run to 12.
	c, err := LoadCheckpoint(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	ctxB := context.New()
	_ = SeedContext(ctxB, 999) // overwritten by the checkpoint's RNG state
	loopB := NewLoop(b, ctxB, noisyModel(t, b, ctxB, -1)).Checkpoints(dirB, 100, 0).Reporter(Silent())
	if err := loopB.RestoreFrom(c); err != nil {
		t.Fatal(err)
	}
	if loopB.Step() != 5 {
		t.Fatalf("restored step %d", loopB.Step())
	}
	if err := loopB.RunTo(12); err != nil {
		t.Fatal(err)
	}
	all := func(ctx *context.Context) map[string][]float32 { return varValues(t, ctx, context.RootScope) }
	va, vb := all(ctxA), all(ctxB)
	if len(va) == 0 || !equalVars(va, vb) {
		t.Fatalf("resumed variables differ from the uninterrupted run")
	}
	ra := ctxA.GetVariableByScopeAndName(context.RootScope, context.RNGStateVariableName).MustValue()
	rb := ctxB.GetVariableByScopeAndName(context.RootScope, context.RNGStateVariableName).MustValue()
	if !ra.Equal(rb) {
		t.Fatalf("RNG states differ: %v vs %v", ra, rb)
	}
	ha, _ := loopA.History().Get("loss")
	hb, _ := loopB.History().Get("loss")
	if len(ha.Values) != 12 || len(hb.Values) != 12 {
		t.Fatalf("history lengths %d, %d", len(ha.Values), len(hb.Values))
	}
	for i := range ha.Values {
		if ha.Values[i] != hb.Values[i] || ha.Steps[i] != hb.Steps[i] {
			t.Fatalf("loss history differs at %d: %v vs %v", i, ha.Values[i], hb.Values[i])
		}
	}
}

func TestNonFiniteStopsAndKeepsCheckpoint(t *testing.T) {
	b := testBackend(t)
	dir := t.TempDir()
	ctx := context.New()
	_ = SeedContext(ctx, 1)
	var before map[string][]float32
	fn := noisyModel(t, b, ctx, 7)
	loop := NewLoop(b, ctx, func(s int64, rng *rand.Rand) (Metrics, error) {
		if s == 7 {
			before = varValues(t, ctx, context.RootScope)
		}
		return fn(s, rng)
	}).Checkpoints(dir, 3, 2).Reporter(Silent())
	err := loop.Run(20)
	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("want *NonFiniteError, got %v", err)
	}
	if nf.Step != 7 || nf.Name != "loss" || !math.IsNaN(nf.Value) {
		t.Fatalf("error %+v, want step 7 loss NaN", nf)
	}
	if !strings.Contains(err.Error(), "step 7") || !strings.Contains(err.Error(), `"loss"`) {
		t.Fatalf("message does not name step and loss: %v", err)
	}
	if !strings.HasSuffix(nf.Checkpoint, CheckpointName(6)) {
		t.Fatalf("last good checkpoint %q, want step 6", nf.Checkpoint)
	}
	if loop.Step() != 7 {
		t.Fatalf("loop.Step()=%d after failure at step 7", loop.Step())
	}
	if !equalVars(before, varValues(t, ctx, context.RootScope)) {
		t.Fatal("a non-finite step changed the variables")
	}
	paths, _ := ListCheckpoints(dir)
	if len(paths) != 2 || !strings.HasSuffix(paths[1], CheckpointName(6)) {
		t.Fatalf("checkpoints %v, want steps 3 and 6", paths)
	}
}

func TestAtomicCheckpointWrite(t *testing.T) {
	b := testBackend(t)
	dir := t.TempDir()
	ctx := context.New()
	_ = SeedContext(ctx, 3)
	loop := NewLoop(b, ctx, noisyModel(t, b, ctx, -1)).Checkpoints(dir, 0, 0).Reporter(Silent())
	if err := loop.Run(2); err != nil { // final checkpoint at step 2
		t.Fatal(err)
	}
	good, _ := ListCheckpoints(dir)
	if len(good) != 1 {
		t.Fatalf("checkpoints %v", good)
	}
	goodBytes, _ := os.ReadFile(good[0])

	checkpointWriteFault = func(string) error { return errors.New("disk full (injected)") }
	defer func() { checkpointWriteFault = nil }()
	if err := loop.Run(2); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("want injected write error, got %v", err)
	}
	checkpointWriteFault = nil
	entries, _ := os.ReadDir(dir)
	entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return e.Name() == LockFile })
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries after a failed write, want only the previous checkpoint", len(entries))
	}
	if now, _ := os.ReadFile(good[0]); !bytes.Equal(now, goodBytes) {
		t.Fatal("previous checkpoint modified")
	}
	// A corrupt newer file (e.g. written by another tool) is skipped in favour of the last good one.
	if err := os.WriteFile(filepath.Join(dir, CheckpointName(9)), []byte("GDCKPT1\ngarbage-garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LatestCheckpoint(dir)
	if err != nil || c == nil || c.Step != 2 {
		t.Fatalf("LatestCheckpoint = %v, %v; want step 2", c, err)
	}
	if _, err := LoadCheckpoint(filepath.Join(dir, CheckpointName(9))); err == nil {
		t.Fatal("corrupt checkpoint loaded without error")
	}
}

func TestTerminalReporter(t *testing.T) {
	var buf bytes.Buffer
	tr := NewTerminalReporter(&buf)
	tr.Interval = time.Hour
	tr.Every = 250
	p := Progress{TotalSteps: 1000}
	tr.Start(p)
	for s := int64(1); s <= 1000; s++ {
		p.Step, p.Latest = s, Metrics{"loss": 1}
		tr.Update(p)
	}
	p.Done = true
	tr.Finish(p)
	if lines := strings.Count(buf.String(), "\n"); lines != 5 { // start, 250, 500, 750, finish
		t.Fatalf("terminal reporter printed %d lines:\n%s", lines, buf.String())
	}
}

func TestInvalidArguments(t *testing.T) {
	b := testBackend(t)
	ctx := context.New()
	loop := NewLoop(b, ctx, func(int64, *rand.Rand) (Metrics, error) { return nil, nil }).Reporter(Silent())
	if err := loop.Run(-1); err == nil {
		t.Fatal("Run(-1) accepted")
	}
	opt := NewAdam(ctx.In("x")).LearningRate(-1)
	if opt.Validate() == nil {
		t.Fatal("negative learning rate accepted")
	}
	step, _ := NewStep(b, ctx, "bad", func(ctx *context.Context, _ *Node, in []*Node, out *Outputs) {
		w := ctx.In("x").VariableWithShape("w", shapes.Make(dtypes.Float32, 2)).ValueGraph(in[0].Graph())
		out.Minimize("loss", ReduceAllSum(Mul(w, in[0])), opt)
	})
	if _, err := step.Run(0, []float32{1, 2}); err == nil || !strings.Contains(err.Error(), "learning rate") {
		t.Fatalf("invalid learning rate not reported: %v", err)
	}
}

func TestCancelAndHooks(t *testing.T) {
	b := testBackend(t)
	dir := t.TempDir()
	ctx := context.New()
	_ = SeedContext(ctx, 2)
	goCtx, cancel := stdcontext.WithCancel(stdcontext.Background())
	var hookSteps []int64
	loop := NewLoop(b, ctx, noisyModel(t, b, ctx, -1)).Checkpoints(dir, 100, 0).Reporter(Silent()).
		Every(2, func(step int64) error {
			hookSteps = append(hookSteps, step)
			if step == 4 {
				cancel()
			}
			return nil
		})
	err := loop.RunContext(goCtx, 10)
	if err == nil || !errors.Is(err, stdcontext.Canceled) || loop.Step() != 4 {
		t.Fatalf("want cancellation after 4 steps, got step %d, %v", loop.Step(), err)
	}
	if len(hookSteps) != 2 || hookSteps[0] != 2 || hookSteps[1] != 4 {
		t.Fatalf("hook steps %v", hookSteps)
	}
	if paths, _ := ListCheckpoints(dir); len(paths) != 1 || !strings.HasSuffix(paths[0], CheckpointName(4)) {
		t.Fatalf("checkpoint on cancel: %v", paths)
	}
}

func TestHistoryXY(t *testing.T) {
	h := NewHistory()
	h.Add(0, Metrics{"loss": 3, "kl": 1})
	h.Add(1, Metrics{"loss": 2})
	x, y, ok := h.XY("loss")
	if !ok || len(x) != 2 || x[1] != 1 || y[1] != 2 {
		t.Errorf("XY(loss) = %v, %v, %v", x, y, ok)
	}
	if _, _, ok := h.XY("missing"); ok {
		t.Error("XY of a missing series reported ok")
	}
}

// TestConfigDiff: changed, added and removed fields are named with both values; a field missing on one side and
// zero on the other (added to the Config later) is no change; ignored paths are skipped.
func TestConfigDiff(t *testing.T) {
	was := []byte(`{"Beta": 4, "VAE": {"Hidden": 64, "Every": 10}, "Old": 1, "Names": ["a"]}`)
	now := []byte(`{"Beta": 8, "VAE": {"Hidden": 64, "Every": 20}, "New": 0, "Flag": false, "Names": ["a", "b"]}`)
	diffs, err := ConfigDiff(was, now, "VAE.Every")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`Beta: checkpoint 4, now 8`, `Names: checkpoint ["a"], now ["a","b"]`, `Old: checkpoint 1, now unset`}
	if strings.Join(diffs, "|") != strings.Join(want, "|") {
		t.Errorf("diffs %q, want %q", diffs, want)
	}
	if _, err := ConfigDiff([]byte("{"), now); err == nil {
		t.Error("bad JSON accepted")
	}
}

// TestHookValuesSurviveRestore: a value an Every hook records after the last step of a checkpoint (at the step
// count itself) is in the restored history.
func TestHookValuesSurviveRestore(t *testing.T) {
	b := testBackend(t)
	dir := t.TempDir()
	mk := func() *Loop {
		ctx := context.New()
		_ = SeedContext(ctx, 3)
		l := NewLoop(b, ctx, noisyModel(t, b, ctx, -1)).Checkpoints(dir, 2, 0).Reporter(Silent())
		return l.Every(2, func(step int64) error { l.History().AddValue("metric/x", step, float64(step)); return nil })
	}
	if err := mk().Run(4); err != nil {
		t.Fatal(err)
	}
	l := mk()
	if ok, err := l.Restore(); !ok || err != nil {
		t.Fatalf("restore: %v %v", ok, err)
	}
	s, ok := l.History().Get("metric/x")
	if !ok || len(s.Steps) != 2 || s.Steps[1] != 4 {
		t.Fatalf("hook values after restore: %+v", s)
	}
	if n := l.History().Len("loss"); n != 4 {
		t.Errorf("restored %d step losses, want 4", n)
	}
}
