package notebook

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gdisent/gdisent/plots"
	"gonum.org/v1/plot/vg"
)

func TestQuickAndPick(t *testing.T) {
	for _, c := range []struct {
		env  string
		want bool
	}{{"", false}, {"0", false}, {"false", false}, {"1", true}, {"yes", true}} {
		t.Setenv(QuickEnv, c.env)
		if got := Quick(); got != c.want {
			t.Errorf("Quick() with %s=%q = %v, want %v", QuickEnv, c.env, got, c.want)
		}
		want := 1000
		if c.want {
			want = 10
		}
		if got := Pick(1000, 10); got != want {
			t.Errorf("Pick(1000, 10) with %s=%q = %d, want %d", QuickEnv, c.env, got, want)
		}
	}
}

func TestOutDir(t *testing.T) {
	base := t.TempDir()
	t.Setenv(OutEnv, base)
	dir, err := OutDir("quickstart")
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(base, "quickstart") {
		t.Errorf("OutDir = %q, want under %q", dir, base)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Errorf("OutDir did not create %q: %v", dir, err)
	}
	// A file in the way gives an error, not a panic.
	blocker := filepath.Join(base, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(OutEnv, blocker)
	if _, err := OutDir("x"); err == nil {
		t.Error("OutDir under a regular file succeeded, want an error")
	}
}

func TestRunDir(t *testing.T) {
	base := t.TempDir()
	t.Setenv(RunsEnv, base)
	dir, err := RunDir("vae")
	if err != nil || dir != filepath.Join(base, "vae") {
		t.Fatalf("RunDir = %q, %v", dir, err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Errorf("RunDir did not create %q: %v", dir, err)
	}
}

// TestNotebookShowAndRunDir: Show exports the three formats; RunDir separates quick-mode runs.
func TestNotebookShowAndRunDir(t *testing.T) {
	out, runs := t.TempDir(), t.TempDir()
	t.Setenv(OutEnv, out)
	t.Setenv(RunsEnv, runs)
	t.Setenv(QuickEnv, "")
	nb := New("demo")
	p, err := plots.Curves("t", "x", "y", plots.Series{Name: "a", X: []float64{0, 1}, Y: []float64{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	nb.Show("curve", p, 3*vg.Inch, 2*vg.Inch)
	for _, ext := range []string{"png", "svg", "pdf"} {
		if st, err := os.Stat(filepath.Join(out, "demo", "curve."+ext)); err != nil || st.Size() == 0 {
			t.Errorf("curve.%s not exported: %v", ext, err)
		}
	}
	full := nb.RunDir("m")
	t.Setenv(QuickEnv, "1")
	quick := nb.RunDir("m")
	if full != filepath.Join(runs, "demo", "m") || quick != filepath.Join(runs, "quick", "demo", "m") {
		t.Errorf("run dirs %q and %q", full, quick)
	}
}

// TestShowResults: a finished experiment is found under $GDISENT_ROOT/results and shown; a missing one says how
// to run it.
func TestShowResults(t *testing.T) {
	root := t.TempDir()
	t.Setenv("GDISENT_ROOT", root)
	if ShowResults("ring") {
		t.Fatal("ShowResults found results in an empty tree")
	}
	dir := filepath.Join(root, "results", "ring")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), []byte(`{"name": "ring", "title": "Ring",
		"rows": [{"Label": "K = 5", "Mean": 8, "N": 3}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if !ShowResults("ring") {
		t.Fatal("ShowResults did not find results/ring/results.json")
	}
}
