//go:build linux

package crashtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/nn"
	"github.com/gdisent/gdisent/gdisent/training"
)

// The child's run: a 16→hidden→hidden→1 MLP regression with in-graph noise (the context RNG) and batches drawn
// from training.StepRand, so exact resumption needs the weights, Adam state, RNG state and step to be restored.
const (
	envChild   = "GDISENT_CRASHTEST_DIR"    // checkpoint directory; set only in the child
	envResult  = "GDISENT_CRASHTEST_RESULT" // where the child writes its final state
	seed       = 20240607
	totalSteps = 240
	ckptEvery  = 6
	ckptKeep   = 2
	hidden     = 256 // ~210k float32 with Adam's moments: checkpoints of ~0.9 MB, so writes take a while
	batch      = 16
	inDim      = 16
)

// result is what a finished child reports: every variable's raw bytes and the loss history as float64 bits.
type result struct {
	Step     int64               `json:"step"`
	Vars     map[string]string   `json:"vars"` // scope/name → base64 of the tensor bytes
	History  map[string][]uint64 `json:"history"`
	Steps    map[string][]int64  `json:"steps"`
	Restored int64               `json:"restored"` // step restored at the start of the last life (-1: none)
}

func model(b backends.Backend, ctx *context.Context) (training.StepFunc, error) {
	opt := training.NewAdam(ctx.In("mlp")).LearningRate(3e-3)
	step, err := training.NewStep(b, ctx, "mlp", func(ctx *context.Context, _ *Node, in []*Node, out *training.Outputs) {
		g := in[0].Graph()
		x := Add(in[0], MulScalar(ctx.RandomNormal(g, in[0].Shape()), 0.05))
		h := Tanh(nn.Dense(ctx.In("mlp").In("l1"), x, hidden).Done())
		h = Tanh(nn.Dense(ctx.In("mlp").In("l2"), h, hidden).Done())
		y := nn.Dense(ctx.In("mlp").In("l3"), h, 1).Done()
		out.Minimize("loss", ReduceAllMean(Square(Sub(y, in[1]))), opt)
		out.Log("y_mean", ReduceAllMean(y))
	})
	if err != nil {
		return nil, err
	}
	return func(s int64, rng *rand.Rand) (training.Metrics, error) {
		xs, ys := make([]float32, batch*inDim), make([]float32, batch)
		for i := 0; i < batch; i++ {
			var sum float64
			for j := 0; j < inDim; j++ {
				v := rng.NormFloat64()
				xs[i*inDim+j] = float32(v)
				sum += v * float64(j%3-1)
			}
			ys[i] = float32(math.Sin(sum))
		}
		return step.Run(s, training.Tensor(xs, batch, inDim), training.Tensor(ys, batch, 1))
	}, nil
}

// TestHelperTrainChild is the child process of TestSIGKILLResume (skipped unless envChild is set): it restores
// the latest checkpoint, if any, trains to totalSteps with checkpoints, and writes its final state.
func TestHelperTrainChild(t *testing.T) {
	dir := os.Getenv(envChild)
	if dir == "" {
		t.Skip("helper process of TestSIGKILLResume")
	}
	if err := trainChild(dir, os.Getenv(envResult)); err != nil {
		fmt.Fprintf(os.Stderr, "crashtest child: %+v\n", err)
		os.Exit(3)
	}
}

