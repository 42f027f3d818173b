package metrics

import (
	"math"
	"testing"

	"github.com/gdisent/gdisent/gdisent"
)

func TestInterGroupTVHand(t *testing.T) {
	// Predictions a (rows) under sensitive classes c (columns).
	// [[2 0] [0 2]]: each class predicts one label, the pool is ½–½: TV ½ for both.
	if m, x := interGroupTV([][]float64{{2, 0}, {0, 2}}); math.Abs(m-0.5) > 1e-12 || math.Abs(x-0.5) > 1e-12 {
		t.Errorf("mean %v max %v, want 0.5 0.5", m, x)
	}
	// [[3 1] [1 1]]: pool (4/6, 2/6); class 0 (¾, ¼): TV 1/12; class 1 (½, ½): TV 1/6;
	// mean weighted by counts (4, 2): (4/12 + 2/6)/6 = 1/9.
	if m, x := interGroupTV([][]float64{{3, 1}, {1, 1}}); math.Abs(m-1.0/9) > 1e-12 || math.Abs(x-1.0/6) > 1e-12 {
		t.Errorf("mean %v max %v, want 1/9 1/6", m, x)
	}
}

func TestAggregateFairness(t *testing.T) {
	m := [][]float64{{0, 0.1, 0.2}, {0.3, 0, 0.4}, {0.5, 0.6, 0}}
	out := map[string]float64{}
	aggregateFairness(out, "f", m)
	// Rows (targets): means 0.15, 0.35, 0.55; maxima 0.2, 0.4, 0.6. Columns (sensitive): means 0.4, 0.35, 0.3;
	// maxima 0.5, 0.6, 0.4.
	want := map[string]float64{"f:mean_pred:mean_sens": 0.35, "f:mean_pred:max_sens": 0.4, "f:max_pred:mean_sens": 0.55,
		"f:max_pred:max_sens": 0.6, "f:mean_sens:mean_pred": 0.35, "f:mean_sens:max_pred": 0.5,
		"f:max_sens:mean_pred": 0.4, "f:max_sens:max_pred": 0.6}
	for k, v := range want {
		if math.Abs(out[k]-v) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, out[k], v)
		}
	}
	if len(out) != len(want) {
		t.Errorf("%d aggregates, want %d", len(out), len(want))
	}
}

func TestFairnessKnownScores(t *testing.T) {
	cfg := testConfig(DisentanglementLib)
	cfg.NumTrain, cfg.GBT.NumTrees, cfg.FairnessPoints = 1000, 20, 60
	id, err := Fairness(identityEnc, testSource, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Lossy codes: z0 = v0 + v1 (neither factor recoverable alone), z1 = v2.
	sum := gdisent.EncoderFunc(func(im []float32, n int) ([]float32, error) {
		out := make([]float32, 2*n)
		for i := 0; i < n; i++ {
			out[2*i], out[2*i+1] = im[3*i]+im[3*i+1], im[3*i+2]
		}
		return out, nil
	})
	ent, err := Fairness(sum, testSource, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("identity mean %.4f max %.4f; sum code mean %.4f max %.4f; TV %v", id.Mean, id.Max, ent.Mean,
		ent.Max, ent.MeanTV)
	// Identity codes: each classifier reads only its factor's code, which an intervention on another factor
	// leaves unchanged, and every sensitive class reuses the same draws: the predictions do not move at all.
	if id.Mean != 0 || id.Max != 0 {
		t.Errorf("identity codes: unfairness mean %v max %v, want exactly 0", id.Mean, id.Max)
	}
	// From v0 + v1 the classifier of v0 guesses from the sum, so intervening on v1 moves its predictions (and vice
	// versa); v2 is read exactly from its own code.
	if ent.MeanTV[0][1] < 0.05 || ent.MeanTV[1][0] < 0.05 || ent.MeanTV[2][0] != 0 || ent.MeanTV[2][1] != 0 {
		t.Errorf("sum code mean TV %v: want (0,1) and (1,0) clearly positive, target 2 exactly 0", ent.MeanTV)
	}
	if !(ent.Max >= ent.Mean && ent.Mean > 0) {
		t.Errorf("sum code mean %v, max %v: want 0 < mean ≤ max", ent.Mean, ent.Max)
	}
	off := 0.0
	for i := range ent.MeanTV {
		for j, v := range ent.MeanTV[i] {
			if i != j {
				off += v / 6
			}
		}
	}
	if math.Abs(off-ent.Mean) > 1e-12 || ent.Aggregates["mean_fairness:mean_sens:mean_pred"] != ent.Mean {
		t.Errorf("mean %v, mean of the off-diagonal %v, aggregates %v", ent.Mean, off, ent.Aggregates)
	}
	if _, err := Fairness(identityEnc, synth{sizes: []int{4}}, cfg); err == nil {
		t.Error("one factor: want an error")
	}
}
