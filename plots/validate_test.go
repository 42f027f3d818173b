package plots

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// Public entry points must answer bad input with an error, never a panic (a panic in a GoNB cell loses the
// notebook's state). Inputs that can be drawn meaningfully (NaN points, empty series) may also succeed; the
// "mayWork" cases only require the absence of a panic.
func TestValidatePlotInputs(t *testing.T) {
	nan := math.NaN()
	img := make([]float32, 2*4*4*1)
	cases := []struct {
		name    string
		call    func() error
		want    string
		mayWork bool
	}{
		{"Curves/X-Y-length-mismatch", func() error {
			_, err := Curves("t", "x", "y", Series{Name: "a", X: []float64{1, 2}, Y: []float64{1}})
			return err
		}, "", false},
		{"Curves/all-NaN", func() error {
			_, err := Curves("t", "x", "y", Series{Name: "a", X: []float64{1, 2}, Y: []float64{nan, nan}})
			return err
		}, "", true},
		{"Curves/no-series", func() error { _, err := Curves("t", "x", "y"); return err }, "", true},
		{"CurvesWith/smooth>1", func() error {
			_, err := CurvesWith(CurvesOptions{Smooth: 3}, Series{Name: "a", X: []float64{1, 2}, Y: []float64{1, 2}})
			return err
		}, "smooth", false},
		{"CurvesWith/LogY-all-negative", func() error {
			_, err := CurvesWith(CurvesOptions{LogY: true}, Series{Name: "a", X: []float64{1, 2}, Y: []float64{-1, -2}})
			return err
		}, "", true},
		{"Scatter2D/odd-XY", func() error {
			_, err := Scatter2D("t", Series{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1}})
			return err
		}, "", false},
		{"Bars/labels-values-mismatch", func() error { _, err := Bars("t", "y", []string{"a"}, []float64{1, 2}); return err }, "", false},
		{"Bars/NaN", func() error { _, err := Bars("t", "y", []string{"a"}, []float64{nan}); return err }, "", true},
		{"Spectrum/empty", func() error { _, err := Spectrum("t", nil); return err }, "", true},
		{"Spectrum/Inf", func() error { _, err := Spectrum("t", []float64{math.Inf(1), 1}); return err }, "", true},
		{"NewHeatGrid/ragged", func() error { _, err := NewHeatGrid([][]float64{{1, 2}, {3}}); return err }, "", false},
		{"NewHeatGrid/empty", func() error { _, err := NewHeatGrid(nil); return err }, "", false},
		{"Heatmap/label-count", func() error {
			_, err := Heatmap("t", [][]float64{{1, 2}}, []string{"a", "b"}, []string{"x"}, true)
			return err
		}, "", false},
		{"Heatmap/NaN", func() error { _, err := Heatmap("t", [][]float64{{nan, 1}}, nil, nil, true); return err }, "", true},
		{"NewImageGrid/negative-n", func() error { _, err := NewImageGrid(img, -1, 4, 4, 1, 2); return err }, "", false},
		{"NewImageGrid/zero-h", func() error { _, err := NewImageGrid(img, 2, 0, 4, 1, 2); return err }, "", false},
		{"NewImageGrid/negative-cols", func() error { _, err := NewImageGrid(img, 2, 4, 4, 1, -1); return err }, "", true},
		{"NewImageGrid/short-data", func() error { _, err := NewImageGrid(img[:5], 2, 4, 4, 1, 2); return err }, "", false},
		{"NewImageGrid/channels=2", func() error { _, err := NewImageGrid(img, 4, 4, 1, 2, 2); return err }, "", false},
		{"NewImageGrid/NaN-pixels", func() error {
			bad := append([]float32(nil), img...)
			bad[0] = float32(nan)
			_, err := NewImageGrid(bad, 2, 4, 4, 1, 2)
			return err
		}, "", true},
		{"ImageGridPlot/overflowing-dims", func() error {
			_, err := ImageGridPlot("t", img, 1<<31, 1<<31, 1<<31, 1, 1)
			return err
		}, "", false},
		{"TraversalGrid/labels-mismatch", func() error {
			_, err := TraversalGrid(img, 2, 1, 4, 4, 1, []string{"a"}, []float64{0})
			return err
		}, "", false},
		{"Traversal/negative-rows", func() error { _, err := Traversal(img, -2, -1, 4, 4, 1, nil, nil); return err }, "", false},
		{"Bytes/unknown-format", func() error {
			p, err := Bars("t", "y", []string{"a"}, []float64{1})
			if err != nil {
				return nil
			}
			_, err = Bytes(p, 100, 100, "bmpx")
			return err
		}, "bmpx", false},
		{"Bytes/zero-size", func() error {
			p, err := Bars("t", "y", []string{"a"}, []float64{1})
			if err != nil {
				return nil
			}
			_, err = Bytes(p, 0, -5, "png")
			return err
		}, "", false},
		{"Bytes/nil-plot", func() error { _, err := Bytes(nil, 100, 100, "png"); return err }, "", false},
		{"Save/parent-is-a-file", func() error {
			p, err := Bars("t", "y", []string{"a"}, []float64{1})
			if err != nil {
				return nil
			}
			dir := t.TempDir()
			if err := Save(p, 100, 100, filepath.Join(dir, "f.png")); err != nil {
				return nil
			}
			return Save(p, 100, 100, filepath.Join(dir, "f.png", "x.png"))
		}, "x.png", false},
		{"Save/no-extension", func() error {
			p, err := Bars("t", "y", []string{"a"}, []float64{1})
			if err != nil {
				return nil
			}
			return Save(p, 100, 100, filepath.Join(t.TempDir(), "x"))
		}, "extension", false},
		{"Display/nil-plot", func() error { return Display(nil, 100, 100) }, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			panicked := func() (p any) {
				defer func() { p = recover() }()
				err = c.call()
				return nil
			}()
			switch {
			case panicked != nil:
				t.Errorf("PANIC instead of an error: %v", panicked)
			case err == nil && !c.mayWork:
				t.Errorf("no error")
			case err != nil && c.want != "" && !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)):
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
	// EMA has no error result: it must not panic on an out-of-range weight or empty input.
	for _, a := range []float64{-1, 1, 2, nan} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("EMA(alpha=%v): PANIC: %v", a, r)
				}
			}()
			_ = EMA([]float64{1, 2, 3}, a)
			_ = EMA(nil, a)
		}()
	}
}
