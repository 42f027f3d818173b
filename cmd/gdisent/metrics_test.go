package main

import (
	"encoding/json"
	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/gdisent/vae"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdisent/gdisent/data"
)

// writeFactorsAndCodes writes n samples of k=3 factors (sizes 4, 5, 6) and codes derived from them by f.
func writeFactorsAndCodes(t *testing.T, n int, f func(factors []int64) []float32) (codes, factors string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{4, 5, 6}
	fac := make([]int64, 0, n*3)
	cod := make([]float32, 0, n*3)
	for i := 0; i < n; i++ {
		row := make([]int64, 3)
		for j, s := range sizes {
			row[j] = int64(rng.IntN(s))
		}
		fac = append(fac, row...)
		cod = append(cod, f(row)...)
	}
	dir := t.TempDir()
	codes, factors = filepath.Join(dir, "codes.npy"), filepath.Join(dir, "factors.npy")
	if err := data.WriteNPYFile(codes, []int{n, 3}, cod); err != nil {
		t.Fatal(err)
	}
	if err := data.WriteNPYFile(factors, []int{n, 3}, fac); err != nil {
		t.Fatal(err)
	}
	return codes, factors
}

func scoresFromFile(t *testing.T, path string) map[string]any {
	t.Helper()
	blob, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(blob, &res); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, blob)
	}
	return res
}

func TestMetricsCommandIdentityVsShuffled(t *testing.T) {
	// Codes that copy the factors in a permuted order are perfectly disentangled.
	codes, factors := writeFactorsAndCodes(t, 3000, func(f []int64) []float32 {
		return []float32{float32(f[2]), float32(f[0]), float32(f[1])}
	})
	out := filepath.Join(t.TempDir(), "res", "good.json")
	if err := runMetrics([]string{"-codes", codes, "-factors", factors, "-metrics", "mig,modularity", "-o", out}); err != nil {
		t.Fatal(err)
	}
	good := scoresFromFile(t, out)
	mig := good["mig"].(map[string]any)["score"].(float64)
	if mig < 0.9 {
		t.Errorf("MIG of permuted identity codes = %.3f, want > 0.9", mig)
	}
	// Codes that mix all factors equally carry no axis-aligned structure.
	codes2, factors2 := writeFactorsAndCodes(t, 3000, func(f []int64) []float32 {
		s := float32(f[0] + f[1] + f[2])
		return []float32{s, s, s}
	})
	out2 := filepath.Join(t.TempDir(), "bad.json")
	if err := runMetrics([]string{"-codes", codes2, "-factors", factors2, "-metrics", "mig", "-o", out2}); err != nil {
		t.Fatal(err)
	}
	bad := scoresFromFile(t, out2)["mig"].(map[string]any)["score"].(float64)
	if bad > mig/3 {
		t.Errorf("MIG of entangled codes = %.3f, not far below the identity's %.3f", bad, mig)
	}
}

func TestMetricsCommandErrors(t *testing.T) {
	codes, factors := writeFactorsAndCodes(t, 50, func(f []int64) []float32 {
		return []float32{float32(f[0]), float32(f[1]), float32(f[2])}
	})
	short, _ := writeFactorsAndCodes(t, 40, func(f []int64) []float32 { return []float32{0, 1, 2} })
	floatFactors := filepath.Join(t.TempDir(), "ff.npy")
	if err := data.WriteNPYFile(floatFactors, []int{50, 3}, make([]float32, 150)); err != nil {
		t.Fatal(err)
	}
	halves := make([]float64, 150)
	for i := range halves {
		halves[i] = 0.5 * float64(i%7)
	}
	if err := data.WriteNPYFile(floatFactors, []int{50, 3}, halves); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-codes", codes}, "required"},
		{[]string{"-codes", filepath.Join(t.TempDir(), "missing.npy"), "-factors", factors}, "missing.npy"},
		{[]string{"-codes", short, "-factors", factors}, "40 rows"},
		{[]string{"-codes", codes, "-factors", factors, "-protocol", "nope"}, "unknown protocol"},
		{[]string{"-codes", codes, "-factors", factors, "-continuous", "7"}, "not a factor index"},
		{[]string{"-codes", codes, "-factors", floatFactors}, "factor-bins"},
	} {
		err := runMetrics(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("runMetrics(%q) error = %v, want one mentioning %q", c.args, err, c.want)
		}
	}
	// With binning the float factors are accepted.
	out := filepath.Join(t.TempDir(), "binned.json")
	if err := runMetrics([]string{"-codes", codes, "-factors", floatFactors, "-factor-bins", "4", "-metrics", "mig", "-o", out}); err != nil {
		t.Errorf("binned factors: %v", err)
	}
}

