package sweep

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"

	"github.com/gdisent/gdisent/data"
	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/infogan"
	"github.com/gdisent/gdisent/gdisent/training"
	"github.com/gdisent/gdisent/gdisent/vae"
	"github.com/gdisent/gdisent/gdisent/vaegan"
)

// The built-in kinds. Their params are the family's Config fields by JSON name (case-insensitive; nested fields as
// objects, e.g. {"Conv": {"DisHidden": 64}}) over a base preset chosen by "base", plus "data": the training set —
// "dsprites" (procedural dSprites, the default), "mnist" (MNIST from data.FindMNIST: the training split, or the test split where only that is present) or
// "ring" (the 2D ring of 8 Gaussians) — and "pool": an integer factor by which dSprites' 64×64 images are
// average-pooled (e.g. 2 for 32×32; the architecture must match). Seed and the checkpoint directory come from the
// run; unknown names are errors.
const (
	// KindVAE: package vae; base "default" (vae.DefaultConfig, the convolutional disentanglement_lib model) or
	// "small" (vae.SmallConfig, an MLP).
	KindVAE = "vae"
	// KindInfoGAN: package infogan without CR; base "default" (infogan.DefaultConfig, InfoGAN (modified) of Lin
	// et al. 2020), "mnist" (infogan.MNISTConfig), "ring" (infogan.RingConfig, a plain GAN) or "ring-paper"
	// (infogan.RingPaperConfig).
	KindInfoGAN = "infogan"
	// KindInfoGANCR: package infogan with CR; base "default" (infogan.InfoGANCRConfig).
	KindInfoGANCR = "infogan-cr"
	// KindVAEGAN: package vaegan (VAE-GAN, and the VAE-InfoGAN hybrid with InfoCodes > 0); base "default"
	// (vaegan.DefaultConfig, 28×28 MNIST-sized). Its run fields live in the nested VAE config.
	KindVAEGAN = "vaegan"
)

