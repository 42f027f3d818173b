package vae

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gdisent/gdisent/gdisent/training"
)

func TestPermuteDims(t *testing.T) {
	b := testBackend(t)
	const B, L = 7, 3
	z := make([]float32, B*L)
	for i := range z {
		z[i] = float32(i)
	}
	perm := RandomPermutations(rand.New(rand.NewPCG(3, 4)), B, L)
	out := tensors.MustCopyFlatData[float32](MustExecOnce(b, PermuteDims,
		tensors.FromFlatDataAndDimensions(z, B, L), tensors.FromFlatDataAndDimensions(perm, B, L)))
	identity := true
	for j := range L {
		var col, want []float32
		for i := range B {
			p := int(perm[i*L+j])
			if got := out[i*L+j]; got != z[p*L+j] {
				t.Fatalf("out[%d,%d] = %v, want z[%d,%d] = %v", i, j, got, p, j, z[p*L+j])
			}
			identity = identity && p == i
			col, want = append(col, out[i*L+j]), append(want, z[i*L+j])
		}
		slices.Sort(col)
		if !slices.Equal(col, want) {
			t.Fatalf("column %d is not a permutation: %v vs %v", j, col, want)
		}
	}
	if identity {
		t.Fatal("all permutations are the identity")
	}
	// Columns are permuted independently.
	if slices.Equal(colOf(perm, L, 0), colOf(perm, L, 1)) && slices.Equal(colOf(perm, L, 1), colOf(perm, L, 2)) {
		t.Fatal("columns share one permutation")
	}
}

func colOf(p []int32, l, j int) []int32 {
	var c []int32
	for i := j; i < len(p); i += l {
		c = append(c, p[i])
	}
	return c
}

func decompose(t *testing.T, z, mean, logVar []float32, m, l, n int) (mi, tc, dimKL float64) {
	t.Helper()
	outs := MustExecOnceN(testBackend(t), func(z, mean, logVar *Node) []*Node {
		d := DecomposeKL(z, mean, logVar, n)
		return []*Node{d.MI, d.TC, d.DimKL}
	}, tensors.FromFlatDataAndDimensions(z, m, l), tensors.FromFlatDataAndDimensions(mean, m, l),
		tensors.FromFlatDataAndDimensions(logVar, m, l))
	v := func(i int) float64 { return float64(tensors.MustCopyFlatData[float32](outs[i])[0]) }
	return v(0), v(1), v(2)
}

// With one sample the aggregate posterior is q(z|x): MI = TC = 0 and DimKL = log q(z|x) − log p(z).
func TestDecomposeKLHand(t *testing.T) {
	z, mean, logVar := []float32{0.5, -1}, []float32{0, -1}, []float32{0, float32(math.Log(4))}
	mi, tc, dimKL := decompose(t, z, mean, logVar, 1, 2, 0)
	logN := func(x, mu, v float64) float64 { return -0.5 * (math.Log(2*math.Pi*v) + (x-mu)*(x-mu)/v) }
	want := logN(0.5, 0, 1) + logN(-1, -1, 4) - logN(0.5, 0, 1) - logN(-1, 0, 1)
	if math.Abs(mi) > 1e-6 || math.Abs(tc) > 1e-6 || math.Abs(dimKL-want) > 1e-5 {
		t.Fatalf("MI, TC, DimKL = %g, %g, %g; want 0, 0, %g", mi, tc, dimKL, want)
	}
	// Chen et al.'s log(N·M) normaliser shifts TC by (L−1)·log N, MI by +log N and DimKL by −L·log N.
	z2, m2, lv2 := []float32{0.5, -1, 0.2, 0.3, 1, -2}, []float32{0.4, -0.8, 0, 0, 1.2, -1.5}, []float32{0, -1, 0.5, 0, -0.5, 0.3}
	mi0, tc0, dk0 := decompose(t, z2, m2, lv2, 2, 3, 0)
	mi1, tc1, dk1 := decompose(t, z2, m2, lv2, 2, 3, 100)
	ln := math.Log(100)
	if math.Abs(tc1-tc0-2*ln) > 1e-4 || math.Abs(mi1-mi0-ln) > 1e-4 || math.Abs(dk1-dk0+3*ln) > 1e-4 {
		t.Fatalf("dataset-size shifts: TC %g→%g, MI %g→%g, DimKL %g→%g", tc0, tc1, mi0, mi1, dk0, dk1)
	}
}

