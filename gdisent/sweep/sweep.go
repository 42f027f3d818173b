// Package sweep trains grids of models — every combination of hyperparameter values, each with every seed — into
// one run directory per model, resumable and one process per run, so that a scheduler (Slurm job arrays,
// Kubernetes Indexed Jobs) can spread a sweep over machines (see README.md). Package selection ranks the
// finished pool.
package sweep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gdisent/gdisent/gdisent/training"
)

// Sweep is a grid of training runs: every combination of the Grid values, each trained with every seed. It is
// also the JSON file `gdisent sweep -config` reads:
//
//	{"name": "bvae", "kind": "vae", "dir": "sweeps/bvae", "steps": 3000, "seeds": [1, 2, 3],
//	 "params": {"base": "small"}, "grid": {"beta": [1, 4, 16]}}
//
// Run i lives in <Dir>/<run id>/ (config.json, checkpoints/, and a DONE marker written atomically when training
// has finished). Runs are independent processes' work: Run(i) for one index, as a Slurm array task or a
// Kubernetes Indexed Job pod would call it (see README.md).
type Sweep struct {
	Name   string           `json:"name,omitempty"`
	Kind   string           `json:"kind"`             // a registered model kind (Kinds), e.g. "vae"
	Dir    string           `json:"dir"`              // sweep directory; in a file, relative to the file's folder
	Steps  int              `json:"steps"`            // training steps per run
	Seeds  []int64          `json:"seeds"`            // one run per seed and grid point
	Params map[string]any   `json:"params,omitempty"` // hyperparameters shared by all runs
	Grid   map[string][]any `json:"grid,omitempty"`   // swept hyperparameters (their product)
}

// Run is one member of a sweep.
type Run struct {
	Index  int            `json:"index"`
	ID     string         `json:"id"` // stable: built from the grid values and the seed, e.g. "beta=4_seed=2"
	Kind   string         `json:"kind"`
	Seed   int64          `json:"seed"`
	Steps  int            `json:"steps"`
	Params map[string]any `json:"params"` // Sweep.Params overlaid with this run's grid values
	Dir    string         `json:"-"`      // <sweep dir>/<ID>
}

// CheckpointDir is where the run's training checkpoints go.
func (r Run) CheckpointDir() string { return filepath.Join(r.Dir, "checkpoints") }

// Done reports whether the run's DONE marker exists.
func (r Run) Done() bool {
	_, err := os.Stat(filepath.Join(r.Dir, DoneFile))
	return err == nil
}

// Names of the files in a run directory and the sweep directory.
const (
	DoneFile      = "DONE"
	RunConfigFile = "config.json"
	SweepFile     = "sweep.json"
)

// Kind trains and loads one family of models for sweeps.
type Kind struct {
	// Train trains run to run.Steps steps with checkpoints in run.CheckpointDir(), resuming from the latest
	// checkpoint there. rep nil means training.AutoReporter.
	Train func(run Run, rep training.Reporter) error
	// Load restores the trained model of a run for selection.
	Load func(run Run) (training.Model, error)
}

var (
	kindsMu sync.Mutex
	kinds   = map[string]Kind{}
)

// RegisterKind adds a model kind under name (replacing an earlier one).
func RegisterKind(name string, k Kind) error {
	if name == "" || k.Train == nil {
		return fmt.Errorf("sweep.RegisterKind: need a name and a Train function")
	}
	kindsMu.Lock()
	defer kindsMu.Unlock()
	kinds[name] = k
	return nil
}

// Kinds lists the registered model kinds.
func Kinds() []string {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func kind(name string) (Kind, error) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	k, ok := kinds[name]
	if !ok {
		names := make([]string, 0, len(kinds))
		for n := range kinds {
			names = append(names, n)
		}
		sort.Strings(names)
		return Kind{}, fmt.Errorf("unknown model kind %q (registered: %s)", name, strings.Join(names, ", "))
	}
	return k, nil
}

// LoadSweep reads a sweep file; a relative Dir is taken relative to the file's folder, so that every machine of
// a scheduler finds the same directory whatever its working directory.
func LoadSweep(path string) (*Sweep, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep.LoadSweep: %w", err)
	}
	var s Sweep
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("sweep.LoadSweep: parsing %s: %w", path, err)
	}
	if s.Dir != "" && !filepath.IsAbs(s.Dir) {
		s.Dir = filepath.Join(filepath.Dir(path), s.Dir)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("sweep.LoadSweep: %s: %w", path, err)
	}
	return &s, nil
}

