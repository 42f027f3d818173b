package explore

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Mode is what the sliders control.
type Mode int

const (
	// ModeCodes shows one slider per latent code; a slider sets that code's value.
	ModeCodes Mode = iota
	// ModeDirections shows one slider per direction; the latent is base + Σ αₖ·dₖ (dₖ the columns of
	// Options.Directions, as given).
	ModeDirections
	// ModeCurved shows one slider that moves along the curved path Options.Curved returns from the base latent
	// (e.g. JacobianTool.CurvedTrajectory, Ramesh et al. 2018), linearly interpolated between its points.
	ModeCurved
)

// String names the mode as the explorer's mode menu does.
func (m Mode) String() string {
	switch m {
	case ModeCodes:
		return "codes"
	case ModeDirections:
		return "directions"
	case ModeCurved:
		return "curved"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// CurveFunc returns the latents of a curved path through z0: 2n+1 points in order from the negative end through
// z0 (index n) to the positive end, step apart. directions.JacobianTool.CurvedTrajectory has this signature.
type CurveFunc func(z0 []float64, step float64, n int) ([][]float64, error)

// Slider describes one slider of the current mode.
type Slider struct {
	Label    string
	Min, Max float64
	Value    float64
}

// State is the explorer's pure state: the base latent, the mode and its slider values, and the selected slider
// (the one an export traverses). It maps slider values to a latent vector and knows nothing of GoNB; it is not
// safe for concurrent use.
type State struct {
	dim   int
	opts  Options // with defaults
	rng   *rand.Rand
	base  []float64
	mode  Mode
	codes []float64 // one per opts.Codes: absolute values
	alpha []float64 // one per direction
	t     float64   // position on the curve
	path  [][]float64
	sel   int
}

// NewState validates opts for latents of dimension dim, draws a first base latent from the prior and starts in
// the first mode available (codes, unless opts.Mode says otherwise).
func NewState(dim int, opts Options) (*State, error) {
	o, err := opts.withDefaults(dim)
	if err != nil {
		return nil, err
	}
	s := &State{dim: dim, opts: o, rng: rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))}
	s.mode = o.Mode
	if !s.HasMode(s.mode) {
		return nil, fmt.Errorf("explore: Options.Mode %v needs %s", s.mode, modeNeeds(s.mode))
	}
	s.Reseed()
	return s, nil
}

func modeNeeds(m Mode) string {
	switch m {
	case ModeDirections:
		return "Options.Directions"
	case ModeCurved:
		return "Options.Curved"
	}
	return "nothing"
}

// Dim is the latent dimension.
func (s *State) Dim() int { return s.dim }

// Options returns the options in use, with defaults filled in.
func (s *State) Options() Options { return s.opts }

// Mode is the current mode.
func (s *State) Mode() Mode { return s.mode }

// Modes lists the modes the options allow, codes first.
func (s *State) Modes() []Mode {
	ms := []Mode{ModeCodes}
	if s.opts.Directions != nil {
		ms = append(ms, ModeDirections)
	}
	if s.opts.Curved != nil {
		ms = append(ms, ModeCurved)
	}
	return ms
}

// HasMode reports whether m is available.
func (s *State) HasMode(m Mode) bool {
	for _, x := range s.Modes() {
		if x == m {
			return true
		}
	}
	return false
}

// Base returns a copy of the base latent.
func (s *State) Base() []float64 { return append([]float64(nil), s.base...) }

// Selected is the index of the selected slider in the current mode.
func (s *State) Selected() int { return s.sel }

// Reseed draws a new base latent from the prior and resets the sliders to it.
func (s *State) Reseed() {
	z := make([]float64, s.dim)
	s.opts.Prior(s.rng, z)
	s.rebase(z)
}

// SetBase makes z (e.g. an encoded image) the base latent and resets the sliders to it.
func (s *State) SetBase(z []float64) error {
	if len(z) != s.dim {
		return fmt.Errorf("explore: base latent has %d values, the generator's latent has %d", len(z), s.dim)
	}
	for i, v := range z {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("explore: base latent value %d is %v", i, v)
		}
	}
	s.rebase(append([]float64(nil), z...))
	return nil
}

