package reproduce

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdisent/gdisent/gdisent/selection"
	"github.com/gdisent/gdisent/gdisent/sweep"
	"github.com/gdisent/gdisent/gdisent/training"
)

// TestRingQuick runs the ring experiment's quick variant end to end, then removes two runs' results directories:
// a run limited to one sweep rescores that sweep's run alone, the next full run the other, and the others' files
// stay untouched.
func TestRingQuick(t *testing.T) {
	e := Ring().Quick()
	for i := range e.Sweeps {
		if e.Sweeps[i].Name == "gan" {
			e.Sweeps[i].Seeds = []int64{1, 2}
		}
	}
	opts := Options{Results: t.TempDir(), Work: t.TempDir(), Reporter: training.Silent()}
	res, err := Run(e, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Notebook networks: K = 0 with seeds 1 and 2; K = 0 with orthogonal initialisation and K = 0 with
	// simultaneous updates, seed 1 (two rows each). Paper networks: K = 0 and 5, seed 1 (three rows each).
	if len(res.Runs) != 6 || len(res.Pending) != 0 || len(res.Rows) != 12 {
		t.Fatalf("runs %d, pending %v, rows %d", len(res.Runs), res.Pending, len(res.Rows))
	}
	for _, row := range res.Rows {
		want := 1
		if row.Sweep == "gan" {
			want = 2
		}
		if row.N != want || row.Mean < 0 || (strings.Contains(row.Label, "modes") && row.Mean > 8) ||
			(strings.Contains(row.Label, "KL") && row.Mean > math.Log(8)+1e-9) {
			t.Errorf("row %q: n %d, mean %g", row.Label, row.N, row.Mean)
		}
	}
	if res.Commit == "" || res.CPU == "" || res.Backend == "" {
		t.Errorf("provenance missing: %+v", res)
	}
	for _, ext := range []string{"png", "svg", "pdf"} {
		for _, name := range []string{"ring", "ring-trajectory"} {
			if _, err := os.Stat(filepath.Join(opts.Results, "ring", name+"."+ext)); err != nil {
				t.Errorf("ring figure: %v", err)
			}
		}
	}
	keep := filepath.Join(opts.Results, "ring", "gan", "UnrollSteps=0_seed=1", "score.json")
	gone := filepath.Join(opts.Results, "ring", "gan", "UnrollSteps=0_seed=2")
	before, err := os.Stat(keep)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	// Only the paper-network sweep: its removed run is recomputed, the other sweep's stays pending.
	gonePaper := filepath.Join(opts.Results, "ring", "gan-paper", "UnrollSteps=5_seed=1")
	if err := os.RemoveAll(gonePaper); err != nil {
		t.Fatal(err)
	}
	only := opts
	only.Sweeps = []string{"gan-paper"}
	res, err = Run(e, only)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(gonePaper, "score.json")); err != nil {
		t.Errorf("-sweep gan-paper: removed run not recomputed: %v", err)
	}
	if !slices.Equal(res.Pending, []string{"gan/UnrollSteps=0_seed=2"}) {
		t.Errorf("-sweep gan-paper: pending %v, want the other sweep's removed run", res.Pending)
	}
	only.Sweeps = []string{"no-such-sweep"}
	if _, err := Run(e, only); err == nil || !strings.Contains(err.Error(), "gan-paper") {
		t.Errorf("unknown sweep: err %v, want one listing the sweeps", err)
	}
	var logged []string
	opts.Log = func(f string, a ...any) { logged = append(logged, f) }
	if _, err := Run(e, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(gone, "score.json")); err != nil {
		t.Errorf("removed run not recomputed: %v", err)
	}
	after, _ := os.Stat(keep)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("a finished run was recomputed")
	}
	if len(logged) != 2 { // "run …" and "… scored …" for the one removed run
		t.Errorf("second pass logged %d lines, want 2: %v", len(logged), logged)
	}
	all, err := ReadAll(opts.Results)
	if err != nil || len(all) != 1 {
		t.Fatalf("ReadAll: %v, %d", err, len(all))
	}
	table := Table(all)
	if !strings.Contains(table, "K = 5, paper networks: modes covered") || !strings.Contains(table, "8 (all modes)") {
		t.Errorf("table:\n%s", table)
	}
	readme := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(readme, []byte("# x\n"+TableBegin+"\nold\n"+TableEnd+"\nrest\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := UpdateReadme(readme, table); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(readme)
	if strings.Contains(string(b), "old") || !strings.Contains(string(b), "modes covered") || !strings.HasSuffix(string(b), TableEnd+"\nrest\n") {
		t.Errorf("README after update:\n%s", b)
	}
}

// TestExperimentsValidate: every registered experiment and its quick variant is well formed.
func TestExperimentsValidate(t *testing.T) {
	for _, n := range Names() {
		e, err := Get(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.validate(); err != nil {
			t.Error(err)
		}
		if e.Quick == nil {
			t.Errorf("%s has no quick variant", n)
		} else if err := e.Quick().validate(); err != nil {
			t.Error(err)
		}
	}
	if _, err := Get("nope"); err == nil || !strings.Contains(err.Error(), "ring") {
		t.Errorf("unknown experiment: %v", err)
	}
}

// TestQuickVariantsScore runs every other experiment's quick variant end to end: training, loading, scoring
// (each Score function on a real model) and the summary.
func TestQuickVariantsScore(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a few tiny models of each family")
	}
	for _, n := range Names() {
		if n == "ring" || n == "model-selection" {
			continue // TestRingQuick, TestModelSelectionQuick
		}
		e, _ := Get(n)
		opts := Options{Results: t.TempDir(), Work: t.TempDir(), Reporter: training.Silent()}
		res, err := Run(e.Quick(), opts)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		// Every image experiment draws its models' samples, one row per sweep.
		if _, err := os.Stat(filepath.Join(opts.Results, n, "samples.png")); err != nil {
			t.Errorf("%s: %v", n, err)
		}
		if len(res.Pending) != 0 || len(res.Runs) == 0 {
			t.Fatalf("%s: %d runs, pending %v", n, len(res.Runs), res.Pending)
		}
		for _, row := range res.Rows {
			if row.N == 0 {
				t.Errorf("%s: row %q has no value (metric %q missing from %v)", n, row.Label, row.Metric, res.Runs[0].Scores)
			}
		}
	}
}

// TestModelSelectionQuick trains a tiny InfoGAN-CR pool through its experiment, then ranks it: every selector's
// pick is one of the pool's runs, scored by the pool's metrics; the pool without finished runs stays pending.
func TestModelSelectionQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a pool of tiny InfoGAN-CR models")
	}
	opts := Options{Results: t.TempDir(), Work: t.TempDir(), Reporter: training.Silent()}
	pool := InfoGANCRDSprites().Quick() // its infogan-cr sweep only
	pool.Sweeps = slices.DeleteFunc(pool.Sweeps, func(s sweep.Sweep) bool { return s.Name != "infogan-cr" })
	pool.Sweeps[0].Seeds = []int64{1, 2, 3}
	pool.Rows = slices.DeleteFunc(pool.Rows, func(r Row) bool { return r.Sweep != "infogan-cr" })
	if _, err := Run(pool, opts); err != nil {
		t.Fatal(err)
	}
	res, err := Run(ModelSelection().Quick(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pending) != 1 || !strings.Contains(res.Pending[0], "factorvae") {
		t.Errorf("pending %v, want the FactorVAE pool", res.Pending)
	}
	filled := 0
	var pool3 []RunResult // the three trained runs' scores
	for _, r := range []string{"seed=1", "seed=2", "seed=3"} {
		rr, err := readScore(filepath.Join(opts.Results, "infogan-cr-dsprites"), "infogan-cr", r)
		if err != nil {
			t.Fatal(err)
		}
		pool3 = append(pool3, rr)
	}
	for _, row := range res.Rows {
		if !strings.HasPrefix(row.Label, "infogan-cr pool") {
			if row.N != 0 {
				t.Errorf("row %q of an unfinished pool has values", row.Label)
			}
			continue
		}
		if want := map[bool]int{true: 3, false: 1}[strings.Contains(row.Label, "mean of the pool")]; row.N != want {
			t.Errorf("row %q: %d values, want %d", row.Label, row.N, want)
		}
		filled++
		switch {
		case strings.Contains(row.Label, "ModelCentrality: rank correlation"):
			// Recomputed from the stored selection: centrality scores against the runs' FactorVAE metric.
			var sel selectionFile
			b, err := os.ReadFile(filepath.Join(opts.Results, "model-selection", "infogan-cr", "selection.json"))
			if err != nil || json.Unmarshal(b, &sel) != nil {
				t.Fatalf("selection.json: %v", err)
			}
			metric := make([]float64, len(sel.Runs))
			for i, id := range sel.Runs {
				metric[i] = pool3[slices.IndexFunc(pool3, func(r RunResult) bool { return r.ID == id })].Scores[row.Metric]
			}
			want, err := selection.Spearman(sel.Centrality.Scores, metric)
			if err != nil || math.Abs(row.Mean-want) > 1e-12 {
				t.Errorf("row %q: %g, want %g (%v)", row.Label, row.Mean, want, err)
			}
		case strings.Contains(row.Label, "mean of the pool"):
			want := 0.0
			for _, r := range pool3 {
				want += r.Scores[row.Metric] / 3
			}
			if math.Abs(row.Mean-want) > 1e-9 {
				t.Errorf("row %q: %g, want the mean of the three runs %g", row.Label, row.Mean, want)
			}
		}
	}
	if filled != (len(selectors)+1)*len(tableMetrics)+3 {
		t.Errorf("%d InfoGAN-CR rows", filled)
	}
	b, err := os.ReadFile(filepath.Join(opts.Results, "model-selection", "infogan-cr", "selection.json"))
	if err != nil || !strings.Contains(string(b), `"ModelCentrality": "seed=`) {
		t.Errorf("selection.json: %s %v", b, err)
	}
}