// z = x + s·ε with x ~ N(0, C): q(z) = N(0, C + s²I), so TC = −½ log det corr(C + s²I), MI = ½ log det(C + s²I)/s^2L
// and DimKL = Σ_j KL(N(0, 1 + s²) ‖ N(0, 1)). The minibatch estimator is a kernel density estimate of q(z), close
// for a large batch.
func TestTCEstimatorKnownGaussian(t *testing.T) {
	const M, L, s2 = 1500, 3, 0.1
	for _, rho := range []float64{0, 0.9} {
		rng := rand.New(rand.NewPCG(7, uint64(rho*10)))
		z, mean, logVar := make([]float32, M*L), make([]float32, M*L), make([]float32, M*L)
		for i := range M {
			a, c := rng.NormFloat64(), rng.NormFloat64()
			x := []float64{a, rho*a + math.Sqrt(1-rho*rho)*c, rng.NormFloat64()}
			for j := range L {
				mean[i*L+j] = float32(x[j])
				logVar[i*L+j] = float32(math.Log(s2))
				z[i*L+j] = float32(x[j] + math.Sqrt(s2)*rng.NormFloat64())
			}
		}
		v := 1 + s2
		r := rho / v
		wantTC := -0.5 * math.Log(1-r*r)
		wantMI := 0.5 * (math.Log(v*v*(1-r*r)*v) - L*math.Log(s2))
		wantDimKL := L * 0.5 * (v - 1 - math.Log(v))
		mi, tc, dimKL := decompose(t, z, mean, logVar, M, L, 0)
		t.Logf("ρ=%.1f: TC %.3f (analytic %.3f), MI %.3f (%.3f), DimKL %.3f (%.3f)", rho, tc, wantTC, mi, wantMI, dimKL, wantDimKL)
		if math.Abs(tc-wantTC) > 0.08 {
			t.Fatalf("ρ=%.1f: TC estimate %.3f, analytic %.3f", rho, tc, wantTC)
		}
		if math.Abs(mi-wantMI) > 0.25 || math.Abs(dimKL-wantDimKL) > 0.15 {
			t.Fatalf("ρ=%.1f: MI %.3f vs %.3f, DimKL %.3f vs %.3f", rho, mi, wantMI, dimKL, wantDimKL)
		}
	}
}

func TestFactorAndTCVAEShortRuns(t *testing.T) {
	b := testBackend(t)
	for _, obj := range []string{ObjectiveFactor, ObjectiveTC} {
		cfg := tinyConfig()
		cfg.Objective, cfg.Beta, cfg.FactorGamma, cfg.DiscLayers, cfg.DiscHidden = obj, 4, 10, 2, 32
		cfg.DiscLearningRate = 1e-3 // keeps up with the VAE's lr 1e-3 in this short run
		m, err := New(b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(squares(16), 40, training.Silent()); err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		h := m.History()
		mean := func(name string, from, to int) float64 {
			s, ok := h.Get(name)
			if !ok {
				t.Fatalf("%s: %q not logged", obj, name)
			}
			sum := 0.0
			for _, x := range s.Values[from:to] {
				sum += x
			}
			return sum / float64(to-from)
		}
		first, last := mean("reconstruction", 0, 5), mean("reconstruction", 35, 40)
		t.Logf("%s: reconstruction %.1f → %.1f, tc %.3f", obj, first, last, mean("tc", 35, 40))
		if !(last < 0.7*first) {
			t.Fatalf("%s: reconstruction did not decrease enough: %.2f → %.2f", obj, first, last)
		}
		if obj == ObjectiveFactor {
			d0, d1 := mean("disc_loss", 0, 5), mean("disc_loss", 35, 40)
			t.Logf("factor: disc_loss %.3f → %.3f, accuracy %.2f", d0, d1, mean("disc_accuracy", 35, 40))
			if !(d1 < 1.5*math.Ln2) || m.DiscriminatorOptimizer() == nil {
				t.Fatalf("discriminator loss %.3f → %.3f: the discriminator does not keep up", d0, d1)
			}
		} else {
			mean("mi", 0, 40)
			mean("dim_kl", 0, 40)
		}
	}
}

func TestFactorTCConfigErrors(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.Objective, c.DiscLayers = ObjectiveFactor, 0 },
		func(c *Config) { c.Objective, c.DiscLearningRate = ObjectiveFactor, 0 },
		func(c *Config) { c.FactorGamma = math.NaN() },
		func(c *Config) { c.Objective, c.BatchSize = ObjectiveTC, 1 },
		func(c *Config) { c.TCDatasetSize = -1 },
	} {
		c := tinyConfig()
		mod(&c)
		if c.Validate() == nil {
			t.Fatalf("invalid config accepted: %+v", c)
		}
	}
}

func TestLatentKLPlots(t *testing.T) {
	if _, err := LatentKLBars("", []float64{2, 0.01, 0.5}); err != nil {
		t.Fatal(err)
	}
	if _, err := LatentKLBars("", nil); err == nil {
		t.Fatal("empty KL accepted")
	}
	h := training.NewHistory()
	for s := range int64(5) {
		h.Add(s, training.Metrics{"kl/00": float64(s), "kl/01": 0.01, "loss": 1})
	}
	if got := LatentKLSeries(h); len(got) != 2 || got[0].Name != "kl/00" {
		t.Fatalf("series %+v", got)
	}
	if _, err := LatentKLCurves("", h); err != nil {
		t.Fatal(err)
	}
	if _, err := LatentKLCurves("", training.NewHistory()); err == nil {
		t.Fatal("no error without kl/ series")
	}
}
