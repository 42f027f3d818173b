package selection

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gdisent/gdisent/gdisent/metrics"
)

// linearTruth is the ground truth behind syntheticPool: K factors of `levels` classes each, observed as x = E·z
// with z the standardised classes, so model 0 (A = I) decodes it exactly.
type linearTruth struct {
	gen    linearModel
	levels int
}

func (s linearTruth) NumFactors() int { return len(s.gen.A) }
func (s linearTruth) FactorSizes() []int {
	out := make([]int, len(s.gen.A))
	for i := range out {
		out[i] = s.levels
	}
	return out
}
func (s linearTruth) Sample(rng *rand.Rand, n int) []int {
	out := make([]int, n*len(s.gen.A))
	for i := range out {
		out[i] = rng.IntN(s.levels)
	}
	return out
}
func (s linearTruth) Observe(classes []int, n int) ([]float32, error) {
	if len(classes) != n*len(s.gen.A) {
		return nil, fmt.Errorf("linearTruth: %d classes for %d rows", len(classes), n)
	}
	z := make([]float32, len(classes))
	mid := float64(s.levels-1) / 2
	for i, c := range classes {
		z[i] = float32((float64(c) - mid) / mid)
	}
	return s.gen.Generate(z, n)
}

func TestCompareSyntheticPool(t *testing.T) {
	pool := syntheticPool()
	truth := linearTruth{pool[0].(linearModel), 6}
	names := []string{"id", "p1", "p2", "p3", "rot01", "rot23", "rot-both"}
	cfg := quickMetric()
	cfg.NumTrain = 2000
	var stages []string
	c, err := Compare(pool, names, truth, CompareConfig{Metric: cfg, Supervised: []string{metrics.NameFactorVAE,
		metrics.NameMIG}, UDRInputs: 500, Progress: func(s string, d, n int) { stages = append(stages, fmt.Sprint(s, d, "/", n)) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2*len(pool)+1 || stages[0] != "supervised1/7" || stages[len(stages)-1] != "UDR1/1" {
		t.Errorf("progress %v", stages)
	}
	fv, err := c.Scores(metrics.NameFactorVAE)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FactorVAE %.2f, MC %.2f, UDR-L %.2f", fv, c.ModelCentrality.Scores, c.UDRLasso.Scores)
	for i := range 4 {
		if fv[i] < 0.99 {
			t.Errorf("model %d is a signed permutation of the truth, FactorVAE %.3f, want 1", i, fv[i])
		}
	}
	if fv[6] > 0.9 {
		t.Errorf("fully mixed model scores FactorVAE %.3f", fv[6])
	}
	picks, err := c.Picks(metrics.NameFactorVAE)
	if err != nil {
		t.Fatal(err)
	}
	if len(picks) != 5 || picks[0].Index > 3 || picks[1].Selector != SelectorModelCentrality || picks[1].Index > 3 {
		t.Fatalf("picks %+v", picks)
	}
	if picks[1].Spearman < 0.5 {
		t.Errorf("ModelCentrality ranks the pool against FactorVAE with ρ = %.2f, want clearly positive", picks[1].Spearman)
	}
	mean := 0.0
	for _, v := range fv {
		mean += v / 7
	}
	if last := picks[4]; last.Index != -1 || math.Abs(last.Scores[metrics.NameFactorVAE]-mean) > 1e-12 {
		t.Errorf("pool mean row %+v, want FactorVAE %.4f", last, mean)
	}
	var buf bytes.Buffer
	if err := c.WriteTable(&buf, metrics.NameFactorVAE, []string{metrics.NameFactorVAE, metrics.NameMIG}); err != nil {
		t.Fatal(err)
	}
	t.Logf("table:\n%s", buf.String())
	if out := buf.String(); strings.Count(out, "\n") != 6 || !strings.Contains(out, "UDR (Spearman)") ||
		!strings.Contains(out, names[picks[1].Index]) {
		t.Errorf("table:\n%s", out)
	}
	if _, err := c.RankingPanels(metrics.NameMIG); err != nil {
		t.Error(err)
	}
	path := filepath.Join(t.TempDir(), "sub", "cmp.json")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadComparison(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Error("Save/LoadComparison does not round-trip")
	}
}

func TestCompareErrors(t *testing.T) {
	pool := syntheticPool()
	truth := linearTruth{pool[0].(linearModel), 6}
	for _, c := range []struct {
		name string
		err  func() error
		want string
	}{
		{"one model", func() error { _, err := Compare(pool[:1], nil, truth, CompareConfig{}); return err }, "at least 2"},
		{"names", func() error { _, err := Compare(pool, []string{"a"}, truth, CompareConfig{}); return err }, "names"},
		{"truth", func() error { _, err := Compare(pool, nil, nil, CompareConfig{}); return err }, "ground-truth"},
		{"unknown metric", func() error {
			_, err := (&Comparison{Names: []string{"a", "b"}, Supervised: []map[string]float64{{"mig": 1}, {"mig": 0}}}).Picks("sap")
			return err
		}, `no supervised "sap"`},
		{"missing file", func() error { _, err := LoadComparison(filepath.Join(t.TempDir(), "none.json")); return err }, "compute"},
	} {
		if err := c.err(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
	if got := Models([]linearModel{pool[0].(linearModel), pool[1].(linearModel)}); len(got) != 2 || got[1] == nil {
		t.Errorf("Models: %v", got)
	}
}