func trainChild(dir, resultPath string) error {
	backend.Report = nil
	if os.Getenv(backend.EnvVar) == "" {
		// Pin the pure-Go backend (purego runs ops sequentially by default) so parent and child compute alike.
		if err := os.Setenv(backend.EnvVar, "purego:ops_sequential"); err != nil {
			return err
		}
	}
	b, err := backend.New()
	if err != nil {
		return err
	}
	ctx := context.New()
	if err := training.SeedContext(ctx, seed); err != nil {
		return err
	}
	fn, err := model(b, ctx)
	if err != nil {
		return err
	}
	loop := training.NewLoop(b, ctx, fn).Checkpoints(dir, ckptEvery, ckptKeep).Reporter(training.Silent())
	restored := int64(-1)
	if ok, err := loop.Restore(); err != nil {
		return errors.WithMessage(err, "restoring")
	} else if ok {
		restored = loop.Step()
	}
	fmt.Printf("CRASHTEST restored=%d\n", restored)
	if err := loop.RunTo(totalSteps); err != nil {
		return errors.WithMessage(err, "training")
	}
	res := result{Step: loop.Step(), Vars: map[string]string{}, History: map[string][]uint64{}, Steps: map[string][]int64{},
		Restored: restored}
	values := map[string]*tensors.Tensor{}
	if loop.Step() == restored {
		// Nothing ran in this life (killed right after the final checkpoint): the restored values are still pending
		// in the context's loader, since no graph created the variables; read them from the checkpoint.
		c, err := training.LatestCheckpoint(dir)
		if err != nil || c == nil {
			return errors.Errorf("reading the restored checkpoint: %v", err)
		}
		values = c.Values()
	} else {
		for v := range ctx.IterVariables() {
			if v.HasValue() {
				tv, err := v.Value()
				if err != nil {
					return err
				}
				values[v.ScopeAndName()] = tv
			}
		}
	}
	for name, tv := range values {
		var enc string
		if err := tv.ConstBytes(func(raw []byte) { enc = base64.StdEncoding.EncodeToString(raw) }); err != nil {
			return err
		}
		res.Vars[name] = tv.Shape().String() + ":" + enc
	}
	for _, s := range loop.History().All() {
		bits := make([]uint64, len(s.Values))
		for i, x := range s.Values {
			bits[i] = math.Float64bits(x)
		}
		res.History[s.Name], res.Steps[s.Name] = bits, s.Steps
	}
	data, err := json.Marshal(&res)
	if err != nil {
		return err
	}
	tmp := resultPath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, resultPath)
}

// killMode is when the parent kills a child.
type killMode int

const (
	killAfterDelay  killMode = iota // a random delay after start (start-up, compilation, steps or a save)
	killOnTempFile                  // as soon as the nth checkpoint temporary file of this life is created
	killOnCommitted                 // as soon as the nth checkpoint is renamed into place (before pruning)
)

func (m killMode) String() string {
	return [...]string{"random delay", "temp file created", "checkpoint renamed"}[m]
}

type plan struct {
	mode  killMode
	nth   int
	delay time.Duration
}

type life struct {
	plan       plan
	killed     bool
	restored   int64
	tempLeft   int // temporary files present right after the kill
	ckpts      []string
	elapsed    time.Duration
	stderrTail string
}

// watcher reports file creations and renames in a directory (inotify).
type watcher struct {
	f      *os.File
	events chan string
}

func newWatcher(dir string) (*watcher, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, errors.Wrap(err, "inotify_init1")
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE|syscall.IN_MOVED_TO); err != nil {
		_ = syscall.Close(fd)
		return nil, errors.Wrapf(err, "inotify_add_watch %q", dir)
	}
	w := &watcher{f: os.NewFile(uintptr(fd), "inotify"), events: make(chan string, 1024)}
	go func() {
		defer close(w.events)
		buf := make([]byte, 64<<10)
		for {
			n, err := w.f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				w.events <- string(bytes.TrimRight(name, "\x00"))
				off += syscall.SizeofInotifyEvent + int(ev.Len)
			}
		}
	}()
	return w, nil
}

func (w *watcher) Close() { _ = w.f.Close() }

