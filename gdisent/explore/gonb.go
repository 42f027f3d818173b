package explore

import (
	"context"
	"errors"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"

	"github.com/gdisent/gdisent/gdisent"
)

// gonbFrontEnd is the frontEnd of a GoNB cell program.
type gonbFrontEnd struct{}

func (gonbFrontEnd) Display(id, html string)    { gonbui.UpdateHTML(id, html) }
func (gonbFrontEnd) Send(address, value string) { comms.Send(address, value) }
func (gonbFrontEnd) Script(js string)           { dom.TransientJavascript(js) }

// Show runs the explorer as a widget in a GoNB notebook cell: the generated image (updated in place as sliders
// move), one slider per latent code, direction or curve, New sample, a menu of real images to encode
// (Options.Images), Export (Explorer.Export) and Done. The cell keeps running, holding the generator in memory,
// until Done is clicked, Options.IdleTimeout passes without an event, or ctx ends; then it leaves the last image
// and a summary in the output. Without a browser (a headless run) it shows the base sample and returns after
// Options.ConnectTimeout.
func (e *Explorer) Show(ctx context.Context) (Stats, error) {
	if !gonbui.IsNotebook {
		return Stats{}, errors.New("explore: Show needs a GoNB notebook cell; outside one use Image, Traversal and Export")
	}
	w := newWidget(e, gonbFrontEnd{}, gonbui.UniqueId())
	events := make(chan Event, 1024)
	sub := comms.Subscribe(w.address(), func(_ string, value string) {
		ev, err := ParseEvent(value)
		if err != nil {
			gonbui.Logf("%v", err)
			return
		}
		ev.at = time.Now()
		select {
		case events <- ev:
		default: // never block GoNB's reader; a full queue means the program is far behind anyway
		}
	})
	defer comms.Unsubscribe(sub)
	stats, err := w.run(ctx, events)
	gonbui.Sync()
	return stats, err
}

// Show is New followed by Explorer.Show with a background context.
func Show(gen gdisent.Generator, opts Options) error {
	e, err := New(gen, opts)
	if err != nil {
		return err
	}
	_, err = e.Show(context.Background())
	return err
}