// OpenSweep reads <dir>/sweep.json, written by the first Run in a sweep directory, with Dir set to dir.
func OpenSweep(dir string) (*Sweep, error) {
	s, err := LoadSweep(filepath.Join(dir, SweepFile))
	if err != nil {
		return nil, err
	}
	s.Dir = dir
	return s, nil
}

// Validate checks the sweep.
func (s *Sweep) Validate() error {
	switch {
	case s.Kind == "":
		return errors.New("sweep has no model kind")
	case s.Dir == "":
		return errors.New("sweep has no directory")
	case s.Steps < 0:
		return fmt.Errorf("sweep steps must be >= 0, got %d", s.Steps)
	case len(s.Seeds) == 0:
		return errors.New("sweep has no seeds")
	}
	seen := map[int64]bool{}
	for _, sd := range s.Seeds {
		if seen[sd] {
			return fmt.Errorf("seed %d appears twice", sd)
		}
		seen[sd] = true
	}
	for k, vs := range s.Grid {
		if len(vs) == 0 {
			return fmt.Errorf("grid parameter %q has no values", k)
		}
		if k == "seed" {
			return errors.New(`"seed" belongs in seeds, not in the grid`)
		}
		ids := map[string]bool{}
		for _, v := range vs {
			f := formatValue(v)
			if ids[f] {
				return fmt.Errorf("grid parameter %q repeats value %s", k, f)
			}
			ids[f] = true
		}
	}
	return nil
}

// Runs lists the sweep's runs: grid points in lexicographic order of the sorted parameter names (the last name
// varies fastest), each with every seed (seeds fastest). Indices are stable as long as the sweep is unchanged.
func (s *Sweep) Runs() ([]Run, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(s.Grid))
	for k := range s.Grid {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	points := []map[string]any{{}}
	for _, k := range keys {
		var next []map[string]any
		for _, p := range points {
			for _, v := range s.Grid[k] {
				q := map[string]any{}
				for a, b := range p {
					q[a] = b
				}
				q[k] = v
				next = append(next, q)
			}
		}
		points = next
	}
	var runs []Run
	ids := map[string]bool{}
	for _, p := range points {
		var parts []string
		for _, k := range keys {
			parts = append(parts, sanitize(k)+"="+sanitize(formatValue(p[k])))
		}
		for _, seed := range s.Seeds {
			params := map[string]any{}
			for a, b := range s.Params {
				params[a] = b
			}
			for a, b := range p {
				params[a] = b
			}
			id := strings.Join(append(slices.Clone(parts), "seed="+strconv.FormatInt(seed, 10)), "_")
			if ids[id] {
				return nil, fmt.Errorf("two runs map to the directory name %q (grid values differ only in characters "+
					"outside [A-Za-z0-9.+-])", id)
			}
			ids[id] = true
			runs = append(runs, Run{Index: len(runs), ID: id, Kind: s.Kind, Seed: seed, Steps: s.Steps,
				Params: params, Dir: filepath.Join(s.Dir, id)})
		}
	}
	return runs, nil
}

// RunAt returns run index, or a clear error when index is out of range.
func (s *Sweep) RunAt(index int) (Run, error) {
	runs, err := s.Runs()
	if err != nil {
		return Run{}, err
	}
	if index < 0 || index >= len(runs) {
		return Run{}, fmt.Errorf("run index %d out of range: the sweep has %d runs (valid indices 0..%d)",
			index, len(runs), len(runs)-1)
	}
	return runs[index], nil
}

// RunState is what Run did.
type RunState string

const (
	Trained RunState = "trained" // trained (or resumed) to completion now
	Skipped RunState = "skipped" // already DONE
)

// Run trains run index unless it is DONE: it writes sweep.json and the run's config.json (refusing a run
// directory that holds a different configuration), trains (resuming from the run's checkpoints), then writes
// the DONE marker atomically. rep nil means training.AutoReporter.
func (s *Sweep) Run(index int, rep training.Reporter) (RunState, error) {
	run, err := s.RunAt(index)
	if err != nil {
		return "", fmt.Errorf("sweep.Sweep.Run: %w", err)
	}
	if run.Done() {
		return Skipped, nil
	}
	k, err := kind(s.Kind)
	if err != nil {
		return "", fmt.Errorf("sweep.Sweep.Run: %w", err)
	}
	if err := s.writeSweepFile(); err != nil {
		return "", fmt.Errorf("sweep.Sweep.Run: %w", err)
	}
	if err := prepareRunDir(run); err != nil {
		return "", fmt.Errorf("sweep.Sweep.Run: run %d (%s): %w", index, run.ID, err)
	}
	if err := safeTrain(k, run, rep); err != nil {
		return "", fmt.Errorf("sweep.Sweep.Run: run %d (%s): %w", index, run.ID, err)
	}
	done, _ := json.Marshal(map[string]any{"steps": run.Steps, "finished": time.Now().UTC().Format(time.RFC3339)})
	if err := writeAtomic(filepath.Join(run.Dir, DoneFile), done); err != nil {
		return "", fmt.Errorf("sweep.Sweep.Run: run %d (%s): %w", index, run.ID, err)
	}
	return Trained, nil
}

