package training

import (
	stdcontext "context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
)

// Loop hyperparameters read from the context by NewLoop (builder methods override them).
const (
	ParamCheckpointDir   = "checkpoint_dir"   // string; "" disables checkpoints
	ParamCheckpointEvery = "checkpoint_every" // int steps; default 1000
	ParamCheckpointKeep  = "checkpoint_keep"  // int; default 3 (<= 0 keeps all)
)

// StepFunc runs one training step. step is the 0-based number of the step and rng its data source, derived only
// from (seed, step) (see StepRand). It returns the step's metrics (checked for NaN/Inf and recorded in the
// History); a GAN iteration typically runs several Steps and merges their Metrics.
type StepFunc func(step int64, rng *rand.Rand) (Metrics, error)

// Loop runs a StepFunc for a number of steps with reporting, checkpointing and non-finite detection.
type Loop struct {
	backend   backends.Backend
	ctx       *context.Context
	fn        StepFunc
	seed      int64
	step      int64
	history   *History
	reporter  Reporter
	ckptDir   string
	ckptEvery int64
	ckptKeep  int
	lastCkpt  string
	lastSaved int64
	extra     map[string]string
	hooks     []hook
	match     []string // hyperparameter key prefixes a restored checkpoint must agree on
	cfgIgnore []string // configuration fields a restored checkpoint need not agree on (RecordConfig)
	lock      *RunDirLock
	prepared  bool // Fit restored (or started over) already, or RestoreReadOnly loaded the model
}

type hook struct {
	every int64
	fn    func(step int64) error
}

// NewLoop creates a loop over ctx's model. The seed (ParamSeed) and checkpoint settings are read from ctx; if
// ctx's RNG is not seeded yet it is seeded with the seed (see SeedContext).
func NewLoop(backend backends.Backend, ctx *context.Context, fn StepFunc) *Loop {
	l := &Loop{backend: backend, ctx: ctx, fn: fn, history: NewHistory(), lastSaved: -1}
	l.seed = context.GetParamOr(ctx, ParamSeed, int64(0))
	l.ckptDir = context.GetParamOr(ctx, ParamCheckpointDir, "")
	l.ckptEvery = int64(context.GetParamOr(ctx, ParamCheckpointEvery, 1000))
	l.ckptKeep = context.GetParamOr(ctx, ParamCheckpointKeep, 3)
	if ctx != nil {
		if v := ctx.InspectVariableIfLoaded(context.RootScope, context.RNGStateVariableName); v == nil || !v.HasValue() {
			_ = SeedContext(ctx, l.seed)
		}
	}
	return l
}

// Seed sets the seed of the data random sources (StepRand); set it before the first step.
func (l *Loop) Seed(seed int64) *Loop { l.seed = seed; return l }

// Checkpoints enables checkpoints into dir every `every` steps (and at the end of each Run), keeping the newest
// keep files (keep <= 0 keeps all).
func (l *Loop) Checkpoints(dir string, every int64, keep int) *Loop {
	l.ckptDir, l.ckptEvery, l.ckptKeep = dir, every, keep
	return l
}

// Reporter sets the progress reporter (nil: AutoReporter at Run time; use Silent() for none).
func (l *Loop) Reporter(r Reporter) *Loop { l.reporter = r; return l }

// Every calls fn(stepsCompleted) after every n completed steps (e.g. to evaluate metrics and record them with
// History().AddValue). An error stops the run.
func (l *Loop) Every(n int64, fn func(step int64) error) *Loop {
	l.hooks = append(l.hooks, hook{n, fn})
	return l
}

// SetExtra stores user metadata in every checkpoint (see Checkpoint.Extra).
func (l *Loop) SetExtra(key, value string) *Loop {
	if l.extra == nil {
		l.extra = map[string]string{}
	}
	l.extra[key] = value
	return l
}

// Step returns the number of steps completed (the next step's 0-based number).
func (l *Loop) Step() int64 { return l.step }

// History returns the recorded metrics.
func (l *Loop) History() *History { return l.history }

// SeedValue returns the loop's seed.
func (l *Loop) SeedValue() int64 { return l.seed }

// LastCheckpoint returns the path of the last checkpoint written or restored ("" if none).
func (l *Loop) LastCheckpoint() string { return l.lastCkpt }

