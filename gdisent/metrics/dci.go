package metrics

import (
	"fmt"
	"math"

	"github.com/gdisent/gdisent/gdisent/metrics/classify"
)

// DCIResult is Eastwood & Williams' (2018) disentanglement, completeness and informativeness.
type DCIResult struct {
	Disentanglement float64 `json:"disentanglement"`
	Completeness    float64 `json:"completeness"`
	// Informativeness is the mean over factors of the classifier's accuracy (GBT) or of R² clamped to [0, 1]
	// (Lasso, on z-normalised factors).
	InformativenessTrain float64     `json:"informativeness_train"`
	InformativenessTest  float64     `json:"informativeness_test"`
	Importance           [][]float64 `json:"importance"` // D×K, R_dk
	Method               string      `json:"method"`     // "gbt" or "lasso"
}

// DCI builds the importance matrix R (D×K) and derives
//
//	D = Σ_d ρ_d (1 − H_K(P_d·)),  P_dk = R_dk/Σ_k R_dk,  ρ_d = Σ_k R_dk / Σ R,
//	C = Σ_k w_k (1 − H_D(R_·k/Σ_d R_dk)),
//
// with entropies in base K and D and 1e-11 added to R before normalising (as disentanglement_lib; an all-zero R
// gives D = C = 0). With cfg.DCI = DCIGBT (disentanglement_lib), R[:, k] is the feature importance of
// classify.GBT predicting factor k and w_k = Σ_d R_dk / Σ R. With DCILasso (InfoGAN-CR), codes and factors are
// z-normalised with train statistics, R[:, k] = |coef| of Lasso(α = cfg.LassoAlpha) regressing v_k on z, and
// w_k = 1/K. With K = 1 (D = 1) every code (factor) is taken as fully disentangled (complete).
func DCI(train, test Samples, cfg Config) (DCIResult, error) {
	r, _, err := dci(train, test, cfg, nil)
	return r, err
}

// dci is DCI that reuses (or, if nil, fits and returns) the per-factor GBT models of train.
func dci(train, test Samples, cfg Config, models []*classify.GBTModel) (DCIResult, []*classify.GBTModel, error) {
	cfg = cfg.withDefaults()
	if err := checkPair(train, test); err != nil {
		return DCIResult{}, nil, fmt.Errorf("DCI: %w", err)
	}
	D, K := train.D, train.K
	R := make([][]float64, D)
	for d := range R {
		R[d] = make([]float64, K)
	}
	infTr := make([]float64, K)
	infTe := make([]float64, K)
	r := DCIResult{Importance: R}
	switch cfg.DCI {
	case DCIGBT:
		r.Method = "gbt"
		if models == nil {
			var err error
			if models, err = fitGBTs(train, cfg); err != nil {
				return DCIResult{}, nil, fmt.Errorf("DCI: %w", err)
			}
		}
		err := parallel(K, cfg.Workers, func(k int) error {
			ytr := train.factor(k)
			m := models[k]
			for d := 0; d < D; d++ {
				R[d][k] = math.Abs(m.Importances[d])
			}
			infTr[k] = classify.Accuracy(m.TrainPred, ytr)
			infTe[k] = classify.Accuracy(m.Predict(test.Codes, test.N), test.factor(k))
			return nil
		})
		if err != nil {
			return DCIResult{}, nil, err
		}
	case DCILasso:
		r.Method = "lasso"
		xtr, xte := standardize(train, test)
		err := parallel(K, cfg.Workers, func(k int) error {
			ytr, yte := zscore(train.factor(k), train.factor(k)), zscore(train.factor(k), test.factor(k))
			if ytr == nil {
				return nil // constant factor: no importance, no information
			}
			m, err := classify.Lasso{Alpha: cfg.LassoAlpha}.Fit(xtr, train.N, D, ytr)
			if err != nil {
				return fmt.Errorf("DCI: factor %d: %w", k, err)
			}
			for d := 0; d < D; d++ {
				R[d][k] = math.Abs(m.Coef[d])
			}
			infTr[k] = clamp01(rsquared(m.Predict(xtr, train.N), ytr))
			infTe[k] = clamp01(rsquared(m.Predict(xte, test.N), yte))
			return nil
		})
		if err != nil {
			return DCIResult{}, nil, err
		}
	default:
		return DCIResult{}, nil, fmt.Errorf("DCI: unknown method %d", cfg.DCI)
	}
	for k := 0; k < K; k++ {
		r.InformativenessTrain += infTr[k] / float64(K)
		r.InformativenessTest += infTe[k] / float64(K)
	}
	total := 0.0
	for d := range R {
		for _, v := range R[d] {
			total += v
		}
	}
	if total == 0 {
		return r, models, nil
	}
	row := make([]float64, K)
	for d := 0; d < D; d++ {
		s := 0.0
		for k := range row {
			row[k] = R[d][k]
			s += row[k]
		}
		r.Disentanglement += s / total * (1 - entropyBase(row, K))
	}
	col := make([]float64, D)
	for k := 0; k < K; k++ {
		s := 0.0
		for d := range col {
			col[d] = R[d][k]
			s += col[d]
		}
		w := s / total
		if cfg.DCI == DCILasso {
			w = 1 / float64(K)
		}
		r.Completeness += w * (1 - entropyBase(col, D))
	}
	r.Disentanglement = clamp01(r.Disentanglement)
	r.Completeness = clamp01(r.Completeness)
	return r, models, nil
}

// entropyBase is the entropy, in base b, of p + 1e-11 normalised (scipy.stats.entropy); 0 when b = 1.
func entropyBase(p []float64, b int) float64 {
	if b <= 1 {
		return 0
	}
	s := 0.0
	for _, v := range p {
		s += v + 1e-11
	}
	h := 0.0
	for _, v := range p {
		q := (v + 1e-11) / s
		h -= q * math.Log(q)
	}
	return h / math.Log(float64(b))
}

// zscore standardises y with the mean and std (ddof 0) of ref; nil if ref is constant.
func zscore(ref, y []int) []float64 {
	var m, v float64
	for _, x := range ref {
		m += float64(x)
	}
	m /= float64(len(ref))
	for _, x := range ref {
		v += (float64(x) - m) * (float64(x) - m)
	}
	sd := math.Sqrt(v / float64(len(ref)))
	if sd == 0 {
		return nil
	}
	out := make([]float64, len(y))
	for i, x := range y {
		out[i] = (float64(x) - m) / sd
	}
	return out
}

func rsquared(pred, y []float64) float64 {
	var m float64
	for _, v := range y {
		m += v
	}
	m /= float64(len(y))
	var ss, st float64
	for i, v := range y {
		ss += (v - pred[i]) * (v - pred[i])
		st += (v - m) * (v - m)
	}
	if st == 0 {
		return 0
	}
	return 1 - ss/st
}
