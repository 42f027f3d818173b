package explore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"
)

// Event is a message from the widget in the browser (JSON over a GoNB comms address).
type Event struct {
	Kind  string  `json:"kind"`  // ready, slider, select, mode, reseed, image, export, done
	Mode  string  `json:"mode"`  // slider/select: the mode the slider belongs to; mode: the mode to switch to
	Index int     `json:"index"` // slider, select, image
	Value float64 `json:"value"` // slider

	at time.Time // arrival, for latency
}

// ParseEvent decodes an event sent by the widget's script.
func ParseEvent(s string) (Event, error) {
	var ev Event
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		return ev, fmt.Errorf("explore: bad widget event %q: %w", s, err)
	}
	return ev, nil
}

// frontEnd is what the widget needs from GoNB; tests substitute a recorder.
type frontEnd interface {
	// Display shows html in the cell output identified by id, replacing what it showed before.
	Display(id, html string)
	// Send sends a value to the browser's subscribers of address.
	Send(address, value string)
	// Script runs javascript in the browser.
	Script(js string)
}

// Stats are the widget's update timings: from a slider event's arrival in the cell program to the new image being
// handed to Jupyter for display.
type Stats struct {
	Updates        int
	Median, Max    time.Duration
	LastGenerate   time.Duration // Generate + PNG encoding of the last update
	ConnectedAfter time.Duration
}

// widget is one running explorer widget.
type widget struct {
	e       *Explorer
	fe      frontEnd
	uid     string
	status  string
	errMsg  string
	lat     []time.Duration
	genTime time.Duration
	files   []string
	retry   time.Duration // between connection attempts
}

func newWidget(e *Explorer, fe frontEnd, uid string) *widget {
	return &widget{e: e, fe: fe, uid: uid, retry: 3 * time.Second}
}

func (w *widget) imageID() string { return "gdisent_explore_image_" + w.uid }
func (w *widget) panelID() string { return "gdisent_explore_panel_" + w.uid }
func (w *widget) rootID() string  { return "gdisent-explorer-" + w.uid }
func (w *widget) address() string { return "/gdisent/explore/" + w.uid }

// run shows the widget and answers events until done, the idle timeout, ctx's end or, when no "ready" event
// arrives within the connect timeout, at once (static output). It returns the timings.
func (w *widget) run(ctx context.Context, events <-chan Event) (Stats, error) {
	o := w.e.st.Options()
	start := time.Now()
	if err := w.showImage(); err != nil {
		return Stats{}, err
	}
	w.fe.Display(w.panelID(), w.panelHTML())
	w.fe.Script(w.script())

	// GoNB's browser side gives up on a connection that does not answer quickly (a busy machine): until the
	// widget reports ready, probe the connection (GoNB then reinstalls it if needed) and wire the controls again.
	connect := time.NewTimer(o.ConnectTimeout)
	defer connect.Stop()
	retry := time.NewTicker(w.retry)
	defer retry.Stop()
	var stats Stats
wait:
	for {
		select {
		case ev := <-events:
			if ev.Kind == "ready" {
				stats.ConnectedAfter = time.Since(start)
				break wait
			}
		case <-retry.C:
			w.fe.Send(w.address()+"/probe", "1")
			w.fe.Script(w.script())
		case <-connect.C:
			w.fe.Display(w.panelID(), `<div style="font:12px sans-serif;color:#666">No browser connected to the explorer `+
				`(a headless run): this is the base sample. Open the notebook in Jupyter to use the sliders.</div>`)
			return stats, nil
		case <-ctx.Done():
			return stats, nil
		}
	}
	w.sendState()

	var idle <-chan time.Time
	var idleTimer *time.Timer
	if o.IdleTimeout > 0 {
		idleTimer = time.NewTimer(o.IdleTimeout)
		defer idleTimer.Stop()
		idle = idleTimer.C
	}
	reason := "closed"
	for done := false; !done; {
		var batch []Event
		select {
		case ev := <-events:
			batch = append(batch, ev)
		case <-idle:
			reason = fmt.Sprintf("closed after %v without interaction", o.IdleTimeout)
			done = true
			continue
		case <-ctx.Done():
			reason = "stopped"
			done = true
			continue
		}
		// Coalesce what queued up meanwhile: one render answers all of them.
	drain:
		for {
			select {
			case ev := <-events:
				batch = append(batch, ev)
			default:
				break drain
			}
		}
		if idleTimer != nil {
			idleTimer.Reset(o.IdleTimeout)
		}
		hadErr := w.errMsg != ""
		var eff effect
		for _, ev := range batch {
			eff = eff.merge(w.handle(ev))
		}
		if eff.redraw {
			if err := w.showImage(); err != nil {
				w.errMsg = err.Error()
				eff.sync = true
			} else if first := earliest(batch); !first.IsZero() {
				w.lat = append(w.lat, time.Since(first))
			}
		}
		if eff.sync || hadErr && w.errMsg == "" { // also clear an error the browser still shows
			w.sendState()
		}
		done = eff.done
	}
	stats = w.stats(stats)
	w.fe.Display(w.panelID(), w.summaryHTML(reason, stats))
	return stats, nil
}

