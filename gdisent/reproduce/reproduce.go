// Package reproduce runs the papers' experiments to a finished result: each Experiment is one or more sweeps
// (package sweep) whose finished runs are scored and summarised, mean ± sd over seeds, beside the published
// numbers. Runs are resumable and independent: a run whose score file exists is done; a missing one is trained
// (resuming from its checkpoints, if any) and scored again, so deleting one seed's score recomputes only that seed.
//
// Layout: results/<experiment>/results.json (numbers, seeds, iterations, wall time, backend, commit, CPU), the
// per-run score files results/<experiment>/<sweep>/<run id>/score.json and the figures; checkpoints go to a work
// directory (runs/reproduce by default) that is not part of the results.
package reproduce

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/sweep"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Experiment is one reproduced result.
type Experiment struct {
	Name  string // directory name under results/, e.g. "ring"
	Title string // one line for the table, e.g. "Unrolled GAN on the 2D ring (Metz et al. 2017, Fig. 2)"
	Scale string // what we ran: iterations, image size, data set
	// Sweeps train the runs; each needs a unique Name. Their Dir is set at run time.
	Sweeps []sweep.Sweep
	// Score evaluates a finished run's model (loaded from its checkpoints) into named numbers.
	Score func(run sweep.Run, m training.Model) (map[string]float64, error)
	// Rows are the table lines: a metric's mean ± sd over the runs a row selects.
	Rows []Row
	// Figures, when set, draws the experiment's figures into dir from the finished runs.
	Figures func(runs []RunResult, load func(RunResult) (training.Model, error), dir string) error
	// Quick returns a tiny variant (same sweeps, a few steps) for tests and smoke runs.
	Quick func() Experiment
	// Pools, instead of Sweeps and Score, rank other experiments' finished runs without labels; each row's Sweep
	// names a pool and its Where a selector.
	Pools []Pool
}

// Row selects runs of one sweep by grid values and summarises one of their scores.
type Row struct {
	Label   string         // e.g. "K = 5"
	Sweep   string         // the sweep's Name
	Where   map[string]any // grid values the runs must have, e.g. {"UnrollSteps": 5}; nil selects all
	Metric  string         // a key of the Score map
	Paper   string         // the published number, as published ("" when the paper gives none)
	Reading string         // one line reading the difference
}

// RunResult is one finished run's score file.
type RunResult struct {
	Sweep       string             `json:"sweep"`
	ID          string             `json:"id"`
	Seed        int64              `json:"seed"`
	Steps       int                `json:"steps"`
	Params      map[string]any     `json:"params"`
	Scores      map[string]float64 `json:"scores"`
	WallSeconds float64            `json:"wall_seconds"` // training (this process's part) and scoring
	Dir         string             `json:"-"`            // the run's checkpoint directory
	// PoolSeeds, for one number computed over several runs (a pool's rank correlation), are their seeds.
	PoolSeeds []int64 `json:"pool_seeds,omitempty"`
}

// RowResult is a table line with its numbers.
type RowResult struct {
	Row
	Mean, SD float64
	N        int
	Seeds    []int64
}

// Results is results.json.
type Results struct {
	Name        string      `json:"name"`
	Title       string      `json:"title"`
	Scale       string      `json:"scale"`
	Rows        []RowResult `json:"rows"`
	Runs        []RunResult `json:"runs"`
	Pending     []string    `json:"pending,omitempty"` // runs not finished yet
	WallSeconds float64     `json:"wall_seconds"`      // sum over the runs
	Backend     string      `json:"backend"`
	Commit      string      `json:"commit"`
	CPU         string      `json:"cpu"`
	Written     string      `json:"written"`
}

// Options say where results and checkpoints go.
type Options struct {
	Results  string            // default "results"
	Work     string            // default "runs/reproduce"
	Reporter training.Reporter // nil: training.AutoReporter
	Log      func(format string, args ...any)
	// MaxRuns > 0 stops after that many runs were trained and scored in this call (the summary is still
	// written), so that a queue can take experiments in turns.
	MaxRuns int
	// Sweeps, when set, trains only the sweeps of these names (the summary still covers them all), e.g. to finish
	// one pool before the rest of an experiment.
	Sweeps []string
}

