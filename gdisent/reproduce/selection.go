package reproduce

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/selection"
	"github.com/gdisent/gdisent/gdisent/sweep"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Pool is a pool of finished runs of another experiment's sweep, ranked without labels.
type Pool struct {
	Name       string // e.g. "infogan-cr"
	Experiment string // the experiment that trains the pool, e.g. "infogan-cr-dsprites"
	Sweep      string // its sweep
	// Centrality is the FactorVAE-metric configuration of ModelCentrality (Lin et al. 2020's protocol, usually
	// with fewer groups for a CPU); Inputs the number of shared inputs for UDR (Duan et al. 2020).
	Centrality metrics.Config
	Inputs     int
	MinRuns    int // selection waits until the pool has this many finished runs
}

// Selectors, in table order: the three unsupervised ones (selectionFile.unsupervised), then the supervised choice.
const supervisedBest = "supervised best"

var selectors = []string{"ModelCentrality", "UDR Lasso", "UDR Spearman", supervisedBest}

// selectionFile is what a pool's selection stores: the runs, each selector's pick and the scores.
type selectionFile struct {
	Runs       []string                   `json:"runs"`
	Picks      map[string]string          `json:"picks"` // selector → run id
	Centrality selection.CentralityResult `json:"model_centrality"`
	UDRLasso   selection.UDRResult        `json:"udr_lasso"`
	UDRSpear   selection.UDRResult        `json:"udr_spearman"`
}

// unsupervised returns the three unsupervised selectors' scores and picks under their table names (selectors[:3]).
func (s selectionFile) unsupervised() []selection.Selector {
	return []selection.Selector{
		{Name: selectors[0], Scores: s.Centrality.Scores, Best: s.Centrality.Best},
		{Name: selectors[1], Scores: s.UDRLasso.Scores, Best: s.UDRLasso.Best},
		{Name: selectors[2], Scores: s.UDRSpear.Scores, Best: s.UDRSpear.Best},
	}
}

// runSelection ranks each pool once its finished runs are there (again when the set of runs changes) and returns
// one RunResult per pool and selector: the picked run's scores under that selector's name.
func runSelection(pools []Pool, opts Options, log func(string, ...any)) ([]RunResult, []string, error) {
	var out []RunResult
	var pending []string
	for _, p := range pools {
		src, err := Get(p.Experiment)
		if err != nil {
			return nil, nil, err
		}
		var sw *sweep.Sweep
		for i := range src.Sweeps {
			if src.Sweeps[i].Name == p.Sweep {
				sw = &src.Sweeps[i]
			}
		}
		if sw == nil {
			return nil, nil, errors.Errorf("pool %s: experiment %s has no sweep %q", p.Name, p.Experiment, p.Sweep)
		}
		sw.Dir = filepath.Join(opts.Work, src.Name, sw.Name)
		runs, err := sw.Runs()
		if err != nil {
			return nil, nil, err
		}
		var finished []RunResult
		for _, run := range runs {
			rr, err := readScore(filepath.Join(opts.Results, src.Name), sw.Name, run.ID)
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				return nil, nil, errors.WithMessagef(err, "pool %s", p.Name)
			}
			if _, err := os.Stat(run.CheckpointDir()); err != nil {
				continue // scored elsewhere: its checkpoints are not on this machine
			}
			finished = append(finished, rr)
		}
		if len(finished) < max(2, p.MinRuns) {
			pending = append(pending, fmt.Sprintf("pool %s: %d of %d runs finished here", p.Name, len(finished), max(2, p.MinRuns)))
			continue
		}
		ids := make([]string, len(finished))
		for i, r := range finished {
			ids[i] = r.ID
		}
		path := filepath.Join(opts.Results, "model-selection", p.Name, "selection.json")
		var sel selectionFile
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &sel) == nil && slices.Equal(sel.Runs, ids) {
			log("pool %s: selection of %d runs already done", p.Name, len(ids))
		} else {
			log("pool %s: ranking %d runs", p.Name, len(ids))
			if sel, err = rankPool(sw, p, finished); err != nil {
				return nil, nil, errors.WithMessagef(err, "pool %s", p.Name)
			}
			if err := writeJSON(path, sel); err != nil {
				return nil, nil, err
			}
		}
		for _, name := range selectors {
			pick := sel.Picks[name]
			for _, r := range finished {
				if r.ID == pick || name == supervisedBest {
					scores := r.Scores
					if name == supervisedBest {
						scores = bestPerMetric(finished)
					}
					out = append(out, RunResult{Sweep: p.Name, ID: name + ":" + pick, Seed: r.Seed, Steps: r.Steps,
						Params: map[string]any{"selector": name}, Scores: scores})
					break
				}
			}
		}
		stats, err := poolStats(sel, finished)
		if err != nil {
			return nil, nil, errors.WithMessagef(err, "pool %s", p.Name)
		}
		for _, r := range stats {
			r.Sweep = p.Name
			out = append(out, r)
		}
	}
	return out, pending, nil
}

