package plots

import (
	"encoding/base64"
	"fmt"

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
)

// Display shows p inline in a GoNB notebook, sending PNG and SVG renderings
// in one display_data message so the front-end (or an exporter) can pick the
// best one. Outside a notebook it does nothing and returns nil.
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
	return nil
}

// imgTag embeds PNG data in an <img> shown at the figure's nominal size
// (CSS pixels are 1/96 in), independent of the rendering DPI.
func imgTag(pngData []byte, w, h vg.Length) string {
	return fmt.Sprintf(`<img width="%d" height="%d" src="data:image/png;base64,%s"/>`,
		int(w.Dots(96)+0.5), int(h.Dots(96)+0.5), base64.StdEncoding.EncodeToString(pngData))
}
