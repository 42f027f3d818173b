package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/infogan"
	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/gdisent/vae"
	"github.com/gdisent/gdisent/gdisent/vaegan"
)

// runMetrics scores a representation given as arrays — codes [N,D] and ground-truth factors [N,K] in .npy files,
// so representations from any framework can be compared with gdisent's — or a model trained by gdisent (its run
// directory) on a ground-truth data set given by path or name (data.Open: dSprites' official .npz, SmallNORB, an
// .npz of images and factor classes, "dsprites", ...).
func runMetrics(args []string) error {
	fs := flag.NewFlagSet("metrics", flag.ContinueOnError)
	modelDir := fs.String("model", "", "run `directory` of a model trained by gdisent (with -data, instead of -codes/-factors)")
	dataPath := fs.String("data", "", "ground-truth data set for -model: a file or folder data.Open reads, or a name such as dsprites")
	pool := fs.Int("pool", 1, "average-pool the data set's images by this factor to the model's size (e.g. 2 for 32×32 dSprites models)")
	codesPath := fs.String("codes", "", "`.npy` file with the codes, shape [N,D] (any float or int dtype)")
	factorsPath := fs.String("factors", "", "`.npy` file with the ground-truth factors, shape [N,K] (class indices)")
	names := fs.String("metrics", strings.Join(metrics.ArrayMetrics, ","),
		"comma-separated metrics (fairness and the BetaVAE/FactorVAE scores need interventions, not arrays)")
	protocol := fs.String("protocol", "disentanglement_lib", "disentanglement_lib or infogan_cr")
	logreg := fs.String("logreg", "auto", "BetaVAE/Explicitness logistic regression: liblinear (scikit-learn ≤ 0.21, "+
		"the published numbers; auto) or lbfgs (scikit-learn ≥ 0.22)")
	approxBins := fs.Int("gbt-approx-bins", 0, "approximate GBT splits with this many histogram bins (0: exact, as scikit-learn)")
	sizes := fs.String("downstream-sizes", "", "downstream task training sizes, comma-separated (default 10,100,1000,10000)")
	seed := fs.Uint64("seed", 0, "random seed of the metrics' sampling and classifiers")
	continuous := fs.String("continuous", "", "factors SAP treats as continuous: comma-separated indices, or 'dsprites'")
	bins := fs.Int("factor-bins", 0, "discretise non-integer factors into this many equal-width bins (0: require class indices)")
	out := fs.String("o", "", "write the JSON result to this file instead of standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *modelDir != "" || *dataPath != "" {
		return runModelMetrics(*modelDir, *dataPath, *pool, *names, fs, *protocol, *logreg, *seed, *continuous, *out)
	}
	if *codesPath == "" || *factorsPath == "" {
		return fmt.Errorf("both -codes and -factors are required (or -model and -data)")
	}
	codesArr, err := data.ReadNPYFile(*codesPath)
	if err != nil {
		return fmt.Errorf("reading codes: %w", err)
	}
	factorsArr, err := data.ReadNPYFile(*factorsPath)
	if err != nil {
		return fmt.Errorf("reading factors: %w", err)
	}
	n, d, err := matrixShape(codesArr, *codesPath)
	if err != nil {
		return err
	}
	nf, k, err := matrixShape(factorsArr, *factorsPath)
	if err != nil {
		return err
	}
	if nf != n {
		return fmt.Errorf("codes have %d rows but factors have %d (%s vs %s)", n, nf, *codesPath, *factorsPath)
	}
	factors, err := factorClasses(factorsArr, n, k, *bins)
	if err != nil {
		return fmt.Errorf("%s: %w", *factorsPath, err)
	}
	p, err := metrics.ParseProtocol(*protocol)
	if err != nil {
		return err
	}
	cfg := metrics.Config{Protocol: p, Seed: *seed}
	if cfg.ContinuousFactors, err = parseContinuous(*continuous, k); err != nil {
		return err
	}
	if cfg.LogReg, err = metrics.ParseLogRegMethod(*logreg); err != nil {
		return err
	}
	if *approxBins < 0 || *approxBins == 1 {
		return fmt.Errorf("-gbt-approx-bins %d: want 0 (exact splits) or at least 2 bins", *approxBins)
	}
	cfg.GBT.ApproxBins = *approxBins
	if cfg.DownstreamSizes, err = parseSizes(*sizes); err != nil {
		return err
	}
	res, err := metrics.RunArrays(codesArr.Float64s(), n, d, factors, k, splitNames(*names), cfg)
	if err != nil {
		return err
	}
	return writeResult(res, *out)
}

// splitNames parses a comma-separated metric list, ignoring blanks.
func splitNames(names string) []string {
	var list []string
	for _, s := range strings.Split(names, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	return list
}

// writeResult prints res as JSON, or writes it to out (atomically) and prints the headline scores.
func writeResult(res metrics.Result, out string) error {
	blob, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the result: %w", err)
	}
	blob = append(blob, '\n')
	if out == "" {
		_, err = os.Stdout.Write(blob)
		return err
	}
	if err := writeAtomic(out, blob); err != nil {
		return err
	}
	printScores(os.Stdout, res.Scores())
	return nil
}