func childCmd(t *testing.T, dir, resultPath string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperTrainChild$", "-test.count=1", "-test.timeout=120s")
	cmd.Env = append(os.Environ(), envChild+"="+dir, envResult+"="+resultPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// runLife starts a child and kills it according to p (a zero nth and delay: no kill).
func runLife(t *testing.T, dir, resultPath string, p plan, kill bool) life {
	t.Helper()
	w, err := newWatcher(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd, stdout, stderr := childCmd(t, dir, resultPath)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting child: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timer <-chan time.Time
	if kill && p.mode == killAfterDelay {
		timer = time.After(p.delay)
	}
	l := life{plan: p, restored: -2}
	seen := 0
	var werr error
loop:
	for {
		select {
		case werr = <-done:
			break loop
		case <-timer:
			_ = cmd.Process.Signal(syscall.SIGKILL)
			l.killed = true
			werr = <-done
			break loop
		case name, ok := <-w.events:
			if !ok {
				w.events = nil
				continue
			}
			if !kill {
				continue
			}
			isTemp := strings.HasPrefix(name, ".ckpt-") && strings.HasSuffix(name, ".tmp")
			isCkpt := strings.HasPrefix(name, "ckpt-") && strings.HasSuffix(name, ".gdc")
			if (p.mode == killOnTempFile && isTemp) || (p.mode == killOnCommitted && isCkpt) {
				if seen++; seen == p.nth {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					l.killed = true
					werr = <-done
					break loop
				}
			}
		}
	}
	l.elapsed = time.Since(start)
	if tail := stderr.String(); len(tail) > 2000 {
		l.stderrTail = tail[len(tail)-2000:]
	} else {
		l.stderrTail = tail
	}
	if l.killed {
		var ee *exec.ExitError
		if !errors.As(werr, &ee) {
			t.Fatalf("killed child: unexpected wait error %v", werr)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && !(ws.Signaled() && ws.Signal() == syscall.SIGKILL) {
			// The child had already exited on its own (it finished or failed) when the signal was sent.
			l.killed = false
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("child failed before the kill: %v\n%s", werr, l.stderrTail)
			}
		}
	} else if werr != nil {
		t.Fatalf("child failed: %v\nstderr:\n%s", werr, l.stderrTail)
	}
	if m := strings.Index(stdout.String(), "CRASHTEST restored="); m >= 0 {
		line := strings.SplitN(stdout.String()[m+len("CRASHTEST restored="):], "\n", 2)[0]
		l.restored, _ = strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	}
	l.tempLeft = len(tempFiles(t, dir))
	l.ckpts, _ = training.ListCheckpoints(dir)
	return l
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".ckpt-*.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readResult(t *testing.T, path string) *result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading child result: %v", err)
	}
	var r result
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("decoding child result: %v", err)
	}
	return &r
}

