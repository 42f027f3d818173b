// Package backend picks the GoMLX backend gdisent computes on.
//
// The order is: $GOMLX_BACKEND when set; otherwise XLA/PJRT when a plugin is already installed (CUDA before CPU);
// otherwise the pure-Go backend ("purego": SimpleGo plus gdisent's patches). Selection never downloads anything:
// XLA's plugin auto-install is switched off, so a missing plugin means falling back, not a network call.
package backend

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/backend/purego"
)

// EnvVar is GoMLX's own variable for choosing a backend, e.g. "go", "purego", "xla:cpu" or "xla:cuda".
const EnvVar = backends.ConfigEnvVar

func init() {
	// Never let the XLA backend fetch plugins from the network behind the user's back.
	xla.EnableAutoInstall(false)
}

// Choice says which backend configuration was picked and why.
type Choice struct {
	Config string // GoMLX backend configuration, e.g. "purego" or "xla:cuda".
	Reason string // Human-readable reason for the pick.
}

// Choose decides the backend configuration without creating it.
func Choose() Choice {
	if env, ok := os.LookupEnv(EnvVar); ok && strings.TrimSpace(env) != "" {
		cfg := strings.TrimSpace(env)
		name, rest, _ := strings.Cut(cfg, ":")
		if name == "go" || name == "simplego" {
			// The stock SimpleGo cannot train convnets; the patched one is a superset of it.
			cfg = purego.Name
			if rest != "" {
				cfg += ":" + rest
			}
		}
		return Choice{Config: cfg, Reason: fmt.Sprintf("$%s=%q", EnvVar, env)}
	}
	plugins := xla.GetAvailablePlugins()
	for _, want := range []string{"cuda", "cpu"} {
		for _, p := range plugins {
			if p == want {
				return Choice{Config: "xla:" + want, Reason: fmt.Sprintf("PJRT plugin %q is installed", want)}
			}
		}
	}
	return Choice{Config: purego.Name, Reason: "no PJRT plugin installed"}
}

var (
	mu       sync.Mutex
	shared   backends.Backend
	reported bool
	// Report is where New announces its pick, once per process. Set to io.Discard to silence it.
	Report io.Writer = os.Stderr
)

// New returns the process-wide backend, creating it on the first call. It never panics: a bad $GOMLX_BACKEND or a
// broken plugin comes back as an error naming the configuration.
func New() (b backends.Backend, err error) {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil && !shared.IsFinalized() {
		return shared, nil
	}
	c := Choose()
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, errors.Errorf("creating backend %q (%s): %v", c.Config, c.Reason, r)
		}
	}()
	b, err = backends.NewWithConfig(c.Config)
	if err != nil {
		return nil, errors.WithMessagef(err, "creating backend %q (%s)", c.Config, c.Reason)
	}
	shared = b
	if !reported && Report != nil {
		fmt.Fprintf(Report, "gdisent: backend %s (%s)\n", c.Config, c.Reason)
		reported = true
	}
	return b, nil
}

// MustNew is New for programs and tests that cannot go on without a backend.
func MustNew() backends.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}