func init() {
	vaeBases := map[string]func() vae.Config{"default": vae.DefaultConfig, "small": vae.SmallConfig}
	_ = RegisterKind(KindVAE, Kind{
		Train: func(run Run, rep training.Reporter) error {
			return train(run, rep, vaeBases, func(c *vae.Config, r Run) { c.Seed, c.CheckpointDir = r.Seed, r.CheckpointDir() },
				func(b backends.Backend, c vae.Config) (training.Model, error) { return vae.New(b, c) })
		},
		Load: func(run Run) (training.Model, error) {
			return load(run, func(b backends.Backend, dir string) (training.Model, error) { return vae.Load(b, dir) })
		},
	})
	vaeganBases := map[string]func() vaegan.Config{"default": vaegan.DefaultConfig}
	_ = RegisterKind(KindVAEGAN, Kind{
		Train: func(run Run, rep training.Reporter) error {
			return train(run, rep, vaeganBases, func(c *vaegan.Config, r Run) { c.VAE.Seed, c.VAE.CheckpointDir = r.Seed, r.CheckpointDir() },
				func(b backends.Backend, c vaegan.Config) (training.Model, error) { return vaegan.New(b, c) })
		},
		Load: func(run Run) (training.Model, error) {
			return load(run, func(b backends.Backend, dir string) (training.Model, error) { return vaegan.Load(b, dir) })
		},
	})
	for name, bases := range map[string]map[string]func() infogan.Config{
		KindInfoGAN: {"default": infogan.DefaultConfig, "mnist": infogan.MNISTConfig, "ring": infogan.RingConfig,
			"ring-paper": infogan.RingPaperConfig},
		KindInfoGANCR: {"default": infogan.InfoGANCRConfig},
	} {
		_ = RegisterKind(name, Kind{
			Train: func(run Run, rep training.Reporter) error {
				return train(run, rep, bases, func(c *infogan.Config, r Run) { c.Seed, c.CheckpointDir = r.Seed, r.CheckpointDir() },
					func(b backends.Backend, c infogan.Config) (training.Model, error) { return infogan.New(b, c) })
			},
			Load: func(run Run) (training.Model, error) {
				return load(run, func(b backends.Backend, dir string) (training.Model, error) { return infogan.Load(b, dir) })
			},
		})
	}
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

// Params splits a run's params into the base preset name, the data set, the pooling factor and the Config
// overrides (JSON).
func Params(run Run) (base, dataset string, pool int, overrides []byte, err error) {
	rest := map[string]any{}
	base, dataset, pool = "default", "dsprites", 1
	for k, v := range run.Params {
		switch strings.ToLower(k) {
		case "base", "data":
			s, ok := v.(string)
			if !ok {
				return "", "", 0, nil, fmt.Errorf(`param %q must be a name, got %v`, k, v)
			}
			if strings.ToLower(k) == "base" {
				base = s
			} else {
				dataset = s
			}
		case "pool":
			f, ok := v.(float64)
			if i, isInt := v.(int); isInt {
				f, ok = float64(i), true
			}
			if !ok || f < 1 || f != float64(int(f)) {
				return "", "", 0, nil, fmt.Errorf(`param "pool" must be a whole number >= 1, got %v`, v)
			}
			pool = int(f)
		case "seed", "checkpointdir":
			return "", "", 0, nil, fmt.Errorf("param %q is set by the sweep", k)
		default:
			rest[k] = v
		}
	}
	overrides, err = json.Marshal(rest)
	return base, dataset, pool, overrides, err
}

// Config builds a run's typed configuration: the base preset with the run's params decoded over it (unknown
// field names are errors), then the run's seed and checkpoint directory.
func Config[C any](run Run, bases map[string]func() C, setRun func(*C, Run)) (C, error) {
	var zero C
	base, _, _, overrides, err := Params(run)
	if err != nil {
		return zero, err
	}
	mk, ok := bases[base]
	if !ok {
		names := make([]string, 0, len(bases))
		for n := range bases {
			names = append(names, fmt.Sprintf("%q", n))
		}
		return zero, fmt.Errorf("%s: unknown base %q (want %s)", run.Kind, base, strings.Join(names, " or "))
	}
	cfg := mk()
	if err := training.DecodeConfig(overrides, &cfg); err != nil {
		return zero, fmt.Errorf("%s params (names are Config fields): %w", run.Kind, err)
	}
	setRun(&cfg, run)
	return cfg, nil
}

// Dataset is the run's training data, as its "data" and "pool" params say.
func Dataset(run Run) (gdisent.Dataset, error) {
	_, name, pool, _, err := Params(run)
	if err != nil {
		return nil, err
	}
	if pool != 1 && name != "dsprites" {
		return nil, fmt.Errorf(`param "pool" applies to dsprites only, not %q`, name)
	}
	switch name {
	case "dsprites":
		if pool == 1 {
			return data.NewDSprites(), nil
		}
		return data.NewPooled(data.NewDSprites(), pool)
	case "mnist":
		dir, err := data.FindMNIST()
		if err != nil {
			return nil, err
		}
		if m, err := data.LoadMNIST(dir, "train"); err == nil {
			return m, nil
		}
		return data.LoadMNIST(dir, "test") // where only the 10,000-image test split is at hand
	case "ring":
		return data.NewRing(), nil
	}
	return nil, fmt.Errorf(`unknown data set %q (want "dsprites", "mnist" or "ring")`, name)
}

func train[C any](run Run, rep training.Reporter, bases map[string]func() C, setRun func(*C, Run),
	newModel func(backends.Backend, C) (training.Model, error)) error {
	cfg, err := Config(run, bases, setRun)
	if err != nil {
		return err
	}
	ds, err := Dataset(run)
	if err != nil {
		return err
	}
	be, err := sharedBackend()
	if err != nil {
		return err
	}
	m, err := newModel(be, cfg)
	if err != nil {
		return err
	}
	return m.Train(ds, run.Steps, rep) // the loop checkpoints the final step
}

func load(run Run, loadModel func(backends.Backend, string) (training.Model, error)) (training.Model, error) {
	be, err := sharedBackend()
	if err != nil {
		return nil, err
	}
	return loadModel(be, run.CheckpointDir())
}

// TinyInfoGANCRParams are the params of a 16×16 InfoGAN-CR small enough to train a pool in seconds (dSprites
// pooled 4×, CR on from step 2): for tests and for trying the sweep and selection commands.
func TinyInfoGANCRParams() map[string]any {
	return map[string]any{"pool": 4, "batchsize": 8, "crstart": 2,
		"latent": map[string]any{"Continuous": 3, "Noise": 2},
		"conv": map[string]any{"ImageSize": 16, "Channels": 1, "GenHidden": 16, "GenChannels": []int{8},
			"DisChannels": []int{4, 8}, "DisHidden": 16, "QHidden": 16, "SpectralNorm": true, "InitStd": 0.02}}
}