func earliest(batch []Event) time.Time {
	var t time.Time
	for _, ev := range batch {
		if ev.Kind == "slider" && !ev.at.IsZero() && (t.IsZero() || ev.at.Before(t)) {
			t = ev.at
		}
	}
	return t
}

func (w *widget) stats(s Stats) Stats {
	s.Updates = len(w.lat)
	s.LastGenerate = w.genTime
	if len(w.lat) > 0 {
		l := slices.Clone(w.lat)
		slices.Sort(l)
		s.Median, s.Max = l[len(l)/2], l[len(l)-1]
	}
	return s
}

// effect is what a batch of events requires.
type effect struct{ redraw, sync, done bool }

func (a effect) merge(b effect) effect {
	return effect{a.redraw || b.redraw, a.sync || b.sync, a.done || b.done}
}

// handle applies one event to the state. Problems are shown in the widget's status line, never fatal.
func (w *widget) handle(ev Event) effect {
	st := w.e.st
	fail := func(err error) effect { w.errMsg = err.Error(); return effect{sync: true} }
	w.errMsg = ""
	switch ev.Kind {
	case "slider":
		if ev.Mode != st.Mode().String() {
			return effect{} // a late event from the previous mode's sliders
		}
		if err := st.SetSlider(ev.Index, ev.Value); err != nil {
			return fail(err)
		}
		return effect{redraw: true}
	case "select":
		if ev.Mode != st.Mode().String() {
			return effect{}
		}
		if err := st.Select(ev.Index); err != nil {
			return fail(err)
		}
		return effect{redraw: true, sync: true}
	case "mode":
		m, err := parseMode(ev.Mode)
		if err == nil {
			err = st.SetMode(m)
		}
		if err != nil {
			return fail(err)
		}
		w.status = ""
		return effect{redraw: true, sync: true}
	case "reseed":
		st.Reseed()
		w.status = "new base sample"
		return effect{redraw: true, sync: true}
	case "image":
		if err := w.e.PickImage(ev.Index); err != nil {
			return fail(err)
		}
		w.status = "base: encoded " + w.e.names[ev.Index]
		return effect{redraw: true, sync: true}
	case "export":
		files, err := w.e.Export("")
		if err != nil {
			return fail(err)
		}
		w.files = append(w.files, files...)
		w.status = fmt.Sprintf("exported %d files: %s", len(files), strings.Join(files, ", "))
		return effect{sync: true}
	case "done":
		return effect{done: true}
	case "ready":
		return effect{sync: true} // the page was re-rendered: resend the state
	}
	return fail(fmt.Errorf("explore: unknown widget event %q", ev.Kind))
}

func parseMode(s string) (Mode, error) {
	for _, m := range []Mode{ModeCodes, ModeDirections, ModeCurved} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("explore: unknown mode %q", s)
}

// showImage renders the current latent and displays it in place.
func (w *widget) showImage() error {
	t0 := time.Now()
	img, err := w.e.Image()
	if err != nil {
		return err
	}
	data, err := w.e.PNG(img)
	if err != nil {
		return err
	}
	w.genTime = time.Since(t0)
	w.fe.Display(w.imageID(), w.imageHTML(data))
	return nil
}

