// Package parity helps check that two GoMLX backends train a model the same way: DeterministicRNG makes their
// in-graph randomness identical, and Compare checks recorded losses agree within a float32 tolerance. The tests
// in this package train gdisent's models on the patched pure-Go backend against stock SimpleGo executors, or
// against XLA with $GDISENT_PARITY_BACKEND (see parity_test.go).
package parity

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// DeterministicRNG wraps b so that RNGBitGenerator, GoMLX's only source of in-graph randomness (variable
// initialisers, the VAE's reparameterisation noise), draws the same bits on every backend. XLA implements it with
// Philox and SimpleGo with Go's PCG, so the same seed would otherwise give different weights and noise.
//
// The replacement is counter-based: with key = state[0] and counter = state[1], value i is
// mix(key XOR mix(counter + i)), where mix is the SplitMix64 finaliser (Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014); uint32 draws take the high 32 bits. The new state advances the
// counter by the number of values drawn. It uses only wrapping uint64 addition and multiplication, XOR and
// division by powers of two (SimpleGo has no logical shift), which every backend computes exactly. Draws of
// other dtypes are left to b.
func DeterministicRNG(b backends.Backend) backends.Backend { return rngBackend{b} }

type rngBackend struct{ backends.Backend }

func (r rngBackend) Builder(name string) backends.Builder {
	return rngBuilder{r.Backend.Builder(name)}
}

type rngBuilder struct{ backends.Builder }

// SplitMix64 constants.
const (
	golden = 0x9e3779b97f4a7c15
	mulA   = 0xbf58476d1ce4e5b9
	mulB   = 0x94d049bb133111eb
)

// Mix is the SplitMix64 finaliser on the host, for checking the in-graph one.
func Mix(x uint64) uint64 {
	x += golden
	x = (x ^ (x >> 30)) * mulA
	x = (x ^ (x >> 27)) * mulB
	return x ^ (x >> 31)
}

// HostBits returns the uint64 values DeterministicRNG draws for n values from state, and the next state.
func HostBits(state [3]uint64, n int) ([]uint64, [3]uint64) {
	out := make([]uint64, n)
	for i := range out {
		out[i] = Mix(state[0] ^ Mix(state[1]+uint64(i)))
	}
	state[1] += uint64(n)
	return out, state
}

// RNGBitGenerator implements backends.Builder.
func (b rngBuilder) RNGBitGenerator(state backends.Op, shape shapes.Shape) (newState, values backends.Op, err error) {
	n := shape.Size()
	if (shape.DType != dtypes.Uint64 && shape.DType != dtypes.Uint32) || n == 0 {
		return b.Builder.RNGBitGenerator(state, shape)
	}
	g := &opBuilder{b: b.Builder, n: n}
	key := g.scalarOf(state, 0)
	ctr := g.scalarOf(state, 1)
	x := g.add(g.op(b.Iota(shapes.Make(dtypes.Uint64, n), 0)), g.broadcast(ctr))
	x = g.mix(g.xor(g.mix(x), g.broadcast(key)))
	if shape.DType == dtypes.Uint32 {
		x = g.op(b.ConvertDType(g.shr(x, 32), dtypes.Uint32))
	}
	values = g.op(b.Reshape(x, shape.Dimensions...))
	step := g.op(b.Constant([]uint64{0, uint64(n), 0}, 3))
	newState = g.op(b.Add(state, step))
	if g.err != nil {
		return nil, nil, fmt.Errorf("parity.DeterministicRNG: building the generator for %s: %w", shape, g.err)
	}
	return newState, values, nil
}

// opBuilder chains backend ops on [n] uint64 vectors, keeping the first error.
type opBuilder struct {
	b   backends.Builder
	n   int
	err error
}

func (g *opBuilder) op(o backends.Op, err error) backends.Op {
	if g.err == nil && err != nil {
		g.err = err
	}
	return o
}