// Pool-wide rows beside the picks: each unsupervised selector's rank correlation with the supervised metrics, and
// the pool's mean score (what a pick at random gets on average).
const (
	rankCorrelation = " (rank correlation)"
	poolMean        = "pool mean"
)

// poolStats returns the pool's runs under selector "pool mean" (their rows give the pool's mean ± sd: what a pick
// at random scores on average) and, for each unsupervised selector, one RunResult whose scores are the Spearman
// rank correlations over the pool between the selector's scores and each supervised metric (selector "<name> (rank
// correlation)"). A single pick from eight runs is noisy; the correlation says how well the selector orders the
// whole pool (Duan et al. 2020 report UDR's this way).
func poolStats(sel selectionFile, finished []RunResult) ([]RunResult, error) {
	if len(sel.Runs) != len(finished) {
		return nil, errors.Errorf("selection of %d runs for %d finished", len(sel.Runs), len(finished))
	}
	var out []RunResult
	seeds := make([]int64, len(finished))
	for i, r := range finished {
		r.ID, r.Params = poolMean+":"+r.ID, map[string]any{"selector": poolMean}
		out = append(out, r)
		seeds[i] = r.Seed
	}
	for _, s := range sel.unsupervised() {
		if len(s.Scores) != len(finished) {
			return nil, errors.Errorf("%s scored %d runs of %d", s.Name, len(s.Scores), len(finished))
		}
		corr := map[string]float64{}
		for k := range finished[0].Scores {
			metric := make([]float64, len(finished))
			for i, r := range finished {
				v, ok := r.Scores[k]
				if !ok {
					metric = nil
					break
				}
				metric[i] = v
			}
			if metric == nil {
				continue
			}
			rho, err := selection.Spearman(s.Scores, metric)
			if err != nil {
				return nil, err
			}
			corr[k] = rho
		}
		out = append(out, RunResult{ID: s.Name + rankCorrelation, Params: map[string]any{"selector": s.Name + rankCorrelation},
			Scores: corr, PoolSeeds: seeds})
	}
	return out, nil
}

// bestPerMetric is, per metric, the best score in the pool: what hyperparameter tuning with the labels could pick.
func bestPerMetric(runs []RunResult) map[string]float64 {
	best := map[string]float64{}
	for _, r := range runs {
		for k, v := range r.Scores {
			if cur, ok := best[k]; !ok || v > cur {
				best[k] = v
			}
		}
	}
	return best
}

// rankPool loads the pool's models and ranks them with ModelCentrality and both UDR variants.
func rankPool(sw *sweep.Sweep, p Pool, finished []RunResult) (selectionFile, error) {
	sel := selectionFile{Picks: map[string]string{}}
	models := make([]selection.Model, len(finished))
	var first sweep.Run
	for i, r := range finished {
		run, err := sw.RunByID(r.ID)
		if err != nil {
			return sel, err
		}
		if i == 0 {
			first = run
		}
		m, err := sw.LoadRun(run)
		if err != nil {
			return sel, errors.WithMessagef(err, "loading %s", r.ID)
		}
		models[i] = m
		sel.Runs = append(sel.Runs, r.ID)
	}
	ds, err := sweep.Dataset(first)
	if err != nil {
		return sel, err
	}
	images, err := ds.SampleImages(rand.New(rand.NewPCG(2020, 0x0d7)), p.Inputs)
	if err != nil {
		return sel, err
	}
	r, err := selection.Rank(models, images, p.Inputs, p.Centrality, nil)
	if err != nil {
		return sel, err
	}
	sel.Centrality, sel.UDRLasso, sel.UDRSpear = r.ModelCentrality, r.UDRLasso, r.UDRSpearman
	for _, u := range sel.unsupervised() {
		sel.Picks[u.Name] = sel.Runs[u.Best]
	}
	sel.Picks[supervisedBest] = "per metric"
	return sel, nil
}

