package main

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/gdisent/gdisent/gdisent/sweep"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveIndex(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		flag string
		env  map[string]string
		want int
		err  string
	}{
		{"3", nil, 3, ""},
		{"2", map[string]string{"SLURM_ARRAY_TASK_ID": "5"}, 2, ""}, // the flag wins
		{"", map[string]string{"SLURM_ARRAY_TASK_ID": "5"}, 5, ""},
		{"", map[string]string{"JOB_COMPLETION_INDEX": "7"}, 7, ""},
		{"", nil, 0, "no run index"},
		{"", map[string]string{"SLURM_ARRAY_TASK_ID": "1-3"}, 0, "SLURM_ARRAY_TASK_ID"},
		{"x", nil, 0, "not an integer"},
	} {
		got, err := resolveIndex(tc.flag, env(tc.env))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("resolveIndex(%q, %v) error = %v, want %q", tc.flag, tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("resolveIndex(%q, %v) = %d, %v; want %d", tc.flag, tc.env, got, err, tc.want)
		}
	}
}

func TestSweepCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sweep.json")
	err := os.WriteFile(cfg, []byte(`{"kind": "vae", "dir": "runs", "steps": 2, "seeds": [1, 2],
		"params": {"base": "small", "hidden": 8, "latentdim": 2, "batchsize": 4}}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := runSweep([]string{"-config", cfg, "-index", "2"}); err == nil ||
		!strings.Contains(err.Error(), "out of range") || !strings.Contains(err.Error(), "2 runs") {
		t.Errorf("out of range index: err = %v", err)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "1")
	if err := runSweep([]string{"-config", cfg}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "seed=2", "DONE")); err != nil {
		t.Errorf("run 1 not DONE: %v", err)
	}
	if err := runSweep([]string{"-config", cfg, "-list"}); err != nil {
		t.Fatal(err)
	}
	if err := runSweep([]string{"-config", cfg, "-all"}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "select.json")
	if err := runSelect([]string{"-dir", filepath.Join(dir, "runs"), "-groups", "8", "-group-size", "4",
		"-variance", "32", "-udr-inputs", "32", "-o", out}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), `"model_centrality_pick"`) || !strings.Contains(string(b), `"udr_spearman_pick"`) {
		t.Errorf("select output: %s %v", b, err)
	}
}

// TestInfoGANCRPoolCommand: an InfoGAN-CR pool of 4 tiny models goes through `gdisent sweep` (one process-like
// call per index, as a scheduler would) and `gdisent select`, which ranks it.
func TestInfoGANCRPoolCommand(t *testing.T) {
	dir := t.TempDir()
	params, err := json.Marshal(sweep.TinyInfoGANCRParams())
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sweep.json")
	if err := os.WriteFile(cfg, []byte(`{"kind": "infogan-cr", "dir": "pool", "steps": 3, "seeds": [1, 2, 3, 4],
		"params": `+string(params)+`}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := runSweep([]string{"-config", cfg, "-index", strconv.Itoa(i)}); err != nil {
			t.Fatalf("index %d: %v", i, err)
		}
	}
	out := filepath.Join(dir, "select.json")
	if err := runSelect([]string{"-dir", filepath.Join(dir, "pool"), "-groups", "8", "-group-size", "4",
		"-variance", "32", "-udr-inputs", "32", "-o", out}); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Runs []string `json:"runs"`
		Pick string   `json:"model_centrality_pick"`
		UDR  string   `json:"udr_lasso_pick"`
	}
	b, err := os.ReadFile(out)
	if err != nil || json.Unmarshal(b, &res) != nil {
		t.Fatalf("select output: %s %v", b, err)
	}
	if len(res.Runs) != 4 || !slices.Contains(res.Runs, res.Pick) || !slices.Contains(res.Runs, res.UDR) {
		t.Errorf("select ranked %v, picks %q / %q", res.Runs, res.Pick, res.UDR)
	}
}
