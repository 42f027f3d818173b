package explore

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("%s: value %d is %v, want %v (got %v, want %v)", what, i, got[i], want[i], got, want)
		}
	}
}

func mustState(t *testing.T, dim int, o Options) *State {
	t.Helper()
	s, err := NewState(dim, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCodesModeMapsSlidersToCodes(t *testing.T) {
	s := mustState(t, 4, Options{Seed: 3})
	base := s.Base()
	z, err := s.Latent()
	if err != nil {
		t.Fatal(err)
	}
	near(t, "latent before any move", z, base, 0)
	if err := s.SetSlider(2, 1.25); err != nil {
		t.Fatal(err)
	}
	want := append([]float64(nil), base...)
	want[2] = 1.25
	z, _ = s.Latent()
	near(t, "latent after moving z2", z, want, 0)
	if s.Selected() != 2 {
		t.Fatalf("moving slider 2 should select it, selected %d", s.Selected())
	}
	// Clamped to the range, which covers [-3, 3] and the base value.
	_ = s.SetSlider(0, 100)
	if got := s.Sliders()[0]; got.Value != math.Max(3, base[0]) {
		t.Fatalf("slider 0 set to 100 holds %v, want its max %v", got.Value, math.Max(3, base[0]))
	}
}

func TestCodesSubsetAndNames(t *testing.T) {
	s := mustState(t, 5, Options{Codes: []int{4, 1}, CodeNames: []string{"shape", "size"}})
	if n := s.NumSliders(); n != 2 {
		t.Fatalf("2 codes listed, %d sliders", n)
	}
	if l := s.Sliders()[0].Label; l != "shape" {
		t.Fatalf("slider 0 label %q, want shape", l)
	}
	base := s.Base()
	_ = s.SetSlider(0, -2)
	_ = s.SetSlider(1, 0.5)
	want := append([]float64(nil), base...)
	want[4], want[1] = -2, 0.5
	z, _ := s.Latent()
	near(t, "subset latent", z, want, 0)
}

func TestBaseOutsideRangeWidensSlider(t *testing.T) {
	s := mustState(t, 2, Options{})
	if err := s.SetBase([]float64{4.5, -7}); err != nil {
		t.Fatal(err)
	}
	sl := s.Sliders()
	if sl[0].Max != 4.5 || sl[0].Value != 4.5 || sl[1].Min != -7 || sl[1].Value != -7 {
		t.Fatalf("sliders %+v should reach the base values 4.5 and -7", sl)
	}
	z, _ := s.Latent()
	near(t, "latent at an out-of-range base", z, []float64{4.5, -7}, 0)
}

func TestDirectionsMode(t *testing.T) {
	// Two directions in 3-D: d0 = e0, d1 = (0, 0.6, 0.8).
	dirs := mat.NewDense(3, 2, []float64{1, 0, 0, 0.6, 0, 0.8})
	s := mustState(t, 3, Options{Directions: dirs, Mode: ModeDirections})
	base := s.Base()
	for _, sl := range s.Sliders() {
		if sl.Value != 0 || sl.Min != -3 || sl.Max != 3 {
			t.Fatalf("direction slider %+v should start at 0 in [-3, 3]", sl)
		}
	}
	_ = s.SetSlider(0, 2)
	_ = s.SetSlider(1, -1)
	z, _ := s.Latent()
	want := []float64{base[0] + 2, base[1] - 0.6, base[2] - 0.8}
	near(t, "base + 2·d0 − d1", z, want, 1e-12)
}

func TestSetModeKeepsTheLatent(t *testing.T) {
	dirs := mat.NewDense(2, 1, []float64{1, 1})
	s := mustState(t, 2, Options{Directions: dirs})
	_ = s.SetSlider(1, 2.5)
	before, _ := s.Latent()
	if err := s.SetMode(ModeDirections); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Latent()
	near(t, "latent across a mode switch", after, before, 0)
	near(t, "new base", s.Base(), before, 0)
	_ = s.SetSlider(0, 1)
	z, _ := s.Latent()
	near(t, "moving along (1,1) from the new base", z, []float64{before[0] + 1, before[1] + 1}, 1e-12)
	if err := s.SetMode(ModeCurved); err == nil || !strings.Contains(err.Error(), "Options.Curved") {
		t.Fatalf("curved mode without a curve function: err = %v, want one naming Options.Curved", err)
	}
}

// circle is a curve through z0 that turns around the origin: point i of 2n+1 is z0 rotated by (i−n)·step radians.
func circle(calls *int) CurveFunc {
	return func(z0 []float64, step float64, n int) ([][]float64, error) {
		*calls++
		out := make([][]float64, 2*n+1)
		for i := range out {
			a := float64(i-n) * step
			c, s := math.Cos(a), math.Sin(a)
			out[i] = []float64{c*z0[0] - s*z0[1], s*z0[0] + c*z0[1]}
		}
		return out, nil
	}
}

func TestCurvedModeInterpolatesThePath(t *testing.T) {
	calls := 0
	s := mustState(t, 2, Options{Curved: circle(&calls), CurveSteps: 4, Range: 2, Mode: ModeCurved})
	if err := s.SetBase([]float64{1, 0}); err != nil {
		t.Fatal(err)
	}
	z, err := s.Latent()
	if err != nil {
		t.Fatal(err)
	}
	near(t, "t=0 is the base", z, []float64{1, 0}, 1e-12)
	// step = Range/CurveSteps = 0.5: t = 1 is exactly point n+2 (angle 1 rad).
	_ = s.SetSlider(0, 1)
	z, _ = s.Latent()
	near(t, "t=1 on the path", z, []float64{math.Cos(1), math.Sin(1)}, 1e-12)
	// t = 0.25 is halfway between the base and the point at 0.5 rad: a chord, not the arc.
	_ = s.SetSlider(0, 0.25)
	z, _ = s.Latent()
	near(t, "t=0.25 interpolated", z, []float64{(1 + math.Cos(0.5)) / 2, math.Sin(0.5) / 2}, 1e-12)
	_ = s.SetSlider(0, -2)
	z, _ = s.Latent()
	near(t, "negative end", z, []float64{math.Cos(-2), math.Sin(-2)}, 1e-12)
	if calls != 1 {
		t.Fatalf("the path should be computed once per base, computed %d times", calls)
	}
	s.Reseed()
	if _, err := s.Latent(); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Fatalf("a new base needs a new path: %d computations, want 2", calls)
	}
}

func TestCurvedModeChecksTheCallback(t *testing.T) {
	short := func(z0 []float64, step float64, n int) ([][]float64, error) { return [][]float64{z0}, nil }
	s := mustState(t, 2, Options{Curved: short, Mode: ModeCurved})
	if _, err := s.Latent(); err == nil || !strings.Contains(err.Error(), "2n+1") {
		t.Fatalf("a 1-point path: err = %v, want one about 2n+1 points", err)
	}
	boom := errors.New("jacobian failed")
	s = mustState(t, 2, Options{Curved: func([]float64, float64, int) ([][]float64, error) { return nil, boom }, Mode: ModeCurved})
	if _, err := s.Latent(); !errors.Is(err, boom) {
		t.Fatalf("callback error not wrapped: %v", err)
	}
}

func TestReseedIsSeededAndUsesThePrior(t *testing.T) {
	a, b := mustState(t, 6, Options{Seed: 9}), mustState(t, 6, Options{Seed: 9})
	near(t, "same seed, same base", a.Base(), b.Base(), 0)
	first := a.Base()
	a.Reseed()
	if floats.Equal(first, a.Base()) {
		t.Fatal("Reseed kept the same base")
	}
	_ = a.SetSlider(0, 2)
	a.Reseed()
	if v := a.Sliders()[0].Value; v != a.Base()[0] {
		t.Fatalf("after Reseed slider 0 = %v, want the new base value %v", v, a.Base()[0])
	}
	uni := mustState(t, 3, Options{Prior: func(rng *rand.Rand, z []float64) {
		for i := range z {
			z[i] = rng.Float64()*2 - 1
		}
	}})
	for i := 0; i < 20; i++ {
		for _, v := range uni.Base() {
			if v < -1 || v > 1 {
				t.Fatalf("uniform prior gave %v", v)
			}
		}
		uni.Reseed()
	}
}

func TestTraversalSpansTheRangeAndRestores(t *testing.T) {
	s := mustState(t, 3, Options{Range: 2, Codes: []int{0, 2}})
	_ = s.SetSlider(1, 0.7)
	_ = s.Select(0)
	before, _ := s.Latent()
	zs, vals, err := s.Traversal(1, 5)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "traversal values", vals, []float64{-2, -1, 0, 1, 2}, 1e-12)
	for k, z := range zs {
		want := append([]float64(nil), before...)
		want[2] = vals[k]
		near(t, "traversal latent", z, want, 1e-12)
	}
	after, _ := s.Latent()
	near(t, "state after a traversal", after, before, 0)
	if s.Selected() != 0 {
		t.Fatalf("traversal changed the selection to %d", s.Selected())
	}
	if _, _, err := s.Traversal(2, 5); err == nil {
		t.Fatal("traversing slider 2 of 2 should fail")
	}
}

