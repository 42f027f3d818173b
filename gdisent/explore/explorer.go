package explore

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/notebook"
	"github.com/gdisent/gdisent/plots"
)

// Explorer drives a generator from a State: it renders the current latent, answers widget events and exports
// figures. It keeps the generator (and whatever compiled graph it holds) for its whole life, so an event costs
// one Generate call. Not safe for concurrent use.
type Explorer struct {
	gen   gdisent.Generator
	enc   gdisent.Encoder
	st    *State
	shape [3]int
	names []string // one per Options.Images
}

// New checks gen and opts and returns an explorer at a first base sample. The encoder used for Options.Images is
// gen itself when it implements gdisent.Encoder; use NewWithEncoder to give another.
func New(gen gdisent.Generator, opts Options) (*Explorer, error) {
	var enc gdisent.Encoder
	if e, ok := gen.(gdisent.Encoder); ok {
		enc = e
	}
	return NewWithEncoder(gen, enc, opts)
}

// NewWithEncoder is New with an explicit encoder for Options.Images (nil: none, images cannot be picked).
func NewWithEncoder(gen gdisent.Generator, enc gdisent.Encoder, opts Options) (*Explorer, error) {
	if gen == nil {
		return nil, errors.New("explore: nil generator")
	}
	shape := gen.ImageShape()
	if shape[0] <= 0 || shape[1] <= 0 || (shape[2] != 1 && shape[2] != 3) {
		return nil, fmt.Errorf("explore: generator image shape %v: want H, W > 0 and 1 (gray) or 3 (RGB) channels", shape)
	}
	st, err := NewState(gen.LatentDim(), opts)
	if err != nil {
		return nil, err
	}
	o := st.Options()
	size := shape[0] * shape[1] * shape[2]
	var names []string
	if len(o.Images) > 0 {
		if len(o.Images)%size != 0 {
			return nil, fmt.Errorf("explore: Options.Images has %d values, not a whole number of %v images", len(o.Images), shape)
		}
		if enc == nil {
			return nil, errors.New("explore: Options.Images needs an encoder: the generator does not implement gdisent.Encoder, pass one with NewWithEncoder")
		}
		n := len(o.Images) / size
		names = o.ImageNames
		if names == nil {
			for i := range n {
				names = append(names, fmt.Sprintf("image %d", i))
			}
		} else if len(names) != n {
			return nil, fmt.Errorf("explore: %d ImageNames for %d images", len(names), n)
		}
	}
	return &Explorer{gen: gen, enc: enc, st: st, shape: shape, names: names}, nil
}

// State is the explorer's state (sliders, base, mode); changing it changes the next Image.
func (e *Explorer) State() *State { return e.st }

// Shape is the generator's image shape.
func (e *Explorer) Shape() [3]int { return e.shape }

// NumImages is the number of real images that can be picked as a base.
func (e *Explorer) NumImages() int { return len(e.names) }

// generate runs the generator on latents (float64 → float32) and checks its output size.
func (e *Explorer) generate(zs [][]float64) ([]float32, error) {
	d := e.st.Dim()
	z := make([]float32, 0, len(zs)*d)
	for _, v := range zs {
		for _, x := range v {
			z = append(z, float32(x))
		}
	}
	out, err := e.gen.Generate(z, len(zs))
	if err != nil {
		return nil, fmt.Errorf("explore: generating %d image(s): %w", len(zs), err)
	}
	if want := len(zs) * e.shape[0] * e.shape[1] * e.shape[2]; len(out) != want {
		return nil, fmt.Errorf("explore: the generator returned %d values for %d image(s) of %v, want %d", len(out), len(zs), e.shape, want)
	}
	return out, nil
}

// Image generates the image of the current latent ([H, W, C], values in [0, 1]).
func (e *Explorer) Image() ([]float32, error) {
	z, err := e.st.Latent()
	if err != nil {
		return nil, err
	}
	img, err := e.generate([][]float64{z})
	if err != nil {
		return nil, err
	}
	return img, nil
}

