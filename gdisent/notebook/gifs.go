package notebook

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/gdisent/gdisent/plots"
)

// ShowGIFs animates each row of a grid — one latent of a traversal (plots.TraversalGrid, or a model's
// TraversalGrid) sweeping its values — shows the animations inline side by side, captioned with the row labels,
// and exports them as <fig>_00.gif, <fig>_01.gif, … (one per row) to the notebook's figure directory; an error
// stops the cell like Check.
func (n Notebook) ShowGIFs(fig string, g *plots.ImageGrid, opts plots.GIFOptions) {
	if g == nil {
		Check(fmt.Errorf("notebook.ShowGIFs: nil grid"))
		return
	}
	Check(g.DisplayGIFs(opts))
	dir, err := OutDir(n.Name)
	Check(err)
	paths, err := g.SaveGIFs(filepath.Join(dir, fig+"_%02d.gif"), opts)
	Check(err)
	if !gonbui.IsNotebook {
		fmt.Fprintf(os.Stderr, "exported %d animations %s_NN.gif to %s\n", len(paths), fig, dir)
	}
}