func TestOptionErrors(t *testing.T) {
	for _, c := range []struct {
		dim  int
		o    Options
		want string
	}{
		{0, Options{}, "latent dimension"},
		{3, Options{Range: -1}, "Range"},
		{3, Options{Codes: []int{0, 3}}, "Codes"},
		{3, Options{Codes: []int{1, 1}}, "twice"},
		{3, Options{CodeNames: []string{"a"}}, "CodeNames"},
		{3, Options{Directions: mat.NewDense(2, 2, nil)}, "Directions is 2×2"},
		{3, Options{Mode: ModeDirections}, "Options.Directions"},
		{3, Options{TraversalValues: 1}, "TraversalValues"},
		{3, Options{Width: 3}, "Width"},
	} {
		_, err := NewState(c.dim, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewState(%d, %+v): err = %v, want one mentioning %q", c.dim, c.o, err, c.want)
		}
	}
	s := mustState(t, 2, Options{})
	if err := s.SetSlider(5, 0); err == nil {
		t.Error("SetSlider(5) on 2 sliders should fail")
	}
	if err := s.SetSlider(0, math.NaN()); err == nil {
		t.Error("SetSlider(NaN) should fail")
	}
	if err := s.SetBase([]float64{1}); err == nil {
		t.Error("SetBase with the wrong length should fail")
	}
}
