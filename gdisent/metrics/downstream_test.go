package metrics

import (
	"strings"
	"testing"
)

func TestDownstreamKnownScores(t *testing.T) {
	cfg := testConfig(DisentanglementLib)
	cfg.DownstreamSizes = []int{10, 100, 500, 100000}
	cfg.GBT.NumTrees = 30
	run := func(enc Encoder, p DownstreamPredictor) DownstreamResult {
		tr, te := arrays(enc, 500, 31), arrays(enc, 1000, 32)
		r, err := Downstream(tr, te, p, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// Chance for factors of 3, 4 and 5 uniform classes: (1/3 + 1/4 + 1/5)/3 ≈ 0.26.
	for _, p := range []DownstreamPredictor{DownstreamGBT, DownstreamLogReg} {
		id, ent, rnd := run(identityEnc, p), run(entangledEnc, p), run(randomEnc(9), p)
		if len(id.Sizes) != 3 || id.Sizes[2].NumTrain != 500 || id.Predictor != p.String() {
			t.Fatalf("%v: sizes %+v, want 10, 100, 500 (100000 > rows is left out)", p, id.Sizes)
		}
		for i, z := range id.Sizes {
			t.Logf("%v n=%d: identity test %.3f, entangled %.3f, random %.3f", p, z.NumTrain, z.MeanTestAccuracy,
				ent.Sizes[i].MeanTestAccuracy, rnd.Sizes[i].MeanTestAccuracy)
		}
		big := id.Sizes[2]
		if p == DownstreamGBT && (big.MinTestAccuracy < 0.99 || big.MeanTrainAccuracy < 0.99) {
			t.Errorf("GBT on identity codes, 500 rows: %+v, want ≈ 1", big)
		}
		// One-vs-rest linear models cannot carve a middle class out of a single code, but the argmax of
		// ordered linear scores still beats chance by far.
		if p == DownstreamLogReg && big.MeanTestAccuracy < 0.6 {
			t.Errorf("logistic regression on identity codes, 500 rows: mean test %.3f < 0.6", big.MeanTestAccuracy)
		}
		for _, z := range rnd.Sizes {
			if z.MeanTestAccuracy > 0.33 {
				t.Errorf("%v random codes, %d rows: test accuracy %.3f, want ≈ chance 0.26", p, z.NumTrain, z.MeanTestAccuracy)
			}
		}
		// Rotated codes still carry every factor (for the linear model even more usably: two codes per factor).
		if ent.Sizes[2].MeanTestAccuracy < 0.45 {
			t.Errorf("%v entangled codes %.3f, want far above chance", p, ent.Sizes[2].MeanTestAccuracy)
		}
		if id.Sizes[0].MeanTestAccuracy > big.MeanTestAccuracy+1e-9 {
			t.Errorf("%v: 10 rows beat 500 rows (%.3f > %.3f)", p, id.Sizes[0].MeanTestAccuracy, big.MeanTestAccuracy)
		}
		for _, z := range id.Sizes {
			mn := 1.0
			for _, a := range z.TestAccuracy {
				mn = min(mn, a)
			}
			if mn != z.MinTestAccuracy || len(z.TrainAccuracy) != 3 {
				t.Errorf("%v: per-factor %v vs min %v", p, z.TestAccuracy, z.MinTestAccuracy)
			}
		}
	}
	tr := arrays(identityEnc, 8, 1)
	cfg.DownstreamSizes = []int{10, 100}
	if _, err := Downstream(tr, tr, DownstreamGBT, cfg); err == nil || !strings.Contains(err.Error(), "DownstreamSizes") {
		t.Errorf("too few rows: error %v, want one naming DownstreamSizes", err)
	}
}
