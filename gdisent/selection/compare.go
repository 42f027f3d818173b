package selection

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/plots"
)

// Models converts a slice of any Model type (e.g. the []training.Model of a sweep) to []Model.
func Models[M Model](ms []M) []Model {
	out := make([]Model, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// CompareConfig configures Compare.
type CompareConfig struct {
	// Metric is the evaluation protocol of both the supervised scores and ModelCentrality's cross-evaluation; nil
	// means metrics.InfoGANCRConfig(), the protocol of Lin et al. 2020 (lower its sizes for quick runs).
	Metric *metrics.Config
	// Supervised names the metrics scored against the ground truth; nil means FactorVAE, BetaVAE, MIG and DCI.
	Supervised []string
	// UDRInputs is the number of ground-truth observations every model encodes for UDR; 0 means 1000
	// (disentanglement_lib's udr.py).
	UDRInputs int
	// Progress, if set, is called as work finishes: stage "supervised" once per model, "ModelCentrality" once
	// per column of C, "UDR" once at the end.
	Progress func(stage string, done, total int)
}

// Names of the unsupervised selectors in a Comparison.
const (
	SelectorModelCentrality = "ModelCentrality"
	SelectorUDRLasso        = "UDR (Lasso)"
	SelectorUDRSpearman     = "UDR (Spearman)"
)

// Comparison holds what Compare computed for a pool: each model's supervised scores (which need the ground truth)
// and the rankings of the unsupervised selectors (which do not). It marshals to JSON, so that a notebook cell or
// a job can compute it once and later cells or scripts read it back (Save, LoadComparison).
type Comparison struct {
	Names           []string             `json:"names"`
	Supervised      []map[string]float64 `json:"supervised"` // per model: metrics.Result.Scores()
	ModelCentrality CentralityResult     `json:"model_centrality"`
	UDRLasso        UDRResult            `json:"udr_lasso"`
	UDRSpearman     UDRResult            `json:"udr_spearman"`
}

// Compare scores a pool of models the two ways the model-selection papers compare: with the ground truth
// (metrics.Evaluate on truth, the supervised reference that real data lacks) and without it (ModelCentrality,
// Lin et al. 2020; UDR with Lasso and with Spearman similarities, Duan et al. 2020, on cfg.UDRInputs observations
// of truth). names label the models (nil: their indices). Needs >= 2 models whose encoders read truth's
// observations.
func Compare(models []Model, names []string, truth metrics.FactorSource, cfg CompareConfig) (*Comparison, error) {
	m := len(models)
	switch {
	case m < 2:
		return nil, fmt.Errorf("selection.Compare: need at least 2 models, have %d", m)
	case names != nil && len(names) != m:
		return nil, fmt.Errorf("selection.Compare: %d names for %d models", len(names), m)
	case truth == nil:
		return nil, fmt.Errorf("selection.Compare: no ground-truth source for the supervised scores")
	}
	if names == nil {
		for i := range m {
			names = append(names, fmt.Sprint(i))
		}
	}
	mc := metrics.InfoGANCRConfig()
	if cfg.Metric != nil {
		mc = *cfg.Metric
	}
	sup := cfg.Supervised
	if sup == nil {
		sup = []string{metrics.NameFactorVAE, metrics.NameBetaVAE, metrics.NameMIG, metrics.NameDCI}
	}
	n := cfg.UDRInputs
	if n <= 0 {
		n = 1000
	}
	progress := func(stage string, done, total int) {
		if cfg.Progress != nil {
			cfg.Progress(stage, done, total)
		}
	}
	c := &Comparison{Names: slices.Clone(names)}
	for i, mod := range models {
		if mod == nil {
			return nil, fmt.Errorf("selection.Compare: model %d (%s) is nil", i, names[i])
		}
		r, err := metrics.Evaluate(mod, truth, sup, mc)
		if err != nil {
			return nil, fmt.Errorf("selection.Compare: supervised scores of model %d (%s): %w", i, names[i], err)
		}
		c.Supervised = append(c.Supervised, r.Scores())
		progress("supervised", i+1, m)
	}
	rng := rand.New(rand.NewPCG(mc.Seed, 0x0d7))
	images, err := truth.Observe(truth.Sample(rng, n), n)
	if err != nil {
		return nil, fmt.Errorf("selection.Compare: drawing %d UDR inputs: %w", n, err)
	}
	r, err := Rank(models, images, n, mc, cfg.Progress)
	if err != nil {
		return nil, fmt.Errorf("selection.Compare: %w", err)
	}
	c.ModelCentrality, c.UDRLasso, c.UDRSpearman = r.ModelCentrality, r.UDRLasso, r.UDRSpearman
	return c, nil
}

// Ranking is what the unsupervised selectors make of a pool.
type Ranking struct {
	ModelCentrality CentralityResult `json:"model_centrality"`
	UDRLasso        UDRResult        `json:"udr_lasso"`
	UDRSpearman     UDRResult        `json:"udr_spearman"`
}

// Rank ranks a pool without labels: ModelCentrality with the FactorVAE-metric configuration mc (Lin et al. 2020),
// and UDR with Lasso and with Spearman similarities on the representations of the n observations images (Duan et
// al. 2020). progress, if set, hears "ModelCentrality" once per column of C and "UDR" at the end.
func Rank(models []Model, images []float32, n int, mc metrics.Config, progress func(stage string, done, total int)) (Ranking, error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	var r Ranking
	var err error
	r.ModelCentrality, err = ModelCentrality(models, CentralityConfig{Metric: &mc,
		Progress: func(d, t int) { progress(SelectorModelCentrality, d, t) }})
	if err != nil {
		return r, err
	}
	reps, err := Representations(models, images, n, 0)
	if err != nil {
		return r, err
	}
	if r.UDRLasso, err = UDR(reps, UDRConfig{Method: UDRLasso}); err != nil {
		return r, err
	}
	if r.UDRSpearman, err = UDR(reps, UDRConfig{Method: UDRSpearman}); err != nil {
		return r, err
	}
	progress("UDR", 1, 1)
	return r, nil
}

// Selector is one unsupervised selector's outcome: a score per model and its pick.
type Selector struct {
	Name   string
	Scores []float64
	Best   int
}

// Selectors returns ModelCentrality, UDR (Lasso) and UDR (Spearman), in that order.
func (c *Comparison) Selectors() []Selector {
	return []Selector{
		{SelectorModelCentrality, c.ModelCentrality.Scores, c.ModelCentrality.Best},
		{SelectorUDRLasso, c.UDRLasso.Scores, c.UDRLasso.Best},
		{SelectorUDRSpearman, c.UDRSpearman.Scores, c.UDRSpearman.Best},
	}
}

// Scores returns every model's supervised score under metric (a metrics.Result.Scores key, e.g. "factor_vae").
func (c *Comparison) Scores(metric string) ([]float64, error) {
	out := make([]float64, len(c.Supervised))
	for i, s := range c.Supervised {
		v, ok := s[metric]
		if !ok {
			return nil, fmt.Errorf("selection.Comparison: no supervised %q score for model %d (have %v)", metric, i, keys(s))
		}
		out[i] = v
	}
	return out, nil
}

func keys(m map[string]float64) []string {
	k := make([]string, 0, len(m))
	for name := range m {
		k = append(k, name)
	}
	slices.Sort(k)
	return k
}

// Pick is one selector's choice and its supervised scores.
type Pick struct {
	Selector string
	Index    int // the picked model; -1 for the pool mean
	Name     string
	Scores   map[string]float64
	// Spearman is the rank correlation, across the pool, between the selector's scores and the supervised metric
	// Picks was asked about (1 for the supervised row itself; 0 for the pool mean).
	Spearman float64
}

// Picks returns the supervised best under metric, then the pick of each selector (Selectors), then the pool mean
// ("pool mean", Index −1), what a pick at random scores on average. Each selector's row carries the Spearman rank
// correlation of its scores with metric across the pool: how well it would order the pool, not just its top.
func (c *Comparison) Picks(metric string) ([]Pick, error) {
	sup, err := c.Scores(metric)
	if err != nil {
		return nil, err
	}
	if len(sup) == 0 || len(c.Names) != len(sup) {
		return nil, fmt.Errorf("selection.Comparison: %d names for %d scored models", len(c.Names), len(sup))
	}
	best := slices.Index(sup, slices.Max(sup))
	picks := []Pick{{Selector: "supervised best (" + metric + ")", Index: best, Name: c.Names[best],
		Scores: c.Supervised[best], Spearman: 1}}
	for _, s := range c.Selectors() {
		if s.Best < 0 || s.Best >= len(sup) || len(s.Scores) != len(sup) {
			return nil, fmt.Errorf("selection.Comparison: %s has %d scores and pick %d for %d models", s.Name,
				len(s.Scores), s.Best, len(sup))
		}
		rho, err := Spearman(s.Scores, sup)
		if err != nil {
			return nil, fmt.Errorf("selection.Comparison: %s: %w", s.Name, err)
		}
		picks = append(picks, Pick{Selector: s.Name, Index: s.Best, Name: c.Names[s.Best], Scores: c.Supervised[s.Best],
			Spearman: rho})
	}
	mean := map[string]float64{}
	for _, s := range c.Supervised {
		for k, v := range s {
			mean[k] += v / float64(len(c.Supervised))
		}
	}
	return append(picks, Pick{Selector: "pool mean", Index: -1, Name: "–", Scores: mean}), nil
}

// WriteTable writes Picks(metric) as an aligned text table: selector, pick, the supervised scores named by cols
// (nil: metric only) and the rank correlation with metric.
func (c *Comparison) WriteTable(w io.Writer, metric string, cols []string) error {
	picks, err := c.Picks(metric)
	if err != nil {
		return err
	}
	if cols == nil {
		cols = []string{metric}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "selector\tpick")
	for _, col := range cols {
		fmt.Fprintf(tw, "\t%s", col)
	}
	fmt.Fprintf(tw, "\tSpearman ρ with %s\n", metric)
	for _, p := range picks {
		fmt.Fprintf(tw, "%s\t%s", p.Selector, p.Name)
		for _, col := range cols {
			v, ok := p.Scores[col]
			if !ok {
				return fmt.Errorf("selection.Comparison.WriteTable: no supervised %q score (have %v)", col, keys(p.Scores))
			}
			fmt.Fprintf(tw, "\t%.3f", v)
		}
		if p.Index < 0 {
			fmt.Fprint(tw, "\t–\n")
		} else {
			fmt.Fprintf(tw, "\t%+.2f\n", p.Spearman)
		}
	}
	return tw.Flush()
}

// RankingPanels draws one bar chart per selector and one of the supervised metric, each in its own descending
// order, on one shared score axis (plots.Panels, two columns); model names longer than 4 characters are set
// vertically.
func (c *Comparison) RankingPanels(metric string) (*plot.Plot, error) {
	sup, err := c.Scores(metric)
	if err != nil {
		return nil, err
	}
	var ps []*plot.Plot
	for _, s := range c.Selectors() {
		p, err := RankingBars(s.Name, s.Scores, c.Names)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	p, err := RankingBars(metric+" (supervised)", sup, c.Names)
	if err != nil {
		return nil, err
	}
	ps = append(ps, p)
	if longest := slices.MaxFunc(c.Names, func(a, b string) int { return len([]rune(a)) - len([]rune(b)) }); len([]rune(longest)) > 4 {
		for _, p := range ps { // run ids such as "beta=4_seed=2" overlap side by side: stand them up
			p.X.Tick.Label.Rotation = math.Pi / 2
			p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
		}
	}
	if err := plots.ShareY(ps...); err != nil {
		return nil, fmt.Errorf("selection.Comparison.RankingPanels: %w", err)
	}
	return plots.Panels("Rankings of the pool", 2, ps...)
}

// Save writes the comparison as JSON to path (creating its directory).
func (c *Comparison) Save(path string) error {
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return fmt.Errorf("selection.Comparison.Save: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("selection.Comparison.Save: %w", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("selection.Comparison.Save: %w", err)
	}
	return nil
}

// LoadComparison reads a comparison written by Save.
func LoadComparison(path string) (*Comparison, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("selection.LoadComparison: %w (run the cell that computes the comparison first)", err)
	}
	var c Comparison
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("selection.LoadComparison: %s: %w", path, err)
	}
	if len(c.Names) < 2 || len(c.Supervised) != len(c.Names) {
		return nil, fmt.Errorf("selection.LoadComparison: %s holds %d names and %d supervised rows, want >= 2 of each",
			path, len(c.Names), len(c.Supervised))
	}
	return &c, nil
}