// rebase sets the base latent (owned) and resets every mode's sliders to show it unchanged.
func (s *State) rebase(z []float64) {
	s.base = z
	s.codes = make([]float64, len(s.opts.Codes))
	for j, c := range s.opts.Codes {
		s.codes[j] = z[c]
	}
	s.alpha = make([]float64, s.numDirections())
	s.t = 0
	s.path = nil
}

func (s *State) numDirections() int {
	if s.opts.Directions == nil {
		return 0
	}
	_, k := s.opts.Directions.Dims()
	return k
}

// SetMode switches mode, keeping the image: the current latent becomes the new base.
func (s *State) SetMode(m Mode) error {
	if !s.HasMode(m) {
		return fmt.Errorf("explore: mode %v is not available (it needs %s)", m, modeNeeds(m))
	}
	if m == s.mode {
		return nil
	}
	z, err := s.Latent()
	if err != nil {
		return err
	}
	s.mode = m
	s.rebase(z)
	s.sel = 0
	return nil
}

// NumSliders is the number of sliders of the current mode.
func (s *State) NumSliders() int {
	switch s.mode {
	case ModeDirections:
		return s.numDirections()
	case ModeCurved:
		return 1
	}
	return len(s.opts.Codes)
}

// Sliders describes the current mode's sliders. A code slider's range grows to include its base value.
func (s *State) Sliders() []Slider {
	r := s.opts.Range
	switch s.mode {
	case ModeDirections:
		out := make([]Slider, len(s.alpha))
		for k, a := range s.alpha {
			out[k] = Slider{Label: s.opts.DirectionNames[k], Min: -r, Max: r, Value: a}
		}
		return out
	case ModeCurved:
		return []Slider{{Label: s.opts.CurveName, Min: -r, Max: r, Value: s.t}}
	}
	out := make([]Slider, len(s.codes))
	for j, v := range s.codes {
		b := s.base[s.opts.Codes[j]]
		out[j] = Slider{Label: s.opts.CodeNames[j], Min: math.Min(-r, b), Max: math.Max(r, b), Value: v}
	}
	return out
}

// SetSlider sets slider i of the current mode to v (clamped to its range) and selects it.
func (s *State) SetSlider(i int, v float64) error {
	n := s.NumSliders()
	if i < 0 || i >= n {
		return fmt.Errorf("explore: slider %d out of range: mode %v has %d sliders", i, s.mode, n)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("explore: slider %d value is %v", i, v)
	}
	sl := s.Sliders()[i]
	v = math.Min(sl.Max, math.Max(sl.Min, v))
	switch s.mode {
	case ModeDirections:
		s.alpha[i] = v
	case ModeCurved:
		s.t = v
	default:
		s.codes[i] = v
	}
	s.sel = i
	return nil
}

// Select makes slider i of the current mode the one an export traverses.
func (s *State) Select(i int) error {
	if n := s.NumSliders(); i < 0 || i >= n {
		return fmt.Errorf("explore: cannot select slider %d: mode %v has %d sliders", i, s.mode, n)
	}
	s.sel = i
	return nil
}

// Latent maps the current slider values to a latent vector (a new slice).
func (s *State) Latent() ([]float64, error) {
	switch s.mode {
	case ModeDirections:
		z := append([]float64(nil), s.base...)
		for k, a := range s.alpha {
			if a == 0 {
				continue
			}
			for d := range z {
				z[d] += a * s.opts.Directions.At(d, k)
			}
		}
		return z, nil
	case ModeCurved:
		return s.curvePoint(s.t)
	}
	z := append([]float64(nil), s.base...)
	for j, c := range s.opts.Codes {
		z[c] = s.codes[j]
	}
	return z, nil
}

