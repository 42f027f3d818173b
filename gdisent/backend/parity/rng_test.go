package parity

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestDeterministicRNGMatchesHost draws RandomUniform float32 values (uint32 bits) and RandomIntN int64 values
// (uint64 bits) through the wrapped pure-Go backend and checks each value, and the advanced state, bit for bit
// against HostBits.
func TestDeterministicRNGMatchesHost(t *testing.T) {
	b := DeterministicRNG(newPurego(t))
	state := [3]uint64{0x1234_5678_9abc_def0, 41, 7}
	const n = 1000
	e, err := graph.NewExec(b, func(s *graph.Node) []*graph.Node {
		s1, u := graph.RandomUniform(s, shapes.Make(dtypes.Float32, n))
		s2, k := graph.RandomIntN(s1, 1<<40, shapes.Make(dtypes.Int64, n))
		return []*graph.Node{u, s1, k, s2}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(tensors.FromValue(state[:]))
	if err != nil {
		t.Fatal(err)
	}
	u, s1 := out[0].Value().([]float32), out[1].Value().([]uint64)
	k, s2 := out[2].Value().([]int64), out[3].Value().([]uint64)

	bits, next := HostBits(state, n)
	var mean float64
	for i, v := range bits {
		want := min(float32(uint32(v>>32))*float32(1.0/(1<<32)), math.Nextafter32(1, 0))
		if u[i] != want {
			t.Fatalf("uniform %d = %v, want %v from bits %#x", i, u[i], want, v)
		}
		mean += float64(u[i]) / n
	}
	if [3]uint64(s1) != next {
		t.Errorf("state after the uniform draw = %v, want %v", s1, next)
	}
	bits, next = HostBits(next, n)
	ratio := uint64(math.MaxUint64) / (1 << 40)
	for i, v := range bits {
		if want := int64(min(v/ratio, 1<<40-1)); k[i] != want {
			t.Fatalf("RandomIntN %d = %d, want %d", i, k[i], want)
		}
	}
	if [3]uint64(s2) != next {
		t.Errorf("state after the integer draw = %v, want %v", s2, next)
	}
	if math.Abs(mean-0.5) > 0.05 {
		t.Errorf("mean of %d uniforms = %.3f, want about 0.5", n, mean)
	}
}

func TestCompare(t *testing.T) {
	tol := Tolerance{Rel: 1e-3, Abs: 1e-6}
	want := Series{"loss": {1, 2, 3}, "kl": {0, 0.5, 0.25}}
	if r := Compare(want, Series{"loss": {1, 2.001, 3}, "kl": {0, 0.5, 0.25}}, tol); len(r.Violations) != 0 {
		t.Errorf("within tolerance: %v", r.Violations)
	} else if got := r.MaxRel["loss"]; math.Abs(got-0.001/2.001) > 1e-9 {
		t.Errorf("MaxRel[loss] = %g, want %g", got, 0.001/2.001)
	}
	for name, got := range map[string]Series{
		"too far":      {"loss": {1, 2.01, 3}, "kl": {0, 0.5, 0.25}},
		"NaN":          {"loss": {1, math.NaN(), 3}, "kl": {0, 0.5, 0.25}},
		"short":        {"loss": {1, 2}, "kl": {0, 0.5, 0.25}},
		"extra metric": {"loss": {1, 2, 3}, "kl": {0, 0.5, 0.25}, "tc": {1, 1, 1}},
		"zero vs tiny": {"loss": {1, 2, 3}, "kl": {1e-5, 0.5, 0.25}},
	} {
		if r := Compare(want, got, tol); len(r.Violations) != 1 {
			t.Errorf("%s: violations %q, want exactly one", name, r.Violations)
		}
	}
}
