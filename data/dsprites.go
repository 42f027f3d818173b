package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// dSprites factor indices, in the order of [DSprites.FactorSizes] (the original's colour factor, of size 1, is
// dropped as in disentanglement_lib's dsprites_full).
const (
	FactorShape = iota
	FactorScale
	FactorOrientation
	FactorPosX
	FactorPosY
)

// dSprites shapes (class indices of FactorShape; the original's latent values are these plus one).
const (
	ShapeSquare = iota
	ShapeEllipse
	ShapeHeart
)

// dSprites grid and image geometry.
const (
	DSpritesLen  = 737280 // 3·6·40·32·32
	DSpritesSize = 64     // images are DSpritesSize×DSpritesSize×1
)

var (
	dspritesSizes = []int{3, 6, 40, 32, 32}
	dspritesNames = []string{"shape", "scale", "orientation", "posX", "posY"}
	dspritesBases = Bases(dspritesSizes) // [245760 40960 1024 32 1]
	dspritesGrid  = [][]float64{
		{1, 2, 3},
		Linspace(0.5, 1, 6),
		Linspace(0, 2*math.Pi, 40),
		Linspace(0, 1, 32),
		Linspace(0, 1, 32),
	}
)

// Rasterisation geometry, in pixels, for scale 1 (sizes are proportional to the scale value).
const (
	squareHalfSide = 10.0 // 20 px square, area 400 px²
	ellipseSemiA   = 14.0 // 28×14 px ellipse, major axis horizontal at orientation 0
	ellipseSemiB   = 7.0
	heartRadius    = 14.0 // circumradius of the heart about its bounding-box centre
	// The heart is the implicit curve (x²+y²−1)³ − x²y³ = 0: x ∈ ±1.139, y ∈ [−1, 1.2365], bounding-box
	// centre (0, 0.1182), circumradius 1.3366 about it.
	heartCenterY = 0.11825
	heartUnitR   = 1.33664
	// Sprite centres: posX, posY class i puts the centre at continuous coordinate posOrigin + i (pixel j covers
	// [j, j+1)), i.e. 16 … 47, one pixel per step, on pixel corners so that unrotated squares have clean edges.
	// The largest sprite (square at scale 1 rotated 45°, radius 14.14) stays ≥ 1.8 px inside the frame.
	posOrigin = 16
	// Supersampling: a pixel is on when at least half of its ssN×ssN subsamples fall inside the shape.
	ssN      = 4
	maskHalf = 16 // masks cover offsets [−maskHalf, maskHalf] from the centre pixel
)

// Linspace returns n evenly spaced values from start to stop inclusive, like numpy.linspace (the last value is
// exactly stop).
//
// A non-positive n gives an empty slice.
func Linspace(start, stop float64, n int) []float64 {
	if n <= 0 {
		return []float64{}
	}
	out := make([]float64, n)
	if n == 1 {
		out[0] = start
		return out
	}
	step := (stop - start) / float64(n-1)
	for i := range out {
		out[i] = start + float64(i)*step
	}
	out[n-1] = stop
	return out
}

// DSprites is the dSprites dataset (Matthey et al. 2017) rendered procedurally: 737,280 binary 64×64 images, one
// per combination of shape (square, ellipse, heart), scale (linspace(0.5, 1, 6)), orientation
// (linspace(0, 2π, 40)), posX and posY (linspace(0, 1, 32)), enumerated row-major with posY fastest, so an index
// here is the index of the same factor combination in the original archive.
//
// Rasterisation (the original's LOVE-rendered pixels are not reproduced exactly):
//   - Square: side 20·scale px. Ellipse: semi-axes 14·scale and 7·scale px, major axis horizontal at orientation
//     0. Heart: the implicit curve (x²+y²−1)³ = x²y³, lobes up and tip down at orientation 0, scaled to
//     circumradius 14·scale px about its bounding-box centre (about 24×23 px at scale 1). The square and heart
//     have the same area; all shapes are centred on their bounding box.
//   - Orientation rotates counter-clockwise as seen on screen; angle 2π renders exactly as 0. As in the original,
//     the square's 90° and the ellipse's 180° symmetries make some orientations render alike.
//   - posX moves the sprite right and posY moves it down, one pixel per class; centres run from 16 to 47 px in
//     continuous coordinates (on pixel corners), so every sprite stays inside the frame with at least 1 px to
//     spare, and an unrotated square covers exactly (20·scale)² pixels.
//   - A pixel is 1 when at least 8 of its 4×4 subsamples are inside the shape, else 0.
//
// Each (shape, scale, orientation) mask is computed once on first use (720 masks in all, under 1 MB); rendering
// an image then clears it and sets the mask's pixels. It never builds the 3 GB array. Safe for concurrent use.
type DSprites struct{}

// NewDSprites returns the dSprites dataset.
func NewDSprites() *DSprites { return &DSprites{} }

// NumFactors is 5: shape, scale, orientation, posX, posY.
func (*DSprites) NumFactors() int { return len(dspritesSizes) }

// FactorSizes is [3 6 40 32 32].
func (*DSprites) FactorSizes() []int { return append([]int(nil), dspritesSizes...) }

// FactorNames is [shape scale orientation posX posY].
func (*DSprites) FactorNames() []string { return append([]string(nil), dspritesNames...) }

// ImageShape is [64 64 1].
func (*DSprites) ImageShape() [3]int { return [3]int{DSpritesSize, DSpritesSize, 1} }

// Len is 737,280.
func (*DSprites) Len() int { return DSpritesLen }

