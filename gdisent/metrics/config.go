package metrics

import (
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// Protocol selects the evaluation protocol.
type Protocol int

const (
	// DisentanglementLib follows disentanglement_lib's unsupervised_study_v1 metric configs (default).
	DisentanglementLib Protocol = iota
	// InfoGANCR follows the InfoGAN-CR paper's metric code (Lin et al. 2020), for comparison with its Table 1.
	InfoGANCR
)

// String returns "disentanglement_lib" or "infogan_cr".
func (p Protocol) String() string {
	switch p {
	case DisentanglementLib:
		return "disentanglement_lib"
	case InfoGANCR:
		return "infogan_cr"
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// ParseProtocol accepts "disentanglement_lib"/"dlib" and "infogan_cr"/"infogancr"/"infogan-cr".
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "disentanglement_lib", "disentanglementlib", "dlib":
		return DisentanglementLib, nil
	case "infogan_cr", "infogancr", "infogan-cr":
		return InfoGANCR, nil
	}
	return 0, fmt.Errorf("metrics: unknown protocol %q (want disentanglement_lib or infogan_cr)", s)
}

// DCIMethod selects the regressor behind the DCI importance matrix.
type DCIMethod int

const (
	// DCIAuto uses GBT under DisentanglementLib and Lasso under InfoGANCR.
	DCIAuto DCIMethod = iota
	// DCIGBT uses gradient-boosted trees (disentanglement_lib): importance = impurity decrease.
	DCIGBT
	// DCILasso uses Lasso on z-normalised codes and factors (InfoGAN-CR's default): importance = |coefficient|.
	DCILasso
)

// LogRegMethod selects the logistic regression behind the BetaVAE score and Explicitness (and the
// cross-validated one of the downstream task).
type LogRegMethod int

const (
	// LogRegAuto is LogRegLiblinear under both protocols: their published numbers were computed with it.
	LogRegAuto LogRegMethod = iota
	// LogRegLiblinear is scikit-learn ≤ 0.21's LogisticRegression() default (classify.LiblinearLogReg):
	// liblinear, one-vs-rest, C = 1, intercept penalised as an extra constant feature. The downstream task's
	// LogisticRegressionCV is then ≤ 0.21's one-vs-rest one.
	LogRegLiblinear
	// LogRegLBFGS is scikit-learn ≥ 0.22's default (classify.LogReg): multinomial L-BFGS, C = 1, intercept not
	// penalised; the downstream LogisticRegressionCV is then multinomial. Use it to match a current scikit-learn.
	LogRegLBFGS
)

// String returns "auto", "liblinear" or "lbfgs".
func (m LogRegMethod) String() string {
	switch m {
	case LogRegAuto:
		return "auto"
	case LogRegLiblinear:
		return "liblinear"
	case LogRegLBFGS:
		return "lbfgs"
	}
	return fmt.Sprintf("LogRegMethod(%d)", int(m))
}

// ParseLogRegMethod accepts "auto" (or ""), "liblinear" and "lbfgs".
func ParseLogRegMethod(s string) (LogRegMethod, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return LogRegAuto, nil
	case "liblinear":
		return LogRegLiblinear, nil
	case "lbfgs":
		return LogRegLBFGS, nil
	}
	return 0, fmt.Errorf("metrics: unknown logistic regression %q (want liblinear or lbfgs)", s)
}

// DSpritesContinuous flags dSprites' factors (shape, scale, orientation, posX, posY) as InfoGAN-CR's SAP treats
// them: shape categorical, the rest continuous.
var DSpritesContinuous = []bool{false, true, true, true, true}

// Config holds the metric settings. Zero fields take the protocol's default (see DefaultConfig and
// InfoGANCRConfig), so Config{Protocol: InfoGANCR} is a valid InfoGAN-CR configuration.
type Config struct {
	Protocol Protocol
	Seed     uint64 // all randomness derives from it (disentanglement_lib uses evaluation.random_seed = 0)

	NumTrain    int // training points/votes: 10,000 (dlib); InfoGAN-CR: sample-set size 73,728
	NumTest     int // held-out points/votes: 5,000 (dlib); unused under InfoGAN-CR (train = test)
	NumVariance int // samples for the FactorVAE global variance: 10,000 (dlib), 73,728 (InfoGAN-CR)
	GroupSize   int // L, observations per FactorVAE vote / BetaVAE point: 64 (dlib), 100 (InfoGAN-CR)
	NumGroups   int // InfoGAN-CR groups shared by FactorVAE and BetaVAE: 500

	NumBins        int     // histogram bins for MIG/Modularity: 20
	PruneThreshold float64 // FactorVAE: dims with std below it are inactive: 0.05

	// ContinuousFactors marks factors scored by R² in SAP (others by LinearSVC accuracy). Nil means all
	// discrete (disentanglement_lib). For InfoGAN-CR's dSprites numbers use DSpritesContinuous.
	ContinuousFactors []bool

	DCI DCIMethod
	// GBT configures the trees of DCI, the downstream task and fairness: zero = sklearn's defaults (100 trees,
	// depth 3, learning rate 0.1) with exact splits; GBT.ApproxBins > 1 trades exactness for speed. Each model's
	// GBT.Seed (its random feature order) is derived from Seed, the metric and the factor.
	GBT        classify.GBT
	LassoAlpha float64 // DCI Lasso α: 0.02
	SVMC       float64 // SAP LinearSVC C: 0.01
	// LogReg is the BetaVAE/Explicitness classifier: LogRegAuto = LogRegLiblinear (the published numbers').
	LogReg LogRegMethod

	IRSQuantile     float64 // IRS: quantile of the within-group deviations: 0.99 (1 = the paper's maximum)
	DownstreamSizes []int   // downstream task training sizes: 10, 100, 1000, 10000 (test: NumTest)
	FairnessPoints  int     // fairness: factor draws per (target, sensitive) pair and sensitive class: 100

	EncodeBatch int // most observations per Observe/Encoder call: 1024
	Workers     int // parallel model fits: runtime.GOMAXPROCS(0)
}

