package reproduce

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/infogan"
	"github.com/gdisent/gdisent/gdisent/selection"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/plots"
)

// saveFigure writes a figure as PNG, SVG and PDF.
func saveFigure(p *plot.Plot, w, h vg.Length, dir, name string) error {
	for _, ext := range []string{"png", "svg", "pdf"} {
		if err := plots.Save(p, w, h, filepath.Join(dir, name+"."+ext)); err != nil {
			return err
		}
	}
	return nil
}

// firstSeedPerGroup returns, for each sweep and distinct value of the grid parameter key, the finished run with the
// lowest seed, ordered by sweep and value.
func firstSeedPerGroup(runs []RunResult, key string) []RunResult {
	best := map[string]RunResult{}
	for _, r := range runs {
		k := r.Sweep + "\x00" + fmt.Sprint(r.Params[key])
		if b, ok := best[k]; !ok || r.Seed < b.Seed {
			best[k] = r
		}
	}
	out := make([]RunResult, 0, len(best))
	for _, r := range best {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sweep != out[j].Sweep {
			return out[i].Sweep < out[j].Sweep
		}
		a, _ := toFloat(out[i].Params[key])
		b, _ := toFloat(out[j].Params[key])
		return a < b
	})
	return out
}

// ringFigures draws, for the first seed of each K, 2,500 generated points over the real ring, side by side with
// matched axes (Metz et al. 2017, Fig. 2's last column).
func ringFigures(runs []RunResult, load func(RunResult) (training.Model, error), dir string) error {
	ring := data.NewRing()
	real, _, err := ring.SampleSeed(7, 2500)
	if err != nil {
		return err
	}
	var panels []*plot.Plot
	steps := 0
	for _, r := range firstSeedPerGroup(runs, "UnrollSteps") {
		steps = r.Steps
		g, err := loadRingGAN(load, r)
		if err != nil {
			return err
		}
		pts, err := ringSamples(g)
		if err != nil {
			return err
		}
		title := fmt.Sprintf("%sK = %v (seed %d): %v of 8 modes", ringSweepLabel[r.Sweep], r.Params["UnrollSteps"], r.Seed, r.Scores["modes_covered"])
		p, err := ringPanel(title, real, pts)
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return nil
	}
	if err := plots.ShareAxes(panels...); err != nil {
		return err
	}
	cols := min(len(panels), 4)
	rows := (len(panels) + cols - 1) / cols
	fig, err := plots.Panels(fmt.Sprintf("Unrolled GAN on the ring after %d steps", steps), cols, panels...)
	if err != nil {
		return err
	}
	if err := saveFigure(fig, vg.Length(cols)*3.5*vg.Inch, vg.Length(rows)*3.6*vg.Inch+0.3*vg.Inch, dir, "ring"); err != nil {
		return err
	}
	return ringTrajectory(runs, load, real, dir)
}

// loadRingGAN loads a finished ring run's GAN.
func loadRingGAN(load func(RunResult) (training.Model, error), r RunResult) (*infogan.Model, error) {
	m, err := load(r)
	if err != nil {
		return nil, err
	}
	return asRingGAN(m)
}

// ringSweepLabel prefixes the ring figure's panel titles with what sets a sweep apart.
var ringSweepLabel = map[string]string{ringPaper: "paper nets, ", ringOrthogonal: "orthogonal init, ",
	ringSimultaneous: "simultaneous, "}

// ringPanel draws generated points over the real ring: real first, so the generated ones are on top.
func ringPanel(title string, real, pts []float32) (*plot.Plot, error) {
	return plots.Scatter2D(title,
		plots.Series{Name: "real", X: column(real, 0), Y: column(real, 1)},
		plots.Series{Name: "generated", X: column(pts, 0), Y: column(pts, 1)})
}

