package directions

import (
	"github.com/gdisent/gdisent/gdisent/training"

	"fmt"
	"slices"
	"strings"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/metrics"
	"github.com/gdisent/gdisent/gdisent/nn"
)

// ConvEncoder is the four-block convolutional encoder of Locatello et al. 2019 (arXiv:1811.12359;
// disentanglement_lib's conv_encoder: 32, 32, 64, 64 filters of 4×4 at stride 2 with ReLU, a ReLU Dense(256)) with
// a linear k-dimensional output, the encoder Khrulkov et al. 2021 train on direction coordinates.
func ConvEncoder(k int) Encoder {
	return func(ctx *context.Context, x *Node) *Node {
		h := x
		for i, ch := range []int{32, 32, 64, 64} {
			h = activations.Relu(nn.Conv(ctx.Inf("conv%d", i), h, ch).Kernel(4).Stride(2).PaddingSame().Done())
		}
		h = activations.Relu(nn.Dense(ctx.In("fc"), flatBatch(h), 256).Done())
		return nn.Dense(ctx.In("out"), h, k).Done()
	}
}

// Train runs steps MSE steps and returns the mean loss over the last tenth of them (at least one): with
// orthonormal directions the coordinates Aᵀz have unit variance, so 1 means nothing was learned.
func (ce *CoordinateEncoder) Train(steps int) (tailMSE float64, err error) {
	if steps <= 0 {
		return 0, errors.Errorf("directions: CoordinateEncoder.Train: steps must be > 0, got %d", steps)
	}
	tail := max(1, steps/10)
	for i := range steps {
		l, err := ce.Step()
		if err != nil {
			return 0, err
		}
		if i >= steps-tail {
			tailMSE += l / float64(tail)
		}
	}
	return tailMSE, nil
}

// ScoreConfig configures Score.
type ScoreConfig struct {
	Steps   int     // encoder training steps (required)
	Batch   int     // generated images per step (default 64)
	LR      float64 // Adam learning rate (default 1e-3)
	Encoder Encoder // default ConvEncoder(k)
	// Scope of the encoder's variables; default a fresh "/coord_encoder_<i>", so that several scores can share one
	// context.
	Scope         string
	Metrics       []string       // default MIG, DCI and FactorVAE
	MetricsConfig metrics.Config // zero fields take disentanglement_lib's settings
	EncodeBatch   int            // images per encoder call during evaluation (default 256)
}

// Score is stage two of the protocol of Khrulkov et al. 2021 (arXiv:2102.06204): it trains an encoder E on
// generated images to predict their direction coordinates, E(G(z)) ≈ Aᵀz (G frozen), then scores E on the real
// images of ds against their ground-truth factors. The returned scores are metrics.Result.Scores plus
// "encoder_mse" (the tail MSE of CoordinateEncoder.Train) and "encoder_seconds" (training and evaluation).
func Score(t Target, dirs *mat.Dense, ds data.FactorDataset, cfg ScoreConfig) (scores map[string]float64, err error) {
	defer training.Recover(&err, "directions: Score")
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if dirs == nil || ds == nil {
		return nil, errors.New("directions: Score: nil directions or dataset")
	}
	if d, _ := dirs.Dims(); d != t.LatentDim {
		return nil, errors.Errorf("directions: Score: directions have %d rows, the latent %d dimensions", d, t.LatentDim)
	}
	if cfg.Steps <= 0 {
		return nil, errors.Errorf("directions: ScoreConfig.Steps must be > 0, got %d", cfg.Steps)
	}
	start := time.Now()
	shape := ds.ImageShape()
	if err := checkOutputSize(t, shape); err != nil {
		return nil, err
	}
	_, k := dirs.Dims()
	if cfg.Encoder == nil {
		cfg.Encoder = ConvEncoder(k)
	}
	if cfg.Scope == "" {
		cfg.Scope = freeScope(t.Context, "/coord_encoder_")
	}
	if cfg.Metrics == nil {
		cfg.Metrics = []string{metrics.NameMIG, metrics.NameDCI, metrics.NameFactorVAE}
	}
	ce, err := NewCoordinateEncoder(t.Backend, t.Context, t.Generator, cfg.Encoder, CoordinateEncoderConfig{
		Directions: dirs, Batch: cfg.Batch, LR: cfg.LR, Scope: cfg.Scope})
	if err != nil {
		return nil, err
	}
	mse, err := ce.Train(cfg.Steps)
	if err != nil {
		return nil, err
	}
	enc := ce.MetricsEncoder(shape[:], cfg.EncodeBatch)
	res, err := metrics.Evaluate(enc, ds, cfg.Metrics, cfg.MetricsConfig)
	if err != nil {
		return nil, errors.WithMessage(err, "directions: Score: evaluating the encoder")
	}
	scores = res.Scores()
	scores["encoder_mse"] = mse
	scores["encoder_seconds"] = time.Since(start).Seconds()
	return scores, nil
}

// checkOutputSize generates one image and checks it has the dataset's size, so that an encoder trained on G's
// images can read the real ones.
func checkOutputSize(t Target, shape [3]int) error {
	_, f, err := SampleFeatures(t.Backend, t.Context, t.Generator, t.LatentDim, 1, 1, 0, 0)
	if err != nil {
		return err
	}
	if _, p := f.Dims(); p != shape[0]*shape[1]*shape[2] {
		return errors.Errorf("directions: the generator makes %d values per image, the dataset's images are %v: use a dataset of the generator's size (e.g. data.NewPooled)", p, shape)
	}
	return nil
}

// freeScope returns prefix<i> for the smallest i with no variable in that scope or below it in ctx (the
// optimiser's state, kept under training.OptimizerScope<scope>, counts too).
func freeScope(ctx *context.Context, prefix string) string {
	var scopes []string
	for v := range ctx.IterVariables() {
		scopes = append(scopes, v.Scope()+context.ScopeSeparator)
	}
	for i := 0; ; i++ {
		s := fmt.Sprintf("%s%d", prefix, i) + context.ScopeSeparator
		if !slices.ContainsFunc(scopes, func(u string) bool { return strings.Contains(u, s) }) {
			return strings.TrimSuffix(s, context.ScopeSeparator)
		}
	}
}