// DefaultConfig returns disentanglement_lib's settings (with the logistic regression of its published numbers).
func DefaultConfig() Config { return Config{Protocol: DisentanglementLib}.withDefaults() }

// InfoGANCRConfig returns the InfoGAN-CR settings (set ContinuousFactors for SAP, e.g. DSpritesContinuous), with the
// logistic regression of its published numbers.
func InfoGANCRConfig() Config { return Config{Protocol: InfoGANCR}.withDefaults() }

func (c Config) withDefaults() Config {
	ig := c.Protocol == InfoGANCR
	def := func(v *int, dlib, igcr int) {
		if *v <= 0 {
			*v = dlib
			if ig {
				*v = igcr
			}
		}
	}
	def(&c.NumTrain, 10000, 73728)
	def(&c.NumTest, 5000, 0)
	def(&c.NumVariance, 10000, 73728)
	def(&c.GroupSize, 64, 100)
	def(&c.NumGroups, 0, 500)
	def(&c.NumBins, 20, 20)
	def(&c.EncodeBatch, 1024, 1024)
	def(&c.Workers, runtime.GOMAXPROCS(0), runtime.GOMAXPROCS(0))
	if c.PruneThreshold <= 0 {
		c.PruneThreshold = 0.05
	}
	if c.DCI == DCIAuto {
		c.DCI = DCIGBT
		if ig {
			c.DCI = DCILasso
		}
	}
	if c.LassoAlpha <= 0 {
		c.LassoAlpha = 0.02
	}
	if c.SVMC <= 0 {
		c.SVMC = 0.01
	}
	if c.LogReg == LogRegAuto {
		c.LogReg = LogRegLiblinear
	}
	if c.IRSQuantile <= 0 {
		c.IRSQuantile = 0.99
	}
	if len(c.DownstreamSizes) == 0 {
		c.DownstreamSizes = []int{10, 100, 1000, 10000}
	}
	def(&c.FairnessPoints, 100, 100)
	return c
}

func (c Config) validate() error {
	if c.Protocol != DisentanglementLib && c.Protocol != InfoGANCR {
		return fmt.Errorf("metrics: unknown protocol %d", int(c.Protocol))
	}
	if c.GroupSize < 2 {
		return fmt.Errorf("metrics: GroupSize %d < 2 (variances need two observations)", c.GroupSize)
	}
	if c.NumBins < 2 {
		return fmt.Errorf("metrics: NumBins %d < 2", c.NumBins)
	}
	if c.LogReg != LogRegLiblinear && c.LogReg != LogRegLBFGS {
		return fmt.Errorf("metrics: unknown logistic regression %d (use LogRegLiblinear or LogRegLBFGS)", int(c.LogReg))
	}
	if c.DCI != DCIGBT && c.DCI != DCILasso {
		return fmt.Errorf("metrics: unknown DCI method %d (use DCIGBT or DCILasso)", int(c.DCI))
	}
	if c.IRSQuantile > 1 || math.IsNaN(c.IRSQuantile) {
		return fmt.Errorf("metrics: IRSQuantile %v outside (0, 1]", c.IRSQuantile)
	}
	for _, n := range c.DownstreamSizes {
		if n <= 0 {
			return fmt.Errorf("metrics: DownstreamSizes %v: sizes must be positive", c.DownstreamSizes)
		}
	}
	return nil
}

// fitLogReg trains the configured logistic regression (BetaVAE, Explicitness).
func (c Config) fitLogReg(x []float64, n, d int, y []int) (*classify.LogRegModel, error) {
	if c.LogReg == LogRegLBFGS {
		return classify.LogReg{}.Fit(x, n, d, y)
	}
	return classify.LiblinearLogReg{}.Fit(x, n, d, y)
}

// gbt returns cfg.GBT with the seed of one model: factor k of the metric using the given RNG stream.
func (c Config) gbt(stream uint64, k int) classify.GBT {
	g := c.GBT
	g.Seed = newRNG(c.Seed, stream).Uint64() + uint64(k)
	return g
}
