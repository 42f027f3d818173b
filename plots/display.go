package plots

import (
	"encoding/base64"
	"fmt"
	"html"
	"image/gif"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Hooks to the notebook, replaced in tests.
var (
	inNotebook = func() bool { return gonbui.IsNotebook }
	sendData   = gonbui.SendData
	updateHTML = gonbui.UpdateHTML
	// flush waits until GoNB has taken what was sent: a cell that exits right after displaying would otherwise
	// lose the figure.
	flush = gonbui.Sync
)

// Display shows p inline in a GoNB notebook, sending PNG and SVG renderings
// in one display_data message so the front-end (or an exporter) can pick the
// best one (JupyterLab shows the SVG, which embeds its font subset). Outside a notebook it does nothing and returns nil.
func Display(p *plot.Plot, w, h vg.Length) error {
	if !inNotebook() {
		return nil
	}
	pngData, err := Bytes(p, w, h, "png")
	if err != nil {
		return errors.WithMessage(err, "plots.Display")
	}
	svgData, err := Bytes(p, w, h, "svg")
	if err != nil {
		return errors.WithMessage(err, "plots.Display")
	}
	// Like gonbui.DisplayPng: raw PNG bytes, base64-encoded by the kernel when
	// the message is serialised to JSON.
	sendData(&protocol.DisplayData{
		Data: map[protocol.MIMEType]any{
			protocol.MIMEImagePNG: pngData,
			protocol.MIMEImageSVG: string(svgData),
		},
	})
	flush()
	return nil
}

// DisplayUpdate shows p in the transient notebook output block id, replacing
// what was shown there before. Use it to refresh one figure in place during
// training (id from gonbui.UniqueID()); transient blocks are not kept in the
// saved notebook, so call [Display] once at the end for a permanent copy.
// Outside a notebook it does nothing and returns nil.
func DisplayUpdate(id string, p *plot.Plot, w, h vg.Length) error {
	if !inNotebook() {
		return nil
	}
	if id == "" {
		return errors.New("plots.DisplayUpdate: empty display id")
	}
	pngData, err := Bytes(p, w, h, "png")
	if err != nil {
		return errors.WithMessage(err, "plots.DisplayUpdate")
	}
	updateHTML(id, imgTag(pngData, w, h))
	flush()
	return nil
}

// imgTag embeds PNG data in an <img> shown at the figure's nominal size
// (CSS pixels are 1/96 in), independent of the rendering DPI.
func imgTag(pngData []byte, w, h vg.Length) string {
	return fmt.Sprintf(`<img width="%d" height="%d" src="data:image/png;base64,%s"/>`,
		int(w.Dots(96)+0.5), int(h.Dots(96)+0.5), base64.StdEncoding.EncodeToString(pngData))
}

// DisplayGIFs shows animations inline in a GoNB notebook, side by side, each
// as an <img> with a data: URI (image/gif) and the matching caption below it
// (captions may be nil; otherwise one per animation). Frames are shown at
// their pixel size. Outside a notebook it does nothing and returns nil.
func DisplayGIFs(anims []*gif.GIF, captions []string) error {
	if !inNotebook() {
		return nil
	}
	page, err := gifsHTML(anims, captions)
	if err != nil {
		return errors.WithMessage(err, "plots.DisplayGIFs")
	}
	sendData(&protocol.DisplayData{Data: map[protocol.MIMEType]any{protocol.MIMETextHTML: page}})
	return nil
}

// DisplayGIFs shows [ImageGrid.GIFs] inline in a GoNB notebook, captioned
// with the row labels (see [DisplayGIFs]).
func (g *ImageGrid) DisplayGIFs(opts GIFOptions) error {
	if !inNotebook() {
		return nil
	}
	anims, err := g.GIFs(opts)
	if err != nil {
		return err
	}
	var captions []string
	if len(g.RowLabels) == len(anims) {
		captions = g.RowLabels
	}
	return DisplayGIFs(anims, captions)
}

// gifsHTML returns the HTML of [DisplayGIFs].
func gifsHTML(anims []*gif.GIF, captions []string) (string, error) {
	if len(anims) == 0 {
		return "", errors.New("no animations")
	}
	if captions != nil && len(captions) != len(anims) {
		return "", errors.Errorf("%d captions for %d animations", len(captions), len(anims))
	}
	var b strings.Builder
	b.WriteString(`<div style="display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start">`)
	for i, a := range anims {
		data, err := GIFBytes(a)
		if err != nil {
			return "", errors.WithMessagef(err, "animation %d", i)
		}
		r := a.Image[0].Bounds()
		fmt.Fprintf(&b, `<figure style="margin:0;text-align:center">`+
			`<img width="%d" height="%d" style="image-rendering:pixelated" src="data:image/gif;base64,%s"/>`,
			r.Dx(), r.Dy(), base64.StdEncoding.EncodeToString(data))
		if captions != nil {
			fmt.Fprintf(&b, `<figcaption style="font-family:sans-serif;font-size:12px">%s</figcaption>`, html.EscapeString(captions[i]))
		}
		b.WriteString(`</figure>`)
	}
	b.WriteString(`</div>`)
	return b.String(), nil
}
