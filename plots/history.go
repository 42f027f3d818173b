package plots

// History is a record of named training curves (training.History satisfies it).
type History interface {
	Names() []string
	XY(name string) (x, y []float64, ok bool)
}

// HistorySeries returns the named curves of h (all of them when names is empty) as Series, ready for Curves.
// Unknown names are skipped.
func HistorySeries(h History, names ...string) []Series {
	if len(names) == 0 {
		names = h.Names()
	}
	var out []Series
	for _, name := range names {
		if x, y, ok := h.XY(name); ok {
			out = append(out, Series{Name: name, X: x, Y: y})
		}
	}
	return out
}
