package infogan

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"

	"github.com/gdisent/gdisent/gdisent/gan"
	"github.com/gdisent/gdisent/plots"
)

// Traversal is a grid of generated observations in which the codes change along the rows and columns while the
// rest of the latent stays fixed: the latent traversals with which Chen et al. 2016 (InfoGAN, arXiv:1606.03657,
// Fig. 2) and Lin et al. 2020 (InfoGAN-CR, arXiv:1906.06034) show what each code controls.
type Traversal struct {
	Images     []float32 // [Rows·Cols, H, W, C], row-major: image (r, j) is Images[(r·Cols+j)·H·W·C:]
	Rows, Cols int
	Shape      [3]int    // one observation's H, W, C
	RowLabels  []string  // what each row sets
	Values     []float64 // the swept code's value in each column
}

// Grid lays the traversal out for plotting (plots.TraversalGrid): rows labelled, columns headed by their values.
// Its GIFs (DisplayGIFs, SaveGIFs) animate each row.
func (t *Traversal) Grid() (*plots.ImageGrid, error) {
	if t == nil {
		return nil, errors.New("infogan.Traversal.Grid: nil traversal")
	}
	s := t.Shape
	return plots.TraversalGrid(t.Images, t.Rows, t.Cols, s[0], s[1], s[2], t.RowLabels, t.Values)
}

// Plot is the traversal's Grid as a figure titled title.
func (t *Traversal) Plot(title string) (*plot.Plot, error) {
	g, err := t.Grid()
	if err != nil {
		return nil, err
	}
	return plots.GridPlot(g, title), nil
}

// TraverseCodes sweeps each continuous code in turn over values — one row per code, labelled "c1", "c2", … —
// with every other code and the noise fixed at base's first latent (e.g. m.Latent().Sample(rng, 1)). This is the
// traversal of InfoGAN-CR's dSprites codes.
func (m *Model) TraverseCodes(base *gan.LatentBatch, values []float64) (*Traversal, error) {
	c := m.latent.Continuous
	if c == 0 {
		return nil, errors.Errorf("infogan.TraverseCodes: %s has no continuous codes", m)
	}
	if err := m.checkBase(base, values); err != nil {
		return nil, errors.WithMessage(err, "infogan.TraverseCodes")
	}
	var z []float32
	labels := make([]string, c)
	for i := range c {
		l, err := m.latent.Traversal(base, -1, i, values)
		if err != nil {
			return nil, errors.WithMessage(err, "infogan.TraverseCodes")
		}
		z = append(z, l.Z...)
		labels[i] = fmt.Sprintf("c%d", i+1)
	}
	return m.traversal(z, c, values, labels, "infogan.TraverseCodes")
}

// TraverseCategory sweeps continuous code cont (0-based) along the columns and categorical code cat down the
// rows — one row per category, labelled "cat 0", "cat 1", … — with the noise and the other codes fixed at base's
// first latent: the layout of Chen et al. 2016, Fig. 2, for MNIST's digit code. A category need not be the digit
// of the same number: InfoGAN learns the classes unsupervised, in any order.
func (m *Model) TraverseCategory(base *gan.LatentBatch, cat, cont int, values []float64) (*Traversal, error) {
	if nc := len(m.latent.Categorical); cat < 0 || cat >= nc {
		return nil, errors.Errorf("infogan.TraverseCategory: categorical code %d out of range: %s has %d", cat, m, nc)
	}
	if cont < 0 || cont >= m.latent.Continuous {
		return nil, errors.Errorf("infogan.TraverseCategory: continuous code %d out of range: %s has %d", cont, m, m.latent.Continuous)
	}
	if err := m.checkBase(base, values); err != nil {
		return nil, errors.WithMessage(err, "infogan.TraverseCategory")
	}
	l, err := m.latent.Traversal(base, cat, cont, values)
	if err != nil {
		return nil, errors.WithMessage(err, "infogan.TraverseCategory")
	}
	rows := m.latent.Categorical[cat]
	labels := make([]string, rows)
	for r := range rows {
		labels[r] = fmt.Sprintf("cat %d", r)
	}
	return m.traversal(l.Z, rows, values, labels, "infogan.TraverseCategory")
}

// checkBase rejects a base latent of another spec and empty or non-finite values with an error saying what to pass.
func (m *Model) checkBase(base *gan.LatentBatch, values []float64) error {
	if base == nil {
		return errors.New("nil base latent: draw one with m.Latent().Sample(rng, 1)")
	}
	if base.Batch < 1 || len(base.Z) != base.Batch*m.latent.Dim() {
		return errors.Errorf("the base latent is not one of %s's (%d values for %d latents of %d): draw it with m.Latent().Sample",
			m, len(base.Z), base.Batch, m.latent.Dim())
	}
	if len(values) == 0 {
		return errors.New("no traversal values: pass e.g. []float64{-1, -0.5, 0, 0.5, 1}")
	}
	for j, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.Errorf("traversal value %d is %g: values must be finite", j, v)
		}
	}
	return nil
}

// traversal generates the rows×len(values) latents z into a Traversal.
func (m *Model) traversal(z []float32, rows int, values []float64, labels []string, where string) (*Traversal, error) {
	cols := len(values)
	imgs, err := m.Generate(z, rows*cols)
	if err != nil {
		return nil, errors.WithMessage(err, where)
	}
	return &Traversal{Images: imgs, Rows: rows, Cols: cols, Shape: m.ImageShape(), RowLabels: labels,
		Values: append([]float64(nil), values...)}, nil
}
