package metrics

import (
	"encoding/json"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent"
)

// TestCrossCheckScikitLearn recomputes the sample-based metrics with scikit-learn (testdata/crosscheck.py) on the
// same arrays and compares. It runs only where GDISENT_SKLEARN_PYTHON names a Python with numpy, scipy and
// scikit-learn (Debian: apt-get install python3-sklearn; then GDISENT_SKLEARN_PYTHON=/usr/bin/python3), since
// nothing may be installed at test time.
func TestCrossCheckScikitLearn(t *testing.T) {
	py := os.Getenv("GDISENT_SKLEARN_PYTHON")
	if py == "" {
		t.Skip("set GDISENT_SKLEARN_PYTHON to a python3 with scikit-learn to run the cross-check")
	}
	// Noisy codes of three factors plus two mixtures; a fixed noise stream keyed by row.
	src := synth{sizes: []int{3, 6, 12}}
	rng := rand.New(rand.NewPCG(17, 1))
	enc := gdisent.EncoderFunc(func(im []float32, n int) ([]float32, error) {
		out := make([]float32, n*5)
		for i := 0; i < n; i++ {
			v := im[i*3 : i*3+3]
			for j := 0; j < 3; j++ {
				out[i*5+j] = v[j] + float32(0.6*rng.NormFloat64())
			}
			out[i*5+3] = v[0] + v[1] + float32(0.3*rng.NormFloat64())
			out[i*5+4] = v[1] - 0.5*v[2] + float32(0.3*rng.NormFloat64())
		}
		return out, nil
	})
	cfg := DefaultConfig()
	cfg.DownstreamSizes = []int{100, 1000}
	tr, err := sampleSet(enc, src, rand.New(rand.NewPCG(1, 2)), 3000, cfg)
	if err != nil {
		t.Fatal(err)
	}
	te, err := sampleSet(enc, src, rand.New(rand.NewPCG(2, 2)), 2000, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, s := range map[string]Samples{"tr": tr, "te": te} {
		f := make([]int64, len(s.Factors))
		for i, v := range s.Factors {
			f[i] = int64(v)
		}
		if err := data.WriteNPYFile(filepath.Join(dir, "z"+name+".npy"), []int{s.N, s.D}, s.Codes); err != nil {
			t.Fatal(err)
		}
		if err := data.WriteNPYFile(filepath.Join(dir, "v"+name+".npy"), []int{s.N, s.K}, f); err != nil {
			t.Fatal(err)
		}
	}
	sizes, _ := json.Marshal(cfg.DownstreamSizes)
	if err := os.WriteFile(filepath.Join(dir, "sizes.json"), sizes, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd := exec.Command(py, "testdata/crosscheck.py", dir)
	cmd.Stderr = &stderr
	blob, err := cmd.Output()
	if err != nil {
		t.Fatalf("crosscheck.py: %v\n%s", err, stderr.String())
	}
	var sk map[string]float64
	if err := json.Unmarshal(blob, &sk); err != nil {
		t.Fatalf("crosscheck.py output %q: %v", blob, err)
	}

	got := map[string]float64{}
	dci, err := DCI(tr, te, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got["dci.d"], got["dci.c"] = dci.Disentanglement, dci.Completeness
	got["dci.itr"], got["dci.ite"] = dci.InformativenessTrain, dci.InformativenessTest
	for _, m := range []LogRegMethod{LogRegLiblinear, LogRegLBFGS} {
		c := cfg
		c.LogReg = m
		e, err := Explicitness(tr, te, c)
		if err != nil {
			t.Fatal(err)
		}
		got["explicitness_"+m.String()] = e.Test
	}
	irs, err := IRS(tr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got["irs"] = irs.Score
	u, err := Unsupervised(tr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	got["tc"], got["wasserstein"], got["mutual_info"] = u.GaussianTotalCorrelation, u.GaussianWassersteinCorrelation, u.MutualInfoScore
	for _, p := range []DownstreamPredictor{DownstreamLogReg, DownstreamGBT} {
		d, err := Downstream(tr, te, p, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, z := range d.Sizes {
			got["downstream_"+p.String()+"_"+strconv.Itoa(z.NumTrain)] = z.MeanTestAccuracy
		}
	}
	skKey := map[string]string{"dci.d": "d", "dci.c": "c", "dci.itr": "itr", "dci.ite": "ite"}
	// Tolerances: exact formulas to rounding; optimised models to their solvers' precision; trees to sklearn's
	// random tie-breaking between equally good features.
	tol := map[string]float64{"dci.d": 0.005, "dci.c": 0.005, "dci.itr": 0.005, "dci.ite": 0.005,
		"explicitness_liblinear": 1e-4, "explicitness_lbfgs": 1e-4, "irs": 1e-9, "tc": 1e-8, "wasserstein": 1e-6,
		"mutual_info": 1e-9, "downstream_logreg_100": 0.002, "downstream_logreg_1000": 0.002,
		"downstream_gbt_100": 0.02, "downstream_gbt_1000": 0.01}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		g, name := got[k], k
		if s, ok := skKey[k]; ok {
			name = s
		}
		want, ok := sk[name]
		if !ok {
			t.Errorf("crosscheck.py did not report %s", name)
			continue
		}
		t.Logf("%-24s gdisent %.6f scikit-learn %.6f", k, g, want)
		if math.Abs(g-want) > tol[k] {
			t.Errorf("%s: gdisent %.6f, scikit-learn %.6f (tolerance %g)", k, g, want, tol[k])
		}
	}
}
