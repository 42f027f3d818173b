package metrics

import (
	"fmt"
	"math"
	"testing"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// FuzzMetricsArrays feeds small random arrays to the array metrics: they must not panic, and every score must be
// in [0, 1] unless an error is returned.
func FuzzMetricsArrays(f *testing.F) {
	f.Add([]byte{5, 2, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 1, 0, 1, 1, 0})
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{30, 3, 2, 255, 255, 0, 0, 128, 7})
	f.Add([]byte{9, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3})
	f.Add([]byte{15, 1, 0, 253, 3, 253, 7, 40, 253, 1, 2}) // huge codes: the covariance overflows
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := fuzzOne(data); err != nil {
			t.Error(err)
		}
	})
}

func fuzzOne(data []byte) error {
	if len(data) < 3 {
		return nil
	}
	n, d, k := 1+int(data[0])%40, 1+int(data[1])%4, 1+int(data[2])%3
	rest := data[3:]
	at := func(i int) byte {
		if len(rest) == 0 {
			return 0
		}
		return rest[i%len(rest)]
	}
	codes := make([]float64, n*d)
	for i := range codes {
		b := at(i)
		switch b {
		case 254:
			codes[i] = math.NaN()
		case 253:
			codes[i] = 1e300
		default:
			codes[i] = float64(b)/32 - 4
		}
	}
	factors := make([]int, n*k)
	for i := range factors {
		factors[i] = int(at(len(codes)+i)) % 4
	}
	cfg := Config{Seed: 1, GBT: classify.GBT{NumTrees: 10}}
	if len(rest) > 0 && rest[0]%2 == 1 {
		cfg.Protocol = InfoGANCR
		cfg.ContinuousFactors = make([]bool, k)
		cfg.ContinuousFactors[0] = true
	}
	r, err := RunArrays(codes, n, d, factors, k, nil, cfg)
	if err != nil {
		return nil
	}
	for name, v := range r.Scores() {
		lo, hi := 0.0, 1.0
		switch name {
		case NameIRS: // 1 − deviation ratio: a group's spread can exceed the global one
			lo = -1
		case "gaussian_total_correlation", "gaussian_wasserstein_correlation", "gaussian_wasserstein_correlation_norm",
			"mutual_info_score":
			hi = math.MaxFloat64
		}
		if !(v >= lo && v <= hi) {
			return fmt.Errorf("%s = %v outside [%v, %v] (n=%d d=%d k=%d)", name, v, lo, hi, n, d, k)
		}
	}
	return nil
}
