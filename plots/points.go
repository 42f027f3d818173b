package plots

import "github.com/pkg/errors"

// PointSeries makes a Scatter2D series from n 2D points stored as row-major n×2 float32 values — the layout of the
// ring data set and of what a GAN generates for it — so that data and samples plot without conversion code.
func PointSeries(name string, xy []float32) (Series, error) {
	if len(xy)%2 != 0 {
		return Series{}, errors.Errorf("plots.PointSeries: %q has %d values; want n×2 (x, y pairs)", name, len(xy))
	}
	s := Series{Name: name, X: make([]float64, len(xy)/2), Y: make([]float64, len(xy)/2)}
	for i := range s.X {
		s.X[i], s.Y[i] = float64(xy[2*i]), float64(xy[2*i+1])
	}
	return s, nil
}
