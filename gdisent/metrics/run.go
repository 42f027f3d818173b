package metrics

import (
	"fmt"
	"slices"
	"time"
)

// Metric names accepted by Evaluate, RunArrays and NewTracker.
const (
	NameBetaVAE      = "beta_vae"
	NameFactorVAE    = "factor_vae"
	NameMIG          = "mig"
	NameDCI          = "dci"
	NameSAP          = "sap"
	NameModularity   = "modularity"
	NameExplicitness = "explicitness"
)

// AllMetrics lists every metric; ArrayMetrics those that need only (codes, factors) samples.
var (
	AllMetrics   = []string{NameBetaVAE, NameFactorVAE, NameMIG, NameDCI, NameSAP, NameModularity, NameExplicitness}
	ArrayMetrics = []string{NameMIG, NameDCI, NameSAP, NameModularity, NameExplicitness}
)

// Result holds every computed metric; absent ones are nil. It marshals to JSON as is.
type Result struct {
	Protocol   string              `json:"protocol"`
	Seed       uint64              `json:"seed"`
	NumTrain   int                 `json:"num_train"` // rows behind MIG/DCI/SAP/Modularity/Explicitness training
	NumTest    int                 `json:"num_test"`
	D          int                 `json:"num_codes"`
	K          int                 `json:"num_factors"`
	BetaVAE    *BetaVAEResult      `json:"beta_vae,omitempty"`
	FactorVAE  *FactorVAEResult    `json:"factor_vae,omitempty"`
	MIG        *MIGResult          `json:"mig,omitempty"`
	DCI        *DCIResult          `json:"dci,omitempty"`
	SAP        *SAPResult          `json:"sap,omitempty"`
	Modularity *ModularityResult   `json:"modularity,omitempty"`
	Explicit   *ExplicitnessResult `json:"explicitness,omitempty"`
	Seconds    map[string]float64  `json:"seconds"` // wall time per metric
}

// Scores returns the headline numbers keyed by name: beta_vae, factor_vae, mig, dci_disentanglement,
// dci_completeness, dci_informativeness (test), sap, modularity, explicitness (test).
func (r *Result) Scores() map[string]float64 {
	s := map[string]float64{}
	if r.BetaVAE != nil {
		s[NameBetaVAE] = r.BetaVAE.Score
	}
	if r.FactorVAE != nil {
		s[NameFactorVAE] = r.FactorVAE.Score
	}
	if r.MIG != nil {
		s[NameMIG] = r.MIG.Score
	}
	if r.DCI != nil {
		s["dci_disentanglement"] = r.DCI.Disentanglement
		s["dci_completeness"] = r.DCI.Completeness
		s["dci_informativeness"] = r.DCI.InformativenessTest
	}
	if r.SAP != nil {
		s[NameSAP] = r.SAP.Score
	}
	if r.Modularity != nil {
		s[NameModularity] = r.Modularity.Score
	}
	if r.Explicit != nil {
		s[NameExplicitness] = r.Explicit.Test
	}
	return s
}

func checkNames(names []string, allowed []string) ([]string, error) {
	if len(names) == 0 {
		return allowed, nil
	}
	for _, n := range names {
		if !slices.Contains(allowed, n) {
			if slices.Contains(AllMetrics, n) {
				return nil, fmt.Errorf("metrics: %q needs an Encoder and a FactorSource (interventions), not arrays", n)
			}
			return nil, fmt.Errorf("metrics: unknown metric %q (known: %v)", n, AllMetrics)
		}
	}
	return names, nil
}

// RunArrays scores codes (n×D, row-major) against factor classes (n×K, row-major) with the named array metrics
// (nil = all of ArrayMetrics). Rows are shuffled and split by Split. This is the core of `gdisent metrics`.
func RunArrays(codes []float64, n, d int, factors []int, k int, names []string, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	names, err := checkNames(names, ArrayMetrics)
	if err != nil {
		return Result{}, err
	}
	s, err := NewSamples(codes, n, d, factors, k)
	if err != nil {
		return Result{}, err
	}
	train, test, err := Split(s, cfg)
	if err != nil {
		return Result{}, err
	}
	r := newResult(cfg, train, test)
	return r, runArrayMetrics(&r, train, test, names, cfg)
}

