package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// GIFOptions configures animated traversals ([ImageGrid.RowGIF]).
type GIFOptions struct {
	// Delay is how long each frame is shown; 0 means 250ms. GIF timing has
	// a resolution of 10ms.
	Delay time.Duration
	// PingPong plays the frames forward then backward (without repeating the
	// end frames), so the loop has no jump from the last value to the first.
	PingPong bool
	// Scale enlarges each image pixel to Scale×Scale pixels (nearest
	// neighbour, so pixels stay sharp); 0 picks the smallest factor that
	// makes the shorter image side at least 96 pixels.
	Scale int
}

// Each image pixel of an animation frame becomes Scale×Scale pixels, up to
// this limit.
const maxGIFScale = 16

// RowGIF returns an animation of row r of the grid, one frame per column: for
// a traversal ([TraversalGrid]) it shows one latent code sweeping its values,
// as the animated traversals of disentanglement_lib's visualisations do.
// Grey images keep their exact 256 levels; colour images share one palette
// across all frames (exact when they use at most 256 colours, median-cut
// otherwise, without dithering, which would flicker). Empty cells are skipped.
func (g *ImageGrid) RowGIF(r int, opts GIFOptions) (*gif.GIF, error) {
	if r < 0 || r >= g.Rows {
		return nil, errors.Errorf("plots.RowGIF: row %d out of range, the grid has %d rows", r, g.Rows)
	}
	if opts.Delay < 0 {
		return nil, errors.Errorf("plots.RowGIF: negative frame delay %v", opts.Delay)
	}
	if opts.Scale < 0 || opts.Scale > maxGIFScale {
		return nil, errors.Errorf("plots.RowGIF: Scale must be in [0, %d] (0: automatic), got %d", maxGIFScale, opts.Scale)
	}
	var frames []image.Image
	for c := range g.Cols {
		if img := g.Cell(r, c); img != nil {
			frames = append(frames, img)
		}
	}
	if len(frames) == 0 {
		return nil, errors.Errorf("plots.RowGIF: row %d has no images", r)
	}
	if opts.PingPong && len(frames) > 2 {
		for i := len(frames) - 2; i > 0; i-- {
			frames = append(frames, frames[i])
		}
	}
	scale := opts.Scale
	if scale == 0 {
		scale = min(maxGIFScale, max(1, int(math.Ceil(96/float64(min(g.H, g.W))))))
	}
	delay := opts.Delay
	if delay == 0 {
		delay = 250 * time.Millisecond
	}
	centis := max(1, int(math.Round(delay.Seconds()*100)))

	pal := grayPalette()
	if g.C != 1 {
		pal = framePalette(frames, 256)
	}
	anim := &gif.GIF{LoopCount: 0}
	for _, f := range frames {
		anim.Image = append(anim.Image, toPaletted(upscale(f, scale), pal))
		anim.Delay = append(anim.Delay, centis)
	}
	return anim, nil
}

// GIFs returns [ImageGrid.RowGIF] for every row: one animation per latent
// code of a traversal.
func (g *ImageGrid) GIFs(opts GIFOptions) ([]*gif.GIF, error) {
	anims := make([]*gif.GIF, g.Rows)
	for r := range g.Rows {
		a, err := g.RowGIF(r, opts)
		if err != nil {
			return nil, err
		}
		anims[r] = a
	}
	return anims, nil
}