func (w *widget) imageHTML(png []byte) string {
	o := w.e.st.Options()
	sh := w.e.shape
	height := o.Width * sh[0] / sh[1]
	return fmt.Sprintf(`<div class="gdisent-explorer-view" data-explorer=%q>`+
		`<img data-explorer-image=%q width="%d" height="%d" style="image-rendering:pixelated;border:1px solid #ccc" `+
		`alt="generated image" src="data:image/png;base64,%s"/>`+
		`<div style="font:12px monospace;color:#444">%s · generated in %.1f ms</div></div>`,
		w.uid, w.uid, o.Width, height, base64.StdEncoding.EncodeToString(png),
		html.EscapeString(w.e.Caption()), float64(w.genTime.Microseconds())/1000)
}

// panelHTML is the controls: a mode menu (when there is a choice), one group of sliders per mode (only the
// current one visible), the base-sample buttons and menu, export and done.
func (w *widget) panelHTML() string {
	st := w.e.st
	o := st.Options()
	var b strings.Builder
	fmt.Fprintf(&b, `<div id=%q class="gdisent-explorer" style="font:13px sans-serif">`, w.rootID())
	if modes := st.Modes(); len(modes) > 1 {
		b.WriteString(`<div>sliders move: <select data-action="mode">`)
		for _, m := range modes {
			sel := ""
			if m == st.Mode() {
				sel = " selected"
			}
			fmt.Fprintf(&b, `<option value=%q%s>%s</option>`, m.String(), sel, modeTitle(m))
		}
		b.WriteString(`</select></div>`)
	}
	for _, m := range st.Modes() {
		hidden := ""
		if m != st.Mode() {
			hidden = ` style="display:none"`
		}
		fmt.Fprintf(&b, `<table data-group=%q%s>`, m.String(), hidden)
		for i, label := range w.labels(m) {
			fmt.Fprintf(&b, `<tr><td data-label="%d" style="cursor:pointer;padding-right:6px" title="select for export">%s</td>`+
				`<td><input type="range" data-mode=%q data-index="%d" min="%g" max="%g" step="%g" value="0" style="width:240px"/></td>`+
				`<td data-value="%d" style="font-family:monospace"></td></tr>`,
				i, html.EscapeString(label), m.String(), i, -o.Range, o.Range, o.Step, i)
		}
		b.WriteString(`</table>`)
	}
	b.WriteString(`<div style="margin-top:4px"><button data-action="reseed">New sample</button> `)
	if len(w.e.names) > 0 {
		b.WriteString(`<select data-action="image"><option value="-1">encode a real image…</option>`)
		for i, n := range w.e.names {
			fmt.Fprintf(&b, `<option value="%d">%s</option>`, i, html.EscapeString(n))
		}
		b.WriteString(`</select> `)
	}
	b.WriteString(`<button data-action="export">Export</button> <button data-action="done">Done</button></div>`)
	b.WriteString(`<div data-status style="font:12px monospace;color:#444;margin-top:4px">connecting…</div></div>`)
	return b.String()
}

func modeTitle(m Mode) string {
	switch m {
	case ModeDirections:
		return "directions"
	case ModeCurved:
		return "curved path"
	}
	return "latent codes"
}

// labels are mode m's slider labels.
func (w *widget) labels(m Mode) []string {
	o := w.e.st.Options()
	switch m {
	case ModeDirections:
		return o.DirectionNames
	case ModeCurved:
		return []string{o.CurveName}
	}
	return o.CodeNames
}

// stateMsg is what the browser needs to show the state: the current mode's sliders, the selected one, a status.
type stateMsg struct {
	Mode    string       `json:"mode"`
	Sel     int          `json:"sel"`
	Sliders [][3]float64 `json:"sliders"` // min, max, value
	Status  string       `json:"status"`
	Error   string       `json:"error"`
}

func (w *widget) sendState() {
	st := w.e.st
	m := stateMsg{Mode: st.Mode().String(), Sel: st.Selected(), Status: w.status, Error: w.errMsg}
	for _, s := range st.Sliders() {
		m.Sliders = append(m.Sliders, [3]float64{s.Min, s.Max, s.Value})
	}
	if m.Status == "" && m.Error == "" {
		m.Status = "ready: " + w.e.Caption()
	}
	data, _ := json.Marshal(m) // plain data: cannot fail
	w.fe.Send(w.address()+"/state", string(data))
}

