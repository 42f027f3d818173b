package explore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// record is one call the widget made on the front end.
type record struct{ kind, id, value string }

// recorder is a frontEnd that passes every call to a channel.
type recorder struct{ c chan record }

func newRecorder() *recorder                   { return &recorder{c: make(chan record, 1000)} }
func (r *recorder) Display(id, html string)    { r.c <- record{"display", id, html} }
func (r *recorder) Send(address, value string) { r.c <- record{"send", address, value} }
func (r *recorder) Script(js string)           { r.c <- record{"script", "", js} }
func (r *recorder) next(t *testing.T) record {
	t.Helper()
	select {
	case rec := <-r.c:
		return rec
	case <-time.After(10 * time.Second):
		t.Fatal("the widget did not answer within 10s")
	}
	return record{}
}

var srcRe = regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`)

// spot decodes the image in a display record and returns its brightest pixel.
func spot(t *testing.T, rec record) (int, int) {
	t.Helper()
	m := srcRe.FindStringSubmatch(rec.value)
	if m == nil {
		t.Fatalf("display %q has no PNG image: %.200s", rec.id, rec.value)
	}
	data, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	x, y, _, _ := brightest(t, data)
	return x, y
}

func startWidget(t *testing.T, e *Explorer) (*recorder, chan Event, chan Stats) {
	t.Helper()
	fe := newRecorder()
	events := make(chan Event, 100)
	done := make(chan Stats, 1)
	w := newWidget(e, fe, "t1")
	go func() {
		s, err := w.run(context.Background(), events)
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	return fe, events, done
}

func TestWidgetAnswersSliderEvents(t *testing.T) {
	g := &blob{h: 32, w: 32}
	e, err := New(g, Options{Directions: mat.NewDense(3, 1, []float64{0, 1, 0}), ExportDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	_ = e.State().SetBase([]float64{0, 0, 0})
	fe, events, done := startWidget(t, e)

	img := fe.next(t)
	if img.kind != "display" || img.id != "gdisent_explore_image_t1" {
		t.Fatalf("first call %+v, want the image display", img)
	}
	if x, y := spot(t, img); x != 16 || y != 16 {
		t.Fatalf("base image spot at (%d, %d), want (16, 16)", x, y)
	}
	panel := fe.next(t)
	if panel.id != "gdisent_explore_panel_t1" || strings.Count(panel.value, `type="range"`) != 4 ||
		!strings.Contains(panel.value, `data-action="mode"`) {
		t.Fatalf("panel should hold 3 code sliders + 1 direction slider and a mode menu: %s", panel.value)
	}
	if js := fe.next(t); js.kind != "script" || !strings.Contains(js.value, "/gdisent/explore/t1") {
		t.Fatalf("third call %+v, want the wiring script for the widget's address", js)
	}

	events <- Event{Kind: "ready"}
	st := fe.next(t)
	var msg stateMsg
	if st.kind != "send" || st.id != "/gdisent/explore/t1/state" || json.Unmarshal([]byte(st.value), &msg) != nil ||
		msg.Mode != "codes" || len(msg.Sliders) != 3 {
		t.Fatalf("after ready: %+v, want the state of 3 code sliders", st)
	}

	// Moving z0 to 2 moves the spot to x = 16 + 8 = 24.
	events <- Event{Kind: "slider", Mode: "codes", Index: 0, Value: 2, at: time.Now()}
	if x, y := spot(t, fe.next(t)); x != 24 || y != 16 {
		t.Fatalf("after z0 = 2 the spot is at (%d, %d), want (24, 16)", x, y)
	}
	// A late event from another mode's sliders is ignored: the next record answers the mode switch.
	events <- Event{Kind: "slider", Mode: "directions", Index: 0, Value: 1}
	events <- Event{Kind: "mode", Mode: "directions"}
	if x, y := spot(t, fe.next(t)); x != 24 || y != 16 {
		t.Fatalf("switching mode moved the spot to (%d, %d)", x, y)
	}
	if st := fe.next(t); !strings.Contains(st.value, `"mode":"directions"`) {
		t.Fatalf("mode switch should send the new state, sent %+v", st)
	}
	// Direction d0 = e1: α = -2 moves the spot up by 8 pixels.
	events <- Event{Kind: "slider", Mode: "directions", Index: 0, Value: -2, at: time.Now()}
	if x, y := spot(t, fe.next(t)); x != 24 || y != 8 {
		t.Fatalf("after α0 = -2 the spot is at (%d, %d), want (24, 8)", x, y)
	}
	// Problems go to the status line and the widget keeps running.
	events <- Event{Kind: "slider", Mode: "directions", Index: 7, Value: 1}
	if st := fe.next(t); !strings.Contains(st.value, `"error":"explore: slider 7 out of range`) {
		t.Fatalf("bad slider index should be reported, sent %+v", st)
	}
	// The next good event clears the error in the browser.
	events <- Event{Kind: "slider", Mode: "directions", Index: 0, Value: -1, at: time.Now()}
	if x, y := spot(t, fe.next(t)); x != 24 || y != 12 {
		t.Fatalf("after α0 = -1 the spot is at (%d, %d), want (24, 12)", x, y)
	}
	if st := fe.next(t); st.kind != "send" || !strings.Contains(st.value, `"error":""`) {
		t.Fatalf("the error should be cleared after a good event, sent %+v", st)
	}
	events <- Event{Kind: "export"}
	if st := fe.next(t); !strings.Contains(st.value, "exported 6 files") {
		t.Fatalf("export status %+v", st)
	}
	events <- Event{Kind: "done"}
	stats := <-done
	summary := fe.next(t)
	if summary.id != "gdisent_explore_panel_t1" || !strings.Contains(summary.value, "explorer closed") ||
		!strings.Contains(summary.value, "3 slider updates") || !strings.Contains(summary.value, "explorer-image.png") {
		t.Fatalf("summary %+v", summary)
	}
	if stats.Updates != 3 || stats.Max < stats.Median || stats.Median <= 0 {
		t.Fatalf("stats %+v, want 3 timed updates", stats)
	}
}

