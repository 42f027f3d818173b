package vae

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/training"
)

// Inference runs a VAE's encoder and decoder (EncoderGraph and DecoderGraph) outside training: encoding, decoding,
// per-latent KL and traversals. Model embeds one, and so does every model built on the same encoder and decoder
// (e.g. vaegan), so they share this code.
type Inference struct {
	backend                backends.Backend
	ctx                    *context.Context // the scope of the encoder and decoder variables, unchecked
	cfg                    Config
	name                   string // package name used in error messages, e.g. "vae"
	encodeExec, decodeExec *context.Exec
}

// NewInference runs the encoder and decoder whose variables live in ctx's current scope; name prefixes errors.
func NewInference(backend backends.Backend, ctx *context.Context, cfg Config, name string) *Inference {
	return &Inference{backend: backend, ctx: ctx.Checked(false), cfg: cfg, name: name}
}

func (m *Inference) imageLen() int { return m.cfg.ImageSize * m.cfg.ImageSize * m.cfg.Channels }

func (m *Inference) checkImages(images []float32) (int, error) {
	n := len(images) / max(m.imageLen(), 1)
	if n < 1 || len(images) != n*m.imageLen() {
		return 0, errors.Errorf("%s: %d values is not a whole number (>= 1) of %dx%dx%d images", m.name, len(images),
			m.cfg.ImageSize, m.cfg.ImageSize, m.cfg.Channels)
	}
	return n, nil
}

// EncodeDistribution returns the posterior means and log-variances [n, latentDim] (row-major) of n images given
// flat [n, H, W, C].
func (m *Inference) EncodeDistribution(images []float32) (mean, logVar []float32, err error) {
	defer training.Recover(&err, "%s", m.name+".Encode")
	n, err := m.checkImages(images)
	if err != nil {
		return nil, nil, err
	}
	if m.encodeExec == nil {
		m.encodeExec, err = context.NewExec(m.backend, m.ctx, func(ctx *context.Context, x *Node) (*Node, *Node) {
			return EncoderGraph(ctx, m.cfg, x)
		})
		if err != nil {
			return nil, nil, err
		}
		m.encodeExec.SetMaxCache(16)
	}
	s := m.cfg.ImageSize
	outs, err := m.encodeExec.Exec(training.Tensor(images, n, s, s, m.cfg.Channels))
	if err != nil {
		return nil, nil, errors.WithMessage(err, m.name+".Encode")
	}
	return tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1]), nil
}

// Encode returns the posterior means [n, latentDim] (row-major) of n images — the representation
// disentanglement_lib's metrics score by default (gdisent.Encoder).
func (m *Inference) Encode(images []float32, n int) ([]float32, error) {
	if n < 1 || len(images) != n*m.imageLen() {
		return nil, errors.Errorf("%s.Encode: got %d values for %d images of %dx%dx%d", m.name, len(images), n,
			m.cfg.ImageSize, m.cfg.ImageSize, m.cfg.Channels)
	}
	mean, _, err := m.EncodeDistribution(images)
	return mean, err
}

// SampledEncoder is an Encoder returning one posterior sample z = μ + σ·ε per image instead of the mean, with ε
// drawn from a source seeded by seed (and the call count), so scores are reproducible; disentanglement_lib's
// "sampled" representation.
func (m *Inference) SampledEncoder(seed uint64) gdisent.Encoder {
	calls := uint64(0)
	return gdisent.EncoderFunc(func(images []float32, n int) ([]float32, error) {
		if n < 1 || len(images) != n*m.imageLen() {
			return nil, errors.Errorf("%s.SampledEncoder: got %d values for %d images", m.name, len(images), n)
		}
		mean, logVar, err := m.EncodeDistribution(images)
		if err != nil {
			return nil, err
		}
		calls++
		rng := rand.New(rand.NewPCG(seed, calls))
		for i := range mean {
			mean[i] += float32(math.Exp(0.5*float64(logVar[i])) * rng.NormFloat64())
		}
		return mean, nil
	})
}

// LatentDim is the number of latents.
func (m *Inference) LatentDim() int { return m.cfg.LatentDim }

// CodeDim is the width of Encode's codes: one per latent.
func (m *Inference) CodeDim() int { return m.cfg.LatentDim }

// ImageShape is one image's shape.
func (m *Inference) ImageShape() [3]int {
	return [3]int{m.cfg.ImageSize, m.cfg.ImageSize, m.cfg.Channels}
}

