package plots

import "testing"

type fakeHistory map[string][2][]float64

func (h fakeHistory) Names() []string { return []string{"loss", "kl"} }

func (h fakeHistory) XY(name string) (x, y []float64, ok bool) {
	v, ok := h[name]
	return v[0], v[1], ok
}

func TestHistorySeries(t *testing.T) {
	h := fakeHistory{"loss": {{0, 1}, {3, 2}}, "kl": {{0}, {1}}}
	if all := HistorySeries(h); len(all) != 2 || all[0].Name != "loss" {
		t.Fatalf("HistorySeries(h) = %+v", all)
	}
	loss := HistorySeries(h, "loss", "missing")
	if len(loss) != 1 || loss[0].Name != "loss" || loss[0].X[1] != 1 || loss[0].Y[1] != 2 {
		t.Errorf("HistorySeries(loss) = %+v", loss)
	}
}