// curvePoint returns the latent at position t on the curve through the base, computing the curve on first use.
func (s *State) curvePoint(t float64) ([]float64, error) {
	n := s.opts.CurveSteps
	step := s.opts.Range / float64(n)
	if s.path == nil {
		path, err := s.opts.Curved(append([]float64(nil), s.base...), step, n)
		if err != nil {
			return nil, fmt.Errorf("explore: curved path: %w", err)
		}
		if len(path) != 2*n+1 {
			return nil, fmt.Errorf("explore: curved path has %d points, want 2n+1 = %d (n=%d steps each way)", len(path), 2*n+1, n)
		}
		for i, p := range path {
			if len(p) != s.dim {
				return nil, fmt.Errorf("explore: curved path point %d has %d values, want the latent dimension %d", i, len(p), s.dim)
			}
		}
		s.path = path
	}
	x := math.Min(float64(2*n), math.Max(0, t/step+float64(n)))
	i := int(math.Floor(x))
	if i >= 2*n {
		return append([]float64(nil), s.path[2*n]...), nil
	}
	f := x - float64(i)
	z := make([]float64, s.dim)
	for d := range z {
		z[d] = (1-f)*s.path[i][d] + f*s.path[i+1][d]
	}
	return z, nil
}

// Traversal returns the latents and values of a traversal of slider i of the current mode: `count` evenly spaced
// values over its range, every other slider as it is now.
func (s *State) Traversal(i, count int) (latents [][]float64, values []float64, err error) {
	if n := s.NumSliders(); i < 0 || i >= n {
		return nil, nil, fmt.Errorf("explore: cannot traverse slider %d: mode %v has %d sliders", i, s.mode, n)
	}
	if count < 2 {
		return nil, nil, fmt.Errorf("explore: a traversal needs at least 2 values, got %d", count)
	}
	sl := s.Sliders()[i]
	saved, sel := sl.Value, s.sel
	defer func() { _ = s.SetSlider(i, saved); s.sel = sel }()
	for k := range count {
		v := sl.Min + (sl.Max-sl.Min)*float64(k)/float64(count-1)
		if err := s.SetSlider(i, v); err != nil {
			return nil, nil, err
		}
		z, err := s.Latent()
		if err != nil {
			return nil, nil, err
		}
		latents = append(latents, z)
		values = append(values, v)
	}
	return latents, values, nil
}

// Options configure an explorer. The zero value shows one slider per latent code over [-3, 3], with base
// samples from N(0, I).
type Options struct {
	// Range is the slider half-range: codes and direction strengths go over [-Range, Range] (default 3).
	Range float64
	// Step is the slider resolution (default Range/100).
	Step float64
	// Codes lists the latent codes that get a slider (default all, in order); CodeNames labels them (default
	// "z0", "z1", ...).
	Codes     []int
	CodeNames []string
	// Directions, D×K, holds one latent direction per column (e.g. directions.Directions.Vectors); it enables
	// the directions mode. DirectionNames labels them (default "d0", "d1", ...).
	Directions     *mat.Dense
	DirectionNames []string
	// Curved enables the curved mode: one slider along Curved(base, Range/CurveSteps, CurveSteps), computed
	// again whenever the base changes. CurveName labels it (default "curve").
	Curved     CurveFunc
	CurveSteps int // points each way (default 8)
	CurveName  string
	// Mode is the starting mode (default ModeCodes).
	Mode Mode
	// Prior fills z with a base sample (default: standard normal). Seed seeds it (default 1).
	Prior func(rng *rand.Rand, z []float64)
	Seed  uint64
	// Images are real observations ([n, H, W, C], the generator's shape) to pick a base from; picking one
	// encodes it with the Encoder (default: the generator itself when it implements gdisent.Encoder).
	// ImageNames labels them in the menu (default "image 0", ...).
	Images     []float32
	ImageNames []string
	// TraversalValues is the number of columns of an exported traversal (default 7).
	TraversalValues int

	// The settings below concern the notebook widget (Show) and exports only.

	// ExportDir receives exported figures (default: notebook.OutDir("explorer"), i.e. $GDISENT_OUT/explorer);
	// Name prefixes their file names (default "explorer").
	ExportDir, Name string
	// Width is the displayed image width in pixels (default 256; the image is scaled with sharp pixels).
	Width int
	// ConnectTimeout bounds the wait for the browser to connect the widget (default 10s). Without a browser
	// (a headless run such as nbconvert), Show then displays the base sample as a static image and returns.
	ConnectTimeout time.Duration
	// IdleTimeout ends the widget after that long without an event (default 10 minutes; negative: never).
	IdleTimeout time.Duration
}