// TestSnapshotScoresMatchShorterRun pins the scores of a kept checkpoint: what a run scores at its checkpoint after
// 2 iterations equals what the same run stopped at 2 iterations scores as its final model.
func TestSnapshotScoresMatchShorterRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two tiny InfoGANs")
	}
	only := func(e Experiment, steps int) Experiment {
		var keep []sweep.Sweep
		for _, s := range e.Sweeps {
			if s.Name == "infogan" {
				s.Steps = steps
				keep = append(keep, s)
			}
		}
		e.Sweeps = keep
		var rows []Row
		for _, r := range e.Rows {
			if r.Sweep == "infogan" {
				rows = append(rows, r)
			}
		}
		e.Rows = rows
		return e
	}
	scores := func(e Experiment) map[string]float64 {
		res, err := Run(e, Options{Results: t.TempDir(), Work: t.TempDir(), Reporter: training.Silent()})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Runs) != 1 {
			t.Fatalf("%d runs, want 1", len(res.Runs))
		}
		return res.Runs[0].Scores
	}
	long := scores(only(InfoGANCRDSprites().Quick(), 3)) // scores its checkpoint after 2 iterations too
	short := only(InfoGANCRDSprites().Quick(), 2)
	short.Score = pooledDSpritesScore(2, true, nil)
	want := scores(short)
	differs, n := false, 0
	for key, got := range long {
		k, ok := strings.CutPrefix(key, snapshotKey(2, ""))
		if !ok {
			continue
		}
		n++
		if v, ok := want[k]; !ok || math.Abs(got-v) > 1e-9 {
			t.Errorf("%s: snapshot after 2 iterations scores %g, the 2-iteration run %g (present %v)", k, got, v, ok)
		}
		differs = differs || math.Abs(long[k]-got) > 1e-9
	}
	if n < len(tableMetrics) {
		t.Errorf("%d snapshot scores, want one per table metric (%d): %v", n, len(tableMetrics), long)
	}
	if !differs {
		t.Error("the 3-iteration model scores like the 2-iteration one on every metric: the test cannot tell the snapshot from the final model")
	}
}

// TestTableCells: a row shows mean ± sd over several runs, the bare value for one, and says when none has finished.
func TestTableCells(t *testing.T) {
	r := Results{Name: "x", Rows: []RowResult{
		{Row: Row{Label: "three", Paper: "0.5"}, Mean: 0.25, SD: 0.125, N: 3, Seeds: []int64{1, 2, 3}},
		{Row: Row{Label: "one"}, Mean: 0.75, N: 1, Seeds: []int64{4}},
		{Row: Row{Label: "none"}},
	}}
	table, page := Table([]Results{r}), HTML(r)
	for _, want := range []string{"| three | 0.250 ± 0.125 | 3 [1 2 3] | 0.5 |", "| one | 0.750 | 1 [4] | — |",
		"| none | not run yet | 0 [] | — |"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	for _, want := range []string{"0.250 ± 0.125", ">0.750<", "not run yet"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q:\n%s", want, page)
		}
	}
}