// Save writes a checkpoint now (the checkpoint directory must be set) and prunes old ones. When a parameter is not
// finite nothing is written and the error is a *NonFiniteError (Step: the last completed step, Name: "parameter
// scope/name[index]", Checkpoint: the last checkpoint written or restored).
func (l *Loop) Save() (string, error) {
	if l.ckptDir == "" {
		return "", errors.New("training.Loop.Save: no checkpoint directory set")
	}
	path, err := SaveCheckpoint(l.ckptDir, l.ctx, l.step, l.seed, l.history, l.extra)
	if err != nil {
		var bad *NonFiniteParameterError
		if errors.As(err, &bad) {
			// A parameter went non-finite outside a guarded Step (a hook, a custom executor, weight surgery):
			// stop as for a non-finite loss, pointing at the last checkpoint that was actually written.
			return "", &NonFiniteError{Step: l.step - 1, Name: "parameter " + bad.Name, Value: bad.Value, Checkpoint: l.lastCkpt}
		}
		return "", err
	}
	l.lastCkpt, l.lastSaved = path, l.step
	if err := PruneCheckpoints(l.ckptDir, l.ckptKeep); err != nil {
		return path, err
	}
	return path, nil
}

// Lock takes the checkpoint directory's lock (see LockRunDir) until the returned function is called; Restore and
// Run then hold it already. Without a checkpoint directory it does nothing. Run and Restore take the lock
// themselves for their own duration when it is not held.
func (l *Loop) Lock() (unlock func(), err error) {
	if l.ckptDir == "" || l.lock != nil {
		return func() {}, nil
	}
	lk, err := LockRunDir(l.ckptDir)
	if err != nil {
		return nil, err
	}
	l.lock = lk
	return func() { lk.Unlock(); l.lock = nil }, nil
}

// Restore loads the latest checkpoint of the checkpoint directory, if any: variables, optimiser and RNG state,
// step, seed and history. It reports whether one was found. It then removes stale temporary files and, when the
// restored checkpoint is the newest, checkpoints beyond the keep limit. It needs the directory's lock: another
// process training there makes it fail with a *RunDirBusyError.
func (l *Loop) Restore() (bool, error) {
	if l.ckptDir == "" {
		return false, nil
	}
	unlock, err := l.Lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	c, err := LatestCheckpoint(l.ckptDir)
	if err != nil || c == nil {
		return false, err
	}
	if err := l.RestoreFrom(c); err != nil {
		return true, err
	}
	l.pruneAfterRestore(c.Path)
	return true, nil
}

// RestoreReadOnly loads the latest checkpoint like Restore but changes nothing on disk and needs no lock, so a
// model can be loaded for inspection while another process still trains in the directory.
func (l *Loop) RestoreReadOnly() (bool, error) {
	if l.ckptDir == "" {
		return false, nil
	}
	c, err := LatestCheckpoint(l.ckptDir)
	if err != nil || c == nil {
		return false, err
	}
	l.prepared = true
	return true, l.RestoreFrom(c)
}

// pruneAfterRestore removes the temporary files left by an interrupted write and, when the restored checkpoint is
// the newest on disk, the checkpoints beyond the keep limit (a crash between a rename and the pruning can leave
// one too many). When LatestCheckpoint fell back past an unreadable newer file, only the temporary files go: the
// count-based pruning would keep the unreadable file and could delete the one just restored. Best effort: a
// failure here is reported by the next Save's pruning.
func (l *Loop) pruneAfterRestore(restored string) {
	keep := l.ckptKeep
	if paths, err := ListCheckpoints(l.ckptDir); err != nil || len(paths) == 0 || paths[len(paths)-1] != restored {
		keep = 0 // temporary files only
	}
	_ = PruneCheckpoints(l.ckptDir, keep)
}

// RestoreFrom applies a loaded checkpoint to the loop and its context.
func (l *Loop) RestoreFrom(c *Checkpoint) error {
	if err := l.checkConfig(c); err != nil {
		return err
	}
	if err := l.checkParams(c); err != nil {
		return err
	}
	if err := c.Apply(l.ctx); err != nil {
		return err
	}
	l.step, l.seed = c.Step, c.Seed
	l.history.replace(c.History.All())
	l.history.truncate(c.Step)
	l.lastCkpt, l.lastSaved = c.Path, c.Step
	for k, v := range c.Extra {
		if _, own := l.extra[k]; own && (k == ExtraKind || k == ExtraConfig) {
			continue // the model's current description (it may differ in ignored fields)
		}
		l.SetExtra(k, v)
	}
	return nil
}

// MatchParams makes Restore refuse a checkpoint whose recorded hyperparameters under any of the given key prefixes
// (e.g. "/vae_") differ from the context's: resuming a run with another architecture or objective would otherwise
// silently mix the two.
func (l *Loop) MatchParams(prefixes ...string) *Loop {
	l.match = append(l.match, prefixes...)
	return l
}