// ringTrajectory is Metz et al.'s Fig. 2 itself: for the first seed of each K of the paper-network sweep (which
// keeps every checkpoint), the generator's samples at each checkpoint, one row per K.
func ringTrajectory(runs []RunResult, load func(RunResult) (training.Model, error), real []float32, dir string) error {
	var grid [][]*plot.Plot
	var drawn []*plot.Plot
	cols := 0
	for _, r := range firstSeedPerGroup(runs, "UnrollSteps") {
		if r.Sweep != ringPaper {
			continue
		}
		g, err := loadRingGAN(load, r)
		if err != nil {
			return err
		}
		paths, err := training.ListCheckpoints(g.Config().CheckpointDir)
		if err != nil {
			return err
		}
		var row []*plot.Plot
		for _, path := range paths {
			c, err := training.LoadCheckpoint(path)
			if err != nil {
				return err
			}
			if err := c.Apply(g.Context()); err != nil {
				return err
			}
			pts, err := ringSamples(g)
			if err != nil {
				return err
			}
			p, err := ringPanel(fmt.Sprintf("K = %v, step %d", r.Params["UnrollSteps"], c.Step), real, pts)
			if err != nil {
				return err
			}
			row = append(row, p)
		}
		grid = append(grid, row)
		drawn = append(drawn, row...)
		cols = max(cols, len(row))
	}
	if cols == 0 {
		return nil
	}
	var panels []*plot.Plot
	for _, row := range grid {
		for i := range cols {
			var p *plot.Plot
			if i < len(row) {
				p = row[i]
			}
			panels = append(panels, p)
		}
	}
	if err := plots.ShareAxes(drawn...); err != nil {
		return err
	}
	fig, err := plots.Panels("Paper networks on the ring over training (first seed)", cols, panels...)
	if err != nil {
		return err
	}
	return saveFigure(fig, vg.Length(cols)*3.2*vg.Inch, vg.Length(len(grid))*3.3*vg.Inch+0.3*vg.Inch, dir, "ring-trajectory")
}

// column extracts coordinate c of flat 2D points.
func column(pts []float32, c int) []float64 {
	out := make([]float64, len(pts)/2)
	for i := range out {
		out[i] = float64(pts[2*i+c])
	}
	return out
}

// samplesFigure draws, for the lowest seed of each sweep, ten samples from the model's prior (the same draws for
// every sweep), one row per sweep, into samples.png/svg/pdf: does the model draw clean images at this scale? Runs
// whose checkpoints are not on this machine are left out (the figure of an earlier machine stays).
func samplesFigure(runs []RunResult, load func(RunResult) (training.Model, error), dir string) error {
	const n = 10
	var images []float32
	var labels []string
	var shape [3]int
	steps := runs[0].Steps
	for _, r := range runs {
		if r.Steps != steps {
			steps = 0 // runs of different lengths: each label says its own
		}
	}
	for _, r := range firstSeedPerGroup(runs, "") {
		m, err := load(r)
		if err != nil {
			continue
		}
		s := m.ImageShape()
		if len(images) > 0 && s != shape {
			return errors.Errorf("samples figure: sweep %s draws %v images, another %v", r.Sweep, s, shape)
		}
		shape = s
		z := priorSample(m, rand.New(rand.NewPCG(2020, 10)), n)
		x, err := m.Generate(z, n)
		if err != nil {
			return errors.WithMessagef(err, "samples figure: %s", r.Sweep)
		}
		images = append(images, x...)
		label := fmt.Sprintf("%s (seed %d)", r.Sweep, r.Seed)
		if steps == 0 {
			label = fmt.Sprintf("%s (seed %d, %d steps)", r.Sweep, r.Seed, r.Steps)
		}
		labels = append(labels, label)
	}
	if len(labels) == 0 {
		return nil
	}
	g, err := plots.TraversalGrid(images, len(labels), n, shape[0], shape[1], shape[2], labels, nil)
	if err != nil {
		return err
	}
	title := "Samples from the prior"
	if steps > 0 {
		title += fmt.Sprintf(" after %d steps", steps)
	}
	p := plots.GridPlot(g, title)
	return saveFigure(p, 8*vg.Inch, vg.Length(len(labels))*0.8*vg.Inch+0.6*vg.Inch, dir, "samples")
}

// priorSample draws n latent vectors from m's prior: through LatentQuantile where the model has one
// (selection.PriorModel: InfoGAN's uniform codes), else standard normal.
func priorSample(m training.Model, rng *rand.Rand, n int) []float32 {
	L := m.LatentDim()
	z := make([]float32, n*L)
	pm, ok := m.(selection.PriorModel)
	for i := range z {
		if ok {
			z[i] = float32(pm.LatentQuantile(i%L, rng.Float64()))
		} else {
			z[i] = float32(rng.NormFloat64())
		}
	}
	return z
}