func newResult(cfg Config, train, test Samples) Result {
	return Result{Protocol: cfg.Protocol.String(), Seed: cfg.Seed, NumTrain: train.N, NumTest: test.N, D: train.D,
		K: train.K, Seconds: map[string]float64{}}
}

func runArrayMetrics(r *Result, train, test Samples, names []string, cfg Config) error {
	for _, name := range names {
		t0 := time.Now()
		var err error
		switch name {
		case NameMIG:
			var v MIGResult
			v, err = MIG(train, cfg)
			r.MIG = &v
		case NameModularity:
			var v ModularityResult
			v, err = Modularity(train, cfg)
			r.Modularity = &v
		case NameExplicitness:
			var v ExplicitnessResult
			v, err = Explicitness(train, test, cfg)
			r.Explicit = &v
		case NameSAP:
			var v SAPResult
			v, err = SAP(train, test, cfg)
			r.SAP = &v
		case NameDCI:
			var v DCIResult
			v, err = DCI(train, test, cfg)
			r.DCI = &v
		default:
			continue
		}
		if err != nil {
			return err
		}
		r.Seconds[name] = time.Since(t0).Seconds()
	}
	return nil
}

// Evaluate scores an encoder on a factor source with the named metrics (nil = AllMetrics). Sample-based metrics
// share one draw: NumTrain + NumTest points under DisentanglementLib (disentanglement_lib draws each metric's
// points separately; the distribution is the same), NumTrain points used as both train and test under InfoGANCR.
// Under InfoGANCR, FactorVAE and BetaVAE share one set of groups.
func Evaluate(enc Encoder, src FactorSource, names []string, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	names, err := checkNames(names, AllMetrics)
	if err != nil {
		return Result{}, err
	}
	if _, err := sourceInfo(src); err != nil {
		return Result{}, err
	}
	var r Result
	needArrays := slices.ContainsFunc(names, func(n string) bool { return slices.Contains(ArrayMetrics, n) })
	if needArrays {
		rng := newRNG(cfg.Seed, streamSamples)
		train, err := sampleSet(enc, src, rng, cfg.NumTrain, cfg)
		if err != nil {
			return Result{}, fmt.Errorf("metrics: sampling the train set: %w", err)
		}
		test := train
		if cfg.Protocol != InfoGANCR {
			if test, err = sampleSet(enc, src, rng, cfg.NumTest, cfg); err != nil {
				return Result{}, fmt.Errorf("metrics: sampling the test set: %w", err)
			}
		}
		r = newResult(cfg, train, test)
		if err := runArrayMetrics(&r, train, test, names, cfg); err != nil {
			return r, err
		}
	} else {
		r = Result{Protocol: cfg.Protocol.String(), Seed: cfg.Seed, K: src.NumFactors(), Seconds: map[string]float64{}}
	}
	var g *groupSet
	if cfg.Protocol == InfoGANCR && (slices.Contains(names, NameFactorVAE) || slices.Contains(names, NameBetaVAE)) {
		t0 := time.Now()
		if g, err = groups(enc, src, cfg); err != nil {
			return r, fmt.Errorf("metrics: InfoGAN-CR groups: %w", err)
		}
		r.Seconds["groups"] = time.Since(t0).Seconds()
		r.D = g.D
	}
	if slices.Contains(names, NameFactorVAE) {
		t0 := time.Now()
		var v FactorVAEResult
		if g != nil {
			v, err = factorVAEGroups(g, cfg)
		} else {
			v, err = FactorVAE(enc, src, cfg)
		}
		if err != nil {
			return r, err
		}
		r.FactorVAE = &v
		r.D = len(v.Votes[0])
		r.Seconds[NameFactorVAE] = time.Since(t0).Seconds()
	}
	if slices.Contains(names, NameBetaVAE) {
		t0 := time.Now()
		var v BetaVAEResult
		if g != nil {
			v, err = betaVAEGroups(g, cfg)
		} else {
			v, err = BetaVAE(enc, src, cfg)
		}
		if err != nil {
			return r, err
		}
		r.BetaVAE = &v
		r.Seconds[NameBetaVAE] = time.Since(t0).Seconds()
	}
	return r, nil
}