// SaveGIFs writes one animation per row ([ImageGrid.RowGIF]) to the files
// named by pattern, a path with one integer verb for the row index (e.g.
// "figs/traversal_z%d.gif"), and returns the paths written.
func (g *ImageGrid) SaveGIFs(pattern string, opts GIFOptions) ([]string, error) {
	if strings.Count(pattern, "%") != 1 || fmt.Sprintf(pattern, 0) == fmt.Sprintf(pattern, 1) ||
		strings.Contains(fmt.Sprintf(pattern, 0), "%!") {
		return nil, errors.Errorf("plots.SaveGIFs: pattern %q needs exactly one integer verb for the row, e.g. \"traversal_%%d.gif\"", pattern)
	}
	anims, err := g.GIFs(opts)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(anims))
	for r, a := range anims {
		paths[r] = fmt.Sprintf(pattern, r)
		if err := SaveGIF(a, paths[r]); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// GIFBytes encodes anim as a GIF file.
func GIFBytes(anim *gif.GIF) ([]byte, error) {
	if anim == nil || len(anim.Image) == 0 {
		return nil, errors.New("plots: empty GIF animation")
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		return nil, errors.Wrap(err, "plots: encoding GIF")
	}
	return buf.Bytes(), nil
}

// SaveGIF writes anim to path atomically, like [Save], creating parent
// directories. The extension must be ".gif".
func SaveGIF(anim *gif.GIF, path string) error {
	if !strings.EqualFold(filepath.Ext(path), ".gif") {
		return errors.Errorf("plots.SaveGIF(%q): the file name must end in .gif", path)
	}
	data, err := GIFBytes(anim)
	if err != nil {
		return errors.WithMessagef(err, "plots.SaveGIF(%q)", path)
	}
	if err := writeFileAtomic(path, data); err != nil {
		return errors.WithMessagef(err, "plots.SaveGIF(%q)", path)
	}
	return nil
}

// grayPalette is the 256 grey levels, index i being grey level i.
func grayPalette() color.Palette {
	pal := make(color.Palette, 256)
	for i := range pal {
		pal[i] = color.Gray{Y: uint8(i)}
	}
	return pal
}

// toPaletted maps img to pal: grey images index the grey palette directly,
// colours go to their nearest palette entry.
func toPaletted(img image.Image, pal color.Palette) *image.Paletted {
	b := img.Bounds()
	out := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), pal)
	if gray, ok := img.(*image.Gray); ok && len(pal) == 256 && pal[255] == (color.Gray{Y: 255}) {
		for y := range b.Dy() {
			copy(out.Pix[y*out.Stride:y*out.Stride+b.Dx()], gray.Pix[y*gray.Stride:])
		}
		return out
	}
	cache := map[color.RGBA]uint8{}
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			idx, ok := cache[c]
			if !ok {
				idx = uint8(pal.Index(c))
				cache[c] = idx
			}
			out.Pix[y*out.Stride+x] = idx
		}
	}
	return out
}

// framePalette returns a palette of at most n colours for frames: their
// exact colours when there are few enough, otherwise a median-cut palette
// (Heckbert, "Color image quantization for frame buffer display", 1982)
// computed over the pixels of all frames, so every frame shares it.
func framePalette(frames []image.Image, n int) color.Palette {
	counts := map[color.RGBA]int{}
	for _, f := range frames {
		b := f.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				counts[color.RGBAModel.Convert(f.At(x, y)).(color.RGBA)]++
			}
		}
	}
	cols := make([]weighted, 0, len(counts))
	for c, k := range counts {
		cols = append(cols, weighted{c, k})
	}
	// Deterministic order (map iteration is random).
	slices.SortFunc(cols, func(a, b weighted) int { return cmpRGBA(a.c, b.c) })
	if len(cols) <= n {
		pal := make(color.Palette, len(cols))
		for i, w := range cols {
			pal[i] = w.c
		}
		return pal
	}
	boxes := [][]weighted{cols}
	for len(boxes) < n {
		// Split the box with the widest channel range at its weighted median.
		best, bestCh, bestRange := -1, 0, 0
		for i, bx := range boxes {
			if len(bx) < 2 {
				continue
			}
			for ch := range 3 {
				lo, hi := 255, 0
				for _, w := range bx {
					v := channel(w.c, ch)
					lo, hi = min(lo, v), max(hi, v)
				}
				if hi-lo > bestRange {
					best, bestCh, bestRange = i, ch, hi-lo
				}
			}
		}
		if best < 0 {
			break
		}
		bx := boxes[best]
		slices.SortStableFunc(bx, func(a, b weighted) int { return channel(a.c, bestCh) - channel(b.c, bestCh) })
		total := 0
		for _, w := range bx {
			total += w.n
		}
		cut, acc := 1, 0
		for i, w := range bx[:len(bx)-1] {
			acc += w.n
			cut = i + 1
			if 2*acc >= total {
				break
			}
		}
		boxes[best] = bx[:cut]
		boxes = append(boxes, bx[cut:])
	}
	pal := make(color.Palette, len(boxes))
	for i, bx := range boxes {
		var r, g, b, total float64
		for _, w := range bx {
			k := float64(w.n)
			r, g, b, total = r+k*float64(w.c.R), g+k*float64(w.c.G), b+k*float64(w.c.B), total+k
		}
		pal[i] = color.RGBA{R: uint8(math.Round(r / total)), G: uint8(math.Round(g / total)), B: uint8(math.Round(b / total)), A: 255}
	}
	return pal
}

// weighted is a colour and its pixel count.
type weighted struct {
	c color.RGBA
	n int
}

func channel(c color.RGBA, ch int) int {
	switch ch {
	case 0:
		return int(c.R)
	case 1:
		return int(c.G)
	}
	return int(c.B)
}

func cmpRGBA(a, b color.RGBA) int {
	if d := int(a.R) - int(b.R); d != 0 {
		return d
	}
	if d := int(a.G) - int(b.G); d != 0 {
		return d
	}
	return int(a.B) - int(b.B)
}
