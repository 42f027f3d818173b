package metrics

import (
	"fmt"
	"slices"
	"time"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// Metric names accepted by Evaluate, RunArrays and NewTracker.
const (
	NameBetaVAE          = "beta_vae"
	NameFactorVAE        = "factor_vae"
	NameMIG              = "mig"
	NameDCI              = "dci"
	NameSAP              = "sap"
	NameModularity       = "modularity"
	NameExplicitness     = "explicitness"
	NameIRS              = "irs"
	NameUnsupervised     = "unsupervised"
	NameDownstreamLogReg = "downstream_logreg"
	NameDownstreamGBT    = "downstream_gbt"
	NameFairness         = "fairness"
)

// AllMetrics lists every metric; ArrayMetrics those that need only (codes, factors) samples.
var (
	AllMetrics = []string{NameBetaVAE, NameFactorVAE, NameMIG, NameDCI, NameSAP, NameModularity, NameExplicitness,
		NameIRS, NameUnsupervised, NameDownstreamLogReg, NameDownstreamGBT, NameFairness}
	ArrayMetrics = []string{NameMIG, NameDCI, NameSAP, NameModularity, NameExplicitness, NameIRS, NameUnsupervised,
		NameDownstreamLogReg, NameDownstreamGBT}
)

// Result holds every computed metric; absent ones are nil. It marshals to JSON as is.
type Result struct {
	Protocol         string              `json:"protocol"`
	Seed             uint64              `json:"seed"`
	NumTrain         int                 `json:"num_train"` // rows behind the sample-based metrics' training
	NumTest          int                 `json:"num_test"`
	D                int                 `json:"num_codes"`
	K                int                 `json:"num_factors"`
	BetaVAE          *BetaVAEResult      `json:"beta_vae,omitempty"`
	FactorVAE        *FactorVAEResult    `json:"factor_vae,omitempty"`
	MIG              *MIGResult          `json:"mig,omitempty"`
	DCI              *DCIResult          `json:"dci,omitempty"`
	SAP              *SAPResult          `json:"sap,omitempty"`
	Modularity       *ModularityResult   `json:"modularity,omitempty"`
	Explicit         *ExplicitnessResult `json:"explicitness,omitempty"`
	IRS              *IRSResult          `json:"irs,omitempty"`
	Unsupervised     *UnsupervisedResult `json:"unsupervised,omitempty"`
	DownstreamLogReg *DownstreamResult   `json:"downstream_logreg,omitempty"`
	DownstreamGBT    *DownstreamResult   `json:"downstream_gbt,omitempty"`
	Fairness         *FairnessResult     `json:"fairness,omitempty"`
	Seconds          map[string]float64  `json:"seconds"` // wall time per metric
}

// Scores returns the headline numbers keyed by name: beta_vae, factor_vae, mig, dci_disentanglement,
// dci_completeness, dci_informativeness (test), sap, modularity, explicitness (test), irs,
// gaussian_total_correlation, gaussian_wasserstein_correlation, gaussian_wasserstein_correlation_norm,
// mutual_info_score, downstream_{logreg,gbt}:<size>:mean_{train,test}_accuracy (disentanglement_lib's keys),
// fairness_mean and fairness_max.
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
	if r.IRS != nil {
		s[NameIRS] = r.IRS.Score
	}
	if u := r.Unsupervised; u != nil {
		s["gaussian_total_correlation"] = u.GaussianTotalCorrelation
		s["gaussian_wasserstein_correlation"] = u.GaussianWassersteinCorrelation
		s["gaussian_wasserstein_correlation_norm"] = u.GaussianWassersteinCorrelationNorm
		s["mutual_info_score"] = u.MutualInfoScore
	}
	for name, d := range map[string]*DownstreamResult{NameDownstreamLogReg: r.DownstreamLogReg,
		NameDownstreamGBT: r.DownstreamGBT} {
		if d == nil {
			continue
		}
		for _, z := range d.Sizes {
			s[fmt.Sprintf("%s:%d:mean_train_accuracy", name, z.NumTrain)] = z.MeanTrainAccuracy
			s[fmt.Sprintf("%s:%d:mean_test_accuracy", name, z.NumTrain)] = z.MeanTestAccuracy
		}
	}
	if r.Fairness != nil {
		s["fairness_mean"] = r.Fairness.Mean
		s["fairness_max"] = r.Fairness.Max
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
	return r, runArrayMetrics(&r, train, test, names, cfg, nil)
}

func newResult(cfg Config, train, test Samples) Result {
	return Result{Protocol: cfg.Protocol.String(), Seed: cfg.Seed, NumTrain: train.N, NumTest: test.N, D: train.D,
		K: train.K, Seconds: map[string]float64{}}
}

// runArrayMetrics computes the named sample-based metrics; DCI's GBT models go to *gbt (when not nil) for reuse by
// fairness.
func runArrayMetrics(r *Result, train, test Samples, names []string, cfg Config, gbt *[]*classify.GBTModel) error {
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
			var models []*classify.GBTModel
			v, models, err = dci(train, test, cfg, nil)
			r.DCI = &v
			if gbt != nil && models != nil {
				*gbt = models
			}
		case NameIRS:
			var v IRSResult
			v, err = IRS(train, cfg)
			r.IRS = &v
		case NameUnsupervised:
			var v UnsupervisedResult
			v, err = Unsupervised(train, cfg)
			r.Unsupervised = &v
		case NameDownstreamLogReg:
			var v DownstreamResult
			v, err = Downstream(train, test, DownstreamLogReg, cfg)
			r.DownstreamLogReg = &v
		case NameDownstreamGBT:
			var v DownstreamResult
			v, err = Downstream(train, test, DownstreamGBT, cfg)
			r.DownstreamGBT = &v
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
// Fairness trains on the same NumTrain points (and reuses DCI's trees when both run). Under InfoGANCR, FactorVAE
// and BetaVAE share one set of groups.
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
	needArrays := slices.ContainsFunc(names, func(n string) bool {
		return slices.Contains(ArrayMetrics, n) || n == NameFairness
	})
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
		var gbt []*classify.GBTModel // DCI's models, reused by fairness (same train set, same trees)
		if err := runArrayMetrics(&r, train, test, names, cfg, &gbt); err != nil {
			return r, err
		}
		if slices.Contains(names, NameFairness) {
			t0 := time.Now()
			if gbt == nil {
				if gbt, err = fitGBTs(train, cfg); err != nil {
					return r, fmt.Errorf("fairness: %w", err)
				}
			}
			v, err := fairnessWith(enc, src, newRNG(cfg.Seed, streamFairness), gbt, train.D, cfg)
			if err != nil {
				return r, err
			}
			r.Fairness = &v
			r.Seconds[NameFairness] = time.Since(t0).Seconds()
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