func safeTrain(k Kind, run Run, rep training.Reporter) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("training panicked: %v", r)
		}
	}()
	return k.Train(run, rep)
}

// RunAll runs every run in order (DONE ones are skipped) and stops at the first error.
func (s *Sweep) RunAll(rep training.Reporter) ([]RunState, error) {
	runs, err := s.Runs()
	if err != nil {
		return nil, fmt.Errorf("sweep.Sweep.RunAll: %w", err)
	}
	states := make([]RunState, 0, len(runs))
	for i := range runs {
		st, err := s.Run(i, rep)
		if err != nil {
			return states, err
		}
		states = append(states, st)
	}
	return states, nil
}

// Status describes a run for listings: "done", "partial" (checkpoints but no DONE) or "pending".
func (r Run) Status() string {
	if r.Done() {
		return "done"
	}
	if ents, err := os.ReadDir(r.CheckpointDir()); err == nil && len(ents) > 0 {
		return "partial"
	}
	return "pending"
}

// RunByID returns the run with the given id.
func (s *Sweep) RunByID(id string) (Run, error) {
	runs, err := s.Runs()
	if err != nil {
		return Run{}, err
	}
	for _, r := range runs {
		if r.ID == id {
			return r, nil
		}
	}
	return Run{}, fmt.Errorf("sweep %q has no run %q", s.Name, id)
}

// LoadRun restores one run's trained model with its kind's Load.
func (s *Sweep) LoadRun(run Run) (training.Model, error) {
	k, err := kind(s.Kind)
	if err != nil {
		return nil, err
	}
	if k.Load == nil {
		return nil, fmt.Errorf("kind %q cannot load models", s.Kind)
	}
	return k.Load(run)
}

// LoadModels restores the models of the DONE runs with their kind's Load, in run order.
func (s *Sweep) LoadModels() ([]training.Model, []Run, error) {
	runs, err := s.Runs()
	if err != nil {
		return nil, nil, fmt.Errorf("sweep.Sweep.LoadModels: %w", err)
	}
	k, err := kind(s.Kind)
	if err != nil {
		return nil, nil, fmt.Errorf("sweep.Sweep.LoadModels: %w", err)
	}
	if k.Load == nil {
		return nil, nil, fmt.Errorf("sweep.Sweep.LoadModels: kind %q cannot load models", s.Kind)
	}
	var models []training.Model
	var done []Run
	for _, r := range runs {
		if !r.Done() {
			continue
		}
		m, err := k.Load(r)
		if err != nil {
			return nil, nil, fmt.Errorf("sweep.Sweep.LoadModels: run %d (%s): %w", r.Index, r.ID, err)
		}
		models = append(models, m)
		done = append(done, r)
	}
	return models, done, nil
}

func (s *Sweep) writeSweepFile() error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	c := *s
	c.Dir = "."
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(s.Dir, SweepFile)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return writeAtomic(path, b)
}

func prepareRunDir(run Run) error {
	if err := os.MkdirAll(run.CheckpointDir(), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(run.Dir, RunConfigFile)
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		var a, c any
		if json.Unmarshal(old, &a) != nil || json.Unmarshal(b, &c) != nil || !jsonEqual(a, c) {
			return fmt.Errorf("%s holds a different configuration (delete the run directory to retrain)", path)
		}
		return nil
	case errors.Is(err, os.ErrNotExist):
		return writeAtomic(path, b)
	default:
		return err
	}
}

// jsonEqual compares decoded JSON values, ignoring the run index (which moves when a grid is extended).
func jsonEqual(a, b any) bool {
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if ok1 && ok2 {
		delete(am, "index")
		delete(bm, "index")
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		_ = os.Remove(name)
		return err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		_ = os.Remove(name)
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		_ = os.Remove(name)
		return err
	}
	return nil
}

func formatValue(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case string:
		return x
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// sanitize keeps run ids portable as directory names.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '+':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	return b.String()
}
