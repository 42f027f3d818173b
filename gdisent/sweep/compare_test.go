package sweep

import (
	"strings"
	"testing"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/selection"
	"github.com/gdisent/gdisent/gdisent/training"
)

// TestSweepCompare trains a tiny pooled InfoGAN-CR pool and compares it against its 16×16 ground truth.
func TestSweepCompare(t *testing.T) {
	dir := t.TempDir()
	s := &Sweep{Kind: KindInfoGANCR, Dir: dir, Steps: 2, Seeds: []int64{1, 2, 3}, Params: TinyInfoGANCRParams()}
	mc := metrics.InfoGANCRConfig()
	mc.NumGroups, mc.GroupSize, mc.NumVariance, mc.NumTrain = 12, 8, 64, 200
	cfg := selection.CompareConfig{Metric: &mc, Supervised: []string{metrics.NameFactorVAE, metrics.NameMIG}, UDRInputs: 64}
	if _, err := s.Compare(cfg); err == nil || !strings.Contains(err.Error(), "0 finished runs") {
		t.Errorf("untrained sweep: %v, want an error saying no run has finished", err)
	}
	if _, err := s.RunAll(training.Silent()); err != nil {
		t.Fatal(err)
	}
	runs, _ := s.Runs()
	truth, err := GroundTruth(runs[0])
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := truth.(*data.Pooled); !ok || p.ImageShape() != [3]int{16, 16, 1} {
		t.Fatalf("ground truth %T of %v, want dSprites pooled to 16×16", truth, truth.ImageShape())
	}
	c, err := s.Compare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Names, ",") != strings.Join(RunIDs(runs), ",") || len(c.Supervised) != 3 ||
		len(c.ModelCentrality.C) != 3 || len(c.UDRLasso.Scores) != 3 {
		t.Fatalf("comparison %+v", c)
	}
	for i, sc := range c.Supervised {
		if v, ok := sc[metrics.NameFactorVAE]; !ok || v < 0 || v > 1 {
			t.Errorf("model %d FactorVAE %v", i, v)
		}
	}
	if _, err := c.Picks(metrics.NameMIG); err != nil {
		t.Error(err)
	}
}
