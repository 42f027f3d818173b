package plots

import (
	"slices"
	"strings"
	"testing"
)

func TestPointSeries(t *testing.T) {
	s, err := PointSeries("generated", []float32{1, 2, -0.5, 3, 0, -2})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "generated" || !slices.Equal(s.X, []float64{1, -0.5, 0}) || !slices.Equal(s.Y, []float64{2, 3, -2}) {
		t.Errorf("series %+v", s)
	}
	p, err := Scatter2D("ring", s)
	if err != nil {
		t.Fatal(err)
	}
	// Scatter2D's equal ranges cover every point.
	if p.X.Min > -2 || p.X.Max < 3 || p.Y.Min != p.X.Min || p.Y.Max != p.X.Max {
		t.Errorf("axes x [%v, %v], y [%v, %v]", p.X.Min, p.X.Max, p.Y.Min, p.Y.Max)
	}
	if _, err := PointSeries("odd", []float32{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "n×2") {
		t.Errorf("odd length: %v", err)
	}
	if s, err := PointSeries("none", nil); err != nil || len(s.X) != 0 {
		t.Errorf("no points: %+v, %v", s, err)
	}
}
