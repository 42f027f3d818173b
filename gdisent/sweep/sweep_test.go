package sweep

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/selection"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/gdisent/vae"
)

// fakeKind "trains" by counting steps in <checkpoints>/step, failing once at failAt (a killed process).
var (
	failAt     = -1
	trainCalls []string // "id:from"
)

func init() {
	_ = RegisterKind("fake", Kind{Train: func(run Run, _ training.Reporter) error {
		path := filepath.Join(run.CheckpointDir(), "step")
		step := 0
		if b, err := os.ReadFile(path); err == nil {
			step, _ = strconv.Atoi(string(b))
		}
		trainCalls = append(trainCalls, fmt.Sprintf("%s:%d", run.ID, step))
		for ; step < run.Steps; step++ {
			if step == failAt {
				failAt = -1
				return errors.New("killed")
			}
			if err := os.WriteFile(path, []byte(strconv.Itoa(step+1)), 0o644); err != nil {
				return err
			}
		}
		return nil
	}})
}

func TestSweepRunsAndResume(t *testing.T) {
	dir := t.TempDir()
	s := &Sweep{Kind: "fake", Dir: dir, Steps: 10, Seeds: []int64{1, 2},
		Params: map[string]any{"base": "small"}, Grid: map[string][]any{"beta": {1, 4.5}, "arch": {"mlp"}}}
	runs, err := s.Runs()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"arch=mlp_beta=1_seed=1", "arch=mlp_beta=1_seed=2", "arch=mlp_beta=4.5_seed=1", "arch=mlp_beta=4.5_seed=2"}
	if len(runs) != len(want) {
		t.Fatalf("%d runs, want %d", len(runs), len(want))
	}
	for i, r := range runs {
		if r.ID != want[i] || r.Index != i || r.Dir != filepath.Join(dir, want[i]) {
			t.Errorf("run %d = %+v, want id %s", i, r, want[i])
		}
		if r.Params["base"] != "small" || r.Params["arch"] != "mlp" {
			t.Errorf("run %d params %v", i, r.Params)
		}
	}
	// A run killed midway resumes from its progress; a DONE run is skipped.
	trainCalls, failAt = nil, 6
	if _, err := s.Run(2, nil); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("killed run: err = %v", err)
	}
	if runs[2].Done() || runs[2].Status() != "partial" {
		t.Fatalf("killed run is %s", runs[2].Status())
	}
	st, err := s.Run(2, nil)
	if err != nil || st != Trained {
		t.Fatalf("resume: %v %v", st, err)
	}
	if st, err := s.Run(2, nil); err != nil || st != Skipped {
		t.Fatalf("rerun of a DONE run: %v %v", st, err)
	}
	if got := strings.Join(trainCalls, " "); got != "arch=mlp_beta=4.5_seed=1:0 arch=mlp_beta=4.5_seed=1:6" {
		t.Errorf("train calls %q", got)
	}
	states, err := s.RunAll(nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(states) != "[trained trained skipped trained]" {
		t.Errorf("RunAll states %v", states)
	}
	// The sweep directory describes itself.
	o, err := OpenSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	oruns, err := o.Runs()
	if err != nil || len(oruns) != 4 || oruns[3].ID != want[3] || !oruns[3].Done() {
		t.Fatalf("OpenSweep runs: %v %v", oruns, err)
	}
	// Out of range indices are clear errors.
	for _, i := range []int{-1, 4} {
		_, err := s.Run(i, nil)
		if err == nil || !strings.Contains(err.Error(), "out of range") || !strings.Contains(err.Error(), "0..3") {
			t.Errorf("index %d: err = %v", i, err)
		}
	}
	// A changed configuration under an existing run directory is refused.
	s2 := *s
	s2.Steps = 20
	if _, err := os.Stat(filepath.Join(runs[0].Dir, DoneFile)); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(runs[0].Dir, DoneFile))
	if _, err := s2.Run(0, nil); err == nil || !strings.Contains(err.Error(), "different configuration") {
		t.Errorf("changed config: err = %v", err)
	}
}