func (o Options) withDefaults() Options {
	if o.Results == "" {
		o.Results = "results"
	}
	if o.Work == "" {
		o.Work = filepath.Join("runs", "reproduce")
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	return o
}

// Run trains and scores every unfinished run of e, then writes results.json and the figures. It stops at the
// first error; what finished before is kept.
func Run(e Experiment, opts Options) (*Results, error) {
	opts = opts.withDefaults()
	if err := e.validate(); err != nil {
		return nil, err
	}
	if len(e.Pools) > 0 {
		return Summarize(e, opts)
	}
	outDir := filepath.Join(opts.Results, e.Name)
	for _, name := range opts.Sweeps {
		if !slices.ContainsFunc(e.Sweeps, func(s sweep.Sweep) bool { return s.Name == name }) {
			return nil, errors.Errorf("%s has no sweep %q (it has %s)", e.Name, name, sweepNames(e.Sweeps))
		}
	}
	done := 0
	for _, s := range e.Sweeps {
		if len(opts.Sweeps) > 0 && !slices.Contains(opts.Sweeps, s.Name) {
			continue
		}
		s.Dir = filepath.Join(opts.Work, e.Name, s.Name)
		runs, err := s.Runs()
		if err != nil {
			return nil, errors.Wrapf(err, "%s/%s", e.Name, s.Name)
		}
		for _, run := range runs {
			path := scorePath(outDir, s.Name, run.ID)
			if _, err := os.Stat(path); err == nil {
				continue
			}
			if opts.MaxRuns > 0 && done == opts.MaxRuns {
				break
			}
			done++
			opts.Log("%s/%s: run %s (%d steps)", e.Name, s.Name, run.ID, run.Steps)
			start := time.Now()
			if _, err := s.Run(run.Index, opts.Reporter); err != nil {
				return nil, errors.Wrapf(err, "%s/%s", e.Name, s.Name)
			}
			m, err := s.LoadRun(run)
			if err != nil {
				return nil, errors.Wrapf(err, "%s/%s: loading run %s", e.Name, s.Name, run.ID)
			}
			scores, err := e.Score(run, m)
			if err != nil {
				return nil, errors.Wrapf(err, "%s/%s: scoring run %s", e.Name, s.Name, run.ID)
			}
			rr := RunResult{Sweep: s.Name, ID: run.ID, Seed: run.Seed, Steps: run.Steps, Params: run.Params,
				Scores: scores, WallSeconds: time.Since(start).Seconds()}
			if err := writeJSON(path, rr); err != nil {
				return nil, err
			}
			opts.Log("%s/%s: run %s scored %v", e.Name, s.Name, run.ID, scores)
		}
	}
	return Summarize(e, opts)
}

// Summarize reads the finished runs' score files and writes results.json and the figures, without training.
func Summarize(e Experiment, opts Options) (*Results, error) {
	opts = opts.withDefaults()
	outDir := filepath.Join(opts.Results, e.Name)
	res := &Results{Name: e.Name, Title: e.Title, Scale: e.Scale, Commit: commit(), CPU: cpuModel(),
		Written: time.Now().UTC().Format(time.RFC3339)}
	if c := backend.Choose(); c.Config != "" {
		res.Backend = c.Config
	}
	if len(e.Pools) > 0 {
		runs, pending, err := runSelection(e.Pools, opts, opts.Log)
		if err != nil {
			return nil, err
		}
		res.Runs, res.Pending = runs, pending
	}
	for _, s := range e.Sweeps {
		s.Dir = filepath.Join(opts.Work, e.Name, s.Name)
		runs, err := s.Runs()
		if err != nil {
			return nil, err
		}
		for _, run := range runs {
			rr, err := readScore(outDir, s.Name, run.ID)
			if os.IsNotExist(err) {
				res.Pending = append(res.Pending, s.Name+"/"+run.ID)
				continue
			}
			if err != nil {
				return nil, err
			}
			rr.Dir = run.CheckpointDir()
			res.Runs = append(res.Runs, rr)
			res.WallSeconds += rr.WallSeconds
		}
	}
	for _, row := range e.Rows {
		res.Rows = append(res.Rows, summarizeRow(row, res.Runs))
	}
	if err := writeJSON(filepath.Join(outDir, "results.json"), res); err != nil {
		return nil, err
	}
	if e.Figures != nil && len(res.Runs) > 0 {
		load := func(r RunResult) (training.Model, error) {
			for _, s := range e.Sweeps {
				if s.Name == r.Sweep {
					s.Dir = filepath.Join(opts.Work, e.Name, s.Name)
					run, err := s.RunByID(r.ID)
					if err != nil {
						return nil, err
					}
					return s.LoadRun(run)
				}
			}
			return nil, errors.Errorf("no sweep %q", r.Sweep)
		}
		if err := e.Figures(res.Runs, load, outDir); err != nil {
			return res, errors.WithMessagef(err, "%s: figures", e.Name)
		}
	}
	return res, nil
}

func summarizeRow(row Row, runs []RunResult) RowResult {
	out := RowResult{Row: row}
	var xs []float64
	for _, r := range runs {
		if r.Sweep != row.Sweep || !matches(r.Params, row.Where) {
			continue
		}
		if v, ok := r.Scores[row.Metric]; ok && !math.IsNaN(v) {
			xs = append(xs, v)
			if len(r.PoolSeeds) > 0 {
				out.Seeds = append(out.Seeds, r.PoolSeeds...)
			} else {
				out.Seeds = append(out.Seeds, r.Seed)
			}
		}
	}
	out.N = len(xs)
	if out.N > 0 { // else Mean stays 0: N says there is no value (JSON has no NaN)
		out.Mean, out.SD = meanSD(xs)
	}
	return out
}

// matches reports whether params hold every value of where (keys compared case-insensitively, numbers as floats).
func matches(params, where map[string]any) bool {
	for k, want := range where {
		found := false
		for pk, v := range params {
			if strings.EqualFold(pk, k) {
				found = sameValue(v, want)
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	fa, okA := toFloat(a)
	fb, okB := toFloat(b)
	if okA && okB {
		return fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// meanSD is the mean and the sample standard deviation (0 for fewer than 2 values; NaN mean for none).
func meanSD(xs []float64) (mean, sd float64) {
	if len(xs) == 0 {
		return math.NaN(), 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(xs)-1))
}

func (e Experiment) validate() error {
	names := map[string]bool{}
	if len(e.Pools) > 0 {
		for _, p := range e.Pools {
			names[p.Name] = true
		}
	} else if e.Name == "" || e.Score == nil || len(e.Sweeps) == 0 {
		return errors.Errorf("reproduce: experiment %q needs a name, sweeps and a Score function", e.Name)
	}
	for _, s := range e.Sweeps {
		if s.Name == "" || names[s.Name] {
			return errors.Errorf("reproduce: %s: every sweep needs a unique name, got %q", e.Name, s.Name)
		}
		names[s.Name] = true
	}
	for _, r := range e.Rows {
		if !names[r.Sweep] {
			return errors.Errorf("reproduce: %s: row %q names no sweep of the experiment (%q)", e.Name, r.Label, r.Sweep)
		}
	}
	return nil
}

// scorePath is a run's score file, results/<experiment>/<sweep>/<run id>/score.json: removing the run's directory
// makes the next Run recompute that run alone.
func scorePath(outDir, sweepName, id string) string {
	return filepath.Join(outDir, sweepName, id, "score.json")
}

// readScore reads a run's score file. A missing file is returned as os.ReadFile's error (os.IsNotExist: the run
// has not finished); any other failure names the file.
func readScore(outDir, sweepName, id string) (RunResult, error) {
	var rr RunResult
	path := scorePath(outDir, sweepName, id)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return rr, err
	}
	if err == nil {
		err = json.Unmarshal(b, &rr)
	}
	return rr, errors.Wrapf(err, "reading the score of %s/%s", sweepName, id)
}

// writeJSON writes v indented, atomically (temporary file, rename).
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return errors.Wrapf(err, "encoding %s", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.WithStack(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return errors.WithStack(err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(tmp.Name())
		return errors.Errorf("writing %s: %v", path, cmpOr(werr, cerr))
	}
	return errors.WithStack(os.Rename(tmp.Name(), path))
}

// commit is the source revision: the build's VCS stamp, else git's HEAD, else "unknown".
func commit() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+modified"
			}
			return rev
		}
	}
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return "unknown"
}

// cpuModel is the processor's model name and core count, as results differ between machines.
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return fmt.Sprintf("%s (%d cores)", strings.TrimSpace(v), runtime.NumCPU())
		}
	}
	return fmt.Sprintf("%s (%d cores)", runtime.GOARCH, runtime.NumCPU())
}

var registry = map[string]func() Experiment{}

// Register adds an experiment under its name.
func Register(name string, e func() Experiment) { registry[name] = e }

// Names lists the registered experiments.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the named experiment.
func Get(name string) (Experiment, error) {
	f, ok := registry[name]
	if !ok {
		return Experiment{}, errors.Errorf("unknown experiment %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return f(), nil
}

func cmpOr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// sweepNames lists the sweeps' names for error messages.
func sweepNames(sweeps []sweep.Sweep) string {
	names := make([]string, len(sweeps))
	for i, s := range sweeps {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}
