package selection

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/gdisent/vae"
)

// KindVAE is the sweep kind for package vae models on dSprites. Its params are vae.Config fields by name
// (case-insensitive, e.g. "beta", "latentdim", "objective", "learningrate", "checkpointevery") plus "base":
// "default" (the convolutional disentanglement_lib β-VAE, the default) or "small" (vae.SmallConfig, an MLP).
// Seed and CheckpointDir come from the run. Unknown names are errors.
const KindVAE = "vae"

func init() {
	_ = RegisterKind(KindVAE, Kind{Train: trainVAE, Load: loadVAE})
}

var (
	backendOnce sync.Once
	sharedBE    backends.Backend
	backendErr  error
)

// sharedBackend returns one backend per process (runs in a notebook or RunAll share it).
func sharedBackend() (backends.Backend, error) {
	backendOnce.Do(func() { sharedBE, backendErr = backend.New() })
	return sharedBE, backendErr
}

// VAEConfig builds the vae.Config of a KindVAE run.
func VAEConfig(run Run) (vae.Config, error) {
	params := map[string]any{}
	base := "default"
	for k, v := range run.Params {
		switch strings.ToLower(k) {
		case "base":
			s, ok := v.(string)
			if !ok || (s != "default" && s != "small") {
				return vae.Config{}, fmt.Errorf(`vae param "base" must be "default" or "small", got %v`, v)
			}
			base = s
		case "seed", "checkpointdir":
			return vae.Config{}, fmt.Errorf("vae param %q is set by the sweep", k)
		default:
			params[k] = v
		}
	}
	cfg := vae.DefaultConfig()
	if base == "small" {
		cfg = vae.SmallConfig()
	}
	b, err := json.Marshal(params)
	if err != nil {
		return vae.Config{}, fmt.Errorf("vae params: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return vae.Config{}, fmt.Errorf("vae params (names are vae.Config fields): %w", err)
	}
	cfg.Seed = run.Seed
	cfg.CheckpointDir = run.CheckpointDir()
	if cfg.CheckpointEvery <= 0 || cfg.CheckpointEvery > run.Steps {
		cfg.CheckpointEvery = max(1, min(run.Steps, 1000))
	}
	return cfg, cfg.Validate()
}

func trainVAE(run Run, rep training.Reporter) error {
	cfg, err := VAEConfig(run)
	if err != nil {
		return err
	}
	be, err := sharedBackend()
	if err != nil {
		return err
	}
	m, err := vae.New(be, cfg)
	if err != nil {
		return err
	}
	return m.Train(data.NewDSprites(), run.Steps, rep) // the loop checkpoints the final step
}

func loadVAE(run Run) (Model, error) {
	cfg, err := VAEConfig(run)
	if err != nil {
		return nil, err
	}
	be, err := sharedBackend()
	if err != nil {
		return nil, err
	}
	m, err := vae.Load(be, cfg)
	if err != nil {
		return nil, err
	}
	return VAEModel{M: m}, nil
}