func (w *widget) summaryHTML(reason string, s Stats) string {
	z, _ := w.e.st.Latent()
	vals := make([]string, len(z))
	for i, v := range z {
		vals[i] = fmt.Sprintf("%.2f", v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="gdisent-explorer-closed" style="font:12px monospace;color:#444">explorer %s · %s · z = [%s]`,
		html.EscapeString(reason), html.EscapeString(w.e.Caption()), strings.Join(vals, " "))
	if s.Updates > 0 {
		fmt.Fprintf(&b, `<br/>%d slider updates, event → image sent: median %.0f ms, max %.0f ms`, s.Updates,
			float64(s.Median.Microseconds())/1000, float64(s.Max.Microseconds())/1000)
	}
	if len(w.files) > 0 {
		fmt.Fprintf(&b, `<br/>exported: %s`, html.EscapeString(strings.Join(w.files, ", ")))
	}
	b.WriteString(`</div>`)
	return b.String()
}

// script wires the panel's controls to the cell program through gonb_comm (GoNB's browser-side comms object):
// every control sends a JSON event to the widget's address; state messages update the sliders.
func (w *widget) script() string {
	return strings.NewReplacer("ROOT_ID", w.rootID(), "ADDRESS", w.address()).Replace(widgetJS)
}

const widgetJS = `(() => {
  const root = document.getElementById("ROOT_ID");
  if (!root) return;
  // The controls look gonb_comm up at each event: GoNB replaces it when it reconnects.
  const send = (ev) => { const c = globalThis.gonb_comm; if (c) c.send("ADDRESS", JSON.stringify(ev)); };
  if (!root.__gdx) {
    const g = root.__gdx = {mode: "", comm: null};
    const fmt = (v) => (Math.abs(v) < 5e-3 ? 0 : v).toFixed(2);
    root.querySelectorAll('input[type="range"]').forEach((el) => {
      const h = () => {
        const c = el.closest("tr").querySelector("[data-value]"); if (c) c.textContent = fmt(parseFloat(el.value));
        send({kind: "slider", mode: el.dataset.mode, index: parseInt(el.dataset.index), value: parseFloat(el.value)});
      };
      el.addEventListener("input", h);
      el.addEventListener("change", h);
    });
    root.querySelectorAll("[data-label]").forEach((el) => el.addEventListener("click", () =>
      send({kind: "select", mode: g.mode, index: parseInt(el.dataset.label)})));
    root.querySelectorAll("button[data-action]").forEach((el) => el.addEventListener("click", () => send({kind: el.dataset.action})));
    const modeSel = root.querySelector('select[data-action="mode"]');
    if (modeSel) modeSel.addEventListener("change", () => send({kind: "mode", mode: modeSel.value}));
    const imgSel = root.querySelector('select[data-action="image"]');
    if (imgSel) imgSel.addEventListener("change", () => { const i = parseInt(imgSel.value); if (i >= 0) send({kind: "image", index: i}); });
    g.onState = (address, value) => {
      const s = JSON.parse(value);
      g.mode = s.mode;
      if (modeSel) modeSel.value = s.mode;
      root.querySelectorAll("table[data-group]").forEach((t) => {
        const on = t.dataset.group === s.mode;
        t.style.display = on ? "" : "none";
        if (!on) return;
        t.querySelectorAll('input[type="range"]').forEach((el) => {
          const i = parseInt(el.dataset.index), v = s.sliders[i];
          if (!v) return;
          el.min = v[0]; el.max = v[1]; el.value = v[2];
          const c = el.closest("tr").querySelector("[data-value]"); if (c) c.textContent = fmt(v[2]);
        });
        t.querySelectorAll("[data-label]").forEach((el) => el.style.fontWeight = parseInt(el.dataset.label) === s.sel ? "bold" : "");
      });
      const st = root.querySelector("[data-status]");
      st.textContent = s.error ? "error: " + s.error : s.status;
      st.style.color = s.error ? "#b00" : "#444";
      root.dataset.ready = "1";
    };
  }
  const g = root.__gdx, comm = globalThis.gonb_comm;
  if (!comm) { console.error("gdisent explorer: GoNB comms not connected yet, the sliders wait for it"); return; }
  if (g.comm !== comm) { g.comm = comm; comm.subscribe("ADDRESS/state", g.onState); }
  send({kind: "ready"});
})();`
