package infogan

import (
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/directions"
)

// GeneratorGraph returns the generator as a graph function for gdisent/directions, with the context that holds
// its weights (the model's own). The generator's variables are created (or claimed from a loaded checkpoint) first,
// since the direction methods call it with a reusing context. The direction methods add their own variables
// (directions, reconstructors, encoders, optimiser state) to this context under their scopes and leave the
// generator's untouched; train the GAN further from a freshly loaded model.
func (m *Model) GeneratorGraph() (directions.Generator, *context.Context, error) {
	if m.genExec == nil {
		if _, err := m.Generate(make([]float32, m.latent.Dim()), 1); err != nil {
			return nil, nil, errors.WithMessage(err, "infogan.GeneratorGraph: creating the generator's variables")
		}
	}
	return m.generator, m.ctx, nil
}

// LatentWeight returns the D×M weight of the generator layer that reads the latent (the first Dense layer of
// either architecture), the matrix SeFa factorises (Shen & Zhou 2021, arXiv:2007.06600).
func (m *Model) LatentWeight() (*mat.Dense, error) {
	if _, _, err := m.GeneratorGraph(); err != nil {
		return nil, err
	}
	layer := "fc0"
	if m.cfg.Arch == ArchMLP {
		layer = "hidden0"
	}
	w, err := directions.LatentWeight(m.ctx, m.genScope+context.ScopeSeparator+layer+context.ScopeSeparator+"dense", "weights", 0)
	if err != nil {
		return nil, errors.WithMessage(err, "infogan.LatentWeight")
	}
	if d, _ := w.Dims(); d != m.latent.Dim() {
		return nil, errors.Errorf("infogan.LatentWeight: the first layer reads %d inputs, the latent has %d", d, m.latent.Dim())
	}
	return w, nil
}

// DirectionTarget bundles the frozen generator for directions.Find and directions.Score: backend, context,
// generator graph, latent size and the latent layer's weight (for SeFa).
func (m *Model) DirectionTarget() (directions.Target, error) {
	gen, ctx, err := m.GeneratorGraph()
	if err != nil {
		return directions.Target{}, err
	}
	return directions.Target{Backend: m.backend, Context: ctx, Generator: gen, LatentDim: m.latent.Dim(),
		LatentWeight: m.LatentWeight}, nil
}