// TestSIGKILLResume kills a training child process with SIGKILL many times, restarts it until it completes, and
// compares the result bit-for-bit with an uninterrupted run.
func TestSIGKILLResume(t *testing.T) {
	if os.Getenv(envChild) != "" {
		t.Skip("inside the child")
	}
	if testing.Short() {
		t.Skip("starts ~20 child processes")
	}
	root := t.TempDir()

	// Reference: one uninterrupted life.
	refDir, refResult := filepath.Join(root, "ref"), filepath.Join(root, "ref.json")
	if err := os.MkdirAll(refDir, 0o755); err != nil {
		t.Fatal(err)
	}
	refLife := runLife(t, refDir, refResult, plan{}, false)
	ref := readResult(t, refResult)
	if ref.Step != totalSteps || ref.Restored != -1 || len(ref.History["loss"]) != totalSteps {
		t.Fatalf("reference run: step %d, restored %d, %d losses", ref.Step, ref.Restored, len(ref.History["loss"]))
	}
	t.Logf("uninterrupted run: %v, %d variables", refLife.elapsed.Round(time.Millisecond), len(ref.Vars))

	// Crashed run.
	dir, resPath := filepath.Join(root, "crash"), filepath.Join(root, "crash.json")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	seedNote := rng.Uint64() // logged so a failing schedule can be told apart
	var plans []plan
	for i := 0; i < 4; i++ {
		plans = append(plans, plan{mode: killOnTempFile, nth: 2 + rng.IntN(2)})
		plans = append(plans, plan{mode: killOnCommitted, nth: 1 + rng.IntN(2)})
		d := time.Duration(float64(refLife.elapsed) * (0.02 + 0.23*rng.Float64()))
		plans = append(plans, plan{mode: killAfterDelay, delay: d})
	}
	rng.Shuffle(len(plans), func(i, j int) { plans[i], plans[j] = plans[j], plans[i] })

	var lives []life
	kills, tempKills, tempLeft, commitKills, delayKills := 0, 0, 0, 0, 0
	lastRestored := int64(-1)
	prevCkpts := 0
	for _, p := range plans {
		if _, err := os.Stat(resPath); err == nil {
			break // finished despite the plan
		}
		l := runLife(t, dir, resPath, p, true)
		lives = append(lives, l)
		// restored == -2: the life was killed before it reported what it restored (e.g. during start-up), so there
		// is nothing to compare; the next life that reports must still not go back.
		if l.restored != -2 && l.restored < lastRestored {
			t.Fatalf("life %d restored step %d, earlier life restored %d: progress lost", len(lives), l.restored, lastRestored)
		}
		lastRestored = max(lastRestored, l.restored)
		if l.killed {
			kills++
			switch p.mode {
			case killOnTempFile:
				tempKills++
				if l.tempLeft > 0 {
					tempLeft++
				}
			case killOnCommitted:
				commitKills++
			default:
				delayKills++
			}
		}
		// After any kill: at most one partial temp file, every committed checkpoint is complete and valid, and
		// at most one more than before or than keep (a kill between a rename and the pruning that follows it).
		if l.tempLeft > 1 {
			t.Fatalf("life %d: %d temporary files after the kill", len(lives), l.tempLeft)
		}
		if len(l.ckpts) > max(prevCkpts, ckptKeep)+1 {
			t.Fatalf("life %d: %d checkpoints after the kill (%d before): %v", len(lives), len(l.ckpts), prevCkpts, l.ckpts)
		}
		prevCkpts = len(l.ckpts)
		for _, c := range l.ckpts {
			if _, err := training.LoadCheckpoint(c); err != nil {
				t.Fatalf("life %d (%v): committed checkpoint unreadable: %v", len(lives), p.mode, err)
			}
		}
	}
	// Then restart until done (no kill).
	for i := 0; i < 3; i++ {
		if _, err := os.Stat(resPath); err == nil {
			break
		}
		lives = append(lives, runLife(t, dir, resPath, plan{}, false))
	}
	for i, l := range lives {
		t.Logf("life %2d: %-18v nth=%d delay=%-6v killed=%-5v restored=%3d tempLeft=%d ckpts=%d (%v)", i+1, l.plan.mode,
			l.plan.nth, l.plan.delay.Round(time.Millisecond), l.killed, l.restored, l.tempLeft, len(l.ckpts),
			l.elapsed.Round(time.Millisecond))
	}
	t.Logf("schedule %x: %d lives, %d SIGKILLs (%d on temp-file creation, %d of them left a partial temp file; %d right after a rename; %d after a random delay)",
		seedNote, len(lives), kills, tempKills, tempLeft, commitKills, delayKills)
	if kills < 8 {
		t.Fatalf("only %d of %d planned kills landed before the child finished", kills, len(plans))
	}

	got := readResult(t, resPath)
	if got.Step != totalSteps {
		t.Fatalf("crashed run finished at step %d", got.Step)
	}
	if got.Restored <= 0 {
		t.Fatalf("last life restored step %d: the final life did not resume from a checkpoint", got.Restored)
	}
	compareResults(t, ref, got)

	// The directory holds no temporary files and at most ckptKeep checkpoints, the last being the final step.
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
	ckpts, err := training.ListCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ckpts) == 0 || len(ckpts) > ckptKeep || filepath.Base(ckpts[len(ckpts)-1]) != training.CheckpointName(totalSteps) {
		t.Fatalf("checkpoints left: %v (want at most %d, the last at step %d)", ckpts, ckptKeep, totalSteps)
	}
	entries, _ := os.ReadDir(dir)
	entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return e.Name() == training.LockFile })
	if len(entries) != len(ckpts) {
		t.Fatalf("checkpoint directory holds %d entries, %d checkpoints", len(entries), len(ckpts))
	}
}

func compareResults(t *testing.T, ref, got *result) {
	t.Helper()
	names := make([]string, 0, len(ref.Vars))
	for k := range ref.Vars {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(got.Vars) != len(ref.Vars) {
		t.Errorf("crashed run has %d variables, uninterrupted %d", len(got.Vars), len(ref.Vars))
	}
	for _, k := range names {
		if got.Vars[k] != ref.Vars[k] {
			t.Errorf("variable %s differs from the uninterrupted run", k)
		}
	}
	for name, want := range ref.History {
		have := got.History[name]
		if len(have) != len(want) {
			t.Errorf("history %q: %d values, want %d", name, len(have), len(want))
			continue
		}
		for i := range want {
			if have[i] != want[i] || got.Steps[name][i] != ref.Steps[name][i] {
				t.Errorf("history %q[%d]: step %d value %v, uninterrupted step %d value %v", name, i, got.Steps[name][i],
					math.Float64frombits(have[i]), ref.Steps[name][i], math.Float64frombits(want[i]))
				break
			}
		}
	}
	if len(got.History) != len(ref.History) {
		t.Errorf("history series: %d, want %d", len(got.History), len(ref.History))
	}
}
