package vae

import (
	"fmt"
	"math"
	"strings"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"

	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/plots"
)

// InformativeThreshold is the KL (nats) above which LatentKLBars marks a latent informative: latents below it have
// collapsed to the prior (Burgess et al. 2018, §4; InfoGAN-CR Fig. 15 separates the two groups the same way).
const InformativeThreshold = 0.1

// LatentKLBars plots each latent's KL to the prior (e.g. from Model.LatentKL) as bars, sorted in latent order,
// labelling informative latents (KL > InformativeThreshold) with their KL and the others "·".
func LatentKLBars(title string, kl []float64) (*plot.Plot, error) {
	if len(kl) == 0 {
		return nil, errors.New("vae.LatentKLBars: no latents")
	}
	labels := make([]string, len(kl))
	informative := 0
	for j, v := range kl {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.Errorf("vae.LatentKLBars: latent %d has KL %v", j, v)
		}
		if v > InformativeThreshold {
			labels[j] = fmt.Sprintf("z%d", j)
			informative++
		} else {
			labels[j] = fmt.Sprintf("z%d·", j)
		}
	}
	if title == "" {
		title = "KL per latent"
	}
	title = fmt.Sprintf("%s (%d informative, · = collapsed)", title, informative)
	return plots.Bars(title, "KL (nats)", labels, kl)
}

// LatentKLSeries returns the per-latent KL curves ("kl/00", "kl/01", ...) recorded with Config.LogLatentKL.
func LatentKLSeries(h *training.History) []plots.Series {
	if h == nil {
		return nil
	}
	var names []string
	for _, n := range h.Names() {
		if strings.HasPrefix(n, "kl/") {
			names = append(names, n)
		}
	}
	return plots.HistorySeries(h, names...)
}

// LatentKLCurves plots the per-latent KL over training (Config.LogLatentKL must have been set), smoothed: latents
// that become informative rise away from zero while the others stay collapsed.
func LatentKLCurves(title string, h *training.History) (*plot.Plot, error) {
	s := LatentKLSeries(h)
	if len(s) == 0 {
		return nil, errors.New("vae.LatentKLCurves: no per-latent KL recorded (set Config.LogLatentKL)")
	}
	if title == "" {
		title = "KL per latent during training"
	}
	return plots.CurvesWith(plots.CurvesOptions{Title: title, XLabel: "step", YLabel: "KL (nats)", Smooth: 0.9}, s...)
}
