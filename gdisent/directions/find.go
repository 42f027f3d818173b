package directions

import (
	"github.com/gdisent/gdisent/gdisent/training"

	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"
)

// Target is a frozen generator the direction methods run on: the backend and context holding its weights, its
// graph function and latent size. Models build one (e.g. infogan's (*Model).DirectionTarget).
type Target struct {
	Backend   backends.Backend
	Context   *context.Context
	Generator Generator
	LatentDim int
	// LatentWeight returns the D×M weight of the layer that reads z, for SeFa; nil makes SeFa unavailable.
	LatentWeight func() (*mat.Dense, error)
}

// Validate names the first missing piece.
func (t Target) Validate() error {
	switch {
	case t.Backend == nil:
		return errors.New("directions: Target has no backend")
	case t.Context == nil:
		return errors.New("directions: Target has no context")
	case t.Generator == nil:
		return errors.New("directions: Target has no generator")
	case t.LatentDim <= 0:
		return errors.Errorf("directions: Target.LatentDim must be > 0, got %d", t.LatentDim)
	}
	return nil
}

// Method names, as Find takes them and Result records them.
const (
	MethodSeFa            = "SeFa"            // Shen & Zhou 2021, arXiv:2007.06600
	MethodGANSpace        = "GANSpace"        // Härkönen et al. 2020, arXiv:2004.02546
	MethodLatentDiscovery = "LatentDiscovery" // Voynov & Babenko 2020, arXiv:2002.03754
	MethodHessian         = "HessianPenalty"  // Peebles et al. 2020, arXiv:2008.10599
	MethodDeepSpectral    = "DeepSpectral"    // Jacobian SVD at a base point (Khrulkov et al. 2021, arXiv:2102.06204)
	MethodRandom          = "Random"          // a random orthonormal basis: the control
)

// Methods lists every method Find knows, the random control last.
func Methods() []string {
	return []string{MethodSeFa, MethodGANSpace, MethodLatentDiscovery, MethodHessian, MethodDeepSpectral, MethodRandom}
}

// FindConfig sizes the direction methods. Zero values take the defaults named per field; the step counts of the
// two learned methods have no default and must be set when those methods run.
type FindConfig struct {
	Directions int    // k directions per method (default 10, as in Khrulkov et al. 2021)
	Seed       uint64 // every method's randomness

	GANSpaceSamples int // latents for GANSpace's PCA (default 20,000)

	LatentDiscoverySteps int
	// LatentDiscovery's LatentDim, Directions and Seed are filled in; the rest keeps its own defaults (set
	// Reconstructor to a ConvReconstructor for images).
	LatentDiscovery LatentDiscoveryConfig

	HessianSteps int
	Hessian      HessianDiscoveryConfig // LatentDim, Directions and Seed are filled in

	Jacobian JacobianOptions // DeepSpectral's power iteration (Seed filled in when zero)
	Base     []float64       // DeepSpectral's base point (default z = 0, the prior's mode)

	// Log, when set, receives one line of progress per learned-method checkpoint (every tenth of the steps).
	Log func(line string)
}

func (c FindConfig) withDefaults(d int) FindConfig {
	if c.Directions <= 0 {
		c.Directions = 10
	}
	if c.GANSpaceSamples <= 0 {
		c.GANSpaceSamples = 20000
	}
	if c.Base == nil {
		c.Base = make([]float64, d)
	}
	if c.Jacobian.Seed == 0 {
		c.Jacobian.Seed = c.Seed
	}
	return c
}

// Result is one method's directions, with what it cost and, after Score, how well an encoder trained on their
// coordinates disentangles real data.
type Result struct {
	Method  string             `json:"method"`
	Dim     int                `json:"dim"`              // D
	K       int                `json:"k"`                // directions
	Vectors []float64          `json:"vectors"`          // D×K row-major, orthonormal columns
	Values  []float64          `json:"values,omitempty"` // the method's strength per direction (see Directions.Values)
	Seconds float64            `json:"seconds"`          // time to find the directions
	Stats   map[string]float64 `json:"stats,omitempty"`  // final training statistics of learned methods
	Scores  map[string]float64 `json:"scores,omitempty"` // Score's numbers
}

// Matrix returns the directions as a D×K matrix (one per column).
func (r Result) Matrix() *mat.Dense {
	return mat.NewDense(r.Dim, r.K, slices.Clone(r.Vectors))
}

// String summarises the result in one line.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %d directions in %.1fs", r.Method, r.K, r.Seconds)
	if len(r.Values) > 0 {
		fmt.Fprintf(&b, ", values %.3g", r.Values)
	}
	keys := make([]string, 0, len(r.Stats))
	for k := range r.Stats {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, ", %s %.3g", k, r.Stats[k])
	}
	return b.String()
}

func (r Result) validate() error {
	if r.Method == "" || r.Dim <= 0 || r.K <= 0 || r.K > r.Dim || len(r.Vectors) != r.Dim*r.K {
		return errors.Errorf("directions: result %q is malformed: %d values for %d×%d directions", r.Method, len(r.Vectors), r.Dim, r.K)
	}
	return checkFinite(r.Method+" directions", r.Vectors)
}

