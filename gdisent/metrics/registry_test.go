package metrics

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestEvaluateEveryName runs every registered metric through Evaluate and checks that each fills its result and
// its headline keys.
func TestEvaluateEveryName(t *testing.T) {
	cfg := testConfig(DisentanglementLib)
	cfg.NumTrain, cfg.NumTest, cfg.NumVariance, cfg.GroupSize = 600, 300, 600, 16
	cfg.GBT.NumTrees, cfg.FairnessPoints = 10, 20
	cfg.DownstreamSizes = []int{10, 100}
	r, err := Evaluate(identityEnc, testSource, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	filled := map[string]bool{NameBetaVAE: r.BetaVAE != nil, NameFactorVAE: r.FactorVAE != nil, NameMIG: r.MIG != nil,
		NameDCI: r.DCI != nil, NameSAP: r.SAP != nil, NameModularity: r.Modularity != nil,
		NameExplicitness: r.Explicit != nil, NameIRS: r.IRS != nil, NameUnsupervised: r.Unsupervised != nil,
		NameDownstreamLogReg: r.DownstreamLogReg != nil, NameDownstreamGBT: r.DownstreamGBT != nil,
		NameFairness: r.Fairness != nil}
	if len(filled) != len(AllMetrics) {
		t.Fatalf("test covers %d metrics, AllMetrics has %d", len(filled), len(AllMetrics))
	}
	for _, n := range AllMetrics {
		if !filled[n] {
			t.Errorf("%s: no result", n)
		}
		if _, ok := r.Seconds[n]; !ok {
			t.Errorf("%s: no timing", n)
		}
	}
	s := r.Scores()
	for _, k := range []string{NameIRS, "gaussian_total_correlation", "gaussian_wasserstein_correlation_norm",
		"mutual_info_score", "downstream_logreg:100:mean_test_accuracy", "downstream_gbt:10:mean_train_accuracy",
		"fairness_mean", "fairness_max"} {
		if _, ok := s[k]; !ok {
			t.Errorf("Scores() lacks %q (has %v)", k, s)
		}
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("JSON: %v", err)
	}
	// Fairness reuses DCI's trees when both run; alone it fits the same trees on the same draw.
	alone, err := Evaluate(identityEnc, testSource, []string{NameFairness}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(alone.Fairness, r.Fairness) {
		t.Errorf("fairness alone %+v, with DCI %+v", alone.Fairness, r.Fairness)
	}
	if _, err := RunArrays([]float64{1, 2}, 2, 1, []int{0, 1}, 1, []string{NameFairness}, cfg); err == nil ||
		!strings.Contains(err.Error(), "needs an Encoder") {
		t.Errorf("fairness on arrays: error %v, want one saying it needs an Encoder", err)
	}
}
