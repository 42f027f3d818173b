package notebook

import (
	"encoding/base64"
	"fmt"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/gdisent/gdisent/plots"
)

// ShowPNG is Show for heavy figures, such as scatter plots of thousands of points: the notebook gets the PNG only
// (an inline SVG would hold every point, megabytes in the saved notebook), shown at the figure's nominal size; the
// exported files are still <fig>.png, .svg and .pdf. An error stops the cell like Check.
func (n Notebook) ShowPNG(fig string, p *plot.Plot, w, h vg.Length) {
	if gonbui.IsNotebook {
		tag, err := pngTag(p, w, h)
		Check(err)
		gonbui.DisplayHTML(tag)
	}
	n.export(fig, p, w, h)
}

// pngTag is ShowPNG's display: an <img> holding the PNG rendering, sized in CSS pixels (1/96 in) so that it shows
// at the figure's nominal size whatever the rendering resolution.
func pngTag(p *plot.Plot, w, h vg.Length) (string, error) {
	png, err := plots.Bytes(p, w, h, "png")
	if err != nil {
		return "", errors.WithMessage(err, "notebook.ShowPNG")
	}
	return fmt.Sprintf(`<img width="%d" height="%d" src="data:image/png;base64,%s"/>`,
		int(w.Dots(96)+0.5), int(h.Dots(96)+0.5), base64.StdEncoding.EncodeToString(png)), nil
}
