package notebook

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/gdisent/gdisent/plots"
)

// Notebook names one notebook's run and figure directories, so that every cell — a process of its own — finds
// what earlier cells trained and writes its figures to one place. Declare it once, next to the imports:
//
//	var nb = notebook.New("quickstart")
type Notebook struct{ Name string }

// New returns the notebook named name.
func New(name string) Notebook { return Notebook{Name: name} }

// RunDir is the run directory of one model of the notebook: $GDISENT_RUNS/<notebook>/<run> (runs/… by default).
// Models train into it and Load reads it back. Quick mode uses a separate tree (quick/<notebook>/<run>), so a
// smoke run never resumes — or is refused by — a full run's checkpoints.
func (n Notebook) RunDir(run string) string {
	name := n.Name
	if Quick() {
		name = filepath.Join("quick", n.Name)
	}
	dir, err := RunDir(filepath.Join(name, run))
	Check(err)
	return dir
}

// Show displays a figure inline (as PNG, w×h) and exports it as <fig>.png, .svg and .pdf to the notebook's
// figure directory (OutDir); an error stops the cell like Check.
func (n Notebook) Show(fig string, p *plot.Plot, w, h vg.Length) {
	Check(plots.Display(p, w, h))
	n.export(fig, p, w, h)
}

// export writes a figure as <fig>.png, .svg and .pdf to the notebook's figure directory.
func (n Notebook) export(fig string, p *plot.Plot, w, h vg.Length) {
	dir, err := OutDir(n.Name)
	Check(err)
	for _, ext := range []string{"png", "svg", "pdf"} {
		Check(plots.Save(p, w, h, filepath.Join(dir, fig+"."+ext)))
	}
	if !gonbui.IsNotebook {
		fmt.Fprintf(os.Stderr, "exported %s.{png,svg,pdf} to %s\n", fig, dir)
	}
}
