package vaegan

import (
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/plots"
)

// TraversalGrid is the VAE's labelled traversal grid (vae.Inference.TraversalGrid: one row per latent, "z<j>
// (<KL>)") with the latents the InfoGAN Q head regularises (the first Config.InfoCodes) tagged "Q", so the rows
// the mutual-information term acts on stand out.
func (m *Model) TraversalGrid(image []float32, values []float64) (*plots.ImageGrid, error) {
	g, err := m.Inference.TraversalGrid(image, values)
	if err != nil {
		return nil, errors.WithMessage(err, "vaegan")
	}
	for j := range min(m.cfg.InfoCodes, len(g.RowLabels)) {
		g.RowLabels[j] = "Q " + g.RowLabels[j]
	}
	return g, nil
}