func TestSweepValidation(t *testing.T) {
	for name, s := range map[string]Sweep{
		"no kind":    {Dir: "d", Seeds: []int64{1}},
		"no seeds":   {Kind: "fake", Dir: "d"},
		"dup seeds":  {Kind: "fake", Dir: "d", Seeds: []int64{1, 1}},
		"empty grid": {Kind: "fake", Dir: "d", Seeds: []int64{1}, Grid: map[string][]any{"beta": {}}},
		"seed grid":  {Kind: "fake", Dir: "d", Seeds: []int64{1}, Grid: map[string][]any{"seed": {1}}},
		"dup value":  {Kind: "fake", Dir: "d", Seeds: []int64{1}, Grid: map[string][]any{"beta": {1, 1.0}}},
		"id collide": {Kind: "fake", Dir: "d", Seeds: []int64{1}, Grid: map[string][]any{"x": {"a/b", "a:b"}}},
		"no dir":     {Kind: "fake", Seeds: []int64{1}},
		"neg steps":  {Kind: "fake", Dir: "d", Seeds: []int64{1}, Steps: -1},
	} {
		if _, err := s.Runs(); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	s := Sweep{Kind: "nope", Dir: t.TempDir(), Seeds: []int64{1}}
	if _, err := s.Run(0, nil); err == nil || !strings.Contains(err.Error(), "unknown model kind") {
		t.Errorf("unknown kind: %v", err)
	}
	// Files: relative dirs resolve against the file's folder; unknown fields are errors.
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep.json")
	_ = os.WriteFile(path, []byte(`{"kind": "fake", "dir": "out", "seeds": [1], "steps": 2}`), 0o644)
	ls, err := LoadSweep(path)
	if err != nil || ls.Dir != filepath.Join(dir, "out") {
		t.Errorf("LoadSweep: %+v %v", ls, err)
	}
	_ = os.WriteFile(path, []byte(`{"kind": "fake", "dir": "out", "seeds": [1], "stpes": 2}`), 0o644)
	if _, err := LoadSweep(path); err == nil {
		t.Error("misspelt field: want an error")
	}
}

// TestVAEKindEndToEnd trains two tiny MLP VAEs through a sweep, loads them back and runs both selectors.
func TestVAEKindEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two small VAEs")
	}
	dir := t.TempDir()
	s := &Sweep{Kind: KindVAE, Dir: dir, Steps: 3, Seeds: []int64{1, 2},
		Params: map[string]any{"base": "small", "hidden": 16, "latentdim": 3, "batchsize": 8}}
	if _, err := s.RunAll(training.Silent()); err != nil {
		t.Fatal(err)
	}
	models, runs, err := s.LoadModels()
	if err != nil || len(models) != 2 || len(runs) != 2 {
		t.Fatalf("LoadModels: %d models, %v", len(models), err)
	}
	pool := selection.Models(models)
	mc := metrics.InfoGANCRConfig()
	mc.NumGroups, mc.GroupSize, mc.NumVariance = 12, 8, 64
	if _, err := selection.ModelCentrality(pool, selection.CentralityConfig{Metric: &mc}); err != nil {
		t.Fatal(err)
	}
	images, err := data.NewDSprites().SampleImages(rand.New(rand.NewPCG(1, 1)), 64)
	if err != nil {
		t.Fatal(err)
	}
	u, err := selection.UDRModels(pool, images, 64, selection.UDRConfig{Method: selection.UDRSpearman})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Scores) != 2 {
		t.Errorf("UDR scores %v", u.Scores)
	}
	bases := map[string]func() vae.Config{"default": vae.DefaultConfig}
	set := func(*vae.Config, Run) {}
	if _, err := Config(Run{Kind: KindVAE, Params: map[string]any{"betta": 4}, Steps: 1}, bases, set); err == nil ||
		!strings.Contains(err.Error(), "betta") {
		t.Errorf("misspelt vae param: %v, want an error naming it", err)
	}
	if _, err := Config(Run{Kind: KindVAE, Params: map[string]any{"base": "huge"}, Steps: 1}, bases, set); err == nil {
		t.Error("unknown base accepted")
	}
}

// TestInfoGANCRPool trains a pool of 4 tiny InfoGAN-CR models through a sweep and ranks it with ModelCentrality:
// the InfoGAN family implements what the selectors need (generator, Q-head encoder, uniform code prior).
func TestInfoGANCRPool(t *testing.T) {
	dir := t.TempDir()
	s := &Sweep{Kind: KindInfoGANCR, Dir: dir, Steps: 3, Seeds: []int64{1, 2, 3, 4}, Params: TinyInfoGANCRParams()}
	if _, err := s.RunAll(training.Silent()); err != nil {
		t.Fatal(err)
	}
	models, runs, err := s.LoadModels()
	if err != nil || len(models) != 4 {
		t.Fatalf("LoadModels: %d models, %v", len(models), err)
	}
	pool := make([]selection.Model, len(models))
	for i, m := range models {
		if m.Step() != 3 {
			t.Errorf("run %s loaded at step %d", runs[i].ID, m.Step())
		}
		pool[i] = m
	}
	if _, ok := pool[0].(selection.PriorModel); !ok {
		t.Fatal("InfoGAN models must state their uniform code prior")
	}
	mc := metrics.InfoGANCRConfig()
	mc.NumGroups, mc.GroupSize, mc.NumVariance = 12, 8, 64
	r, err := selection.ModelCentrality(pool, selection.CentralityConfig{Metric: &mc})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Scores) != 4 || r.Best < 0 || r.Best > 3 {
		t.Fatalf("ModelCentrality: %+v", r)
	}
	t.Logf("scores %v, best %s", r.Scores, runs[r.Best].ID)
}