// Bases are the strides of the enumeration, [245760 40960 1024 32 1].
func (*DSprites) Bases() []int { return append([]int(nil), dspritesBases...) }

// FactorGrid returns the values of factor k's classes, as in the original's latents_values (shape values are
// 1, 2, 3).
func (*DSprites) FactorGrid(k int) []float64 { return append([]float64(nil), dspritesGrid[k]...) }

// Values returns the factor values of a class vector (shape 1–3, scale, orientation in radians, posX, posY).
func (d *DSprites) Values(classes []int) ([]float64, error) {
	if _, err := Index(dspritesSizes, classes); err != nil {
		return nil, fmt.Errorf("dsprites values: %w", err)
	}
	v := make([]float64, len(classes))
	for k, c := range classes {
		v[k] = dspritesGrid[k][c]
	}
	return v, nil
}

// Index returns the image index of a class vector.
func (*DSprites) Index(classes []int) (int, error) { return Index(dspritesSizes, classes) }

// Classes returns the class vector of image index i, written into dst when it is long enough.
func (*DSprites) Classes(i int, dst []int) ([]int, error) { return Classes(dspritesSizes, i, dst) }

// Sample draws n factor vectors uniformly (n×5 class indices, row-major).
func (*DSprites) Sample(rng *rand.Rand, n int) []int { return SampleClasses(dspritesSizes, rng, n) }

// Observe renders n factor vectors (n×5, row-major) into a new [n, 64, 64, 1] slice.
func (d *DSprites) Observe(classes []int, n int) ([]float32, error) {
	return ObserveWith(d, classes, n)
}

// SampleImages returns n uniformly drawn images, [n, 64, 64, 1] (it satisfies the models' Dataset interface).
func (d *DSprites) SampleImages(rng *rand.Rand, n int) ([]float32, error) {
	if err := checkSampleArgs("dsprites: sample images", rng, n); err != nil {
		return nil, err
	}
	return d.Observe(d.Sample(rng, n), n)
}

// Image renders image index i into dst (at least 4096 values).
func (d *DSprites) Image(i int, dst []float32) error {
	var buf [5]int
	c, err := Classes(dspritesSizes, i, buf[:])
	if err != nil {
		return fmt.Errorf("dsprites image: %w", err)
	}
	return d.Render(c, dst)
}

// Render writes the 64×64 binary image of a class vector into dst (at least 4096 values).
func (*DSprites) Render(classes []int, dst []float32) error {
	const n = DSpritesSize * DSpritesSize
	if len(dst) < n {
		return fmt.Errorf("dsprites render: dst has %d values, need %d", len(dst), n)
	}
	if _, err := Index(dspritesSizes, classes); err != nil {
		return fmt.Errorf("dsprites render: %w", err)
	}
	dst = dst[:n]
	clear(dst)
	m := spriteMask(classes[FactorShape], classes[FactorScale], classes[FactorOrientation])
	base := (posOrigin+classes[FactorPosY])*DSpritesSize + posOrigin + classes[FactorPosX]
	for _, off := range m {
		dst[base+int(off)] = 1
	}
	return nil
}

var (
	maskOnce [3 * 6 * 40]sync.Once
	masks    [3 * 6 * 40][]int16
)

// spriteMask returns the linear pixel offsets (dy·64 + dx) of the on pixels of a sprite centred on the top-left
// corner of pixel (0, 0).
func spriteMask(shape, scale, orient int) []int16 {
	i := (shape*6+scale)*40 + orient
	maskOnce[i].Do(func() {
		masks[i] = rasterise(shape, dspritesGrid[FactorScale][scale], dspritesGrid[FactorOrientation][orient])
	})
	return masks[i]
}

// inside reports whether the point (u, v), in shape units with v pointing up, is inside the shape.
func inside(shape int, u, v float64) bool {
	switch shape {
	case ShapeSquare:
		return math.Abs(u) <= 1 && math.Abs(v) <= 1
	case ShapeEllipse:
		return u*u+v*v <= 1
	default: // heart
		y := v + heartCenterY
		a := u*u + y*y - 1
		return a*a*a <= u*u*y*y*y
	}
}

// rasterise computes the mask of one sprite by testing ssN×ssN subsamples of each pixel near the centre.
func rasterise(shape int, scale, theta float64) []int16 {
	theta = math.Remainder(theta, 2*math.Pi) // 2π → exactly 0
	cos, sin := math.Cos(theta), math.Sin(theta)
	// Pixel lengths per shape unit, along the shape's u and v axes.
	su, sv := squareHalfSide*scale, squareHalfSide*scale
	switch shape {
	case ShapeEllipse:
		su, sv = ellipseSemiA*scale, ellipseSemiB*scale
	case ShapeHeart:
		su = heartRadius / heartUnitR * scale
		sv = su
	}
	var out []int16
	for dy := -maskHalf; dy <= maskHalf; dy++ {
		for dx := -maskHalf; dx <= maskHalf; dx++ {
			hits := 0
			for sy := range ssN {
				for sx := range ssN {
					x := float64(dx) + (float64(sx)+0.5)/ssN
					y := -(float64(dy) + (float64(sy)+0.5)/ssN) // screen y points down
					// Rotate the sample by −θ into the shape frame.
					u := (cos*x + sin*y) / su
					v := (-sin*x + cos*y) / sv
					if inside(shape, u, v) {
						hits++
					}
				}
			}
			if 2*hits >= ssN*ssN {
				out = append(out, int16(dy*DSpritesSize+dx))
			}
		}
	}
	return out
}
