package vae

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/gdisent/gdisent/gdisent/training"
)

// TestDIPPenaltyValues checks the covariance and penalty graphs against direct computation.
func TestDIPPenaltyValues(t *testing.T) {
	b := testBackend(t)
	mean := []float32{1, 2, 3, 1, 0, 5, 2, 2, 2, 4, 1, 0} // 4 × 3
	logVar := []float32{0, -1, 1, 0.5, 0, 0, -2, 1, 0, 0, 0, 0}
	exec := MustNewExec(b, func(m, lv *Node) (*Node, *Node, *Node) {
		c1, c2 := DIPCovariance(m, lv, false), DIPCovariance(m, lv, true)
		return c1, c2, DIPPenalty(c1, 2, 3)
	})
	out := exec.MustExec(training.Tensor(mean, 4, 3), training.Tensor(logVar, 4, 3))
	c1, c2 := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	pen := tensors.ToScalar[float32](out[2])
	var mu [3]float64
	for i := range 4 {
		for j := range 3 {
			mu[j] += float64(mean[i*3+j]) / 4
		}
	}
	want := 0.0
	for a := range 3 {
		ev := 0.0
		for i := range 4 {
			ev += math.Exp(float64(logVar[i*3+a])) / 4
		}
		for c := range 3 {
			cov := 0.0
			for i := range 4 {
				cov += (float64(mean[i*3+a]) - mu[a]) * (float64(mean[i*3+c]) - mu[c]) / 4
			}
			if math.Abs(float64(c1[a*3+c])-cov) > 1e-5 {
				t.Fatalf("Cov[μ][%d,%d] = %g, want %g", a, c, c1[a*3+c], cov)
			}
			extra := 0.0
			if a == c {
				extra = ev
				want += 3 * (cov - 1) * (cov - 1)
			} else {
				want += 2 * cov * cov
			}
			if math.Abs(float64(c2[a*3+c])-(cov+extra)) > 1e-5 {
				t.Fatalf("DIP-II covariance [%d,%d] = %g, want %g", a, c, c2[a*3+c], cov+extra)
			}
		}
	}
	if math.Abs(float64(pen)-want) > 1e-4*want {
		t.Fatalf("penalty %g, want %g", pen, want)
	}
}

// offDiagonalCov is Σ_{i≠j} Cov[μ]_ij² / Σ_i Cov[μ]_ii² for the model's posterior means over images: how much
// of the means' covariance lies off the diagonal, whatever their scale.
func offDiagonalCov(t *testing.T, m *Model, images []float32, n int) float64 {
	mean, err := m.Encode(images, n)
	if err != nil {
		t.Fatal(err)
	}
	l := m.Config().LatentDim
	mu := make([]float64, l)
	for i := range n {
		for j := range l {
			mu[j] += float64(mean[i*l+j]) / float64(n)
		}
	}
	off, diag := 0.0, 0.0
	for a := range l {
		for c := range l {
			cov := 0.0
			for i := range n {
				cov += (float64(mean[i*l+a]) - mu[a]) * (float64(mean[i*l+c]) - mu[c]) / float64(n)
			}
			if a == c {
				diag += cov * cov
			} else {
				off += cov * cov
			}
		}
	}
	return off / diag
}

// TestDIPDecorrelatesMeans trains the same VAE on squares with and without the DIP-VAE-I penalty: the penalty
// drives the off-diagonal covariance of the posterior means down.
func TestDIPDecorrelatesMeans(t *testing.T) {
	b := testBackend(t)
	images, _ := squares(16).SampleImages(rand.New(rand.NewPCG(5, 5)), 256)
	off := map[string]float64{}
	for _, obj := range []string{ObjectiveBeta, ObjectiveDIPI} {
		cfg := tinyConfig()
		cfg.Objective, cfg.Beta, cfg.DIPLambdaOD, cfg.DIPLambdaD = obj, 1, 20, 200
		m, err := New(b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(squares(16), 300, training.Silent()); err != nil {
			t.Fatal(err)
		}
		off[obj] = offDiagonalCov(t, m, images, 256)
		if obj == ObjectiveDIPI {
			_, dip, ok := m.History().XY("dip")
			if !ok || len(dip) != 300 {
				t.Fatal("DIP-VAE does not log its penalty")
			}
			first, last := mean(dip[:20]), mean(dip[280:])
			t.Logf("DIP penalty %.4g → %.4g", first, last)
			if !(last < 0.5*first) {
				t.Errorf("training did not reduce the DIP penalty: %.4g → %.4g", first, last)
			}
		}
	}
	t.Logf("off-diagonal share of Cov[μ]²: VAE %.4g, DIP-VAE-I %.4g", off[ObjectiveBeta], off[ObjectiveDIPI])
	if !(off[ObjectiveDIPI] < 0.5*off[ObjectiveBeta]) {
		t.Errorf("the DIP penalty did not decorrelate the means: %.4g vs %.4g without", off[ObjectiveDIPI], off[ObjectiveBeta])
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