func matrixShape(a *data.Array, path string) (n, cols int, err error) {
	switch len(a.Shape) {
	case 1:
		return a.Shape[0], 1, nil
	case 2:
		return a.Shape[0], a.Shape[1], nil
	}
	return 0, 0, fmt.Errorf("%s: want a [N,D] matrix, got shape %v", path, a.Shape)
}

// factorClasses returns the factors as class indices: integer arrays as they are (validated non-negative), float
// arrays either exactly integral or binned into `bins` equal-width bins per column.
func factorClasses(a *data.Array, n, k, bins int) ([]int, error) {
	if ints, err := a.Ints(); err == nil {
		for i, v := range ints {
			if v < 0 {
				return nil, fmt.Errorf("factor class at row %d, column %d is negative (%d)", i/k, i%k, v)
			}
		}
		return ints, nil
	} else if bins <= 0 {
		return nil, fmt.Errorf("factors are not integer class indices (%v); pass -factor-bins N to discretise them", err)
	}
	vals := a.Float64s()
	out := make([]int, len(vals))
	for c := 0; c < k; c++ {
		lo, hi := math.Inf(1), math.Inf(-1)
		for i := 0; i < n; i++ {
			v := vals[i*k+c]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("factor at row %d, column %d is %v", i, c, v)
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		for i := 0; i < n; i++ {
			b := 0
			if hi > lo {
				b = min(int((vals[i*k+c]-lo)/(hi-lo)*float64(bins)), bins-1)
			}
			out[i*k+c] = b
		}
	}
	return out, nil
}

func parseContinuous(s string, k int) ([]bool, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, nil
	case strings.EqualFold(s, "dsprites"):
		if k != len(metrics.DSpritesContinuous) {
			return nil, fmt.Errorf("-continuous dsprites needs %d factors, the factors have %d", len(metrics.DSpritesContinuous), k)
		}
		return metrics.DSpritesContinuous, nil
	}
	cont := make([]bool, k)
	for _, f := range strings.Split(s, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 0 || i >= k {
			return nil, fmt.Errorf("-continuous: %q is not a factor index in [0,%d)", f, k)
		}
		cont[i] = true
	}
	return cont, nil
}

// parseSizes reads a comma-separated list of positive sizes ("" = the default).
func parseSizes(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-downstream-sizes: %q is not a positive size", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func printScores(w io.Writer, scores map[string]float64) {
	keys := make([]string, 0, len(scores))
	width := 0
	for k := range scores {
		keys = append(keys, k)
		width = max(width, len(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%-*s %.4f\n", width, k, scores[k])
	}
}

// writeAtomic writes through a temporary file in the same directory and renames it into place, so a crash never
// leaves a half-written result.
func writeAtomic(path string, blob []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(blob); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// runModelMetrics scores the model of a run directory on a ground-truth data set.
func runModelMetrics(dir, path string, pool int, names string, fs *flag.FlagSet, protocol, logreg string, seed uint64,
	continuous, out string) error {
	if dir == "" || path == "" {
		return fmt.Errorf("-model and -data go together: the run directory of a trained model and its ground-truth data set")
	}
	m, err := loadRun(dir)
	if err != nil {
		return err
	}
	ds, err := data.Open(path)
	if err != nil {
		return err
	}
	var src metrics.FactorSource = ds
	if pool > 1 {
		if src, err = data.NewPooled(ds, pool); err != nil {
			return err
		}
	}
	shape := src.(data.FactorDataset).ImageShape()
	if shape != m.ImageShape() {
		return fmt.Errorf("the model in %s reads %v images but %s gives %v: pass -pool to shrink them", dir, m.ImageShape(), path, shape)
	}
	p, err := metrics.ParseProtocol(protocol)
	if err != nil {
		return err
	}
	cfg := metrics.Config{Protocol: p, Seed: seed}
	if cfg.ContinuousFactors, err = parseContinuous(continuous, src.NumFactors()); err != nil {
		return err
	}
	if cfg.LogReg, err = metrics.ParseLogRegMethod(logreg); err != nil {
		return err
	}
	list := []string{metrics.NameBetaVAE, metrics.NameFactorVAE, metrics.NameMIG, metrics.NameDCI, metrics.NameSAP,
		metrics.NameModularity, metrics.NameExplicitness}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "metrics" })
	if set { // else the seven metrics above; -metrics' default lists the array metrics only
		list = splitNames(names)
	}
	res, err := metrics.Evaluate(m, src, list, cfg)
	if err != nil {
		return err
	}
	return writeResult(res, out)
}

// loadRun rebuilds the model of a run directory, whatever its family.
func loadRun(dir string) (training.Model, error) {
	kind, _, err := training.ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	b, err := backend.New()
	if err != nil {
		return nil, err
	}
	switch kind {
	case vae.Kind:
		return vae.Load(b, dir)
	case vaegan.Kind:
		return vaegan.Load(b, dir)
	case infogan.Kind:
		return infogan.Load(b, dir)
	}
	return nil, fmt.Errorf("%s holds a %q model, which gdisent metrics cannot load", dir, kind)
}