// PNG encodes an [H, W, C] image of the generator's shape as PNG at its own resolution.
func (e *Explorer) PNG(img []float32) ([]byte, error) {
	h, w, c := e.shape[0], e.shape[1], e.shape[2]
	g, err := plots.NewImageGrid(img, 1, h, w, c, 1)
	if err != nil {
		return nil, fmt.Errorf("explore: %w", err)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, g.Cell(0, 0)); err != nil {
		return nil, fmt.Errorf("explore: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// PickImage encodes real image i (of Options.Images) and makes its code the base.
func (e *Explorer) PickImage(i int) error {
	if i < 0 || i >= len(e.names) {
		return fmt.Errorf("explore: image %d out of range: %d images to pick from", i, len(e.names))
	}
	size := e.shape[0] * e.shape[1] * e.shape[2]
	code, err := e.enc.Encode(e.st.Options().Images[i*size:(i+1)*size], 1)
	if err != nil {
		return fmt.Errorf("explore: encoding %s: %w", e.names[i], err)
	}
	if len(code) != e.st.Dim() {
		return fmt.Errorf("explore: the encoder returned %d values for %s, the generator's latent has %d", len(code), e.names[i], e.st.Dim())
	}
	z := make([]float64, len(code))
	for j, v := range code {
		z[j] = float64(v)
	}
	return e.st.SetBase(z)
}

// Traversal generates the traversal of slider i of the current mode (Options.TraversalValues images, row-major
// [n, H, W, C]) and returns it with its slider values.
func (e *Explorer) Traversal(i int) (images []float32, values []float64, err error) {
	zs, values, err := e.st.Traversal(i, e.st.Options().TraversalValues)
	if err != nil {
		return nil, nil, err
	}
	images, err = e.generate(zs)
	return images, values, err
}

// Export writes the current image and the traversal of the selected slider as PNG, SVG and PDF (plots.Save)
// into dir (empty: Options.ExportDir, else notebook.OutDir("explorer")) and returns the files written.
func (e *Explorer) Export(dir string) ([]string, error) {
	o := e.st.Options()
	if dir == "" {
		dir = o.ExportDir
	}
	if dir == "" {
		var err error
		if dir, err = notebook.OutDir("explorer"); err != nil {
			return nil, fmt.Errorf("explore: export: %w", err)
		}
	}
	h, w, c := e.shape[0], e.shape[1], e.shape[2]
	img, err := e.Image()
	if err != nil {
		return nil, err
	}
	sel := e.st.Selected()
	label := e.st.Sliders()[sel].Label
	cur, err := plots.NewImageGrid(img, 1, h, w, c, 1)
	if err != nil {
		return nil, fmt.Errorf("explore: export: %w", err)
	}
	curPlot := plots.GridPlot(cur, e.Caption())
	trav, values, err := e.Traversal(sel)
	if err != nil {
		return nil, err
	}
	tg, err := plots.TraversalGrid(trav, 1, len(values), h, w, c, []string{label}, values)
	if err != nil {
		return nil, fmt.Errorf("explore: export: %w", err)
	}
	travPlot := plots.GridPlot(tg, fmt.Sprintf("%s traversal of %s", e.st.Mode(), label))
	var files []string
	cw, ch := cur.FigSize(curPlot, 2.5*vg.Inch)
	tw, th := tg.FigSize(travPlot, 1*vg.Inch)
	for _, f := range []struct {
		base string
		p    *plot.Plot
		w, h vg.Length
	}{{o.Name + "-image", curPlot, cw, ch}, {o.Name + "-traversal-" + fileSafe(label), travPlot, tw, th}} {
		for _, ext := range []string{"png", "svg", "pdf"} {
			path := filepath.Join(dir, f.base+"."+ext)
			if err := plots.Save(f.p, f.w, f.h, path); err != nil {
				return files, fmt.Errorf("explore: export: %w", err)
			}
			files = append(files, path)
		}
	}
	return files, nil
}

// Caption describes the current image: mode, selected slider and its value.
func (e *Explorer) Caption() string {
	sl := e.st.Sliders()[e.st.Selected()]
	return fmt.Sprintf("%s mode, %s = %s", e.st.Mode(), sl.Label, fmtValue(sl.Value))
}

func fmtValue(v float64) string {
	if math.Abs(v) < 5e-3 {
		v = 0
	}
	return fmt.Sprintf("%.2f", v)
}

// fileSafe keeps letters, digits, '-' and '_' of s (others become '_').
func fileSafe(s string) string {
	b := []rune(s)
	for i, r := range b {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b[i] = '_'
		}
	}
	out := strings.Trim(string(b), "_")
	if out == "" {
		return "slider"
	}
	return out
}
