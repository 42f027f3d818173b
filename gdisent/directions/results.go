package directions

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// Results are the directions of several methods, in the order they were found. They are saved as JSON so that
// later steps (encoders, traversals; later notebook cells) reuse them without running the methods again.
type Results []Result

// Methods lists the methods in order.
func (rs Results) Methods() []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Method
	}
	return out
}

// Get returns the result of method.
func (rs Results) Get(method string) (Result, error) {
	for _, r := range rs {
		if r.Method == method {
			return r, nil
		}
	}
	return Result{}, errors.Errorf("directions: no directions for %q in the results (have %v): run Find for it first", method, rs.Methods())
}

// Put adds r, replacing an earlier result of the same method in place.
func (rs *Results) Put(r Result) {
	for i := range *rs {
		if (*rs)[i].Method == r.Method {
			(*rs)[i] = r
			return
		}
	}
	*rs = append(*rs, r)
}

// SetScores records Score's numbers for method.
func (rs Results) SetScores(method string, scores map[string]float64) error {
	for i := range rs {
		if rs[i].Method == method {
			rs[i].Scores = scores
			return nil
		}
	}
	return errors.Errorf("directions: SetScores: no result for %q (have %v)", method, rs.Methods())
}

// Save writes the results as JSON to path (through a temporary file, so a reader never sees half a file).
func (rs Results) Save(path string) error {
	for _, r := range rs {
		if err := r.validate(); err != nil {
			return errors.WithMessage(err, "directions: Save")
		}
	}
	raw, err := json.MarshalIndent(rs, "", " ")
	if err != nil {
		return errors.Wrap(err, "directions: encoding results")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return errors.Wrapf(err, "directions: creating the directory of %s", path)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return errors.Wrapf(err, "directions: writing %s", tmp)
	}
	return errors.Wrapf(os.Rename(tmp, path), "directions: saving %s", path)
}

// LoadResults reads results saved by Save and checks every entry.
func LoadResults(path string) (Results, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, errors.Errorf("directions: no saved directions at %s: find them first (directions.Find, then Results.Save)", path)
		}
		return nil, errors.Wrap(err, "directions: reading saved directions")
	}
	var rs Results
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, errors.Wrapf(err, "directions: decoding %s", path)
	}
	for _, r := range rs {
		if err := r.validate(); err != nil {
			return nil, errors.WithMessagef(err, "directions: %s", path)
		}
	}
	return rs, nil
}

// Table lays the results out for display: a header ("method", then keys) and one row per method with its
// Scores[key] (or Stats[key], or "find_seconds" for the time Find took) to three decimals, "–" when absent.
func (rs Results) Table(keys ...string) (header []string, rows [][]string) {
	header = append([]string{"method"}, keys...)
	for _, r := range rs {
		row := []string{r.Method}
		for _, k := range keys {
			v, ok := r.Scores[k]
			if !ok {
				v, ok = r.Stats[k]
			}
			if !ok && k == "find_seconds" {
				v, ok = r.Seconds, true
			}
			switch {
			case !ok || math.IsNaN(v):
				row = append(row, "–")
			case math.Abs(v) >= 100:
				row = append(row, fmt.Sprintf("%.0f", v))
			default:
				row = append(row, fmt.Sprintf("%.3f", v))
			}
		}
		rows = append(rows, row)
	}
	return header, rows
}
