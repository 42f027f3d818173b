package sweep

import (
	"fmt"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/selection"
)

// GroundTruth is a run's training data as a ground-truth factor dataset (dSprites, pooled as the run's "pool"
// param says), for scoring its model with the supervised metrics.
func GroundTruth(run Run) (data.FactorDataset, error) {
	ds, err := Dataset(run)
	if err != nil {
		return nil, err
	}
	fd, ok := ds.(data.FactorDataset)
	if !ok {
		return nil, fmt.Errorf("sweep.GroundTruth: run %s trains on %T, which has no ground-truth factors", run.ID, ds)
	}
	return fd, nil
}

// RunIDs returns the runs' ids, in order.
func RunIDs(runs []Run) []string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	return ids
}

// Compare loads the finished runs (LoadModels) and compares them with selection.Compare against the ground truth
// they were trained on (GroundTruth), naming each model by its run id. It needs >= 2 finished runs that share one
// image shape.
func (s *Sweep) Compare(cfg selection.CompareConfig) (*selection.Comparison, error) {
	models, runs, err := s.LoadModels()
	if err != nil {
		return nil, err
	}
	if len(models) < 2 {
		return nil, fmt.Errorf("sweep.Sweep.Compare: %s has %d finished runs, selection needs at least 2 (train them first)",
			s.Dir, len(models))
	}
	truth, err := GroundTruth(runs[0])
	if err != nil {
		return nil, err
	}
	for i, m := range models {
		if got, want := m.ImageShape(), truth.ImageShape(); got != want {
			return nil, fmt.Errorf("sweep.Sweep.Compare: run %s makes %v images, run %s's data are %v: compare runs "+
				"of one image size", runs[i].ID, got, runs[0].ID, want)
		}
	}
	c, err := selection.Compare(selection.Models(models), RunIDs(runs), truth, cfg)
	if err != nil {
		return nil, fmt.Errorf("sweep.Sweep.Compare: %s: %w", s.Dir, err)
	}
	return c, nil
}