func TestMetricsCommandNewScores(t *testing.T) {
	// Permuted copies of the factors: IRS is exactly 1, GBT predicts every factor, codes are uncorrelated.
	codes, factors := writeFactorsAndCodes(t, 1500, func(f []int64) []float32 {
		return []float32{float32(f[2]), float32(f[0]), float32(f[1])}
	})
	out := filepath.Join(t.TempDir(), "new.json")
	err := runMetrics([]string{"-codes", codes, "-factors", factors, "-metrics", "irs,unsupervised,downstream_gbt",
		"-downstream-sizes", "10,100", "-gbt-approx-bins", "64", "-logreg", "lbfgs", "-o", out})
	if err != nil {
		t.Fatal(err)
	}
	res := scoresFromFile(t, out)
	if irs := res["irs"].(map[string]any)["score"].(float64); irs != 1 {
		t.Errorf("IRS of permuted identity codes = %v, want 1", irs)
	}
	if tc := res["unsupervised"].(map[string]any)["gaussian_total_correlation"].(float64); tc > 0.01 {
		t.Errorf("total correlation of independent codes = %v, want ≈ 0", tc)
	}
	sizes := res["downstream_gbt"].(map[string]any)["sizes"].([]any)
	if len(sizes) != 2 {
		t.Fatalf("downstream sizes %v, want 10 and 100", sizes)
	}
	if acc := sizes[1].(map[string]any)["mean_test_accuracy"].(float64); acc < 0.99 {
		t.Errorf("GBT test accuracy from 100 rows = %v, want ≈ 1", acc)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-logreg", "newton"}, "unknown logistic regression"},
		{[]string{"-gbt-approx-bins", "1"}, "gbt-approx-bins"},
		{[]string{"-downstream-sizes", "10,x"}, "downstream-sizes"},
		{[]string{"-metrics", "fairness"}, "needs an Encoder"},
	} {
		err := runMetrics(append([]string{"-codes", codes, "-factors", factors}, c.args...))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("runMetrics(%q) error = %v, want one mentioning %q", c.args, err, c.want)
		}
	}
}

// TestMetricsOnModel: `gdisent metrics -model DIR -data NAME` rebuilds a trained model from its run directory and
// scores it on the named data set; a size mismatch and a missing directory are clear errors.
func TestMetricsOnModel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	cfg := vae.SmallConfig()
	cfg.Hidden, cfg.LatentDim, cfg.BatchSize, cfg.CheckpointDir = 16, 3, 8, dir
	b, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	m, err := vae.New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Train(data.NewDSprites(), 2, training.Silent()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "scores.json")
	if err := runMetrics([]string{"-model", dir, "-data", "dsprites", "-metrics", "mig,modularity", "-o", out}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(raw), `"mig"`) {
		t.Fatalf("scores: %s %v", raw, err)
	}
	if err := runMetrics([]string{"-model", dir, "-data", "dsprites", "-pool", "2"}); err == nil || !strings.Contains(err.Error(), "-pool") {
		t.Errorf("size mismatch: %v", err)
	}
	if err := runMetrics([]string{"-model", filepath.Join(dir, "nope"), "-data", "dsprites"}); err == nil {
		t.Error("a missing run directory was accepted")
	}
	if err := runMetrics([]string{"-model", dir}); err == nil || !strings.Contains(err.Error(), "-data") {
		t.Errorf("-model without -data: %v", err)
	}
}