// withDefaults validates o for latent dimension dim and fills in defaults.
func (o Options) withDefaults(dim int) (Options, error) {
	if dim <= 0 {
		return o, fmt.Errorf("explore: the generator's latent dimension is %d, want > 0", dim)
	}
	if o.Range == 0 {
		o.Range = 3
	}
	if !(o.Range > 0) || math.IsInf(o.Range, 0) {
		return o, fmt.Errorf("explore: Options.Range = %v, want a positive finite half-range", o.Range)
	}
	if o.Step == 0 {
		o.Step = o.Range / 100
	}
	if !(o.Step > 0) || o.Step > o.Range {
		return o, fmt.Errorf("explore: Options.Step = %v, want a value in (0, Range=%v]", o.Step, o.Range)
	}
	if o.Codes == nil {
		o.Codes = make([]int, dim)
		for i := range o.Codes {
			o.Codes[i] = i
		}
	} else {
		o.Codes = append([]int(nil), o.Codes...)
	}
	seen := map[int]bool{}
	for _, c := range o.Codes {
		if c < 0 || c >= dim {
			return o, fmt.Errorf("explore: Options.Codes has code %d, want codes in [0, %d)", c, dim)
		}
		if seen[c] {
			return o, fmt.Errorf("explore: Options.Codes lists code %d twice", c)
		}
		seen[c] = true
	}
	if o.CodeNames == nil {
		o.CodeNames = make([]string, len(o.Codes))
		for j, c := range o.Codes {
			o.CodeNames[j] = fmt.Sprintf("z%d", c)
		}
	} else if len(o.CodeNames) != len(o.Codes) {
		return o, fmt.Errorf("explore: %d CodeNames for %d codes", len(o.CodeNames), len(o.Codes))
	}
	if o.Directions != nil {
		d, k := o.Directions.Dims()
		if d != dim || k == 0 {
			return o, fmt.Errorf("explore: Options.Directions is %d×%d, want %d×K (one latent direction per column)", d, k, dim)
		}
		if o.DirectionNames == nil {
			o.DirectionNames = make([]string, k)
			for i := range o.DirectionNames {
				o.DirectionNames[i] = fmt.Sprintf("d%d", i)
			}
		} else if len(o.DirectionNames) != k {
			return o, fmt.Errorf("explore: %d DirectionNames for %d directions", len(o.DirectionNames), k)
		}
	}
	if o.CurveSteps == 0 {
		o.CurveSteps = 8
	}
	if o.CurveSteps < 1 {
		return o, fmt.Errorf("explore: Options.CurveSteps = %d, want ≥ 1", o.CurveSteps)
	}
	if o.CurveName == "" {
		o.CurveName = "curve"
	}
	if o.Prior == nil {
		o.Prior = func(rng *rand.Rand, z []float64) {
			for i := range z {
				z[i] = rng.NormFloat64()
			}
		}
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.TraversalValues == 0 {
		o.TraversalValues = 7
	}
	if o.TraversalValues < 2 {
		return o, fmt.Errorf("explore: Options.TraversalValues = %d, want ≥ 2", o.TraversalValues)
	}
	if o.Name == "" {
		o.Name = "explorer"
	}
	if o.Width == 0 {
		o.Width = 256
	}
	if o.Width < 16 || o.Width > 4096 {
		return o, fmt.Errorf("explore: Options.Width = %d pixels, want a value in [16, 4096]", o.Width)
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.ConnectTimeout < 0 {
		return o, fmt.Errorf("explore: Options.ConnectTimeout = %v, want > 0", o.ConnectTimeout)
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 10 * time.Minute
	}
	return o, nil
}