// Find runs one direction method on the frozen generator and returns k orthonormal directions (non-orthogonal
// ones, GANSpace's, are orthonormalised by QR as in Khrulkov et al. 2021).
func Find(t Target, method string, cfg FindConfig) (r Result, err error) {
	defer training.Recover(&err, "directions: Find(%s)", method)
	if err := t.Validate(); err != nil {
		return r, err
	}
	cfg = cfg.withDefaults(t.LatentDim)
	d, k := t.LatentDim, cfg.Directions
	if k > d {
		return r, errors.Errorf("directions: Find: %d directions asked of a %d-dimensional latent", k, d)
	}
	start := time.Now()
	var dirs Directions
	stats := map[string]float64{}
	switch method {
	case MethodSeFa:
		if t.LatentWeight == nil {
			return r, errors.New("directions: SeFa needs Target.LatentWeight (the weight of the layer reading z)")
		}
		w, err := t.LatentWeight()
		if err != nil {
			return r, err
		}
		if rows, _ := w.Dims(); rows != d {
			return r, errors.Errorf("directions: SeFa: the latent weight has %d rows, the latent %d dimensions", rows, d)
		}
		dirs, err = SeFa(w, k, SeFaOptions{})
		if err != nil {
			return r, err
		}
	case MethodGANSpace:
		dirs, _, err = GANSpace(t.Backend, t.Context, t.Generator, GANSpaceConfig{LatentDim: d, Components: k,
			Samples: cfg.GANSpaceSamples, Seed: cfg.Seed})
		if err != nil {
			return r, err
		}
	case MethodLatentDiscovery:
		if dirs, err = findLatentDiscovery(t, cfg, stats); err != nil {
			return r, err
		}
	case MethodHessian:
		if dirs, err = findHessian(t, cfg, stats); err != nil {
			return r, err
		}
	case MethodDeepSpectral:
		if len(cfg.Base) != d {
			return r, errors.Errorf("directions: DeepSpectral: base point has %d values, the latent %d", len(cfg.Base), d)
		}
		jt, err := NewJacobianTool(t.Backend, t.Context, t.Generator, d, cfg.Jacobian)
		if err != nil {
			return r, err
		}
		svd, err := jt.TopK(cfg.Base, k, nil)
		if err != nil {
			return r, err
		}
		dirs = Directions{Vectors: svd.Vectors, Values: svd.Values}
		stats["power_iterations"] = float64(svd.Iters)
	case MethodRandom:
		v, err := RandomDirections(d, k, cfg.Seed)
		if err != nil {
			return r, err
		}
		dirs = Directions{Vectors: v}
	default:
		return r, errors.Errorf("directions: unknown method %q (known: %s)", method, strings.Join(Methods(), ", "))
	}
	q, err := Orthonormalize(dirs.Vectors)
	if err != nil {
		return r, err
	}
	r = Result{Method: method, Dim: d, K: k, Vectors: mat.DenseCopyOf(q).RawMatrix().Data, Values: dirs.Values,
		Seconds: time.Since(start).Seconds()}
	if len(stats) > 0 {
		r.Stats = stats
	}
	return r, r.validate()
}

// progress logs every tenth of n steps.
func progress(cfg FindConfig, method string, i, n int, msg func() string) {
	if cfg.Log != nil && (i+1)%max(1, n/10) == 0 {
		cfg.Log(fmt.Sprintf("%s step %d/%d: %s", method, i+1, n, msg()))
	}
}

func findLatentDiscovery(t Target, cfg FindConfig, stats map[string]float64) (Directions, error) {
	n := cfg.LatentDiscoverySteps
	if n <= 0 {
		return Directions{}, errors.Errorf("directions: FindConfig.LatentDiscoverySteps must be > 0, got %d", n)
	}
	lc := cfg.LatentDiscovery
	lc.LatentDim, lc.Directions, lc.Seed = t.LatentDim, cfg.Directions, cfg.Seed
	ld, err := NewLatentDiscovery(t.Backend, t.Context, t.Generator, lc)
	if err != nil {
		return Directions{}, err
	}
	var s DiscoveryStats
	for i := range n {
		if s, err = ld.Step(); err != nil {
			return Directions{}, err
		}
		progress(cfg, MethodLatentDiscovery, i, n, func() string {
			return fmt.Sprintf("accuracy %.2f, shift L1 %.2f", s.Accuracy, s.ShiftL1)
		})
	}
	stats["accuracy"], stats["shift_l1"] = s.Accuracy, s.ShiftL1
	return ld.Directions()
}

func findHessian(t Target, cfg FindConfig, stats map[string]float64) (Directions, error) {
	n := cfg.HessianSteps
	if n <= 0 {
		return Directions{}, errors.Errorf("directions: FindConfig.HessianSteps must be > 0, got %d", n)
	}
	hc := cfg.Hessian
	hc.LatentDim, hc.Directions, hc.Seed = t.LatentDim, cfg.Directions, cfg.Seed
	hd, err := NewHessianDiscovery(t.Backend, t.Context, t.Generator, hc)
	if err != nil {
		return Directions{}, err
	}
	var p float64
	for i := range n {
		if p, err = hd.Step(); err != nil {
			return Directions{}, err
		}
		progress(cfg, MethodHessian, i, n, func() string { return fmt.Sprintf("penalty %.4g", p) })
	}
	stats["penalty"] = p
	return hd.Directions()
}

// RandomDirections returns k orthonormal directions in R^d drawn uniformly (QR of a Gaussian matrix): the
// baseline every direction method should beat.
func RandomDirections(d, k int, seed uint64) (*mat.Dense, error) {
	if d <= 0 || k <= 0 || k > d {
		return nil, errors.Errorf("directions: RandomDirections: need 0 < k (%d) ≤ d (%d)", k, d)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	a := mat.NewDense(d, k, nil)
	for i := range d {
		for j := range k {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	return Orthonormalize(a)
}
