package selection

import (
	"fmt"

	"gonum.org/v1/plot"

	"github.com/gdisent/gdisent/plots"
)

// SimilarityHeatmap plots ModelCentrality's symmetric similarity d_ij (plots.Heatmap), labelled by names
// (nil: model indices).
func SimilarityHeatmap(r CentralityResult, names []string) (*plot.Plot, error) {
	if names != nil && len(names) != len(r.D) {
		return nil, fmt.Errorf("selection.SimilarityHeatmap: %d names for %d models", len(names), len(r.D))
	}
	p, err := plots.Heatmap("ModelCentrality similarity d_ij", r.D, names, names, len(r.D) <= 12)
	if err != nil {
		return nil, fmt.Errorf("selection.SimilarityHeatmap: %w", err)
	}
	return p, nil
}

// RankingBars plots scores as bars in descending order (plots.Bars), e.g. CentralityResult.Scores or
// UDRResult.Scores; names nil means model indices.
func RankingBars(title string, scores []float64, names []string) (*plot.Plot, error) {
	if names != nil && len(names) != len(scores) {
		return nil, fmt.Errorf("selection.RankingBars: %d names for %d scores", len(names), len(scores))
	}
	order := rankDescending(scores)
	labels := make([]string, len(order))
	vals := make([]float64, len(order))
	for k, i := range order {
		vals[k] = scores[i]
		labels[k] = fmt.Sprint(i)
		if names != nil {
			labels[k] = names[i]
		}
	}
	p, err := plots.Bars(title, "score", labels, vals)
	if err != nil {
		return nil, fmt.Errorf("selection.RankingBars: %w", err)
	}
	return p, nil
}