func (l *Loop) checkParams(c *Checkpoint) error {
	if len(l.match) == 0 {
		return nil
	}
	now := map[string]string{}
	l.ctx.EnumerateParams(func(scope, key string, value any) {
		now[context.JoinScope(scope, key)] = fmt.Sprintf("%v", value)
	})
	var diffs []string
	for key, was := range c.Params {
		cur, ok := now[key]
		if !ok || cur == was {
			continue
		}
		for _, p := range l.match {
			if strings.HasPrefix(key, p) {
				diffs = append(diffs, fmt.Sprintf("%s: checkpoint %s, now %s", key, was, cur))
				break
			}
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	sort.Strings(diffs)
	return errors.Errorf("training: checkpoint %s was written with other hyperparameters (%s); use a new checkpoint "+
		"directory for a new configuration", c.Path, strings.Join(diffs, "; "))
}

// Run runs n more steps.
func (l *Loop) Run(n int64) error { return l.RunContext(stdcontext.Background(), n) }

// RunTo runs until total steps are completed (no-op if already there), e.g. after Restore.
func (l *Loop) RunTo(total int64) error {
	if total < 0 {
		return errors.Errorf("training.Loop.RunTo: total steps must be >= 0, got %d", total)
	}
	return l.Run(max(0, total-l.step))
}

// RunContext runs n more steps, stopping early (after checkpointing, when enabled) if goCtx is cancelled.
func (l *Loop) RunContext(goCtx stdcontext.Context, n int64) (err error) {
	if n < 0 {
		return errors.Errorf("training.Loop.Run: steps must be >= 0, got %d", n)
	}
	if l.fn == nil || l.ctx == nil {
		return errors.New("training.Loop.Run: loop has no step function or context")
	}
	if l.ckptDir != "" && l.ckptEvery < 0 {
		return errors.Errorf("training.Loop.Run: checkpoint interval must be >= 0, got %d", l.ckptEvery)
	}
	unlock, err := l.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	rep := l.reporter
	if rep == nil {
		rep = AutoReporter()
	}
	start := time.Now()
	p := Progress{StartStep: l.step, TotalSteps: l.step + n, Step: l.step, History: l.history}
	rep.Start(p)
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = errors.WithMessage(e, "training.Loop.Run")
			} else {
				err = errors.Errorf("training.Loop.Run: %v", r)
			}
		}
		p.Step, p.Elapsed, p.Done, p.Err = l.step, time.Since(start), true, err
		rep.Finish(p)
	}()
	for l.step < p.TotalSteps {
		if err := goCtx.Err(); err != nil {
			if l.ckptDir != "" && l.lastSaved != l.step {
				if _, serr := l.Save(); serr != nil {
					return errors.WithMessagef(serr, "training: saving after cancellation at step %d", l.step)
				}
			}
			return errors.Wrapf(err, "training: cancelled after %d steps", l.step)
		}
		step := l.step
		m, err := l.fn(step, StepRand(l.seed, step))
		var nf *NonFiniteError
		if err == nil {
			for _, name := range m.Names() {
				if v := m[name]; math.IsNaN(v) || math.IsInf(v, 0) {
					err = &NonFiniteError{Step: step, Name: name, Value: v}
					break
				}
			}
		}
		if err != nil {
			if errors.As(err, &nf) {
				nf.Checkpoint = l.lastCkpt
				if m != nil {
					l.history.Add(step, m)
				}
				return err
			}
			return errors.WithMessagef(err, "training: step %d", step)
		}
		l.history.Add(step, m)
		l.step++
		for _, h := range l.hooks {
			if h.every > 0 && l.step%h.every == 0 {
				if err := h.fn(l.step); err != nil {
					return errors.WithMessagef(err, "training: hook after step %d", l.step)
				}
			}
		}
		if l.ckptDir != "" && l.ckptEvery > 0 && l.step%l.ckptEvery == 0 {
			if _, err := l.Save(); err != nil {
				return errors.WithMessagef(err, "training: checkpoint after step %d", l.step)
			}
		}
		p.Step, p.Elapsed, p.Latest = l.step, time.Since(start), m
		rep.Update(p)
	}
	if l.ckptDir != "" && l.lastSaved != l.step {
		if _, err := l.Save(); err != nil {
			return errors.WithMessagef(err, "training: final checkpoint at step %d", l.step)
		}
	}
	return nil
}