func TestWidgetCoalescesQueuedEvents(t *testing.T) {
	g := &blob{h: 16, w: 16}
	e, _ := New(g, Options{})
	_ = e.State().SetBase([]float64{0, 0, 0})
	events := make(chan Event, 10)
	now := time.Now()
	events <- Event{Kind: "ready"}
	for _, v := range []float64{0.5, 1, 1.5, 2} {
		events <- Event{Kind: "slider", Mode: "codes", Index: 0, Value: v, at: now}
	}
	events <- Event{Kind: "done"}
	fe := newRecorder()
	stats, err := newWidget(e, fe, "t2").run(context.Background(), events)
	if err != nil {
		t.Fatal(err)
	}
	if g.calls != 2 || stats.Updates != 1 {
		t.Fatalf("4 queued slider events: %d Generate calls and %d updates, want 2 (base + one) and 1", g.calls, stats.Updates)
	}
	var last record
	for len(fe.c) > 0 {
		if rec := <-fe.c; rec.id == "gdisent_explore_image_t2" {
			last = rec
		}
	}
	if x, _ := spot(t, last); x != 12 {
		t.Fatalf("the coalesced image shows z0 = 2 at x = 12, got x = %d", x)
	}
}

func TestWidgetWithoutBrowserShowsTheBaseAndReturns(t *testing.T) {
	g := &blob{h: 16, w: 16}
	e, _ := New(g, Options{ConnectTimeout: 50 * time.Millisecond})
	fe := newRecorder()
	if _, err := newWidget(e, fe, "t3").run(context.Background(), make(chan Event)); err != nil {
		t.Fatal(err)
	}
	var recs []record
	for len(fe.c) > 0 {
		recs = append(recs, <-fe.c)
	}
	if len(recs) != 4 || !srcRe.MatchString(recs[0].value) || !strings.Contains(recs[3].value, "No browser connected") {
		t.Fatalf("headless run made %d calls %+v, want image, panel, script, then the no-browser note", len(recs), recs)
	}
}

func TestParseEvent(t *testing.T) {
	ev, err := ParseEvent(`{"kind":"slider","mode":"codes","index":3,"value":-1.5}`)
	if err != nil || ev.Kind != "slider" || ev.Mode != "codes" || ev.Index != 3 || ev.Value != -1.5 {
		t.Fatalf("ParseEvent: %+v, %v", ev, err)
	}
	if _, err := ParseEvent("{"); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

// TestWidgetScriptIsWired checks the script targets the panel's controls and address (it runs in the browser test).
func TestWidgetScriptIsWired(t *testing.T) {
	e, _ := New(&blob{h: 8, w: 8}, Options{})
	w := newWidget(e, newRecorder(), "abc")
	js := w.script()
	for _, want := range []string{`getElementById("gdisent-explorer-abc")`, `c.send("/gdisent/explore/abc"`,
		`comm.subscribe("/gdisent/explore/abc/state"`} {
		if !strings.Contains(js, want) {
			t.Fatalf("script lacks %s", want)
		}
	}
	if !strings.Contains(w.panelHTML(), `id="gdisent-explorer-abc"`) {
		t.Fatal("panel root id does not match the script's")
	}
}

// flaky is a front end whose browser connects only when the controls are wired a second time.
type flaky struct {
	*recorder
	events  chan Event
	scripts int
}

func (f *flaky) Script(js string) {
	f.recorder.Script(js)
	if f.scripts++; f.scripts == 2 {
		f.events <- Event{Kind: "ready"}
	}
}

func TestWidgetRetriesTheConnection(t *testing.T) {
	e, _ := New(&blob{h: 8, w: 8}, Options{ConnectTimeout: 20 * time.Second})
	events := make(chan Event, 10)
	fe := &flaky{recorder: newRecorder(), events: events}
	w := newWidget(e, fe, "t4")
	w.retry = 10 * time.Millisecond
	done := make(chan error, 1)
	go func() { _, err := w.run(context.Background(), events); done <- err }()
	var kinds []string
	for {
		rec := fe.next(t)
		kinds = append(kinds, rec.kind+" "+rec.id)
		if rec.id == "/gdisent/explore/t4/state" {
			break
		}
	}
	want := []string{"display gdisent_explore_image_t4", "display gdisent_explore_panel_t4", "script ",
		"send /gdisent/explore/t4/probe", "script ", "send /gdisent/explore/t4/state"}
	if strings.Join(kinds, ", ") != strings.Join(want, ", ") {
		t.Fatalf("calls %v, want %v (probe and rewire, then connected)", kinds, want)
	}
	events <- Event{Kind: "done"}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