func (g *opBuilder) scalarOf(state backends.Op, i int) backends.Op {
	if g.err != nil {
		return nil
	}
	s := g.op(g.b.Slice(state, []int{i}, []int{i + 1}, []int{1}))
	if g.err != nil {
		return nil
	}
	return g.op(g.b.Reshape(s))
}

func (g *opBuilder) broadcast(scalar backends.Op) backends.Op {
	if g.err != nil {
		return nil
	}
	return g.op(g.b.BroadcastInDim(scalar, shapes.Make(dtypes.Uint64, g.n), nil))
}

func (g *opBuilder) constant(v uint64) backends.Op {
	if g.err != nil {
		return nil
	}
	return g.broadcast(g.op(g.b.Constant([]uint64{v})))
}

func (g *opBuilder) binary(f func(a, b backends.Op) (backends.Op, error), a, b backends.Op) backends.Op {
	if g.err != nil {
		return nil
	}
	return g.op(f(a, b))
}

func (g *opBuilder) add(a, b backends.Op) backends.Op { return g.binary(g.b.Add, a, b) }
func (g *opBuilder) xor(a, b backends.Op) backends.Op { return g.binary(g.b.BitwiseXor, a, b) }
func (g *opBuilder) mulC(a backends.Op, c uint64) backends.Op {
	return g.binary(g.b.Mul, a, g.constant(c))
}
func (g *opBuilder) shr(a backends.Op, k uint) backends.Op {
	return g.binary(g.b.Div, a, g.constant(1<<k))
}

func (g *opBuilder) mix(x backends.Op) backends.Op {
	x = g.add(x, g.constant(golden))
	x = g.mulC(g.xor(x, g.shr(x, 30)), mulA)
	x = g.mulC(g.xor(x, g.shr(x, 27)), mulB)
	return g.xor(x, g.shr(x, 31))
}

// Tolerance bounds the difference of two float32-computed values a, b: |a−b| <= Abs + Rel·max(|a|, |b|).
type Tolerance struct{ Rel, Abs float64 }

func (t Tolerance) String() string { return fmt.Sprintf("rel %.0e + abs %.0e", t.Rel, t.Abs) }

// Series maps a metric name to its values, one per training step.
type Series map[string][]float64

// Report is the outcome of Compare: the worst relative difference per metric and every violation.
type Report struct {
	MaxRel     map[string]float64
	Violations []string
}

func (r Report) String() string {
	names := make([]string, 0, len(r.MaxRel))
	for n := range r.MaxRel {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s %.2e  ", n, r.MaxRel[n])
	}
	return strings.TrimSpace(b.String())
}

// Compare checks that want and got have the same metrics, steps and finite values agreeing within tol.
func Compare(want, got Series, tol Tolerance) Report {
	r := Report{MaxRel: map[string]float64{}}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for n := range got {
		if _, ok := want[n]; !ok {
			r.Violations = append(r.Violations, fmt.Sprintf("%s: only in the second run", n))
		}
	}
	for _, n := range names {
		w, g := want[n], got[n]
		if len(w) != len(g) {
			r.Violations = append(r.Violations, fmt.Sprintf("%s: %d steps vs %d", n, len(w), len(g)))
			continue
		}
		for i := range w {
			a, b := w[i], g[i]
			if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
				r.Violations = append(r.Violations, fmt.Sprintf("%s step %d: non-finite (%g vs %g)", n, i, a, b))
				continue
			}
			d, scale := math.Abs(a-b), max(math.Abs(a), math.Abs(b))
			if scale > 0 {
				r.MaxRel[n] = max(r.MaxRel[n], d/scale)
			}
			if d > tol.Abs+tol.Rel*scale {
				r.Violations = append(r.Violations, fmt.Sprintf("%s step %d: %.7g vs %.7g (diff %.2e > %s)", n, i,
					a, b, d, tol))
			}
		}
	}
	return r
}