// Generate decodes n latent codes (n×LatentDim) to Bernoulli means (gdisent.Generator).
func (m *Inference) Generate(z []float32, n int) ([]float32, error) {
	if n < 1 || len(z) != n*m.cfg.LatentDim {
		return nil, errors.Errorf("%s.Generate: got %d values for %d codes of %d", m.name, len(z), n, m.cfg.LatentDim)
	}
	return m.Decode(z)
}

// Decode returns the Bernoulli means (sigmoid of the logits), flat [n, H, W, C], for n latent codes z given flat
// [n, latentDim].
func (m *Inference) Decode(z []float32) (images []float32, err error) {
	defer training.Recover(&err, "%s", m.name+".Decode")
	l := m.cfg.LatentDim
	n := len(z) / l
	if n < 1 || len(z) != n*l {
		return nil, errors.Errorf("%s.Decode: %d values is not a whole number (>= 1) of %d-d codes", m.name, len(z), l)
	}
	if m.decodeExec == nil {
		m.decodeExec, err = context.NewExec(m.backend, m.ctx, func(ctx *context.Context, z *Node) *Node {
			return Sigmoid(DecoderGraph(ctx, m.cfg, z))
		})
		if err != nil {
			return nil, err
		}
		m.decodeExec.SetMaxCache(16)
	}
	out, err := m.decodeExec.Exec(training.Tensor(z, n, l))
	if err != nil {
		return nil, errors.WithMessage(err, m.name+".Decode")
	}
	return tensors.MustCopyFlatData[float32](out[0]), nil
}

// Reconstruct encodes images to their posterior means and decodes them.
func (m *Inference) Reconstruct(images []float32) ([]float32, error) {
	mean, _, err := m.EncodeDistribution(images)
	if err != nil {
		return nil, err
	}
	return m.Decode(mean)
}

// LatentKL returns each latent's KL(q(z_j|x) ‖ N(0, 1)) averaged over n images: latents with KL near 0 are
// unused (collapsed to the prior), the informative ones carry most of the KL.
func (m *Inference) LatentKL(images []float32, n int) (kl []float64, err error) {
	defer training.Recover(&err, "%s", m.name+".LatentKL")
	if n < 1 || len(images) != n*m.imageLen() {
		return nil, errors.Errorf("%s.LatentKL: got %d values for %d images", m.name, len(images), n)
	}
	l, size := m.cfg.LatentDim, m.imageLen()
	kl = make([]float64, l)
	for s := 0; s < n; s += klBatch {
		k := min(klBatch, n-s)
		mean, logVar, err := m.EncodeDistribution(images[s*size : (s+k)*size])
		if err != nil {
			return nil, err
		}
		for i := range k {
			for j := range l {
				mu, lv := float64(mean[i*l+j]), float64(logVar[i*l+j])
				kl[j] += 0.5 * (mu*mu + math.Exp(lv) - lv - 1)
			}
		}
	}
	for j := range kl {
		kl[j] /= float64(n)
	}
	return kl, nil
}

// klBatch is the most images LatentKL encodes at once.
const klBatch = 256

// Traverse decodes latent traversals around the code z [latentDim]: for each latent j (rows) and each value v
// (columns), z with z_j = v. It returns flat images [latentDim·len(values), H, W, C], row-major (latent-major).
func (m *Inference) Traverse(z []float32, values []float64) ([]float32, error) {
	l := m.cfg.LatentDim
	if len(z) != l {
		return nil, errors.Errorf("%s.Traverse: code has %d values, want %d", m.name, len(z), l)
	}
	if len(values) == 0 {
		return nil, errors.Errorf("%s.Traverse: no traversal values", m.name)
	}
	codes := make([]float32, 0, l*len(values)*l)
	for j := range l {
		for _, v := range values {
			row := append([]float32(nil), z...)
			row[j] = float32(v)
			codes = append(codes, row...)
		}
	}
	return m.Decode(codes)
}

// TraverseImage is Traverse around the posterior mean of one image [H, W, C].
func (m *Inference) TraverseImage(image []float32, values []float64) ([]float32, error) {
	if len(image) != m.imageLen() {
		return nil, errors.Errorf("%s.TraverseImage: image has %d values, want %d", m.name, len(image), m.imageLen())
	}
	mean, err := m.Encode(image, 1)
	if err != nil {
		return nil, err
	}
	return m.Traverse(mean, values)
}