// ModelSelection is Table 3 of Lin et al. 2020: on a pool of InfoGAN-CR runs and a pool of FactorVAE (γ = 40)
// runs (from the infogan-cr-dsprites and vae-dsprites experiments), the model ModelCentrality picks, the models
// UDR Lasso and UDR Spearman pick (Duan et al. 2020), and the best score of the pool per metric (the supervised
// choice), each scored by all seven metrics.
func ModelSelection() Experiment {
	mc := metrics.InfoGANCRConfig()
	mc.NumGroups, mc.GroupSize, mc.NumVariance = 100, 64, 10_000
	pools := []Pool{
		{Name: "infogan-cr", Experiment: "infogan-cr-dsprites", Sweep: "infogan-cr", Centrality: mc, Inputs: 1000, MinRuns: 8},
		{Name: "factorvae", Experiment: "vae-dsprites", Sweep: "factorvae-40", Centrality: mc, Inputs: 1000, MinRuns: 8},
	}
	paper := map[string]map[string]map[string]string{
		"factorvae": {
			"UDR Lasso":       {metrics.NameFactorVAE: "0.81 ± .00", metrics.NameDCI: "0.70 ± .01", metrics.NameSAP: "0.56 ± .00", metrics.NameExplicitness: "0.79 ± .00", metrics.NameModularity: "0.78 ± .00", metrics.NameMIG: "0.40 ± .00", metrics.NameBetaVAE: "0.84 ± .00"},
			"UDR Spearman":    {metrics.NameFactorVAE: "0.79 ± .00", metrics.NameDCI: "0.73 ± .00", metrics.NameSAP: "0.53 ± .01", metrics.NameExplicitness: "0.79 ± .00", metrics.NameModularity: "0.77 ± .00", metrics.NameMIG: "0.40 ± .01", metrics.NameBetaVAE: "0.79 ± .00"},
			"ModelCentrality": {metrics.NameFactorVAE: "0.84 ± .00", metrics.NameDCI: "0.73 ± .01", metrics.NameSAP: "0.58 ± .00", metrics.NameExplicitness: "0.80 ± .00", metrics.NameModularity: "0.82 ± .00", metrics.NameMIG: "0.37 ± .00", metrics.NameBetaVAE: "0.86 ± .00"},
		},
		"infogan-cr": {
			"UDR Lasso":       {metrics.NameFactorVAE: "0.86 ± .01", metrics.NameDCI: "0.68 ± .01", metrics.NameSAP: "0.49 ± .01", metrics.NameExplicitness: "0.84 ± .00", metrics.NameModularity: "0.96 ± .00", metrics.NameMIG: "0.30 ± .01", metrics.NameBetaVAE: "0.92 ± .01"},
			"UDR Spearman":    {metrics.NameFactorVAE: "0.84 ± .01", metrics.NameDCI: "0.67 ± .01", metrics.NameSAP: "0.53 ± .01", metrics.NameExplicitness: "0.84 ± .00", metrics.NameModularity: "0.96 ± .00", metrics.NameMIG: "0.31 ± .01", metrics.NameBetaVAE: "0.90 ± .01"},
			"ModelCentrality": {metrics.NameFactorVAE: "0.92 ± .00", metrics.NameDCI: "0.77 ± .00", metrics.NameSAP: "0.65 ± .00", metrics.NameExplicitness: "0.87 ± .00", metrics.NameModularity: "0.99 ± .00", metrics.NameMIG: "0.45 ± .00", metrics.NameBetaVAE: "0.99 ± .00"},
		},
	}
	e := Experiment{
		Name:  "model-selection",
		Title: "Unsupervised model selection on dSprites: ModelCentrality vs UDR (Lin et al. 2020, Table 3)",
		Scale: "the pools of the infogan-cr-dsprites (8 runs) and vae-dsprites FactorVAE γ = 40 (8 runs) experiments; " +
			"ModelCentrality with 100 groups of 64 and 10,000 variance samples (paper: 500 of 100, 73,728); UDR on 1,000 inputs",
		Pools: pools,
	}
	for _, p := range pools {
		for _, s := range selectors {
			for _, name := range tableMetrics {
				reading := "the picked model's score"
				switch {
				case p.Name == "infogan-cr" && s == "ModelCentrality":
					reading += "; here the most central run is among the pool's worst: no run is disentangled (FactorVAE metric " +
						"0.32–0.50), so agreement between runs says little about the true factors (see its rank correlation below)"
				case p.Name == "factorvae" && s != supervisedBest:
					reading += "; all three selectors pick the same run, the pool's second best: where some runs disentangle, " +
						"agreement between runs tracks the true factors, as the paper finds (UDR orders the whole pool better, below)"
				}
				e.Rows = append(e.Rows, Row{Label: p.Name + " pool, " + s + ": " + name, Sweep: p.Name,
					Where: map[string]any{"selector": s}, Metric: scoreKey(name), Paper: paper[p.Name][s][name],
					Reading: reading})
			}
		}
		for _, name := range tableMetrics {
			e.Rows = append(e.Rows, Row{Label: p.Name + " pool, mean of the pool: " + name, Sweep: p.Name,
				Where: map[string]any{"selector": poolMean}, Metric: scoreKey(name),
				Reading: "the pool's runs: what a pick at random scores on average"})
		}
		for _, s := range selectors[:3] {
			e.Rows = append(e.Rows, Row{Label: p.Name + " pool, " + s + ": rank correlation with " + metrics.NameFactorVAE,
				Sweep: p.Name, Where: map[string]any{"selector": s + rankCorrelation}, Metric: scoreKey(metrics.NameFactorVAE),
				Reading: "Spearman correlation over the pool of the selector's scores with the FactorVAE metric: how well it orders the whole pool"})
		}
	}
	e.Quick = func() Experiment {
		q := ModelSelection()
		for i := range q.Pools {
			q.Pools[i].Centrality.NumGroups, q.Pools[i].Centrality.GroupSize, q.Pools[i].Centrality.NumVariance = 10, 8, 64
			q.Pools[i].Inputs, q.Pools[i].MinRuns = 32, 2
		}
		q.Quick = nil
		return q
	}
	return e
}

// The training.Model in a pool must be a selection.Model.
var _ selection.Model = training.Model(nil)
